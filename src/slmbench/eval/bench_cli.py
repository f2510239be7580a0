"""`slmbench bench`: batch-1 latency of a model configuration, generated from
`slmbench.eval.api.BenchOptions`. Imports nothing heavy until the command runs."""

from __future__ import annotations

import argparse

from slmbench.eval.api import BenchOptions, bench
from slmbench.options import add_command


def register(sub: argparse._SubParsersAction) -> None:
    add_command(
        sub,
        "bench",
        BenchOptions,
        run_bench_command,
        help="batch-1 latency: TTFT, decode tok/s, ms per extraction, RSS, size",
        description="Warm up, then generate once per row at batch size 1 and record time to "
        "first token, decode tokens/s, end-to-end ms per extraction (median, p90), peak RSS, "
        "size on disk, this machine's memory bandwidth and the decode speed limit it implies.",
    )


def run_bench_command(options: BenchOptions) -> int:
    bench(options)
    return 0
