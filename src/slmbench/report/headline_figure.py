"""The README's figure: JSONExact overall and by tier for the headline rows only.

At most 8 rows (the headline's limit), one distinct colour each; the paper's reported
numbers are hatched grey bars where the paper gives a number. The legend sits to the right of
the axes and is never taller than them.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from slmbench.report.figures import STYLE, Figure, _save  # noqa: E402
from slmbench.report.headline import FigureRow  # noqa: E402

WIDTH_IN = 7.0
HEIGHT_IN = 2.9
GROUP_ORDER = ("overall", "simple", "medium", "complex")
REPORTED_GREYS = ("0.55", "0.7", "0.82")
MEASURED_COLOURS = plt.get_cmap("tab10").colors


def _groups(rows: list[FigureRow]) -> list[str]:
    """Groups on the x axis: overall, then the tiers some measured row has.

    >>> _groups([FigureRow("a", {"overall": {}, "complex": {}, "simple": {}})])
    ['overall', 'simple', 'complex']
    """
    seen = {g for r in rows if not r.reported for g in r.groups}
    return [g for g in GROUP_ORDER if g in seen] + sorted(seen - set(GROUP_ORDER))


def _err(scores: dict) -> tuple[float, float]:
    v, lo, hi = scores.get("value"), scores.get("ci_low"), scores.get("ci_high")
    if v is None or lo is None or hi is None:
        return (0.0, 0.0)
    return (100 * max(v - lo, 0.0), 100 * max(hi - v, 0.0))


def headline_tiers(rows: list[FigureRow], stem: Path) -> Figure:
    """Grouped bars: for each group (overall, tiers), one bar per headline row."""
    groups = _groups(rows)
    n = len(rows)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(WIDTH_IN, HEIGHT_IN), layout="constrained")
        width = 0.84 / n
        measured_i = reported_i = 0
        for i, row in enumerate(rows):
            if row.reported:
                colour, hatch = REPORTED_GREYS[reported_i % len(REPORTED_GREYS)], "////"
                reported_i += 1
            else:
                colour, hatch = MEASURED_COLOURS[measured_i % len(MEASURED_COLOURS)], None
                measured_i += 1
            present = [j for j, g in enumerate(groups) if g in row.groups]
            xs = [j + (i - (n - 1) / 2) * width for j in present]
            values = [100 * (row.groups[groups[j]].get("value") or 0.0) for j in present]
            errs = [_err(row.groups[groups[j]]) for j in present]
            label = "\n".join(textwrap.wrap(row.label.replace("`", ""), 34))
            has_ci = any(lo or hi for lo, hi in errs)
            bars = ax.bar(
                xs,
                values,
                width * 0.9,
                color=colour,
                hatch=hatch,
                edgecolor="white" if hatch else None,
                linewidth=0,
                label=label,
                yerr=[[e[0] for e in errs], [e[1] for e in errs]] if has_ci else None,
                error_kw={"elinewidth": 0.6, "capsize": 1.5, "ecolor": "0.3"},
            )
            for bar, v in zip(bars, values, strict=True):
                # At the bar's foot, so whiskers never cover it; a 0% bar shows its 0 in the
                # bar's colour, so that one can tell whose it is.
                if v >= 6 and not hatch:
                    text_colour = "white"
                elif v < 0.5 and not hatch:
                    text_colour = colour
                else:
                    text_colour = "black"
                ax.annotate(
                    f"{v:.0f}",
                    (bar.get_x() + bar.get_width() / 2, 0),
                    xytext=(0, 1.5),
                    textcoords="offset points",
                    ha="center",
                    va="bottom",
                    fontsize=5,
                    fontweight="bold" if v < 0.5 else "normal",
                    color=text_colour,
                )
        ax.set_xticks(range(len(groups)), [g.capitalize() for g in groups])
        ax.set_xlim(-0.5, len(groups) - 0.5)
        ax.set_xlabel("overall and by schema complexity tier")
        ax.set_ylabel("JSONExact (%)")
        ax.set_ylim(0, 103)
        ax.set_yticks(range(0, 101, 20))
        ax.yaxis.grid(True, linewidth=0.4, alpha=0.5)
        ax.set_axisbelow(True)
        handles, labels = ax.get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside right center", handlelength=1.2, labelspacing=0.5)
        return _save(
            fig,
            stem,
            "fig-headline-tiers",
            "JSONExact overall and by tier for the README's headline rows; whiskers: 95% "
            "interval; hatched: reported by the paper, not measured here.",
        )
