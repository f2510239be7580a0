#!/usr/bin/env bash
# The first CPU training: one epoch of the LoRA recipe as it then stood (4 x 2 batches, token
# budget 2048), 66 min on one thread, and its eval on our test split. CPU.
#   bash experiments/lora-cpu-1epoch/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. experiments/lib.sh

data_seed0
# Trained with the `recommended` recipe of commit 23d2020; its resolved recipe.json replays it.
train_run edgejson-lora-r16 noweights --model $M --data $DATA/train.jsonl \
  --config $TRAIN/edgejson-lora-r16/recipe.json --val-fraction 0.1
evaluate_adapter $EVAL/edgejson-lora-r16.on-edgejson-test edgejson-lora-r16 --data $TEST --threads 1
