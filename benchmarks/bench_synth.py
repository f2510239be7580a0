"""Rows per second of `slmbench data synth` on one core (target: 20,000 rows in under 30 s).

    python benchmarks/bench_synth.py [--rows 20000] [--examples] [--out results.json]

Schemas: the shipping-notice example (`examples/shipping_notice/`); `--examples` also uses its
ten labelled examples (half the rows from their templates). Prints one JSON line with wall
and CPU seconds: on a shared machine the CPU time is the one-core figure.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from slmbench.data.synth import SynthOptions, synth

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "shipping_notice"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000, help="training rows (default 20000)")
    parser.add_argument("--schema", type=Path, default=EXAMPLE / "schema.json")
    parser.add_argument("--examples", action="store_true", help="also use the example rows")
    parser.add_argument("--out", type=Path, help="write the result as JSON here too")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        options = SynthOptions(
            schema=args.schema,
            out=Path(tmp),
            examples=EXAMPLE / "examples.jsonl" if args.examples else None,
            n=args.rows,
            n_test=max(1, args.rows // 100),
        )
        start, cpu_start = time.perf_counter(), time.process_time()
        synth(options)
        seconds = time.perf_counter() - start
        cpu_seconds = time.process_time() - cpu_start
        manifest = json.loads((Path(tmp) / "manifest.json").read_text())
    total = manifest["files"]["train.jsonl"]["rows"] + manifest["files"]["test.jsonl"]["rows"]
    result = {
        "schema": os.path.relpath(args.schema, ROOT),
        "examples": args.examples,
        "rows": total,
        "seconds": round(seconds, 2),
        "rows_per_second": round(total / seconds, 1),
        "cpu_seconds": round(cpu_seconds, 2),
        "rows_per_cpu_second": round(total / cpu_seconds, 1),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "rows_by_source": manifest["rows"],
    }
    print(json.dumps(result))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
