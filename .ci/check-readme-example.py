"""Fails when README.md's marked Java block differs from the example file it names (so the snippet cannot rot)."""
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent.parent
readme = (root / "README.md").read_text(encoding="utf-8")
blocks = re.findall(r"<!-- example: (\S+) -->\n```java\n(.*?)```", readme, re.S)
if not blocks:
    sys.exit("README.md has no '<!-- example: FILE -->' java block")
for path, code in blocks:
    expected = (root / path).read_text(encoding="utf-8")
    if code != expected:
        sys.exit(f"README.md's block for {path} differs from the file; copy the file into README.md")
print(f"README example blocks match their files: {len(blocks)}")
