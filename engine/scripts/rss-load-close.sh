#!/usr/bin/env bash
# Resident memory over N load/close cycles of a language model (a measurement, not a test).
#   engine/scripts/rss-load-close.sh [modelDir] [cycles] [every] [search|nosearch] [-- extra JVM flags]
# Run from the repository root after `mvn -q -pl engine -am test-compile`. Prints "cycle rss_mb" lines.
set -euo pipefail
cd "$(dirname "$0")/../.."
cp_file=engine/target/rss-classpath.txt
if [[ ! -s $cp_file ]]; then
  mvn -q -pl engine dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$PWD/$cp_file" >/dev/null
fi
args=(); jvm=()
while [[ $# -gt 0 ]]; do
  if [[ $1 == -- ]]; then shift; jvm=("$@"); break; fi
  args+=("$1"); shift
done
exec java "${jvm[@]}" -cp "engine/target/test-classes:engine/target/classes:$(cat "$cp_file")" \
  dev.ponder.engine.lm.LoadCloseRss "${args[@]}"
