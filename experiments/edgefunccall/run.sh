#!/usr/bin/env bash
# EdgeFuncCall (PLAN.md): generated data, zero-shot and fine-tuned constrained evals on the
# held-out generated rows and on the 56 BFCL sample rows.  [STEP=zs|ft] bash experiments/edgefunccall/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. experiments/lib.sh
D=runs/fc-data
B=../shared/bfcl_sample
STEP=${STEP:-all}  # STEP=zs|shot10|full|ft: one part only
SAMPLES="live_parallel live_parallel_multiple live_relevance"
[ -f $D/manifest.json ] || $S data build --task edgefunccall --out $D --train 1000 --test 400 --seed 0
if [ "$STEP" = all ] || [ "$STEP" = zs ]; then
  evaluate $EVAL/zeroshot-chat.on-fc-gen-val100.constrained --task edgefunccall --model $M \
    --data $D/test.jsonl --limit 100 --prompt chat --constrained --name zeroshot-chat
  if [ -d $B ]; then
    for f in $SAMPLES; do
      evaluate $EVAL/zeroshot-chat.on-bfcl-sample-$f.constrained --task edgefunccall --model $M \
        --data $B/BFCL_v4_$f.json --prompt chat --constrained --name zeroshot-chat
    done
  fi
fi
NAME=fc-lora-r16-e1
if [ "$STEP" = all ] || [ "$STEP" = ft ]; then
  trained $NAME || $S train --task edgefunccall --model $M --data $D/train.jsonl --recipe recommended \
    --prompt-style chat --epochs 1 --max-length 1024 --eval-every-steps 0 --val-generate-rows 0 \
    --name $NAME --out $TRAIN/$NAME
  evaluate $EVAL/$NAME.on-fc-gen-val.constrained --adapter $TRAIN/$NAME --data $D/test.jsonl \
    --constrained --name $NAME
  if [ -d $B ]; then
    for f in $SAMPLES; do
      evaluate $EVAL/$NAME.on-bfcl-sample-$f.constrained --adapter $TRAIN/$NAME \
        --data $B/BFCL_v4_$f.json --constrained --name $NAME
    done
  fi
fi
