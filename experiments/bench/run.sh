#!/usr/bin/env bash
# The latency bench of record (`slmbench bench`, 8 test rows at batch 1, one thread: one JSON per
# configuration and one bench.md table, results/runs/bench/latency-of-record/) and the outputs of
# the benchmarks/ scripts (here). Timings, so measured on a CPU doing nothing else if possible.
# Needs llama-cpp-python (scripts/install_llamacpp.sh); bench_constrained.txt also needs
# xgrammar and outlines-core outside the venv (PYTHONPATH=/tmp/engines, see that script).
# A bench output that exists is kept: delete it (or the whole latency-of-record folder) to remake.
#   bash experiments/bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. experiments/lib.sh
X=experiments/bench
B=results/runs/bench/latency-of-record

data_seed0
once $X/bench_eval.txt $PY benchmarks/bench_eval.py
once $X/bench_constrained.txt $PY benchmarks/bench_constrained.py --e2e-rows 4
if [ -f $B/bench.md ]; then
  echo "done: $B"
else
  e6=$(adapter edgejson-lora-r16-e6)
  q8=$(gguf_e6 q8_0)
  q4=$(gguf_e6 q4_k_m)
  mkdir -p $B
  C="--rows 8 --threads 1 --markdown $B/bench.md"
  $S bench --adapter "$e6" $C --out $B/transformers-fp32-e6.json
  $S bench --adapter "$e6" --constrained $C --out $B/transformers-fp32-e6-constrained.json
  $S bench --adapter "$e6" --dtype bfloat16 --rows 4 --threads 1 --markdown $B/bench.md \
    --out $B/transformers-bf16-e6.json
  $S bench --adapter "$e6" --dtype int8-dynamic $C --out $B/transformers-int8-dynamic-e6.json
  # fp32 again right after int8, same conditions (the int8 speed-up is quoted against it; no row)
  $S bench --adapter "$e6" --rows 8 --threads 1 --out $B/transformers-fp32-e6-rerun.json
  $S bench --model "$q8" --backend llamacpp $C --out $B/llamacpp-q8_0-e6.json
  $S bench --model "$q8" --backend llamacpp --constrained $C --out $B/llamacpp-q8_0-e6-constrained.json
  $S bench --model "$q4" --backend llamacpp $C --out $B/llamacpp-q4_k_m-e6.json
  $S bench --model "$q4" --backend llamacpp --constrained $C --out $B/llamacpp-q4_k_m-e6-constrained.json
  $S bench --model $M --backend llamacpp --prompt chat-schema --max-new-tokens 256 $C \
    --out $B/llamacpp-q4_1-embedded-zero-shot.json
  $S bench --model $M --backend llamacpp --prompt chat-schema --max-new-tokens 256 --constrained $C \
    --out $B/llamacpp-q4_1-embedded-zero-shot-constrained.json
fi
[ -s $X/llamacpp-own-throughput-q4_1.txt ] ||
  $PY benchmarks/bench_llamacpp.py --threads 1 >$X/llamacpp-own-throughput-q4_1.txt 2>&1
if [ ! -s $X/llamacpp-own-throughput-q8_0-e6.txt ]; then
  q8=$(gguf_e6 q8_0)
  $PY benchmarks/bench_llamacpp.py --threads 1 --model "$q8" >$X/llamacpp-own-throughput-q8_0-e6.txt 2>&1
fi
once $X/bench_train-cpu-1thread.txt env OMP_NUM_THREADS=1 $PY benchmarks/bench_train.py \
  --recipe quick --max-length 768 --steps 3
once $X/bench_answer_span.txt $PY benchmarks/bench_answer_span.py --batches 4
