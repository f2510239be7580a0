"""`slmbench compare` pairs runs of the intent and function-calling tasks on the task's own
per-row score (`correct`), not on JSONExact, and keeps JSONExact for EdgeJSON runs."""

from __future__ import annotations

import json
from pathlib import Path

from slmbench.eval.compare import compare_runs, comparison_text


def write_run(folder: Path, rows: list[dict]) -> Path:
    folder.mkdir(parents=True)
    meta = {"dataset": {"sha256": "ab" * 32}, "config": {"model": "m", "constrained": "strict"}}
    (folder / "results.json").write_text(json.dumps(meta))
    (folder / "predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


def row(i: int, category: str, correct: bool | None, exact: bool) -> dict:
    out = {"id": f"r{i}", "complexity": category, "json_exact": exact, "field_f1": 0.5}
    if correct is not None:
        out["correct"] = correct
    return out


def test_function_calling_runs_are_paired_on_accuracy_per_category(tmp_path):
    # Every row is right by the task's scoring in B and wrong in A, while JSONExact says the
    # opposite: the comparison must follow `correct`.
    cats = ["simple", "simple", "parallel", "irrelevance"]
    a = write_run(tmp_path / "a", [row(i, c, False, True) for i, c in enumerate(cats)])
    b = write_run(tmp_path / "b", [row(i, c, True, False) for i, c in enumerate(cats)])
    result = compare_runs(a, b)
    assert result["metric"] == "correct"
    assert (result["groups"]["overall"]["a"], result["groups"]["overall"]["b"]) == (0.0, 1.0)
    assert result["groups"]["simple"]["n"] == 2 and set(result["groups"]) == {
        "overall", "simple", "parallel", "irrelevance"
    }  # fmt: skip
    text = comparison_text(result)
    assert "A right %" in text and text.splitlines()[-1].startswith("accuracy")


def test_edgejson_runs_stay_on_json_exact(tmp_path):
    a = write_run(tmp_path / "a", [row(i, "simple", None, i % 2 == 0) for i in range(4)])
    b = write_run(tmp_path / "b", [row(i, "simple", None, True) for i in range(4)])
    result = compare_runs(a, b)
    assert result["metric"] == "json_exact"
    assert (result["groups"]["overall"]["a"], result["groups"]["overall"]["b"]) == (0.5, 1.0)
    assert "A exact %" in comparison_text(result)
