"""The report's figures for runs of tasks other than EdgeJSON (`slmbench.tasks`), from saved
results.json files only, in the style of `slmbench.report.figures`:

- EdgeIntent, per run: the lowest per-intent F1s with their 95% intervals above the
  distribution of every intent's F1 (77 bars do not read at column width), and the run's most
  confused (gold, predicted) intent pairs;
- EdgeFuncCall: accuracy per BFCL category with 95% intervals, one bar group per run.
"""

from __future__ import annotations

import re
from pathlib import Path

from matplotlib.ticker import MaxNLocator

from slmbench.report import figures as figs
from slmbench.report.figures import STYLE, Figure, plt
from slmbench.report.load import DatasetGroup, EvalRun

WORST_SHOWN = 20
"""Intents shown by name in the per-intent F1 figure (the lowest F1s)."""
PAIRS_SHOWN = 10
"""Confused intent pairs shown per run."""
F1_BINS = [i / 20 for i in range(21)]
"""Histogram bins of the F1 distribution: 5-point steps from 0 to 1."""
BFCL_CATEGORIES = (
    "simple",
    "multiple",
    "parallel",
    "parallel_multiple",
    "irrelevance",
    "relevance",
)
"""BFCL's categories in its own order; any other category a run holds follows, by name."""
CATEGORY_COLORS = {
    "simple": "#4c9a2a",
    "multiple": "#2980b9",
    "parallel": "#e0a526",
    "parallel_multiple": "#c0392b",
    "irrelevance": "#8e44ad",
    "relevance": "#16a085",
}
OTHER_COLORS = ("#7f8c8d", "#d35400", "#2c3e50", "#b7950b")
WHISKERS = {"elinewidth": 0.7, "capsize": 1.5, "ecolor": "0.35"}


def slug(label: str) -> str:
    """A run label as a file-name part.

    >>> slug("intent 10-shot (eval/x.on-val)")
    'intent-10-shot-eval-x.on-val'
    """
    return re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip("-.") or "run"


def unique_slugs(labels: list[str]) -> list[str]:
    """One distinct file-name part per label (a numeric suffix where two slugs collide).

    >>> unique_slugs(["a b", "a-b", "c"])
    ['a-b', 'a-b-2', 'c']
    """
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        base = slug(label)
        seen[base] = seen.get(base, 0) + 1
        out.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return out


def _interval(entry: dict | None) -> tuple[float, float, float] | None:
    """(value, low, high) in percent of an interval metric, None when it has no value; a
    missing bound is the value itself (no whisker)."""
    if not isinstance(entry, dict) or entry.get("value") is None:
        return None
    value = 100 * entry["value"]
    low, high = entry.get("ci_low"), entry.get("ci_high")
    return (
        value,
        value if low is None else 100 * low,
        value if high is None else 100 * high,
    )


def label_f1s(run: EvalRun) -> list[tuple[str, float, float, float, int | None]]:
    """(intent, F1, low, high, support) of every intent in `metrics.by_label`, in percent,
    lowest F1 first (ties by name).

    >>> run = EvalRun(Path("r"), {"metrics": {"by_label": {
    ...     "b": {"f1": {"value": 0.5, "ci_low": 0.2, "ci_high": 0.8}, "support": 4},
    ...     "a": {"f1": {"value": 0.5}, "support": 2}, "c": {"f1": {"value": 1.0}}}}}, None)
    >>> [(name, f1, lo, hi, n) for name, f1, lo, hi, n in label_f1s(run)]
    [('a', 50.0, 50.0, 50.0, 2), ('b', 50.0, 20.0, 80.0, 4), ('c', 100.0, 100.0, 100.0, None)]
    """
    labels = (run.results.get("metrics") or {}).get("by_label") or {}
    out = []
    for name, scores in labels.items():
        f1 = _interval((scores or {}).get("f1"))
        if f1 is not None:
            out.append((name, *f1, (scores or {}).get("support")))
    return sorted(out, key=lambda t: (t[1], t[0]))


def intent_f1_figure(run: EvalRun, color: str, stem: Path, key: str, path: str) -> Figure | None:
    """The run's WORST_SHOWN lowest-F1 intents (bars, whiskers: 95% interval; support in
    brackets) over a histogram of every intent's F1 with the macro-F1 marked."""
    scores = label_f1s(run)
    if not scores:
        return None
    worst = scores[:WORST_SHOWN]
    macro = _interval(run.metric("macro_f1"))
    with plt.rc_context(STYLE):
        fig, (bars_ax, hist_ax) = figs._subplots(
            1.4 + 0.13 * len(worst) + 1.2, 2, 1, gridspec_kw={"height_ratios": [len(worst), 8]}
        )
        ys = range(len(worst))
        values = [s[1] for s in worst]
        errors = [[s[1] - s[2] for s in worst], [s[3] - s[1] for s in worst]]
        bars_ax.barh(ys, values, 0.7, color=color, xerr=errors, error_kw=WHISKERS)
        names = [name if n is None else f"{name} ({n})" for name, _, _, _, n in worst]
        bars_ax.set_yticks(ys, names, fontsize=5.5)
        bars_ax.set_ylim(len(worst) - 0.5, -0.5)  # lowest F1 on top
        bars_ax.set_xlim(0, 100)
        shown = "all" if len(worst) == len(scores) else f"the {len(worst)} lowest of"
        bars_ax.set_xlabel(f"F1 (%), {shown} {len(scores)} intents")
        bars_ax.xaxis.grid(True, linewidth=0.4, alpha=0.5)
        bars_ax.set_axisbelow(True)
        hist_ax.hist(
            [s[1] for s in scores],
            bins=[100 * b for b in F1_BINS],
            color=color,
            edgecolor="white",
            linewidth=0.4,
        )
        if macro is not None:
            hist_ax.axvline(macro[0], color="0.2", lw=0.9, ls="--", label="macro-F1")
            hist_ax.legend(loc="upper left")
        hist_ax.set_xlim(0, 100)
        hist_ax.set_xlabel(f"F1 (%), all {len(scores)} intents")
        hist_ax.set_ylabel("intents")
        hist_ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        hist_ax.yaxis.grid(True, linewidth=0.4, alpha=0.5)
        hist_ax.set_axisbelow(True)
        macro_text = f"; dashed: macro-F1 {macro[0]:.1f}%" if macro else ""
        return figs._save(
            fig,
            stem,
            key,
            f"Per-intent F1 of {run.label} on {path}: {shown} {len(scores)} intents (in "
            f"brackets: gold queries; whiskers: 95% interval), then the distribution of all "
            f"{len(scores)}{macro_text}.",
        )


def confused_pairs_figure(
    run: EvalRun, color: str, stem: Path, key: str, path: str
) -> Figure | None:
    """The run's PAIRS_SHOWN most frequent confusions, gold intent over the one predicted."""
    pairs = ((run.results.get("metrics") or {}).get("confused_pairs") or [])[:PAIRS_SHOWN]
    if not pairs:
        return None
    with plt.rc_context(STYLE):
        fig, ax = figs._subplots(0.7 + 0.3 * len(pairs))
        ys = range(len(pairs))
        bars = ax.barh(ys, [p["count"] for p in pairs], 0.7, color=color)
        ax.bar_label(bars, fontsize=6, padding=1.5)
        ax.set_yticks(ys, [f"{p['gold']}\n→ {p['predicted']}" for p in pairs], fontsize=5.5)
        ax.set_ylim(len(pairs) - 0.5, -0.5)
        ax.set_xlabel("queries answered as the other intent")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.margins(x=0.12)
        ax.xaxis.grid(True, linewidth=0.4, alpha=0.5)
        ax.set_axisbelow(True)
        return figs._save(
            fig,
            stem,
            key,
            f"Most confused intents of {run.label} on {path}: gold intent (top line) answered "
            f"as the intent below it, the {len(pairs)} most frequent pairs.",
        )


def category_order(runs: list[EvalRun]) -> list[str]:
    """Every category under `metrics.by_category` of any run: BFCL's order, then others by name.

    >>> runs = [EvalRun(Path("r"), {"metrics": {"by_category": {"relevance": {}, "simple": {},
    ...     "live_simple": {}}}}, None), EvalRun(Path("s"), {"metrics": {}}, None)]
    >>> category_order(runs)
    ['simple', 'relevance', 'live_simple']
    """
    found = {c for run in runs for c in (run.results.get("metrics") or {}).get("by_category") or {}}
    known = [c for c in BFCL_CATEGORIES if c in found]
    return known + sorted(found - set(known))


def category_accuracy(run: EvalRun, category: str) -> tuple[float, float, float] | None:
    """(accuracy, low, high) in percent of one category of a run, None when it has none."""
    scope = ((run.results.get("metrics") or {}).get("by_category") or {}).get(category) or {}
    return _interval(scope.get("accuracy"))


def category_colors(categories: list[str]) -> dict[str, str]:
    """BFCL's categories keep their colour in every figure; others take the spare ones.

    >>> category_colors(["irrelevance", "live_x"])
    {'irrelevance': '#8e44ad', 'live_x': '#7f8c8d'}
    """
    others = iter(OTHER_COLORS * (1 + len(categories) // len(OTHER_COLORS)))
    return {c: CATEGORY_COLORS.get(c) or next(others) for c in categories}


def category_bars(group: DatasetGroup, stem: Path, key: str) -> Figure | None:
    """Accuracy per function-calling category, one horizontal bar group per run (whiskers:
    95% interval; a category a run lacks leaves its slot empty)."""
    runs = group.runs
    categories = category_order(runs)
    if not categories:
        return None
    colors = category_colors(categories)
    height = 0.8 / len(categories)
    bars_in = 0.11 * len(categories) * len(runs) + 0.12 * len(runs)
    with plt.rc_context(STYLE):
        fig, ax = figs._subplots(0.6 + bars_in + figs._legend_height(len(categories), 2))
        for j, category in enumerate(categories):
            ys, values, errors = [], [], [[], []]
            for i, run in enumerate(runs):
                acc = category_accuracy(run, category)
                if acc is None:
                    continue
                ys.append(i + (j - (len(categories) - 1) / 2) * height)
                values.append(acc[0])
                errors[0].append(acc[0] - acc[1])
                errors[1].append(acc[2] - acc[0])
            bars = ax.barh(
                ys,
                values,
                height * 0.92,
                color=colors[category],
                label=category.replace("_", " "),
                xerr=errors,
                error_kw=WHISKERS,
            )
            if len(categories) * len(runs) <= 24:
                figs.label_bar_feet(ax, bars, values, horizontal=True, fontsize=5)
        ax.set_yticks(range(len(runs)), [figs._wrap(r.label, 26) for r in runs])
        ax.set_ylim(len(runs) - 0.5, -0.5)
        ax.set_xlim(0, 100)
        ax.set_xlabel("accuracy (%, entries right)")
        ax.xaxis.grid(True, linewidth=0.4, alpha=0.5)
        ax.set_axisbelow(True)
        handles, labels = ax.get_legend_handles_labels()
        figs._legend_below(fig, handles, labels, ncol=2)
        return figs._save(
            fig,
            stem,
            key,
            f"Function-calling accuracy per BFCL category on {group.path}, one bar group per "
            "run; whiskers: 95% interval.",
        )


def task_figures(group: DatasetGroup, out: Path, sha8: str, task: str) -> list[Figure]:
    """Every figure of a dataset group whose runs are of `task` (edgeintent: two per run;
    edgefunccall: one per chunk of at most `build.FIGURE_RUNS` runs)."""
    from slmbench.report.build import figure_chunks

    made: list[Figure | None] = []
    if task == "edgeintent":
        colors = figs.colors_for([r.label for r in group.runs])
        for run, name in zip(group.runs, unique_slugs([r.label for r in group.runs]), strict=True):
            color = colors[run.label]
            f1_key, pairs_key = f"fig-intent-f1-{sha8}-{name}", f"fig-intent-pairs-{sha8}-{name}"
            made += [
                intent_f1_figure(run, color, out / f"intent_f1_{name}", f1_key, group.path),
                confused_pairs_figure(
                    run, color, out / f"intent_pairs_{name}", pairs_key, group.path
                ),
            ]
    elif task == "edgefunccall":
        chunks = figure_chunks(group.runs)
        for k, runs in enumerate(chunks, start=1):
            part = DatasetGroup(group.sha256, group.path, group.n_rows, runs)
            suffix, key = ("", sha8) if len(chunks) == 1 else (f"_{k}", f"{sha8}-{k}")
            fig = category_bars(part, out / f"fc_categories{suffix}", f"fig-fc-categories-{key}")
            if fig is not None and len(chunks) > 1:
                fig.caption += f" Runs {k} of {len(chunks)} groups of this dataset."
            made.append(fig)
    return [f for f in made if f is not None]
