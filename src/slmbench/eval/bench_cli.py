"""`slmbench bench`: batch-1 latency of a model configuration. Imports nothing heavy until
the command runs."""

from __future__ import annotations

import argparse

from slmbench.models.base import BACKEND_NAMES, CONSTRAINED_MODES, DTYPE_HELP, DTYPE_NAMES
from slmbench.prompts import PROMPT_STYLES


def register(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser(
        "bench",
        help="batch-1 latency: TTFT, decode tok/s, ms per extraction, RSS, size",
        description="Warm up, then generate once per row at batch size 1 and record time to "
        "first token, decode tokens/s, end-to-end ms per extraction (median, p90), peak RSS, "
        "size on disk, this machine's memory bandwidth and the decode speed limit it implies.",
    )
    bench.add_argument(
        "--model",
        help="registered name, model folder, full fine-tune run, hub id, or GGUF file "
        "(llamacpp); optional with an --adapter whose train recipe names its base model",
    )
    bench.add_argument("--adapter", help="PEFT adapter folder or `slmbench train` run folder")
    bench.add_argument("--backend", choices=BACKEND_NAMES, default="transformers")
    bench.add_argument("--base-url", help="server URL (openai backend)")
    bench.add_argument(
        "--constrained",
        nargs="?",
        const="strict",
        choices=CONSTRAINED_MODES,
        help="schema-constrained decoding (bare flag: strict)",
    )
    bench.add_argument("--dtype", choices=DTYPE_NAMES, help=DTYPE_HELP)
    bench.add_argument("--threads", type=int, help="CPU threads (default: all available cores)")
    bench.add_argument(
        "--rows", type=int, default=16, help="rows to time, from the start of --data (16)"
    )
    bench.add_argument(
        "--data",
        help="JSONL dataset with gold answers (default: the generated test split, seed 0)",
    )
    bench.add_argument("--schemas", help="schema folder (default: the packaged schemas)")
    bench.add_argument(
        "--prompt",
        dest="prompt_style",
        choices=PROMPT_STYLES,
        help="prompt style (default: the adapter's train recipe's, else chat)",
    )
    bench.add_argument(
        "--max-new-tokens",
        type=int,
        default=1024,
        help="cap on the per-row budget ceil(1.5 * gold tokens) + 16, as in eval (1024)",
    )
    bench.add_argument("--markdown", help="append a row for this configuration to this file")
    bench.add_argument("--out", required=True, help="JSON file to write")
    bench.set_defaults(func=run_bench_command)


def run_bench_command(args: argparse.Namespace) -> int:
    from slmbench.eval.bench import BenchOptions, run_bench

    run_bench(
        BenchOptions(
            model=args.model,
            out=args.out,
            adapter=args.adapter,
            backend=args.backend,
            constrained=args.constrained,
            dtype=args.dtype,
            threads=args.threads,
            base_url=args.base_url,
            rows=args.rows,
            data=args.data,
            schemas=args.schemas,
            prompt_style=args.prompt_style,
            max_new_tokens=args.max_new_tokens,
            markdown=args.markdown,
        )
    )
    return 0
