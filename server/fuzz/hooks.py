"""Schemathesis checks of Ponder's own rules, loaded with SCHEMATHESIS_HOOKS=hooks (run.sh sets it).

no_leak: no response body names a stack frame, an exception or a file of the machine.
json_where_promised: every answer outside the view's files, /metrics and a 200 event stream is JSON that parses.
"""
import json
import os

import schemathesis

LEAKS = ("at dev.ponder", "Exception", ".java:", "/tmp/", "/work/", "/root/", "/home/", "/usr/", "/proc/",
         "model.onnx", "config.json")
NOT_JSON = {"/", "/index.html", "/view.js", "/style.css", "/metrics"}


def sent(case):
    """What the request carried, as the server may echo it back (an unknown model id, a field name)."""
    parts = [case.path_parameters, case.query, case.body]
    return " ".join(json.dumps(p, ensure_ascii=False, default=str) + repr(p) for p in parts)


@schemathesis.check
def no_leak(ctx, response, case):
    if case.operation.path == "/openapi.json":
        return
    text = response.content.decode("utf-8", "replace")
    for needle in LEAKS:
        if needle in text and needle not in sent(case):
            raise AssertionError(f"the body contains {needle!r}: {text[:300]!r}")


@schemathesis.check
def json_where_promised(ctx, response, case):
    if case.operation.path in NOT_JSON:
        return
    kind = response.headers.get("content-type", [""])
    kind = (kind[0] if isinstance(kind, list) else kind).lower()
    if response.status_code == 200 and kind.startswith("text/event-stream"):
        return
    if not kind.startswith("application/json"):
        raise AssertionError(f"{response.status_code} answered with {kind!r}, not JSON")
    try:
        json.loads(response.content)
    except ValueError as e:
        raise AssertionError(f"{response.status_code} JSON that does not parse: {e}") from None


@schemathesis.check
class CountResponses:
    """Writes the status codes of every response checked to $PONDER_FUZZ_COUNTS (a JSON object) at the end."""

    def __init__(self):
        self.statuses = {}

    def after_response(self, ctx, response, case):
        key = str(response.status_code)
        self.statuses[key] = self.statuses.get(key, 0) + 1

    def after_run(self, ctx):
        path = os.environ.get("PONDER_FUZZ_COUNTS")
        if path:
            with open(path, "w") as f:
                json.dump(self.statuses, f, sort_keys=True)
