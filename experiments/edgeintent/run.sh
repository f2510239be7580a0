#!/usr/bin/env bash
# EdgeIntent (PLAN.md): data, zero-shot constrained on 4 rows per intent, 10-shot and full-data
# fine-tunes evaluated on the 1,998 validation rows.  [STEP=zs|shot10|full|e2] bash experiments/edgeintent/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. experiments/lib.sh
X=experiments/edgeintent
D=runs/banking77
STEP=${STEP:-all}  # STEP=zs|shot10|full|e2: one part only
[ -f ../shared/banking77/train.csv ] || { echo "needs ../shared/banking77/train.csv" >&2; exit 2; }
[ -f $D/manifest.json ] || $S data build --task edgeintent --source ../shared/banking77/train.csv --out $D
once $X/val-4-per-intent.json $PY $X/pick_ids.py $D/test.jsonl 4
if [ "$STEP" = all ] || [ "$STEP" = zs ]; then
  evaluate $EVAL/zeroshot-chat-schema.on-banking77-val4.constrained --task edgeintent --model $M \
    --data $D/test.jsonl --ids $X/val-4-per-intent.json --prompt chat-schema --constrained \
    --name zeroshot-chat-schema
fi
ft() {  # NAME DATA EPOCHS [TRAIN FLAGS...]
  local name=$1 data=$2 epochs=$3
  shift 3
  trained $name || $S train --task edgeintent --model $M --data $data --recipe recommended \
    --prompt-style chat --epochs $epochs --max-length 256 --eval-every-steps 0 \
    --val-generate-rows 0 --name $name --out $TRAIN/$name "$@"
  evaluate $EVAL/$name.on-banking77-val.constrained --adapter $TRAIN/$name --data $D/test.jsonl \
    --constrained --name $name
}
if [ "$STEP" = all ] || [ "$STEP" = shot10 ]; then ft intent-10shot-lora-r16-e3 $D/train_10shot.jsonl 3; fi
if [ "$STEP" = all ] || [ "$STEP" = full ]; then ft intent-lora-r16-e1 $D/train.jsonl 1; fi
# Part 2 (PLAN.md): a second epoch from the first, peak learning rate 3e-4
if [ "$STEP" = all ] || [ "$STEP" = e2 ]; then
  ft intent-lora-r16-e2 $D/train.jsonl 1 --init-adapter $TRAIN/intent-lora-r16-e1 --learning-rate 3e-4
fi
