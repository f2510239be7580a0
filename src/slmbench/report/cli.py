"""`slmbench report RUN_DIR... --out REPORT_DIR`: tables, figures, index.html, model cards;
`slmbench report --claims [--check]`: the README's headline table and docs/record.md from the
checked claims. Generated from `slmbench.report.api.ReportOptions`."""

from __future__ import annotations

import argparse
import sys

from slmbench.options import add_command
from slmbench.report.api import ReportOptions, report


def register(sub: argparse._SubParsersAction) -> None:
    add_command(
        sub,
        "report",
        ReportOptions,
        run_report,
        help="turn saved eval/train runs into tables, figures, index.html and model cards",
        description="Read saved run folders (results.json, predictions.jsonl, recipe.json, "
        "train_meta.json, train_log.jsonl) and write tables.md, tables.tex, figures (PNG+PDF), "
        "a self-contained index.html and a model_card.md per fine-tuned model. With --claims, "
        "check every claim of experiments/*/claims.json against its run's results.json and "
        "write the README's headline table (from results/headline.json), its figure and "
        "docs/record.md. Runs nothing.",
    )


def run_report(options: ReportOptions) -> int:
    done = report(options)
    published = done.published
    if published is not None and options.check:
        for rel, diff in published.stale.items():
            print(f"stale: {rel} (run `slmbench report --claims`)\n{diff}", file=sys.stderr)
        verdict = ", ".join(published.stale) + " stale" if published.stale else "all up to date"
        print(f"{published.n_claims} claims hold; README.md, docs/record.md, figure: {verdict}")
        if published.stale:
            return 1
    elif published is not None:
        print(
            f"{published.n_claims} claims hold; wrote "
            + (", ".join(str(p) for p in published.written) or "nothing (all up to date)")
        )
    built = done.report
    if built is None:
        return 0
    for skipped in built.runs.skipped:
        print(f"skipped {skipped.path}: {skipped.reason}", file=sys.stderr)
    for run in list(built.runs.evals) + list(built.runs.trains):
        for note in run.notes:
            print(f"note {run.path}: {note}", file=sys.stderr)
    for note in built.notes:
        print(f"note: {note}", file=sys.stderr)
    print(
        f"report of {len(built.runs.evals)} eval and {len(built.runs.trains)} train run(s) "
        f"({len(built.groups)} dataset(s)): {options.out / 'index.html'}, tables.md, tables.tex, "
        f"{sum(p.suffix == '.png' for p in built.files)} figures, "
        f"{len(built.model_cards)} model card(s)"
    )
    return 0
