"""Laboratory result: each test has its unit, a value near its normal range, and the flag
that value gets (low, normal or high)."""

from __future__ import annotations


def adjust(gold: dict, g, tables: dict) -> None:
    for test in gold["tests"]:
        unit, lo, hi, places = tables["lab_tests"][test["name"]]
        span = hi - lo
        raw = max(0.1, g.rng.uniform(lo - 0.3 * span, hi + 0.3 * span))
        value = round(raw) if places == 0 else round(raw, places)
        test["unit"], test["value"] = unit, value
        test["flag"] = "low" if value < lo else "high" if value > hi else "normal"
