"""EdgeJSON build throughput on the data engine (`slmbench data build`): 20,000 training rows
(plus the default 158 test rows) on one core.

Usage: .venv/bin/python benchmarks/bench_generate.py [--train N] [--seed S] [--profile] [--no-pin]
Target: 20,000 rows in under 30 seconds. Prints wall and CPU seconds and rows/second (on a
shared machine the CPU seconds are the one-core figure); `--profile` adds the 20 most
expensive functions (cProfile, cumulative CPU time).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import tempfile
import time
from pathlib import Path

from slmbench.data.generate import build_dataset


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to core {core}"
    return "not pinned (no sched_setaffinity on this platform)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=20_000)
    parser.add_argument("--test", type=int, default=158)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--no-pin", action="store_true", help="leave the core to the scheduler (shared machine)"
    )
    args = parser.parse_args()
    print("not pinned (--no-pin)" if args.no_pin else pin_to_one_core())
    with tempfile.TemporaryDirectory() as tmp:
        profiler = cProfile.Profile(time.process_time) if args.profile else None
        start, cpu_start = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        manifest = build_dataset(Path(tmp), seed=args.seed, n_train=args.train, n_test=args.test)
        if profiler:
            profiler.disable()
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        size_mb = (Path(tmp) / "train.jsonl").stat().st_size / 1e6
    rows = manifest["counts"]["train"]["total"] + manifest["counts"]["test"]["total"]
    print(
        f"built {rows} rows ({args.train} train + {args.test} test, train.jsonl {size_mb:.1f} MB)"
        f" in {wall:.2f} s wall, {cpu:.2f} s CPU: {rows / cpu:,.0f} rows per CPU second"
        f" (target: 20,000 rows in < 30 s; load average {os.getloadavg()[0]:.2f})"
    )
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(20)


if __name__ == "__main__":
    main()
