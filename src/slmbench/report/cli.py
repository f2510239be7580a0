"""`slmbench report RUN_DIR... --out REPORT_DIR`: tables, figures, index.html, model cards."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser(
        "report",
        help="turn saved eval/train runs into tables, figures, index.html and model cards",
        description="Read saved run folders (results.json, predictions.jsonl, recipe.json, "
        "train_meta.json, train_log.jsonl) and write tables.md, tables.tex, figures (PNG+PDF), "
        "a self-contained index.html and a model_card.md per fine-tuned model. Runs nothing.",
    )
    report.add_argument(
        "runs",
        nargs="+",
        type=Path,
        metavar="RUN_DIR",
        help="a run folder, or a folder searched recursively for run folders",
    )
    report.add_argument(
        "--out", type=Path, required=True, metavar="REPORT_DIR", help="output folder (created)"
    )
    report.add_argument(
        "--data",
        type=Path,
        metavar="DIR",
        help="dataset folder (train.jsonl/test.jsonl/manifest.json) to describe",
    )
    report.add_argument(
        "--with-reported",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="show the paper's published numbers as a separate 'reported' group (default: on)",
    )
    report.add_argument(
        "--pareto-x",
        choices=("params", "size"),
        default="params",
        help="x axis of the size Pareto plot: parameters or size on disk",
    )
    report.set_defaults(func=run_report)


def run_report(args: argparse.Namespace) -> int:
    from slmbench.report.build import build_report

    report = build_report(
        args.runs,
        args.out,
        data_dir=args.data,
        with_reported=args.with_reported,
        pareto_x=args.pareto_x,
    )
    for skipped in report.runs.skipped:
        print(f"skipped {skipped.path}: {skipped.reason}", file=sys.stderr)
    for run in list(report.runs.evals) + list(report.runs.trains):
        for note in run.notes:
            print(f"note {run.path}: {note}", file=sys.stderr)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    print(
        f"report of {len(report.runs.evals)} eval and {len(report.runs.trains)} train run(s) "
        f"({len(report.groups)} dataset(s)): {args.out / 'index.html'}, tables.md, tables.tex, "
        f"{sum(p.suffix == '.png' for p in report.files)} figures, "
        f"{len(report.model_cards)} model card(s)"
    )
    return 0
