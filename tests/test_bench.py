"""`slmbench bench` on the tiny random Llama: the JSON record, the Markdown rows, the CLI, and
`--task edgeintent|edgefunccall` (rows, prompts, schemas and scores of that task)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from slmbench.cli import main
from slmbench.data.intent import read_intents
from slmbench.errors import SlmbenchError
from slmbench.eval.bench import (
    MARKDOWN_HEADER,
    BenchOptions,
    memory_bandwidth_gb_s,
    run_bench,
)

ASSETS = Path(__file__).resolve().parent / "assets"
INTENT_CSV = ASSETS / "intent" / "tiny.csv"
INTENT_LABELS = json.loads((ASSETS / "intent" / "categories.json").read_text())
BFCL_SIMPLE = ASSETS / "bfcl" / "BFCL_v3_simple.json"


def test_memory_bandwidth_is_a_plausible_figure():
    gb_s = memory_bandwidth_gb_s(size_mb=16, repeats=2)
    assert 0.1 < gb_s < 10_000


def test_bench_writes_json_and_markdown(tiny_model_dir, tmp_path):
    out, table = tmp_path / "bench.json", tmp_path / "table.md"
    result = run_bench(
        BenchOptions(
            model=str(tiny_model_dir),
            out=str(out),
            rows=2,
            max_new_tokens=6,
            markdown=str(table),
        ),
        echo=lambda _: None,
    )
    saved = json.loads(out.read_text())
    assert saved == json.loads(json.dumps(result))
    assert saved["kind"] == "bench" and saved["n"] == 2 and len(saved["rows"]) == 2
    assert saved["dataset"]["n_rows"] == 2 and len(saved["dataset"]["ids"]) == 2
    for row in saved["rows"]:
        assert 0 < row["ttft_ms"] <= row["total_ms"]
        assert 1 <= row["generated_tokens"] <= 6 and row["constrained"] == "off"
    latency = saved["latency"]
    assert latency["ms_per_extraction"]["median"] <= latency["ms_per_extraction"]["p90"]
    assert saved["model"]["size_on_disk_bytes"] > 0 and saved["peak_rss_mb"] > 0
    params = saved["model"]["params"]
    assert saved["weight_bytes_per_token"] == 4 * params  # float32 weights
    bandwidth = saved["hardware"]["memory_bandwidth_gb_s"]
    expected_limit = bandwidth * 1e9 / (4 * params)
    assert saved["physical_decode_limit_tok_s"] == pytest.approx(expected_limit, rel=0.01)
    lines = table.read_text().splitlines()
    assert "\n".join(lines[:2]) + "\n" == MARKDOWN_HEADER and len(lines) == 3
    assert lines[2].startswith(f"| {tiny_model_dir.name} | transformers | float32 | off |")


def test_bench_cli_constrained_appends_a_row(tiny_model_dir, tmp_path):
    out, table = tmp_path / "c.json", tmp_path / "table.md"
    table.write_text(MARKDOWN_HEADER + "| earlier | row |\n")
    argv = ["bench", "--model", str(tiny_model_dir), "--rows", "1", "--max-new-tokens", "6"]
    code = main([*argv, "--constrained", "--out", str(out), "--markdown", str(table)])
    assert code == 0
    saved = json.loads(out.read_text())
    assert saved["config"]["constrained"] == "strict"
    assert [row["constrained"] for row in saved["rows"]] == ["on"]
    lines = table.read_text().splitlines()
    assert len(lines) == 4 and lines[2] == "| earlier | row |"
    assert "| strict |" in lines[3]


def test_bench_rejects_bad_numbers(tmp_path):
    with pytest.raises(SlmbenchError, match="--rows must be at least 1"):
        run_bench(BenchOptions(model="x", out=str(tmp_path / "b.json"), rows=0))


def test_bench_edgeintent_times_constrained_queries_under_the_label_enum(tiny_model_dir, tmp_path):
    out, table = tmp_path / "intent.json", tmp_path / "table.md"
    options = BenchOptions(
        model=str(tiny_model_dir),
        task="edgeintent",
        data=str(INTENT_CSV),
        constrained="strict",
        out=str(out),
        rows=3,
        markdown=str(table),
    )
    result = run_bench(options, echo=lambda _: None)
    assert result["task"] == result["config"]["task"] == "edgeintent" and result["n"] == 3
    assert result["config"]["prompt_style"] == "chat-schema"  # the task's zero-shot default
    assert result["dataset"]["ids"] == [r.id for r in read_intents(INTENT_CSV)[0][:3]]
    for row in result["rows"]:
        assert row["constrained"] == "on" and row["schema_id"] == result["rows"][0]["schema_id"]
        assert row["valid_json"] and row["schema_valid"] and 0 < row["ttft_ms"] <= row["total_ms"]
    # Constrained to the label enum, every timed answer names a known intent.
    assert result["valid_json"] == result["schema_valid"] == 3
    assert result["correct"] == sum(row["correct"] for row in result["rows"])
    assert table.read_text().splitlines()[2].startswith(f"| {tiny_model_dir.name} (edgeintent) |")


def test_bench_edgefunccall_on_a_bfcl_file_decodes_call_lists(tiny_model_dir, tmp_path):
    out = tmp_path / "fc.json"
    argv = ["bench", "--task", "edgefunccall", "--model", str(tiny_model_dir)]
    argv += ["--data", str(BFCL_SIMPLE), "--constrained", "--rows", "2", "--out", str(out)]
    assert main([*argv, "--max-new-tokens", "48"]) == 0
    saved = json.loads(out.read_text())
    assert saved["task"] == "edgefunccall" and saved["n"] == 2
    assert [row["id"] for row in saved["rows"]] == ["simple_0", "simple_1"]
    assert {row["schema_id"] for row in saved["rows"]} == {"bfcl:simple_0", "bfcl:simple_1"}
    assert all(row["constrained"] == "on" for row in saved["rows"])
    assert saved["valid_json"] == sum(row["valid_json"] for row in saved["rows"])
    assert saved["latency"]["ms_per_extraction"]["median"] > 0


def test_bench_rows_are_read_and_prompted_as_eval_reads_them(tiny_model_dir, tmp_path):
    """The timed requests are eval's: same reader, prompt (with the label list) and schema."""
    from slmbench.eval.bench import bench_rows, request_for
    from slmbench.eval.runner import build_examples

    options = BenchOptions(task="edgeintent", data=str(INTENT_CSV), rows=2, out="x.json")
    rows, schemas, dataset = bench_rows(options, "edgeintent")
    expected_rows, expected_schemas = read_intents(INTENT_CSV)
    assert [r.id for r in rows] == [r.id for r in expected_rows[:2]] == dataset["ids"]
    (example,) = build_examples(rows[:1], schemas, "chat-schema", None, 1024, "edgeintent")
    request = request_for(example, "strict")
    prompt = " ".join(message["content"] for message in request.messages)
    assert all(label in prompt for label in INTENT_LABELS)
    assert sorted(request.schema["properties"]["intent"]["enum"]) == sorted(INTENT_LABELS)
    jsonschema.validate({"intent": INTENT_LABELS[0]}, request.schema)
    assert request_for(example, None).schema is None
    spread = BenchOptions(task="edgeintent", data=str(INTENT_CSV), rows=3, spread=True, out="x")
    spaced = [r.id for r in expected_rows[:: len(expected_rows) // 3][:3]]
    assert bench_rows(spread, "edgeintent")[2]["ids"] == spaced and len(set(spaced)) == 3


def test_bench_of_another_task_needs_a_data_file(tmp_path):
    with pytest.raises(SlmbenchError, match="bench --task edgeintent needs --data"):
        run_bench(BenchOptions(model="x", task="edgeintent", out=str(tmp_path / "b.json")))
