#!/usr/bin/env bash
# Step-level searches over `ponder serve` as the remote engine, one server jar against another (e.g. before and
# after a change to the server), the client always the second jar. Usage (from the repo root):
#   bench/remote/serve_stop_strings.sh OLD.jar NEW.jar [PROBLEMS=20] [N=8]
# Prints eval's summary line per server and algorithm (accuracy, engine tokens and requests per problem).
set -euo pipefail
old="$1"; new="$2"; k="${3:-20}"; n="${4:-8}"; port=18090
for jar in "$old" "$new"; do
  java -Xmx1g -jar "$jar" serve --port "$port" --workers 4 > "/tmp/serve-stop-strings.log" 2>&1 &
  pid=$!
  for _ in $(seq 60); do curl -s "localhost:$port/health" > /dev/null && break; sleep 1; done
  for alg in step-beam smc; do
    echo "== server=$jar algorithm=$alg"
    java -jar "$new" eval --task countdown --problems onnx-models/countdown/test.jsonl --limit "$k" \
      --algorithm "$alg" --n "$n" --seed 1 --remote "http://127.0.0.1:$port" --remote-model countdown-policy \
      --remote-dialect text --prm onnx-models/countdown/prm-cached --out "/tmp/serve-stop-strings-$alg.jsonl" \
      2> /dev/null | tail -1
  done
  kill "$pid"; wait "$pid" 2> /dev/null || true
done
