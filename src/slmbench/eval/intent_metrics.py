"""EdgeIntent's metrics, pure functions: what each output predicts, accuracy and macro-F1 with
seeded 95% bootstrap intervals, per-intent F1, the most confused pairs, latency per query.

An output that is not JSON, is JSON without a string `intent`, or names an intent outside the
label set is scored wrong and counted by kind (`OUTPUT_KINDS`); it is a false negative of the
gold intent and a false positive of no intent. Macro-F1 averages over the intents among the
gold and (known) predicted labels, as scikit-learn's default does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from slmbench.eval.aggregate import CONFIDENCE, N_RESAMPLES, SEED, mean_with_ci, quantiles
from slmbench.eval.summary import format_rate, format_table

OUTPUT_KINDS = ("label", "unknown_label", "no_intent", "invalid_json")
"""What an output can be (`slmbench.results_contract.OutputCounts`)."""
CONFUSED_PAIRS = 20
"""How many of the most confused (gold, predicted) pairs results.json lists."""
BOOTSTRAP_CHUNK = 100
"""Resamples computed at once (memory: chunk x rows integers)."""


def predicted_intent(
    parsed: Any, valid_json: bool, labels: Sequence[str]
) -> tuple[str | None, str]:
    """(predicted intent or None, output kind) of a parsed output.

    >>> labels = ["card_arrival", "pin_blocked"]
    >>> predicted_intent({"intent": "pin_blocked"}, True, labels)
    ('pin_blocked', 'label')
    >>> predicted_intent({"intent": "card_lost"}, True, labels)
    ('card_lost', 'unknown_label')
    >>> predicted_intent(["pin_blocked"], True, labels), predicted_intent(None, False, labels)
    ((None, 'no_intent'), (None, 'invalid_json'))
    """
    if not valid_json:
        return None, "invalid_json"
    intent = parsed.get("intent") if isinstance(parsed, dict) else None
    if not isinstance(intent, str):
        return None, "no_intent"
    return intent, ("label" if intent in labels else "unknown_label")


def score_intent_row(prediction: dict, row: Any, schema: Any) -> dict:
    """EdgeIntent's fields of a `predictions.jsonl` row (the task registry's row scorer):
    `gold`, `predicted` (None when no intent could be read), `output_kind`, `correct`."""
    labels = schema.schema["properties"]["intent"]["enum"]
    gold = row.expected_output["intent"]
    predicted, kind = predicted_intent(prediction["parsed"], prediction["valid_json"], labels)
    return {
        "gold": gold,
        "predicted": predicted,
        "output_kind": kind,
        "correct": kind == "label" and predicted == gold,
    }


def per_label_counts(
    gold: Sequence[str], predicted: Sequence[str | None], labels: Sequence[str]
) -> dict[str, tuple[int, int, int]]:
    """(true positives, false positives, false negatives) per label.

    >>> per_label_counts(["a", "a", "b"], ["a", "b", None], ["a", "b"])
    {'a': (1, 0, 1), 'b': (0, 1, 1)}
    """
    counts = {label: [0, 0, 0] for label in labels}
    for g, p in zip(gold, predicted, strict=True):
        if p == g:
            counts[g][0] += 1
            continue
        counts[g][2] += 1
        if p in counts:
            counts[p][1] += 1
    return {label: (tp, fp, fn) for label, (tp, fp, fn) in counts.items()}


def f1_from_counts(tp: int, fp: int, fn: int) -> float:
    """F1 = 2TP / (2TP + FP + FN); 0 when the label is never gold nor predicted.

    >>> f1_from_counts(1, 0, 1), f1_from_counts(0, 0, 0)
    (0.6666666666666666, 0.0)
    """
    denominator = 2 * tp + fp + fn
    return 2 * tp / denominator if denominator else 0.0


def macro_f1(gold: Sequence[str], predicted: Sequence[str | None], labels: Sequence[str]) -> float:
    """The mean per-label F1 over `labels`.

    >>> macro_f1(["a", "a", "b", "b"], ["a", "a", "b", "a"], ["a", "b"])
    0.7333333333333334
    """
    counts = per_label_counts(gold, predicted, labels)
    return sum(f1_from_counts(*c) for c in counts.values()) / len(labels)


def scored_labels(gold: Sequence[str], predicted: Sequence[str | None]) -> list[str]:
    """The labels that macro-F1 averages over: those among the gold and the (known) predicted
    labels, sorted.

    >>> scored_labels(["b", "a"], ["c", None])
    ['a', 'b', 'c']
    """
    return sorted(set(gold) | {p for p in predicted if p is not None})


def bootstrap_f1(
    gold: Sequence[str],
    predicted: Sequence[str | None],
    labels: Sequence[str],
    n_resamples: int = N_RESAMPLES,
    seed: int = SEED,
) -> tuple[dict[str, float | None], dict[str, dict[str, float | None]]]:
    """(macro-F1, per-label F1), each `{"value", "ci_low", "ci_high"}`: percentile bootstrap
    intervals (95%, the resampling scheme and seed of `aggregate.mean_with_ci`) with the
    statistic recomputed on each resample of the rows.

    >>> macro, per = bootstrap_f1(["a", "b"] * 20, ["a", "b"] * 20, ["a", "b"])
    >>> macro
    {'value': 1.0, 'ci_low': 1.0, 'ci_high': 1.0}
    >>> macro, per = bootstrap_f1(["a"] * 10 + ["b"] * 10, ["a"] * 15 + ["b"] * 5, ["a", "b"])
    >>> round(macro["value"], 3), macro["ci_low"] < macro["value"] < macro["ci_high"]
    (0.733, True)
    >>> round(per["b"]["value"], 3)
    0.667
    """
    if not gold:
        empty = {"value": None, "ci_low": None, "ci_high": None}
        return empty, {label: dict(empty) for label in labels}
    index = {label: i for i, label in enumerate(labels)}
    n_labels, n = len(labels), len(gold)
    g = np.array([index[x] for x in gold])
    p = np.array([index.get(x, -1) if x is not None else -1 for x in predicted])
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n, size=(n_resamples, n))
    f1 = np.empty((n_resamples, n_labels))
    for start in range(0, n_resamples, BOOTSTRAP_CHUNK):
        chunk = draws[start : start + BOOTSTRAP_CHUNK]
        f1[start : start + len(chunk)] = _f1_matrix(g[chunk], p[chunk], n_labels)
    point = _f1_matrix(g[None, :], p[None, :], n_labels)[0]
    tail = (1 - CONFIDENCE) / 2 * 100

    def interval(value: float, samples: np.ndarray) -> dict[str, float | None]:
        samples = samples[~np.isnan(samples)]
        if samples.size == 0:
            return {"value": float(value), "ci_low": None, "ci_high": None}
        low, high = np.percentile(samples, [tail, 100 - tail])
        return {"value": float(value), "ci_low": float(low), "ci_high": float(high)}

    # A label absent from a resample (neither gold nor predicted there) is left out of it.
    macro = interval(np.nanmean(point), np.nanmean(f1, axis=1))
    per = {label: interval(point[i], f1[:, i]) for i, label in enumerate(labels)}
    return macro, per


def _f1_matrix(gold: np.ndarray, predicted: np.ndarray, n_labels: int) -> np.ndarray:
    """Per-label F1 of each row of (resamples x rows) label-index arrays (-1: no label); NaN
    for a label neither gold nor predicted in that row."""
    resamples = gold.shape[0]
    offset = (np.arange(resamples) * n_labels)[:, None]
    size = resamples * n_labels

    def count(labels: np.ndarray, mask: np.ndarray) -> np.ndarray:
        flat = (labels + offset)[mask]
        return np.bincount(flat, minlength=size).reshape(resamples, n_labels)

    hit = gold == predicted
    tp = count(gold, hit)
    fn = count(gold, ~hit)
    fp = count(predicted, ~hit & (predicted >= 0))
    denominator = 2 * tp + fp + fn
    return np.divide(2 * tp, denominator, out=np.full(tp.shape, np.nan), where=denominator > 0)


def confused_pairs(
    gold: Sequence[str], predicted: Sequence[str | None], top: int = CONFUSED_PAIRS
) -> list[dict]:
    """The most frequent (gold, predicted) pairs of different intents (ties by name).

    >>> confused_pairs(["a", "a", "b", "c"], ["b", "b", "a", None])
    [{'gold': 'a', 'predicted': 'b', 'count': 2}, {'gold': 'b', 'predicted': 'a', 'count': 1}]
    """
    pairs = Counter(
        (g, p) for g, p in zip(gold, predicted, strict=True) if p is not None and p != g
    )
    ranked = sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return [{"gold": g, "predicted": p, "count": n} for (g, p), n in ranked]


def intent_metrics(predictions: Sequence[dict], rows: Sequence[Any] = ()) -> dict:
    """EdgeIntent's `metrics` of results.json (the task registry's scorer) from prediction
    rows carrying `score_intent_row`'s fields (`rows`, aligned with them, add nothing more).

    >>> preds = [
    ...     {"gold": "a", "predicted": "a", "output_kind": "label", "valid_json": True,
    ...      "total_ms": 10.0},
    ...     {"gold": "b", "predicted": "a", "output_kind": "label", "valid_json": True,
    ...      "total_ms": 20.0},
    ...     {"gold": "b", "predicted": None, "output_kind": "invalid_json", "valid_json": False,
    ...      "total_ms": 30.0}]
    >>> for p in preds:
    ...     p["correct"] = p["predicted"] == p["gold"]
    >>> m = intent_metrics(preds)
    >>> round(m["overall"]["accuracy"]["value"], 3), round(m["overall"]["macro_f1"]["value"], 3)
    (0.333, 0.333)
    >>> m["outputs"]
    {'label': 2, 'unknown_label': 0, 'no_intent': 0, 'invalid_json': 1}
    >>> m["confused_pairs"], m["latency_ms"]["median"]
    ([{'gold': 'b', 'predicted': 'a', 'count': 1}], 20.0)
    >>> m["by_label"]["b"]["support"], m["by_label"]["b"]["recall"], m["by_label"]["a"]["precision"]
    (2, 0.0, 0.5)
    """
    gold = [p["gold"] for p in predictions]
    predicted = [p["predicted"] if p["output_kind"] == "label" else None for p in predictions]
    labels = scored_labels(gold, predicted)
    macro, per_f1 = bootstrap_f1(gold, predicted, labels)
    counts = per_label_counts(gold, predicted, labels)
    kinds = Counter(p["output_kind"] for p in predictions)
    return {
        "overall": {
            "accuracy": mean_with_ci([float(p["correct"]) for p in predictions]),
            "macro_f1": macro,
            "known_label": mean_with_ci([float(p["output_kind"] == "label") for p in predictions]),
            "valid_json": mean_with_ci([float(p["valid_json"]) for p in predictions]),
        },
        "by_label": {
            label: {
                "f1": per_f1[label],
                "precision": tp / (tp + fp) if tp + fp else None,
                "recall": tp / (tp + fn) if tp + fn else None,
                "support": tp + fn,
                "predicted": tp + fp,
            }
            for label, (tp, fp, fn) in counts.items()
        },
        "confused_pairs": confused_pairs(gold, predicted),
        "outputs": {kind: kinds.get(kind, 0) for kind in OUTPUT_KINDS},
        "latency_ms": quantiles([p["total_ms"] for p in predictions]),
    }


def intent_summary(results: dict) -> str:
    """The text printed at the end of `slmbench eval --task edgeintent`."""
    cfg, metrics = results["config"], results["metrics"]
    overall = metrics["overall"]
    header = ["", "n", "accuracy %", "macro-F1 %", "known label %", "valid JSON %"]
    table = [
        ["overall", str(results["n"])]
        + [format_rate(overall[m]) for m in ("accuracy", "macro_f1", "known_label", "valid_json")]
    ]
    adapter = f" + {cfg['adapter']}" if cfg.get("adapter") else ""
    pairs = ", ".join(
        f"{p['gold']} -> {p['predicted']} ({p['count']})" for p in metrics["confused_pairs"][:5]
    )
    outputs = ", ".join(f"{k} {v}" for k, v in metrics["outputs"].items())
    latency = metrics["latency_ms"]
    return "\n".join(
        [
            f"model {cfg['model']}{adapter} | backend {cfg['backend']} | prompt "
            f"{cfg['prompt_style']} | constrained {cfg.get('constrained') or 'off'} | "
            f"data {cfg['data']} ({results['n']} queries)",
            format_table(header, table),
            "(percent, 95% bootstrap interval in brackets)",
            f"outputs: {outputs}",
            f"most confused: {pairs or 'none'}",
            f"latency per query: median {latency['median']} ms, p90 {latency['p90']} ms",
        ]
    )
