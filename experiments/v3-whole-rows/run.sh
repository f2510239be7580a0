#!/usr/bin/env bash
# Setting 1: its adapter one more epoch on the same v3 rows kept whole (PLAN.md, fixed before the
# run; the new model of record whatever it scored), on this CPU (43.5 min of training, 42.8 of
# eval), with the token lengths that motivated it.
#   bash experiments/v3-whole-rows/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. experiments/lib.sh
X=experiments/v3-whole-rows
NAME=v3-lora-r16-e6-whole1

need_v3
once $X/v3-token-lengths.txt $PY $X/v3_token_lengths.py $V3 $HELD
train_run $NAME weights --model $M --data $V3/train.jsonl --schemas $V3/schemas \
  --config $TRAIN/v3-lora-r16-e6/recipe.json --init-adapter $TRAIN/v3-lora-r16-e6 \
  --val-fraction 0.2 --epochs 1 --learning-rate 5e-4 --max-length 6144 --token-budget 8192 \
  --gradient-checkpointing true --eval-every-steps 0 --val-generate-rows 0 --save-every-steps 20
# the same held-out ids as setting 1's model before it
$PY -c 'import json, sys; a, b = (sorted(json.load(open(p))["ids"]) for p in sys.argv[1:]); sys.exit(a != b)' \
  $TRAIN/$NAME/val_ids.json $HELD
evaluate_adapter $EVAL/$NAME.on-v3-heldout $NAME --data $V3/train.jsonl --schemas $V3/schemas \
  --ids $HELD --max-new-tokens 4096
compare $X/v3-e6-vs-whole1.on-v3-heldout.txt $EVAL/v3-lora-r16-e6.on-v3-heldout \
  $EVAL/$NAME.on-v3-heldout
