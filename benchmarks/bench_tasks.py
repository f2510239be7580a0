"""Queries per second of each task's fine-tuned model of record, per backend, at batch 1.

    .venv/bin/python benchmarks/bench_tasks.py [--rows 20] [--threads 2] [--out DIR]

For each task (edgejson, edgeintent, edgefunccall) it takes the fine-tuned model of record from
`results/record.json`, and for each backend (transformers, llamacpp: the adapter merged and
converted once, cached) it runs `slmbench bench` on `--rows` rows spread over the task's
validation or test file, constrained, one request at a time, and prints the median and p90 ms
per query, queries per second and llama.cpp's speed as a ratio of transformers' in the same run.
A task whose data file is absent (the BANKING77 and function-calling builds stay out of git:
`experiments/edgeintent/run.sh` and `experiments/edgefunccall/run.sh` make them) is skipped
with the command that builds it. Numbers depend on the load: the load average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from slmbench.eval.api import BenchOptions, bench

ROOT = Path(__file__).resolve().parents[1]
DATA = {
    "edgejson": "results/data/edgejson-seed0/test.jsonl",
    "edgeintent": "runs/banking77/test.jsonl",
    "edgefunccall": "runs/fc-data/test.jsonl",
}
BUILD = {
    "edgeintent": "STEP=zs bash experiments/edgeintent/run.sh (its first lines build the data)",
    "edgefunccall": "STEP=zs bash experiments/edgefunccall/run.sh (its first lines build the data)",
}
BACKENDS = ("transformers", "llamacpp")


def fine_tuned_of_record(task: str) -> str | None:
    """The adapter of the task's first fine-tuned model in results/record.json."""
    record = json.loads((ROOT / "results/record.json").read_text(encoding="utf-8"))
    for entry in record["models"]:
        if entry.get("task", "edgejson") == task and entry.get("adapter"):
            return entry["adapter"]
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--tasks", nargs="+", default=list(DATA))
    parser.add_argument("--out", type=Path, default=Path("runs/bench-tasks"))
    args = parser.parse_args()
    os.chdir(ROOT)
    rows = []
    for task in args.tasks:
        adapter, data = fine_tuned_of_record(task), DATA[task]
        if adapter is None:
            print(f"{task}: no fine-tuned model of record; skipped", file=sys.stderr)
            continue
        if not Path(data).is_file():
            print(f"{task}: {data} is absent; build it with {BUILD[task]}", file=sys.stderr)
            continue
        for backend in BACKENDS:
            out = args.out / f"{task}.{backend}.json"
            options = BenchOptions(
                task=task, adapter=adapter, data=data, backend=backend, rows=args.rows,
                spread=True, constrained="strict", threads=args.threads, out=str(out),
            )  # fmt: skip
            result = bench(options, echo=lambda _line: None)
            ms = result["latency"]["ms_per_extraction"]
            rows.append((task, backend, result["n"], ms["median"], ms["p90"]))
    load = os.getloadavg()[0]
    print(f"batch 1, constrained, {args.threads or 'default'} threads; load average {load:.1f}")
    print(f"{'task':<13} {'backend':<13} {'n':>3} {'median ms':>10} {'p90 ms':>8} {'q/s':>6}")
    median = {}
    for task, backend, n, med, p90 in rows:
        median[task, backend] = med
        print(f"{task:<13} {backend:<13} {n:>3} {med:>10.0f} {p90:>8.0f} {1000 / med:>6.2f}")
    for task in args.tasks:
        if (task, "llamacpp") in median and (task, "transformers") in median:
            ratio = median[task, "transformers"] / median[task, "llamacpp"]
            print(f"{task}: llama.cpp {ratio:.2f}x the queries per second of transformers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
