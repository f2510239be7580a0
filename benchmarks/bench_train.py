"""Training throughput of `slmbench train` on the embedded model: non-padding tokens/s for LoRA
and full fine-tuning, fp32 and bf16 autocast, over a fixed number of optimiser steps.

Usage: .venv/bin/python benchmarks/bench_train.py [--steps 10] [--data FILE --schemas DIR]
           [--methods lora,full] [--precisions fp32,bf16] [--recipe NAME] [--max-length 512]
           [--set FIELD=VALUE ...]
       .venv/bin/python benchmarks/bench_train.py --full-run quick   # wall time of a whole recipe

Runs the real pipeline (`slmbench.train.trainer.train`) into a temporary folder and reads its
train_log.jsonl; the first step (warm-up: allocation, kernel selection) is left out of the rate.
Data: ../shared/edgejson_v3/train.jsonl when present, else 629 freshly generated rows.
Batches: the recipe's (default `paper`: 4 per micro-batch, grouped by length, chat prompt).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from slmbench.models.embedded import EMBEDDED_NAME
from slmbench.train.recipe import apply_overrides, load_recipe
from slmbench.train.trainer import TrainRequest, read_log, train

SHARED_V3 = Path(__file__).resolve().parents[2] / "shared" / "edgejson_v3"


def default_data(tmp: Path) -> tuple[Path, Path | None]:
    if (SHARED_V3 / "train.jsonl").is_file():
        return SHARED_V3 / "train.jsonl", SHARED_V3 / "schemas"
    from slmbench.data.generate import build_dataset

    build_dataset(tmp / "data", seed=0, n_train=629, n_test=10)
    return tmp / "data" / "train.jsonl", None


def measure(args, data: Path, schemas: Path | None, method: str, precision: str, out: Path):
    recipe, _ = load_recipe(args.recipe)
    recipe = apply_overrides(
        recipe,
        {
            "method": method,
            "bf16": "true" if precision == "bf16" else "false",
            "max_steps": str(args.steps),
            "grad_accum_steps": "1",
            "logging_steps": "1",
            "save_every_steps": str(args.steps + 1),
            "max_length": str(args.max_length),
            "prompt_style": "chat",
            "learning_rate": "1e-5" if method == "full" else None,
            **dict(item.split("=", 1) for item in args.set),
        },
        "benchmark",
    )
    start = time.perf_counter()
    train(
        TrainRequest(
            model=args.model,
            data=data,
            out=out,
            recipe=recipe,
            recipe_source=args.recipe,
            schemas=schemas,
        )
    )
    wall = time.perf_counter() - start
    rows = [r for r in read_log(out / "train_log.jsonl") if r.get("kind") == "train"][1:]
    tokens = [r["tokens_seen"] for r in rows]
    seconds = []
    previous = None
    for row in rows:
        if previous is not None and row["tokens_per_s"]:
            seconds.append((row["tokens_seen"] - previous) / row["tokens_per_s"])
        previous = row["tokens_seen"]
    rate = (tokens[-1] - tokens[0]) / sum(seconds) if seconds else float("nan")
    per_step = statistics.median(seconds) if seconds else float("nan")
    meta = json.loads((out / "train_meta.json").read_text())
    return rate, per_step, wall, meta["trainable_params"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=EMBEDDED_NAME)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--schemas", type=Path)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--recipe", default="paper", help="batching/LoRA settings to start from")
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--methods", default="lora,full")
    parser.add_argument("--precisions", default="fp32,bf16")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="any other recipe field, applied last (repeatable): --set lora_dropout=0",
    )
    parser.add_argument(
        "--full-run",
        metavar="RECIPE",
        help="instead: train this whole recipe on the data and print its wall time",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        data, schemas = (args.data, args.schemas) if args.data else default_data(tmp)
        print(f"data: {data}")
        if args.full_run:
            recipe, _ = load_recipe(args.full_run)
            meta = train(
                TrainRequest(
                    model=args.model,
                    data=data,
                    out=tmp / "run",
                    recipe=recipe,
                    recipe_source=args.full_run,
                    schemas=schemas,
                )
            )
            print(
                f"recipe {args.full_run}: {meta['n_train_examples']} examples, "
                f"{meta['global_step']} steps, {meta['tokens_seen']} tokens, "
                f"wall {meta['wall_s']:.0f} s ({meta['wall_s'] / 60:.1f} min)"
            )
            return
        results = []
        for method in args.methods.split(","):
            for precision in args.precisions.split(","):
                out = tmp / f"{method}-{precision}"
                results.append(
                    (method, precision, *measure(args, data, schemas, method, precision, out))
                )
        print(
            f"\n{args.steps} steps, batch {load_recipe(args.recipe)[0].per_device_batch_size}, "
            f"max length {args.max_length}, first step excluded"
        )
        print(
            f"{'method':<6} {'precision':<9} {'trainable':>11} {'tokens/s':>9} "
            f"{'s/step':>7} {'wall s':>7}"
        )
        for method, precision, rate, per_step, wall, trainable in results:
            print(
                f"{method:<6} {precision:<9} {trainable:>11,} {rate:>9.1f} {per_step:>7.2f} "
                f"{wall:>7.1f}"
            )


if __name__ == "__main__":
    main()
