#!/usr/bin/env bash
# The digits table of bench/README.md: every steering algorithm on the 10 classes x COUNT images (seed 1), then the
# summary rows and one PNG grid per algorithm (a row per class).
#   bench/digits/run.sh [OUT_DIR] [COUNT]        (from the repository root, after mvn -q -DskipTests package)
set -euo pipefail
out="${1:-bench/digits/out}"
count="${2:-20}"
jar="${JAR:-server/target/ponder.jar}"
mkdir -p "$out"
run() {  # name, then eval options
  local name="$1"; shift
  for k in 0 1 2 3 4 5 6 7 8 9; do
    java -jar "$jar" eval --task digits --target-class "$k" --count "$count" --seed 1 \
      --out "$out/${name}_$k.jsonl" --png "$out/${name}_$k.png" "$@" > /dev/null 2>&1
  done
  python3 bench/digits/summarize.py "$name" "$out"/"${name}"_[0-9].jsonl
  python3 bench/digits/grid.py "$out/grid_$name.png" "$out"/"${name}"_[0-9].jsonl
}
run unsteered     --algorithm unsteered
run bon-8         --algorithm bon --particles 8
run bon-16        --algorithm bon --particles 16
run fk-4          --algorithm fk --particles 4
run fk-8          --algorithm fk --particles 8
run fk-8-noisy    --algorithm fk --particles 8 --fk-reward noisy
run fk-8-x0draws  --algorithm fk --particles 8 --fk-reward x0-samples
run zo            --algorithm zo --rounds 4 --neighbours 2
run reno-50       --algorithm reno --iterations 50
run spsa-50       --algorithm spsa --iterations 50
