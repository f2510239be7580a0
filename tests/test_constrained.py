"""Schema-constrained decoding: the grammar's exact output format, and the logits processor on
a random tiny Llama (whose unconstrained output is garbage)."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest

from slmbench.constrain.grammar import GrammarError, compile_schema, grammar_text
from slmbench.errors import SlmbenchError
from slmbench.prompts import format_answer

CONTACT = {
    "title": "Contact",
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "email": {"type": "string", "format": "email"},
        "born": {"type": "string", "format": "date"},
        "vip": {"type": "boolean"},
    },
    "required": ["name", "email"],
    "additionalProperties": False,
}
ORDER = {
    "title": "Order",
    "type": "object",
    "properties": {
        "order_id": {"type": "string"},
        "placed_at": {"type": "string", "format": "date-time"},
        "status": {"type": "string", "enum": ["open", "shipped", "closed"]},
        "items": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "sku": {"type": "string"},
                    "qty": {"type": "integer", "minimum": 1},
                    "price": {"type": "number", "minimum": 0},
                },
                "required": ["sku", "qty"],
            },
        },
        "notes": {"type": ["string", "null"]},
    },
    "required": ["order_id", "placed_at", "items"],
}
READING = {
    "title": "Reading",
    "type": "object",
    "properties": {
        "sensor": {"type": "string"},
        "values": {"type": "array", "items": {"type": "number"}},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
    },
    "required": ["sensor", "values"],
}
UNSUPPORTED = {
    "title": "Odd",
    "type": "object",
    "properties": {"code": {"$ref": "#/definitions/missing"}},
}
"""Not compilable even relaxed (a schema with `not` decodes relaxed: test_relaxed_decoding)."""
# Small bounds keep a random model's strings and lists short: generation always completes.
BOUNDS = {"max_items": 2, "max_string_chars": 6}
MAX_NEW_TOKENS = 300
PROMPTS = ["Extract: Ada Lovelace, ada@example.org", "Order 7 placed today", "Sensor t1"]
SCHEMAS = [CONTACT, ORDER, READING]


def accepts(tokenizer, schema: dict, text: str) -> bool:
    """Whether the schema's grammar takes exactly `text` and then nothing but EOS."""
    matcher = compile_schema(schema, tokenizer).new_matcher()
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    return (
        matcher.try_consume_tokens(ids) == len(ids)
        and matcher.consume_token(tokenizer.eos_token_id)
        and matcher.is_stopped()
    )


def in_schema_order(value, schema: dict):
    """The gold object with keys reordered as the schema lists them (recursively)."""
    if isinstance(value, dict) and "properties" in schema:
        props = schema["properties"]
        keys = sorted(value, key=lambda k: list(props).index(k) if k in props else len(props))
        return {k: in_schema_order(value[k], props.get(k, {})) for k in keys}
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [in_schema_order(v, schema["items"]) for v in value]
    return value


def mask_numbers(text: str) -> str:
    """JSON text with number literals replaced by `N` (strings untouched)."""
    token = r'"(?:[^"\\]|\\.)*"|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)'
    return re.sub(token, lambda m: "N" if m.group(1) else m.group(0), text)


def validator(schema: dict) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )


# --- the grammar describes exactly what format_answer writes ---------------------------------


def test_grammar_accepts_format_answer_and_rejects_other_spellings(each_tokenizer):
    gold = {
        "order_id": 'Ö-12 "quoted"\nline',
        "placed_at": "2005-07-03T17:42:53.545351",
        "status": "shipped",
        "items": [{"sku": "a/b", "qty": 2, "price": 9.5}, {"sku": "日本", "qty": 1}],
        "notes": None,
    }
    assert accepts(each_tokenizer, ORDER, format_answer(gold))
    assert accepts(each_tokenizer, ORDER, " " + format_answer(gold))  # the paper style's prefix
    assert accepts(
        each_tokenizer, ORDER, format_answer({**gold, "placed_at": "2005-07-03T17:42:53Z"})
    )
    compact = json.dumps(gold, ensure_ascii=False, separators=(",", ":"))
    pretty = json.dumps(gold, ensure_ascii=False, indent=1)
    ascii_escaped = json.dumps(gold)
    swapped = format_answer({"placed_at": gold["placed_at"], **gold})
    for wrong in (compact, pretty, ascii_escaped, swapped, format_answer(gold) + " "):
        assert not accepts(each_tokenizer, ORDER, wrong), wrong
    assert not accepts(each_tokenizer, ORDER, format_answer({**gold, "extra": 1}))
    assert not accepts(
        each_tokenizer,
        CONTACT,
        format_answer({"name": "A", "email": "a@b.c", "born": "2023-02-29"}),
    )
    assert accepts(
        each_tokenizer,
        CONTACT,
        format_answer({"name": "A", "email": "a@b.c", "born": "2024-02-29"}),
    )


def test_v3_gold_answers_are_accepted(each_tokenizer, v3_dir):
    schemas = {p.stem: json.loads(p.read_text()) for p in (v3_dir / "schemas").glob("*/*.json")}
    rows = [json.loads(line) for line in (v3_dir / "train.jsonl").read_text().splitlines()]
    rejected = []
    for row in rows[::5]:
        schema = schemas[row.get("schema_id") or row["schema_name"]]
        gold = in_schema_order(row["expected_output"], schema)
        if not accepts(each_tokenizer, schema, format_answer(gold)):
            rejected.append(row["id"])
    assert rejected == []


def test_generated_gold_answers_are_accepted(each_tokenizer):
    from slmbench.data.generate import build_rows
    from slmbench.data.schemas import load_schemas

    try:
        schemas = load_schemas()
    except SlmbenchError:
        pytest.skip("no packaged schemas yet")
    rows = build_rows(seed=3, n_train=60, n_test=30, schemas=schemas)["train"]
    rejected = [
        row.id
        for row in rows
        if not accepts(
            each_tokenizer, schemas[row.schema_id].schema, format_answer(row.expected_output)
        )
    ]
    assert rejected == []


def test_packaged_schemas_compile(each_tokenizer):
    from slmbench.data.schemas import load_schemas

    try:
        schemas = load_schemas()
    except SlmbenchError:
        pytest.skip("no packaged schemas yet")
    for info in schemas.values():
        compiled = compile_schema(info.schema, each_tokenizer)
        assert compiled.schema_label


def test_compile_is_cached_per_schema_and_keeps_property_order(tokenizer):
    first = compile_schema(CONTACT, tokenizer)
    assert compile_schema(json.loads(json.dumps(CONTACT)), tokenizer) is first
    reordered = {**CONTACT, "properties": dict(reversed(CONTACT["properties"].items()))}
    assert compile_schema(reordered, tokenizer) is not first
    assert grammar_text(reordered) != grammar_text(CONTACT)


def test_unsupported_schema_error_names_schema_and_keyword(tokenizer):
    with pytest.raises(GrammarError) as caught:
        compile_schema(UNSUPPORTED, tokenizer)
    assert isinstance(caught.value, SlmbenchError)
    message = str(caught.value)
    assert "'Odd'" in message and "/definitions/missing" in message and "\n" not in message


# --- the logits processor ---------------------------------------------------------------------


def test_processor_masks_rows_and_handles_release_and_rejected_tokens(each_tokenizer):
    import torch

    from slmbench.constrain.processor import SchemaLogitsProcessor

    vocab = len(each_tokenizer)
    brace = each_tokenizer.convert_tokens_to_ids("{")
    letter = each_tokenizer("x", add_special_tokens=False)["input_ids"][0]
    prompt = torch.tensor([[5, 6], [5, 6]])

    def step(processor, ids):
        return processor(ids, torch.zeros(2, vocab))

    processor = SchemaLogitsProcessor(each_tokenizer, [CONTACT, None])
    scores = step(processor, prompt)
    assert scores[0, brace] == 0 and scores[0, letter] == float("-inf")
    assert bool(torch.isfinite(scores[1]).all())
    processor.release(0)  # the caller stopped row 0: padding may follow, no constraint applies
    pad = torch.tensor([[each_tokenizer.pad_token_id], [letter]])
    assert bool(torch.isfinite(step(processor, torch.cat([prompt, pad], dim=1))).all())

    strict = SchemaLogitsProcessor(each_tokenizer, [CONTACT, None])
    step(strict, prompt)
    with pytest.raises(SlmbenchError, match="batch row 0"):
        step(strict, torch.cat([prompt, torch.tensor([[letter], [letter]])], dim=1))
    lenient = SchemaLogitsProcessor(each_tokenizer, [CONTACT, None], lenient=True)
    step(lenient, prompt)
    step(lenient, torch.cat([prompt, torch.tensor([[letter], [letter]])], dim=1))
    assert lenient.status == ["fallback", "off"] and lenient.errors[0]


# --- the logits processor on a tiny random model ---------------------------------------------


@pytest.fixture(scope="module")
def tiny(tiny_model_dir):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir, padding_side="left")
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32).eval()
    return model, tokenizer


def generate(
    tiny, prompts, schemas, lenient=False, max_new_tokens=MAX_NEW_TOKENS, bounds=None, **options
):
    """Greedy left-padded batch generation with the processor: (texts, n_tokens, processor)."""
    from slmbench.constrain.processor import SchemaLogitsProcessor

    model, tokenizer = tiny
    batch = tokenizer(prompts, return_tensors="pt", padding=True)
    processor = SchemaLogitsProcessor(
        tokenizer, schemas, lenient=lenient, **(BOUNDS if bounds is None else bounds), **options
    )
    out = model.generate(
        **batch,
        logits_processor=[processor],
        max_new_tokens=max_new_tokens,
        do_sample=False,
        pad_token_id=tokenizer.pad_token_id,
    )
    new = out[:, batch["input_ids"].shape[1] :]
    texts = tokenizer.batch_decode(new, skip_special_tokens=True)
    counts = [int((row != tokenizer.pad_token_id).sum()) for row in new]
    return texts, counts, processor


@pytest.fixture(scope="module")
def batched(tiny):
    return generate(tiny, PROMPTS, SCHEMAS)


def test_every_output_parses_validates_and_stops(batched):
    texts, counts, processor = batched
    assert processor.status == ["on", "on", "on"]
    for text, count, schema in zip(texts, counts, SCHEMAS, strict=True):
        assert count < MAX_NEW_TOKENS, f"no EOS after the JSON: {text!r}"
        parsed = json.loads(text)
        assert list(validator(schema).iter_errors(parsed)) == []
        # Same separators and whitespace as the training target (number spelling aside).
        assert mask_numbers(text.removeprefix(" ")) == mask_numbers(format_answer(parsed))


def test_unconstrained_random_model_does_not_produce_json(tiny):
    texts, _, processor = generate(tiny, PROMPTS[:1], [None], max_new_tokens=20)
    assert processor.status == ["off"]
    with pytest.raises(json.JSONDecodeError):
        json.loads(texts[0])


def test_batched_equals_one_by_one(tiny, batched):
    for i, (prompt, schema) in enumerate(zip(PROMPTS, SCHEMAS, strict=True)):
        texts, _, _ = generate(tiny, [prompt], [schema])
        assert texts[0] == batched[0][i]


def test_lenient_falls_back_per_row_and_strict_raises(tiny):
    texts, _, processor = generate(
        tiny, PROMPTS[:3], [UNSUPPORTED, None, CONTACT], lenient=True, max_new_tokens=40
    )
    assert processor.status == ["fallback", "off", "on"]
    assert "/definitions/missing" in processor.errors[0] and processor.errors[1:] == [None, None]
    assert list(validator(CONTACT).iter_errors(json.loads(texts[2]))) == []
    with pytest.raises(GrammarError, match="'Odd'"):
        generate(tiny, PROMPTS[:2], [CONTACT, UNSUPPORTED], lenient=False)


# --- closing mode: rows that reach their budget with their JSON open --------------------------

WIDE_BOUNDS = {"max_items": 50, "max_string_chars": 1000}
"""The defaults: a random model's strings run far past a small budget."""


def test_without_closing_a_small_budget_cuts_the_json(tiny):
    texts, counts, _ = generate(tiny, PROMPTS, SCHEMAS, max_new_tokens=12, bounds=WIDE_BOUNDS)
    assert counts == [12, 12, 12]
    for text in texts:
        with pytest.raises(json.JSONDecodeError):
            json.loads(text)


def test_closing_mode_ends_every_row_in_schema_valid_json(tiny):
    budget = 12
    texts, counts, processor = generate(
        tiny,
        PROMPTS,
        SCHEMAS,
        max_new_tokens=budget + processor_closing_tokens(),
        bounds=WIDE_BOUNDS,
        close_at=[budget] * 3,
    )
    assert processor.closing == [True, True, True]
    for text, count, schema in zip(texts, counts, SCHEMAS, strict=True):
        assert budget < count < budget + processor.closing_tokens, text
        parsed = json.loads(text)
        assert list(validator(schema).iter_errors(parsed)) == []


def test_closing_mode_leaves_rows_that_end_within_budget_alone(tiny, batched):
    texts, _, processor = generate(tiny, PROMPTS, SCHEMAS, close_at=[MAX_NEW_TOKENS] * 3)
    assert processor.closing == [False, False, False]
    assert texts == batched[0]


def processor_closing_tokens() -> int:
    from slmbench.constrain.closing import CLOSING_TOKENS

    return CLOSING_TOKENS


def test_gpu_converted_tokenizer_still_gets_byte_level_masks(each_tokenizer):
    """transformers 5.17 (the GPU image) converts the GGUF's byte-level BPE into a spec that
    also claims byte fallback; llguidance must still see `Ġ` as a space."""
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    spec = json.loads(each_tokenizer.backend_tokenizer.to_str())
    spec["model"]["byte_fallback"] = True
    spec["decoder"] = {
        "type": "Sequence",
        "decoders": [
            {"type": "ByteFallback"},
            {"type": "Fuse"},
            {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
            spec["decoder"],
        ],
    }
    gpu = PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer.from_str(json.dumps(spec)), eos_token=each_tokenizer.eos_token
    )
    answer = format_answer({"name": "Ada Lovelace", "email": "ada@example.org", "vip": True})
    ids = gpu(answer, add_special_tokens=False).input_ids
    assert ids == each_tokenizer(answer, add_special_tokens=False).input_ids  # encoding unchanged
    assert accepts(gpu, CONTACT, answer)
