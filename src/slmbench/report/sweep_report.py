"""The table and figures of a `slmbench sweep` folder, read from its sweep.json (each cell's
inputs, status and errors) and the cells' saved run folders (metrics, parameters, latency, wall
times); nothing is run. Written to DIR/report/: `sweep.md` and `figures/sweep_*.{png,pdf}`.

Figures are of the validation evals, which every finished cell has (the test split is evaluated
for the chosen cells only, and is in the table): JSONExact against training rows per model (log
x), against LoRA rank (full fine-tuning as its own point), and against parameters and time per
extraction (Pareto frontiers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FixedLocator  # noqa: E402

from slmbench.report.figures import (  # noqa: E402
    PARETO_AXES,
    STYLE,
    Figure,
    _ci_err,
    _frontier,
    _legend_below,
    _legend_height,
    _pareto_x,
    _plain_log_ticks,
    _save,
    _subplots,
    colors_for,
)
from slmbench.report.formatting import MISSING, pct  # noqa: E402
from slmbench.report.load import (  # noqa: E402
    EvalRun,
    TrainRun,
    UnreadableFile,
    load_eval_run,
    load_train_run,
    read_json,
)
from slmbench.report.result_tables import metric_cell, tiers_of  # noqa: E402
from slmbench.report.tables import Cell, Table, to_markdown  # noqa: E402

SWEEP_FILE = "sweep.json"


@dataclass
class SweepCell:
    """One cell of a sweep: its sweep.json entry and the runs it has."""

    entry: dict
    train: TrainRun | None
    val: EvalRun | None
    test: EvalRun | None

    @property
    def name(self) -> str:
        return self.entry["name"]

    @property
    def inputs(self) -> dict:
        return self.entry.get("inputs") or {}

    @property
    def rank_text(self) -> str:
        return "full" if self.inputs.get("method") == "full" else f"r{self.inputs.get('rank')}"

    def value(self) -> float | None:
        return self.val.value("json_exact") if self.val else None


@dataclass
class SweepReport:
    table: Path
    figures: list[Figure]


def load_sweep(folder: Path) -> tuple[dict, list[SweepCell]]:
    """(sweep.json, its cells with the runs each has finished)."""
    try:
        record = read_json(folder / SWEEP_FILE)
    except UnreadableFile as e:
        raise UnreadableFile(f"{folder}: {e}") from None
    cells = [
        SweepCell(
            entry,
            _finished(folder, entry.get("train"), load_train_run),
            _finished(folder, entry.get("val"), load_eval_run),
            _finished(folder, entry.get("test"), load_eval_run),
        )
        for entry in record.get("cells", [])
    ]
    return record, cells


def _finished(folder: Path, phase: dict | None, load):
    if not phase or not phase.get("run") or phase.get("status") != "complete":
        return None
    run = load(folder / phase["run"])
    return run if isinstance(run, EvalRun | TrainRun) else None


def _minutes(seconds: float | None) -> str:
    return MISSING if seconds is None else f"{seconds / 60:.1f}"


def sweep_table(record: dict, cells: list[SweepCell]) -> Table:
    """Every cell: its axes, status, wall times (and where), validation scores, ms per
    extraction, and the test score of the chosen cells."""
    inputs = record.get("inputs") or {}
    val_split = (inputs.get("val") or {}).get("split") or "validation"
    test_split = (inputs.get("test") or {}).get("split")
    models = {c.inputs.get("model") for c in cells}
    alphas = any(c.inputs.get("alpha_rule") not in ("recipe", "full") for c in cells)
    tiers = tiers_of([c.val for c in cells if c.val])
    columns = ["Cell", "Blocks"] + (["Model"] if len(models) > 1 else []) + ["Rows", "Rank"]
    columns += (["Alpha"] if alphas else []) + ["Epochs", "LR", "Status", "Train min", "Eval min"]
    columns += [f"JSONExact % ({val_split})"] + [f"{t} %" for t in tiers] + ["ms/extraction"]
    if test_split:
        columns.append(f"JSONExact % ({test_split}, chosen)")
    text = {"Cell", "Blocks", "Model", "Rank", "Status"}
    align = "".join("l" if c in text else "r" for c in columns)
    table = Table("sweep", f"Sweep {record.get('name', '')}", columns, align=align)
    for c in cells:
        row: list = [Cell(c.name, bold=c.entry.get("chosen", False)), ", ".join(c.entry["blocks"])]
        if len(models) > 1:
            row.append(str(c.inputs.get("model")))
        row += [str(c.inputs.get("rows")), c.rank_text]
        if alphas:
            row.append(str(c.inputs.get("alpha") or MISSING))
        row += [f"{c.inputs.get('epochs'):g}", f"{c.inputs.get('learning_rate'):g}"]
        row.append(c.entry.get("status", "pending"))
        wall = c.train.meta.get("wall_s") if c.train else None
        device = f" ({c.train.meta.get('device')})" if c.train else ""
        row.append(_minutes(wall) + device)
        row.append(_minutes(((c.val.results.get("latency") or {}) if c.val else {}).get("wall_s")))
        if c.val:
            row.append(metric_cell(c.val, "json_exact", bold=c.entry.get("chosen", False)))
            row += [pct(c.val.value("json_exact", t)) for t in tiers]
            ms = _pareto_x(c.val, "latency")
            row.append(f"{ms:,.0f}" if ms else MISSING)
        else:
            row += [MISSING] * (len(tiers) + 2)
        if test_split:
            row.append(metric_cell(c.test, "json_exact") if c.test else MISSING)
        table.rows.append(row)
    table.notes += _notes(record, cells, val_split, test_split)
    return table


def _notes(record: dict, cells: list[SweepCell], val_split: str, test_split: str | None):
    inputs = record.get("inputs") or {}
    choose = inputs.get("choose") or {}
    by = ", ".join(choose.get("by") or []) or "all cells together"
    tier = f" ({choose['tier']} tier)" if choose.get("tier") else ""
    notes = [
        f"Validation: {val_split}; every cell is evaluated on it, and the choice is made on it "
        f"alone: best {choose.get('metric', 'json_exact')}{tier} per {by} (bold)."
        + (f" Test: {test_split}, evaluated once, for the chosen cells only." if test_split else "")
        + " Brackets: 95% interval. Train min: wall minutes of training (device)."
    ]
    for choice in record.get("choices", []):
        if choice.get("status") == "waiting":
            label = ", ".join(f"{k}={v}" for k, v in choice["group"].items()) or "all cells"
            notes.append(
                f"{label}: no choice yet, {len(choice['waiting_for'])} cell(s) unfinished."
            )
    for c in cells:
        for phase in ("train", "val", "test"):
            result = c.entry.get(phase) or {}
            if result.get("status") == "failed":
                notes.append(f"Failed: {c.name} ({phase}): {result.get('error')}")
    return notes


def _line_label(parts: list[str]) -> str:
    return ", ".join(p for p in parts if p)


def rows_figure(cells: list[SweepCell], split: str, stem: Path) -> Figure | None:
    """JSONExact against training rows (log x): one line per model and setting of the other
    axes that has at least two data sizes."""
    lines: dict[tuple, list[SweepCell]] = {}
    for c in cells:
        if c.val is None:
            continue
        i = c.inputs
        key = (i["model"], c.rank_text, i.get("alpha"), i["epochs"], i["learning_rate"])
        lines.setdefault(key, []).append(c)
    lines = {k: v for k, v in lines.items() if len({c.inputs["rows"] for c in v}) > 1}
    if not lines:
        return None
    several_models = len({k[0] for k in lines}) > 1
    alphas = len({k[2] for k in lines if k[2] is not None}) > 1
    labels = {
        k: _line_label(
            [Path(k[0]).name if several_models else "", k[1], f"{k[3]:g} ep", f"lr {k[4]:g}"]
            + ([f"alpha {k[2]}"] if alphas and k[2] is not None else [])
        )
        for k in lines
    }
    colors = colors_for(list(labels.values()))
    with plt.rc_context(STYLE):
        fig, ax = _subplots(2.3 + _legend_height(len(lines)))
        xs_all = []
        for key, members in lines.items():
            members = sorted(members, key=lambda c: c.inputs["rows"])
            xs = [c.inputs["rows"] for c in members]
            ys = [100 * (c.value() or 0.0) for c in members]
            errs = [_ci_err(c.val, "json_exact") for c in members]
            ax.errorbar(
                xs,
                ys,
                yerr=[[e[0] for e in errs], [e[1] for e in errs]],
                fmt="o-",
                ms=4,
                lw=1.0,
                color=colors[labels[key]],
                elinewidth=0.7,
                capsize=2,
                label=labels[key],
            )
            xs_all += xs
        _plain_log_ticks(ax, min(xs_all), max(xs_all))
        ax.xaxis.set_major_locator(FixedLocator(sorted(set(xs_all))))  # the sizes themselves
        ax.set_xlabel("training rows (log scale)")
        ax.set_ylabel(f"JSONExact on {split} (%)")
        ax.set_ylim(0, 100)
        ax.grid(True, linewidth=0.4, alpha=0.5)
        handles, names = ax.get_legend_handles_labels()
        _legend_below(fig, handles, names)
        caption = f"JSONExact on {split} against training rows; whiskers: 95% interval."
        return _save(fig, stem, "sweep_rows", caption)


def rank_figure(cells: list[SweepCell], split: str, stem: Path) -> Figure | None:
    """JSONExact against LoRA rank (log2 x), full fine-tuning as its own point at the right:
    per model, data size and epochs with at least two such cells."""
    done = [c for c in cells if c.val is not None]
    setting: dict[tuple, list[SweepCell]] = {}
    for c in done:
        i = c.inputs
        setting.setdefault((i["model"], i["rows"], i["epochs"]), []).append(c)
    setting = {k: v for k, v in setting.items() if len({_rank_key(c) for c in v}) > 1}
    if not setting:
        return None
    ranks = sorted({c.inputs["rank"] for v in setting.values() for c in v if c.inputs["rank"]})
    full_x = 2.0 * (ranks[-1] if ranks else 8)
    several_models = len({k[0] for k in setting}) > 1
    series: list[tuple[str, list[SweepCell], str]] = []
    for (model, rows, epochs), members in setting.items():
        head = [Path(model).name if several_models else "", f"{rows} rows", f"{epochs:g} ep"]
        by_lr: dict[tuple, list[SweepCell]] = {}
        for c in members:
            by_lr.setdefault((c.inputs["method"], c.inputs["learning_rate"]), []).append(c)
        for (method, lr), group in by_lr.items():
            ranks_here = [c.inputs["rank"] for c in group]
            # Two cells at one rank (another alpha): one line per alpha rule instead.
            by_alpha = method == "lora" and len(set(ranks_here)) < len(ranks_here)
            parts: dict[str, list[SweepCell]] = {}
            for c in group:
                parts.setdefault(c.inputs.get("alpha_rule") if by_alpha else "", []).append(c)
            for rule, part in parts.items():
                rules = {c.inputs.get("alpha_rule") for c in part} - {"recipe", "full"}
                alpha = f"alpha {rule or '/'.join(sorted(rules))}" if rule or rules else ""
                what = "full FT" if method == "full" else "LoRA"
                series.append((_line_label([*head, what, f"lr {lr:g}", alpha]), part, method))
    colors = colors_for([label for label, _, _ in series])
    with plt.rc_context(STYLE):
        fig, ax = _subplots(2.3 + _legend_height(len(series)))
        for label, group, method in series:
            group = sorted(group, key=lambda c: c.inputs["rank"] or 0)
            xs = [full_x if method == "full" else c.inputs["rank"] for c in group]
            ys = [100 * (c.value() or 0.0) for c in group]
            errs = [_ci_err(c.val, "json_exact") for c in group]
            ax.errorbar(
                xs,
                ys,
                yerr=[[e[0] for e in errs], [e[1] for e in errs]],
                fmt="s" if method == "full" else "o-",
                ms=4,
                lw=1.0,
                color=colors[label],
                elinewidth=0.7,
                capsize=2,
                label=label,
            )
        ax.set_xscale("log", base=2)
        ticks = [*ranks, full_x]
        ax.set_xticks(ticks, [str(r) for r in ranks] + ["full"])
        ax.minorticks_off()
        ax.set_xlim(min(ticks) / 1.4, full_x * 1.4)
        if ranks:
            ax.axvline(math.sqrt(ranks[-1] * full_x), color="0.8", lw=0.6, ls=":")
        ax.set_xlabel("LoRA rank (log scale); full fine-tuning at the right")
        ax.set_ylabel(f"JSONExact on {split} (%)")
        ax.set_ylim(0, 100)
        ax.grid(True, axis="y", linewidth=0.4, alpha=0.5)
        handles, names = ax.get_legend_handles_labels()
        _legend_below(fig, handles, names)
        caption = f"JSONExact on {split} against LoRA rank; whiskers: 95% interval."
        return _save(fig, stem, "sweep_rank", caption)


def _rank_key(c: SweepCell) -> object:
    return c.inputs["rank"] if c.inputs.get("method") == "lora" else "full"


def pareto_figure(cells: list[SweepCell], split: str, stem: Path, axis: str) -> Figure | None:
    """JSONExact against parameters (`axis="params"`) or median ms per extraction (`latency`),
    coloured by model, with the measured Pareto frontier (fewer, faster and better is better)."""
    label, scale = PARETO_AXES[axis]
    points = [(c, x * scale) for c in cells if c.val and (x := _pareto_x(c.val, axis))]
    if not points:
        return None
    models = list(dict.fromkeys(_model_label(c) for c, _ in points))
    colors = colors_for(models)
    with plt.rc_context(STYLE):
        fig, ax = _subplots(2.3 + _legend_height(len(models) + 1))
        seen: set[str] = set()
        for c, x in points:
            model = _model_label(c)
            lo, hi = _ci_err(c.val, "json_exact")
            ax.errorbar(
                [x],
                [100 * (c.value() or 0.0)],
                yerr=[[lo], [hi]],
                fmt="o",
                ms=4,
                color=colors[model],
                elinewidth=0.7,
                capsize=2,
                label=None if model in seen else model,
                clip_on=False,
            )
            seen.add(model)
            if len(points) <= 16:
                ax.annotate(
                    _short_tag(c),
                    (x, 100 * (c.value() or 0.0)),
                    xytext=(3, 2),
                    textcoords="offset points",
                    fontsize=5,
                )
        front = _frontier([(x, 100 * (c.value() or 0.0)) for c, x in points])
        if len(front) > 1:
            ax.step(
                *zip(*front, strict=True),
                where="post",
                color="0.3",
                lw=0.8,
                ls="--",
                label="Pareto frontier",
            )
        xs = [x for _, x in points]
        _plain_log_ticks(ax, min(xs), max(xs))
        ax.set_xlabel(label)
        ax.set_ylabel(f"JSONExact on {split} (%)")
        ax.set_ylim(0, 100)
        ax.grid(True, linewidth=0.4, alpha=0.5)
        handles, names = ax.get_legend_handles_labels()
        _legend_below(fig, handles, names)
        what = label.split(" (")[0]
        caption = f"JSONExact on {split} against {what}, per cell; whiskers: 95% interval."
        return _save(fig, stem, f"sweep_pareto_{axis}", caption)


def _model_label(c: SweepCell) -> str:
    """A registered name as it is; a model folder by its name."""
    return Path(str(c.inputs["model"])).name


def _short_tag(c: SweepCell) -> str:
    return f"{c.rank_text} n{c.inputs['rows']}"


def write_sweep_report(folder: str | Path) -> SweepReport:
    """DIR/report/sweep.md (the table, then the figures) and DIR/report/figures/."""
    folder = Path(folder)
    record, cells = load_sweep(folder)
    split = ((record.get("inputs") or {}).get("val") or {}).get("split") or "validation"
    out = folder / "report"
    figures_dir = out / "figures"
    made = [
        rows_figure(cells, split, figures_dir / "sweep_rows"),
        rank_figure(cells, split, figures_dir / "sweep_rank"),
        pareto_figure(cells, split, figures_dir / "sweep_pareto_params", "params"),
        pareto_figure(cells, split, figures_dir / "sweep_pareto_latency", "latency"),
    ]
    figures = [f for f in made if f is not None]
    lines = [to_markdown(sweep_table(record, cells), level=2), ""]
    for fig in figures:
        lines += [f"![{fig.caption}](figures/{fig.png.name})", "", f"*{fig.caption}*", ""]
    out.mkdir(parents=True, exist_ok=True)
    table = out / "sweep.md"
    table.write_text("\n".join(lines), encoding="utf-8")
    return SweepReport(table, figures)
