"""The llama.cpp backend: GGUF checks, schema grammars, and generation on the tiny and the
embedded model (skipped where llama-cpp-python is not installed)."""

from __future__ import annotations

import json
import sys

import pytest

from slmbench.constrain.llama_grammar import FORMAT_PATTERNS, grammar_schema
from slmbench.errors import SlmbenchError
from slmbench.models.base import GenerationRequest
from slmbench.models.gguf_files import check_gguf_causal_lm
from slmbench.models.llamacpp_backend import LlamaCppBackend

NAME_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}


def write_gguf_stub(path, arch: str, kind: str = "model") -> None:
    import numpy as np
    from gguf import GGUFWriter

    writer = GGUFWriter(path, arch)
    writer.add_type(kind)
    writer.add_tensor("token_embd.weight", np.zeros((4, 8), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


# --- no llama.cpp needed --------------------------------------------------------------------


def test_grammar_schema_bounds_nested_arrays_without_touching_input():
    schema = {
        "type": "object",
        "properties": {
            "rows": {"type": ["array", "null"], "items": {"type": "array", "items": {}}},
            "when": {"type": "string", "format": "date-time"},
            "day": {"type": "string", "format": "date"},
            "kind": {"enum": [{"type": "array"}]},
        },
    }
    before = json.dumps(schema)
    out = grammar_schema(schema, 5)
    assert json.dumps(schema) == before
    assert out["properties"]["rows"]["maxItems"] == 5
    assert out["properties"]["rows"]["items"]["maxItems"] == 5
    assert out["properties"]["when"] == {"type": "string", "pattern": FORMAT_PATTERNS["date-time"]}
    assert out["properties"]["day"] == {"type": "string", "pattern": FORMAT_PATTERNS["date"]}
    assert grammar_schema(schema, 5, keep_patterns=False)["properties"] == out["properties"]
    assert out["properties"]["kind"]["enum"] == [{"type": "array"}]  # values are not schemas


def test_non_gguf_file_is_rejected(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(b"PK\x03\x04 not a gguf")
    with pytest.raises(SlmbenchError, match="not a GGUF file"):
        check_gguf_causal_lm(path)


@pytest.mark.parametrize(
    ("arch", "kind", "message"),
    [("bert", "model", "not a causal"), ("llama", "adapter", "type 'adapter'")],
)
def test_gguf_that_is_not_a_causal_lm_is_rejected(tmp_path, arch, kind, message):
    path = tmp_path / "x.gguf"
    write_gguf_stub(path, arch, kind)
    with pytest.raises(SlmbenchError, match=message):
        check_gguf_causal_lm(path)


def test_tiny_gguf_passes_the_check(tiny_gguf):
    meta = check_gguf_causal_lm(tiny_gguf)
    assert meta["architecture"] == "llama" and meta["file_type"] == 0


def test_missing_llama_cpp_names_the_install_command(tiny_gguf, monkeypatch):
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # makes `import llama_cpp` fail
    with pytest.raises(SlmbenchError, match="pip install llama-cpp-python==") as err:
        LlamaCppBackend(str(tiny_gguf))
    assert err.value.exit_code == 2


def test_adapter_that_is_not_one_is_named(tmp_path):
    pytest.importorskip("llama_cpp")
    with pytest.raises(SlmbenchError, match="is not a PEFT adapter"):
        LlamaCppBackend("smollm2-135m-instruct", tmp_path)


def test_registry_loads_the_backend_and_rejects_unknown_options(tmp_path):
    from slmbench.models.registry import load_backend

    with pytest.raises(SlmbenchError, match="do not apply to the llamacpp backend"):
        load_backend("llamacpp", "smollm2-135m-instruct", dtype="bf16")
    not_gguf = tmp_path / "weights.safetensors"
    not_gguf.write_bytes(b"\x00" * 64)
    with pytest.raises(SlmbenchError, match="not a GGUF file"):
        load_backend("llamacpp", str(not_gguf))


# --- generation (llama.cpp) -----------------------------------------------------------------


def test_tiny_gguf_limit_and_counts(tiny_gguf, tokenizer, tiny_model_dir):
    pytest.importorskip("llama_cpp")
    backend = LlamaCppBackend(str(tiny_gguf), threads=1, n_ctx=512)
    prompts = ["Hello there", "Extract: {"]
    gens = backend.generate(
        [GenerationRequest(p, max_new_tokens=6, stop_at_json=False) for p in prompts]
    )
    for prompt, gen in zip(prompts, gens, strict=True):
        assert gen.prompt_tokens == len(tokenizer.encode(prompt))
        assert 1 <= gen.generated_tokens <= 6
        assert gen.hit_limit == (gen.meta["stop"] == "limit")
        assert gen.meta["constrained"] == "off"
    backend.warmup()
    info = backend.info()
    from transformers import AutoModelForCausalLM

    tiny = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    assert info["n_ctx"] == 512 and info["dtype"] == "f32"
    assert info["params"] == sum(p.numel() for p in tiny.parameters())


def test_tokenizer_rebuilt_from_gguf_when_none_saved_beside(tiny_gguf, tmp_path, tokenizer):
    pytest.importorskip("llama_cpp")
    import shutil

    from slmbench.prompts import build_prompt

    alone = tmp_path / "alone.gguf"
    shutil.copy(tiny_gguf, alone)
    backend = LlamaCppBackend(str(alone), threads=1, n_ctx=256)
    prompt = build_prompt("Name: Zoë", "chat", backend.tokenizer)
    assert prompt == build_prompt("Name: Zoë", "chat", tokenizer)
    assert backend.tokenizer.encode(prompt) == tokenizer.encode(prompt)


def test_prompt_longer_than_context_is_a_clear_error(tiny_gguf):
    pytest.importorskip("llama_cpp")
    backend = LlamaCppBackend(str(tiny_gguf), threads=1, n_ctx=64)
    with pytest.raises(SlmbenchError, match="does not fit the context"):
        backend.generate([GenerationRequest("word " * 200, max_new_tokens=4)])


def test_grammar_forces_schema_valid_json_and_stops_at_its_end(tiny_gguf):
    pytest.importorskip("llama_cpp")
    import jsonschema

    request = GenerationRequest("Name: Ada, 36", max_new_tokens=40, schema=NAME_SCHEMA)
    gbnf = LlamaCppBackend(
        str(tiny_gguf), threads=1, constrained="strict", grammar_engine="llama.cpp"
    )
    (gen,) = gbnf.generate([request])
    # A random model under llama.cpp's grammar still writes valid JSON; it may fill strings
    # until the cap, so validity is asserted only when it completed.
    assert gen.meta["constrained"] == "on"
    if not gen.hit_limit:
        assert gen.meta["stop"] in ("json", "eos")
        jsonschema.validate(json.loads(gen.text), NAME_SCHEMA)
    else:
        assert gen.text.lstrip().startswith("{")
    # The default engine (llguidance, closing mode) completes it whatever the budget.
    backend = LlamaCppBackend(str(tiny_gguf), threads=1, constrained="strict")
    (closed,) = backend.generate([request])
    assert closed.meta["constrained"] == "on" and closed.meta["stop"] in ("json", "eos", "closed")
    jsonschema.validate(json.loads(closed.text), NAME_SCHEMA)


def test_uncompilable_schema_strict_error_and_lenient_fallback(tiny_gguf):
    pytest.importorskip("llama_cpp")
    bad = {"title": "broken", "type": "object", "properties": {"a": {"$ref": "#/nowhere"}}}
    gbnf = {"threads": 1, "grammar_engine": "llama.cpp"}  # llama.cpp's own grammar compiler
    strict = LlamaCppBackend(str(tiny_gguf), constrained="strict", **gbnf)
    with pytest.raises(SlmbenchError, match="schema 'broken' cannot be compiled"):
        strict.generate([GenerationRequest("x", max_new_tokens=2, schema=bad)])
    lenient = LlamaCppBackend(str(tiny_gguf), constrained="lenient", **gbnf)
    requests = [GenerationRequest("x", max_new_tokens=2, schema=s) for s in (bad, NAME_SCHEMA)]
    fallback, constrained = lenient.generate(requests)
    assert fallback.meta["constrained"] == "fallback"
    assert constrained.meta["constrained"] == "on"


def test_pattern_llama_cpp_cannot_translate_is_dropped_not_fatal(tiny_gguf, capfd):
    pytest.importorskip("llama_cpp")
    phone = {"type": "string", "pattern": "^[+]?[0-9\\-\\s()]+$"}  # `\s`: not in GBNF
    schema = {"type": "object", "properties": {"phone": phone}, "required": ["phone"]}
    backend = LlamaCppBackend(
        str(tiny_gguf), threads=1, constrained="strict", grammar_engine="llama.cpp"
    )
    (gen,) = backend.generate([GenerationRequest("x", max_new_tokens=3, schema=schema)])
    assert gen.meta["constrained"] == "on"
    assert gen.text.lstrip(" ").startswith("{")
    assert (
        "error parsing grammar" not in capfd.readouterr().err
    )  # llama.cpp's grammar dump kept aside


@pytest.mark.slow
def test_embedded_gguf_generates_json_under_constraints():
    pytest.importorskip("llama_cpp")
    import jsonschema

    from slmbench.prompts import build_prompt

    backend = LlamaCppBackend("smollm2-135m-instruct", threads=1)
    info = backend.info()
    assert info["dtype"] == "q4_1" and 130e6 < info["params"] < 140e6
    prompt = build_prompt("Ada Lovelace is 36 years old.", "chat", backend.tokenizer)
    assert prompt.startswith("<|im_start|>")
    (free,) = backend.generate([GenerationRequest(prompt, max_new_tokens=24)])
    assert free.prompt_tokens == len(backend.tokenizer.encode(prompt))
    assert free.text.strip() and 1 <= free.generated_tokens <= 24
    assert 0 < free.ttft_s < free.total_s

    backend.constrained = "strict"
    request = GenerationRequest(prompt, max_new_tokens=48, schema=NAME_SCHEMA)
    (gen,) = backend.generate([request])
    assert gen.meta == {"constrained": "on", "stop": "json"}
    assert not gen.hit_limit
    jsonschema.validate(json.loads(gen.text), NAME_SCHEMA)


# --- string formats under llama.cpp's own grammar ------------------------------------------

FORMATS_SCHEMA = {
    "type": "object",
    "properties": {
        "email": {"type": "string", "format": "email"},
        "when": {"type": "string", "format": "date-time"},
        "day": {"type": "string", "format": "date"},
        "at": {"type": "string", "format": "time"},
        "ip": {"type": "string", "format": "ipv4"},
        "id": {"type": "string", "format": "uuid"},
        "link": {"type": "string", "format": "uri"},
    },
    "required": ["email", "when", "day", "at", "ip", "id", "link"],
}
FORMATS_GOOD = {
    "email": "ada.lovelace@mail.example.com",
    "when": "2012-02-29T18:46:41.361024",  # v3's form: no timezone, 6 fractional digits
    "day": "2024-02-29",
    "at": "08:30:00+01:00",
    "ip": "192.168.0.254",
    "id": "320689b8-9075-4049-a05c-907d88ec242f",
    "link": "https://shop.example.com/orders/12?id=4#top",
}
FORMATS_BAD = {
    "email": "ada.lovelace",
    "when": "2024-03-01T10:15",
    "day": "2023-02-29",
    "at": "24:00:00",
    "ip": "192.168.0.256",
    "id": "320689b8-9075-4049-a05c",
    "link": "shop.example.com",
}


def grammar_takes(backend: LlamaCppBackend, gbnf: str, text: str) -> bool:
    """Whether llama.cpp's grammar sampler lets the tokens of `text`, then the end of
    generation, through: each token alone is offered to the sampler, which masks it to -inf
    if the grammar refuses it."""
    import ctypes

    llama_cpp = backend._llama_cpp
    sampler = llama_cpp.llama_sampler_init_grammar(backend._vocab, gbnf.encode(), b"root")
    assert sampler, "llama.cpp rejected the grammar"
    eos = llama_cpp.llama_vocab_eos(backend._vocab)
    try:
        for token in [*backend.llm.tokenize(text.encode(), add_bos=False, special=False), eos]:
            data = (llama_cpp.llama_token_data * 1)(llama_cpp.llama_token_data(token, 0.0, 0.0))
            candidates = llama_cpp.llama_token_data_array(data, 1, -1, False)
            llama_cpp.llama_sampler_apply(sampler, ctypes.byref(candidates))
            if data[0].logit == float("-inf"):
                return False
            if token != eos:
                llama_cpp.llama_sampler_accept(sampler, token)
        return True
    finally:
        llama_cpp.llama_sampler_free(sampler)


def test_llama_cpp_grammar_enforces_string_formats(tiny_gguf):
    """The formats llama.cpp ignores (email, uri, ipv4) or writes stricter than the data
    (date-time, time) are enforced through `FORMAT_PATTERNS`, by llama.cpp's own sampler."""
    pytest.importorskip("llama_cpp")
    from slmbench.constrain.llama_grammar import schema_gbnf

    backend = LlamaCppBackend(str(tiny_gguf), threads=1, n_ctx=256)
    gbnf = schema_gbnf(FORMATS_SCHEMA)
    assert grammar_takes(backend, gbnf, json.dumps(FORMATS_GOOD))
    assert grammar_takes(backend, gbnf, " " + json.dumps(FORMATS_GOOD))  # `paper` answers
    for key, bad in FORMATS_BAD.items():
        assert not grammar_takes(backend, gbnf, json.dumps({**FORMATS_GOOD, key: bad})), key
    # The retry when llama.cpp refuses a schema's own pattern (`\\d`) keeps the formats'.
    phone = {"type": "string", "pattern": "^[+]?\\d+$"}
    schema = {**FORMATS_SCHEMA, "properties": {**FORMATS_SCHEMA["properties"], "phone": phone}}
    retried = schema_gbnf(schema, keep_patterns=False)
    good = {**FORMATS_GOOD, "phone": "+4412"}
    assert grammar_takes(backend, retried, json.dumps(good))
    assert not grammar_takes(backend, retried, json.dumps({**good, "email": "ada"}))
    plain = {"type": "object", "properties": {"e": {"type": "string"}}}  # the control
    assert grammar_takes(backend, schema_gbnf(plain), json.dumps({"e": "ada"}))


def test_llama_cpp_constrained_decode_writes_valid_formats(tiny_gguf):
    """A real decode under llama.cpp's grammar: the random tiny model is held to the formats
    whose strings have bounded lengths, so it completes them (it would fill an email or a
    date-time's fraction until the cap: those are checked token by token above)."""
    pytest.importorskip("llama_cpp")
    from pathlib import Path

    from slmbench.data.schemas import SchemaInfo

    keys = ("day", "ip", "id")
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",  # also checks `uuid`
        "type": "object",
        "properties": {k: FORMATS_SCHEMA["properties"][k] for k in keys},
        "required": list(keys),
    }
    validator = SchemaInfo("formats", "simple", schema, Path("formats.json")).validator()
    backend = LlamaCppBackend(
        str(tiny_gguf), threads=1, n_ctx=512, constrained="strict", grammar_engine="llama.cpp"
    )
    prompts = ["Seen 2024-03-01 from 10.0.0.1", "{"]
    for gen in backend.generate([GenerationRequest(p, 160, schema=schema) for p in prompts]):
        assert gen.meta == {"constrained": "on", "stop": "json"}, gen.text
        value = json.loads(gen.text)
        assert set(value) == set(keys) and validator.is_valid(value), value


# --- prompt ids: the HF tokenizer's on both backends ----------------------------------------

TRICKY_TEXTS = (
    "Items:\n  1. pen\n      3 kg",  # whitespace runs before digits
    "Total:  42\n\n7 left",
    "Zoë\tpaid €5 <|im_end|> then  9",  # also non-ASCII, a tab and a special token's text
)


def test_both_backends_feed_the_model_the_hf_tokenizers_prompt_ids(
    tiny_gguf, tiny_model_dir, tmp_path
):
    """The tokenizer transformers rebuilds from the embedded SmolLM2 GGUF is byte-level only,
    without the digit split of llama.cpp's `smollm` pre-tokenizer, so whitespace before a digit
    tokenizes differently in llama.cpp (experiments/bench/prompt-ids-158.txt). The llamacpp
    backend passes llama.cpp the HF ids: both backends, and training, see the same prompt."""
    pytest.importorskip("llama_cpp")
    import shutil

    from tokenizers import pre_tokenizers
    from transformers import AutoTokenizer

    from slmbench.models.gguf_files import tokenizer_dir_for
    from slmbench.models.hf_backend import TransformersBackend
    from slmbench.prompts import build_prompt, prompt_add_special_tokens

    byte_level = AutoTokenizer.from_pretrained(tiny_model_dir)
    byte_level.backend_tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(
        add_prefix_space=False, trim_offsets=True, use_regex=True
    )  # the embedded model's converted tokenizer.json
    model_dir, gguf = tmp_path / "model", tmp_path / "tiny.gguf"
    shutil.copytree(tiny_model_dir, model_dir)
    byte_level.save_pretrained(model_dir)
    shutil.copy(tiny_gguf, gguf)
    byte_level.save_pretrained(tokenizer_dir_for(gguf))
    llamacpp = LlamaCppBackend(str(gguf), threads=1, n_ctx=256)
    hf = TransformersBackend(str(model_dir), threads=1)
    for style in ("paper", "chat"):
        prompts = [build_prompt(text, style, byte_level) for text in TRICKY_TEXTS]
        for prompt in prompts:
            special = prompt_add_special_tokens(byte_level, prompt)
            ids = byte_level(prompt, add_special_tokens=special)["input_ids"]
            assert llamacpp.prompt_ids(prompt) == ids
            native = llamacpp.llm.tokenize(prompt.encode(), add_bos=special, special=True)
            assert native != ids, prompt  # what llama.cpp alone would have fed the model
        requests = [GenerationRequest(p, max_new_tokens=1, stop_at_json=False) for p in prompts]
        counts = [gen.prompt_tokens for gen in hf.generate(requests)]
        assert [gen.prompt_tokens for gen in llamacpp.generate(requests)] == counts


def test_tokenizer_beyond_the_gguf_vocabulary_is_named(tiny_gguf):
    pytest.importorskip("llama_cpp")
    backend = LlamaCppBackend(str(tiny_gguf), threads=1, n_ctx=256)
    backend.prompt_ids("Name: Zoë <zz>")
    backend.tokenizer.add_tokens(["<zz>"])  # id 1024: one past the GGUF's 1024 tokens
    with pytest.raises(SlmbenchError, match="not this model's tokenizer"):
        backend.prompt_ids("Name: Zoë <zz>")
