"""The README's main job, `slmbench pipeline`, end to end on the tiny random Llama: the same
seven steps as on the embedded model (data build and validation, zero-shot eval, `quick`
fine-tuning, fine-tuned eval, McNemar comparison, report), with small data sizes."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from slmbench.cli import main

TRAIN_ROWS, TEST_ROWS, EVAL_ROWS = 40, 30, 4


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def pipeline_run(tiny_model_dir, tmp_path_factory) -> tuple[Path, list[str], str]:
    """(run folder, argv, what the first run printed)."""
    out = tmp_path_factory.mktemp("pipeline") / "main"
    argv = ["pipeline", "--out", str(out), "--model", str(tiny_model_dir)]
    argv += ["--train", str(TRAIN_ROWS), "--test", str(TEST_ROWS), "--limit", str(EVAL_ROWS)]
    argv += ["--batch-size", "4"]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(argv) == 0
    return out, argv, printed.getvalue()


def test_every_step_ran_in_order(pipeline_run):
    out, _, printed = pipeline_run
    titles = [line for line in printed.splitlines() if line.startswith("[") and "slmbench " in line]
    assert [t.split("]")[0] for t in titles] == [f"[{i}/7" for i in range(1, 8)]
    assert f"All done. Report: {out / 'report' / 'index.html'}" in printed


def test_data_is_built_with_the_asked_sizes(pipeline_run):
    out, _, _ = pipeline_run
    manifest = read_json(out / "data" / "manifest.json")
    assert manifest["seed"] == 0
    assert manifest["counts"]["train"]["total"] == TRAIN_ROWS
    assert manifest["counts"]["test"]["total"] == TEST_ROWS
    lines = (out / "data" / "test.jsonl").read_text().splitlines()
    assert len(lines) == TEST_ROWS


def test_zero_shot_and_fine_tuned_evals(pipeline_run, tiny_model_dir):
    out, _, _ = pipeline_run
    zero = read_json(out / "zero-shot" / "results.json")
    tuned = read_json(out / "finetuned" / "results.json")
    for results in (zero, tuned):
        assert results["n"] == EVAL_ROWS
        assert 0 <= results["metrics"]["overall"]["json_exact"]["value"] <= 1
        assert len((out / results["name"] / "predictions.jsonl").read_text().splitlines()) == 4
    assert zero["config"]["model"] == str(tiny_model_dir)
    # The `quick` recipe is a full fine-tune: its run folder is evaluated as a model, with the
    # run's prompt style and its base model recorded.
    assert tuned["config"]["model"] == str(out / "train")
    assert tuned["config"]["prompt_style_source"] == "train recipe"
    assert tuned["model"]["trained_from"]["base_model"] == str(tiny_model_dir)


def test_the_quick_recipe_trained_a_whole_model(pipeline_run):
    out, _, _ = pipeline_run
    meta = read_json(out / "train" / "train_meta.json")
    assert meta["status"] == "complete" and meta["recipe_source"] == "quick"
    assert meta["method"] == "full" and meta["global_step"] >= 1
    assert meta["data"]["n_rows"] == TRAIN_ROWS
    assert (out / "train" / "model" / "model.safetensors").is_file()
    losses = [r["loss"] for r in _log(out / "train") if r["kind"] == "train"]
    assert losses and all(loss > 0 for loss in losses)


def test_comparison_and_report(pipeline_run):
    out, _, printed = pipeline_run
    assert f"shared examples: {EVAL_ROWS}" in printed and "McNemar" in printed
    html = (out / "report" / "index.html").read_text(encoding="utf-8")
    assert "zero-shot" in html and "finetuned" in html
    assert (out / "report" / "tables.md").is_file()
    assert list((out / "report" / "model_cards").iterdir())


def test_rerunning_resumes_every_step_without_redoing_work(pipeline_run, capsys):
    out, argv, _ = pipeline_run
    before = {
        name: (out / name / "predictions.jsonl").read_bytes() for name in ("zero-shot", "finetuned")
    }
    log = (out / "train" / "train_log.jsonl").read_bytes()
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "build the EdgeJSON benchmark" not in printed  # same seed and sizes: kept
    assert "nothing to train" in printed
    assert (out / "train" / "train_log.jsonl").read_bytes() == log
    for name, content in before.items():
        assert (out / name / "predictions.jsonl").read_bytes() == content


def _log(run: Path) -> list[dict]:
    from slmbench.train.trainer import read_log

    return read_log(run / "train_log.jsonl")


def test_eval_data_replaces_the_built_test_split_in_both_evals_and_the_overlap_check(tmp_path):
    """`--eval-data` (the frozen test split of record in the quickstart) is what both evals
    read and what the built training rows are checked against."""
    from slmbench.errors import SlmbenchError
    from slmbench.pipeline import PipelineOptions, plan

    frozen = Path(__file__).resolve().parents[1] / "results/data/edgejson-seed0/test.jsonl"
    steps = {step.title: step for step in plan(PipelineOptions(out=tmp_path, eval_data=frozen))}
    assert steps["evaluate the base model zero-shot"].options().data == str(frozen)
    assert steps["validate it"].options().against == frozen
    tuned_run = tmp_path / "train"
    (tuned_run / "adapter").mkdir(parents=True)
    assert steps["evaluate the fine-tuned model"].options().data == str(frozen)
    with pytest.raises(SlmbenchError, match="--eval-data nope.jsonl: no such file"):
        plan(PipelineOptions(out=tmp_path, eval_data=Path("nope.jsonl")))
