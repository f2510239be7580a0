"""`slmbench report` figures for EdgeIntent and EdgeFuncCall runs, from tiny synthetic results
folders (the fixture run's results.json with a task's metrics): the files are written, the HTML
embeds them, and the bars drawn are the saved numbers."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from PIL import Image

from slmbench.cli import main
from slmbench.report import task_figures
from slmbench.report.build import FIGURE_RUNS, build_report

FIXTURE = Path(__file__).parent / "fixtures" / "runs" / "eval" / "smollm2-135m-zeroshot"
INTENT_SHA = "a1" * 32
FC_SHA = "b2" * 32


def interval(value: float, width: float = 0.1) -> dict:
    return {"value": value, "ci_low": max(0.0, value - width), "ci_high": min(1.0, value + width)}


def write_run(root: Path, name: str, task: str, sha: str, metrics: dict) -> Path:
    results = json.loads((FIXTURE / "results.json").read_text())
    results.update(name=name, task=task, metrics=metrics)
    results["dataset"] = {"path": f"{task}/val.jsonl", "sha256": sha, "n_rows": 40}
    run = root / name
    run.mkdir(parents=True)
    (run / "results.json").write_text(json.dumps(results))
    return run


def intent_metrics(n_labels: int, pairs: int, seed: int) -> dict:
    rng = random.Random(seed)
    by_label = {
        f"intent_{i:02d}": {"f1": interval(round(rng.random(), 3)), "support": rng.randint(1, 9)}
        for i in range(n_labels)
    }
    f1s = [s["f1"]["value"] for s in by_label.values()]
    confused = [
        {"gold": f"intent_{i:02d}", "predicted": f"intent_{i + 1:02d}", "count": pairs - i}
        for i in range(pairs)
    ]
    return {
        "overall": {"accuracy": interval(0.7), "macro_f1": interval(sum(f1s) / len(f1s))},
        "by_label": by_label,
        "confused_pairs": confused,
    }


def fc_metrics(accuracies: dict[str, float]) -> dict:
    return {
        "overall": {"accuracy": interval(sum(accuracies.values()) / len(accuracies))},
        "by_category": {c: {"accuracy": interval(a), "n": 10} for c, a in accuracies.items()},
    }


@pytest.fixture()
def drawn(monkeypatch) -> dict[str, object]:
    """The matplotlib figure behind each saved report figure, by key (captured before close)."""
    captured: dict[str, object] = {}
    save = task_figures.figs._save

    def keep(fig, stem, key, caption):
        captured[key] = [
            {
                "widths": [p.get_width() for p in ax.patches],
                "heights": [p.get_height() for p in ax.patches],
                "ticks": [t.get_text() for t in ax.get_yticklabels()],
                "legend": [t.get_text() for t in fig.legends[0].get_texts()] if fig.legends else [],
            }
            for ax in fig.axes
        ]
        return save(fig, stem, key, caption)

    monkeypatch.setattr(task_figures.figs, "_save", keep)
    return captured


def test_intent_runs_get_per_intent_f1_and_confusion_figures(tmp_path, drawn):
    many = write_run(
        tmp_path / "runs", "intent-ft", "edgeintent", INTENT_SHA, intent_metrics(25, 4, 0)
    )
    few = write_run(
        tmp_path / "runs", "intent zs", "edgeintent", INTENT_SHA, intent_metrics(3, 0, 1)
    )
    report = build_report([many, few], tmp_path / "report")
    sha8 = INTENT_SHA[:8]
    (section,) = report.sections
    keys = [f.key for f in section.figures]
    assert keys == [  # the runs in the report's order (by label)
        f"fig-intent-f1-{sha8}-intent-zs",  # no confusions saved: no pairs figure
        f"fig-intent-f1-{sha8}-intent-ft",
        f"fig-intent-pairs-{sha8}-intent-ft",
    ]
    for fig in section.figures:
        assert fig.pdf.stat().st_size > 0 and Image.open(fig.png).size[0] > 300
    html = (tmp_path / "report" / "index.html").read_text()
    for key in keys:
        assert f'<figure id="{key}"><img' in html
    assert html.count('src="data:image/png;base64,') == len(keys)
    assert "all 3 intents" in section.figures[0].caption
    assert "the 20 lowest of 25 intents" in section.figures[1].caption

    # The bars are the 20 lowest F1s in percent, lowest first, each named with its support.
    labels = json.loads((many / "results.json").read_text())["metrics"]["by_label"]
    ranked = sorted(labels.items(), key=lambda kv: (kv[1]["f1"]["value"], kv[0]))[:20]
    bars, hist = drawn[keys[1]]
    assert bars["widths"] == pytest.approx([100 * s["f1"]["value"] for _, s in ranked])
    assert bars["ticks"] == [f"{name} ({s['support']})" for name, s in ranked]
    assert sum(hist["heights"]) == 25  # the distribution holds every intent
    (pairs,) = drawn[keys[2]]
    assert pairs["widths"] == [4, 3, 2, 1]
    assert pairs["ticks"][0] == "intent_00\n→ intent_01"


def test_function_calling_runs_get_accuracy_per_category_one_group_per_run(tmp_path, drawn):
    tuned = fc_metrics({"simple": 0.9, "relevance": 1.0, "parallel_multiple": 0.25})
    zero = fc_metrics({"simple": 0.5, "irrelevance": 0.0, "live_simple": 0.3})
    runs = [
        write_run(tmp_path / "runs", "fc-zs", "edgefunccall", FC_SHA, zero),
        write_run(tmp_path / "runs", "fc-ft", "edgefunccall", FC_SHA, tuned),
    ]
    out = tmp_path / "report"
    assert main(["report", *map(str, runs), "--out", str(out)]) == 0
    key = f"fig-fc-categories-{FC_SHA[:8]}"
    png = out / "figures" / f"ds-{FC_SHA[:8]}" / "fc_categories.png"
    assert png.is_file() and png.with_suffix(".pdf").is_file()
    html = (out / "index.html").read_text()
    assert f'<figure id="{key}"><img' in html and "accuracy per BFCL category" in html
    (axes,) = drawn[key]
    order = ["simple", "parallel_multiple", "irrelevance", "relevance", "live_simple"]
    assert axes["legend"] == [c.replace("_", " ") for c in order]  # BFCL's order, then others
    # One bar per (category, run that has it), drawn category by category, in percent.
    by_run = {"fc-zs": zero["by_category"], "fc-ft": tuned["by_category"]}
    shown = [t.replace("\n", "") for t in axes["ticks"]]  # one group per run
    assert sorted(shown) == sorted(by_run)
    expected = [
        100 * by_run[r][c]["accuracy"]["value"] for c in order for r in shown if c in by_run[r]
    ]
    assert axes["widths"] == pytest.approx(expected)


def test_many_function_calling_runs_split_into_figures_of_at_most_six(tmp_path):
    runs = [
        write_run(tmp_path, f"fc-{i}", "edgefunccall", FC_SHA, fc_metrics({"simple": i / 10}))
        for i in range(FIGURE_RUNS + 1)
    ]
    (section,) = build_report(runs, tmp_path / "report").sections
    sha8 = FC_SHA[:8]
    assert [f.key for f in section.figures] == [
        f"fig-fc-categories-{sha8}-1",
        f"fig-fc-categories-{sha8}-2",
    ]
    assert all("Runs" in f.caption and "of 2 groups" in f.caption for f in section.figures)


def test_task_figures_are_the_same_bytes_when_rebuilt(tmp_path):
    run = write_run(tmp_path, "intent-ft", "edgeintent", INTENT_SHA, intent_metrics(30, 3, 2))
    first = build_report([run], tmp_path / "a").sections[0].figures
    second = build_report([run], tmp_path / "b").sections[0].figures
    assert [f.png.read_bytes() for f in first] == [f.png.read_bytes() for f in second]
    assert [f.pdf.read_bytes() for f in first] == [f.pdf.read_bytes() for f in second]


def test_a_run_without_breakdowns_still_reports_with_no_task_figure(tmp_path):
    bare = {"overall": {"accuracy": interval(0.5)}}
    runs = [
        write_run(tmp_path, "intent-bare", "edgeintent", INTENT_SHA, bare),
        write_run(tmp_path, "fc-bare", "edgefunccall", FC_SHA, bare),
    ]
    report = build_report(runs, tmp_path / "report")
    assert [s.figures for s in report.sections] == [[], []]
    assert "<figure" not in (tmp_path / "report" / "index.html").read_text()
