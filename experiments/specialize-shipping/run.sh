#!/usr/bin/env bash
# specialize on examples/shipping_notice with the default 30-minute budget (CPU), then evaluate the
# extractor on 6 handwritten notices and time `slmbench extract` with both backends.
#   bash experiments/specialize-shipping/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
S=${SLMBENCH:-.venv/bin/slmbench}
X=experiments/specialize-shipping
OUT=runs/specialize-shipping   # the adapter and GGUF stay out of git; results are copied below
$S specialize --schema examples/shipping_notice/schema.json \
  --examples examples/shipping_notice/examples.jsonl --budget-minutes 30 --out $OUT
$S eval --adapter $OUT --data $X/new_notices.jsonl --schemas $OUT/data/schemas --constrained \
  --name shipping-specialized.on-new-notices.constrained \
  --out results/runs/eval/shipping-specialized.on-new-notices.constrained
for backend in transformers llamacpp; do
  /usr/bin/time -f "%e s wall" $S extract $OUT --input $X/new_notices.jsonl \
    --output $X/extract.$backend.jsonl --backend $backend 2> $X/extract.$backend.time.txt
done
cp $OUT/specialize.json $OUT/model_card.md $X/
for e in eval-synthetic eval-examples; do
  mkdir -p results/runs/eval/shipping-specialized.$e
  cp $OUT/$e/results.json $OUT/$e/run_config.json $OUT/$e/predictions.jsonl \
    results/runs/eval/shipping-specialized.$e/
done
