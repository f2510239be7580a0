"""Reading datasets and schemas: bad input gives one-line errors (exit 2), v3 files load, stats."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from slmbench.cli import main
from slmbench.data.rows import iter_rows, read_rows, write_rows
from slmbench.data.schemas import TIERS, load_schemas
from slmbench.data.stats import dataset_stats
from slmbench.errors import DataError
from slmbench.prompts import format_answer

TAG_SCHEMA = {
    "type": "object",
    "properties": {"tags": {"type": "array", "items": {"type": "string"}}},
    "required": ["tags"],
}
ROW = {
    "id": "t-1",
    "schema_id": "tags",
    "complexity": "simple",
    "prompt": "Tags: red, blue",
    "expected_output": {"tags": ["red", "blue"]},
}


def make_schema_dir(root: Path, files: dict[str, str]) -> Path:
    """`files` maps 'tier/name.json' to file text."""
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


@pytest.fixture
def schema_dir(tmp_path: Path) -> Path:
    return make_schema_dir(
        tmp_path / "schemas",
        {"simple/tags.json": json.dumps(TAG_SCHEMA), "medium/colors.json": json.dumps(TAG_SCHEMA)},
    )


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(err: str, *fragments: str) -> None:
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("slmbench data: error: "), err
    for fragment in fragments:
        assert fragment in err, err


def test_malformed_json_line(tmp_path, schema_dir, capsys):
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps(ROW) + "\n" + '{"id": "t-2", "prompt": "x",\n')
    code, _, err = run_cli(["data", "validate", str(data), "--schemas", str(schema_dir)], capsys)
    assert code == 2
    assert_one_line_error(err, f"{data}:2: malformed JSON")


def test_missing_field(tmp_path, schema_dir, capsys):
    data = tmp_path / "d.jsonl"
    row = {k: v for k, v in ROW.items() if k != "prompt"}
    data.write_text(json.dumps(ROW) + "\n\n" + json.dumps({**row, "id": "t-2"}) + "\n")
    code, _, err = run_cli(["data", "validate", str(data), "--schemas", str(schema_dir)], capsys)
    assert code == 2
    assert_one_line_error(err, f"{data}:3: missing field 'prompt'")


def test_unknown_schema_id_lists_known_ones(tmp_path, schema_dir, capsys):
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({**ROW, "schema_id": "tagz"}) + "\n")
    # --no-tokens: the fast tier loads no real tokenizer (see CONTRIBUTING.md, "Test tiers").
    argv = ["data", "stats", str(data), "--schemas", str(schema_dir), "--no-tokens"]
    code, _, err = run_cli(argv, capsys)
    assert code == 2
    assert_one_line_error(err, f"{data}:1: unknown schema id 'tagz' (known: colors, tags)")


def test_duplicate_id_is_bad_input(tmp_path, schema_dir, capsys):
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps(ROW) + "\n" + json.dumps({**ROW, "prompt": "Tags: red"}) + "\n")
    code, _, err = run_cli(["data", "validate", str(data), "--schemas", str(schema_dir)], capsys)
    assert code == 2
    assert_one_line_error(err, f"{data}:2: duplicate id 't-1'")


def test_schema_that_is_not_json_schema(tmp_path, capsys):
    bad = make_schema_dir(tmp_path / "s", {"medium/broken.json": '{"type": 12}'})
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps(ROW) + "\n")
    code, _, err = run_cli(["data", "validate", str(data), "--schemas", str(bad)], capsys)
    assert code == 2
    assert_one_line_error(
        err, str(bad / "medium" / "broken.json"), "not a valid JSON Schema at /type"
    )


def test_schema_that_is_not_json(tmp_path, capsys):
    bad = make_schema_dir(tmp_path / "s", {"complex/broken.json": '{\n  "type": "object",\n}'})
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps(ROW) + "\n")
    code, _, err = run_cli(["data", "validate", str(data), "--schemas", str(bad)], capsys)
    assert code == 2
    assert_one_line_error(err, f"{bad / 'complex' / 'broken.json'}:3: not valid JSON")


def test_debug_shows_the_exception(tmp_path, schema_dir):
    data = tmp_path / "d.jsonl"
    data.write_text("not json\n")
    with pytest.raises(DataError, match="malformed JSON"):
        main(["--debug", "data", "validate", str(data), "--schemas", str(schema_dir)])


def test_rows_round_trip_with_line_numbers(tmp_path, schema_dir):
    v3_style = {"id": "v-1", "schema_name": "colors", "schema_id": "colors", "teacher": "x"}
    v3_style |= {"prompt": "Tags: a", "expected_output": {"tags": ["a"]}}
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(ROW) + "\n\n" + json.dumps(v3_style) + "\n")
    schemas = load_schemas(schema_dir)
    assert [(line, row.id) for line, row in iter_rows(src, schemas)] == [(1, "t-1"), (3, "v-1")]
    rows = read_rows(src, schemas)
    assert rows[1].complexity == "medium"  # from the schema's folder
    out = tmp_path / "out.jsonl"
    write_rows(rows, out)
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert written[0] == ROW
    assert written[1] == {**v3_style, "complexity": "medium"}


def test_stats_counts_and_lengths(tmp_path, schema_dir, tokenizer):
    rows = [ROW, {**ROW, "id": "t-2", "prompt": "Tags: green", "expected_output": {"tags": []}}]
    rows.append({**ROW, "id": "c-1", "schema_id": "colors", "complexity": "medium"})
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))

    def count(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    stats = dataset_stats(data, schema_dir=schema_dir, count_tokens=count)
    assert stats["n_rows"] == 3
    assert {t: g["rows"] for t, g in stats["by_tier"].items()} == {"simple": 2, "medium": 1}
    assert {s: g["rows"] for s, g in stats["by_schema"].items()} == {"colors": 1, "tags": 2}
    answers = [format_answer(r["expected_output"]) for r in rows]
    lengths = stats["overall"]["lengths"]
    assert lengths["gold_chars"]["max"] == max(len(a) for a in answers)
    assert lengths["gold_tokens"]["max"] == max(count(a) for a in answers)
    assert lengths["text_tokens"]["median"] == count("Tags: red, blue")
    without = dataset_stats(data, schema_dir=schema_dir)
    assert set(without["overall"]["lengths"]) == {"text_chars", "gold_chars"}


def test_v3_rows_load_with_tiers(v3_dir):
    schemas = load_schemas(v3_dir / "schemas")
    rows = read_rows(v3_dir / "train.jsonl", schemas)
    raw = [json.loads(line) for line in (v3_dir / "train.jsonl").read_text().splitlines()]
    assert len(rows) == len(raw) == 629
    untiered = [row for row, obj in zip(rows, raw, strict=True) if "complexity" not in obj]
    assert untiered, "v3 has rows without 'complexity'"
    assert all(row.complexity == schemas[row.schema_id].tier for row in rows)
    tiers = Counter(row.complexity for row in rows)
    print(f"v3 train tiers: {dict(tiers)}; {len(untiered)} rows took the tier from the folder")
    assert set(tiers) == set(TIERS) and sum(tiers.values()) == 629


@pytest.mark.slow  # `data stats` counts tokens with the embedded model's tokenizer
def test_v3_validate_and_stats_run(v3_dir, capsys):
    args = [str(v3_dir / "train.jsonl"), "--schemas", str(v3_dir / "schemas")]
    code, out, _ = run_cli(["data", "validate", *args, "--max-failures", "0"], capsys)
    assert code in (0, 1)
    overall = next(line for line in out.splitlines() if line.strip().startswith("overall"))
    grounded, leaves = map(int, overall.split("(")[1].rstrip(")").split("/"))
    failure_lines = [line for line in out.splitlines() if " grounding: " in line]
    assert leaves - grounded == len(failure_lines)  # one line per ungrounded leaf
    assert all(line.startswith(f"{v3_dir / 'train.jsonl'}:") for line in failure_lines)
    with capsys.disabled():
        print(f"\nv3 train grounding ratio: {overall.split(maxsplit=1)[1]}")

    code, out, _ = run_cli(["data", "stats", *args], capsys)
    assert code == 0
    assert all(f"\n{tier} " in out for tier in TIERS)
    assert "text tokens" in out and out.splitlines()[-1].split()[:2] == ["all", "629"]
