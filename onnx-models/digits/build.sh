#!/usr/bin/env bash
# Rebuild the whole digits model zoo from scratch (CPU, single-threaded, fixed seeds).
# usage: onnx-models/digits/build.sh        (uses onnx-models/.venv if present, else the current python)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"
if [ -x ../.venv/bin/python ]; then PY=../.venv/bin/python; else PY=python3; fi
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONHASHSEED=0
rm -rf ../work/digits metrics.json
mkdir -p ../work/digits
start=$(date +%s)
step() { echo "== $*"; local t0=$(date +%s); "$PY" "$@"; echo "== $1 took $(( $(date +%s) - t0 ))s"; }
step train_classifiers.py
step train_denoiser.py
step distill_generator.py
step export_reward_grad.py
step evaluate.py
step verify_diffusers.py
step bench_ort.py
echo "== digits build finished in $(( $(date +%s) - start ))s"
