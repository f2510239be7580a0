#!/usr/bin/env bash
# Constrained decoding (--constrained: llguidance, a JSON-Schema grammar per row, closing mode)
# on our test split and on the v3 held-out rows, zero-shot and fine-tuned, paired with the same
# models unconstrained. CPU, one thread.
#   bash experiments/constrained/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. experiments/lib.sh
X=experiments/constrained
E6=edgejson-lora-r16-e6
X4=edgejson-x4-lora-r16-e3
ZS=zeroshot-chat-schema

data_seed0
evaluate $EVAL/$ZS.on-edgejson-test.constrained --model $M --data $TEST --prompt chat-schema \
  --max-new-tokens 256 --constrained --threads 1
evaluate_adapter $EVAL/$E6.on-edgejson-test.constrained $E6 --data $TEST --constrained --threads 1
evaluate_adapter $EVAL/$X4.on-edgejson-test.constrained $X4 --data $TEST --constrained --threads 1
need_v3
V3ROWS="--data $V3/train.jsonl --schemas $V3/schemas --ids $HELD"
# shellcheck disable=SC2086
evaluate_adapter $EVAL/v3-lora-r16-e6.on-v3-heldout.constrained v3-lora-r16-e6 $V3ROWS \
  --constrained --threads 1
# shellcheck disable=SC2086
evaluate_adapter $EVAL/$X4.on-v3-heldout.constrained $X4 $V3ROWS --constrained --threads 1
# shellcheck disable=SC2086
evaluate $EVAL/$ZS.on-v3-heldout.constrained --model $M $V3ROWS --prompt chat-schema \
  --max-new-tokens 256 --constrained --threads 1

# Paired comparisons. zero-shot-unconstrained-vs-constrained.txt was made before closing mode
# (B's field F1 33.1% there; the committed constrained run, rerun with closing mode, has 43.4%).
compare $X/zero-shot-unconstrained-vs-constrained.txt $EVAL/$ZS.on-edgejson-test \
  $EVAL/$ZS.on-edgejson-test.constrained
compare $X/edgejson-lora-r16-e6-unconstrained-vs-constrained.txt $EVAL/$E6.on-edgejson-test \
  $EVAL/$E6.on-edgejson-test.constrained
compare $X/edgejson-x4-e3-unconstrained-vs-constrained.txt $EVAL/$X4.on-edgejson-test \
  $EVAL/$X4.on-edgejson-test.constrained
compare $X/v3-lora-r16-e6-unconstrained-vs-constrained.txt $EVAL/v3-lora-r16-e6.on-v3-heldout \
  $EVAL/v3-lora-r16-e6.on-v3-heldout.constrained
compare $X/setting3-x4-e3-unconstrained-vs-constrained.txt $EVAL/$X4.on-v3-heldout \
  $EVAL/$X4.on-v3-heldout.constrained
compare $X/zero-shot-v3-unconstrained-vs-constrained.txt $EVAL/$ZS.on-v3-heldout \
  $EVAL/$ZS.on-v3-heldout.constrained
# Before and after closing mode: the constrained zero-shot run as committed at 8a2fc39 (before
# closing mode) against its rerun. The committed file carries a hand-written header.
if [ ! -s $X/zero-shot-constrained-before-vs-after-closing.txt ]; then
  before=runs/zeroshot-constrained-before-closing
  mkdir -p $before
  for f in run_config.json predictions.jsonl results.json; do
    git show 8a2fc39:results/constrained/zero-shot-chat-schema.on-edgejson-test/$f >$before/$f
  done
  compare $X/zero-shot-constrained-before-vs-after-closing.txt $before \
    $EVAL/$ZS.on-edgejson-test.constrained
fi
