#!/usr/bin/env bash
# The recipe search on validation data (10% of our training split held out, never a test split),
# its winner trained on v3 (setting 1), and the winner's evals: settings 1, 2 and 3, and a CPU
# check of the GPU eval on the 8 longest test rows. It ran on a lent H200 (--gpu: CUDA, eval
# batches of 64, the lease's 230 s budget); on this CPU the 4 candidates take about 4 hours.
#   bash experiments/recipe-search/run.sh [--gpu]
set -euo pipefail
cd "$(dirname "$0")/../.."
. experiments/lib.sh
X=experiments/recipe-search

search_flags=()
((GPU)) && search_flags=(--device cuda --eval-batch-size 64 --budget-s 230)
search() { $PY $X/recipe_search.py --grid $X/search_grid.json "${search_flags[@]}" "$@"; }

# keep_search OUT PREFIX SPLIT weights|noweights: each candidate run of a search into
# results/runs/train/PREFIX-<candidate> and its validation eval into
# results/runs/eval/PREFIX-<candidate>.on-SPLIT.
keep_search() {
  local run name
  for run in "$1"/*/; do
    run=${run%/}
    name=$2-$(basename "$run")
    [ -f "$run/val-eval/results.json" ] || continue
    [ -d "$EVAL/$name.on-$3" ] || cp -r "$run/val-eval" "$EVAL/$name.on-$3"
    trained "$name" || keep_train "$name" "$4" "$run"
  done
}

data_seed0
# The 4 candidates the lease's budget let run (the 5 others of the grid never ran: drop --only,
# with runs/search-edgejson/search.jsonl in place, to continue the search).
if [ -f $X/search.jsonl ]; then
  echo "done: $X/search.jsonl"
else
  search --only lora-r16-e1 lora-r16-e3 full-lr1e-4-e3 lora-r16-e6 --data $DATA/train.jsonl \
    --val-fraction 0.1 --returnable-max-mb 20 --out runs/search-edgejson
  cp runs/search-edgejson/search.jsonl runs/search-edgejson/best.json $X/
  keep_search runs/search-edgejson edgejson edgejson-seed0-val noweights
fi
need_v3
# Setting 1: the winner on 80% of the v3 training split; its validation eval is the held-out 20%.
if [ -f $X/v3-best-h200.search.jsonl ]; then
  echo "done: $X/v3-best-h200.search.jsonl"
else
  search --only lora-r16-e6 --data $V3/train.jsonl --schemas $V3/schemas --val-fraction 0.2 \
    --out runs/search-v3
  cp runs/search-v3/search.jsonl $X/v3-best-h200.search.jsonl
  keep_search runs/search-v3 v3 v3-heldout weights
fi

# Setting 2 (H200 eval), a CPU check of its first batch (the 8 longest rows), setting 3 (CPU).
E6=edgejson-lora-r16-e6
# shellcheck disable=SC2046
evaluate_adapter $EVAL/$E6.on-edgejson-test $E6 --data $TEST $(gpu_flags)
evaluate_adapter $EVAL/$E6.on-edgejson-test-first-batch $E6 --data $TEST --ids $FIRST_BATCH --threads 1
evaluate_adapter $EVAL/$E6.on-v3-heldout $E6 --data $V3/train.jsonl --schemas $V3/schemas \
  --ids $HELD --threads 1
compare $X/zero-shot-vs-edgejson-lora-r16-e6.txt $EVAL/zeroshot-chat-schema.on-edgejson-test \
  $EVAL/$E6.on-edgejson-test
compare $X/edgejson-lora-r16-e1-cpu-vs-e6.txt $EVAL/edgejson-lora-r16.on-edgejson-test \
  $EVAL/$E6.on-edgejson-test
