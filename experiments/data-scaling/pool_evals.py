"""JSONExact of one model over several eval runs on disjoint data (e.g. two test splits of the
generator, checked apart with `slmbench data validate --against`), each run alone and
pooled, with the harness's bootstrap intervals.
    python experiments/data-scaling/pool_evals.py RUN_DIR RUN_DIR...
"""

from __future__ import annotations

import argparse
from pathlib import Path

from slmbench.eval.aggregate import group_by, metric_table
from slmbench.eval.results import read_predictions


def line(name: str, rows: list[dict]) -> str:
    groups = {"overall": rows, **group_by(rows, "complexity")}
    cells = []
    for label, group in groups.items():
        exact = metric_table(group)["json_exact"]
        hits = sum(r["json_exact"] for r in group)
        cells.append(
            f"{label} {hits}/{len(group)} = {100 * exact['value']:.1f} "
            f"[{100 * exact['ci_low']:.1f}, {100 * exact['ci_high']:.1f}]"
        )
    return f"{name}\n  " + "\n  ".join(cells)


def main(runs: list[str]) -> None:
    pooled: list[dict] = []
    for run in map(Path, runs):
        rows = read_predictions(run / "predictions.jsonl")
        pooled += rows
        print(line(str(run), rows))
    print(line("pooled", pooled))
    print("JSONExact %, 95% bootstrap interval in brackets")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n    ")[0])
    parser.add_argument("runs", nargs="+", metavar="RUN_DIR", help="eval run folders")
    main(parser.parse_args().runs)
