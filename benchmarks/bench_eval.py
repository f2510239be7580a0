"""Eval throughput of the embedded model: generated tokens/s at batch 1, 8 and 16 on 16 test
rows (same prompts and token budgets as `slmbench eval`), and the wall time of a whole
test-split eval.

    .venv/bin/python benchmarks/bench_eval.py                 # batch sizes, then full split
    .venv/bin/python benchmarks/bench_eval.py --skip-full     # batch sizes only

Targets: batched decoding >= 3x the tokens/s of batch 1; the 158-row test split evaluated in
under 5 minutes. Rows come from `slmbench.data.generate.build_dataset` (seed 0), or `--data`.
Numbers depend on what else runs on the machine: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from slmbench.data.rows import read_rows
from slmbench.data.schemas import load_schemas
from slmbench.eval.runner import EvalOptions, build_examples, length_sorted_batches, run_eval
from slmbench.models.base import GenerationRequest
from slmbench.models.embedded import EMBEDDED_NAME
from slmbench.models.registry import load_backend

TARGET_SPEEDUP = 3.0
TARGET_FULL_SPLIT_S = 300.0


def test_split(args: argparse.Namespace, workdir: Path) -> tuple[Path, str | None]:
    """(test rows file, schema folder or None for the packaged schemas)."""
    if args.data:
        return Path(args.data), args.schemas
    from slmbench.data.generate import build_dataset

    build_dataset(workdir / "edgejson", seed=0)
    return workdir / "edgejson" / "test.jsonl", None


def tokens_per_s(backend, examples, batch_size: int) -> tuple[int, float]:
    """(generated tokens, wall seconds) for all `examples` in length-sorted batches."""
    generated, started = 0, time.perf_counter()
    for batch in length_sorted_batches(examples, batch_size):
        requests = [
            GenerationRequest(ex.prompt, ex.max_new_tokens, messages=ex.messages) for ex in batch
        ]
        generated += sum(g.generated_tokens for g in backend.generate(requests))
    return generated, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="test rows (default: generated test split, seed 0)")
    parser.add_argument("--schemas", help="schema folder for --data (default: packaged)")
    parser.add_argument("--rows", type=int, default=16)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8, 16])
    parser.add_argument("--max-new-tokens", type=int, default=1024, help="budget cap")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--dtype", choices=("float32", "bfloat16"))
    parser.add_argument("--prompt", default="chat")
    parser.add_argument("--full-batch-size", type=int, default=16)
    parser.add_argument("--skip-full", action="store_true", help="skip the full-split eval")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        data, schema_dir = test_split(args, workdir)
        schemas = load_schemas(schema_dir)
        rows = read_rows(data, schemas)
        backend = load_backend(
            "transformers", EMBEDDED_NAME, threads=args.threads, dtype=args.dtype
        )
        backend.warmup()
        examples = build_examples(
            rows[: args.rows], schemas, args.prompt, backend.tokenizer, args.max_new_tokens
        )
        load = os.getloadavg()[0]
        print(
            f"model {EMBEDDED_NAME}, {backend.info()['threads']} threads, "
            f"dtype {args.dtype or 'float32'}, {len(examples)} rows of {data}"
        )
        print(f"load average {load:.1f} on {os.cpu_count()} CPUs")
        print(f"{'batch':>5}  {'tokens':>6}  {'wall s':>7}  {'tok/s':>6}  {'x batch 1':>9}")
        base = None
        for size in args.batch_sizes:
            generated, wall = tokens_per_s(backend, examples, size)
            rate = generated / wall
            base = base or rate
            print(f"{size:>5}  {generated:>6}  {wall:>7.1f}  {rate:>6.1f}  {rate / base:>9.2f}")
        print(f"target: best batched rate >= {TARGET_SPEEDUP:.0f}x batch 1")

        if args.skip_full:
            return 0
        del backend
        started = time.perf_counter()
        results = run_eval(
            EvalOptions(
                data=str(data),
                out=str(workdir / "full-run"),
                model=EMBEDDED_NAME,
                schemas=schema_dir,
                prompt_style=args.prompt,
                batch_size=args.full_batch_size,
                max_new_tokens=args.max_new_tokens,
                threads=args.threads,
                dtype=args.dtype,
            ),
            echo=lambda line: print(line, file=sys.stderr),
        )
        wall = time.perf_counter() - started
        print(
            f"full split: {results['n']} rows in {wall:.0f} s (model load included; "
            f"generation {results['latency']['wall_s']:.0f} s), batch {args.full_batch_size}, "
            f"JSONExact {100 * results['metrics']['overall']['json_exact']['value']:.1f}%; "
            f"target < {TARGET_FULL_SPLIT_S:.0f} s; load average {os.getloadavg()[0]:.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
