#!/usr/bin/env bash
# Setting 1 with whole v3 rows and setting 2 with 8x generated rows, from scratch on a GPU: the
# x8 build (CPU) and, with --gpu, the two trainings side by side (gpu.sh, ~9 min on an H200) and
# the left-padding gradient check. Both trainings diverged in their one run (left-padded batches
# on CUDA; README.md here); training now pads on the right on CUDA. To be rerun.
#   bash experiments/gpu-left-pad/run.sh [--gpu]
set -euo pipefail
cd "$(dirname "$0")/../.."
. experiments/lib.sh
X=experiments/gpu-left-pad
X8=results/data/edgejson-seed4-x8/train.jsonl

# 8x rows for the x8 run, kept off the test split and off its validation split (seed 1).
data_x8
$S data validate $X8 --against $TEST
$S data validate $X8 --against $VAL1
if ((GPU)); then
  need_v3
  mkdir -p runs/gpu-pending
  bash $X/gpu.sh runs/gpu-pending "$V3"
  python3 benchmarks/check_left_pad_grads.py >runs/gpu-pending/check_left_pad_grads.txt
  echo "runs/gpu-pending/{v3,x8}/*.tgz: judge them by the rules in $X/gpu_x8.sh and" \
    "$X/gpu_v3_long.sh, then keep them as results/runs/{train,eval}"
else
  echo "GPU step skipped (--gpu): $X/gpu.sh; its one run is committed as" \
    "$TRAIN/{edgejson-x8-lora-r16-e2,v3-long-lora-r16-e6} and their evals"
fi
