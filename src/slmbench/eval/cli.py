"""`slmbench eval` and `slmbench compare`. Imports nothing heavy until a command runs."""

from __future__ import annotations

import argparse
import json

from slmbench.models.base import BACKEND_NAMES, CONSTRAINED_MODES, DTYPE_HELP, DTYPE_NAMES
from slmbench.prompts import PROMPT_STYLES


def register(sub: argparse._SubParsersAction) -> None:
    ev = sub.add_parser(
        "eval",
        help="evaluate a model on a dataset (resumable run folder)",
        description="Generate greedily for every row, score against the gold JSON, and write "
        "RUN_DIR/predictions.jsonl (appended per batch; rerun the same command to resume) "
        "and RUN_DIR/results.json.",
    )
    ev.add_argument(
        "--model",
        help="registered name, model folder, full fine-tune run or hub id "
        "(optional with an --adapter whose train recipe names its base model)",
    )
    ev.add_argument("--adapter", help="PEFT adapter folder or `slmbench train` run folder")
    ev.add_argument("--data", required=True, help="JSONL dataset with gold `expected_output`")
    ev.add_argument("--schemas", help="schema folder (default: the packaged schemas)")
    ev.add_argument(
        "--prompt",
        dest="prompt_style",
        choices=PROMPT_STYLES,
        help="prompt style (default: the adapter's train recipe's, else chat)",
    )
    ev.add_argument("--limit", type=int, help="evaluate only the first N rows")
    ev.add_argument(
        "--ids",
        help="evaluate only these row ids: a JSON list, or a train run's val_ids.json",
    )
    ev.add_argument("--batch-size", type=int, default=8, help="prompts per batch (default 8)")
    ev.add_argument(
        "--max-new-tokens",
        type=int,
        default=1024,
        help="cap on the per-example budget ceil(1.5 * gold tokens) + 16 (default 1024)",
    )
    ev.add_argument("--backend", choices=BACKEND_NAMES, default="transformers")
    ev.add_argument("--base-url", help="server URL (openai backend)")
    ev.add_argument("--dtype", choices=DTYPE_NAMES, help=DTYPE_HELP)
    ev.add_argument("--device", choices=("cpu", "cuda", "auto"), help="(transformers backend)")
    ev.add_argument("--threads", type=int, help="CPU threads (default: all available cores)")
    ev.add_argument(
        "--constrained",
        nargs="?",
        const="strict",
        choices=CONSTRAINED_MODES,
        help="schema-constrained decoding (bare flag: strict)",
    )
    ev.add_argument("--no-progress", action="store_true", help="no progress bar")
    ev.add_argument("--out", required=True, help="run folder to create or resume")
    ev.set_defaults(func=run_eval_command)

    cmp = sub.add_parser(
        "compare",
        help="paired comparison of two eval runs (McNemar, per-tier deltas)",
        description="Compare JSONExact of two eval runs on their shared example ids.",
    )
    cmp.add_argument("run_a", metavar="RUN_A")
    cmp.add_argument("run_b", metavar="RUN_B")
    cmp.add_argument(
        "--force", action="store_true", help="compare even if the datasets' sha256 differ"
    )
    cmp.add_argument("--json", action="store_true", help="print the comparison as JSON")
    cmp.set_defaults(func=run_compare_command)


def run_eval_command(args: argparse.Namespace) -> int:
    from slmbench.eval.runner import EvalOptions, run_eval

    run_eval(
        EvalOptions(
            data=args.data,
            out=args.out,
            model=args.model,
            adapter=args.adapter,
            schemas=args.schemas,
            prompt_style=args.prompt_style,
            limit=args.limit,
            ids=args.ids,
            batch_size=args.batch_size,
            max_new_tokens=args.max_new_tokens,
            backend=args.backend,
            base_url=args.base_url,
            dtype=args.dtype,
            device=args.device,
            threads=args.threads,
            constrained=args.constrained,
            progress=not args.no_progress,
        )
    )
    return 0


def run_compare_command(args: argparse.Namespace) -> int:
    from slmbench.eval.compare import compare_runs, print_comparison

    result = compare_runs(args.run_a, args.run_b, force=args.force)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_comparison(result)
    return 0
