#!/usr/bin/env bash
# Remote policy vs in-process policy on Countdown (issue 15's measurement). Starts llama.cpp's server on
# 127.0.0.1:$PORT, runs RemoteCountdownEval, stops the server. Usage:
#   remote/scripts/eval_countdown.sh parity PROBLEMS
#   remote/scripts/eval_countdown.sh accuracy PROBLEMS N SEED ALG[,ALG...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
port="${PORT:-8089}"
cd "$repo"
# compile, and write the test classpath (the reactor modules resolve to their target/classes)
nice mvn -q -o test-compile dependency:build-classpath -pl remote -am -Dmdep.outputFile=target/remote-cp.txt \
  -Dmdep.includeScope=test > /dev/null
cp="remote/target/test-classes:remote/target/classes:$(cat remote/target/remote-cp.txt)"
pid="$("$here/llama_server.sh" "$port")"
trap 'kill "$pid" 2> /dev/null; wait "$pid" 2> /dev/null || true' EXIT
nice java -Dponder.repo="$repo" -cp "$cp" dev.ponder.remote.RemoteCountdownEval "$1" "http://127.0.0.1:$port" countdown "${@:2}"
