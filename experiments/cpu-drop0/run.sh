#!/usr/bin/env bash
# LoRA dropout 0 (PLAN.md, fixed before the run): dropout's cost per training step on this CPU
# (bench_train, both orders), then the recommended recipe trained with dropout 0 on the CPU
# (73.6 min), scored on the search's 63 validation rows (the rule) and on our test split.
#   bash experiments/cpu-drop0/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. experiments/lib.sh
X=experiments/cpu-drop0
NAME=edgejson-lora-r16-e6-drop0-cpu
VAL=$EVAL/$NAME.on-edgejson-seed0-val
OUT=$EVAL/$NAME.on-edgejson-test

data_seed0
if [ -s $X/bench_train-lora-dropout.txt ]; then
  echo "done: $X/bench_train-lora-dropout.txt"
else
  for d in 0.05 0 0 0.05; do
    cmd=($PY benchmarks/bench_train.py --recipe recommended --data $DATA/train.jsonl --methods lora
      --precisions fp32 --steps 8 --max-length 1536 --set prompt_style=chat-schema
      --set lora_dropout=$d)
    echo "\$ ${cmd[*]}" && "${cmd[@]}" && echo
  done >$X/bench_train-lora-dropout.txt
fi
if [ -f $VAL/results.json ] && [ -f $OUT/results.json ]; then
  echo "done: $VAL, $OUT"
else
  $S train --model $M --data $DATA/train.jsonl --recipe recommended --lora-dropout 0 \
    --val-fraction 0.1 --out runs/$NAME
  keep_train $NAME noweights
  evaluate $VAL --adapter runs/$NAME --data $DATA/train.jsonl --ids runs/$NAME/val_ids.json
  evaluate $OUT --adapter runs/$NAME --data $TEST
fi
compare $X/recommended-dropout-0.05-h200-vs-0-cpu.val.txt \
  $EVAL/edgejson-lora-r16-e6.on-edgejson-seed0-val $VAL
compare $X/recommended-cpu-dropout-0.05-vs-0.txt $EVAL/edgejson-lora-r16-e6-cpu.on-edgejson-test $OUT
