#!/usr/bin/env bash
# One more epoch of the x4 adapter on 480 fresh complex rows (PLAN.md, fixed before the run;
# rejected by its rule): the data, the training (22 min), its evals on the validation split and
# the two test splits, the x4 model's validation eval rerun on the CPU, and the rows it lost.
#   bash experiments/complex-extra/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. experiments/lib.sh
X=experiments/complex-extra
X4=$EVAL/edgejson-x4-lora-r16-e3
CX=$EVAL/edgejson-x4-lora-r16-e3-complex480
COMPLEX=results/data/edgejson-seed3-complex/train.jsonl

data_complex
for other in edgejson-seed0/test edgejson-seed1-x4/test edgejson-seed2-x2/test edgejson-seed1-x4/train; do
  $S data validate $COMPLEX --against results/data/$other.jsonl
done
continue_x4 edgejson-x4-lora-r16-e3-complex480 $COMPLEX 1 noweights
evaluate_adapter $X4.on-edgejson-seed1-val.rerun edgejson-x4-lora-r16-e3 --data $VAL1
compare $X/x4-seed1-h200-vs-cpu.txt $X4.on-edgejson-seed1-val $X4.on-edgejson-seed1-val.rerun
compare $X/x4-vs-complex480.seed1-val.txt $X4.on-edgejson-seed1-val.rerun $CX.on-edgejson-seed1-val
compare $X/x4-vs-complex480.on-edgejson-test.txt $X4.on-edgejson-test $CX.on-edgejson-test
compare $X/x4-vs-complex480.seed2-test.txt $X4.on-edgejson-seed2-test $CX.on-edgejson-seed2-test
once $X/lost-rows.txt $PY $X/lost_rows.py $X4.on-edgejson-seed1-val $CX.on-edgejson-seed1-val \
  $X4.on-edgejson-test $CX.on-edgejson-test $X4.on-edgejson-seed2-test $CX.on-edgejson-seed2-test
