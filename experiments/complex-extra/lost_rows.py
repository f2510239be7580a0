"""Rows that eval run A gets exactly right and run B does not (same data), with B's error kinds,
and how many of them are A's answer with top-level fields left out (B stopped early).
    python experiments/complex-extra/lost_rows.py A_RUN B_RUN [A_RUN B_RUN ...]
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from slmbench.eval.results import read_predictions


def load(run: Path) -> dict[str, dict]:
    return {row["id"]: row for row in read_predictions(run / "predictions.jsonl")}


def fields_left_out(right: object, wrong: object) -> bool:
    """`wrong` is `right` with some top-level keys missing and nothing else changed."""
    if not (isinstance(right, dict) and isinstance(wrong, dict)):
        return False
    return set(wrong) < set(right) and all(right[k] == wrong[k] for k in wrong)


def report(a_run: Path, b_run: Path) -> tuple[int, int]:
    a, b = load(a_run), load(b_run)
    lost = [i for i in a if i in b and a[i]["json_exact"] and not b[i]["json_exact"]]
    dropped = [i for i in lost if fields_left_out(a[i]["parsed"], b[i]["parsed"])]
    print(f"A = {a_run}\nB = {b_run}")
    print(
        f"right in A only: {len(lost)}; of them B = A's answer minus top-level fields: "
        f"{len(dropped)}"
    )
    kinds = Counter((b[i]["complexity"], ", ".join(b[i]["errors"])) for i in lost)
    for (tier, errors), n in sorted(kinds.items()):
        print(f"  {tier:8} {n:3}  {errors}")
    for i in dropped:
        left_out = sorted(set(a[i]["parsed"]) - set(b[i]["parsed"]))
        print(f"  left out in {i}: {', '.join(left_out)}")
    print()
    return len(lost), len(dropped)


def main(argv: list[str]) -> None:
    totals = [report(Path(a), Path(b)) for a, b in zip(argv[::2], argv[1::2], strict=True)]
    lost, dropped = (sum(t) for t in zip(*totals, strict=True))
    print(f"all pairs: right in A only {lost}, of them top-level fields left out {dropped}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n    ")[0])
    parser.add_argument("runs", nargs="+", metavar="RUN", help="pairs of eval run folders: A B")
    runs = parser.parse_args().runs
    if len(runs) % 2:
        parser.error("eval runs come in pairs: A_RUN B_RUN")
    main(runs)
