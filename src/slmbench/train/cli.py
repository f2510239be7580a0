"""`slmbench train`: fine-tune a model on an EdgeJSON-format training file.

Generated from `slmbench.train.api.TrainOptions`; every recipe field is also a flag
(`--learning-rate 1e-3`, `--target-modules all-linear`), generated from the `Recipe` dataclass;
flags override the chosen recipe. Multi-GPU: `accelerate launch -m slmbench.cli train ...`
(same flags).
"""

from __future__ import annotations

import argparse

from slmbench.options import add_command
from slmbench.train.api import TrainOptions, train


def register(sub: argparse._SubParsersAction) -> None:
    add_command(
        sub,
        "train",
        TrainOptions,
        run_train,
        help="fine-tune a model (LoRA or full) for JSON extraction",
        description="Fine-tune a model on a training file; resumable (rerun the same command).",
    )


def run_train(options: TrainOptions) -> int:
    meta = train(options)
    final = meta.get("final_val") or {}
    scores = ", ".join(f"{k} {v:.4g}" for k, v in final.items() if isinstance(v, float))
    print(
        f"done: {options.out} ({meta.get('global_step')} steps, {meta.get('wall_s')} s"
        + (f"; validation: {scores}" if scores else "")
        + ")"
    )
    return 0
