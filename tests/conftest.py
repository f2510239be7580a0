"""Shared fixtures and the test tiers (CONTRIBUTING.md, "Test tiers").

- `tokenizer`: the tiny byte-level BPE in tests/assets/tiny-tokenizer (1024 tokens, SmolLM2's
  special tokens, chat template and pre-tokenizer); `tiny_model_dir`: a random 2-layer Llama
  on it. Both load in well under a second and need no model download or conversion.
  `tiny_gguf`: that model written as an f32 GGUF (once per test module).
- `real_tokenizer`, `embedded_dir`: the real embedded SmolLM2-135M (its GGUF dequantised on
  first use). A test that asks for either is marked `slow` here, so the default `pytest` (the
  fast tier) leaves it out; `scripts/test.sh` runs every tier. A fast test that reaches the
  real model anyway fails, naming the fix.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_V3 = Path(__file__).resolve().parents[1].parent / "shared" / "edgejson_v3"
TINY_TOKENIZER = Path(__file__).resolve().parent / "assets" / "tiny-tokenizer"
REAL_MODEL_FIXTURES = ("embedded_dir", "real_tokenizer")


def pytest_collection_modifyitems(items):
    for item in items:
        if any(name in getattr(item, "fixturenames", ()) for name in REAL_MODEL_FIXTURES):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _fast_tests_load_no_real_model(request, monkeypatch):
    """A test outside the slow tier that reaches the real model fails at once, saying so."""
    if request.node.get_closest_marker("slow"):
        return
    from slmbench.models import embedded, registry

    def refuse(*args, **kwargs):
        pytest.fail(
            f"{request.node.nodeid} loads the real embedded model: use the tiny `tokenizer` / "
            "`tiny_model_dir`, or mark it @pytest.mark.slow (CONTRIBUTING.md, Test tiers)",
            pytrace=False,
        )

    monkeypatch.setattr(embedded, "embedded_model_dir", refuse)
    monkeypatch.setattr(registry, "embedded_model_dir", refuse)


@pytest.fixture(scope="session")
def embedded_dir() -> Path:
    """The embedded model converted to a transformers folder (cached after the first run)."""
    from slmbench.models.embedded import embedded_model_dir

    return embedded_model_dir()


@pytest.fixture(scope="session")
def real_tokenizer(embedded_dir):
    """The embedded model's tokenizer (49,152 tokens): for tests of real-token behaviour."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(embedded_dir)


@pytest.fixture(scope="session")
def tokenizer():
    """The tiny test tokenizer (tests/assets/make_tiny_tokenizer.py rebuilds it)."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(TINY_TOKENIZER)


@pytest.fixture(scope="session", params=["tiny", pytest.param("real", marks=pytest.mark.slow)])
def each_tokenizer(request):
    """The tiny tokenizer (fast tier), then the real one (slow tier): for checks whose outcome
    could depend on the vocabulary (grammar masks, answer tokens, EOS)."""
    return request.getfixturevalue("tokenizer" if request.param == "tiny" else "real_tokenizer")


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, tokenizer) -> Path:
    """A random Llama (2 layers, hidden 32) with the tiny tokenizer, saved as a HF folder."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
    )
    model = LlamaForCausalLM(config)
    out = tmp_path_factory.mktemp("tiny-llama")
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def tiny_gguf_export():
    """Lets `slmbench export` write the tiny tokenizer: llama.cpp knows a pre-tokenizer by
    the hash of the token ids of a probe text (`deploy.export.PRE_TOKENIZERS`), and the tiny
    vocabulary has its own ids for what is, by construction, SmolLM2's pre-tokenizer."""
    import hashlib

    from transformers import AutoTokenizer

    from slmbench.deploy import export

    ids = AutoTokenizer.from_pretrained(TINY_TOKENIZER).encode(export.PRE_TOKENIZER_PROBE)
    digest = hashlib.sha256(str(ids).encode()).hexdigest()
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(export.PRE_TOKENIZERS, digest, "smollm")
        yield


@pytest.fixture(scope="module")
def tiny_gguf(tiny_model_dir, tmp_path_factory, tiny_gguf_export) -> Path:
    """The tiny random Llama written as an f32 GGUF, its tokenizer saved beside it (needs only
    `gguf`; the tests that run it through llama.cpp skip where llama-cpp-python is missing)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from slmbench.models.gguf_files import tokenizer_dir_for
    from slmbench.models.gguf_writer import write_gguf

    out = tmp_path_factory.mktemp("tiny-gguf") / "tiny.gguf"
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    tokenizer.save_pretrained(tokenizer_dir_for(out))
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    write_gguf(model, tokenizer, tokenizer_dir_for(out), out, "f32", progress=False)
    return out


@pytest.fixture(scope="session")
def v3_dir() -> Path:
    """The original EdgeJSON v3 files beside the checkout; tests skip when absent."""
    if not (SHARED_V3 / "train.jsonl").is_file():
        pytest.skip("../shared/edgejson_v3 not present")
    return SHARED_V3


CONTACT_SCHEMA = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"type": "string"}, "city": {"type": "string"}},
}
ORDER_PROPERTIES = {
    "order_id": {"type": "string"},
    "items": {"type": "array", "items": {"type": "string"}},
}

# A one-tool domain file of the function-calling catalogue (`data.funccall_catalogue`), for
# the tests that load, extend or break one.
GARDEN_DOMAIN = """tools:
  - name: water_plants
    description: Water the plants of a room.
    params:
      - name: room
        type: string
        kind: room
        required: true
        description: Room name.
      - name: litres
        type: float
        kind: measure
        description: How much water.
        lo: 0.5
        hi: 3
        say: ['with {v} litres']
    do: ['water the plants in the {room}']
"""


def write_tiny_dataset(root: Path, rows: list[dict], order_extra: dict | None = None) -> Path:
    """`root/train.jsonl` of `rows` and a schema folder of two schemas, `contact` (simple) and
    `order` (medium, with `order_extra` properties), written here so that the training tests do
    not depend on the packaged schemas."""
    import json

    order = {
        "type": "object",
        "required": ["order_id"],
        "properties": {**ORDER_PROPERTIES, **(order_extra or {})},
    }
    for tier, name, schema in (("simple", "contact", CONTACT_SCHEMA), ("medium", "order", order)):
        (root / "schemas" / tier).mkdir(parents=True)
        (root / "schemas" / tier / f"{name}.json").write_text(json.dumps(schema))
    (root / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return root
