#!/usr/bin/env bash
# The README's main job, `slmbench pipeline --out runs/main` (quick recipe), timed on an
# otherwise idle CPU (24 min); its evals and training (recipe, meta, log: not the 540 MB of
# weights) kept as results/runs/{eval,train}, the step timings in steps.txt.
#   bash experiments/pipeline/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. experiments/lib.sh
X=experiments/pipeline
ZS=$EVAL/zeroshot-chat.on-edgejson-test.max1024
FT=$EVAL/quick.on-edgejson-test

if [ -f $ZS/results.json ] && [ -f $FT/results.json ]; then
  echo "done: $ZS, $FT"
else
  mkdir -p runs
  { time $S pipeline --out runs/main; } >runs/main.log 2>&1
  grep -E '^\[[0-9]/[0-9]\]|^(real|user|sys)' runs/main.log >$X/steps.txt
  keep_train quick noweights runs/main/train
  [ -d $ZS ] || cp -r runs/main/zero-shot $ZS
  [ -d $FT ] || cp -r runs/main/finetuned $FT
fi
