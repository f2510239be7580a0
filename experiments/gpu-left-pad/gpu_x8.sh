#!/usr/bin/env bash
# [GPU] Setting 2 with 8x generated rows, chosen on validation data. Run once (2026-11-26):
# training diverged with left-padded batches on CUDA (experiments/gpu-left-pad/); training now pads
# on the right there. To be rerun.
# results/data/edgejson-seed4-x8 (5032 rows) is kept off the seed-0 test split and off
# results/data/edgejson-seed1-x4/test.jsonl, which serves as the validation split: 158 rows
# that neither the x4 nor the x8 model trained on.
#   bash experiments/gpu-left-pad/gpu_x8.sh OUT [EPOCHS]
# trains the `recommended` LoRA for EPOCHS (default 2: 3.7M tokens, ~6 min on an H200) on the
# x8 build, and scores it and the x4 model on the validation split; the x8 model is
# also scored on the test split. Rule fixed before the run: the model with the higher
# validation JSONExact is setting 2's model of record. Since then the x4 adapter trained half an
# epoch more over this build on a CPU (experiments/x4-more-rows/) became the record, with 143 of 158
# validation rows: the x8 model replaces it only with more than 143.
# Leaves OUT/<run>.tgz (adapter in bf16, evals inside), OUT/x4-val-eval.tgz and OUT/log.txt.
# --lora-dropout 0.05: the models of record's setting (recommended has since dropped it), so
# that this experiment changes one thing only.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:?usage: gpu_x8.sh OUT [EPOCHS]}
EPOCHS=${2:-2}
BUDGET_S=${BUDGET_S:-540}
LOG=$OUT/log.txt
NAME=edgejson-x8-lora-r16-e$EPOCHS
VAL=results/data/edgejson-seed1-x4/test.jsonl
TEST=results/data/edgejson-seed0/test.jsonl
. experiments/gpu_common.sh

x8() {
  local run=runs/$NAME
  slm train --model smollm2-135m-instruct --data results/data/edgejson-seed4-x8/train.jsonl \
    --epochs "$EPOCHS" --per-device-batch-size 8 --grad-accum-steps 1 --lora-dropout 0.05 \
    --eval-every-steps 0 --val-generate-rows 0 --save-every-steps 100 --out "$run" \
    >"runs/$NAME.train.log" 2>&1
  local status=$?
  mv "runs/$NAME.train.log" "$run/train.log" 2>/dev/null
  ((status == 0)) || return 1
  slm eval --device cuda --batch-size 64 --adapter "$run" --data $VAL --out "$run/val-eval" \
    >"$run/eval.log" 2>&1
  slm eval --device cuda --batch-size 64 --adapter "$run" --data $TEST --out "$run/test-eval" \
    >>"$run/eval.log" 2>&1
}

x4_val() {
  slm eval --device cuda --batch-size 64 --adapter results/runs/train/edgejson-x4-lora-r16-e3 \
    --data $VAL --out runs/x4-val-eval >runs/x4-val-eval.log 2>&1
}

gpu_header "$LOG"
x8 &
p8=$!
x4_val &
wait_within "$BUDGET_S" "$LOG" $p8 $!
tail -n 3 runs/$NAME/*.log runs/x4-val-eval.log >>"$LOG" 2>&1
pack "$NAME" "$OUT"
tar czf "$OUT/x4-val-eval.tgz" -C runs x4-val-eval
ls -la "$OUT" >>"$LOG"
