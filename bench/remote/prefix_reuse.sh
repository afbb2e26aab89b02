#!/usr/bin/env bash
# Prefix reuse on llama.cpp (issue 15): the share of prompt tokens the engine served from its cache
# (usage.prompt_tokens_details.cached_tokens) for Ponder's remote step beam and SMC, one request per hypothesis
# and grouped. Usage (repo root, llama-server built by remote/scripts/setup.sh): bench/remote/prefix_reuse.sh K N
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
k="${1:?problems}"; n="${2:?budget}"; port="${PORT:-8092}"
cd "$repo"
nice mvn -q -o test-compile dependency:build-classpath -pl remote -am -Dmdep.outputFile=target/remote-cp.txt \
  -Dmdep.includeScope=test > /dev/null
cp="remote/target/test-classes:remote/target/classes:$(cat remote/target/remote-cp.txt)"
pid="$("$repo/remote/scripts/llama_server.sh" "$port")"
trap 'kill "$pid" 2> /dev/null; wait "$pid" 2> /dev/null || true' EXIT
for group in 1 16; do
  for alg in step-beam smc; do
    java -Dponder.repo="$repo" -Dponder.remote.group="$group" -cp "$cp" dev.ponder.remote.RemoteCountdownEval \
      remote "http://127.0.0.1:$port" countdown "$k" "$n" 1 "$alg" | sed "s/^/group=$group /" \
      | python3 -c '
import re, sys
for line in sys.stdin:
    sys.stdout.write(line)
    m = re.search(r"promptTokens=(\d+), cachedPromptTokens=(\d+)", line)
    if m:
        sent, cached = int(m.group(1)), int(m.group(2))
        print(f"  -> prompt tokens sent {sent}, served from the cache {cached} ({cached / max(1, sent):.1%})")'
  done
done
