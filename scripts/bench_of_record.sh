#!/usr/bin/env bash
# The latency bench of record: results/bench/*.json and results/bench/bench.md (one row each).
# Needs the exported GGUF of scripts/reproduce_results.sh (runs/export/...-q8_0.gguf).
set -euo pipefail
cd "$(dirname "$0")/.."
S=.venv/bin/slmbench
.venv/bin/python benchmarks/bench_eval.py > results/bench/bench_eval.txt
# needs xgrammar/outlines-core outside the venv, see the script: PYTHONPATH=/tmp/engines
.venv/bin/python benchmarks/bench_constrained.py --e2e-rows 4 > results/bench/bench_constrained.txt
rm -f results/bench/bench.md
C="--rows 8 --threads 1 --markdown results/bench/bench.md"
$S bench --adapter results/train/edgejson-lora-r16-e6 $C --out results/bench/transformers-fp32-e6.json
$S bench --adapter results/train/edgejson-lora-r16-e6 --constrained $C --out results/bench/transformers-fp32-e6-constrained.json
$S bench --adapter results/train/edgejson-lora-r16-e6 --dtype bfloat16 --rows 4 --threads 1 --markdown results/bench/bench.md --out results/bench/transformers-bf16-e6.json
$S bench --adapter results/train/edgejson-lora-r16-e6 --dtype int8-dynamic $C --out results/bench/transformers-int8-dynamic-e6.json
# fp32 again right after int8, same conditions (the int8 speed-up is quoted against it; no table row)
$S bench --adapter results/train/edgejson-lora-r16-e6 --rows 8 --threads 1 --out results/bench/transformers-fp32-e6-rerun.json
$S bench --model runs/export/edgejson-lora-r16-e6-q8_0.gguf --backend llamacpp $C --out results/bench/llamacpp-q8_0-e6.json
$S bench --model runs/export/edgejson-lora-r16-e6-q8_0.gguf --backend llamacpp --constrained $C --out results/bench/llamacpp-q8_0-e6-constrained.json
$S export results/train/edgejson-lora-r16-e6 --quant q4_k_m --out runs/export/edgejson-lora-r16-e6-q4_k_m.gguf
$S bench --model runs/export/edgejson-lora-r16-e6-q4_k_m.gguf --backend llamacpp $C --out results/bench/llamacpp-q4_k_m-e6.json
$S bench --model runs/export/edgejson-lora-r16-e6-q4_k_m.gguf --backend llamacpp --constrained $C --out results/bench/llamacpp-q4_k_m-e6-constrained.json
$S bench --model smollm2-135m-instruct --backend llamacpp --prompt chat-schema --max-new-tokens 256 $C --out results/bench/llamacpp-q4_1-embedded-zero-shot.json
$S bench --model smollm2-135m-instruct --backend llamacpp --prompt chat-schema --max-new-tokens 256 --constrained $C --out results/bench/llamacpp-q4_1-embedded-zero-shot-constrained.json
.venv/bin/python benchmarks/bench_llamacpp.py --threads 1 > results/bench/llamacpp-own-throughput-q4_1.txt 2>&1
.venv/bin/python benchmarks/bench_llamacpp.py --threads 1 --model runs/export/edgejson-lora-r16-e6-q8_0.gguf > results/bench/llamacpp-own-throughput-q8_0-e6.txt 2>&1
OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_train.py --recipe quick --max-length 768 --steps 3 > results/bench/bench_train-cpu-1thread.txt
.venv/bin/python benchmarks/bench_answer_span.py --batches 4 > results/bench/bench_answer_span.txt
