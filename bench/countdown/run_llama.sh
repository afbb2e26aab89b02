#!/usr/bin/env bash
# issue 19: the trained Llama Countdown policy (onnx-models/countdown/policy-llama) in its three exports, greedy and
# best-of-16 with the rule checker, seed 1, one ONNX Runtime thread, one configuration at a time (wall_ms compares).
#   bench/countdown/run_llama.sh [OUT_DIR] [LIMIT]    (from the repository root, after mvn -q -DskipTests package)
set -euo pipefail
out="${1:-bench/countdown/out-llama}"
limit="${2:-500}"
jar="${JAR:-server/target/ponder.jar}"
mkdir -p "$out"
one() {  # name, policy dir, then eval options
  local name="$1" policy="$2"; shift 2
  java -jar "$jar" eval --task countdown --problems onnx-models/countdown/test.jsonl --seed 1 --threads 1 \
    --limit "$limit" --policy "onnx-models/countdown/$policy" --out "$out/$name.jsonl" "$@" 2> /dev/null \
    | sed "s/^/$name: /"
}
for layout in genai-fp32 genai-int4 optimum; do
  one "greedy-$layout" "policy-llama/$layout" --algorithm greedy
  one "bon-checker-16-$layout" "policy-llama/$layout" --algorithm bon --n 16 --verifier checker
done | tee "$out/summary.txt"
