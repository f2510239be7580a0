#!/usr/bin/env bash
# EdgeIntent (PLAN.md): data, zero-shot constrained on 4 rows per intent, 10-shot and full-data
# fine-tunes evaluated on the 1,998 validation rows.  [STEP=zs|shot10|full] bash experiments/edgeintent/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. experiments/lib.sh
X=experiments/edgeintent
D=runs/banking77
STEP=${STEP:-all}  # STEP=zs|shot10|full|ft: one part only
[ -f ../shared/banking77/train.csv ] || { echo "needs ../shared/banking77/train.csv" >&2; exit 2; }
[ -f $D/manifest.json ] || $S data build --task edgeintent --source ../shared/banking77/train.csv --out $D
once $X/val-4-per-intent.json $PY $X/pick_ids.py $D/test.jsonl 4
if [ "$STEP" = all ] || [ "$STEP" = zs ]; then
  evaluate $EVAL/zeroshot-chat-schema.on-banking77-val4.constrained --task edgeintent --model $M \
    --data $D/test.jsonl --ids $X/val-4-per-intent.json --prompt chat-schema --constrained \
    --name zeroshot-chat-schema
fi
ft() {  # NAME DATA EPOCHS
  trained $1 || $S train --task edgeintent --model $M --data $2 --recipe recommended \
    --prompt-style chat --epochs $3 --max-length 256 --eval-every-steps 0 --val-generate-rows 0 \
    --name $1 --out $TRAIN/$1
  evaluate $EVAL/$1.on-banking77-val.constrained --adapter $TRAIN/$1 --data $D/test.jsonl \
    --constrained --name $1
}
if [ "$STEP" = all ] || [ "$STEP" = shot10 ]; then ft intent-10shot-lora-r16-e3 $D/train_10shot.jsonl 3; fi
if [ "$STEP" = all ] || [ "$STEP" = full ]; then ft intent-lora-r16-e1 $D/train.jsonl 1; fi
