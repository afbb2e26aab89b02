#!/usr/bin/env bash
# Client tests of `ponder serve` (issue 14): the official openai Python package from a pinned venv, and the live
# search view in headless Debian chromium. CI calls this after the jar is built (mvn package).
# Starts one server on a free loopback port with an API key and stops it (by its PID) on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
JAR=server/target/ponder.jar
if [ ! -f "$JAR" ]; then
  mvn -B -ntp -q -pl server -am -DskipTests package
fi

if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
fi

VENV=server/clients/.venv
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q -r server/clients/requirements.txt

export PONDER_API_KEY="client-test-$RANDOM$RANDOM"
LOG=$(mktemp)
java -jar "$JAR" serve --host 127.0.0.1 --port 0 --max-n 64 >"$LOG" 2>&1 &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 1 120); do
  if grep -q "ponder serving" "$LOG"; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then cat "$LOG"; echo "the server did not start"; exit 1; fi
  sleep 0.5
done
PORT=$(sed -n 's/.*on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$LOG" | head -1)
if [ -z "$PORT" ]; then cat "$LOG"; echo "the server printed no port"; exit 1; fi
echo "server on 127.0.0.1:$PORT"

export PONDER_BASE_URL="http://127.0.0.1:$PORT/v1" PONDER_JAR="$JAR" PONDER_POLICY_DIR=onnx-models/countdown/policy
"$VENV/bin/python" server/clients/test_openai_client.py

# Screenshots go to a temporary folder; PONDER_SCREENSHOTS=server/docs refreshes the README's pictures.
export PONDER_VIEW_URL="http://127.0.0.1:$PORT/"
"$VENV/bin/python" server/clients/test_view.py
