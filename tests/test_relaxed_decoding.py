"""Constrained decoding of schemas whose grammar only compiles relaxed (`not`, `uniqueItems`, a
look-around `pattern`): they decode in strict mode, their relaxations are reported with JSON
pointers by the processor and in results.json, outputs are scored against the FULL schema, and
a schema that compiles as it is keeps exactly its own grammar."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from slmbench.constrain.grammar import compile_schema, grammar_text
from slmbench.constrain.schema_check import check_file, grammar_schema
from slmbench.errors import SlmbenchError
from slmbench.eval.runner import EvalOptions, run_eval
from slmbench.models.base import Generation
from slmbench.prompts import format_answer

SIGNUP = {
    "title": "Signup",
    "type": "object",
    "properties": {
        "username": {"type": "string", "pattern": "^(?!admin$)[a-z]{2,12}$"},
        "tags": {
            "type": "array",
            "items": {"type": "string", "enum": ["new", "beta", "vip"]},
            "uniqueItems": True,
        },
        "status": {
            "type": "string",
            "enum": ["new", "active", "banned"],
            "not": {"const": "banned"},
        },
    },
    "required": ["username", "tags", "status"],
}
RELAXED = [
    ("/properties/username/pattern", "pattern", "dropped"),
    ("/properties/tags/uniqueItems", "uniqueItems", "dropped"),
    ("/properties/status/not", "not", "dropped"),
]
BOUNDS = {"max_items": 2, "max_string_chars": 6}


def listed(relaxations) -> list[tuple[str, str, str]]:
    return [(r.pointer, r.keyword, r.action) for r in relaxations]


def full_validator(schema: dict) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )


# --- the grammar -----------------------------------------------------------------------------


def test_packaged_schemas_keep_exactly_their_own_grammar(tokenizer):
    """Before relaxing existed, `compile_schema` compiled `grammar_text(schema)`: every
    packaged EdgeJSON schema must still get that very grammar, with nothing relaxed."""
    from slmbench.data.schemas import load_schemas

    try:
        schemas = load_schemas()
    except SlmbenchError:
        pytest.skip("no packaged schemas yet")
    for schema_id, info in schemas.items():
        assert grammar_schema(info.schema) == (info.schema, []), schema_id
        compiled = compile_schema(info.schema, tokenizer)
        assert compiled.grammar == grammar_text(info.schema), schema_id
        assert compiled.relaxations == (), schema_id


def test_a_relaxed_schema_compiles_with_its_relaxations(tokenizer):
    relaxed, done = grammar_schema(SIGNUP)
    assert listed(done) == RELAXED
    compiled = compile_schema(SIGNUP, tokenizer)
    assert listed(compiled.relaxations) == RELAXED
    assert compiled.grammar == grammar_text(relaxed) != grammar_text(SIGNUP)
    assert "not" in SIGNUP["properties"]["status"]  # the caller's schema is left as it was


def test_schema_check_reports_what_decoding_relaxes(tmp_path, tokenizer):
    path = tmp_path / "signup.json"
    path.write_text(json.dumps(SIGNUP))
    verdict = check_file(path)
    assert verdict.status == "relaxed"
    assert listed(verdict.relaxations) == listed(compile_schema(SIGNUP, tokenizer).relaxations)


# --- the processor on the tiny random model --------------------------------------------------


@pytest.fixture(scope="module")
def tiny(tiny_model_dir):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir, padding_side="left")
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32).eval()
    return model, tokenizer


def test_relaxed_schema_decodes_in_strict_mode(tiny):
    from slmbench.constrain.processor import SchemaLogitsProcessor

    model, tokenizer = tiny
    prompts = ["Sign up ada, tags beta", "New user bob"]
    batch = tokenizer(prompts, return_tensors="pt", padding=True)
    processor = SchemaLogitsProcessor(tokenizer, [SIGNUP, None], lenient=False, **BOUNDS)
    assert processor.status == ["on", "off"] and processor.errors == [None, None]
    assert listed(processor.relaxations[0]) == RELAXED and processor.relaxations[1] == ()
    out = model.generate(
        **batch,
        logits_processor=[processor],
        max_new_tokens=120,
        do_sample=False,
        pad_token_id=tokenizer.pad_token_id,
    )
    text = tokenizer.decode(out[0, batch["input_ids"].shape[1] :], skip_special_tokens=True)
    parsed = json.loads(text)
    relaxed = grammar_schema(SIGNUP)[0]
    assert list(full_validator(relaxed).iter_errors(parsed)) == []
    assert processor.status == ["on", "off"]


# --- the eval runner: relaxations in results.json, scores against the full schema ------------

TAGGED_GOLD = {"username": "ada", "tags": ["beta"], "status": "new"}


def write_run_inputs(root: Path, n: int) -> tuple[Path, Path]:
    schemas = root / "schemas"
    (schemas / "simple").mkdir(parents=True)
    (schemas / "simple" / "signup.json").write_text(json.dumps(SIGNUP))
    data = root / "data.jsonl"
    rows = [
        {"id": f"r{i}", "schema_id": "signup", "prompt": f"Row {i}: ada", "expected_output": gold}
        for i, gold in enumerate([TAGGED_GOLD] * n)
    ]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return data, schemas


class DuplicatingBackend:
    """Row 0 answers the gold; row 1 repeats a tag, which only `uniqueItems` forbids."""

    name = "fake"
    tokenizer = None

    def __init__(self, status: str = "on"):
        self.status = status

    def generate(self, requests):
        out = []
        for r in requests:
            row = int(r.prompt.split("Row ", 1)[1].split(":", 1)[0])
            gold = {**TAGGED_GOLD, "tags": ["beta", "beta"]} if row == 1 else TAGGED_GOLD
            meta = {"constrained": self.status} if r.schema is not None else {}
            out.append(Generation(format_answer(gold), 5, 10, 0.01, 0.02, False, meta))
        return out


def evaluate(tmp_path: Path, fake, out: str, **options) -> dict:
    data, schemas = write_run_inputs(tmp_path, 2)
    opts = EvalOptions(
        data=str(data),
        out=str(tmp_path / out),
        model="fake",
        schemas=str(schemas),
        progress=False,
        **options,
    )
    return run_eval(opts, backend_factory=lambda *_: fake, echo=lambda _: None)


def test_results_list_relaxations_and_score_the_full_schema(tmp_path):
    from slmbench import results_contract as contract

    results = evaluate(tmp_path, DuplicatingBackend(), "strict", constrained="strict")
    assert results["grammar_relaxations"] == {
        "signup": [{"pointer": p, "keyword": k, "action": a} for p, k, a in RELAXED]
    }
    assert results["metrics"]["overall"]["schema_valid"]["value"] == 0.5  # the duplicate fails
    saved = json.loads((tmp_path / "strict" / "results.json").read_text())
    assert contract.problems(saved) == [] and saved["grammar_relaxations"].keys() == {"signup"}


def test_no_relaxations_without_the_grammar(tmp_path):
    unconstrained = evaluate(tmp_path, DuplicatingBackend(), "off")
    assert unconstrained["grammar_relaxations"] == {}
    fallback = evaluate(tmp_path / "b", DuplicatingBackend("fallback"), "b", constrained="lenient")
    assert fallback["grammar_relaxations"] == {}
    # The llamacpp backend decodes under llguidance too, unless told to use llama.cpp's grammar.
    gbnf = dict(constrained="strict", backend="llamacpp", grammar_engine="llama.cpp")
    llamacpp = evaluate(tmp_path / "c", DuplicatingBackend(), "c", **gbnf)
    assert llamacpp["grammar_relaxations"] == {}
    llguidance = evaluate(
        tmp_path / "d", DuplicatingBackend(), "d", constrained="strict", backend="llamacpp"
    )
    assert llguidance["grammar_relaxations"].keys() == {"signup"}


def test_tiny_model_eval_decodes_a_relaxed_schema_in_strict_mode(tiny_model_dir, tmp_path):
    pytest.importorskip("slmbench.models.hf_backend")
    from slmbench.eval.runner import _load_backend

    data, schemas = write_run_inputs(tmp_path, 2)
    opts = EvalOptions(
        data=str(data),
        out=str(tmp_path / "run"),
        model=str(tiny_model_dir),
        schemas=str(schemas),
        constrained="strict",
        batch_size=2,
        max_new_tokens=24,
        threads=1,
        progress=False,
    )
    results = run_eval(opts, backend_factory=_load_backend, echo=lambda _: None)
    assert results["constrained_status"] == {"on": 2}
    assert [r["pointer"] for r in results["grammar_relaxations"]["signup"]] == [
        p for p, _, _ in RELAXED
    ]
    assert results["metrics"]["overall"]["valid_json"]["value"] == 1.0
