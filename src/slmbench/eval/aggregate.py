"""From per-example scores to reported figures: means with seeded 95% bootstrap confidence
intervals (overall, per tier, per schema), error counts, and the paired McNemar test that
`slmbench compare` uses."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

import numpy as np

from slmbench.data.schemas import TIERS
from slmbench.eval.scoring import METRICS
from slmbench.eval.taxonomy import ERROR_KINDS

N_RESAMPLES = 1000
SEED = 0
CONFIDENCE = 0.95
EXACT_MCNEMAR_BELOW = 25
"""Discordant pairs below which McNemar uses the exact binomial test (else chi-squared with
continuity correction, the usual textbook rule)."""


def mean_with_ci(
    values: Sequence[float], n_resamples: int = N_RESAMPLES, seed: int = SEED
) -> dict[str, float | None]:
    """Mean and percentile bootstrap interval (95%), reproducible for a given seed.

    >>> mean_with_ci([1, 1, 1, 1])
    {'value': 1.0, 'ci_low': 1.0, 'ci_high': 1.0}
    >>> r = mean_with_ci([0, 1] * 50)
    >>> r["value"], 0.38 < r["ci_low"] < 0.45, 0.55 < r["ci_high"] < 0.62
    (0.5, True, True)
    >>> mean_with_ci([])
    {'value': None, 'ci_low': None, 'ci_high': None}
    """
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return {"value": None, "ci_low": None, "ci_high": None}
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, data.size, size=(n_resamples, data.size))].mean(axis=1)
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return {"value": float(data.mean()), "ci_low": float(low), "ci_high": float(high)}


def metric_table(rows: Sequence[dict], metrics: Iterable[str] = METRICS) -> dict[str, dict]:
    """`{metric: mean_with_ci}` over prediction rows (booleans count as 0/1)."""
    return {m: mean_with_ci([float(r[m]) for r in rows]) for m in metrics}


def group_by(rows: Iterable[dict], key: str) -> dict[str, list[dict]]:
    """Rows grouped by `key`; tiers in benchmark order (simple, medium, complex), other
    values sorted.

    >>> list(group_by([{"t": "complex"}, {"t": "simple"}, {"t": "custom"}], "t"))
    ['simple', 'complex', 'custom']
    """
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        groups[row[key]].append(row)
    rank = {tier: i for i, tier in enumerate(TIERS)}
    return dict(sorted(groups.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])))


def aggregate_metrics(rows: Sequence[dict]) -> dict[str, dict]:
    """`{"overall", "by_tier", "by_schema"}` metric tables of prediction rows."""
    return {
        "overall": metric_table(rows),
        "by_tier": {t: metric_table(g) for t, g in group_by(rows, "complexity").items()},
        "by_schema": {s: metric_table(g) for s, g in group_by(rows, "schema_id").items()},
    }


def edgejson_metrics(predictions: Sequence[dict], rows: Sequence = ()) -> dict[str, dict]:
    """EdgeJSON's scorer (the task registry's signature): `aggregate_metrics` of the
    predictions (the rows add nothing the predictions lack)."""
    return aggregate_metrics(predictions)


def count_errors(rows: Iterable[dict]) -> dict[str, int]:
    """How many predictions show each error kind (every kind listed, zeros included).

    >>> count_errors([{"errors": ["invalid_json"]}, {"errors": []}])["invalid_json"]
    1
    """
    counts = Counter(kind for row in rows for kind in row["errors"])
    return {kind: counts.get(kind, 0) for kind in ERROR_KINDS}


def aggregate_errors(rows: Sequence[dict]) -> dict[str, dict]:
    return {
        "overall": count_errors(rows),
        "by_tier": {t: count_errors(g) for t, g in group_by(rows, "complexity").items()},
    }


def quantiles(values: Sequence[float]) -> dict[str, float | None]:
    """Median and 90th percentile.

    >>> quantiles([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    {'median': 5.5, 'p90': 9.1}
    """
    if len(values) == 0:
        return {"median": None, "p90": None}
    median, p90 = np.percentile(np.asarray(values, dtype=float), [50, 90])
    return {"median": round(float(median), 3), "p90": round(float(p90), 3)}


def mcnemar(b: int, c: int) -> dict:
    """Two-sided McNemar test from the discordant counts (b: only A right, c: only B right).
    Exact binomial for fewer than 25 discordant pairs, else chi-squared with continuity
    correction.

    >>> mcnemar(0, 5)
    {'b': 0, 'c': 5, 'test': 'exact', 'p_value': 0.0625}
    >>> mcnemar(3, 3)["p_value"]
    1.0
    >>> r = mcnemar(10, 30); r["test"], round(r["p_value"], 4)
    ('chi2', 0.0027)
    """
    n = b + c
    if n == 0:
        return {"b": b, "c": c, "test": "exact", "p_value": 1.0}
    if n < EXACT_MCNEMAR_BELOW:
        tail = sum(math.comb(n, k) for k in range(min(b, c) + 1))
        p = min(1.0, 2 * tail / 2**n)
        return {"b": b, "c": c, "test": "exact", "p_value": p}
    statistic = (abs(b - c) - 1) ** 2 / n
    # Survival function of chi-squared with one degree of freedom.
    p = math.erfc(math.sqrt(statistic / 2))
    return {"b": b, "c": c, "test": "chi2", "p_value": p}


def paired_delta(
    a: Sequence[bool], b: Sequence[bool], n_resamples: int = N_RESAMPLES, seed: int = SEED
) -> dict:
    """Accuracy of A and B on the same examples, B - A with a paired bootstrap 95% CI, and
    McNemar's test.

    >>> d = paired_delta([True, True, False, False], [True, True, True, True])
    >>> d["n"], d["a"], d["b"], d["delta"], d["mcnemar"]["p_value"]
    (4, 0.5, 1.0, 0.5, 0.5)
    """
    if len(a) != len(b):
        raise ValueError("paired samples must have the same length")
    xa, xb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    n = xa.size
    if n == 0:
        return {
            "n": 0,
            "a": None,
            "b": None,
            "delta": None,
            "ci_low": None,
            "ci_high": None,
            "mcnemar": mcnemar(0, 0),
        }
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_resamples, n))
    deltas = (xb[idx] - xa[idx]).mean(axis=1)
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(deltas, [tail, 100 - tail])
    only_a = int(((xa == 1) & (xb == 0)).sum())
    only_b = int(((xa == 0) & (xb == 1)).sum())
    return {
        "n": int(n),
        "a": float(xa.mean()),
        "b": float(xb.mean()),
        "delta": float(xb.mean() - xa.mean()),
        "ci_low": float(low),
        "ci_high": float(high),
        "mcnemar": mcnemar(only_a, only_b),
    }
