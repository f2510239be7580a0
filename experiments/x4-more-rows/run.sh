#!/usr/bin/env bash
# Setting 2's model of record: the x4 adapter half an epoch more over fresh rows of every tier
# (the x8 build; PLAN.md, fixed before the run), on this CPU (48 min): chosen on the seed-1
# validation split, then evaluated on the two test splits, in setting 3 and --constrained.
#   bash experiments/x4-more-rows/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. experiments/lib.sh
X=experiments/x4-more-rows
X4=$EVAL/edgejson-x4-lora-r16-e3
NAME=edgejson-x4-lora-r16-e3-x8half
XH=$EVAL/$NAME
X8=results/data/edgejson-seed4-x8/train.jsonl

data_x8
data_x2
# The x8 rows share no prompt with the x4 model's training rows nor with any test split.
for other in edgejson-seed0/test edgejson-seed1-x4/test edgejson-seed1-x4/train edgejson-seed2-x2/test; do
  $S data validate $X8 --against results/data/$other.jsonl
done
continue_x4 $NAME $X8 0.5 weights
# The rule's bar: the x4 model on the validation split, on this CPU (made in complex-extra).
evaluate_adapter $X4.on-edgejson-seed1-val.rerun edgejson-x4-lora-r16-e3 --data $VAL1
compare $X/x4-vs-x8half.seed1-val.txt $X4.on-edgejson-seed1-val.rerun $XH.on-edgejson-seed1-val
compare $X/x4-vs-x8half.on-edgejson-test.txt $X4.on-edgejson-test $XH.on-edgejson-test
compare $X/x4-vs-x8half.seed2-test.txt $X4.on-edgejson-seed2-test $XH.on-edgejson-seed2-test
POOL=experiments/data-scaling/pool_evals.py
once $X/edgejson-x4-lora-r16-e3.two-test-splits.txt $PY $POOL $X4.on-edgejson-test \
  $X4.on-edgejson-seed2-test
once $X/$NAME.two-test-splits.txt $PY $POOL $XH.on-edgejson-test $XH.on-edgejson-seed2-test
# Setting 3, and --constrained on our test split.
need_v3
evaluate_adapter $XH.on-v3-heldout $NAME --data $V3/train.jsonl --schemas $V3/schemas --ids $HELD
compare $X/setting3-x4-vs-x8half.txt $X4.on-v3-heldout $XH.on-v3-heldout
evaluate_adapter $XH.on-edgejson-test.constrained $NAME --data $TEST --constrained
compare $X/x8half-unconstrained-vs-constrained.txt $XH.on-edgejson-test $XH.on-edgejson-test.constrained
