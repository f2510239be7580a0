#!/usr/bin/env bash
# EdgeFuncCall (PLAN.md): generated data, zero-shot and fine-tuned constrained evals on the
# held-out generated rows and on the 56 BFCL sample rows.  [STEP=zs|ft|more] bash experiments/edgefunccall/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. experiments/lib.sh
D=runs/fc-data
B=../shared/bfcl_sample
STEP=${STEP:-all}  # STEP=zs|ft|more: one part only
SAMPLES="live_parallel live_parallel_multiple live_relevance"
# sample_evals NAME ARGS...: NAME's model (ARGS: its --model or --adapter flags) evaluated,
# constrained, on each BFCL sample file into $EVAL/NAME.on-bfcl-sample-FILE.constrained; none
# where the sample is absent.
sample_evals() {
  local name=$1 f
  shift
  [ -d $B ] || return 0
  for f in $SAMPLES; do
    evaluate "$EVAL/$name.on-bfcl-sample-$f.constrained" "$@" --data "$B/BFCL_v4_$f.json" \
      --constrained --name "$name"
  done
}
[ -f $D/manifest.json ] || $S data build --task edgefunccall --out $D --train 1000 --test 400 --seed 0
if [ "$STEP" = all ] || [ "$STEP" = zs ]; then
  evaluate $EVAL/zeroshot-chat.on-fc-gen-val100.constrained --task edgefunccall --model $M \
    --data $D/test.jsonl --limit 100 --prompt chat --constrained --name zeroshot-chat
  sample_evals zeroshot-chat --task edgefunccall --model $M --prompt chat
fi
NAME=fc-lora-r16-e1
if [ "$STEP" = all ] || [ "$STEP" = ft ]; then
  trained $NAME || $S train --task edgefunccall --model $M --data $D/train.jsonl --recipe recommended \
    --prompt-style chat --epochs 1 --max-length 1024 --eval-every-steps 0 --val-generate-rows 0 \
    --name $NAME --out $TRAIN/$NAME
  evaluate $EVAL/$NAME.on-fc-gen-val.constrained --adapter $TRAIN/$NAME --data $D/test.jsonl \
    --constrained --name $NAME
  sample_evals $NAME --adapter $TRAIN/$NAME
fi

# Part 2 (PLAN.md): continue on 2,000 fresh rows (seed 1), held-out requests dropped
MORE=fc-lora-r16-e1-plus2k
D1=runs/fc-data-s1
if [ "$STEP" = all ] || [ "$STEP" = more ]; then
  [ -f $D1/manifest.json ] || $S data build --task edgefunccall --out $D1 --train 2000 --test 10 --seed 1
  once $D1/train-minus-val.jsonl $PY experiments/edgefunccall/drop_overlap.py $D1/train.jsonl \
    $D/test.jsonl
  trained $MORE || $S train --task edgefunccall --model $M --data $D1/train-minus-val.jsonl \
    --init-adapter $TRAIN/$NAME --recipe recommended --prompt-style chat --epochs 1 \
    --max-length 1024 --eval-every-steps 0 --val-generate-rows 0 --name $MORE --out $TRAIN/$MORE
  evaluate $EVAL/$MORE.on-fc-gen-val.constrained --adapter $TRAIN/$MORE --data $D/test.jsonl \
    --constrained --name $MORE
  sample_evals $MORE --adapter $TRAIN/$MORE
fi
