"""`slmbench specialize` end to end on the tiny random Llama with the shipped shipping-notice
schema and its 10 examples (tiny explicit sizes instead of a budget), its resume, the budget
plan, and its bad inputs."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import pytest

from slmbench.cli import main
from slmbench.specialize import SpecializeOptions
from slmbench.specialize_plan import (
    ANSWER_TOKENS_TOTAL,
    MAX_ROWS_PER_SCHEMA,
    cpu_train_rate,
    plan_budget,
)

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "examples" / "shipping_notice" / "schema.json"
EXAMPLES = ROOT / "examples" / "shipping_notice" / "examples.jsonl"
SIZES = ["--n", "8", "--epochs", "1", "--n-test", "2"]


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def argv_for(out: Path, model: Path, *extra: str) -> list[str]:
    return ["specialize", "--schema", str(SCHEMA), "--model", str(model), "--out", str(out), *extra]


@pytest.fixture(scope="module")
def specialized(tiny_model_dir, tmp_path_factory, tiny_gguf_export) -> tuple[Path, list[str]]:
    out = tmp_path_factory.mktemp("specialize") / "shipping"
    argv = argv_for(out, tiny_model_dir, "--examples", str(EXAMPLES), *SIZES)
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(argv) == 0
    return out, argv


def test_the_folder_holds_every_part(specialized, tiny_model_dir):
    out, _ = specialized
    spec = read_json(out / "specialize.json")
    assert spec["kind"] == "specialize" and spec["status"] == "complete"
    assert spec["base_model"] == str(tiny_model_dir)
    assert spec["prompt_style"] == "chat-schema"
    assert spec["schemas"] == {"schema": "schemas/schema.json"}
    assert (out / "schemas" / "schema.json").read_bytes() == SCHEMA.read_bytes()
    assert spec["evals"] == {"synthetic": "eval-synthetic", "examples": "eval-examples"}
    assert spec["gguf"] == "gguf/model-q8_0.gguf" and (out / spec["gguf"]).stat().st_size > 0
    assert list(spec["steps"]) == [
        "schemas",
        "plan",
        "data",
        "train",
        "eval-synthetic",
        "eval-examples",
        "export",
        "card",
    ]
    assert all(s["status"] == "complete" for s in spec["steps"].values())
    assert spec["recipe"]["rows"] == 8 and spec["recipe"]["epochs"] == 1
    assert spec["recipe"]["tokens_per_row"] > spec["recipe"]["answer_tokens_per_row"] > 0
    assert spec["tokens_per_s"] == spec["recipe"]["train_tokens_per_s"] > 0
    meta = read_json(out / "train" / "train_meta.json")
    assert meta["status"] == "complete" and meta["data"]["n_rows"] == 8
    assert (out / "train" / "adapter" / "adapter_config.json").is_file()
    # The data step sized max_length to the built rows, and training used it.
    plan = spec["recipe"]
    assert meta["max_length"] == plan["max_length"] == spec["steps"]["data"]["max_length"]
    assert (meta["n_truncated"], meta["n_dropped"]) == (
        plan["rows_truncated"],
        plan["rows_dropped"],
    )
    assert spec["steps"]["train"]["n_truncated"] == meta["n_truncated"]
    assert plan["max_length"] >= min(plan["longest_row_tokens"], plan["max_length_cap"])
    assert (
        plan["train_dtype"] in ("fp32", "bf16") and "AVX512-BF16/AMX" in plan["train_rate_source"]
    )


def test_held_out_examples_are_eval_rows_and_never_templates(specialized):
    out, _ = specialized
    val = [json.loads(line) for line in (out / "examples-val.jsonl").read_text().splitlines()]
    assert len(val) == 2
    assert {"id", "schema_id", "prompt", "expected_output"} <= set(val[0])
    originals = {json.loads(line)["id"]: json.loads(line) for line in EXAMPLES.open()}
    for row in val:
        assert row["expected_output"] == originals[row["id"]]["output"]
        assert row["prompt"] == originals[row["id"]]["text"]
    kept = [json.loads(line)["id"] for line in (out / "examples-train.jsonl").open()]
    assert len(kept) == 8 and not {r["id"] for r in val} & set(kept)
    held = {r["id"] for r in val}
    for split in ("train", "test"):
        for line in (out / "data" / f"{split}.jsonl").open():
            template = json.loads(line).get("template", "")
            assert not any(template.endswith(f"id={i}") for i in held), template
    assert read_json(out / "data" / "manifest.json")["examples"]["schema"]["examples"] == 8


def test_evals_are_constrained_and_the_card_quotes_them(specialized):
    out, _ = specialized
    card = (out / "model_card.md").read_text(encoding="utf-8")
    for folder, data in (
        ("eval-synthetic", out / "data" / "test.jsonl"),
        ("eval-examples", out / "examples-val.jsonl"),
    ):
        results = read_json(out / folder / "results.json")
        assert results["config"]["constrained"] == "strict"
        plan = read_json(out / "specialize.json")["recipe"]
        assert results["config"]["max_new_tokens"] == plan["eval_max_new_tokens"]
        assert results["dataset"]["path"] == str(data)
        assert results["n"] == 2
        valid = results["metrics"]["overall"]["schema_valid"]["value"]
        assert valid == 1.0  # constrained decoding: every output follows the schema
        exact = results["metrics"]["overall"]["json_exact"]["value"]
        assert f"| 2 | {100 * exact:.1f}" in card
    assert "slmbench extract" in card and "Shipping notice" in card
    assert "- Max length " in card and "training rows truncated" in card
    assert "gguf/model-q8_0.gguf" in card


def test_eval_accepts_the_specialize_folder_as_adapter(specialized):
    from slmbench.models.registry import resolve_adapter

    out, _ = specialized
    adapter, recipe = resolve_adapter(out)
    assert adapter == out / "train" / "adapter"
    assert recipe["prompt_style"] == "chat-schema"


def test_rerunning_does_no_work(specialized, capsys):
    out, argv = specialized
    before = {
        p: p.read_bytes()
        for p in [
            out / "train" / "train_log.jsonl",
            out / "eval-synthetic" / "predictions.jsonl",
            out / "data" / "train.jsonl",
            out / "model_card.md",
        ]
    }
    seconds = {k: v["seconds"] for k, v in read_json(out / "specialize.json")["steps"].items()}
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert printed.count("done before, skipped") == 8
    assert all(p.read_bytes() == content for p, content in before.items())
    after = read_json(out / "specialize.json")
    assert after["status"] == "complete"
    assert {k: v["seconds"] for k, v in after["steps"].items()} == seconds


def test_a_step_left_running_is_redone_and_export_failures_are_a_note(
    specialized, tmp_path, monkeypatch
):
    from slmbench.models import gguf_writer

    out, argv = specialized
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    spec = read_json(copy / "specialize.json")
    spec["steps"]["export"]["status"] = "running"
    del spec["steps"]["card"]
    (copy / "specialize.json").write_text(json.dumps(spec))
    monkeypatch.setattr(gguf_writer, "PRE_TOKENIZERS", {})  # a tokenizer llama.cpp does not know
    argv = [a if a != str(out) else str(copy) for a in argv]
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(argv) == 0
    spec = read_json(copy / "specialize.json")
    assert spec["status"] == "complete" and spec["gguf"] is None
    assert spec["steps"]["export"]["status"] == "skipped"
    assert "pre-tokenizer" in spec["steps"]["export"]["note"]
    assert "No GGUF export" in (copy / "model_card.md").read_text()


def test_other_inputs_in_the_same_folder_are_refused(specialized, capsys):
    out, argv = specialized
    assert main([*argv, "--seed", "1"]) == 2
    assert "made from other inputs (seed differ)" in capsys.readouterr().err


def one_line_error(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("slmbench specialize: error: ")
    return err


def test_a_file_that_is_not_json_schema(tmp_path, capsys, tiny_model_dir):
    bad = tmp_path / "bad.json"
    bad.write_text('{"type": 5}')
    out = tmp_path / "out"
    err = one_line_error(capsys, argv_for(out, tiny_model_dir, *SIZES) + ["--schema", str(bad)])
    assert str(bad) in err and "not a valid JSON Schema" in err
    assert not out.exists()


def test_an_example_whose_output_does_not_validate(tmp_path, capsys, tiny_model_dir):
    lines = EXAMPLES.read_text().splitlines()
    broken = json.loads(lines[2])
    broken["output"]["packages"] = 0
    examples = tmp_path / "examples.jsonl"
    examples.write_text("\n".join([*lines[:2], json.dumps(broken), *lines[3:]]) + "\n")
    out = tmp_path / "out"
    err = one_line_error(capsys, argv_for(out, tiny_model_dir, "--examples", str(examples)))
    assert f"{examples}:3:" in err and "/packages" in err
    assert not out.exists()


def test_an_empty_examples_file(tmp_path, capsys, tiny_model_dir):
    examples = tmp_path / "examples.jsonl"
    examples.write_text("\n")
    err = one_line_error(
        capsys, argv_for(tmp_path / "out", tiny_model_dir, "--examples", str(examples))
    )
    assert "examples file is empty" in err


def test_a_budget_too_small_says_the_minimum(tmp_path, capsys, tiny_model_dir):
    out = tmp_path / "out"
    err = one_line_error(capsys, argv_for(out, tiny_model_dir, "--budget-minutes", "0.05"))
    assert "too small to train anything" in err and "give at least" in err
    spec = read_json(out / "specialize.json")
    assert spec["status"] == "running" and spec["steps"]["plan"]["status"] == "running"


def test_the_plan_aims_at_the_answer_token_target_within_the_budget():
    opts = SpecializeOptions(schema=Path("s"), out=Path("o"), budget_minutes=30)
    fp32 = cpu_train_rate("auto", frozenset())  # a CPU without AVX512-BF16/AMX
    cpu = plan_budget(opts, "cpu", 1, 0, 900.0, 200.0, recipe_epochs=6.0, cpu_rate=fp32)
    # 60% of 30 min at 300 tokens/s over 900-token rows: 360 row passes, of the 4750 that
    # 950,000 answer tokens (200 a row) need.
    assert (cpu["rows"], cpu["epochs"]) == (360, 1.0)
    assert cpu["estimated_train_minutes"] == pytest.approx(18.0)
    assert cpu["answer_tokens_target"] == ANSWER_TOKENS_TOTAL
    assert cpu["answer_tokens_planned"] == 360 * 200 and not cpu["target_reached"]
    assert "--budget-minutes 400 would reach it on cpu" in cpu["warning"]
    reach = SpecializeOptions(schema=Path("s"), out=Path("o"), budget_minutes=400)
    enough = plan_budget(reach, "cpu", 1, 0, 900.0, 200.0, 6.0, fp32)
    assert enough["target_reached"] and enough["warning"] is None
    # On CUDA the budget affords more than the target: the plan stops at it, fresh rows first.
    cuda = plan_budget(opts, "cuda", 1, 0, 900.0, 200.0, recipe_epochs=6.0)
    assert (cuda["rows"], cuda["epochs"]) == (4750, 1.0) and cuda["target_reached"]
    many = plan_budget(opts, "cuda", 48, 0, 900.0, 200.0, recipe_epochs=6.0)
    assert many["answer_tokens_target_per_schema"] == 26_000
    assert many["rows"] <= 48 * MAX_ROWS_PER_SCHEMA
    bigger = SpecializeOptions(schema=Path("s"), out=Path("o"), model="smollm2-360m-instruct")
    assert plan_budget(bigger, "cpu", 1, 0, 900.0, 200.0, 6.0, fp32)["rows"] < cpu["rows"]


def test_eval_time_is_sized_from_answer_tokens_at_the_measured_rate():
    # specialize-shipping: 146 + 2 eval rows of ~239 answer tokens took 983.7 + 24.1 s.
    opts = SpecializeOptions(schema=Path("s"), out=Path("o"), n_test=146)
    plan = plan_budget(opts, "cpu", 1, 2, 619.8, 238.8, recipe_epochs=6.0)
    assert plan["estimated_eval_minutes"] == pytest.approx((983.7 + 24.1) / 60, rel=0.1)


def test_a_plan_short_of_its_target_says_so_in_the_record_and_the_card(specialized):
    out, _ = specialized
    spec = read_json(out / "specialize.json")
    plan = spec["recipe"]
    assert plan["sized_by"] == "options" and not plan["target_reached"]
    assert spec["warnings"] == [plan["warning"]]
    assert "--n 8 and --epochs 1 give" in plan["warning"]
    budget = plan["budget_minutes_for_target"]
    assert f"without --n/--epochs, --budget-minutes {budget} would reach it" in plan["warning"]
    card = (out / "model_card.md").read_text()
    assert "**Below the target.**" in card and plan["warning"] in card
