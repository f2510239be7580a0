#!/usr/bin/env bash
# The exact commands behind every file under results/ (see results/README.md).
# Each step resumes when rerun. Needs ../shared/edgejson_v3 for the v3 settings.
# Steps marked [GPU] ran on a lent H200 (transformers 5.17, torch 2.11) with the same code;
# on a 2-core CPU they take hours (results/README.md gives the measured rates).
set -euo pipefail
cd "$(dirname "$0")/.."
S=.venv/bin/slmbench
V3=../shared/edgejson_v3
M=smollm2-135m-instruct
DATA=results/data/edgejson-seed0
TEST=$DATA/test.jsonl

# keep_run RUN: copy runs/RUN without its checkpoints to results/train/RUN, adapter cast to bf16
# (as the other adapters of record are stored).
keep_run() {
  local dst=results/train/$1
  mkdir -p "$dst" && (cd "runs/$1" && tar cf - --exclude=checkpoints .) | (cd "$dst" && tar xf -)
  .venv/bin/python -c 'import sys, torch; from safetensors.torch import load_file, save_file; p = sys.argv[1]; save_file({k: v.to(torch.bfloat16) for k, v in load_file(p).items()}, p, {"format": "pt"})' \
    "$dst/adapter/adapter_model.safetensors"
}

# continue_x4 RUN DATA EPOCHS OUT: the setting-2 x4 adapter trained on over DATA (the recommended
# recipe at lr 5e-4) on this CPU, kept, and evaluated on the validation split (seed 1) and the
# two test splits (seeds 0 and 2) as OUT/RUN.on-<split>.
continue_x4() {
  local run=$1 pair
  $S train --model $M --data "$2" --init-adapter results/train/edgejson-x4-lora-r16-e3 \
    --recipe recommended --epochs "$3" --learning-rate 5e-4 --eval-every-steps 0 \
    --val-generate-rows 0 --out "runs/$run"
  keep_run "$run"
  for pair in seed1-x4:edgejson-seed1-x4-test seed0:edgejson-test seed2-x2:edgejson-seed2-x2-test; do
    $S eval --adapter "results/train/$run" --data "results/data/edgejson-${pair%%:*}/test.jsonl" \
      --out "$4/$run.on-${pair#*:}"
  done
}

# Our benchmark (committed: same seed, same bytes).
$S data build --out $DATA --seed 0
$S data validate $DATA/train.jsonl --against $TEST

# Zero-shot baselines of the embedded model on our test split, each prompt style (256-token cap).
for style in paper chat chat-schema; do
  $S eval --model $M --data $TEST --prompt $style --max-new-tokens 256 --threads 1 \
    --out results/zero-shot/edgejson-$style
done

# Earlier CPU run: one epoch of the first recommended recipe (4 x 2 batches, token budget 2048).
$S train --model $M --data $DATA/train.jsonl --config results/train/edgejson-lora-r16/recipe.json \
  --val-fraction 0.1 --out results/train/edgejson-lora-r16
$S eval --adapter results/train/edgejson-lora-r16 --data $TEST --threads 1 \
  --out results/finetuned/edgejson-lora-r16.on-edgejson-test

# [GPU] Recipe search on validation data (10% of our training split), then the winner on v3.
# Its run folders became results/train/{edgejson,v3}-lora-r16-e6 (adapters stored in bf16).
python scripts/recipe_search.py --grid scripts/search_grid.json --device cuda \
  --eval-batch-size 64 --data $DATA/train.jsonl --val-fraction 0.1 --budget-s 230 \
  --returnable-max-mb 20 --out runs/search-edgejson
python scripts/recipe_search.py --grid scripts/search_grid.json --device cuda \
  --eval-batch-size 64 --only lora-r16-e6 --data $V3/train.jsonl --schemas $V3/schemas \
  --val-fraction 0.2 --out runs/search-v3
# Setting 1 [GPU eval] is the search's own validation eval: runs/search-v3/lora-r16-e6/val-eval
# (the held-out 20% of v3), copied to results/finetuned/v3-lora-r16-e6.on-v3-heldout.h200.
# Setting 2 [GPU eval], copied to results/finetuned/edgejson-lora-r16-e6.on-edgejson-test.h200:
$S eval --device cuda --batch-size 64 --adapter runs/search-edgejson/lora-r16-e6 --data $TEST \
  --out runs/search-edgejson/lora-r16-e6/test-eval-gpu
# The two run folders were then copied to results/train/{edgejson,v3}-lora-r16-e6 (adapter
# weights cast to bf16). On a CPU, the same trainings from their recipe files:
#   $S train --model $M --data $DATA/train.jsonl --config results/train/edgejson-lora-r16-e6/recipe.json \
#     --val-fraction 0.1 --out runs/edgejson-lora-r16-e6
#   $S train --model $M --data $V3/train.jsonl --schemas $V3/schemas \
#     --config results/train/v3-lora-r16-e6/recipe.json --val-fraction 0.2 --out runs/v3-lora-r16-e6

# CPU check of the GPU eval: its first batch (8 longest rows) again on the CPU; the raw outputs
# are compared with the .h200 run's in results/README.md.
$S eval --adapter results/train/edgejson-lora-r16-e6 --data $TEST --ids results/finetuned/cpu-check/ids.json \
  --threads 1 --out results/finetuned/cpu-check/edgejson-lora-r16-e6.first-batch

HELD=results/train/v3-lora-r16-e6/val_ids.json
# Setting 3 (CPU): trained on our data, evaluated on the held-out 20% of v3.
$S eval --adapter results/train/edgejson-lora-r16-e6 --data $V3/train.jsonl --schemas $V3/schemas \
  --ids $HELD --threads 1 --out results/finetuned/edgejson-lora-r16-e6.on-v3-heldout

# More generated data: two more builds of our generator, kept off the seed-0 test split.
$S data build --out results/data/edgejson-seed1-x4 --seed 1 --train 2516 --exclude $TEST
$S data build --out results/data/edgejson-seed2-x2 --seed 2 --train 1258 --exclude $TEST
for d in edgejson-seed1-x4 edgejson-seed2-x2; do
  $S data validate results/data/$d/train.jsonl --against $TEST
done
# [GPU] The recommended LoRA on them at equal training tokens (x4: 3 epochs, x2: 6 epochs), each
# evaluated on our test split; run folders -> results/train/edgejson-x{4,2}-lora-r16-e*, evals ->
# results/finetuned/edgejson-x{4,2}-lora-r16-e*.on-edgejson-test.h200 (the x2 adapter's weights
# were not kept). The script's v3 evals did not fit the lease; they ran on the CPU below.
#   bash scripts/gpu_data_scaling.sh OUT $V3 $HELD
# An 8x build for the next GPU session, kept off the test split and off the x4 build's own test
# split (the validation split of scripts/gpu_x8.sh); not trained on yet.
$S data build --out results/data/edgejson-seed4-x8 --seed 4 --train 5032 --exclude $TEST \
  --exclude results/data/edgejson-seed1-x4/test.jsonl
$S data validate results/data/edgejson-seed4-x8/train.jsonl --against $TEST
$S data validate results/data/edgejson-seed4-x8/train.jsonl --against results/data/edgejson-seed1-x4/test.jsonl
# [GPU] bash scripts/gpu_pending.sh OUT $V3 runs gpu_x8.sh and gpu_v3_long.sh side by side.
# They ran once so (from a session-local copy of that runner): both trainings diverged
# (left-padded batches on CUDA; results/gpu-left-pad/, with `python
# benchmarks/check_left_pad_grads.py` > check_left_pad_grads.h200.txt). To be rerun.
# Their third job, the x4 model on the x4 build's own test split (158 rows the x4
# model never saw, kept off the seed-0 test split), copied to
# results/finetuned/edgejson-x4-lora-r16-e3.on-edgejson-seed1-x4-test.h200:
#   slmbench eval --device cuda --batch-size 64 --adapter results/train/edgejson-x4-lora-r16-e3 \
#     --data results/data/edgejson-seed1-x4/test.jsonl --out OUT
$S data validate results/data/edgejson-seed1-x4/test.jsonl --against $TEST
# A third test split, the x2 build's own 158 rows (CPU): no prompt shared with the x4 model's
# training rows or with the two other test splits.
for other in edgejson-seed1-x4/train edgejson-seed1-x4/test edgejson-seed0/test; do
  $S data validate results/data/edgejson-seed2-x2/test.jsonl --against results/data/$other.jsonl
done
$S eval --adapter results/train/edgejson-x4-lora-r16-e3 --data results/data/edgejson-seed2-x2/test.jsonl \
  --threads 1 --out results/finetuned/edgejson-x4-lora-r16-e3.on-edgejson-seed2-x2-test
.venv/bin/python scripts/pool_evals.py results/finetuned/edgejson-x4-lora-r16-e3.on-edgejson-test.h200 \
  results/finetuned/edgejson-x4-lora-r16-e3.on-edgejson-seed1-x4-test.h200 \
  results/finetuned/edgejson-x4-lora-r16-e3.on-edgejson-seed2-x2-test \
  > results/finetuned/edgejson-x4-lora-r16-e3.three-test-splits.txt
# Token lengths behind setting 1's notes (why scripts/gpu_v3_long.sh keeps whole rows).
.venv/bin/python scripts/v3_token_lengths.py $V3 $HELD > results/finetuned/v3-token-lengths.txt
# The recommended recipe as shipped, trained on this CPU from start to end (wall time of record;
# the adapter weights are not kept), and its eval on our test split.
$S train --model $M --data $DATA/train.jsonl --recipe recommended --val-fraction 0.1 --out runs/cpu-recommended
mkdir -p results/cpu-recommended/train
cp runs/cpu-recommended/{recipe.json,train_meta.json,train_log.jsonl} results/cpu-recommended/train/
$S eval --adapter runs/cpu-recommended --data $TEST --out results/cpu-recommended/edgejson-lora-r16-e6-cpu.on-edgejson-test
$S compare results/finetuned/edgejson-lora-r16-e6.on-edgejson-test.h200 \
  results/cpu-recommended/edgejson-lora-r16-e6-cpu.on-edgejson-test > results/compare/recommended-h200-vs-cpu.txt
# LoRA dropout's cost on this CPU (results/bench/bench_train-lora-dropout.txt: each command twice,
# in both orders), and the recommended recipe trained with dropout 0 (results/cpu-drop0/PLAN.md).
for d in 0.05 0; do
  .venv/bin/python benchmarks/bench_train.py --recipe recommended --data $DATA/train.jsonl --methods lora \
    --precisions fp32 --steps 8 --max-length 1536 --set prompt_style=chat-schema --set lora_dropout=$d
done
$S train --model $M --data $DATA/train.jsonl --recipe recommended --lora-dropout 0 --val-fraction 0.1 \
  --out runs/cpu-recommended-drop0
mkdir -p results/cpu-drop0/train
cp runs/cpu-recommended-drop0/{recipe.json,train_meta.json,train_log.jsonl,val_ids.json} results/cpu-drop0/train/
$S eval --adapter runs/cpu-recommended-drop0 --data $DATA/train.jsonl --ids runs/cpu-recommended-drop0/val_ids.json \
  --out results/cpu-drop0/val-eval
$S eval --adapter runs/cpu-recommended-drop0 --data $TEST --out results/cpu-drop0/edgejson-lora-r16-e6-drop0-cpu.on-edgejson-test
$S compare results/search/edgejson-val-h200/lora-r16-e6/val-eval results/cpu-drop0/val-eval \
  > results/compare/recommended-dropout-0.05-h200-vs-0-cpu.val.txt
$S compare results/cpu-recommended/edgejson-lora-r16-e6-cpu.on-edgejson-test \
  results/cpu-drop0/edgejson-lora-r16-e6-drop0-cpu.on-edgejson-test > results/compare/recommended-cpu-dropout-0.05-vs-0.txt
# One more epoch of the x4 adapter on fresh complex rows (results/complex-extra/PLAN.md, fixed
# before the run; rejected by its rule). The adapter is copied to results/train without
# checkpoints, cast to bf16 like the other adapters of record, and evaluated from there.
$S data build --out results/data/edgejson-seed3-complex --seed 3 --train 480 --test 40 --tiers complex \
  --exclude $TEST --exclude results/data/edgejson-seed1-x4/test.jsonl \
  --exclude results/data/edgejson-seed2-x2/test.jsonl --exclude results/data/edgejson-seed1-x4/train.jsonl
for other in edgejson-seed0/test edgejson-seed1-x4/test edgejson-seed2-x2/test edgejson-seed1-x4/train; do
  $S data validate results/data/edgejson-seed3-complex/train.jsonl --against results/data/$other.jsonl
done
CX=results/complex-extra
continue_x4 edgejson-x4-lora-r16-e3-complex480 results/data/edgejson-seed3-complex/train.jsonl 1 $CX
$S eval --adapter results/train/edgejson-x4-lora-r16-e3 --data results/data/edgejson-seed1-x4/test.jsonl \
  --out $CX/edgejson-x4-lora-r16-e3.on-edgejson-seed1-x4-test.cpu
X4=results/finetuned/edgejson-x4-lora-r16-e3
$S compare $X4.on-edgejson-seed1-x4-test.h200 $CX/edgejson-x4-lora-r16-e3.on-edgejson-seed1-x4-test.cpu \
  > results/compare/x4-seed1-h200-vs-cpu.txt
$S compare $CX/edgejson-x4-lora-r16-e3.on-edgejson-seed1-x4-test.cpu \
  $CX/edgejson-x4-lora-r16-e3-complex480.on-edgejson-seed1-x4-test > results/compare/x4-vs-complex480.seed1-val.txt
$S compare $X4.on-edgejson-test.h200 $CX/edgejson-x4-lora-r16-e3-complex480.on-edgejson-test \
  > results/compare/x4-vs-complex480.on-edgejson-test.txt
$S compare $X4.on-edgejson-seed2-x2-test $CX/edgejson-x4-lora-r16-e3-complex480.on-edgejson-seed2-x2-test \
  > results/compare/x4-vs-complex480.seed2-test.txt
.venv/bin/python scripts/lost_rows.py $X4.on-edgejson-seed1-x4-test.h200 $CX/edgejson-x4-lora-r16-e3-complex480.on-edgejson-seed1-x4-test \
  $X4.on-edgejson-test.h200 $CX/edgejson-x4-lora-r16-e3-complex480.on-edgejson-test \
  $X4.on-edgejson-seed2-x2-test $CX/edgejson-x4-lora-r16-e3-complex480.on-edgejson-seed2-x2-test \
  > $CX/lost-rows.txt
# Setting 1: one more epoch of its adapter on whole v3 rows, on this CPU
# (results/v3-whole-rows/PLAN.md, fixed before the run: it becomes setting 1's model of record
# whatever it scores). Copied to results/train like the run above.
$S train --model $M --data $V3/train.jsonl --schemas $V3/schemas \
  --config results/train/v3-lora-r16-e6/recipe.json --init-adapter results/train/v3-lora-r16-e6 \
  --val-fraction 0.2 --epochs 1 --learning-rate 5e-4 --max-length 6144 --token-budget 8192 \
  --gradient-checkpointing true --eval-every-steps 0 --val-generate-rows 0 --save-every-steps 20 \
  --out runs/v3-lora-r16-e6-whole1
python3 -c 'import json, sys; a, b = (sorted(json.load(open(p))["ids"]) for p in sys.argv[1:]); sys.exit(a != b)' \
  runs/v3-lora-r16-e6-whole1/val_ids.json $HELD  # the same held-out ids
keep_run v3-lora-r16-e6-whole1
R=results/train/v3-lora-r16-e6-whole1
WR=results/v3-whole-rows
$S eval --adapter $R --data $V3/train.jsonl --schemas $V3/schemas --ids $HELD --max-new-tokens 4096 \
  --out $WR/v3-lora-r16-e6-whole1.on-v3-heldout
$S compare results/finetuned/v3-lora-r16-e6.on-v3-heldout.h200 $WR/v3-lora-r16-e6-whole1.on-v3-heldout \
  > results/compare/v3-e6-vs-whole1.on-v3-heldout.txt
# Half an epoch more of the x4 adapter on fresh rows of every tier, the x8 build, on this CPU
# (results/x4-more-rows/PLAN.md, fixed before the run). Chosen on the seed-1 split only.
# The x8 rows share no prompt with the x4 model's training rows nor with the third test split:
for other in edgejson-seed1-x4/train edgejson-seed2-x2/test; do
  $S data validate results/data/edgejson-seed4-x8/train.jsonl --against results/data/$other.jsonl
done
MR=results/x4-more-rows
continue_x4 edgejson-x4-lora-r16-e3-x8half results/data/edgejson-seed4-x8/train.jsonl 0.5 $MR
R=results/train/edgejson-x4-lora-r16-e3-x8half
$S compare results/complex-extra/edgejson-x4-lora-r16-e3.on-edgejson-seed1-x4-test.cpu \
  $MR/edgejson-x4-lora-r16-e3-x8half.on-edgejson-seed1-x4-test > results/compare/x4-vs-x8half.seed1-val.txt
$S compare $X4.on-edgejson-test.h200 \
  $MR/edgejson-x4-lora-r16-e3-x8half.on-edgejson-test > results/compare/x4-vs-x8half.on-edgejson-test.txt
$S compare $X4.on-edgejson-seed2-x2-test \
  $MR/edgejson-x4-lora-r16-e3-x8half.on-edgejson-seed2-x2-test > results/compare/x4-vs-x8half.seed2-test.txt
.venv/bin/python scripts/pool_evals.py $X4.on-edgejson-test.h200 $X4.on-edgejson-seed2-x2-test \
  > $MR/edgejson-x4-lora-r16-e3.two-test-splits.txt
.venv/bin/python scripts/pool_evals.py $MR/edgejson-x4-lora-r16-e3-x8half.on-edgejson-test \
  $MR/edgejson-x4-lora-r16-e3-x8half.on-edgejson-seed2-x2-test > $MR/edgejson-x4-lora-r16-e3-x8half.two-test-splits.txt
# The new model of record in setting 3, and under --constrained on our test split.
$S eval --adapter $R --data $V3/train.jsonl --schemas $V3/schemas --ids $HELD --out $MR/edgejson-x4-lora-r16-e3-x8half.on-v3-heldout
$S compare $X4.on-v3-heldout $MR/edgejson-x4-lora-r16-e3-x8half.on-v3-heldout \
  > results/compare/setting3-x4-vs-x8half.txt
$S eval --adapter $R --data $TEST --constrained --out $MR/edgejson-x4-lora-r16-e3-x8half.on-edgejson-test.constrained
$S compare $MR/edgejson-x4-lora-r16-e3-x8half.on-edgejson-test $MR/edgejson-x4-lora-r16-e3-x8half.on-edgejson-test.constrained \
  > results/compare/x8half-unconstrained-vs-constrained.txt
# On the CPU in under 30 minutes: the quick recipe over the 2x build (weights not kept).
$S train --model $M --data results/data/edgejson-seed2-x2/train.jsonl --recipe quick --out runs/cpu30-x2
mkdir -p results/cpu30/train && cp runs/cpu30-x2/{recipe.json,train_meta.json,train_log.jsonl} results/cpu30/train/
$S eval --model runs/cpu30-x2 --data $TEST --out results/cpu30/quick-x2.on-edgejson-test
# Setting 3 of the x4 model (CPU), and a CPU check of its GPU eval on the 8 longest test rows.
$S eval --adapter results/train/edgejson-x4-lora-r16-e3 --data $V3/train.jsonl --schemas $V3/schemas \
  --ids $HELD --threads 1 --out results/finetuned/edgejson-x4-lora-r16-e3.on-v3-heldout
$S eval --adapter results/train/edgejson-x4-lora-r16-e3 --data $TEST --ids results/finetuned/cpu-check/ids.json \
  --threads 1 --out results/finetuned/cpu-check/edgejson-x4-lora-r16-e3.first-batch
$S eval --adapter results/train/edgejson-x4-lora-r16-e3 --data $TEST --constrained --threads 1 \
  --out results/constrained/edgejson-x4-lora-r16-e3.on-edgejson-test
$S eval --adapter results/train/edgejson-x4-lora-r16-e3 --data $TEST --dtype int8-dynamic --threads 1 \
  --out results/int8/edgejson-x4-lora-r16-e3.on-edgejson-test
# Zero-shot on the v3 held-out part (settings 1 and 3).
$S eval --model $M --data $V3/train.jsonl --schemas $V3/schemas --ids $HELD --prompt chat-schema \
  --max-new-tokens 256 --threads 1 --out results/zero-shot/v3-heldout-chat-schema
# Constrained decoding on the v3 held-out part (CPU): settings 1 and 3, and zero-shot.
$S eval --adapter results/train/v3-lora-r16-e6 --data $V3/train.jsonl --schemas $V3/schemas \
  --ids $HELD --constrained --threads 1 --out results/constrained/v3-lora-r16-e6.on-v3-heldout
$S eval --adapter results/train/edgejson-x4-lora-r16-e3 --data $V3/train.jsonl --schemas $V3/schemas \
  --ids $HELD --constrained --threads 1 --out results/constrained/edgejson-x4-lora-r16-e3.on-v3-heldout
$S eval --model $M --data $V3/train.jsonl --schemas $V3/schemas --ids $HELD --prompt chat-schema \
  --max-new-tokens 256 --constrained --threads 1 --out results/constrained/zero-shot-chat-schema.on-v3-heldout

# Constrained decoding (llguidance), zero-shot and fine-tuned, our test split.
$S eval --adapter results/train/edgejson-lora-r16-e6 --data $TEST --constrained --threads 1 \
  --out results/constrained/edgejson-lora-r16-e6.on-edgejson-test
$S eval --model $M --data $TEST --prompt chat-schema --max-new-tokens 256 --constrained \
  --threads 1 --out results/constrained/zero-shot-chat-schema.on-edgejson-test

# llama.cpp: the exported fine-tuned model (Q8_0) and the embedded Q4_1 file as it is.
$S export results/train/edgejson-lora-r16-e6 --quant q8_0 --out runs/export/edgejson-lora-r16-e6-q8_0.gguf
$S eval --backend llamacpp --model runs/export/edgejson-lora-r16-e6-q8_0.gguf --data $TEST \
  --threads 1 --out results/llamacpp/edgejson-lora-r16-e6-q8_0.on-edgejson-test
$S eval --backend llamacpp --model $M --data $TEST --prompt chat-schema --max-new-tokens 256 \
  --threads 1 --out results/llamacpp/zero-shot-q4_1-chat-schema.on-edgejson-test

# Comparisons (paired McNemar) saved as text.
$S compare results/zero-shot/edgejson-chat-schema results/finetuned/edgejson-lora-r16-e6.on-edgejson-test.h200 \
  > results/compare/zero-shot-vs-edgejson-lora-r16-e6.txt
$S compare results/finetuned/edgejson-lora-r16-e6.on-edgejson-test.h200 \
  results/constrained/edgejson-lora-r16-e6.on-edgejson-test > results/compare/edgejson-lora-r16-e6-unconstrained-vs-constrained.txt
$S compare results/finetuned/edgejson-lora-r16.on-edgejson-test \
  results/finetuned/edgejson-lora-r16-e6.on-edgejson-test.h200 > results/compare/edgejson-lora-r16-e1-cpu-vs-e6.txt
$S compare results/finetuned/edgejson-lora-r16-e6.on-edgejson-test.h200 \
  results/finetuned/edgejson-x4-lora-r16-e3.on-edgejson-test.h200 > results/compare/edgejson-lora-r16-e6-vs-x4-e3.txt
$S compare results/finetuned/edgejson-x2-lora-r16-e6.on-edgejson-test.h200 \
  results/finetuned/edgejson-x4-lora-r16-e3.on-edgejson-test.h200 > results/compare/edgejson-x2-e6-vs-x4-e3.txt
$S compare results/finetuned/edgejson-x4-lora-r16-e3.on-edgejson-test.h200 \
  results/constrained/edgejson-x4-lora-r16-e3.on-edgejson-test > results/compare/edgejson-x4-e3-unconstrained-vs-constrained.txt
$S compare results/finetuned/edgejson-lora-r16-e6.on-v3-heldout \
  results/finetuned/edgejson-x4-lora-r16-e3.on-v3-heldout > results/compare/setting3-edgejson-lora-r16-e6-vs-x4-e3.txt
$S compare results/finetuned/edgejson-x4-lora-r16-e3.on-edgejson-test.h200 \
  results/int8/edgejson-x4-lora-r16-e3.on-edgejson-test > results/compare/edgejson-x4-e3-fp32-vs-int8-dynamic.txt
$S compare results/pipeline/finetuned results/cpu30/quick-x2.on-edgejson-test \
  > results/compare/quick-1x-vs-quick-x2-cpu.txt
$S compare results/finetuned/v3-lora-r16-e6.on-v3-heldout.h200 \
  results/constrained/v3-lora-r16-e6.on-v3-heldout > results/compare/v3-lora-r16-e6-unconstrained-vs-constrained.txt
$S compare results/finetuned/edgejson-x4-lora-r16-e3.on-v3-heldout \
  results/constrained/edgejson-x4-lora-r16-e3.on-v3-heldout > results/compare/setting3-x4-e3-unconstrained-vs-constrained.txt
$S compare results/zero-shot/v3-heldout-chat-schema \
  results/constrained/zero-shot-chat-schema.on-v3-heldout > results/compare/zero-shot-v3-unconstrained-vs-constrained.txt
# results/compare/zero-shot-constrained-before-vs-after-closing.txt compares the constrained
# zero-shot run committed at 8a2fc39 (before closing mode) with its rerun (header of the file).

# Latency bench table (results/bench/bench.md) and benchmark outputs.
bash scripts/bench_of_record.sh

# The README's main job, timed on an idle CPU; its runs copied to results/pipeline.
$S pipeline --out runs/main

# The committed report.
$S report results --data $DATA --out docs/report
