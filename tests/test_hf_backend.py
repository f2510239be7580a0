"""The transformers backend on the tiny random Llama (and, marked slow, the embedded model)."""

from __future__ import annotations

import json
import sys
import types

import pytest
import torch

from slmbench.errors import SlmbenchError
from slmbench.jsontext import first_json_span
from slmbench.models.base import GenerationRequest
from slmbench.models.hf_backend import TransformersBackend

PROMPTS = [
    "Name: Ada",
    "Extract the structured JSON data from the following text.\n\nInput: a much longer prompt "
    "about an order of three apples shipped to Paris\n\nOutput:",
    "<|im_start|>user\nhello there<|im_end|>\n<|im_start|>assistant\n",
]
SCRIPT = 'Sure: {"a": [1, 2], "b": "x}"} and then more words'


class ScriptedProcessor:
    """Stands in for `slmbench.constrain.processor.SchemaLogitsProcessor`: a row whose schema
    is `{"script": TEXT}` is forced to write exactly TEXT and then end-of-sequence; its status
    is the schema's `status` (default "on")."""

    def __init__(self, tokenizer, schemas, lenient, close_at=None):
        self.lenient = lenient
        self.closing_tokens = 0
        self.closing = [False] * len(schemas)
        eos = tokenizer.eos_token_id
        self.scripts = [
            tokenizer(s["script"], add_special_tokens=False).input_ids + [eos] if s else None
            for s in schemas
        ]
        self.status = [s.get("status", "on") if s else "off" for s in schemas]
        self.start = None

    def __call__(self, input_ids, scores):
        self.start = self.start or input_ids.shape[1]
        step = input_ids.shape[1] - self.start
        for row, script in enumerate(self.scripts):
            if script is not None:
                forced = script[min(step, len(script) - 1)]
                scores[row] = -float("inf")
                scores[row, forced] = 0.0
        return scores

    def release(self, row):
        self.scripts[row] = None


@pytest.fixture
def scripted(monkeypatch):
    module = types.ModuleType("slmbench.constrain.processor")
    module.SchemaLogitsProcessor = ScriptedProcessor
    monkeypatch.setitem(sys.modules, "slmbench.constrain.processor", module)


@pytest.fixture(scope="module")
def backend(tiny_model_dir):
    return TransformersBackend(tiny_model_dir, threads=1)


@pytest.fixture(scope="module")
def constrained_backend(tiny_model_dir):
    return TransformersBackend(tiny_model_dir, threads=1, constrained="strict")


def requests(prompts, cap=6, **kwargs):
    return [GenerationRequest(p, max_new_tokens=cap, stop_at_json=False, **kwargs) for p in prompts]


def test_batch_equals_one_by_one(backend, tokenizer):
    batched = backend.generate(requests(PROMPTS))
    single = [backend.generate(requests([p]))[0] for p in PROMPTS]
    assert [g.text for g in batched] == [g.text for g in single]
    assert [g.generated_tokens for g in batched] == [g.generated_tokens for g in single]
    assert [g.prompt_tokens for g in batched] == [
        len(tokenizer(p, add_special_tokens=False).input_ids) for p in PROMPTS
    ]
    assert len({g.text for g in batched}) == len(PROMPTS)  # rows did not leak into each other


def test_deterministic_across_calls(backend):
    first = backend.generate(requests(PROMPTS))
    second = backend.generate(requests(PROMPTS))
    assert [g.text for g in first] == [g.text for g in second]


def test_each_row_stops_at_its_own_cap(backend):
    short, long = backend.generate(
        [
            GenerationRequest(PROMPTS[0], max_new_tokens=2, stop_at_json=False),
            GenerationRequest(PROMPTS[1], max_new_tokens=7, stop_at_json=False),
        ]
    )
    assert (short.generated_tokens, long.generated_tokens) == (2, 7)
    assert short.hit_limit and long.hit_limit
    assert short.meta == {"constrained": "off", "stop": "limit"}
    alone_short = backend.generate(requests([PROMPTS[0]], cap=2))[0]
    alone_long = backend.generate(requests([PROMPTS[0]], cap=7))[0]
    assert short.text == alone_short.text
    assert alone_long.text.startswith(alone_short.text) and alone_long.text != alone_short.text
    assert 0 < short.ttft_s == long.ttft_s <= short.total_s < long.total_s


def test_stop_at_json_end_of_sequence_and_limit(constrained_backend, tokenizer, scripted):
    script_ids = tokenizer(SCRIPT, add_special_tokens=False).input_ids
    json_end = next(
        k
        for k in range(1, len(script_ids) + 1)
        if first_json_span(tokenizer.decode(script_ids[:k]))
    )
    schema = {"script": SCRIPT}
    at_json, at_eos, at_cap, free = constrained_backend.generate(
        [
            GenerationRequest("a", max_new_tokens=40, schema=schema, stop_at_json=True),
            GenerationRequest("b", max_new_tokens=40, schema=schema, stop_at_json=False),
            GenerationRequest("c", max_new_tokens=3, schema=schema, stop_at_json=True),
            GenerationRequest("d", max_new_tokens=5, stop_at_json=False),
        ]
    )
    assert at_json.text == tokenizer.decode(script_ids[:json_end])
    assert at_json.text.startswith('Sure: {"a": [1, 2], "b": "x}"}')
    assert (at_json.generated_tokens, at_json.hit_limit) == (json_end, False)
    assert at_json.meta == {"constrained": "on", "stop": "json"}

    assert at_eos.text == SCRIPT
    assert (at_eos.generated_tokens, at_eos.hit_limit) == (len(script_ids) + 1, False)
    assert at_eos.meta["stop"] == "eos"

    assert at_cap.text == tokenizer.decode(script_ids[:3])
    assert (at_cap.generated_tokens, at_cap.hit_limit) == (3, True)

    assert (free.generated_tokens, free.hit_limit, free.meta["constrained"]) == (5, True, "off")
    assert at_cap.total_s < free.total_s < at_json.total_s < at_eos.total_s
    assert all(0 < g.ttft_s <= g.total_s for g in (at_json, at_eos, at_cap, free))


def test_processor_status_is_copied_per_row(constrained_backend, scripted):
    on, fallback = constrained_backend.generate(
        [
            GenerationRequest("a", max_new_tokens=4, schema={"script": "{}"}),
            GenerationRequest("b", max_new_tokens=4, schema={"script": "[]", "status": "fallback"}),
        ]
    )
    assert (on.text, on.meta["constrained"]) == ("{}", "on")
    assert (fallback.text, fallback.meta["constrained"]) == ("[]", "fallback")


def test_real_grammar_closes_rows_at_their_cap_and_survives_their_stop(constrained_backend):
    """A row that reaches its cap mid-JSON is closed within its closing tokens, then stops
    and gets padding appended while the batch goes on: its grammar must be released rather
    than fed that padding."""
    pytest.importorskip("slmbench.constrain.processor")
    from slmbench.constrain.closing import CLOSING_TOKENS

    schema = {
        "type": "object",
        "properties": {"n": {"type": "integer"}, "tag": {"type": "string"}},
        "required": ["n", "tag"],
    }
    short, long = constrained_backend.generate(
        [GenerationRequest("a", 3, schema=schema), GenerationRequest("bb", 60, schema=schema)]
    )
    assert short.meta == {"constrained": "on", "stop": "closed"} and short.hit_limit
    assert 3 < short.generated_tokens < 3 + CLOSING_TOKENS
    assert set(json.loads(short.text)) == {"n", "tag"}
    assert long.meta["constrained"] == "on" and long.text.lstrip().startswith('{"n": ')
    assert constrained_backend.info()["closing_tokens"] == CLOSING_TOKENS
    constrained_backend.warmup()


def test_schema_is_ignored_when_not_constrained(backend, scripted):
    plain = backend.generate(requests(["a"], cap=4))[0]
    with_schema = backend.generate(requests(["a"], cap=4, schema={"script": "{}"}))[0]
    assert with_schema.text == plain.text and with_schema.meta["constrained"] == "off"


def test_missing_constrained_module_is_a_clear_error(constrained_backend, monkeypatch):
    monkeypatch.setitem(sys.modules, "slmbench.constrain.processor", None)
    assert constrained_backend.generate(requests(["a"], cap=2))[0].generated_tokens == 2
    with pytest.raises(SlmbenchError, match="constrained decoding is not available"):
        constrained_backend.generate(requests(["a"], cap=2, schema={"type": "object"}))


def test_warmup_and_empty_batch(backend):
    backend.warmup()
    assert backend.generate([]) == []
    with pytest.raises(SlmbenchError, match="at least 1"):
        backend.generate(requests(["a"], cap=0))


def test_info(backend, tiny_model_dir):
    info = backend.info()
    assert info["params"] == sum(p.numel() for p in backend.model.parameters()) > 0
    assert info["size_on_disk_bytes"] == (tiny_model_dir / "model.safetensors").stat().st_size
    assert (info["dtype"], info["device"], info["threads"], info["adapter"]) == (
        "float32",
        "cpu",
        1,
        None,
    )
    assert info["hardware"] and info["name"] == str(tiny_model_dir)


def test_dynamic_int8_quantises_linear_layers_on_cpu_only(tiny_model_dir, backend):
    from slmbench.models.hf_backend import quantize_dynamic_int8

    int8 = TransformersBackend(tiny_model_dir, dtype="int8-dynamic", threads=1)
    quantized = [m for m in int8.model.modules() if "quantized" in type(m).__module__]
    assert quantized and not any(type(m) is torch.nn.Linear for m in int8.model.modules())
    assert int8.info()["params"] == backend.info()["params"]
    first, again = (int8.generate(requests(["a b c"], cap=4))[0] for _ in range(2))
    assert first.generated_tokens == 4 and first.text == again.text
    with pytest.raises(SlmbenchError, match="CPU only"):
        quantize_dynamic_int8(int8.model, torch.device("cuda"))


def test_bfloat16_and_bad_options(tiny_model_dir):
    bf16 = TransformersBackend(tiny_model_dir, dtype="bfloat16", threads=1)
    assert next(bf16.model.parameters()).dtype == torch.bfloat16
    assert bf16.generate(requests(["a"], cap=3))[0].generated_tokens == 3
    with pytest.raises(SlmbenchError, match="unknown dtype"):
        TransformersBackend(tiny_model_dir, dtype="int3")
    with pytest.raises(SlmbenchError, match="unknown device"):
        TransformersBackend(tiny_model_dir, device="tpu")
    with pytest.raises(SlmbenchError, match="unknown constrained mode"):
        TransformersBackend(tiny_model_dir, constrained="maybe")
    if not torch.cuda.is_available():
        with pytest.raises(SlmbenchError, match="no CUDA GPU"):
            TransformersBackend(tiny_model_dir, device="cuda")


def test_adapter_run_is_merged_and_matches_peft(tiny_model_dir, tmp_path, backend):
    from peft import LoraConfig, PeftModel, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(1)
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    lora = LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    get_peft_model(base, lora).save_pretrained(tmp_path / "adapter")
    recipe = {"base_model": str(tiny_model_dir), "prompt_style": "paper", "method": "lora"}
    (tmp_path / "recipe.json").write_text(json.dumps(recipe))

    tuned = TransformersBackend(None, tmp_path, threads=1)  # base model from the recipe
    got = tuned.generate(requests([PROMPTS[1]], cap=6))[0]

    reference = PeftModel.from_pretrained(
        AutoModelForCausalLM.from_pretrained(tiny_model_dir), tmp_path / "adapter"
    ).eval()
    encoded = tuned.tokenizer(PROMPTS[1], return_tensors="pt")
    with torch.inference_mode():
        expected = reference.generate(**encoded, do_sample=False, max_new_tokens=6)
    expected_text = tuned.tokenizer.decode(expected[0, encoded["input_ids"].shape[1] :])
    assert got.text == expected_text
    assert got.text != backend.generate(requests([PROMPTS[1]], cap=6))[0].text

    info = tuned.info()
    adapter_bytes = (tmp_path / "adapter" / "adapter_model.safetensors").stat().st_size
    model_bytes = (tiny_model_dir / "model.safetensors").stat().st_size
    assert info["size_on_disk_bytes"] == model_bytes + adapter_bytes
    assert info["trained_from"] == recipe and info["adapter"] == str(tmp_path / "adapter")


@pytest.mark.slow
def test_embedded_model_generates_text(real_tokenizer):
    from slmbench.prompts import build_prompt

    backend = TransformersBackend("smollm2-135m-instruct")
    prompt = build_prompt("Name: Ada Lovelace, born 1815.", "chat", real_tokenizer)
    result = backend.generate([GenerationRequest(prompt, max_new_tokens=12)])[0]
    assert result.text.strip() and 1 <= result.generated_tokens <= 12
    assert 0 < result.ttft_s <= result.total_s
    info = backend.info()
    assert 134.4e6 < info["params"] < 134.6e6
    assert info["size_on_disk_bytes"] > 400e6
