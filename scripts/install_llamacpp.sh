#!/usr/bin/env bash
# Installs llama-cpp-python (the `--backend llamacpp` runtime and `slmbench export --quant q4_k_m`)
# into the project's venv, with its `[server]` extra (fastapi, uvicorn, sse-starlette,
# starlette-context, pydantic-settings: `python -m llama_cpp.server`, which
# tests/test_openai_real_server.py evaluates through `--backend openai`). It builds from source
# (a few minutes on 2 cores); pip caches the wheel and skips what is installed, so a rerun takes
# seconds.
#   GGML_NATIVE=OFF: portable AVX2 build. A native build on a CPU with AMX segfaults on any
#                    decode of more than one token (see shared field notes).
#   LLAVA_BUILD=OFF: skips the multimodal library, which slmbench does not use.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF" \
  "$PYTHON" -m pip install -q --disable-pip-version-check -c constraints.txt "llama-cpp-python[server]==0.3.36"
"$PYTHON" -c "import llama_cpp, llama_cpp.server.app; print('llama-cpp-python', llama_cpp.__version__)"
