"""`slmbench bench` on the tiny random Llama: the JSON record, the Markdown rows, the CLI."""

from __future__ import annotations

import json

import pytest

from slmbench.cli import main
from slmbench.errors import SlmbenchError
from slmbench.eval.bench import (
    MARKDOWN_HEADER,
    BenchOptions,
    memory_bandwidth_gb_s,
    run_bench,
)


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
