"""`slmbench extract` and `slmbench.Extractor` on a tiny LoRA train run (seconds): JSONL and
plain-text input, standard input, order and ids kept, outputs valid under constraints, error
rows for bad lines, resuming, a specialize folder, a GGUF through llama.cpp, and the API."""

from __future__ import annotations

import io
import json
import shlex
import shutil
import sys
from pathlib import Path

import jsonschema
import pytest
from conftest import CONTACT_SCHEMA, write_tiny_dataset

import slmbench
from slmbench.cli import main
from slmbench.errors import SlmbenchError
from slmbench.extract import Extractor, load_schema_set
from slmbench.extract_documents import Document, parse_line
from slmbench.models.base import Generation

BUDGET = ["--max-new-tokens", "24"]
TRAIN_FLAGS = shlex.split(
    "--recipe paper --prompt-style chat --target-modules all-linear --lora-r 4 "
    "--learning-rate 2e-2 --grad-accum-steps 1 --logging-steps 1 --bf16 false --max-steps 2 "
    "--val-generate-rows 0"
)


@pytest.fixture(scope="module")
def tiny_run(tiny_model_dir, tmp_path_factory) -> tuple[Path, Path]:
    """(a LoRA train run of the tiny Llama, its schema folder: contact and order)."""
    root = tmp_path_factory.mktemp("extract")
    rows = [
        {
            "id": f"c{i}",
            "schema_id": "contact",
            "prompt": f"Name: {name}\nCity: Oslo",
            "expected_output": {"name": name, "city": "Oslo"},
        }
        for i, name in enumerate(["Ada", "Bo", "Cy", "Di"])
    ]
    data = write_tiny_dataset(root / "data", rows)
    run = root / "run"
    argv = ["train", "--model", str(tiny_model_dir), "--data", str(data / "train.jsonl")]
    argv += ["--schemas", str(data / "schemas"), "--out", str(run), *TRAIN_FLAGS]
    assert main(argv) == 0
    assert (run / "adapter" / "adapter_config.json").is_file()
    return run, data / "schemas"


def contact_file(schemas: Path) -> Path:
    return schemas / "simple" / "contact.json"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_train_run_reads_jsonl_and_plain_text_in_order(tiny_run, tmp_path, capsys):
    run, schemas = tiny_run
    lines = [
        json.dumps({"id": "a", "text": "Name: Ada\nCity: Rome"}),
        "Bo lives in Lima.",
        "",
        json.dumps({"text": "Name: Cy", "schema_id": "contact"}),
        json.dumps({"id": "no-text", "body": "Name: Di"}),
        '{"id": "broken", "text": "Name: Ed"',
        json.dumps({"id": "other", "text": "Order 7", "schema_id": "order"}),
        json.dumps({"id": 9, "text": "Name: Flo"}),
    ]
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n")
    out = tmp_path / "out" / "rows.jsonl"
    argv = ["extract", str(run), "--input", str(tmp_path / "in.jsonl"), "--output", str(out)]
    assert main([*argv, "--schema", str(contact_file(schemas)), "--batch-size", "2", *BUDGET]) == 0
    rows = read_jsonl(out)
    assert [r["id"] for r in rows] == ["a", 2, 4, "no-text", 6, "other", 9]
    assert not (tmp_path / "out" / "rows.jsonl.partial").exists()
    good = [r for r in rows if "output" in r]
    assert [r["id"] for r in good] == ["a", 2, 4, 9]
    for row in good:
        assert row["schema_valid"] is True and row["ms"] > 0
        jsonschema.validate(row["output"], CONTACT_SCHEMA)
    errors = {r["id"]: r["error"] for r in rows if "error" in r}
    assert errors["no-text"] == "line 5: the JSON row has no `text`"
    assert errors[6].startswith("line 6: starts as a JSON object but is not valid JSON")
    assert errors["other"] == "unknown schema_id 'order' (known: contact)"
    err = capsys.readouterr().err
    assert "extract: 100%" in err and f"wrote 7 rows to {out}" in err  # a progress bar


def test_standard_input_to_standard_output_with_several_schemas(tiny_run, monkeypatch, capsys):
    run, schemas = tiny_run
    lines = [
        json.dumps({"id": "o", "text": "Order X1: pen, cup", "schema_id": "order"}),
        json.dumps({"id": "c", "text": "Name: Ada", "schema_id": "contact"}),
        "plain text cannot say which schema",
    ]
    stdin = io.TextIOWrapper(io.BytesIO(("\n".join(lines) + "\n").encode()))
    monkeypatch.setattr(sys, "stdin", stdin)
    argv = ["extract", str(run), "--input", "-", "--schema", str(schemas), *BUDGET]
    assert main(argv) == 0
    captured = capsys.readouterr()
    rows = [json.loads(line) for line in captured.out.splitlines()]
    assert [r["id"] for r in rows] == ["o", "c", 3]
    order = json.loads((schemas / "medium" / "order.json").read_text())
    jsonschema.validate(rows[0]["output"], order)
    jsonschema.validate(rows[1]["output"], CONTACT_SCHEMA)
    assert rows[0]["schema_valid"] and rows[1]["schema_valid"]
    assert rows[2]["error"].startswith("this model extracts several schemas (contact, order)")
    assert "extract" not in captured.err  # no progress bar when writing to a pipe


def test_an_interrupted_output_resumes_and_a_foreign_one_is_refused(tiny_run, tmp_path):
    run, schemas = tiny_run
    source = tmp_path / "in.txt"
    source.write_text("".join(f"Name: {n}\n" for n in ["Ada", "Bo", "Cy", "Di"]))
    out = tmp_path / "rows.jsonl"
    argv = ["extract", str(run), "--input", str(source), "--output", str(out), *BUDGET]
    argv += ["--schema", str(contact_file(schemas))]
    assert main(argv) == 0
    full = read_jsonl(out)
    out.unlink()
    partial = tmp_path / "rows.jsonl.partial"
    marked = {**full[1], "output": {"name": "from the first session"}}
    kept = [json.dumps(full[0]), json.dumps(marked)]
    partial.write_text("\n".join(kept) + '\n{"id": 3, "outp')  # torn last line
    assert main(argv) == 0
    resumed = read_jsonl(out)
    assert [r["id"] for r in resumed] == [1, 2, 3, 4]
    assert resumed[1]["output"] == {"name": "from the first session"}  # not redone
    assert [r["output"] for r in resumed[2:]] == [r["output"] for r in full[2:]]  # greedy

    foreign = json.dumps({**full[0], "id": "elsewhere"}) + "\n"
    partial.write_text(foreign)
    assert main(argv) == 2
    assert partial.read_text() == foreign


def test_the_python_api(tiny_run):
    run, schemas = tiny_run
    assert slmbench.Extractor is Extractor
    extractor = Extractor.load(run, schema=contact_file(schemas), max_new_tokens=24)
    assert extractor.prompt_style == "chat"  # the train recipe's
    assert extractor.schema_ids == ["contact"]
    one = extractor.extract("Name: Ada\nCity: Rome")
    jsonschema.validate(one, CONTACT_SCHEMA)
    many = extractor.extract_many(["Name: Ada\nCity: Rome", "Name: Bo"], batch_size=1)
    assert many[0] == one and len(many) == 2
    with pytest.raises(SlmbenchError, match="unknown schema_id 'nope'"):
        extractor.extract("x", schema_id="nope")
    with pytest.raises(SlmbenchError, match="give the schemas it extracts"):
        Extractor.load(run)


class Answers:
    """A backend answering each request with the next of `texts`."""

    tokenizer = None

    def __init__(self, *texts: str):
        self.texts = list(texts)

    def generate(self, requests):
        return [Generation(self.texts.pop(0), 5, 3, 0.001, 0.002, False) for _ in requests]


def test_outputs_that_are_not_json_or_not_valid(tmp_path):
    path = tmp_path / "contact.json"
    path.write_text(json.dumps(CONTACT_SCHEMA))
    schemas = load_schema_set(path)
    backend = Answers('{"name": "Ada"}', "no json here", '{"city": "Oslo"}')
    extractor = Extractor(backend, schemas, "chat", constrained=False)
    with pytest.raises(SlmbenchError, match="text 1: the model's output is not JSON"):
        extractor.extract_many(["a", "b"])
    (record,) = extractor.records([Document("x", "c")])
    assert record == {"id": "x", "output": {"city": "Oslo"}, "schema_valid": False, "ms": 2.0}
    with pytest.raises(SlmbenchError, match="not JSON"):
        Extractor(Answers("{"), schemas, "chat").extract("d")


def test_bad_input_lines():
    assert parse_line(b"   \n", 1) is None
    assert parse_line(b"\xff\xfe text", 2).error == "line 2: not UTF-8 text (byte 0)"
    assert parse_line(b'{"id": 1, "text": ""}', 3).error.endswith("not a non-empty string")
    assert parse_line(b'["a list", "is text"]', 4).text == '["a list", "is text"]'


def test_a_specialize_folder(tiny_run, tmp_path):
    run, schemas = tiny_run
    folder = tmp_path / "spec"
    shutil.copytree(run, folder / "train")
    (folder / "schemas").mkdir()
    shutil.copy(contact_file(schemas), folder / "schemas" / "contact.json")
    spec = {
        "schema_version": 1,
        "kind": "specialize",
        "prompt_style": "chat-schema",
        "schemas": {"contact": "schemas/contact.json"},
        "train_run": "train",
        "gguf": None,
        "status": "running",
    }
    (folder / "specialize.json").write_text(json.dumps(spec))
    extractor = Extractor.load(folder, max_new_tokens=24)
    assert extractor.prompt_style == "chat-schema" and extractor.schema_ids == ["contact"]
    assert extractor.backend.adapter_dir == folder / "train" / "adapter"
    jsonschema.validate(extractor.extract("Name: Ada"), CONTACT_SCHEMA)
    with pytest.raises(SlmbenchError, match="no GGUF yet"):
        Extractor.load(folder, backend="llamacpp")
    (tmp_path / "model.gguf").write_bytes(b"GGUF")
    with pytest.raises(SlmbenchError, match="run it with --backend llamacpp"):
        Extractor.load(tmp_path / "model.gguf", backend="transformers")


def test_a_gguf_of_slmbench_export_through_llama_cpp(tiny_run, tmp_path, tiny_gguf_export):
    pytest.importorskip("llama_cpp")
    run, _ = tiny_run
    gguf = tmp_path / "tiny.gguf"
    assert main(["export", str(run), "--quant", "f32", "--out", str(gguf)]) == 0
    # Bounded strings: llama.cpp has no closing mode, and a random model fills an unbounded
    # string up to the token budget (such a row would be an error row).
    bounded = {"type": "string", "maxLength": 8}
    schema = {**CONTACT_SCHEMA, "properties": {"name": bounded, "city": bounded}}
    (tmp_path / "contact.json").write_text(json.dumps(schema))
    extractor = Extractor.load(gguf, schema=tmp_path / "contact.json", threads=1)
    assert extractor.backend.name == "llamacpp"
    assert extractor.prompt_style == "chat"  # the recipe stored in the GGUF
    records = extractor.records([Document(i, f"Name: {n}") for i, n in enumerate("ABCD")])
    assert [r["id"] for r in records] == [0, 1, 2, 3]
    for record in records:
        assert record["schema_valid"] is True and record["ms"] > 0
        jsonschema.validate(record["output"], schema)
