# Shared by the experiments/*/gpu*.sh scripts (sourced, not run): the CLI without an installed
# entry point (the device image has no venv), the budget watchdog and the packing of run folders
# small enough to bring back from a lent GPU.

slm() { python3 -c 'import sys; from slmbench.cli import main; sys.exit(main(sys.argv[1:]))' "$@"; }

# wait_within BUDGET_S LOG PID...: wait for the jobs; past the budget, stop what still runs.
wait_within() {
  local budget=$1 log=$2 start=$SECONDS
  shift 2
  while :; do
    local alive=0
    for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
    ((alive)) || break
    if ((SECONDS - start > budget)); then
      echo "budget of ${budget}s spent: stopping what still runs" >>"$log"
      for p in "$@"; do pkill -P "$p"; kill "$p" 2>/dev/null; done
      break
    fi
    sleep 5
  done
  echo "jobs done after $((SECONDS - start)) s" >>"$log"
}

# pack NAME OUT: runs/NAME as OUT/NAME.tgz, without checkpoints, the adapter cast to bf16.
pack() {
  local name=$1 out=$2 run=runs/$1
  [ -d "$run" ] || return 0
  if [ -f "$run/adapter/adapter_model.safetensors" ]; then
    python3 - "$run/adapter/adapter_model.safetensors" <<'EOF'
import sys

import torch
from safetensors.torch import load_file, save_file

path = sys.argv[1]
save_file({k: v.to(torch.bfloat16) for k, v in load_file(path).items()}, path, {"format": "pt"})
EOF
  fi
  tar czf "$out/$name.tgz" --exclude='checkpoint-*' -C runs "$name"
}

# gpu_header LOG: the card and the library versions, and the embedded model converted once
# (before parallel jobs would race to convert it).
gpu_header() {
  {
    nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
    python3 -c 'import torch, transformers, peft; print(torch.__version__, transformers.__version__, peft.__version__)'
    python3 -c 'from slmbench.models.embedded import embedded_model_dir; print(embedded_model_dir())'
  } >"$1" 2>&1
}
