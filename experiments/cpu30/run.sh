#!/usr/bin/env bash
# Training on this CPU in under 30 minutes: the quick recipe (one epoch of full fine-tuning,
# chat prompt) over the 2x build, and its eval on our test split, paired with the main job's
# quick model (629 rows). The 540 MB of weights are not kept.
#   bash experiments/cpu30/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. experiments/lib.sh
X=experiments/cpu30
OUT=$EVAL/quick-x2.on-edgejson-test

data_x2
if [ -f $OUT/results.json ]; then
  echo "done: $OUT"
else
  $S train --model $M --data results/data/edgejson-seed2-x2/train.jsonl --recipe quick --out runs/quick-x2
  keep_train quick-x2 noweights
  evaluate $OUT --model runs/quick-x2 --data $TEST
fi
compare $X/quick-1x-vs-quick-x2-cpu.txt $EVAL/quick.on-edgejson-test $OUT
