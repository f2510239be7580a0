#!/usr/bin/env bash
# Data size and LoRA rank of the 135M model (PLAN.md): the 12 cells of grid.json (PLAN.md, amendment: the 270M cell) with
# `slmbench sweep`, resumable cell by cell (rerun to resume; a failed cell is retried). On the
# CPU; with --gpu the evals run on CUDA (training uses CUDA whenever it is available). ONLY
# takes cell-name patterns, e.g. ONLY='*-n1258-*,*-n2516-*' for the cells that wait for a GPU.
#   [ONLY=PATTERNS] bash experiments/sweep-135m/run.sh [--gpu]
set -euo pipefail
cd "$(dirname "$0")/../.."
. experiments/lib.sh
X=experiments/sweep-135m

# The estimates of PLAN.md: $S sweep $X/grid.json --out runs/sweep-135m --plan
# shellcheck disable=SC2046
$S sweep $X/grid.json --out runs/sweep-135m ${ONLY:+--only "$ONLY"} $( ((GPU)) && echo --device cuda || true)
