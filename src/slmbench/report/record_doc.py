"""`docs/record.md`: the full record, every claim of every experiment in tables.

One table per experiment (its `claims.json`): a row per run folder, a column per claimed
metric, a claimed interval (`<metric>.ci_low` / `.ci_high`) shown in brackets beside its
value. Above them, the models of record from `results/record.json`.
"""

from __future__ import annotations

import os
from pathlib import Path

from slmbench.report.claims import PERCENT_PREFIX, Claim
from slmbench.report.headline import RECORD_DOC
from slmbench.report.record import Record
from slmbench.report.tables import md_escape

METRIC_NAMES = {
    "json_exact": "JSONExact",
    "json_exact_normalized": "JSONExact (normalised)",
    "field_f1": "Field F1",
    "schema_valid": "Schema-valid",
    "valid_json": "Valid JSON",
}
CI_ENDS = (".ci_low", ".ci_high")
OTHER_NAMES = {"n": "rows (n)", "latency.hit_limit": "rows at the token cap"}
SCOPE_ORDER = ("overall", "simple", "medium", "complex")


def column_order(column: tuple[str, bool]) -> tuple:
    """Sort key of a table column: `n`, then each metric with its tiers after it (in the
    order of METRIC_NAMES), then everything else by path.

    >>> cols = [("metrics.by_tier.complex.json_exact", True), ("latency.hit_limit", False),
    ...         ("metrics.overall.field_f1", True), ("metrics.overall.json_exact", True),
    ...         ("n", False)]
    >>> [c[0] for c in sorted(cols, key=column_order)]  # doctest: +NORMALIZE_WHITESPACE
    ['n', 'metrics.overall.json_exact', 'metrics.by_tier.complex.json_exact',
     'metrics.overall.field_f1', 'latency.hit_limit']
    """
    metric, percent = column
    if metric == "n":
        return (0,)
    parts = metric.split(".")
    if metric.startswith(PERCENT_PREFIX) and len(parts) >= 3:
        names = list(METRIC_NAMES)
        name_rank = names.index(parts[-1]) if parts[-1] in names else len(names)
        scope = ".".join(parts[2:-1]) if parts[1] in ("by_tier", "by_schema") else "overall"
        scope_rank = SCOPE_ORDER.index(scope) if scope in SCOPE_ORDER else len(SCOPE_ORDER)
        return (1, name_rank, parts[-1], scope_rank, scope, not percent)
    return (2, metric)


def metric_title(metric: str, scale_is_percent: bool = True) -> str:
    """A column heading for a metric path.

    >>> metric_title("metrics.overall.json_exact"), metric_title("metrics.by_tier.complex.field_f1")
    ('JSONExact %', 'Field F1, complex %')
    >>> metric_title("latency.ms_per_example.median", False), metric_title("n", False)
    ('latency.ms_per_example.median', 'rows (n)')
    """
    parts = metric.split(".")
    if metric.startswith(PERCENT_PREFIX) and len(parts) >= 3:
        name = METRIC_NAMES.get(parts[-1], parts[-1])
        scope = ".".join(parts[2:-1]) if parts[1] in ("by_tier", "by_schema") else ""
        title = f"{name}, {scope}" if scope else name
        return title + (" %" if scale_is_percent else "")
    return OTHER_NAMES.get(metric, metric)


def _link(run: str, doc_dir: Path, root: Path) -> str:
    target = os.path.relpath(root / run, root / doc_dir)
    return f"[{md_escape(Path(run).name)}]({Path(target).as_posix()})"


def _is_percent(claim: Claim) -> bool:
    return claim.metric.startswith(PERCENT_PREFIX) and (claim.scale in (None, 100))


def experiment_table(claims: list[Claim], doc_dir: Path, root: Path) -> list[str]:
    """The Markdown table of one experiment's claims: a row per run, a column per metric (a
    metric claimed both as percent and as printed gets two)."""
    keys = {c.key for c in claims}
    columns: list[tuple[str, bool]] = []
    runs: list[str] = []
    cells: dict[tuple[str, tuple[str, bool]], str] = {}
    for claim in claims:
        run, metric = claim.key
        runs += [run] if run not in runs else []
        parent = next((metric[: -len(e)] for e in CI_ENDS if metric.endswith(e)), None)
        if parent is not None and (run, parent) in keys:
            continue  # shown in brackets beside its value
        column = (metric, _is_percent(claim))
        columns += [column] if column not in columns else []
        text = claim.text
        low, high = (
            next((c.text for c in claims if c.key == (run, metric + e)), None) for e in CI_ENDS
        )
        if low is not None and high is not None and column[1]:
            text += f" [{low}, {high}]"
        cells.setdefault((run, column), text)
    columns.sort(key=column_order)
    header = ["Run"] + [metric_title(m, percent) for m, percent in columns]
    lines = ["| " + " | ".join(header) + " |", "|---" + "|---:" * len(columns) + "|"]
    for run in runs:
        row = [_link(run, doc_dir, root)] + [cells.get((run, c), "") for c in columns]
        lines.append("| " + " | ".join(row) + " |")
    return lines


def record_table(record: Record, doc_dir: Path, root: Path) -> list[str]:
    lines = [
        "| Model | Task | Setting | Trained on | Train run | Eval runs |",
        "|---|---|---|---|---|---|",
    ]
    for m in record.models:
        folder = m.trained_in
        adapter = _link(folder, doc_dir, root) if folder else "zero-shot (none)"
        evals = ", ".join(_link(e, doc_dir, root) for e in m.evals)
        setting = "" if m.setting is None else str(m.setting)
        cells = [f"`{m.name}`", m.task, setting, md_escape(m.trained_on or ""), adapter, evals]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def render_record_doc(
    claims: list[Claim], record: Record | None, root: Path, doc: str = RECORD_DOC
) -> str:
    doc_dir = Path(doc).parent
    up = Path(os.path.relpath(root, root / doc_dir)).as_posix()
    lines = [
        "# The record",
        "",
        "Generated by `slmbench report --claims` from `results/record.json` and "
        "`experiments/*/claims.json`; do not edit by hand. Every measured number below is a "
        "claim, checked against its run's `results.json` by `tests/test_claims.py`. Percent "
        "where the column says so; brackets: 95% interval. The narrative, negative results "
        f"included, is in [experiments/LOG.md]({up}/experiments/LOG.md).",
        "",
    ]
    if record is not None:
        lines += ["## Models of record", "", *record_table(record, doc_dir, root), ""]
    by_experiment: dict[str, list[Claim]] = {}
    for claim in claims:
        by_experiment.setdefault(claim.experiment, []).append(claim)
    lines += ["## Experiments", ""]
    for name, group in by_experiment.items():
        plan = root / "experiments" / name / "PLAN.md"
        heading = f"### {name}"
        if plan.is_file():
            heading += f" ([PLAN.md]({up}/experiments/{name}/PLAN.md))"
        sources = sorted({str(c.source) for c in group})
        lines += [heading, "", f"Claims: `{'`, `'.join(sources)}`.", ""]
        lines += [*experiment_table(group, doc_dir, root), ""]
    return "\n".join(lines).rstrip() + "\n"
