#!/usr/bin/env bash
# The smaller and larger budgets of the Countdown table (see run.sh): PRM-guided searches at N = 4 and 64, majority.
set -euo pipefail
out="${1:-bench/countdown/out}"
jar="${JAR:-server/target/ponder.jar}"
mkdir -p "$out"
one() {
  local name="$1"; shift
  java -jar "$jar" eval --task countdown --problems onnx-models/countdown/test.jsonl --seed 1 --threads 1 \
    --out "$out/$name.jsonl" "$@" 2> /dev/null | sed "s/^/$name: /"
}
one step-beam-4   --algorithm step-beam --n 4 --m 2
one smc-4         --algorithm smc --n 4
one dvts-4        --algorithm dvts --n 4 --m 2
one mcts-4        --algorithm mcts --n 4 --m 4
one majority-16   --algorithm majority --n 16
one step-beam-64  --algorithm step-beam --n 64 --m 4
one smc-64        --algorithm smc --n 64
# Sampling temperature 0.5 (applies to every sampling algorithm; step-level ones keep one-line steps).
one bon-t05-16        --algorithm bon --n 16 --temperature 0.5
one smc-t05-16        --algorithm smc --n 16 --temperature 0.5
one step-beam-t05-16  --algorithm step-beam --n 16 --m 4 --temperature 0.5
