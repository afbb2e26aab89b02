#!/usr/bin/env bash
# Fuzzes `ponder serve` with Schemathesis against its own OpenAPI document (GET /openapi.json).
# Starts the jar on a free port of 127.0.0.1 only, runs the fuzzer (bounded by EXAMPLES per operation and
# MAX_TIME seconds), then fails on: any 5xx in the server's request log, any Schemathesis failure (5xx, a content
# type not documented, a body that is not JSON where JSON is promised, a stack trace or file path in a body), or a
# server that no longer answers a normal request. Prints the request count, status counts and RSS/threads/fds
# before and after.
#   EXAMPLES=900 MAX_TIME=900 server/fuzz/run.sh     # the full run (over 10,000 requests)
#   EXAMPLES=60 MAX_TIME=100 server/fuzz/run.sh      # the short one (CI)
set -euo pipefail
cd "$(dirname "$0")/../.."
EXAMPLES=${EXAMPLES:-900}
MAX_TIME=${MAX_TIME:-900}
SEED=${SEED:-16}
FUZZ=server/fuzz
JAR=server/target/ponder.jar
OUT=${OUT:-$(mktemp -d /tmp/ponder-fuzz.XXXXXX)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

if [ ! -x "$FUZZ/.venv/bin/schemathesis" ]; then
  python3 -m venv "$FUZZ/.venv"
  "$FUZZ/.venv/bin/pip" install -q -r "$FUZZ/requirements.txt"
fi
[ -f "$JAR" ] || mvn -q -DskipTests package -pl server -am

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
# Small limits keep each valid search short so that the fuzzer reaches its count in minutes.
java -Xmx1g -jar "$JAR" serve --host 127.0.0.1 --port "$PORT" --workers 2 --queue 8 --max-n 4 \
  --max-new-tokens 16 --max-deadline-ms 3000 > "$OUT/server.log" 2>&1 &
PID=$!
trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true' EXIT

for _ in $(seq 1 120); do
  curl -sf "$BASE/health" > /dev/null && break
  kill -0 "$PID" 2>/dev/null || { cat "$OUT/server.log"; echo "the server did not start"; exit 1; }
  sleep 0.5
done
probe() { # one line: RSS (KiB), threads, open fds of the server
  echo "rss_kib=$(awk '/VmRSS/ {print $2}' /proc/$PID/status) threads=$(ls /proc/$PID/task | wc -l)" \
    "fds=$(ls /proc/$PID/fd | wc -l)"
}
normal() { # a normal request must still succeed
  curl -sf "$BASE/v1/completions" -H 'Content-Type: application/json' -d '{"model": "countdown-policy",
    "prompt": "numbers: 3 7 25 50 target: 85\n", "max_tokens": 8, "seed": 1}' > /dev/null
}
normal
echo "before: $(probe)"
# The served ids, for the hook that puts real model ids into generated bodies.
MODELS=$(curl -sf "$BASE/v1/models" | python3 -c 'import json,sys; print(",".join(m["id"] for m in json.load(sys.stdin)["data"]))')
echo "models: $MODELS"

set +e
# Schemathesis keeps a .schemathesis/ folder in its working directory: run it in $OUT, not in the repository.
ROOT=$PWD
cd "$OUT"
PONDER_FUZZ_MODELS="$MODELS" PONDER_FUZZ_COUNTS="$OUT/client-statuses.json" SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$ROOT/$FUZZ" timeout $((MAX_TIME + 120)) "$ROOT/$FUZZ/.venv/bin/schemathesis" run \
  "$BASE/openapi.json" --checks not_a_server_error,content_type_conformance,no_leak,json_where_promised,CountResponses \
  --max-examples "$EXAMPLES" --max-time "$MAX_TIME" --seed "$SEED" --workers 2 --request-timeout 30 \
  --generation-database none --suppress-health-check all --continue-on-failure --no-color \
  > "$OUT/schemathesis.txt" 2>&1
FUZZ_RC=$?
cd "$ROOT"
set -e
tail -25 "$OUT/schemathesis.txt"

sleep 3 # searches still running end (deadline 3 s)
normal || { echo "FAIL: a normal request fails after the fuzz"; exit 1; }
echo "after: $(probe)"
curl -s "$BASE/health"; echo

# The server's request log: one line per request, "METHOD PATH STATUS ...".
# (A decoded path may hold spaces: the status is the number before the duration.)
grep -a 'dev.ponder.server.requests - ' "$OUT/server.log" | grep -aoE ' [1-5][0-9]{2} [0-9]+\.[0-9] ms model=' \
  | awk '{ print $1 }' | sort | uniq -c | sort -rn > "$OUT/statuses.txt"
TOTAL=$(awk '{ s += $1 } END { print s + 0 }' "$OUT/statuses.txt")
FIVE=$(awk '$2 ~ /^5/ { s += $1 } END { print s + 0 }' "$OUT/statuses.txt")
echo "server log: requests=$TOTAL 5xx=$FIVE statuses: $(tr -s ' \n' ' ' < "$OUT/statuses.txt")"
CLIENT=$(cat "$OUT/client-statuses.json" 2>/dev/null || echo '{}')
CLIENT_TOTAL=$(python3 -c 'import json,sys; print(sum(json.loads(sys.argv[1]).values()))' "$CLIENT")
CLIENT_FIVE=$(python3 -c 'import json,sys; print(sum(v for k, v in json.loads(sys.argv[1]).items() if k[0] == "5"))' "$CLIENT")
echo "fuzzer: responses=$CLIENT_TOTAL 5xx=$CLIENT_FIVE statuses: $CLIENT"
FIVE=$((FIVE + CLIENT_FIVE))
echo "logs and reports: $OUT"
if [ "$FIVE" -ne 0 ]; then echo "FAIL: $FIVE responses 5xx"; grep -a -m5 -E ' 5[0-9]{2} [0-9]+\.[0-9] ms ' "$OUT/server.log"; exit 1; fi
if [ "$FUZZ_RC" -ne 0 ]; then echo "FAIL: schemathesis exit $FUZZ_RC"; exit 1; fi
echo "fuzz passed"
