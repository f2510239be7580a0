#!/usr/bin/env bash
# torch's dynamic int8 quantisation of every linear layer (--dtype int8-dynamic) on the x4
# model: its accuracy on our test split, paired with fp32 (its speed is in experiments/bench).
# CPU, one thread.
#   bash experiments/int8/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. experiments/lib.sh
X=experiments/int8
X4=edgejson-x4-lora-r16-e3

data_seed0
evaluate_adapter $EVAL/$X4.on-edgejson-test.int8-dynamic $X4 --data $TEST --dtype int8-dynamic \
  --threads 1
compare $X/edgejson-x4-e3-fp32-vs-int8-dynamic.txt $EVAL/$X4.on-edgejson-test \
  $EVAL/$X4.on-edgejson-test.int8-dynamic
