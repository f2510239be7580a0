# Sourced by experiments/*/run.sh (run from the repo root): paths of record and the helpers that
# make each run.sh resumable. Every step leaves a finished result as it is and reruns an
# unfinished one with the same command, which resumes on its own (eval: predictions.jsonl; train:
# its last checkpoint under runs/). Finished evals are skipped here rather than by `slmbench
# eval` itself, because a committed run_config.json names the adapter by the path it had when
# it ran (results/train/...), and eval refuses a folder whose adapter path differs.
# shellcheck shell=bash

S=${SLMBENCH:-.venv/bin/slmbench}
PY=${PYTHON:-.venv/bin/python}
M=smollm2-135m-instruct
# The original EdgeJSON v3 training split and its schemas (Apache-2.0), read-only, next to the repo.
V3=${V3:-../shared/edgejson_v3}
DATA=results/data/edgejson-seed0
TEST=$DATA/test.jsonl                            # split edgejson-test (158 rows, of record)
VAL1=results/data/edgejson-seed1-x4/test.jsonl   # split edgejson-seed1-val (158 rows)
TEST2=results/data/edgejson-seed2-x2/test.jsonl  # split edgejson-seed2-test (158 rows)
TRAIN=results/runs/train
EVAL=results/runs/eval
HELD=$TRAIN/v3-lora-r16-e6/val_ids.json          # split v3-heldout: the 126 held-out v3 rows
FIRST_BATCH=experiments/recipe-search/first-batch-ids.json  # the 8 longest test rows
# The last commit whose tree holds the adapter weights that are no longer committed.
WEIGHTS_COMMIT=6cd5df18873702eea8327d82ed344443d08593df

# THREADS=N (environment): CPU threads of every step (evals' --threads, training's torch
# threads), for two jobs side by side on this 2-core machine; unset, each step uses all cores.
if [ -n "${THREADS:-}" ]; then export OMP_NUM_THREADS=$THREADS; fi

GPU=0
for arg in "$@"; do
  case $arg in
    --gpu) GPU=1 ;;
    *) echo "usage: $0 [--gpu]" >&2 && exit 2 ;;
  esac
done

# gpu_flags: eval flags of the GPU runs (--device cuda --batch-size 64) under --gpu, else none.
gpu_flags() { ((GPU)) && echo "--device cuda --batch-size 64" || true; }

need_v3() {
  [ -f "$V3/train.jsonl" ] && [ -d "$V3/schemas" ] && return 0
  echo "needs $V3: the original EdgeJSON v3 training split and schemas (Apache-2.0); set V3=DIR" >&2
  exit 2
}

# build NAME ARGS...: slmbench data build --out results/data/NAME ARGS, unless it was built.
build() {
  local out=results/data/$1
  shift
  [ -f "$out/manifest.json" ] && echo "done: $out" && return 0
  $S data build --out "$out" "$@"
}

# evaluate OUT ARGS...: slmbench eval ARGS --out OUT, unless OUT holds its results.json.
evaluate() {
  local out=$1
  shift
  [ -f "$out/results.json" ] && echo "done: $out" && return 0
  $S eval "$@" ${THREADS:+--threads "$THREADS"} --out "$out"
}

# once FILE CMD...: CMD's standard output into FILE, unless FILE exists (delete it to remake it).
once() {
  local file=$1
  shift
  [ -s "$file" ] && echo "done: $file" && return 0
  "$@" >"$file.partial" && mv "$file.partial" "$file"
}

# trained NAME: true if results/runs/train/NAME holds a finished training.
trained() { [ -f "$TRAIN/$1/train_meta.json" ] && grep -q '"status": "complete"' "$TRAIN/$1/train_meta.json"; }

# keep_train NAME weights|noweights [SRC]: the train run SRC (default runs/NAME) into
# results/runs/train/NAME without checkpoints, full weights or evals; its adapter/ only with
# `weights` (models of record and the adapters they continued), cast to bf16 as every committed
# adapter is.
keep_train() {
  local name=$1 src=${3:-runs/$1} dst=$TRAIN/$1 skip=(--exclude=./adapter)
  [ "$2" = weights ] && skip=()
  mkdir -p "$dst"
  (cd "$src" && tar cf - --exclude=checkpoints --exclude='checkpoint-*' --exclude=merged \
    --exclude=model --exclude='*-eval' "${skip[@]}" .) | (cd "$dst" && tar xf -)
  if [ "$2" = weights ]; then
    $PY -c 'import sys, torch; from safetensors.torch import load_file, save_file; p = sys.argv[1]; save_file({k: v.to(torch.bfloat16) for k, v in load_file(p).items()}, p, {"format": "pt"})' \
      "$dst/adapter/adapter_model.safetensors"
  fi
}

# train_run NAME weights|noweights TRAIN_ARGS...: slmbench train TRAIN_ARGS --out runs/NAME
# (resumes from its last checkpoint), then keep_train, unless results/runs/train/NAME holds the
# finished run.
train_run() {
  local name=$1 keep=$2
  shift 2
  trained "$name" && echo "done: $TRAIN/$name" && return 0
  $S train "$@" --out "runs/$name"
  keep_train "$name" "$keep"
}

# adapter NAME: prints a folder that holds NAME's adapter: results/runs/train/NAME if its weights
# are committed, else runs/NAME, a copy of the run folder with its adapter/ taken from git
# history (the same bytes as evaluated). Without that history (a shallow clone, or an adapter
# never committed) it says how to retrain instead.
adapter() {
  local name=$1 f
  if [ -f "$TRAIN/$name/adapter/adapter_model.safetensors" ]; then echo "$TRAIN/$name" && return 0; fi
  if [ -f "runs/$name/adapter/adapter_model.safetensors" ]; then echo "runs/$name" && return 0; fi
  mkdir -p "runs/$name/adapter"
  cp -r "$TRAIN/$name/." "runs/$name/"
  for f in README.md adapter_config.json adapter_model.safetensors; do
    if ! git show "$WEIGHTS_COMMIT:results/train/$name/adapter/$f" >"runs/$name/adapter/$f"; then
      rm -rf "runs/$name"
      echo "$name's adapter is not committed and not in this clone's history: retrain it with" \
        "$S train --model $M --config $TRAIN/$name/recipe.json --data DATA (train_meta.json" \
        "names it) --out runs/$name" >&2
      return 1
    fi
  done
  echo "runs/$name"
}

# evaluate_adapter OUT NAME ARGS...: evaluate with train run NAME's adapter (see `adapter`),
# unless OUT holds its results.json.
evaluate_adapter() {
  local out=$1 name=$2 dir
  shift 2
  [ -f "$out/results.json" ] && echo "done: $out" && return 0
  dir=$(adapter "$name")
  $S eval --adapter "$dir" "$@" --out "$out"
}

# The generator's builds of record (same seed, same bytes), each kept off the test splits
# named by --exclude (no prompt or gold answer shared).
data_seed0() { build edgejson-seed0 --seed 0; }
data_x4() { data_seed0 && build edgejson-seed1-x4 --seed 1 --train 2516 --exclude "$TEST"; }
data_x2() { data_seed0 && build edgejson-seed2-x2 --seed 2 --train 1258 --exclude "$TEST"; }
data_x8() { data_x4 && build edgejson-seed4-x8 --seed 4 --train 5032 --exclude "$TEST" --exclude "$VAL1"; }
data_complex() {
  data_x4 && data_x2
  build edgejson-seed3-complex --seed 3 --train 480 --test 40 --tiers complex --exclude "$TEST" \
    --exclude "$VAL1" --exclude "$TEST2" --exclude results/data/edgejson-seed1-x4/train.jsonl
}

# continue_x4 RUN DATA EPOCHS weights|noweights: the setting-2 x4 adapter trained on over DATA on this CPU
# (the recommended recipe as shipped, peak lr 5e-4), kept, and evaluated on the validation split
# (seed 1) and the two test splits (seeds 0 and 2) as results/runs/eval/RUN.on-<split>.
continue_x4() {
  local run=$1 pair
  train_run "$run" "$4" --model $M --data "$2" --init-adapter $TRAIN/edgejson-x4-lora-r16-e3 \
    --recipe recommended --epochs "$3" --learning-rate 5e-4 --eval-every-steps 0 \
    --val-generate-rows 0
  for pair in "$VAL1:edgejson-seed1-val" "$TEST:edgejson-test" "$TEST2:edgejson-seed2-test"; do
    evaluate_adapter "$EVAL/$run.on-${pair#*:}" "$run" --data "${pair%%:*}"
  done
}

# gguf_e6 QUANT: prints runs/export/edgejson-lora-r16-e6-QUANT.gguf, exported first if missing
# (the setting-2 search winner merged into its base; q4_k_m needs llama-cpp-python).
gguf_e6() {
  local out=runs/export/edgejson-lora-r16-e6-$1.gguf dir
  if [ ! -f "$out" ]; then
    dir=$(adapter edgejson-lora-r16-e6)
    $S export "$dir" --quant "$1" --out "$out" >&2
  fi
  echo "$out"
}

# compare OUT A B: slmbench compare A B into OUT, unless OUT exists.
compare() { once "$1" $S compare "$2" "$3"; }
