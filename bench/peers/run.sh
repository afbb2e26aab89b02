#!/usr/bin/env bash
# Installs the Python peers into bench/peers/.venv (git-ignored) and runs the side-by-side comparison with
# Ponder's CLI. Not part of CI. Usage: bench/peers/run.sh [compare.py options, e.g. --k 10 --repeats 3]
# Needs python3.11, java 17 and (unless server/target/ponder.jar exists) maven.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV="$HERE/.venv"
PY=${PYTHON:-python3.11}

if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
fi
# The toolchain pins of onnx-models/requirements.txt (torch from PyPI: the Linux wheel pulls the CUDA runtime
# wheels, about 3 GB, unused on CPU), plus its-hub's core install (numpy only).
"$VENV/bin/pip" install -q torch==2.9.1 transformers==4.57.3 tokenizers==0.22.1 onnx==1.19.1 \
  onnxruntime==1.23.2 numpy==2.2.6 its-hub==1.2.0

if [ ! -f "$REPO/server/target/ponder.jar" ]; then
  (cd "$REPO" && mvn -B -q -ntp -DskipTests package)
fi
"$VENV/bin/python" "$HERE/onnx_to_torch.py"
exec "$VENV/bin/python" "$HERE/compare.py" "$@"
