"""`slmbench pipeline`: the README's main job, every stage in order on the embedded model.

Each step is a typed call of the stage's Python API (`slmbench.build_data`, `evaluate`, ...)
with the same options object its command takes, printed as the command a user would type; each
step resumes, so rerunning after an interruption skips finished work.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slmbench.data.api import DEFAULT_TEST_ROWS, DEFAULT_TRAIN_ROWS
from slmbench.errors import SlmbenchError
from slmbench.eval.api import DEFAULT_BATCH_SIZE
from slmbench.models.base import CONSTRAINED_MODES
from slmbench.options import CallableModule, add_command, command_line, option
from slmbench.results_contract import DEFAULT_TASK
from slmbench.tasks.registry import TASK_NAMES

DEFAULT_MODEL = "smollm2-135m-instruct"


@dataclass(kw_only=True)
class PipelineOptions:
    """Everything `slmbench pipeline` takes."""

    out: Path = Path("runs/main")
    """Folder for every output."""
    task: str = option(DEFAULT_TASK, choices=TASK_NAMES)
    """The benchmark task (edgeintent: builds its data from --source)."""
    source: Path | None = None
    """edgeintent: the labelled file to split into train/validation, e.g.
    `../shared/banking77/train.csv`."""
    model: str = DEFAULT_MODEL
    """Base model: registered name, model folder or hub id."""
    recipe: str = "quick"
    """Training recipe (quick: one epoch of full fine-tuning, ~10 min on a CPU)."""
    seed: int = 0
    """Data and training seed."""
    train: int = DEFAULT_TRAIN_ROWS
    """Training rows to generate."""
    test: int = DEFAULT_TEST_ROWS
    """Test rows to generate."""
    eval_data: Path | None = None
    """Test file for both evals instead of the built test split, e.g. the frozen test split of
    record (`results/data/edgejson-seed0/test.jsonl`), so that the main job's scores compare
    with the record's; the built training rows are checked against it for overlap."""
    limit: int | None = None
    """Evaluate only the first N test rows."""
    batch_size: int = DEFAULT_BATCH_SIZE
    """Eval batch size."""
    skip_train: bool = False
    """Stop after the zero-shot eval."""
    constrained: str | None = option(None, choices=CONSTRAINED_MODES, const="strict")
    """Schema-constrained decoding in both evals (bare flag: strict)."""


@dataclass
class Step:
    title: str
    command: str
    """The `slmbench` command the step is, e.g. `data build`."""
    options: Callable[[], Any]
    """The step's options object, made when the step runs (from what earlier steps wrote)."""
    run: Callable[[Any], Any]


def register(sub: argparse._SubParsersAction) -> None:
    add_command(
        sub,
        "pipeline",
        PipelineOptions,
        run_pipeline,
        help="data -> zero-shot eval -> fine-tune -> eval -> compare -> report",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def run_pipeline(options: PipelineOptions) -> int:
    pipeline(options)
    return 0


def plan(opts: PipelineOptions) -> list[Step]:
    """The steps of the main job, in order."""
    from slmbench.data.api import BuildDataOptions, ValidateOptions, build_data
    from slmbench.eval.api import CompareOptions, EvalOptions, evaluate
    from slmbench.report.api import ReportOptions, report
    from slmbench.train.api import TrainOptions, train

    data, out = opts.out / "data", opts.out
    zero, tuned_run, tuned_eval = out / "zero-shot", out / "train", out / "finetuned"
    if opts.eval_data is not None and not Path(opts.eval_data).is_file():
        raise SlmbenchError(f"--eval-data {opts.eval_data}: no such file")
    test = str(opts.eval_data or data / "test.jsonl")
    run_opts: dict[str, Any] = {"batch_size": opts.batch_size, "limit": opts.limit}
    if opts.task != DEFAULT_TASK:
        run_opts["task"] = opts.task
    if opts.constrained:
        run_opts["constrained"] = opts.constrained
    edgejson = opts.task == DEFAULT_TASK

    def tuned() -> EvalOptions:
        # A LoRA run is evaluated as an adapter on its base; a full fine-tune as a model.
        if (tuned_run / "adapter").is_dir():
            model = {"adapter": str(tuned_run), "model": opts.model}
        else:
            model = {"model": str(tuned_run)}
        return EvalOptions(**model, data=test, out=str(tuned_eval), **run_opts)

    steps = []
    if not _same_build(data, opts):
        if edgejson:
            build = BuildDataOptions(out=data, seed=opts.seed, train=opts.train, test=opts.test)
        else:
            build = BuildDataOptions(out=data, task=opts.task, source=opts.source, seed=opts.seed)
        title = "build the EdgeJSON benchmark" if edgejson else f"build the {opts.task} data"
        steps.append(Step(title, "data build", lambda: build, build_data))
    if edgejson:
        steps.append(
            Step(
                "validate it",
                "data validate",
                lambda: ValidateOptions(file=data / "train.jsonl", against=Path(test)),
                _validate,
            )
        )
    steps += [
        Step(
            "evaluate the base model zero-shot",
            "eval",
            lambda: EvalOptions(model=opts.model, data=test, out=str(zero), **run_opts),
            evaluate,
        ),
    ]
    runs = [zero]
    if not opts.skip_train:
        fine_tune = TrainOptions(
            model=opts.model,
            data=data / "train.jsonl",
            out=tuned_run,
            recipe=opts.recipe,
            recipe_overrides={"seed": opts.seed},
            task=opts.task,
        )
        steps += [
            Step(f"fine-tune ({opts.recipe} recipe)", "train", lambda: fine_tune, train),
            Step("evaluate the fine-tuned model", "eval", tuned, evaluate),
            Step(
                "compare zero-shot and fine-tuned",
                "compare",
                lambda: CompareOptions(run_a=str(zero), run_b=str(tuned_eval)),
                _compare,
            ),
        ]
        runs += [tuned_eval, tuned_run]
    steps.append(
        Step(
            "write the report",
            "report",
            lambda: ReportOptions(runs=runs, data=data, out=out / "report"),
            report,
        )
    )
    return steps


def pipeline(opts: PipelineOptions) -> Path:
    """Run the main job into `opts.out`, resuming what an earlier run left; returns the
    report's index.html."""
    steps = plan(opts)
    for number, step in enumerate(steps, start=1):
        options = step.options()
        shown = " ".join([step.command, *command_line(options)])
        print(f"\n[{number}/{len(steps)}] {step.title}: slmbench {shown}", flush=True)
        start = time.perf_counter()
        step.run(options)
        print(f"[{number}/{len(steps)}] done in {time.perf_counter() - start:.0f} s", flush=True)
    index = opts.out / "report" / "index.html"
    print(f"\nAll done. Report: {index}")
    return index


def _validate(options: Any) -> None:
    from slmbench.data.api import validate

    result = validate(options)
    print(result.render())
    if not result.ok:
        raise SlmbenchError(f"{options.file} failed validation (see above)")


def _compare(options: Any) -> None:
    from slmbench.eval.api import compare
    from slmbench.eval.compare import print_comparison

    print_comparison(compare(options))


def _same_build(data: Path, opts: PipelineOptions) -> bool:
    """True when `data` already holds a build with this seed and these sizes."""
    manifest = data / "manifest.json"
    if not manifest.is_file():
        return False
    m = json.loads(manifest.read_text())
    counts = m.get("counts", {})
    if opts.task != DEFAULT_TASK:
        from slmbench.data.rows import file_sha256

        source = m.get("source") or {}
        return (
            m.get("task") == opts.task
            and m.get("seed") == opts.seed
            and opts.source is not None
            and Path(opts.source).is_file()
            and source.get("sha256") == file_sha256(opts.source)
        )
    if m.get("task", DEFAULT_TASK) != DEFAULT_TASK:
        return False
    return (
        m.get("seed") == opts.seed
        and counts.get("train", {}).get("total") == opts.train
        and counts.get("test", {}).get("total") == opts.test
    )


class _PipelineModule(CallableModule):
    def __call__(self, options: PipelineOptions) -> Path:
        """Run the main job: `slmbench.pipeline.pipeline`."""
        return pipeline(options)


sys.modules[__name__].__class__ = _PipelineModule
