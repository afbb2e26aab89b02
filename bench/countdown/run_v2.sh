#!/usr/bin/env bash
# The Countdown accuracy table with the v2 verifiers (onnx-models/countdown/orm-v2-cached, prm-v2-cached; recipes
# in onnx-models/README.md): the same problems, seed and flags as run.sh, only --orm / --prm differ.
#   bench/countdown/run_v2.sh [OUT_DIR] [CONFIG...]    (from the repository root, after mvn -q -DskipTests package)
# CONFIG names pick rows (default: all but bon-ens-*, which need onnx-models/countdown/export_orm_ensemble.py first:
# the ensemble ORM is 6.6 MB, so it lives in the git-ignored work/ folder).
set -euo pipefail
out="${1:-bench/countdown/out-v2}"; shift || true
jar="${JAR:-server/target/ponder.jar}"
orm=onnx-models/countdown/orm-v2-cached
prm=onnx-models/countdown/prm-v2-cached
mkdir -p "$out"
declare -A cfg=(
  [bon-4]="--algorithm bon --n 4 --orm $orm"
  [bon-16]="--algorithm bon --n 16 --orm $orm"
  [bon-64]="--algorithm bon --n 64 --orm $orm"
  [bon-ens-4]="--algorithm bon --n 4 --orm onnx-models/work/countdown/v2/orm-ens"
  [bon-ens-16]="--algorithm bon --n 16 --orm onnx-models/work/countdown/v2/orm-ens"
  [bon-ens-64]="--algorithm bon --n 64 --orm onnx-models/work/countdown/v2/orm-ens"
  [step-beam-4]="--algorithm step-beam --n 4 --m 2 --prm $prm"
  [step-beam-16]="--algorithm step-beam --n 16 --m 4 --prm $prm"
  [step-beam-64]="--algorithm step-beam --n 64 --m 4 --prm $prm"
  [smc-4]="--algorithm smc --n 4 --prm $prm"
  [smc-16]="--algorithm smc --n 16 --prm $prm"
  [smc-64]="--algorithm smc --n 64 --prm $prm"
  [mcts-4]="--algorithm mcts --n 4 --m 4 --prm $prm"
  [mcts-16]="--algorithm mcts --n 16 --m 4 --prm $prm"
  [mcts-64]="--algorithm mcts --n 64 --m 4 --prm $prm"
)
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(bon-4 bon-16 bon-64 step-beam-4 step-beam-16 step-beam-64 smc-4 smc-16 smc-64 mcts-4 mcts-16 mcts-64)
for name in "${names[@]}"; do
  # shellcheck disable=SC2086
  java -jar "$jar" eval --task countdown --problems onnx-models/countdown/test.jsonl --seed 1 --threads 1 \
    --out "$out/$name.jsonl" ${cfg[$name]} 2> /dev/null | sed "s/^/$name: /" | tee -a "$out/summary.txt"
done
