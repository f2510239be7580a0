#!/usr/bin/env bash
# Zero-shot baselines of the embedded SmolLM2-135M-Instruct: our test split in each prompt style,
# and the v3 held-out rows (settings 1 and 3), with a 256-token generation cap. CPU, ~1 h.
#   bash experiments/zero-shot/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. experiments/lib.sh

# Our benchmark (committed: same seed, same bytes).
data_seed0
$S data validate $DATA/train.jsonl --against $TEST
for style in paper chat chat-schema; do
  evaluate $EVAL/zeroshot-$style.on-edgejson-test --model $M --data $TEST --prompt $style \
    --max-new-tokens 256 --threads 1
done
need_v3
evaluate $EVAL/zeroshot-chat-schema.on-v3-heldout --model $M --data $V3/train.jsonl \
  --schemas $V3/schemas --ids $HELD --prompt chat-schema --max-new-tokens 256 --threads 1
