"""The teacher (`slmbench.teacher`): unlabelled texts labelled under their schema, the labels that
validate and are found in their texts kept as examples, every other line reported with why,
resumed from its log; then, against a real OpenAI-compatible server that the test starts
(llama-cpp-python's, serving the tiny random Llama exported to GGUF), `slmbench data synth
--texts --teacher-url` and `slmbench specialize --texts --teacher-url` end to end."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest

from slmbench.cli import main
from slmbench.data.synth import SynthOptions, synth
from slmbench.data.synth.build import load_docs
from slmbench.errors import SlmbenchError
from slmbench.teacher import Teacher, label_texts

TICKET = {
    "type": "object",
    "properties": {
        "ticket_id": {"type": "string"},
        "status": {"enum": ["open", "closed"]},
        "priority": {"type": "integer", "minimum": 1, "maximum": 3},
    },
    "required": ["ticket_id", "status"],
}
TEXTS = [
    "Ticket T-100 is open, priority 2.",
    "Ticket T-200 was closed yesterday.",
    json.dumps({"id": "r3", "text": "Ticket T-300 is open."}),
    "Ticket T-400: closed.",
    "Nothing to see here.",
    '{"text": "a broken row"',
    "",
    json.dumps({"text": "Ticket T-700, open", "schema_id": "invoice"}),
]
ANSWERS = {
    TEXTS[0]: '{"ticket_id": "T-100", "status": "open", "priority": 2}',
    TEXTS[1]: '{"ticket_id": "T-200", "status": "closed"}',
    "Ticket T-300 is open.": '{"ticket_id": "T-300", "status": "pending"}',
    TEXTS[3]: "Sorry, I cannot help with that.",
    TEXTS[4]: '{"ticket_id": "X-1", "status": "open"}',
}


class FakeTeacher:
    """A backend that answers from `ANSWERS` and records what it was asked."""

    def __init__(self):
        self.requests = []

    def generate(self, requests):
        self.requests += requests
        return [
            SimpleNamespace(text=ANSWERS[r.messages[-1]["content"]], hit_limit=False)
            for r in requests
        ]


class NoTeacher:
    def generate(self, requests):
        raise AssertionError(f"asked again: {[r.messages[-1]['content'] for r in requests]}")


@pytest.fixture
def inputs(tmp_path) -> tuple[Path, Path, dict]:
    schema = tmp_path / "ticket.json"
    schema.write_text(json.dumps(TICKET))
    texts = tmp_path / "texts.jsonl"
    texts.write_text("\n".join(TEXTS) + "\n")
    return schema, texts, load_docs(schema)


def test_labels_that_validate_and_are_in_their_texts_are_kept_the_rest_reported(inputs, tmp_path):
    _, texts, docs = inputs
    backend = FakeTeacher()
    report = label_texts(texts, docs, Teacher("http://unused"), tmp_path / "t", backend)
    assert (report.texts, report.kept) == (7, 2)
    labels = [json.loads(line) for line in report.labels.read_text().splitlines()]
    assert labels == [
        {"id": "text-1", "schema_id": "ticket", "text": TEXTS[0],
         "output": {"ticket_id": "T-100", "status": "open", "priority": 2}},
        {"id": "text-2", "schema_id": "ticket", "text": TEXTS[1],
         "output": {"ticket_id": "T-200", "status": "closed"}},
    ]  # fmt: skip
    reasons = {r["line"]: r["reason"] for r in report.rejected}
    assert sorted(reasons) == [3, 4, 5, 6, 8]
    assert reasons[3].startswith("does not match the schema at /status: 'pending'")
    assert reasons[4] == "not one JSON object"
    assert reasons[5] == "none of its values is in the text"
    assert "not valid JSON" in reasons[6]
    assert reasons[8].startswith("unknown schema_id 'invoice'")
    assert {r["id"] for r in report.rejected if r["line"] == 3} == {"r3"}
    # The teacher was asked under the full schema, shown it, and only for the 5 usable texts.
    assert len(backend.requests) == 5
    request = backend.requests[0]
    assert request.schema == TICKET and '"ticket_id"' in request.messages[0]["content"]
    assert report.lines(texts)[1] == f"  {texts}:3: {reasons[3]}"


def test_a_rerun_asks_only_for_new_texts(inputs, tmp_path):
    _, texts, docs = inputs
    folder = tmp_path / "t"
    label_texts(texts, docs, Teacher("http://unused"), folder, FakeTeacher())
    again = label_texts(texts, docs, Teacher("http://unused"), folder, NoTeacher())
    assert again.kept == 2 and len(again.rejected) == 5
    extra = "Ticket T-900 is closed, priority 3."
    ANSWERS[extra] = '{"ticket_id": "T-900", "status": "closed", "priority": 3}'
    texts.write_text(texts.read_text() + extra + "\n")
    backend = FakeTeacher()
    third = label_texts(texts, docs, Teacher("http://unused"), folder, backend)
    assert [r.messages[-1]["content"] for r in backend.requests] == [extra]
    assert third.kept == 3


def test_the_kept_labels_are_examples_for_the_data_engine(inputs, tmp_path):
    schema, texts, docs = inputs
    report = label_texts(texts, docs, Teacher("http://unused"), tmp_path / "t", FakeTeacher())
    out = synth(SynthOptions(schema=schema, examples=report.labels, out=tmp_path / "d", n=20))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["examples"]["ticket"]["examples"] == 2
    assert manifest["rows"]["template_rows"] > 0


def test_bad_teacher_inputs_are_one_line_errors(inputs, tmp_path, capsys):
    schema, texts, _ = inputs
    base = ["data", "synth", "--schema", str(schema), "--out", str(tmp_path / "o")]
    for extra, message in (
        (["--texts", str(texts)], "--texts needs --teacher-url"),
        (["--teacher-url", "http://127.0.0.1:9"], "--teacher-url needs --texts"),
        (["--texts", str(tmp_path / "nope"), "--teacher-url", "http://x"], "texts file not found"),
        (["--texts", str(texts), "--teacher-url", "http://127.0.0.1:9"], "cannot reach"),
    ):
        assert main(base + extra) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1, err
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    with pytest.raises(SlmbenchError, match="texts file is empty"):
        label_texts(empty, {}, Teacher("http://unused"), tmp_path / "t", NoTeacher())


# --- a real server ---------------------------------------------------------------------------

SERVER_MODULES = ("llama_cpp", "fastapi", "uvicorn", "sse_starlette", "starlette_context")
# Any answer the grammar allows validates and is found in these texts: enums only, each of whose
# values every text names (the tiny model's weights are random).
SERVED_SCHEMA = {
    "type": "object",
    "properties": {
        "status": {"enum": ["open", "closed"]},
        "priority": {"enum": [1, 2, 3]},
        "urgent": {"type": "boolean"},
    },
    "required": ["status", "priority", "urgent"],
    "additionalProperties": False,
}
SERVED_TEXTS = [
    f"Ticket {n}: status open or closed, priority 1, 2 or 3; urgent: yes / no." for n in range(6)
] + ["Lunch is at noon.", '{"text": "torn']


@pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in SERVER_MODULES),
    reason="llama-cpp-python[server] not installed (scripts/install.sh installs it)",
)
def test_a_real_server_labels_texts_for_synth_and_specialize(
    tiny_model_dir, tiny_gguf_export, tmp_path
):
    from test_openai_real_server import ALIAS, llama_cpp_server
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from slmbench.deploy.export import write_gguf
    from slmbench.models.gguf_files import tokenizer_dir_for

    gguf = tmp_path / "tiny.gguf"
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    tokenizer.save_pretrained(tokenizer_dir_for(gguf))
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    write_gguf(model, tokenizer, tokenizer_dir_for(gguf), gguf, "f32", progress=False)
    schema = tmp_path / "ticket.json"
    schema.write_text(json.dumps(SERVED_SCHEMA))
    texts = tmp_path / "texts.txt"
    texts.write_text("\n".join(SERVED_TEXTS) + "\n")
    with llama_cpp_server(gguf, tmp_path / "server.log") as url:
        out = tmp_path / "synth"
        argv = ["data", "synth", "--schema", str(schema), "--texts", str(texts)]
        argv += ["--teacher-url", url, "--n", "12", "--n-test", "2", "--out", str(out)]
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            assert main(argv) == 0
        labels = [
            json.loads(x) for x in (out / "teacher" / "labels.jsonl").read_text().split("\n") if x
        ]
        assert len(labels) == 6  # every ticket text: the grammar allows only valid answers
        for label in labels:
            jsonschema.validate(label["output"], SERVED_SCHEMA)
            assert label["text"] in SERVED_TEXTS[:6]
        log = [json.loads(x) for x in (out / "teacher" / "log.jsonl").read_text().splitlines()]
        assert [e["line"] for e in log] == list(range(1, 9))
        assert log[7]["status"] == "rejected" and "not valid JSON" in log[7]["reason"]
        assert f"{texts}:8: " in printed.getvalue()
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["examples"]["ticket"]["examples"] == len(labels)
        assert manifest["rows"]["template_rows"] > 0
        assert manifest["settings"]["examples"]["path"] == str(out / "teacher" / "examples.jsonl")

        spec_out = tmp_path / "spec"
        argv = ["specialize", "--schema", str(schema), "--texts", str(texts), "--teacher-url", url]
        argv += ["--teacher-model", ALIAS, "--model", str(tiny_model_dir), "--out", str(spec_out)]
        argv += ["--n", "8", "--epochs", "1", "--n-test", "2"]
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(argv) == 0
    spec = json.loads((spec_out / "specialize.json").read_text())
    assert list(spec["steps"])[:3] == ["schemas", "teacher", "plan"]
    assert spec["steps"]["teacher"]["kept"] == len(labels) and spec["status"] == "complete"
    manifest = json.loads((spec_out / "data" / "manifest.json").read_text())
    assert manifest["settings"]["examples"]["path"] == str(spec_out / "teacher" / "examples.jsonl")
    assert manifest["rows"]["template_rows"] > 0
