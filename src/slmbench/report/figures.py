"""The report's figures (matplotlib, Agg backend), sized for a paper column (3.5 in wide).

Every function writes `STEM.png` and `STEM.pdf` and returns a `Figure` record, or None when the
runs hold no data for that figure. Colours are fixed per run label so that a model keeps its
colour across figures.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator  # noqa: E402

from slmbench.report.dataset_stats import DatasetStats  # noqa: E402
from slmbench.report.load import DatasetGroup, EvalRun, TrainRun  # noqa: E402
from slmbench.report.reported import GROUP_LABEL, REPORTED  # noqa: E402
from slmbench.report.result_tables import error_counts, error_kinds, group_tiers  # noqa: E402

COLUMN_WIDTH_IN = 3.5
PNG_DPI = 200
STYLE = {
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "pdf.fonttype": 42,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.03,
}
REPORTED_COLOR = "0.45"
TIER_COLORS = {"simple": "#4c9a2a", "medium": "#e0a526", "complex": "#c0392b"}
ERROR_COLORS = ("#c0392b", "#e67e22", "#f1c40f", "#95a5a6", "#8e44ad", "#2980b9", "#16a085")


@dataclass
class Figure:
    key: str
    caption: str
    png: Path
    pdf: Path


def colors_for(labels: list[str]) -> dict[str, str]:
    """A fixed colour per run label: tab10, or tab20 for more than ten labels (cycling beyond).

    >>> len(set(colors_for([str(i) for i in range(16)]).values()))
    16
    """
    unique = list(dict.fromkeys(labels))
    palette = plt.get_cmap("tab10" if len(unique) <= 10 else "tab20").colors
    return {
        label: matplotlib.colors.to_hex(palette[i % len(palette)]) for i, label in enumerate(unique)
    }


def _save(fig: plt.Figure, stem: Path, key: str, caption: str) -> Figure:
    stem.parent.mkdir(parents=True, exist_ok=True)
    png, pdf = stem.with_suffix(".png"), stem.with_suffix(".pdf")
    fig.savefig(png, dpi=PNG_DPI)
    fig.savefig(pdf, metadata={"CreationDate": None})  # same figure, same bytes: no diff churn
    plt.close(fig)
    return Figure(key, caption, png, pdf)


def _wrap(label: str, width: int = 22) -> str:
    return "\n".join(textwrap.wrap(label, width)) or label


def _legend_below(fig: plt.Figure, handles: list, labels: list[str], ncol: int = 1) -> None:
    """A legend under the axes and their x label (the figure must use constrained layout)."""
    fig.legend(
        handles, labels, loc="outside lower center", ncol=ncol, handlelength=1.5, columnspacing=1.0
    )


def _legend_height(entries: int, ncol: int = 1) -> float:
    """Inches a legend below the axes takes (so that many runs never squash the axes).

    >>> round(_legend_height(4), 2), round(_legend_height(13), 2)
    (0.79, 2.23)
    """
    return 0.15 + 0.16 * math.ceil(entries / ncol)


def _subplots(height: float, *args, **kwargs):
    return plt.subplots(*args, figsize=(COLUMN_WIDTH_IN, height), layout="constrained", **kwargs)


def _tick_text(v: float, _pos: object = None) -> str:
    """Plain tick labels for log axes.

    >>> _tick_text(2000.0), _tick_text(135.0), _tick_text(0.5)
    ('2,000', '135', '0.5')
    """
    return f"{v:,.0f}" if v >= 10 else f"{v:g}"


def _plain_log_ticks(ax, lo: float, hi: float) -> None:
    """Log x axis with plain-number ticks (100, 200, 500...) instead of 2×10^2."""
    ax.set_xscale("log")
    ax.set_xlim(lo / 1.35, hi * 1.35)
    ticks = [m * 10**e for e in range(-1, 7) for m in (1, 2, 3, 5)]
    ticks = [t for t in ticks if lo / 1.35 <= t <= hi * 1.35]
    if len(ticks) < 2:
        ticks = sorted({lo, hi})
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(_tick_text))
    ax.xaxis.set_minor_locator(NullLocator())


def _ci_err(run: EvalRun, name: str, tier: str | None = None) -> tuple[float, float]:
    m = run.metric(name, tier)
    v, lo, hi = m.get("value"), m.get("ci_low"), m.get("ci_high")
    if v is None or lo is None or hi is None:
        return (0.0, 0.0)
    return (100 * max(v - lo, 0.0), 100 * max(hi - v, 0.0))


def label_bar_feet(ax, bars, values: list[float], *, fontsize: float, horizontal: bool = False):
    """Each bar's value in percent, inside the bar's foot, so whiskers never cover it; a 0% bar
    still gets its label (black; white on bars of 8% and more). `horizontal`: `barh` bars."""
    for bar, value in zip(bars, values, strict=True):
        if horizontal:
            foot, offset = (0, bar.get_y() + bar.get_height() / 2), (2, 0)
            align = {"ha": "left", "va": "center"}
        else:
            foot, offset = (bar.get_x() + bar.get_width() / 2, 0), (0, 2)
            align = {"ha": "center", "va": "bottom"}
        ax.annotate(
            f"{value:.0f}",
            foot,
            xytext=offset,
            textcoords="offset points",
            fontsize=fontsize,
            color="white" if value >= 8 else "black",
            **align,
        )


def tier_bars(group: DatasetGroup, colors: dict[str, str], stem: Path, key: str) -> Figure | None:
    tiers = group_tiers(group)
    runs = group.runs
    if not tiers:
        return None
    with plt.rc_context(STYLE):
        fig, ax = _subplots(1.9 + _legend_height(len(runs)))
        width = 0.8 / len(runs)
        for i, run in enumerate(runs):
            xs = [t + (i - (len(runs) - 1) / 2) * width for t in range(len(tiers))]
            values = [100 * (run.value("json_exact", t) or 0.0) for t in tiers]
            errs = [_ci_err(run, "json_exact", t) for t in tiers]
            bars = ax.bar(
                xs,
                values,
                width * 0.92,
                color=colors[run.label],
                label=run.label,
                yerr=[[e[0] for e in errs], [e[1] for e in errs]],
                error_kw={"elinewidth": 0.7, "capsize": 2, "ecolor": "0.35"},
            )
            if len(runs) <= 4:
                label_bar_feet(ax, bars, values, fontsize=6)
        ax.set_xticks(range(len(tiers)), [t.capitalize() for t in tiers])
        ax.set_xlabel("schema complexity tier")
        ax.set_ylabel("JSONExact (%)")
        ax.set_ylim(0, 100)
        ax.yaxis.grid(True, linewidth=0.4, alpha=0.5)
        ax.set_axisbelow(True)
        handles, labels = ax.get_legend_handles_labels()
        _legend_below(fig, handles, labels)
        return _save(fig, stem, key, f"JSONExact by tier on {group.path}; whiskers: 95% interval.")


def _frontier(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Points not beaten by a smaller-x point, sorted by x (lower x and higher y are better).

    >>> _frontier([(1, 10), (2, 5), (3, 20), (4, 15)])
    [(1, 10), (3, 20)]
    """
    best = -1.0
    out = []
    for x, y in sorted(points):
        if y > best:
            out.append((x, y))
            best = y
    return out


PARETO_AXES = {
    "params": ("parameters (millions, log scale)", 1e-6),
    "size": ("size on disk (MB, log scale)", 1e-6),
    "latency": ("median time per extraction (ms, log scale)", 1.0),
}


def _pareto_x(run: EvalRun, axis: str) -> float | None:
    if axis == "params":
        return run.model.get("params")
    if axis == "size":
        return run.model.get("size_on_disk_bytes")
    return ((run.results.get("latency") or {}).get("ms_per_example") or {}).get("median")


def pareto(
    group: DatasetGroup,
    colors: dict[str, str],
    stem: Path,
    key: str,
    axis: str,
    with_reported: bool,
) -> Figure | None:
    label, scale = PARETO_AXES[axis]
    measured = [(run, x * scale) for run in group.runs if (x := _pareto_x(run, axis))]
    reported = [r for r in REPORTED if with_reported and axis == "params"]
    if not measured and not reported:
        return None
    with plt.rc_context(STYLE):
        entries = len(measured) + len(reported) + 1  # +1: the frontier
        fig, ax = _subplots(2.3 + _legend_height(entries))
        handles, labels = [], []
        for run, x in measured:
            y = 100 * (run.value("json_exact") or 0.0)
            lo, hi = _ci_err(run, "json_exact")
            h = ax.errorbar(
                [x],
                [y],
                yerr=[[lo], [hi]],
                fmt="o",
                ms=5,
                color=colors[run.label],
                elinewidth=0.8,
                capsize=2,
                clip_on=False,
            )
            handles.append(h)
            labels.append(run.label)
        front = _frontier([(x, 100 * (run.value("json_exact") or 0.0)) for run, x in measured])
        if len(front) > 1:
            h = ax.step(*zip(*front, strict=True), where="post", color="0.3", lw=0.8, ls="--")[0]
            handles.append(h)
            labels.append("Pareto frontier (measured)")
        for i, rep in enumerate(reported):
            h = ax.scatter(
                [rep.params * scale],
                [100 * rep.json_exact],
                marker="sDv"[i % 3],
                s=26,
                facecolors="none",
                edgecolors=REPORTED_COLOR,
                linewidths=1.0,
                clip_on=False,
            )
            handles.append(h)
            labels.append(f"{rep.display_label}")
        xs = [x for _, x in measured] + [r.params * scale for r in reported]
        _plain_log_ticks(ax, min(xs), max(xs))
        ax.set_xlabel(label)
        ax.set_ylabel("JSONExact (%)")
        ax.set_ylim(0, 100)
        ax.grid(True, which="major", linewidth=0.4, alpha=0.5)
        _legend_below(fig, handles, labels)
        note = (
            f" Hollow grey markers: {GROUP_LABEL}, EdgeJSON v3 test, not measured here."
            if reported
            else ""
        )
        if with_reported and axis != "params":
            note = " The paper reports no latency, so its results are not shown."
        return _save(
            fig,
            stem,
            key,
            f"JSONExact against {label.split(' (')[0]} on "
            f"{group.path}; whiskers: 95% interval.{note}",
        )


def error_bars(group: DatasetGroup, colors: dict[str, str], stem: Path, key: str) -> Figure | None:
    kinds = error_kinds(group.runs, nonzero=True)
    if not kinds:
        return None
    runs = group.runs
    with plt.rc_context(STYLE):
        fig, ax = _subplots(1.3 + 0.42 * len(runs))
        left = [0.0] * len(runs)
        for j, kind in enumerate(kinds):
            counts = [error_counts(r).get(kind, 0) for r in runs]
            ax.barh(
                range(len(runs)),
                counts,
                0.65,
                left=left,
                label=kind.replace("_", " "),
                color=ERROR_COLORS[j % len(ERROR_COLORS)],
            )
            left = [a + b for a, b in zip(left, counts, strict=True)]
        ax.set_yticks(range(len(runs)), [_wrap(r.label) for r in runs])
        ax.invert_yaxis()
        ax.set_xlabel("error occurrences (count)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.xaxis.grid(True, linewidth=0.4, alpha=0.5)
        ax.set_axisbelow(True)
        handles, labels = ax.get_legend_handles_labels()
        _legend_below(fig, handles, labels, ncol=2)
        return _save(
            fig,
            stem,
            key,
            f"Error kinds per model on {group.path}; an example may have several kinds.",
        )


def training_curves(trains: list[TrainRun], stem: Path, key: str) -> Figure | None:
    trains = [t for t in trains if t.loss_rows or t.val_rows]
    if not trains:
        return None
    has_val_exact = any("val_json_exact" in r for t in trains for r in t.val_rows)
    colors = colors_for([t.name for t in trains])
    with plt.rc_context(STYLE):
        n_panels = 2 if has_val_exact else 1
        fig, axes = _subplots(1.7 * n_panels + 0.6, n_panels, 1, sharex=True, squeeze=False)
        loss_ax = axes[0][0]
        for t in trains:
            c = colors[t.name]
            rows = t.loss_rows
            loss_ax.plot([r["step"] for r in rows], [r["loss"] for r in rows], color=c, lw=1.0)
            val = [r for r in t.val_rows if "val_loss" in r]
            loss_ax.plot(
                [r["step"] for r in val],
                [r["val_loss"] for r in val],
                color=c,
                lw=1.0,
                ls="--",
                marker="o",
                ms=3,
            )
        loss_ax.set_ylabel("loss (cross-entropy)")
        loss_ax.grid(True, linewidth=0.4, alpha=0.5)
        if has_val_exact:
            ax = axes[1][0]
            for t in trains:
                val = [r for r in t.val_rows if "val_json_exact" in r]
                ax.plot(
                    [r["step"] for r in val],
                    [100 * r["val_json_exact"] for r in val],
                    color=colors[t.name],
                    lw=1.0,
                    marker="o",
                    ms=3,
                    clip_on=False,  # points at 0% or 100% sit on the axis, fully drawn
                )
            ax.set_ylabel("val JSONExact (%)")
            ax.set_ylim(0, 100)
            ax.grid(True, linewidth=0.4, alpha=0.5)
        axes[-1][0].set_xlabel("optimizer step")
        handles = [Line2D([], [], color=colors[t.name], lw=1.5) for t in trains]
        handles += [
            Line2D([], [], color="0.3", lw=1.0),
            Line2D([], [], color="0.3", lw=1.0, ls="--", marker="o", ms=3),
        ]
        labels = [t.name for t in trains] + ["training loss", "validation"]
        _legend_below(fig, handles, labels, ncol=3)
        return _save(
            fig,
            stem,
            key,
            "Training curves: loss (solid: training, dashed: "
            "validation) and validation JSONExact against step.",
        )


def dataset_tiers(stats: DatasetStats, stem: Path, key: str) -> Figure | None:
    tiers = stats.tiers
    if not tiers:
        return None
    with plt.rc_context(STYLE):
        fig, ax = _subplots(1.9)
        width = 0.8 / len(stats.splits)
        for i, split in enumerate(stats.splits):
            xs = [t + (i - (len(stats.splits) - 1) / 2) * width for t in range(len(tiers))]
            counts = [split.by_tier.get(t, 0) for t in tiers]
            bars = ax.bar(
                xs,
                counts,
                width * 0.92,
                label=f"{split.name} ({split.n_rows} rows)",
                color=plt.get_cmap("Set2").colors[i % 8],
            )
            ax.bar_label(bars, fontsize=6, padding=1)
        ax.set_xticks(range(len(tiers)), [t.capitalize() for t in tiers])
        ax.set_xlabel("schema complexity tier")
        ax.set_ylabel("rows")
        ax.margins(y=0.15)
        ax.legend(loc="upper right")
        return _save(fig, stem, key, f"Rows per tier and split of {stats.path}.")


def dataset_schemas(stats: DatasetStats, stem: Path, key: str) -> Figure | None:
    tier_of = stats.schema_tier
    tiers = stats.tiers
    order = sorted(tier_of, key=lambda s: (tiers.index(tier_of[s]), s))
    if not order:
        return None
    with plt.rc_context(STYLE):
        fig, ax = _subplots(1.3 + 0.15 * len(order))
        left = [0] * len(order)
        for i, split in enumerate(stats.splits):
            counts = [split.by_schema.get(s, 0) for s in order]
            ax.barh(
                range(len(order)),
                counts,
                0.7,
                left=left,
                label=split.name,
                color=plt.get_cmap("Set2").colors[i % 8],
            )
            left = [a + b for a, b in zip(left, counts, strict=True)]
        ax.set_yticks(range(len(order)), order)
        ax.set_ylim(len(order) - 0.5, -0.5)  # top to bottom, no empty margin
        for tick, name in zip(ax.get_yticklabels(), order, strict=True):
            tick.set_color(TIER_COLORS.get(tier_of[name], "black"))
        ax.set_xlabel("rows")
        ax.xaxis.grid(True, linewidth=0.4, alpha=0.5)
        ax.set_axisbelow(True)
        handles, labels = ax.get_legend_handles_labels()
        handles += [
            Line2D([], [], color=c, lw=0, marker="s") for t, c in TIER_COLORS.items() if t in tiers
        ]
        labels += [f"{t} tier (name colour)" for t in TIER_COLORS if t in tiers]
        _legend_below(fig, handles, labels, ncol=2)
        return _save(
            fig,
            stem,
            key,
            f"Rows per schema of {stats.path}, stacked by split; schema names coloured by tier.",
        )
