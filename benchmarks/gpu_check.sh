#!/usr/bin/env bash
# Issue 7's device check in one call: the fused kernels' tests on the GPU, then the loss tables.
# The device image has torch, triton, pytest and pyyaml; norton is used from the checkout.
# Usage: bash benchmarks/gpu_check.sh [OUT_DIR]. The steps' timeouts add up to 590 s, so the
# whole check fits one device call (timeout_s=600); the most important steps come first.
set -uo pipefail
out=${1:-${OUT:-runs/gpu_check}}
mkdir -p "$out"
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD HF_HUB_OFFLINE=1
step() { echo "== $*"; }

step environment
python3 -c "import torch, triton; print('torch', torch.__version__, 'triton', triton.__version__, torch.cuda.get_device_name())" \
  | tee "$out/environment.txt"

step "tests of the fused paths, compiled (bf16 included)"
timeout 150 python3 -m pytest -q -p no:cacheprovider tests/test_fused.py tests/test_fused_ot.py \
  tests/test_similarity.py tests/test_ot.py 2>&1 | tail -15 | tee "$out/tests.txt"

step "N=1024, all paths and dtypes, whole loss (issue target: fused bf16 <= 8 ms, <= 0.5 GiB)"
timeout 200 python3 benchmarks/loss_speed.py --sizes 1024 --variants paper --repeats 5 | tee "$out/loss_1024.md"

step "large N, fused bf16 (N=8192 must fit in 80 GB)"
timeout 90 python3 benchmarks/loss_speed.py --sizes 2048 8192 --dtypes bfloat16 --variants paper \
  --paths fused --repeats 2 | tee "$out/loss_large.md"

step "the soft maximum alone, fused bf16, five tile shapes (WORDS FRAMES CAPTIONS CLIPS DIM WARPS STAGES)"
for blocks in "128 64 8 8 64 8 3" "128 128 8 16 64 8 3" "64 128 4 16 64 8 3" "64 64 4 8 64 4 3" "128 64 8 8 32 8 4"; do
  timeout 30 python3 benchmarks/loss_speed.py --part similarity --sizes 1024 --dtypes bfloat16 \
    --variants paper --paths fused --repeats 5 --blocks $blocks | tail -1
done | tee "$out/blocks.md"
