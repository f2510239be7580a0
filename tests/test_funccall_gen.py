"""EdgeFuncCall's training-data generator (`slmbench.data.funccall_gen`): same seed same bytes,
all six categories over the catalogue's domains, every gold valid under its row's schema and
right by the scorer, values the request actually says, and `slmbench data build --task
edgefunccall`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from slmbench.cli import main
from slmbench.constrain.schema_check import grammar_error
from slmbench.data.bfcl import CATEGORIES, calls_schema, read_bfcl
from slmbench.data.funccall_gen import DOMAINS, TOOLS, build_funccall, category_counts
from slmbench.data.funccall_spec import NAME_STYLES, bfcl_tool
from slmbench.eval.funccall_scoring import funccall_metrics

SHARED_BFCL = Path(__file__).resolve().parents[1].parent / "shared" / "bfcl_sample"
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CLOCK = re.compile(r"^\d{2}:\d{2}$")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("funccall")
    build_funccall(out, n_train=240, n_test=60, seed=7)
    return out


def test_the_same_seed_gives_the_same_bytes(built, tmp_path):
    build_funccall(tmp_path / "again", n_train=240, n_test=60, seed=7)
    for name in ("train.jsonl", "test.jsonl", "manifest.json"):
        assert (built / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name
    build_funccall(tmp_path / "other", n_train=240, n_test=60, seed=8)
    assert (built / "train.jsonl").read_bytes() != (tmp_path / "other/train.jsonl").read_bytes()


def test_every_category_at_its_share_and_no_request_twice(built):
    manifest = json.loads((built / "manifest.json").read_text())
    assert manifest["counts"] == {"train": category_counts(240), "test": category_counts(60)}
    assert set(category_counts(240)) == set(CATEGORIES) and all(category_counts(240).values())
    train, _ = read_bfcl(built / "train.jsonl")
    test, _ = read_bfcl(built / "test.jsonl")
    prompts = [r.prompt for r in train + test]
    assert len(prompts) == len(set(prompts)) == 300


def test_the_catalogue_spans_many_domains_and_typed_parameters():
    assert len(DOMAINS) >= 12 and len(TOOLS) >= 60
    for tool in TOOLS:
        tool.check()
    params = [p for t in TOOLS for p in t.params]
    types = {p.type for p in params}
    assert {"string", "integer", "float", "boolean", "array"} <= types
    assert sum(bool(p.enum) for p in params) >= 20
    assert sum(not p.required for p in params) >= 60
    assert {t.domain for t in TOOLS if t.general} == {"search"}


@pytest.mark.parametrize("style", NAME_STYLES)
def test_every_tool_compiles_for_constrained_decoding_in_every_naming_style(style):
    for tool in TOOLS:
        definition, _ = bfcl_tool(tool, style, camel_params=style == "camel")
        schema = calls_schema([definition], tool.name)
        assert grammar_error(json.dumps(schema, ensure_ascii=False)) is None, tool.name


@pytest.mark.parametrize("split", ["train", "test"])
def test_every_gold_validates_against_its_row_schema_and_scores_right(built, split):
    rows, schemas = read_bfcl(built / f"{split}.jsonl")
    for row in rows:
        assert schemas[row.schema_id].validator().is_valid(row.expected_output), row.id
    predictions = [{"id": r.id, "raw_output": json.dumps(r.expected_output)} for r in rows]
    metrics = funccall_metrics(predictions, rows)
    assert metrics["overall"]["accuracy"]["value"] == 1.0
    assert set(metrics["by_category"]) == set(CATEGORIES)
    empty = [{"id": r.id, "raw_output": "[]"} for r in rows]
    by_category = funccall_metrics(empty, rows)["by_category"]
    assert by_category["irrelevance"]["accuracy"]["value"] == 1.0
    assert all(by_category[c]["accuracy"]["value"] == 0.0 for c in CATEGORIES[:4])


def test_rows_are_shaped_as_their_category_says(built):
    rows, _ = read_bfcl(built / "train.jsonl")
    for row in rows:
        category, gold, tools = row.extra["category"], row.expected_output, row.extra["tools"]
        names = [t["name"] for t in tools]
        assert len(names) == len(set(names)) and {c["name"] for c in gold} <= set(names)
        called = {c["name"] for c in gold}
        if category == "simple":
            assert len(tools) == len(gold) == 1
        elif category == "multiple":
            assert len(tools) >= 2 and len(gold) == 1
        elif category == "parallel":
            assert len(tools) == 1 and 2 <= len(gold) <= 4
        elif category == "parallel_multiple":
            assert len(called) >= 2 and 2 <= len(gold) <= 4
        elif category == "irrelevance":
            assert gold == [] and row.extra["possible_answer"] is None
        else:
            assert len(gold) == 1 and row.extra["possible_answer"] is None


def test_argument_values_are_the_ones_the_request_says(built):
    rows, _ = read_bfcl(built / "train.jsonl")
    for row in rows:
        text = row.prompt.lower()
        tools = {t["name"]: t for t in row.extra["tools"]}
        for c in row.expected_output:
            properties = tools[c["name"]]["parameters"]["properties"]
            for name, value in c["arguments"].items():
                values = value if isinstance(value, list) else [value]
                for v in values:
                    if not isinstance(v, str) or "enum" in properties[name]:
                        continue
                    if ISO_DATE.match(v) or CLOCK.match(v):
                        continue  # written as "March 5, 2024" or "7:30 pm" at times
                    assert v.lower() in text, (row.id, name, v)


def test_the_requests_are_phrased_many_ways(built):
    rows, _ = read_bfcl(built / "train.jsonl")
    openings = {" ".join(r.prompt.split()[:2]) for r in rows}
    assert len(openings) >= 60
    styles = {r.extra["tools"][0]["name"].count(".") for r in rows}
    assert styles == {0, 1}  # plain and dotted tool names


def test_the_generator_never_repeats_a_bfcl_sample_request(built):
    if not SHARED_BFCL.is_dir():
        pytest.skip("../shared/bfcl_sample not present")
    sample = set()
    for path in SHARED_BFCL.glob("BFCL_*.json"):
        sample |= {r.prompt for r in read_bfcl(path)[0]}
    ours = {r.prompt for split in ("train", "test") for r in read_bfcl(built / f"{split}.jsonl")[0]}
    assert not sample & ours


def test_data_build_task_edgefunccall_writes_the_splits(tmp_path, capsys):
    out = tmp_path / "data"
    argv = ["data", "build", "--task", "edgefunccall", "--out", str(out), "--seed", "2"]
    assert main([*argv, "--train", "30", "--test", "12"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["task"] == "edgefunccall" and manifest["seed"] == 2
    assert {f: v["rows"] for f, v in manifest["files"].items()} == {
        "train.jsonl": 30,
        "test.jsonl": 12,
    }
    # --exclude keeps another build's requests out.
    again = tmp_path / "more"
    excluded = ["--exclude", str(out / "test.jsonl")]
    argv = ["data", "build", "--task", "edgefunccall", "--out", str(again), "--seed", "2"]
    assert main([*argv, "--train", "30", "--test", "0", *excluded]) == 0
    old = {r.prompt for r in read_bfcl(out / "test.jsonl")[0]}
    assert not old & {r.prompt for r in read_bfcl(again / "train.jsonl")[0]}


def test_a_no_call_row_gets_the_full_budget_not_one_sized_to_its_empty_gold(built):
    """19 tokens (the budget sized to `[]`) would cut a wrong call short and score it as no call."""
    from slmbench.eval.runner import build_examples

    rows, schemas = read_bfcl(built / "test.jsonl")
    by_category = {r.complexity: r for r in rows}
    picked = [by_category["irrelevance"], by_category["simple"]]
    irrelevant, simple = build_examples(picked, schemas, "chat", None, 700, "edgefunccall")
    assert irrelevant.row.expected_output == [] and irrelevant.max_new_tokens == 700
    assert 16 < simple.max_new_tokens < 700
