"""EdgeIntent end to end on the tiny random Llama, through the command line: data build from a
BANKING77-layout CSV, zero-shot constrained eval on the CSV itself, LoRA fine-tuning on the
built rows, the adapter's eval (its task taken from the train run), the report's intent tables,
and `slmbench pipeline --task edgeintent`."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from slmbench import results_contract as contract
from slmbench.cli import main

ASSETS = Path(__file__).resolve().parent / "assets" / "intent"
TINY_CSV = ASSETS / "tiny.csv"
LABELS = json.loads((ASSETS / "categories.json").read_text())
TRAIN_FLAGS = ["--recipe", "recommended", "--prompt-style", "chat", "--epochs", "1"]
TRAIN_FLAGS += ["--max-length", "256", "--eval-every-steps", "0", "--val-generate-rows", "0"]


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def run(argv: list[str]) -> str:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(argv) == 0, argv
    return printed.getvalue()


@pytest.fixture(scope="module")
def intent_runs(tiny_model_dir, tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("edgeintent")
    data, zero, train, tuned = root / "data", root / "zero", root / "train", root / "tuned"
    run(["data", "build", "--task", "edgeintent", "--source", str(TINY_CSV), "--out", str(data)])
    printed = run(
        [
            "eval",
            "--task",
            "edgeintent",
            "--model",
            str(tiny_model_dir),
            "--data",
            str(TINY_CSV),
            "--constrained",
            "--limit",
            "6",
            "--batch-size",
            "3",
            "--out",
            str(zero),
            "--no-progress",
        ]
    )
    run(
        [
            "train",
            "--task",
            "edgeintent",
            "--model",
            str(tiny_model_dir),
            "--data",
            str(data / "train.jsonl"),
            "--out",
            str(train),
            *TRAIN_FLAGS,
        ]
    )
    run(
        [
            "eval",
            "--adapter",
            str(train),
            "--data",
            str(data / "test.jsonl"),
            "--out",
            str(tuned),
            "--batch-size",
            "4",
            "--no-progress",
        ]
    )
    run(
        [
            "report",
            str(zero),
            str(tuned),
            str(train),
            "--out",
            str(root / "report"),
            "--task",
            "edgeintent",
        ]
    )
    return {
        "root": root,
        "data": data,
        "zero": zero,
        "train": train,
        "tuned": tuned,
        "printed": printed,
    }


def test_the_zero_shot_constrained_eval_on_the_csv(intent_runs, tiny_model_dir):
    results = read_json(intent_runs["zero"] / "results.json")
    assert results["task"] == "edgeintent" and results["n"] == 6
    assert contract.problems(results) == []
    assert results["config"]["prompt_style"] == "chat-schema"  # the label list, zero-shot
    assert results["config"]["prompt_style_source"] == "default"
    overall = results["metrics"]["overall"]
    # Constrained to the label enum, a random model still names a known intent every time.
    assert overall["known_label"]["value"] == 1.0 and overall["valid_json"]["value"] == 1.0
    assert results["metrics"]["outputs"]["label"] == 6
    preds = [json.loads(line) for line in (intent_runs["zero"] / "predictions.jsonl").open()]
    assert all(p["predicted"] in LABELS and p["output_kind"] == "label" for p in preds)
    correct = sum(p["predicted"] == p["gold"] for p in preds)
    assert overall["accuracy"]["value"] == pytest.approx(correct / 6)
    assert results["metrics"]["latency_ms"]["median"] > 0
    assert "accuracy %" in intent_runs["printed"] and "most confused" in intent_runs["printed"]


def test_training_on_the_built_rows_records_the_task(intent_runs):
    recipe = read_json(intent_runs["train"] / "recipe.json")
    meta = read_json(intent_runs["train"] / "train_meta.json")
    assert recipe["task"] == "edgeintent" and recipe["method"] == "lora"
    assert recipe["prompt_style"] == "chat"
    assert (
        meta["status"] == "complete" and meta["n_train_rows"] == 12 and meta["task"] == "edgeintent"
    )
    assert (intent_runs["train"] / "adapter" / "adapter_config.json").is_file()


def test_the_adapter_eval_takes_the_task_and_prompt_from_the_train_run(intent_runs):
    results = read_json(intent_runs["tuned"] / "results.json")
    assert results["task"] == "edgeintent" and results["n"] == 3
    assert results["config"]["prompt_style"] == "chat"
    assert results["config"]["prompt_style_source"] == "train recipe"
    assert contract.problems(results) == []
    config = read_json(intent_runs["tuned"] / "run_config.json")
    assert config["schemas"] == str(intent_runs["data"] / "labels.json")


def test_the_report_shows_the_intent_tables(intent_runs):
    tables = (intent_runs["root"] / "report" / "tables.md").read_text()
    assert "edgeintent results on" in tables and "Macro-F1 (%)" in tables
    assert "Most confused intents" in tables and "Intents with the lowest F1" in tables
    assert "JSONExact" not in tables.split("## Training runs")[0]
    assert (intent_runs["root"] / "report" / "index.html").is_file()


def test_the_pipeline_runs_edgeintent_end_to_end(tiny_model_dir, tmp_path):
    out = tmp_path / "main"
    argv = [
        "pipeline",
        "--task",
        "edgeintent",
        "--source",
        str(TINY_CSV),
        "--out",
        str(out),
        "--model",
        str(tiny_model_dir),
        "--recipe",
        "quick",
        "--constrained",
        "--batch-size",
        "4",
    ]
    printed = run(argv)
    assert "build the edgeintent data" in printed and "validate it" not in printed
    for name in ("zero-shot", "finetuned"):
        results = read_json(out / name / "results.json")
        assert results["task"] == "edgeintent" and results["n"] == 3
        assert results["metrics"]["overall"]["known_label"]["value"] == 1.0
    assert "McNemar" in printed and (out / "report" / "index.html").is_file()
    again = run(argv)
    assert "build the edgeintent data" not in again and "nothing to train" in again


def test_eval_reads_the_official_banking77_csv_as_distributed(tiny_model_dir, tmp_path):
    shared = Path(__file__).resolve().parents[1].parent / "shared" / "banking77" / "train.csv"
    if not shared.is_file():
        pytest.skip("../shared/banking77 not present")
    run(
        [
            "eval",
            "--task",
            "edgeintent",
            "--model",
            str(tiny_model_dir),
            "--data",
            str(shared),
            "--limit",
            "4",
            "--constrained",
            "--out",
            str(tmp_path / "run"),
            "--no-progress",
        ]
    )
    results = read_json(tmp_path / "run" / "results.json")
    assert results["n"] == 4 and results["metrics"]["outputs"]["label"] == 4
    assert results["dataset"]["file_sha256"] == results["dataset"]["sha256"]
    assert read_json(tmp_path / "run" / "run_config.json")["schemas"].endswith("categories.json")
