"""EdgeFuncCall end to end on the tiny random Llama, through the command line: `slmbench eval
--task edgefunccall` on BFCL-format question files (answers found beside them, or given), free
and constrained, with the task's metrics in results.json and its fields in predictions.jsonl;
bad input as exit 2; and a short fine-tune on generated rows evaluated with its adapter."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

from slmbench import results_contract as contract
from slmbench.cli import main
from slmbench.eval.funccall_scoring import ERROR_KINDS, parse_calls

ASSETS = Path(__file__).resolve().parent / "assets" / "bfcl"
SIMPLE = ASSETS / "BFCL_v3_simple.json"
PARALLEL_MULTIPLE = ASSETS / "BFCL_v3_parallel_multiple.json"
RELEVANCE = ASSETS / "BFCL_v3_live_relevance.json"
FAST = ["--batch-size", "3", "--no-progress", "--max-new-tokens", "48"]


def run(argv: list[str]) -> str:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(argv) == 0, argv
    return printed.getvalue()


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def predictions(run_dir: Path) -> list[dict]:
    lines = (run_dir / "predictions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def evaluate(model: Path, data: Path, out: Path, *flags: str) -> dict:
    run(["eval", "--task", "edgefunccall", "--model", str(model), "--data", str(data)]
        + ["--out", str(out), *FAST, *flags])  # fmt: skip
    return read_json(out / "results.json")


def test_eval_scores_a_bfcl_question_file_with_the_tasks_metrics(tiny_model_dir, tmp_path):
    results = evaluate(tiny_model_dir, SIMPLE, tmp_path / "free")
    assert results["task"] == "edgefunccall" and results["n"] == 3
    assert contract.problems(results) == []
    metrics = results["metrics"]
    accuracy = metrics["overall"]["accuracy"]
    assert set(accuracy) == {"value", "ci_low", "ci_high"} and 0 <= accuracy["value"] <= 1
    assert set(metrics["by_category"]) == {"simple"} and list(metrics["errors"]) == list(
        ERROR_KINDS
    )
    rows = predictions(tmp_path / "free")
    assert all({"correct", "call_errors", "calls", "category"} <= set(p) for p in rows)
    assert accuracy["value"] == sum(p["correct"] for p in rows) / 3
    # A random model is wrong, and each wrong entry says why.
    assert all(p["call_errors"] for p in rows if not p["correct"])


def test_constrained_decoding_writes_calls_of_the_offered_tools(tiny_model_dir, tmp_path):
    results = evaluate(tiny_model_dir, PARALLEL_MULTIPLE, tmp_path / "c", "--constrained")
    rows = predictions(tmp_path / "c")
    assert {p["constrained"] for p in rows} == {"on"}
    offered = {"math.add", "geometry.distance", "text.echo"}
    for p in rows:  # even an answer cut at its token limit is closed into valid calls
        calls, error = parse_calls(p["raw_output"])
        assert error is None and p["well_formed"], p["raw_output"]
        assert calls and {c["name"] for c in calls} <= offered
    assert results["metrics"]["by_category"]["parallel_multiple"]["n"] == 2


def test_a_file_without_answers_and_the_answers_and_category_flags(
    tiny_model_dir, tmp_path, capsys
):
    data = tmp_path / "calls.json"
    shutil.copy(SIMPLE, data)
    argv = ["eval", "--task", "edgefunccall", "--model", str(tiny_model_dir), "--data", str(data)]
    assert main([*argv, "--out", str(tmp_path / "x"), *FAST]) == 2
    assert "pass --category" in capsys.readouterr().err
    assert main([*argv, "--category", "simple", "--out", str(tmp_path / "x"), *FAST]) == 2
    err = capsys.readouterr().err.strip()
    assert str(tmp_path / "possible_answer" / "calls.json") in err and "\n" not in err
    answers = ASSETS / "possible_answer" / "BFCL_v3_simple.json"
    flags = ["--category", "simple", "--answers", str(answers), "--out", str(tmp_path / "ok")]
    assert main([*argv, *flags, *FAST]) == 0
    assert read_json(tmp_path / "ok" / "results.json")["n"] == 3


def test_a_relevance_file_has_no_answers_and_still_scores(tiny_model_dir, tmp_path):
    results = evaluate(tiny_model_dir, RELEVANCE, tmp_path / "rel", "--constrained")
    assert set(results["metrics"]["by_category"]) == {"live_relevance"}
    # Without a gold answer to size it by, the token budget is the cap (--max-new-tokens).
    assert predictions(tmp_path / "rel")[0]["max_new_tokens"] == 48


TRAIN_FLAGS = ["--recipe", "recommended", "--epochs", "1", "--max-length", "1024"]
TRAIN_FLAGS += ["--eval-every-steps", "0", "--val-generate-rows", "0"]


def test_fine_tuning_on_generated_rows_then_eval_with_the_adapter(tiny_model_dir, tmp_path):
    data, train, tuned = tmp_path / "data", tmp_path / "train", tmp_path / "tuned"
    run(["data", "build", "--task", "edgefunccall", "--out", str(data)]
        + ["--train", "12", "--test", "6", "--seed", "1"])  # fmt: skip
    run(["train", "--task", "edgefunccall", "--model", str(tiny_model_dir)]
        + ["--data", str(data / "train.jsonl"), "--out", str(train), *TRAIN_FLAGS])  # fmt: skip
    run(["eval", "--adapter", str(train), "--data", str(data / "test.jsonl")]
        + ["--out", str(tuned), *FAST])  # fmt: skip
    results = read_json(tuned / "results.json")
    assert results["task"] == "edgefunccall"  # from the train run
    assert results["n"] == 6 and results["metrics"]["overall"]["n"] == 6
