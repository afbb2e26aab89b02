#!/usr/bin/env bash
# Ponder's remote policy vs its-hub 1.2.0 on the same llama.cpp server (issue 15). Not CI.
# Usage: bench/remote/side_by_side.sh K N [ALG ...]   (ALG: bon step-beam smc; default all three)
# GROUP=16 sends Ponder's shared-context hypotheses as one request with n (RemoteProcess.groupSharedContexts).
# Needs remote/.venv-tools with its-hub==1.2.0 and tokenizers==0.22.1 (see remote/README.md) and llama-server.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
k="${1:?problems}"
n="${2:?budget}"
shift 2
algs=("${@:-bon step-beam smc}")
[ $# -gt 0 ] || algs=(bon step-beam smc)
port="${PORT:-8091}"
cd "$repo"
nice mvn -q -o test-compile dependency:build-classpath -pl remote -am -Dmdep.outputFile=target/remote-cp.txt \
  -Dmdep.includeScope=test > /dev/null
cp="remote/target/test-classes:remote/target/classes:$(cat remote/target/remote-cp.txt)"
pid="$("$repo/remote/scripts/llama_server.sh" "$port")"
trap 'kill "$pid" 2> /dev/null; wait "$pid" 2> /dev/null || true' EXIT
url="http://127.0.0.1:$port"
for alg in "${algs[@]}"; do
  nice java -Dponder.repo="$repo" -Dponder.remote.group="${GROUP:-1}" -cp "$cp" dev.ponder.remote.RemoteCountdownEval remote "$url" countdown "$k" "$n" 1 "$alg" \
    | grep -v "^remote tally"
  nice "$repo/remote/.venv-tools/bin/python" "$here/its_hub_remote.py" --url "$url" --algorithm "$alg" --k "$k" \
    --n "$n" --m 4 --repeats 1
done
