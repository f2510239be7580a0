"""EdgeIntent's data (`slmbench.data.intent`): BANKING77-layout CSV and JSONL readers, the
label set as data, the stratified validation part and few-shot builds, bad input as one-line
errors (exit 2), and the official BANKING77 training file when it is beside the checkout."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from slmbench.cli import main
from slmbench.data.intent import (
    INTENT_SCHEMA_ID,
    few_shot,
    read_intents,
    stratified_split,
)
from slmbench.data.rows import read_rows
from slmbench.errors import DataError

ASSETS = Path(__file__).resolve().parent / "assets" / "intent"
TINY_CSV = ASSETS / "tiny.csv"
LABELS = json.loads((ASSETS / "categories.json").read_text())
SHARED_BANKING77 = Path(__file__).resolve().parents[1].parent / "shared" / "banking77"


def labels_of(rows) -> list[str]:
    return [r.expected_output["intent"] for r in rows]


def test_the_csv_reader_reads_text_and_category_under_the_label_set_beside_it():
    rows, schemas = read_intents(TINY_CSV)
    assert len(rows) == 15 and rows[0].id == "tiny-00001"
    assert (rows[0].prompt, rows[0].expected_output) == (
        "Where is my new card?",
        {"intent": "card_arrival"},
    )
    assert rows[3].prompt == "I ordered a card a week ago, still nothing"  # quoted comma
    info = schemas[INTENT_SCHEMA_ID]
    assert {r.schema_id for r in rows} == {INTENT_SCHEMA_ID}
    # categories.json beside the CSV is the label set, in its order, unused labels included.
    assert info.schema["properties"]["intent"]["enum"] == LABELS
    assert info.path == ASSETS / "categories.json"
    assert info.validator().is_valid({"intent": "pin_blocked"})
    assert not info.validator().is_valid({"intent": "card"})
    assert not info.validator().is_valid({"intent": "pin_blocked", "x": 1})


def test_without_a_label_file_the_labels_come_from_the_file(tmp_path):
    csv = tmp_path / "test.csv"
    shutil.copy(TINY_CSV, csv)
    rows, schemas = read_intents(csv)
    enum = schemas[INTENT_SCHEMA_ID].schema["properties"]["intent"]["enum"]
    assert enum == ["card_arrival", "pin_blocked", "exchange_rate"]  # first appearance
    assert schemas[INTENT_SCHEMA_ID].path == csv and len(rows) == 15


def test_a_label_column_and_integer_labels_index_the_label_set(tmp_path):
    (tmp_path / "hf.csv").write_text("label,text\n1,PIN locked\n0,card late\n")
    rows, _ = read_intents(tmp_path / "hf.csv", labels=ASSETS / "categories.json")
    assert labels_of(rows) == ["pin_blocked", "card_arrival"]
    (tmp_path / "named.csv").write_text("text,label\nPIN locked,pin_blocked\n")
    rows, _ = read_intents(tmp_path / "named.csv")
    assert labels_of(rows) == ["pin_blocked"]


def test_jsonl_rows_in_either_layout():
    rows, schemas = read_intents(ASSETS / "tiny.jsonl")
    assert [r.id for r in rows] == ["tiny-00001", "tiny-00002", "tiny-00003", "own-1"]
    assert labels_of(rows) == [
        "lost_or_stolen_card",
        "card_arrival",
        "pin_blocked",
        "exchange_rate",
    ]
    assert schemas[INTENT_SCHEMA_ID].schema["properties"]["intent"]["enum"] == LABELS


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "query,intent_name\nhello,card_arrival\n",
            "needs the columns 'text' and 'category' (or 'label'); found: query, intent_name",
        ),
        (
            "text,category\nhello,card_arrival\nhi,not_a_label\n",
            ":3: label 'not_a_label' is not in the label set (4 labels: card_arrival",
        ),
        ("text,category\n,card_arrival\n", ":2: empty 'text'"),
        ("text,category\nhello\n", ":2: expected 2 fields"),
        ("text,category\nhello,card_arrival,extra\n", ":2: expected 2 fields"),
        ("text,category\nhello,9\n", ":2: label index 9 is outside the 4 labels"),
        ("text,category\n", "dataset is empty"),
    ],
)
def test_bad_csv_is_one_line_naming_the_file_and_line(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    shutil.copy(ASSETS / "categories.json", tmp_path)
    with pytest.raises(DataError) as err:
        read_intents(path)
    assert str(err.value).startswith(str(path)) and message in str(err.value)
    assert "\n" not in str(err.value)


def test_bad_label_files_and_jsonl(tmp_path):
    (tmp_path / "twice.json").write_text('["a", "a"]')
    with pytest.raises(DataError, match="label 'a' is listed twice"):
        read_intents(TINY_CSV, labels=tmp_path / "twice.json")
    with pytest.raises(DataError, match="label file not found"):
        read_intents(TINY_CSV, labels=tmp_path / "missing.json")
    (tmp_path / "rows.jsonl").write_text('{"query": "x"}\n')
    with pytest.raises(DataError, match=r"rows.jsonl:1: expected an object with 'prompt'"):
        read_intents(tmp_path / "rows.jsonl")
    (tmp_path / "int.csv").write_text("text,label\nx,3\n")
    with pytest.raises(DataError, match="no label set: give --labels FILE"):
        read_intents(tmp_path / "int.csv")


def test_the_cli_says_which_columns_are_missing_and_exits_2(tmp_path, capsys):
    argv = ["eval", "--task", "edgeintent", "--model", "m", "--out", str(tmp_path / "run")]
    assert main([*argv, "--data", str(ASSETS / "bad" / "no_columns.csv")]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        err.count("\n") == 0 and "no_columns.csv:1: needs the columns 'text' and 'category'" in err
    )
    build = ["data", "build", "--task", "edgeintent", "--out", str(tmp_path / "d")]
    assert main([*build, "--source", str(ASSETS / "bad" / "unknown_label.csv")]) == 2
    assert (
        "unknown_label.csv:3: label 'not_a_label' is not in the label set"
        in capsys.readouterr().err
    )
    assert main(build) == 2
    assert "--task edgeintent needs --source FILE" in capsys.readouterr().err


def test_the_stratified_split_holds_out_each_intent_and_is_seeded():
    rows, _ = read_intents(TINY_CSV)
    train, val = stratified_split(rows, 0.2, seed=0)
    assert Counter(labels_of(val)) == {"card_arrival": 1, "pin_blocked": 1, "exchange_rate": 1}
    assert len(train) == 12 and not {r.id for r in train} & {r.id for r in val}
    assert [r.id for r in train] == sorted(r.id for r in train)  # file order kept
    assert stratified_split(rows, 0.2, seed=0) == (train, val)
    others = [stratified_split(rows, 0.2, seed=s)[1] for s in range(1, 6)]
    assert any({r.id for r in o} != {r.id for r in val} for o in others)
    assert len(stratified_split(rows, 0.4, seed=0)[1]) == 6


def test_few_shot_takes_k_per_intent_from_the_given_rows():
    rows, _ = read_intents(TINY_CSV)
    two = few_shot(rows, 2, seed=0)
    assert Counter(labels_of(two)) == {"card_arrival": 2, "pin_blocked": 2, "exchange_rate": 2}
    assert len(few_shot(rows, 10, seed=0)) == 15  # fewer than K: all of them


def test_data_build_writes_the_splits_the_few_shot_files_and_the_label_set(tmp_path, capsys):
    out = tmp_path / "intent"
    argv = ["data", "build", "--task", "edgeintent", "--source", str(TINY_CSV), "--out", str(out)]
    assert main([*argv, "--shots", "1,2"]) == 0
    printed = capsys.readouterr().out
    assert "train.jsonl (12 rows)" in printed and "test.jsonl (3 rows)" in printed
    names = {p.name for p in out.iterdir()}
    assert names == {
        "train.jsonl",
        "test.jsonl",
        "train_1shot.jsonl",
        "train_2shot.jsonl",
        "labels.json",
        "manifest.json",
    }
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["task"] == "edgeintent" and manifest["labels"]["n"] == 4
    assert manifest["files"]["train_2shot.jsonl"]["per_intent"] == {
        "intents": 3,
        "min": 2,
        "max": 2,
    }
    assert json.loads((out / "labels.json").read_text()) == LABELS
    # The built files are datasets of the row format, read back under the same label set.
    train, schemas = read_intents(out / "train.jsonl")
    assert schemas[INTENT_SCHEMA_ID].schema["properties"]["intent"]["enum"] == LABELS
    assert len(read_rows(out / "test.jsonl")) == 3
    shots = {r.id for r in read_rows(out / "train_2shot.jsonl")}
    assert shots <= {r.id for r in train}
    assert not shots & {r.id for r in read_rows(out / "test.jsonl")}
    # Same seed, same bytes.
    again = tmp_path / "again"
    assert main([*argv[:-1], str(again), "--shots", "1,2"]) == 0
    for name in ("train.jsonl", "test.jsonl", "train_2shot.jsonl"):
        assert (again / name).read_bytes() == (out / name).read_bytes()


@pytest.fixture(scope="module")
def banking77() -> Path:
    if not (SHARED_BANKING77 / "train.csv").is_file():
        pytest.skip("../shared/banking77 not present")
    return SHARED_BANKING77


def test_the_official_banking77_training_file(banking77, tmp_path):
    rows, schemas = read_intents(banking77 / "train.csv")
    assert len(rows) == 10003
    enum = schemas[INTENT_SCHEMA_ID].schema["properties"]["intent"]["enum"]
    assert enum == json.loads((banking77 / "categories.json").read_text()) and len(enum) == 77
    assert (
        main(
            [
                "data",
                "build",
                "--task",
                "edgeintent",
                "--source",
                str(banking77 / "train.csv"),
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    files = manifest["files"]
    assert files["train.jsonl"]["rows"] + files["test.jsonl"]["rows"] == 10003
    assert 1950 <= files["test.jsonl"]["rows"] <= 2050
    assert files["test.jsonl"]["per_intent"]["intents"] == 77
    assert files["train_10shot.jsonl"]["rows"] == 770 and files["train_5shot.jsonl"]["rows"] == 385
