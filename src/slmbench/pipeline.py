"""`slmbench pipeline`: the README's main job, every stage in order on the embedded model.

Each step is the same CLI command a user would type (so the pipeline cannot drift from the
documented commands), and each step resumes: rerunning after an interruption skips finished work.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

from slmbench.errors import SlmbenchError

DEFAULT_MODEL = "smollm2-135m-instruct"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "pipeline",
        help="data -> zero-shot eval -> fine-tune -> eval -> compare -> report",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", type=Path, default=Path("runs/main"), help="folder for every output")
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"base model (default {DEFAULT_MODEL})")
    p.add_argument("--recipe", default="quick", help="training recipe (default: quick, ~10 min)")
    p.add_argument("--seed", type=int, default=0, help="data and training seed")
    p.add_argument("--train", type=int, default=629, help="training rows to generate")
    p.add_argument("--test", type=int, default=158, help="test rows to generate")
    p.add_argument("--limit", type=int, help="evaluate only the first N test rows")
    p.add_argument("--batch-size", type=int, default=8, help="eval batch size")
    p.add_argument("--skip-train", action="store_true", help="stop after the zero-shot eval")
    p.set_defaults(func=run_pipeline)


def run_pipeline(args: argparse.Namespace) -> int:
    from slmbench.cli import main as cli

    out: Path = args.out
    data, zero, tuned_run, tuned_eval = (
        out / "data",
        out / "zero-shot",
        out / "train",
        out / "finetuned",
    )
    eval_opts = ["--batch-size", str(args.batch_size)]
    if args.limit:
        eval_opts += ["--limit", str(args.limit)]

    # A step's argv may be a function: built when the step runs, from what earlier steps wrote.
    steps: list[tuple[str, list[str] | Callable[[], list[str]]]] = []
    if not _same_build(data, args):
        steps.append(
            (
                "build the EdgeJSON benchmark",
                [
                    "data",
                    "build",
                    "--out",
                    str(data),
                    "--seed",
                    str(args.seed),
                    "--train",
                    str(args.train),
                    "--test",
                    str(args.test),
                ],
            )
        )
    steps += [
        (
            "validate it",
            ["data", "validate", str(data / "train.jsonl"), "--against", str(data / "test.jsonl")],
        ),
        (
            "evaluate the base model zero-shot",
            [
                "eval",
                "--model",
                args.model,
                "--data",
                str(data / "test.jsonl"),
                "--out",
                str(zero),
                *eval_opts,
            ],
        ),
    ]
    if not args.skip_train:
        steps.append(
            (
                f"fine-tune ({args.recipe} recipe)",
                [
                    "train",
                    "--model",
                    args.model,
                    "--data",
                    str(data / "train.jsonl"),
                    "--recipe",
                    args.recipe,
                    "--seed",
                    str(args.seed),
                    "--out",
                    str(tuned_run),
                ],
            )
        )

        # A LoRA run is evaluated as an adapter on its base; a full fine-tune as a model.
        def tuned() -> list[str]:
            if (tuned_run / "adapter").is_dir():
                return ["--adapter", str(tuned_run), "--model", args.model]
            return ["--model", str(tuned_run)]

        steps += [
            (
                "evaluate the fine-tuned model",
                lambda: [
                    "eval",
                    *tuned(),
                    "--data",
                    str(data / "test.jsonl"),
                    "--out",
                    str(tuned_eval),
                    *eval_opts,
                ],
            ),
            ("compare zero-shot and fine-tuned", ["compare", str(zero), str(tuned_eval)]),
        ]
    runs = [str(zero)] + ([] if args.skip_train else [str(tuned_eval), str(tuned_run)])
    steps.append(
        ("write the report", ["report", *runs, "--data", str(data), "--out", str(out / "report")])
    )

    for number, (title, make_argv) in enumerate(steps, start=1):
        argv = make_argv() if callable(make_argv) else make_argv
        print(f"\n[{number}/{len(steps)}] {title}: slmbench {' '.join(argv)}", flush=True)
        start = time.perf_counter()
        code = cli(argv)
        if code:
            raise SlmbenchError(f"step {number} ({title}) failed with exit code {code}")
        print(f"[{number}/{len(steps)}] done in {time.perf_counter() - start:.0f} s", flush=True)
    print(f"\nAll done. Report: {out / 'report' / 'index.html'}")
    return 0


def _same_build(data: Path, args: argparse.Namespace) -> bool:
    """True when `data` already holds a build with this seed and these sizes."""
    manifest = data / "manifest.json"
    if not manifest.is_file():
        return False
    m = json.loads(manifest.read_text())
    counts = m.get("counts", {})
    return (
        m.get("seed") == args.seed
        and counts.get("train", {}).get("total") == args.train
        and counts.get("test", {}).get("total") == args.test
    )
