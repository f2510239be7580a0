#!/usr/bin/env bash
# [GPU] Does more generated data beat more epochs? The `recommended` LoRA recipe trained on
# larger builds of our generator (other seeds, disjoint from the seed-0 test split through
# `slmbench data build --exclude`), at the same number of training tokens:
#   x2: results/data/edgejson-seed2-x2 (1258 rows), 6 epochs (the recipe as it was then:
#       batches of 8 in one micro-batch, as the flags below keep);
#   x4: results/data/edgejson-seed1-x4 (2516 rows), 3 epochs.
# Each run is evaluated on our test split (setting 2) and on the v3 held-out part (setting 3).
# Ran once on a lent H200, both trainings sharing the GPU, as
#   bash experiments/data-scaling/gpu.sh OUT V3_DIR V3_HELDOUT_IDS
# and leaves OUT/<run>.tgz (run folder without checkpoints, adapter cast to bf16) and OUT/log.txt.
# On a CPU the same trainings run from their recipe files: experiments/data-scaling/run.sh
# (hours: experiments/LOG.md). --lora-dropout 0.05: the recipe as it was then (it has since
# dropped it), so that the script still trains what it trained.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:?usage: gpu_data_scaling.sh OUT V3_DIR V3_HELDOUT_IDS}
V3=${2:?v3 folder}
HELD=${3:?v3 held-out ids}
BUDGET_S=${BUDGET_S:-470}
LOG=$OUT/log.txt
TEST=results/data/edgejson-seed0/test.jsonl

. experiments/gpu_common.sh

job() {
  local name=$1 data=$2 epochs=$3 run=runs/$1
  slm train --model smollm2-135m-instruct --data "$data" --epochs "$epochs" \
    --per-device-batch-size 8 --grad-accum-steps 1 --lora-dropout 0.05 \
    --eval-every-steps 0 --val-generate-rows 0 --save-every-steps 100 --out "$run" \
    >"runs/$name.train.log" 2>&1
  local status=$?
  mv "runs/$name.train.log" "$run/train.log" 2>/dev/null
  ((status == 0)) || return 1
  slm eval --device cuda --batch-size 64 --adapter "$run" --data $TEST \
    --out "$run/test-eval" >"$run/eval.log" 2>&1
  slm eval --device cuda --batch-size 64 --adapter "$run" --data "$V3/train.jsonl" \
    --schemas "$V3/schemas" --ids "$HELD" --out "$run/v3-heldout-eval" >>"$run/eval.log" 2>&1
}

gpu_header "$LOG"

job edgejson-x4-lora-r16-e3 results/data/edgejson-seed1-x4/train.jsonl 3 &
p4=$!
job edgejson-x2-lora-r16-e6 results/data/edgejson-seed2-x2/train.jsonl 6 &
p2=$!
wait_within "$BUDGET_S" "$LOG" $p4 $p2
for name in edgejson-x4-lora-r16-e3 edgejson-x2-lora-r16-e6; do
  tail -n 3 runs/$name/*.log >>"$LOG" 2>&1
  pack $name "$OUT"
done
ls -la "$OUT" >>"$LOG"
