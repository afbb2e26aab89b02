#!/usr/bin/env bash
# The Countdown accuracy table of bench/README.md: each configuration on the whole test split (500 problems), seed 1
# (problem i gets its own seed, derived from 1 and i), one ONNX Runtime thread. Two configurations run at a time.
#   bench/countdown/run.sh [OUT_DIR]           (from the repository root, after mvn -q -DskipTests package)
set -euo pipefail
out="${1:-bench/countdown/out}"
jar="${JAR:-server/target/ponder.jar}"
mkdir -p "$out"
one() {  # name, then eval options
  local name="$1"; shift
  java -jar "$jar" eval --task countdown --problems onnx-models/countdown/test.jsonl --seed 1 --threads 1 \
    --out "$out/$name.jsonl" "$@" 2> /dev/null | sed "s/^/$name: /"
}
(
  one sample        --algorithm sample
  one bon-4         --algorithm bon --n 4
  one bon-16        --algorithm bon --n 16
  one bon-64        --algorithm bon --n 64
  one weighted-bon-16 --algorithm weighted-bon --n 16
) > "$out/summary-a.txt" &
(
  one step-beam-16  --algorithm step-beam --n 16 --m 4
  one smc-16        --algorithm smc --n 16
  one dvts-16       --algorithm dvts --n 16 --m 4
  one mcts-16       --algorithm mcts --n 16 --m 4
  one bon-checker-4  --algorithm bon --n 4 --verifier checker
  one bon-checker-16 --algorithm bon --n 16 --verifier checker
) > "$out/summary-b.txt" &
wait
cat "$out"/summary-*.txt
