"""`slmbench eval` and `slmbench compare`, generated from `slmbench.eval.api`'s options
dataclasses. Imports nothing heavy until a command runs."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass

from slmbench.eval.api import CompareOptions, EvalOptions, compare, evaluate
from slmbench.options import add_command


@dataclass(kw_only=True)
class CompareCommand(CompareOptions):
    """`slmbench compare`: the comparison printed as a table, or as JSON."""

    json: bool = False
    """Print the comparison as JSON."""


def register(sub: argparse._SubParsersAction) -> None:
    add_command(
        sub,
        "eval",
        EvalOptions,
        run_eval_command,
        help="evaluate a model on a dataset (resumable run folder)",
        description="Generate greedily for every row, score against the gold JSON, and write "
        "RUN_DIR/predictions.jsonl (appended per batch; rerun the same command to resume) "
        "and RUN_DIR/results.json.",
    )
    add_command(
        sub,
        "compare",
        CompareCommand,
        run_compare_command,
        help="paired comparison of two eval runs (McNemar, per-tier deltas)",
        description="Compare JSONExact of two eval runs on their shared example ids.",
    )


def run_eval_command(options: EvalOptions) -> int:
    evaluate(options)
    return 0


def run_compare_command(options: CompareCommand) -> int:
    from slmbench.eval.compare import print_comparison

    result = compare(options)
    if options.json:
        print(json.dumps(result, indent=2))
    else:
        print_comparison(result)
    return 0
