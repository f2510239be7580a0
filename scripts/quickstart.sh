#!/usr/bin/env bash
# Quickstart 1/2: install everything into ./.venv, then run the main job on the embedded model:
# build the benchmark, evaluate zero-shot, fine-tune (quick recipe), evaluate, compare, report.
# Both evals read the frozen test split of record, so the scores compare with results/record.json.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/slmbench pipeline --out "${1:-runs/main}" --eval-data results/data/edgejson-seed0/test.jsonl
