#!/usr/bin/env bash
# [GPU] Setting 1 with whole v3 rows. Run once (2026-11-26): training diverged with left-padded
# batches on CUDA (experiments/gpu-left-pad/); training now pads on the right there. To be rerun.
# Its CPU version, one more epoch of v3-lora-r16-e6 on whole rows (experiments/v3-whole-rows/), did
# not help (68.3% vs 69.0%); this from-scratch run is still the open question.
# results/runs/train/v3-lora-r16-e6 trained with max length 1536:
# 39 of the 70 complex training rows were cut or dropped (their chat-schema prompt + answer
# reaches 5153 tokens), and its
# eval capped generation at 1024 tokens, below the gold answer of 3 of the 17 held-out complex
# rows (1430-2481 tokens). Here every row is kept whole (max length 6144) and the eval
# budget is 4096 (per row: min(4096, 1.5 x gold tokens + 16)); otherwise the same
# `recommended` LoRA for 6 epochs on the same 80% (--val-fraction 0.2, seed 0: the same
# held-out ids, checked below). One configuration, fixed before the run: the held-out part is
# setting 1's test, so nothing is chosen on it.
#   bash experiments/gpu-left-pad/gpu_v3_long.sh OUT V3_DIR
# leaves OUT/<run>.tgz (adapter in bf16, val-eval inside) and OUT/log.txt.
# --lora-dropout 0.05: the models of record's setting (recommended has since dropped it), so
# that this experiment changes one thing only.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:?usage: gpu_v3_long.sh OUT V3_DIR}
V3=${2:?v3 folder}
BUDGET_S=${BUDGET_S:-480}
LOG=$OUT/log.txt
. experiments/gpu_common.sh

job() {
  local name=$1 epochs=$2 run=runs/$1
  slm train --model smollm2-135m-instruct --data "$V3/train.jsonl" --schemas "$V3/schemas" \
    --val-fraction 0.2 --epochs "$epochs" --max-length 6144 --lora-dropout 0.05 \
    --eval-every-steps 0 --val-generate-rows 0 --save-every-steps 100 --out "$run" \
    >"runs/$name.train.log" 2>&1
  local status=$?
  mv "runs/$name.train.log" "$run/train.log" 2>/dev/null
  ((status == 0)) || return 1
  slm eval --device cuda --batch-size 32 --adapter "$run" --data "$V3/train.jsonl" \
    --schemas "$V3/schemas" --ids "$run/val_ids.json" --max-new-tokens 4096 \
    --out "$run/v3-heldout-eval" >"$run/eval.log" 2>&1
}

gpu_header "$LOG"
job v3-long-lora-r16-e6 6 &
wait_within "$BUDGET_S" "$LOG" $!
python3 -c 'import json, sys; a, b = (json.load(open(p))["ids"] for p in sys.argv[1:]); print("same held-out ids:", sorted(a) == sorted(b))' \
  runs/v3-long-lora-r16-e6/val_ids.json results/runs/train/v3-lora-r16-e6/val_ids.json >>"$LOG" 2>&1
for name in v3-long-lora-r16-e6; do
  tail -n 3 runs/$name/*.log >>"$LOG" 2>&1
  pack $name "$OUT"
done
ls -la "$OUT" >>"$LOG"
