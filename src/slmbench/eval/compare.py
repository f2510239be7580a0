"""`slmbench compare RUN_A RUN_B`: paired comparison of two eval runs on the examples they
share: the task's per-row score of each (JSONExact for EdgeJSON; for EdgeIntent and
EdgeFuncCall, whose rows carry `correct`, the task's accuracy: the intent, or the call list under
BFCL's rules), the delta B - A with a paired bootstrap interval, and McNemar's test, overall and
per tier (EdgeFuncCall: per category)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from slmbench.data.schemas import TIERS
from slmbench.errors import SlmbenchError
from slmbench.eval.aggregate import paired_delta
from slmbench.eval.results import dataset_sha256, load_run
from slmbench.eval.summary import format_table


def compare_runs(run_a: str | Path, run_b: str | Path, force: bool = False) -> dict:
    """The comparison of two run folders. Runs scored on different datasets (sha256) are
    refused unless `force`."""
    meta_a, preds_a = load_run(run_a)
    meta_b, preds_b = load_run(run_b)
    sha_a, sha_b = dataset_sha256(meta_a), dataset_sha256(meta_b)
    if (sha_a != sha_b or sha_a is None) and not force:
        raise SlmbenchError(
            f"the runs used different datasets (sha256 {_short(sha_a)} in {run_a}, "
            f"{_short(sha_b)} in {run_b}); pass --force to compare their shared ids anyway"
        )
    by_id_a = {p["id"]: p for p in preds_a}
    by_id_b = {p["id"]: p for p in preds_b}
    shared = sorted(by_id_a.keys() & by_id_b.keys())
    if not shared:
        raise SlmbenchError(f"{run_a} and {run_b} share no example ids")
    groups: dict[str, list[str]] = {"overall": shared}
    tiers: dict[str, list[str]] = {}
    for i in shared:
        tiers.setdefault(by_id_a[i]["complexity"], []).append(i)
    order = [t for t in TIERS if t in tiers] + sorted(t for t in tiers if t not in TIERS)
    groups.update({t: tiers[t] for t in order})
    metric = row_metric([by_id_a[i] for i in shared] + [by_id_b[i] for i in shared])
    table = {}
    for name, ids in groups.items():
        table[name] = paired_delta(
            [bool(by_id_a[i][metric]) for i in ids],
            [bool(by_id_b[i][metric]) for i in ids],
        )
        table[name]["field_f1_a"] = _mean(by_id_a[i]["field_f1"] for i in ids)
        table[name]["field_f1_b"] = _mean(by_id_b[i]["field_f1"] for i in ids)
    return {
        "run_a": {"path": str(run_a), **_describe(meta_a)},
        "run_b": {"path": str(run_b), **_describe(meta_b)},
        "dataset_sha256": {"a": sha_a, "b": sha_b, "same": sha_a == sha_b},
        "shared": len(shared),
        "only_a": len(by_id_a.keys() - by_id_b.keys()),
        "only_b": len(by_id_b.keys() - by_id_a.keys()),
        "metric": metric,
        "groups": table,
    }


def row_metric(rows: list[dict]) -> str:
    """The per-row score two runs are paired on: `correct` when every row has one (the intent
    and function-calling tasks), else `json_exact`.

    >>> row_metric([{"json_exact": True, "correct": False}]), row_metric([{"json_exact": True}])
    ('correct', 'json_exact')
    """
    return "correct" if rows and all("correct" in row for row in rows) else "json_exact"


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


def _short(sha: str | None) -> str:
    return sha[:12] if sha else "unknown"


def _describe(meta: dict) -> dict:
    config = meta.get("config", meta)
    return {
        key: config.get(key)
        for key in ("model", "adapter", "backend", "prompt_style", "constrained")
    }


def format_p(p: float) -> str:
    """A p-value for a table.

    >>> format_p(0.0123), format_p(2e-7), format_p(1.0)
    ('0.012', '<0.0001', '1.000')
    """
    return "<0.0001" if p < 1e-4 else f"{p:.3f}"


def comparison_text(result: dict) -> str:
    """The printed table of `slmbench compare`."""

    def label(run: dict) -> str:
        adapter = f" + {run['adapter']}" if run.get("adapter") else ""
        return (
            f"{run['path']}: {run.get('model')}{adapter} (prompt {run.get('prompt_style')}, "
            f"constrained {run.get('constrained') or 'off'})"
        )

    accuracy = result.get("metric") == "correct"
    short = "right" if accuracy else "exact"
    header = [
        "",
        "n",
        f"A {short} %",
        f"B {short} %",
        "B-A pts [95% CI]",
        "only A",
        "only B",
        "McNemar p",
        "A F1 %",
        "B F1 %",
    ]
    rows = []
    for name, g in result["groups"].items():
        m = g["mcnemar"]
        rows.append(
            [
                name,
                str(g["n"]),
                f"{100 * g['a']:.1f}",
                f"{100 * g['b']:.1f}",
                f"{100 * g['delta']:+.1f} [{100 * g['ci_low']:+.1f}, {100 * g['ci_high']:+.1f}]",
                str(m["b"]),
                str(m["c"]),
                f"{format_p(m['p_value'])} ({m['test']})",
                f"{100 * g['field_f1_a']:.1f}",
                f"{100 * g['field_f1_b']:.1f}",
            ]
        )
    lines = [
        f"A = {label(result['run_a'])}",
        f"B = {label(result['run_b'])}",
        f"shared examples: {result['shared']} (only in A: {result['only_a']}, "
        f"only in B: {result['only_b']})",
    ]
    if not result["dataset_sha256"]["same"]:
        lines.append("WARNING: the runs used different datasets (--force)")
    lines += [
        format_table(header, rows),
        f"{'accuracy (the task' + chr(39) + 's scoring)' if accuracy else 'JSONExact'}, paired on "
        "shared ids; only A/only B: examples right in one run only.",
    ]
    return "\n".join(lines)


def print_comparison(result: dict, echo: Callable[[str], None] = print) -> None:
    echo(comparison_text(result))
