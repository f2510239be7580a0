#!/usr/bin/env bash
# The data engine's speed and `schema check` on the test schemas (CPU, seconds). Rerun to remake.
set -euo pipefail
cd "$(dirname "$0")/../.."
D=experiments/synth-engine
.venv/bin/python benchmarks/bench_synth.py --rows 20000 --out $D/bench_synth.json
.venv/bin/python benchmarks/bench_synth.py --rows 20000 --examples --out $D/bench_synth_examples.json
.venv/bin/slmbench schema check --json tests/assets/schemas/real_world > $D/schema_check.json || [ $? = 1 ]
