#!/usr/bin/env bash
# The llama.cpp backend: the setting-2 search winner exported to GGUF Q8_0 (`slmbench export`),
# and the embedded Q4_1 file as shipped, on our test split, each paired with transformers.
# CPU, one thread; needs llama-cpp-python (scripts/install_llamacpp.sh).
#   bash experiments/llamacpp/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. experiments/lib.sh
X=experiments/llamacpp
E6=edgejson-lora-r16-e6

data_seed0
if [ -f $EVAL/$E6.on-edgejson-test.llamacpp-q8_0/results.json ]; then
  echo "done: $EVAL/$E6.on-edgejson-test.llamacpp-q8_0"
else
  q8=$(gguf_e6 q8_0)
  evaluate $EVAL/$E6.on-edgejson-test.llamacpp-q8_0 --backend llamacpp --model "$q8" --data $TEST \
    --threads 1
fi
evaluate $EVAL/zeroshot-chat-schema.on-edgejson-test.llamacpp-q4_1 --backend llamacpp --model $M \
  --data $TEST --prompt chat-schema --max-new-tokens 256 --threads 1
compare $X/edgejson-lora-r16-e6-transformers-vs-llamacpp-q8_0.txt $EVAL/$E6.on-edgejson-test \
  $EVAL/$E6.on-edgejson-test.llamacpp-q8_0
compare $X/zero-shot-transformers-vs-llamacpp-q4_1.txt $EVAL/zeroshot-chat-schema.on-edgejson-test \
  $EVAL/zeroshot-chat-schema.on-edgejson-test.llamacpp-q4_1
