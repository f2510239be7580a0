"""`slmbench data build|validate|stats`."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    data = sub.add_parser("data", help="build, validate and describe EdgeJSON datasets")
    data_sub = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)

    build = data_sub.add_parser("build", help="generate train/test splits with a seed")
    build.add_argument("--out", type=Path, required=True, help="output folder")
    build.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    build.add_argument("--train", type=int, default=629, help="training rows (default 629)")
    build.add_argument("--test", type=int, default=158, help="test rows (default 158)")
    build.add_argument(
        "--exclude",
        type=Path,
        action="append",
        help="a dataset file (e.g. another build's test split) whose prompts and gold answers "
        "no new row may repeat: extra training data that cannot leak into that test "
        "(repeat the flag for several files)",
    )
    build.add_argument(
        "--tiers",
        help="comma-separated tiers to make rows of, at their usual shares to one another "
        "(default: all three; e.g. `complex` for extra rows of the hardest tier)",
    )
    build.set_defaults(func=run_build)

    validate = data_sub.add_parser("validate", help="check every row of a dataset file")
    validate.add_argument("file", type=Path)
    validate.add_argument("--schemas", type=Path, help="schema folder (default: packaged)")
    validate.add_argument(
        "--against", type=Path, help="another split that must share no prompt with FILE"
    )
    validate.add_argument(
        "--max-failures",
        type=int,
        default=50,
        metavar="N",
        help="failure lines to print (default 50; 0 = all)",
    )
    validate.add_argument("--json", action="store_true", help="print the report as JSON")
    validate.set_defaults(func=run_validate)

    stats = data_sub.add_parser("stats", help="rows per tier/schema and lengths in tokens")
    stats.add_argument("file", type=Path)
    stats.add_argument("--schemas", type=Path, help="schema folder (default: packaged)")
    stats.add_argument(
        "--no-tokens",
        action="store_true",
        help="characters only (skip loading the embedded model's tokenizer)",
    )
    stats.set_defaults(func=run_stats)


def run_build(args: argparse.Namespace) -> int:
    from slmbench.data.generate import build_dataset
    from slmbench.data.schemas import TIERS

    manifest = build_dataset(
        args.out,
        seed=args.seed,
        n_train=args.train,
        n_test=args.test,
        exclude=args.exclude or (),
        tiers=[t.strip() for t in args.tiers.split(",")] if args.tiers else TIERS,
    )
    print(
        f"wrote {args.out}/train.jsonl ({manifest['counts']['train']['total']} rows), "
        f"{args.out}/test.jsonl ({manifest['counts']['test']['total']} rows), manifest.json"
    )
    return 0


def run_validate(args: argparse.Namespace) -> int:
    from slmbench.data.validate import report_json, validate_file

    report = validate_file(args.file, schema_dir=args.schemas, against=args.against)
    if args.json:
        print(report_json(report))
    else:
        print(report.render(max_failures=args.max_failures or None))
    return 0 if report.ok else 1


def embedded_token_counter():
    """Token counts in the embedded model's tokenizer (imported here: data has no model code)."""
    from transformers import AutoTokenizer

    from slmbench.models.embedded import embedded_model_dir

    tokenizer = AutoTokenizer.from_pretrained(embedded_model_dir())
    return lambda text: len(tokenizer(text, add_special_tokens=False)["input_ids"])


def run_stats(args: argparse.Namespace) -> int:
    from slmbench.data.stats import dataset_stats, render_stats

    count_tokens = None if args.no_tokens else embedded_token_counter()
    print(
        render_stats(dataset_stats(args.file, schema_dir=args.schemas, count_tokens=count_tokens))
    )
    return 0
