#!/usr/bin/env bash
# Load test of `ponder serve` on loopback: wrk with 16 connections for 60 s on POST /v1/completions (4 samples),
# the server's RSS before and after, and the 5xx count from its own metrics. Needs the jar and Debian's wrk.
# Usage: server/bench/load.sh [SECONDS] [CONNECTIONS] [ROUNDS] [SCRIPT] [SERVE OPTIONS...]
#   ROUNDS runs back to back on one server (RSS after each shows whether memory settles); SCRIPT is a wrk Lua file
#   (default server/bench/completion.lua; server/bench/search-bon16.lua posts best-of-16 to /v1/search).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_=${1:-60}
CONNECTIONS=${2:-16}
ROUNDS=${3:-1}
SCRIPT=${4:-server/bench/completion.lua}
shift $(( $# < 4 ? $# : 4 ))
ROUTE=/v1/completions
if grep -q '"algorithm"' "$SCRIPT"; then ROUTE=/v1/search; fi
JAR=server/target/ponder.jar
LOG=$(mktemp)
java -jar "$JAR" serve --host 127.0.0.1 --port 0 "$@" >"$LOG" 2>&1 &
PID=$!
trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 1 120); do grep -q "ponder serving" "$LOG" && break; sleep 0.5; done
PORT=$(sed -n 's/.*on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$LOG" | head -1)
URL="http://127.0.0.1:$PORT"
rss() { awk '/VmRSS/ {printf "%.0f MiB", $2 / 1024}' "/proc/$PID/status"; }
curl -s -o /dev/null -X POST "$URL/v1/completions" -d '{"model": "countdown-policy", "prompt": "warm", "n": 4}'
echo "RSS before: $(rss)"
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round, load average before: $(cut -d" " -f1-3 /proc/loadavg)"
  wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_}s" --timeout 30s --latency -s "$SCRIPT" "$URL$ROUTE"
  echo "round $round, load average after: $(cut -d" " -f1-3 /proc/loadavg); RSS after: $(rss)"
done
echo "5xx answered: $(curl -s "$URL/metrics" | awk '/^ponder_http_requests_seconds_count/ && /status="5/ {s += $2} END {print s + 0}')"
echo "answered by status: $(curl -s "$URL/metrics" | awk -F'status="' '/^ponder_http_requests_seconds_count/ {split($2, a, "\""); split($2, b, "} "); s[a[1]] += b[2]} END {for (k in s) printf "%s=%d ", k, s[k]}')"
