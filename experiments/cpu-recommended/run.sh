#!/usr/bin/env bash
# The recommended recipe as it stood at commit f27bded (LoRA dropout 0.05, batches of 8 as two
# micro-batches of 4) trained from start to end on this 2-core CPU (95.9 min), and its eval on
# our test split, paired with the H200 run of the same recipe. The weights are not kept.
#   bash experiments/cpu-recommended/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. experiments/lib.sh
X=experiments/cpu-recommended
NAME=edgejson-lora-r16-e6-cpu
OUT=$EVAL/$NAME.on-edgejson-test

data_seed0
if [ -f $OUT/results.json ]; then
  echo "done: $OUT"
else
  # Run then as `--recipe recommended`; its recipe.json is that recipe, resolved.
  $S train --model $M --data $DATA/train.jsonl --config $TRAIN/$NAME/recipe.json --val-fraction 0.1 \
    --out runs/$NAME
  keep_train $NAME noweights
  evaluate $OUT --adapter runs/$NAME --data $TEST
fi
compare $X/recommended-h200-vs-cpu.txt $EVAL/edgejson-lora-r16-e6.on-edgejson-test $OUT
