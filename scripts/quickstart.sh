#!/usr/bin/env bash
# Quickstart 1/2: install everything into ./.venv, then run the main job on the embedded model:
# build the benchmark, evaluate zero-shot, fine-tune (quick recipe), evaluate, compare, report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/slmbench pipeline --out "${1:-runs/main}"
