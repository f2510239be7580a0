#!/usr/bin/env bash
# specialize from the 25 v3 schema files + 10 labelled v3 rows per schema (PLAN.md), starting
# from the EdgeJSON model of record, then evaluate the extractor once on the 126 held-out v3 rows.
#   [STEP=ex10|schema-only] [THREADS=1] bash experiments/specialize-v3/run.sh
# The held-out evals run on the llamacpp backend (the adapter merged, GGUF Q8_0): batched, a
# sequence that runs on to the 4,096-token cap holds only its own slot (PLAN.md, run notes).
set -euo pipefail
cd "$(dirname "$0")/../.."
. experiments/lib.sh
X=experiments/specialize-v3
OUT=runs/specialize-v3-ex10   # the adapter and GGUF stay out of git; results are copied below
NAME=v3-specialized-ex10
STEP=${STEP:-all}

need_v3
if [ "$STEP" = all ] || [ "$STEP" = ex10 ]; then
once $X/examples-10.jsonl $PY $X/pick_examples.py $V3/train.jsonl $HELD 10 0
$S specialize --schema $V3/schemas --examples $X/examples-10.jsonl \
  --init-adapter $TRAIN/edgejson-x4-lora-r16-e3-x8half --budget-minutes 70 --n-test 30 --out $OUT
evaluate $EVAL/$NAME.on-v3-heldout.constrained --adapter $OUT --data $V3/train.jsonl \
  --schemas $V3/schemas --ids $HELD --max-new-tokens 4096 --constrained --name $NAME \
  --backend llamacpp
cp $OUT/specialize.json $OUT/model_card.md $X/
for e in eval-synthetic eval-examples; do
  mkdir -p $EVAL/$NAME.$e
  cp $OUT/$e/results.json $OUT/$e/run_config.json $OUT/$e/predictions.jsonl $EVAL/$NAME.$e/
done
fi

# Part 2 (PLAN.md): the same from the schema files alone
OUT0=runs/specialize-v3-schema-only
NAME0=v3-specialized-schema-only
[ "$STEP" = all ] || [ "$STEP" = schema-only ] || exit 0
$S specialize --schema $V3/schemas --init-adapter $TRAIN/edgejson-x4-lora-r16-e3-x8half \
  --budget-minutes 70 --n-test 30 --out $OUT0
evaluate $EVAL/$NAME0.on-v3-heldout.constrained --adapter $OUT0 --data $V3/train.jsonl \
  --schemas $V3/schemas --ids $HELD --max-new-tokens 4096 --constrained --name $NAME0 \
  --backend llamacpp
mkdir -p $X/schema-only $EVAL/$NAME0.eval-synthetic
cp $OUT0/specialize.json $OUT0/model_card.md $X/schema-only/
cp $OUT0/eval-synthetic/results.json $OUT0/eval-synthetic/run_config.json \
  $OUT0/eval-synthetic/predictions.jsonl $EVAL/$NAME0.eval-synthetic/
