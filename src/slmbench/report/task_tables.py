"""The report's tables for runs of tasks other than EdgeJSON (`slmbench.tasks`): the overall
rates of each run, a breakdown table (e.g. EdgeFuncCall's `by_category`), and EdgeIntent's
most confused intent pairs and lowest-F1 intents. Reads saved results only."""

from __future__ import annotations

from slmbench.report.formatting import MISSING, ci_text, num, params_text, pct
from slmbench.report.load import DatasetGroup, EvalRun
from slmbench.report.result_tables import CI_NOTE, latency_table, runs_table, training_text
from slmbench.report.tables import Cell, Table
from slmbench.tasks import get_task

METRIC_TITLES = {
    "accuracy": "Accuracy (%)",
    "macro_f1": "Macro-F1 (%)",
    "known_label": "Known label (%)",
    "valid_json": "Valid JSON (%)",
}
PAIRS_SHOWN = 10
WORST_INTENTS = 10


def group_task(group: DatasetGroup) -> str:
    """The task of a dataset group's runs (runs on one file share it)."""
    from slmbench.results_contract import DEFAULT_TASK

    return str(group.runs[0].results.get("task") or DEFAULT_TASK)


def overall_metrics(runs: list[EvalRun]) -> list[str]:
    """The interval metrics under `metrics.overall` of any run, in first-seen order."""
    seen: dict[str, None] = {}
    for run in runs:
        for name, entry in ((run.results.get("metrics") or {}).get("overall") or {}).items():
            if isinstance(entry, dict) and "value" in entry:
                seen.setdefault(name)
    return list(seen)


def task_main_table(group: DatasetGroup, key: str) -> Table:
    """Per run: size, training, n, every overall rate with its interval, median latency."""
    task = get_task(group_task(group))
    metrics = overall_metrics(group.runs)
    metrics.sort(key=lambda m: m != task.headline_metric)
    columns = ["Model", "Params", "Training", "Prompt", "Constrained", "n"]
    columns += [METRIC_TITLES.get(m, m.replace("_", " ")) for m in metrics]
    columns.append("ms/query med.")
    table = Table(
        key,
        f"{task.name} results on {group.path}",
        columns,
        align="lrlllr" + "r" * (len(metrics) + 1),
        notes=[CI_NOTE],
    )
    for run in group.runs:
        row: list = [
            run.label,
            params_text(run.model.get("params")),
            training_text(run),
            str(run.config.get("prompt_style") or MISSING),
            str(run.config.get("constrained") or "off"),
            num(run.n),
        ]
        row += [_cell(run.metric(m)) for m in metrics]
        row.append(
            num(((run.results.get("latency") or {}).get("ms_per_example") or {}).get("median"))
        )
        table.rows.append(row)
    return table


def _cell(entry: dict) -> Cell:
    return Cell(pct(entry.get("value")), ci_text(entry.get("ci_low"), entry.get("ci_high")))


def breakdown_table(group: DatasetGroup, key: str, breakdown: str, metric: str) -> Table | None:
    """`metric` per key of `metrics.<breakdown>` (rows) for each run (columns); None when no
    run has that breakdown."""
    keys: dict[str, None] = {}
    for run in group.runs:
        keys.update(dict.fromkeys((run.results.get("metrics") or {}).get(breakdown) or {}))
    if not keys:
        return None
    title = METRIC_TITLES.get(metric, metric)
    table = Table(
        key,
        f"{title} {breakdown.replace('_', ' ')} on {group.path}",
        [breakdown.removeprefix("by_")] + [r.label for r in group.runs],
        notes=[CI_NOTE],
    )
    for name in keys:
        cells: list = [name]
        for run in group.runs:
            scope = ((run.results.get("metrics") or {}).get(breakdown) or {}).get(name) or {}
            cells.append(_cell(scope.get(metric) or {}))
        table.rows.append(cells)
    return table


def confused_pairs_table(group: DatasetGroup, key: str) -> Table:
    """EdgeIntent: each run's most frequent (gold, predicted) confusions."""
    table = Table(
        key,
        f"Most confused intents on {group.path}",
        ["Model", "Gold intent", "Predicted instead", "Queries"],
        align="lllr",
        notes=[f"The {PAIRS_SHOWN} most frequent confusions of each run (results.json)."],
    )
    for run in group.runs:
        pairs = (run.results.get("metrics") or {}).get("confused_pairs") or []
        for pair in pairs[:PAIRS_SHOWN]:
            table.rows.append([run.label, pair["gold"], pair["predicted"], num(pair["count"])])
        if not pairs:
            table.rows.append([run.label, "none", MISSING, "0"])
    return table


def worst_intents_table(group: DatasetGroup, key: str) -> Table:
    """EdgeIntent: each run's intents with the lowest F1."""
    table = Table(
        key,
        f"Intents with the lowest F1 on {group.path}",
        ["Model", "Intent", "F1 (%)", "Precision (%)", "Recall (%)", "Support"],
        align="llrrrr",
        notes=[CI_NOTE + f" The {WORST_INTENTS} lowest-F1 intents of each run."],
    )
    for run in group.runs:
        labels = (run.results.get("metrics") or {}).get("by_label") or {}
        ranked = sorted(labels.items(), key=lambda kv: (kv[1]["f1"]["value"], kv[0]))
        for name, scores in ranked[:WORST_INTENTS]:
            table.rows.append(
                [
                    run.label,
                    name,
                    _cell(scores["f1"]),
                    pct(scores.get("precision")),
                    pct(scores.get("recall")),
                    num(scores.get("support")),
                ]
            )
    return table


def task_tables(group: DatasetGroup, sha8: str) -> list[Table]:
    """Every table of a dataset group whose runs are of a task other than EdgeJSON."""
    task = get_task(group_task(group))
    tables = [task_main_table(group, f"main-{sha8}")]
    if task.name == "edgeintent":
        tables += [
            confused_pairs_table(group, f"pairs-{sha8}"),
            worst_intents_table(group, f"intents-{sha8}"),
        ]
    else:
        extra = breakdown_table(group, f"breakdown-{sha8}", task.breakdown, task.headline_metric)
        tables += [extra] if extra is not None else []
    return tables + [latency_table(group, f"latency-{sha8}"), runs_table(group, f"runs-{sha8}")]
