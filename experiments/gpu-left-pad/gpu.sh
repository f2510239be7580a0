#!/usr/bin/env bash
# [GPU] The two experiments still to run, side by side on one card: setting 1 with whole v3 rows
# (gpu_v3_long.sh here) and setting 2 with 8x rows (gpu_x8.sh). Together they took
# 485 s on an H200, run from a session-local copy of this runner (README.md here: both
# trainings diverged with the code of then).
#   bash experiments/gpu-left-pad/gpu.sh OUT V3_DIR
# leaves OUT/v3/ and OUT/x8/ (each script's log and packed runs), OUT/header.txt and
# OUT/nvidia-smi.csv.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:?usage: gpu_pending.sh OUT V3_DIR}
V3=${2:?v3 folder}
export PYTHONUNBUFFERED=1
mkdir -p runs "$OUT/v3" "$OUT/x8"
nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv -l 20 \
  >"$OUT/nvidia-smi.csv" &
smi=$!
. experiments/gpu_common.sh
# Converts the embedded model once, so that the two jobs below do not race to convert it.
gpu_header "$OUT/header.txt" || exit 1
BUDGET_S=${V3_BUDGET_S:-500} bash experiments/gpu-left-pad/gpu_v3_long.sh "$OUT/v3" "$V3" &
v3=$!
BUDGET_S=${X8_BUDGET_S:-520} bash experiments/gpu-left-pad/gpu_x8.sh "$OUT/x8" 2 &
x8=$!
wait $v3 $x8
kill $smi
cat "$OUT/v3/log.txt" "$OUT/x8/log.txt"
