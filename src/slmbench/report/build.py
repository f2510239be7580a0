"""Assemble the report: load runs, build tables and figures per dataset, write every output."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

from slmbench import __version__
from slmbench.errors import SlmbenchError
from slmbench.report import figures as figs
from slmbench.report import result_tables as rt
from slmbench.report.dataset_stats import DatasetStats, dataset_stats
from slmbench.report.formatting import num, short_sha
from slmbench.report.load import DatasetGroup, RunSet, assign_labels, group_by_dataset, load_runs
from slmbench.report.model_card import write_model_cards
from slmbench.report.record import load_record
from slmbench.report.tables import Table, to_latex, to_markdown
from slmbench.results_contract import DEFAULT_TASK

FIGURE_RUNS = 6
"""Most runs one figure shows: more bars or legend entries do not read at column width."""


@dataclass
class Section:
    """A heading of the report with its text, tables and figures."""

    key: str
    title: str
    intro: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[figs.Figure] = field(default_factory=list)


@dataclass
class Report:
    out_dir: Path
    runs: RunSet
    groups: list[DatasetGroup]
    sections: list[Section]
    model_cards: list[Path]
    created: str
    notes: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


def group_title(group: DatasetGroup) -> str:
    rows = f", {num(group.n_rows)} rows" if group.n_rows else ""
    return f"Dataset {group.path} (sha256 {short_sha(group.sha256)}{rows})"


def figure_chunks(runs: list, size: int = FIGURE_RUNS) -> list[list]:
    """The runs of a dataset in consecutive chunks of at most `size`, as even as possible.

    >>> [len(c) for c in figure_chunks(list(range(20)))], figure_chunks([1, 2])
    ([5, 5, 5, 5], [[1, 2]])
    """
    n = max(1, math.ceil(len(runs) / size))
    bounds = [round(i * len(runs) / n) for i in range(n + 1)]
    return [runs[bounds[i] : bounds[i + 1]] for i in range(n)]


def group_figures(
    group: DatasetGroup, out: Path, sha8: str, with_reported: bool, pareto_x: str
) -> list[figs.Figure]:
    """The dataset's figures, one set per chunk of at most FIGURE_RUNS runs; colours are
    distinct within a chunk and shared by its figures."""
    made: list[figs.Figure | None] = []
    chunks = figure_chunks(group.runs)
    for k, runs in enumerate(chunks, start=1):
        part = DatasetGroup(group.sha256, group.path, group.n_rows, runs)
        colors = figs.colors_for([r.label for r in runs])
        suffix, key = ("", sha8) if len(chunks) == 1 else (f"_{k}", f"{sha8}-{k}")
        figures = [
            figs.tier_bars(part, colors, out / f"tier_jsonexact{suffix}", f"fig-tier-{key}"),
            figs.pareto(
                part,
                colors,
                out / f"pareto_{pareto_x}{suffix}",
                f"fig-pareto-{pareto_x}-{key}",
                pareto_x,
                with_reported,
            ),
            figs.pareto(
                part,
                colors,
                out / f"pareto_latency{suffix}",
                f"fig-pareto-latency-{key}",
                "latency",
                with_reported,
            ),
            figs.error_bars(part, colors, out / f"error_kinds{suffix}", f"fig-errors-{key}"),
        ]
        if len(chunks) > 1:
            for fig in figures:
                if fig is not None:
                    fig.caption += f" Runs {k} of {len(chunks)} groups of this dataset."
        made += figures
    return [f for f in made if f is not None]


def group_section(
    group: DatasetGroup,
    stats: DatasetStats | None,
    fig_dir: Path,
    with_reported: bool,
    pareto_x: str,
) -> Section:
    from slmbench.report.task_tables import group_task, task_tables

    sha8 = short_sha(group.sha256)
    section = Section(f"ds-{sha8}", group_title(group))
    if group_task(group) != DEFAULT_TASK:
        section.intro.append(
            f"{len(group.runs)} run(s) of task {group_task(group)} scored on this file "
            f"(sha256 {group.sha256})."
        )
        section.tables += task_tables(group, sha8)
        from slmbench.report.task_figures import task_figures

        section.figures += task_figures(group, fig_dir / f"ds-{sha8}", sha8, group_task(group))
        return section
    section.intro.append(f"{len(group.runs)} run(s) scored on this file (sha256 {group.sha256}).")
    split = stats.split_for_sha(group.sha256) if stats else None
    if split is not None:
        section.intro.append(f"It is the {split.name} split of the --data folder {stats.path}.")
    counts = {r.n for r in group.runs}
    if len(counts) > 1:
        section.intro.append(
            "Runs scored different numbers of rows (n column): a --limit was "
            "used, so their numbers are not strictly comparable."
        )
    section.tables += [
        rt.main_table(group, f"main-{sha8}", with_reported),
        rt.tier_table(group, f"tier-exact-{sha8}", "json_exact", "JSONExact (%)", with_reported),
        rt.tier_table(group, f"tier-f1-{sha8}", "field_f1", "Field F1 (%)", False),
    ]
    extremes = rt.schema_extremes_table(group, f"schemas-{sha8}")
    if extremes is not None:
        section.tables.append(extremes)
    section.tables += [
        rt.error_table(group, f"errors-{sha8}"),
        rt.latency_table(group, f"latency-{sha8}"),
        rt.runs_table(group, f"runs-{sha8}"),
    ]
    section.figures += group_figures(group, fig_dir / f"ds-{sha8}", sha8, with_reported, pareto_x)
    return section


def build_report(
    run_paths: list[str | Path],
    out_dir: str | Path,
    data_dir: str | Path | None = None,
    with_reported: bool = True,
    pareto_x: str = "params",
    record: str | Path | None = None,
    root: str | Path = ".",
    task: str | None = None,
) -> Report:
    """Read the runs under `run_paths` and write the whole report into `out_dir`; `record`
    (a results/record.json, paths relative to `root`) tells the model cards which models
    are of record; `task`: only the eval runs of that task."""
    runs = load_runs(run_paths)
    if task is not None:
        runs.evals = [r for r in runs.evals if (r.results.get("task") or DEFAULT_TASK) == task]
    if not runs.evals and not runs.trains:
        reasons = "; ".join(f"{s.path}: {s.reason}" for s in runs.skipped) or "nothing found"
        raise SlmbenchError(f"no usable run folder ({reasons})")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fig_dir = out / "figures"
    assign_labels(runs.evals)
    groups = group_by_dataset(runs.evals)
    stats = dataset_stats(data_dir) if data_dir else None
    report = Report(out, runs, groups, [], [], dt.datetime.now().isoformat(timespec="seconds"))
    if len(groups) > 1:
        report.notes.append(
            f"The runs were scored on {len(groups)} different datasets "
            "(different sha256): each has its own tables, and numbers are not "
            "comparable across them."
        )
    for group in groups:
        report.sections.append(group_section(group, stats, fig_dir, with_reported, pareto_x))
    if runs.trains:
        training = Section("training", "Training runs")
        training.tables.append(rt.hyperparameter_table(runs.trains))
        curve = figs.training_curves(runs.trains, fig_dir / "training_curves", "fig-training")
        training.figures += [curve] if curve else []
        report.sections.append(training)
    if stats is not None:
        data = Section("dataset", f"Dataset statistics: {stats.path}")
        data.tables += rt.dataset_tables(stats)
        data.figures += [
            f
            for f in (
                figs.dataset_tiers(stats, fig_dir / "dataset_tiers", "fig-dataset-tiers"),
                figs.dataset_schemas(stats, fig_dir / "dataset_schemas", "fig-dataset-schemas"),
            )
            if f is not None
        ]
        report.sections.append(data)
    models_of_record = load_record(record) if record else None
    report.model_cards = write_model_cards(runs, out / "model_cards", models_of_record, Path(root))
    write_tables(report)
    from slmbench.report.html import render_index

    (out / "index.html").write_text(render_index(report), encoding="utf-8")
    report.files = sorted(p for p in out.rglob("*") if p.is_file())
    return report


def _header_lines(report: Report) -> list[str]:
    lines = [
        f"Generated by slmbench {__version__} on {report.created} from "
        f"{len(report.runs.evals)} eval run(s) and {len(report.runs.trains)} train run(s)."
    ]
    lines += report.notes
    return lines


def write_tables(report: Report) -> None:
    md = ["# SLMBench report", "", *[line + "\n" for line in _header_lines(report)]]
    if report.runs.skipped:
        md += ["## Skipped run folders", ""]
        md += [f"- `{s.path}`: {s.reason}" for s in report.runs.skipped]
        md.append("")
    tex = [
        "% SLMBench report tables. Needs \\usepackage{booktabs} in the preamble.",
        *[f"% {line}" for line in _header_lines(report)],
        "",
    ]
    for section in report.sections:
        md += [f"## {section.title}", "", *[line + "\n" for line in section.intro]]
        tex += ["% " + "=" * 70, f"% {section.title}", "% " + "=" * 70, ""]
        for table in section.tables:
            md += [to_markdown(table), ""]
            tex += [to_latex(table), ""]
    (report.out_dir / "tables.md").write_text("\n".join(md).rstrip() + "\n", encoding="utf-8")
    (report.out_dir / "tables.tex").write_text("\n".join(tex).rstrip() + "\n", encoding="utf-8")
