#!/usr/bin/env bash
# Rebuilds every model of the zoo from scratch with fixed seeds (CPU, one thread per training script).
#   ./build_all.sh                 (from anywhere; uses onnx-models/.venv unless PYTHON is set)
# Step times are appended to work/build_times.txt.
set -euo pipefail
cd "$(dirname "$0")"
PY="${PYTHON:-$PWD/.venv/bin/python}"
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONHASHSEED=0
mkdir -p work
LOG="$PWD/work/build_times.txt"  # absolute: the steps below cd into countdown/
echo "== build_all $(date -u +%FT%TZ)" >> "$LOG"

step() {
  local name="$1"; shift
  local t0=$SECONDS
  echo ">> $name"
  "$@"
  echo "$name: $((SECONDS - t0)) s" | tee -a "$LOG"
}

step tiny-gpt2            "$PY" tiny-gpt2/build.py
cd countdown
step countdown-splits     "$PY" make_data.py
step countdown-vectors    "$PY" make_vectors.py
step countdown-policy     "$PY" train_policy.py
step countdown-export     "$PY" export_policy.py
step countdown-eval       "$PY" eval_policy.py
step countdown-samples    "$PY" sample_policy.py
step countdown-orm        "$PY" train_orm.py
step countdown-orm-cached "$PY" export_orm_cached.py
step countdown-policy-int8 "$PY" quantize_int8.py
step countdown-policy-gqa  "$PY" export_gqa_policy.py
step countdown-prm        "$PY" train_prm.py
step countdown-beam       "$PY" beam_golden.py
# v2 verifiers: data drawn with Ponder (needs bench/target/benchmarks.jar: mvn -q -DskipTests package)
step countdown-verifier-data "$PY" sample_verifier_data.py
step countdown-orm-v2     "$PY" train_orm_v2.py
step countdown-prm-v2     "$PY" train_prm_v2.py
# PRM v3 (issue 17): ~2x the rolled-out train prefixes (samples 12-31 of problems 0-999, samples 0-11 of 1200-1599);
# --reuse keeps the v2 files above and redraws only train_samples (1,600 problems) and the new rollouts
step countdown-verifier-data-v3 "$PY" sample_verifier_data.py --n-train 1600 --reuse --extra2
step countdown-prm-v3     "$PY" train_prm_v3.py
cd ..
if [ -f digits/build.sh ]; then
  step digits bash digits/build.sh
fi
# llama-tiny needs its own venv (onnxruntime-genai's builder wants transformers 5): requirements-genai.txt
# and so does the trained Llama Countdown policy (countdown/policy-llama): training (the committed one: 2,200 steps),
# then the genai-fp32 / genai-int4 / optimum exports and golden.json. Both run from onnx-models/.
if [ -x .venv-genai/bin/python ]; then
  step llama-tiny .venv-genai/bin/python llama-tiny/build.py
  step countdown-policy-llama        .venv-genai/bin/python countdown/train_llama_policy.py --steps 2200 --eval-every 550
  step countdown-policy-llama-export .venv-genai/bin/python countdown/export_llama_policy.py
else
  echo ">> llama-tiny, countdown-policy-llama (+ export) skipped: no .venv-genai (see requirements-genai.txt)"
fi
echo "all models built; times in $LOG"
