#!/usr/bin/env bash
# Starts llama.cpp's server on 127.0.0.1 serving the converted Countdown policy, waits until it answers, and
# prints its PID. Usage: llama_server.sh PORT [SLOTS] [THREADS]
#   Builds (once) the GGUF with onnx_to_gguf.py. The server binary is remote/.build/llama.cpp/build/bin/llama-server
#   (see remote/README.md: built from the llama.cpp source vendored in PyPI's llama-cpp-python sdist).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
port="${1:?port}"
slots="${2:-16}"
threads="${3:-1}"
bin="$repo/remote/.build/llama.cpp/build/bin/llama-server"
gguf="$repo/remote/work/countdown-policy-f32.gguf"
[ -x "$bin" ] || { echo "expected llama-server at $bin; build it as remote/README.md says" >&2; exit 2; }
if [ ! -f "$gguf" ]; then
  mkdir -p "$(dirname "$gguf")"
  "$repo/remote/.venv-tools/bin/python" "$here/onnx_to_gguf.py" "$repo/onnx-models/countdown/policy" "$gguf" >&2
fi
# every slot gets the policy's whole context (128 positions)
nice "$bin" -m "$gguf" --host 127.0.0.1 --port "$port" -np "$slots" -c $((128 * slots)) -t "$threads" -tb "$threads" \
  -b 2048 -ub 512 --no-webui > "$repo/remote/work/llama-server-$port.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  if curl -sf "http://127.0.0.1:$port/health" > /dev/null; then
    echo "$pid"
    exit 0
  fi
  if ! kill -0 "$pid" 2> /dev/null; then
    echo "llama-server exited; see remote/work/llama-server-$port.log" >&2
    tail -20 "$repo/remote/work/llama-server-$port.log" >&2
    exit 1
  fi
  sleep 0.2
done
echo "llama-server did not answer /health within 20 s" >&2
kill "$pid"
exit 1
