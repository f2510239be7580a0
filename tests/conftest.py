"""Shared fixtures: the real SmolLM2 tokenizer and a tiny random 2-layer Llama built on it."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_V3 = Path(__file__).resolve().parents[1].parent / "shared" / "edgejson_v3"


@pytest.fixture(scope="session")
def embedded_dir() -> Path:
    """The embedded model converted to a transformers folder (cached after the first run)."""
    from slmbench.models.embedded import embedded_model_dir

    return embedded_model_dir()


@pytest.fixture(scope="session")
def tokenizer(embedded_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(embedded_dir)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, tokenizer) -> Path:
    """A random Llama (2 layers, hidden 32) with the SmolLM2 tokenizer, saved as a HF folder."""
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
def v3_dir() -> Path:
    """The original EdgeJSON v3 files beside the checkout; tests skip when absent."""
    if not (SHARED_V3 / "train.jsonl").is_file():
        pytest.skip("../shared/edgejson_v3 not present")
    return SHARED_V3
