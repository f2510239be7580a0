"""The llamacpp backend's batched decoding (`slmbench.models.llamacpp_batch`): the same tokens as
the single-sequence path and at every batch size, llguidance constraints with closing mode per
sequence, and `--adapter` runs converted to GGUF once. The tiny exported Llama in the fast tier,
the embedded SmolLM2-135M in the slow one (skipped where llama-cpp-python is not installed)."""

from __future__ import annotations

import json

import jsonschema
import pytest

from slmbench.errors import SlmbenchError
from slmbench.models.base import GenerationRequest

pytest.importorskip("llama_cpp")

from slmbench.models.llamacpp_backend import LlamaCppBackend  # noqa: E402

CONTACT = {
    "title": "Contact",
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "email": {"type": "string", "format": "email"},
        "vip": {"type": "boolean"},
    },
    "required": ["name", "email"],
}
ORDER = {
    "title": "Order",
    "type": "object",
    "properties": {
        "order_id": {"type": "string"},
        "items": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}},
                "required": ["sku", "qty"],
            },
        },
    },
    "required": ["order_id", "items"],
}
UNSUPPORTED = {
    "title": "Odd",
    "type": "object",
    "properties": {"code": {"$ref": "#/definitions/missing"}},
}
PROMPTS = [
    "Extract: Ada Lovelace, ada@example.org",
    "Order 7 placed today: 2 x A-1",
    "Sensor t1 reads 21.5",
    "Invoice 4411 from Acme Corp, total 129.50 EUR, due 2024-03-01.",
    "hi",
    'Name: Zoë Ängström; tags: "a", "b"; id 7',
]
OUTCOME = ("text", "generated_tokens", "prompt_tokens", "hit_limit", "meta")


def outcome(generation) -> tuple:
    return tuple(getattr(generation, key) for key in OUTCOME)


def validator(schema: dict) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )


@pytest.fixture(scope="module")
def free(tiny_gguf):
    return LlamaCppBackend(str(tiny_gguf), threads=1)


@pytest.fixture(scope="module")
def strict(tiny_gguf):
    return LlamaCppBackend(str(tiny_gguf), threads=1, constrained="strict")


# --- unconstrained: the single-sequence path's tokens, at every batch size -------------------


def test_batches_give_the_single_sequence_tokens(free):
    # Budgets that differ make rows stop at different steps: stopped rows' KV streams are
    # reused (the last live sequence moves into their slot) while the others go on.
    requests = [
        GenerationRequest(p, max_new_tokens=n, stop_at_json=False)
        for p, n in zip(PROMPTS, (9, 3, 14, 1, 6, 11), strict=True)
    ]
    single = [outcome(free._generate_one(r)) for r in requests]  # llm.generate, one by one
    one_by_one = [outcome(g) for r in requests for g in free.generate([r])]
    batched = [outcome(g) for g in free.generate(requests)]
    reordered = [outcome(g) for g in free.generate(requests[::-1])][::-1]
    assert one_by_one == single
    assert batched == single
    assert reordered == single
    assert [g[1] for g in single] == [9, 3, 14, 1, 6, 11]
    assert all(meta == {"constrained": "off", "stop": "limit"} for *_, meta in single)


def test_batch_size_splits_a_call_without_changing_outputs(tiny_gguf, free):
    requests = [GenerationRequest(p, max_new_tokens=5, stop_at_json=False) for p in PROMPTS]
    split = LlamaCppBackend(str(tiny_gguf), threads=1, batch_size=4)
    assert [outcome(g) for g in split.generate(requests)] == [
        outcome(g) for g in free.generate(requests)
    ]
    first, *rest = split.generate(requests[:1])
    assert rest == [] and 0 < first.ttft_s <= first.total_s


def test_prompt_longer_than_context_and_zero_budget_are_clear_errors(tiny_gguf):
    backend = LlamaCppBackend(str(tiny_gguf), threads=1, n_ctx=64)
    with pytest.raises(SlmbenchError, match="does not fit the context"):
        backend.generate([GenerationRequest("word " * 200, max_new_tokens=4)])
    with pytest.raises(SlmbenchError, match="at least 1"):
        backend.generate([GenerationRequest("x", max_new_tokens=0)])
    with pytest.raises(SlmbenchError, match="unknown grammar engine 'gbnf'"):
        LlamaCppBackend(str(tiny_gguf), grammar_engine="gbnf")


# --- constrained: llguidance per sequence, closing mode -------------------------------------


def test_constrained_rows_always_validate_and_close_at_their_budget(strict):
    schemas = [CONTACT, ORDER, CONTACT, ORDER]
    # Budgets far below what a random model writes into unbounded strings: closing mode must
    # end every row, within its closing tokens, in schema-valid JSON.
    requests = [
        GenerationRequest(p, max_new_tokens=n, schema=s)
        for p, n, s in zip(PROMPTS[:4], (6, 10, 3, 16), schemas, strict=True)
    ]
    batched = strict.generate(requests)
    for request, generation, schema in zip(requests, batched, schemas, strict=True):
        assert generation.meta["constrained"] == "on"
        parsed = json.loads(generation.text)
        assert list(validator(schema).iter_errors(parsed)) == [], generation.text
        if generation.meta["stop"] == "closed":
            assert request.max_new_tokens < generation.generated_tokens
            assert generation.hit_limit
        assert (
            generation.generated_tokens <= request.max_new_tokens + strict.info()["closing_tokens"]
        )
    assert "closed" in {g.meta["stop"] for g in batched}
    one_by_one = [outcome(g) for r in requests for g in strict.generate([r])]
    assert [outcome(g) for g in batched] == one_by_one


def test_constrained_tokens_are_the_transformers_backends(tiny_model_dir, strict):
    """Same weights (f32), same grammar and closing mode: the same tokens as transformers."""
    from slmbench.models.hf_backend import TransformersBackend

    hf = TransformersBackend(str(tiny_model_dir), threads=1, constrained="strict")
    requests = [
        GenerationRequest(p, max_new_tokens=n, schema=s)
        for p, n, s in zip(PROMPTS[:3], (8, 12, 4), (CONTACT, ORDER, CONTACT), strict=True)
    ]
    ours, theirs = strict.generate(requests), hf.generate(requests)
    assert [(g.text, g.generated_tokens, g.meta) for g in ours] == [
        (g.text, g.generated_tokens, g.meta) for g in theirs
    ]


def test_lenient_falls_back_per_row_strict_names_the_schema(tiny_gguf, strict):
    lenient = LlamaCppBackend(str(tiny_gguf), threads=1, constrained="lenient")
    requests = [
        GenerationRequest(PROMPTS[0], 6, schema=UNSUPPORTED),
        GenerationRequest(PROMPTS[1], 6, schema=None),
        GenerationRequest(PROMPTS[2], 6, schema=CONTACT),
    ]
    fallback, off, on = lenient.generate(requests)
    assert [g.meta["constrained"] for g in (fallback, off, on)] == ["fallback", "off", "on"]
    assert list(validator(CONTACT).iter_errors(json.loads(on.text))) == []
    with pytest.raises(SlmbenchError, match="'Odd'"):
        strict.generate(requests)


def test_llama_cpp_grammar_engine_keeps_the_gbnf_sampler(tiny_gguf):
    gbnf = LlamaCppBackend(
        str(tiny_gguf), threads=1, constrained="strict", grammar_engine="llama.cpp"
    )
    (generation,) = gbnf.generate([GenerationRequest(PROMPTS[0], 4, schema=CONTACT)])
    assert generation.meta["constrained"] == "on" and generation.text.lstrip().startswith("{")
    assert gbnf.info()["grammar_engine"] == "llama.cpp"
    assert gbnf.info()["closing_tokens"] is None


# --- eval: batch sizes, --adapter ----------------------------------------------------------


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    from slmbench.data.generate import build_dataset

    out = tmp_path_factory.mktemp("data")
    build_dataset(out, seed=0, n_train=40, n_test=40)
    return out / "test.jsonl"


def evaluate(out, data, **options) -> tuple[dict, dict[str, dict]]:
    from slmbench.eval.api import EvalOptions
    from slmbench.eval.runner import run_eval

    results = run_eval(
        EvalOptions(data=str(data), out=str(out), progress=False, backend="llamacpp", **options),
        echo=lambda _: None,
    )
    lines = (out / "predictions.jsonl").read_text().splitlines()
    return results, {p["id"]: p for p in map(json.loads, lines)}


TIMINGS = ("ttft_ms", "total_ms", "decode_tok_s", "wall_ms_share")


def untimed(predictions: dict[str, dict]) -> dict[str, dict]:
    return {i: {k: v for k, v in p.items() if k not in TIMINGS} for i, p in predictions.items()}


@pytest.mark.parametrize("constrained", [None, "strict"])
def test_eval_predicts_the_same_at_batch_1_and_8(tiny_gguf, data_file, tmp_path, constrained):
    common = dict(model=str(tiny_gguf), limit=6, max_new_tokens=24, threads=1)
    common["constrained"] = constrained
    results, one = evaluate(tmp_path / "b1", data_file, batch_size=1, **common)
    _, eight = evaluate(tmp_path / "b8", data_file, batch_size=8, **common)
    assert untimed(one) == untimed(eight) and len(one) == 6
    if constrained:
        assert all(p["schema_valid"] == 1 for p in one.values())
        assert results["model"]["backend_info"]["grammar_engine"] == "llguidance"
        config = json.loads((tmp_path / "b1" / "run_config.json").read_text())
        assert config["grammar_engine"] == "llguidance"


@pytest.fixture(scope="module")
def lora_run(tiny_model_dir, tmp_path_factory):
    """A fake `slmbench train` run: a random (non-zero) LoRA adapter on the tiny Llama."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(1)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    config = LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", init_lora_weights=False)
    run = tmp_path_factory.mktemp("lora-run")
    get_peft_model(model, config).save_pretrained(run / "adapter")
    AutoTokenizer.from_pretrained(tiny_model_dir).save_pretrained(run)
    recipe = {"base_model": str(tiny_model_dir), "prompt_style": "chat-schema", "method": "lora"}
    (run / "recipe.json").write_text(json.dumps(recipe))
    return run


def test_eval_adapter_is_converted_once_and_runs_like_its_export(
    lora_run, data_file, tmp_path, tiny_gguf_export, monkeypatch
):
    from slmbench.deploy.export import export_gguf
    from slmbench.models import adapter_gguf, gguf_writer

    monkeypatch.setenv("SLMBENCH_CACHE", str(tmp_path / "cache"))
    common = dict(limit=3, max_new_tokens=16, threads=1, constrained="strict")
    results, by_adapter = evaluate(tmp_path / "a", data_file, adapter=str(lora_run), **common)
    (cached,) = (tmp_path / "cache" / adapter_gguf.CACHE_FOLDER).glob("*/model-q8_0.gguf")
    assert results["config"]["adapter"] == str(lora_run / "adapter")
    assert results["config"]["prompt_style"] == "chat-schema"  # from the recipe
    assert results["model"]["backend_info"]["path"] == str(cached)
    assert not (lora_run / "gguf").exists()  # nothing written into the run

    def refuse(*args, **kwargs):
        raise AssertionError("converted again")

    monkeypatch.setattr(gguf_writer, "write_run_gguf", refuse)
    # Its adapter folder, one row at a time: the same file, the same outputs (Q8_0 weights:
    # llama.cpp's one-row and many-row products agree to the bit).
    again_options = dict(adapter=str(lora_run / "adapter"), batch_size=1, **common)
    _, again = evaluate(tmp_path / "b", data_file, **again_options)
    assert untimed(again) == untimed(by_adapter)
    monkeypatch.undo()

    exported = export_gguf(lora_run, tmp_path / "export" / "model-q8_0.gguf", progress=False)
    _, by_export = evaluate(tmp_path / "c", data_file, model=str(exported.path), **common)
    assert untimed(by_export) == untimed(by_adapter)


def test_adapter_on_another_base_model_is_refused(lora_run, tmp_path, monkeypatch):
    monkeypatch.setenv("SLMBENCH_CACHE", str(tmp_path / "cache"))
    with pytest.raises(SlmbenchError, match="was trained on"):
        LlamaCppBackend("smollm2-135m-instruct", lora_run)


# --- the embedded model (slow tier) ---------------------------------------------------------


@pytest.mark.slow
def test_embedded_gguf_batched_equals_single_and_constrained_rows_validate(data_file):
    from slmbench.data.rows import read_rows
    from slmbench.data.schemas import load_schemas
    from slmbench.eval.runner import build_examples

    backend = LlamaCppBackend("smollm2-135m-instruct", threads=1, constrained="strict")
    schemas = load_schemas(None)
    rows = read_rows(data_file, schemas)[:4]
    examples = build_examples(rows, schemas, "chat", backend.tokenizer, 32)
    free = [GenerationRequest(ex.prompt, ex.max_new_tokens) for ex in examples]
    backend.constrained = None  # the single-sequence path without its grammar: llm.generate
    single = [outcome(backend._generate_one(r)) for r in free]
    assert [outcome(g) for g in backend.generate(free)] == single

    backend.constrained = "strict"
    constrained = [
        GenerationRequest(ex.prompt, ex.max_new_tokens, schema=ex.schema.schema) for ex in examples
    ]
    batched = backend.generate(constrained)
    for ex, generation in zip(examples, batched, strict=True):
        assert generation.meta["constrained"] == "on"
        errors = ex.schema.validator().iter_errors(json.loads(generation.text))
        assert list(errors) == [], (ex.row.id, generation.text)
    assert [outcome(g) for g in batched] == [
        outcome(g) for r in constrained for g in backend.generate([r])
    ]
