#!/usr/bin/env bash
# More generated data (setting 2): the recommended LoRA (as it then stood, LoRA dropout 0.05) on
# 2x and 4x builds at equal training tokens, the x4 model on two more test splits (pooled), in
# setting 3, and a CPU check of its GPU eval. Trained and evaluated on a lent H200 with gpu.sh;
# here the same trainings from their recipe files (--gpu: on CUDA; on this CPU ~3 h each).
#   bash experiments/data-scaling/run.sh [--gpu]
set -euo pipefail
cd "$(dirname "$0")/../.."
. experiments/lib.sh
X=experiments/data-scaling
X4=edgejson-x4-lora-r16-e3
X2=edgejson-x2-lora-r16-e6

data_x4
data_x2
for d in edgejson-seed1-x4 edgejson-seed2-x2; do
  $S data validate results/data/$d/train.jsonl --against $TEST
done
# The x2 adapter's weights were not kept (its evals are committed).
train_run $X4 weights --model $M --data results/data/edgejson-seed1-x4/train.jsonl \
  --config $TRAIN/$X4/recipe.json
train_run $X2 noweights --model $M --data results/data/edgejson-seed2-x2/train.jsonl \
  --config $TRAIN/$X2/recipe.json
# shellcheck disable=SC2046
evaluate_adapter $EVAL/$X4.on-edgejson-test $X4 --data $TEST $(gpu_flags)
# shellcheck disable=SC2046
evaluate_adapter $EVAL/$X2.on-edgejson-test $X2 --data $TEST $(gpu_flags)

# A second test split, the x4 build's own 158 rows (seed 1), kept off the seed-0 test split; it
# later became the validation split of gpu-left-pad's x8 run and of x4-more-rows. Its H200 eval
# ran in the gpu-left-pad lease.
$S data validate $VAL1 --against $TEST
# shellcheck disable=SC2046
evaluate_adapter $EVAL/$X4.on-edgejson-seed1-val $X4 --data $VAL1 $(gpu_flags)
# A third test split, the x2 build's own 158 rows (seed 2): no prompt shared with the x4 model's
# training rows or with the two other test splits.
for other in edgejson-seed1-x4/train edgejson-seed1-x4/test edgejson-seed0/test; do
  $S data validate $TEST2 --against results/data/$other.jsonl
done
evaluate_adapter $EVAL/$X4.on-edgejson-seed2-test $X4 --data $TEST2 --threads 1
once $X/$X4.three-test-splits.txt $PY $X/pool_evals.py $EVAL/$X4.on-edgejson-test \
  $EVAL/$X4.on-edgejson-seed1-val $EVAL/$X4.on-edgejson-seed2-test

# Setting 3 of the x4 model (CPU), and a CPU check of its GPU eval on the 8 longest test rows.
need_v3
evaluate_adapter $EVAL/$X4.on-v3-heldout $X4 --data $V3/train.jsonl --schemas $V3/schemas \
  --ids $HELD --threads 1
evaluate_adapter $EVAL/$X4.on-edgejson-test-first-batch $X4 --data $TEST --ids $FIRST_BATCH --threads 1
compare $X/edgejson-lora-r16-e6-vs-x4-e3.txt $EVAL/edgejson-lora-r16-e6.on-edgejson-test \
  $EVAL/$X4.on-edgejson-test
compare $X/edgejson-x2-e6-vs-x4-e3.txt $EVAL/$X2.on-edgejson-test $EVAL/$X4.on-edgejson-test
compare $X/setting3-edgejson-lora-r16-e6-vs-x4-e3.txt $EVAL/edgejson-lora-r16-e6.on-v3-heldout \
  $EVAL/$X4.on-v3-heldout
