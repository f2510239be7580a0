#!/usr/bin/env bash
# The exact commands behind every file under results/ (see results/README.md).
# Each step resumes when rerun. Needs ../shared/edgejson_v3 for the v3 settings.
set -euo pipefail
cd "$(dirname "$0")/.."
S=.venv/bin/slmbench
V3=../shared/edgejson_v3
M=smollm2-135m-instruct
DATA=results/data/edgejson-seed0

# Our benchmark (committed: same seed, same bytes).
$S data build --out $DATA --seed 0
$S data validate $DATA/train.jsonl --against $DATA/test.jsonl

# Zero-shot baselines of the embedded model on our test split, each prompt style.
for style in paper chat chat-schema; do
  $S eval --model $M --data $DATA/test.jsonl --prompt $style --out results/zero-shot/edgejson-$style
done

# Setting 2: train on our training split (10% held out for validation), evaluate on our test split.
$S train --model $M --data $DATA/train.jsonl --recipe recommended --val-fraction 0.1 \
  --out results/train/edgejson-lora-r16
$S eval --adapter results/train/edgejson-lora-r16 --data $DATA/test.jsonl \
  --out results/finetuned/edgejson-lora-r16.on-edgejson-test
$S compare results/zero-shot/edgejson-chat results/finetuned/edgejson-lora-r16.on-edgejson-test

if [ -f $V3/train.jsonl ]; then
  # Setting 1: train on the original v3 training split, 20% held out, evaluate on that part.
  $S train --model $M --data $V3/train.jsonl --schemas $V3/schemas --recipe recommended \
    --val-fraction 0.2 --out results/train/v3-lora-r16
  HELD=results/train/v3-lora-r16/val_ids.json
  $S eval --adapter results/train/v3-lora-r16 --data $V3/train.jsonl --schemas $V3/schemas \
    --ids $HELD --out results/finetuned/v3-lora-r16.on-v3-heldout
  $S eval --model $M --data $V3/train.jsonl --schemas $V3/schemas --ids $HELD \
    --out results/zero-shot/v3-heldout-chat
  # Setting 3: the model trained on our data, evaluated on the held-out part of v3.
  $S eval --adapter results/train/edgejson-lora-r16 --data $V3/train.jsonl --schemas $V3/schemas \
    --ids $HELD --out results/finetuned/edgejson-lora-r16.on-v3-heldout
fi

# The committed report.
$S report results --data $DATA --out docs/report
