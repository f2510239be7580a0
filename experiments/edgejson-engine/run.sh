#!/usr/bin/env bash
# EdgeJSON through the engine (issue 18, section 4; PLAN.md): cpu30's 2x build made by the data
# engine, the quick recipe trained on it, evaluated on the test split of record and paired with
# cpu30's run on the per-schema generators' 2x build. The 540 MB of weights are not kept.
#   bash experiments/edgejson-engine/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. experiments/lib.sh
X=experiments/edgejson-engine
OLD=results/data/edgejson-seed2-x2   # cpu30's training data (per-schema generators), frozen
NEW=results/data/edgejson-engine-seed2-x2
OUT=$EVAL/quick-engine-x2.on-edgejson-test

data_seed0
build edgejson-engine-seed2-x2 --seed 2 --train 1258 --exclude "$TEST"
once $X/validate-engine-x2.txt $S data validate $NEW/train.jsonl --against "$TEST"
once $X/data-compare.txt $PY $X/compare_data.py $OLD/train.jsonl $NEW/train.jsonl
if [ -f $OUT/results.json ]; then
  echo "done: $OUT"
else
  $S train --model $M --data $NEW/train.jsonl --recipe quick --out runs/quick-engine-x2
  keep_train quick-engine-x2 noweights
  evaluate $OUT --model runs/quick-engine-x2 --data $TEST
fi
compare $X/quick-x2-vs-quick-engine-x2.txt $EVAL/quick-x2.on-edgejson-test $OUT
