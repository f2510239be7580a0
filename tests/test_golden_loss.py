"""Golden numbers: the logged loss of the first three optimiser steps of `slmbench train` on the
tiny model, a fixed dataset and fixed seeds, for LoRA and for full fine-tuning.

They pin what is learnt from: answer-only labels ending in EOS, the answer-span logits, the
token-weighted loss over accumulated micro-batches, the optimiser and its schedule. A change to
any of them moves these numbers; so does a change of torch or transformers numerics (pinned in
constraints.txt). When a change is meant, check the first step against the independent
answer-only loss below, explain the change in the commit, and copy the new numbers printed by
the failing assertion (they must agree to 1e-4).

The weights are drawn here from a seeded generator rather than by transformers' initialisers,
so that only the training code and the numerics can move the numbers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from conftest import write_tiny_dataset

from slmbench.prompts import build_prompt, format_answer
from slmbench.train.recipe import apply_overrides, load_recipe
from slmbench.train.trainer import TrainRequest, read_log, train

# One optimiser step covers every row (batches of 8, two micro-batches accumulated): the first
# logged loss is then the answer-only loss of the whole set under the initial weights.
COMMON = {
    "prompt_style": "chat",
    "per_device_batch_size": "8",
    "grad_accum_steps": "2",
    "max_steps": "3",
    "logging_steps": "1",
    "save_every_steps": "100",
    "lr_scheduler": "linear",
    "warmup_ratio": "0",
    "lora_dropout": "0",
    "bf16": "false",
    "seed": "0",
    "val_generate_rows": "0",
}
RECIPES = {
    "lora": {
        "method": "lora",
        "lora_r": "8",
        "lora_alpha": "16",
        "target_modules": "all-linear",
        "learning_rate": "1e-2",
    },
    "full": {"method": "full", "learning_rate": "1e-3"},
}
GOLDEN = {
    "lora": [7.05801, 6.710772, 6.509756],
    "full": [7.05801, 6.839525, 6.713772],
}
TOLERANCE = 1e-4

NAMES = ["Ada", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal"]
CITIES = ["Paris", "Oslo", "Rome", "Lima"]


@pytest.fixture(scope="module")
def golden_data(tmp_path_factory) -> Path:
    """16 rows of two schemas, with their schema folder."""
    root = tmp_path_factory.mktemp("golden-data")
    rows = []
    for i, name in enumerate(NAMES):
        city = CITIES[i % 4]
        rows.append(
            {
                "id": f"c{i}",
                "schema_id": "contact",
                "prompt": f"{name} lives in {city}." if i % 2 else f"Name: {name}\nCity: {city}",
                "expected_output": {"name": name, "city": city},
            }
        )
        items = ["pen", "cup", "ink"][: 1 + i % 3]
        rows.append(
            {
                "id": f"o{i}",
                "schema_id": "order",
                "prompt": f"Order X{i}{i}: {', '.join(items)}; total {i}.5 EUR",
                "expected_output": {"order_id": f"X{i}{i}", "items": items, "total": i + 0.5},
            }
        )
    return write_tiny_dataset(root, rows, {"total": {"type": "number"}})


@pytest.fixture(scope="module")
def golden_model(tiny_model_dir, tmp_path_factory) -> Path:
    """The tiny Llama's architecture with weights from a seeded generator (norms at 1)."""
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    generator = torch.Generator().manual_seed(1234)
    with torch.no_grad():
        for name, param in sorted(model.named_parameters()):
            if name.endswith("norm.weight"):
                param.fill_(1.0)
            else:
                param.copy_(torch.randn(param.shape, generator=generator) * 0.1)
    out = tmp_path_factory.mktemp("golden-model")
    model.save_pretrained(out)
    for path in tiny_model_dir.iterdir():  # the tokenizer files
        if path.name.startswith(("tokenizer", "chat_template", "special_tokens")):
            (out / path.name).write_bytes(path.read_bytes())
    return out


def run_losses(model: Path, data: Path, out: Path, method: str) -> list[float]:
    recipe, _ = load_recipe("paper")
    recipe = apply_overrides(recipe, {**COMMON, **RECIPES[method]}, "golden test")
    request = TrainRequest(
        model=str(model),
        data=data / "train.jsonl",
        out=out,
        recipe=recipe,
        recipe_source="paper",
        schemas=data / "schemas",
    )
    train(request)
    return [r["loss"] for r in read_log(out / "train_log.jsonl") if r["kind"] == "train"]


def answer_only_loss(model_dir: Path, data: Path) -> float:
    """Mean cross-entropy over the answer tokens (gold JSON + EOS) of every row, computed here
    from the prompt module and the tokenizer, without the training code."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    total, count = 0.0, 0
    for line in (data / "train.jsonl").read_text().splitlines():
        row = json.loads(line)
        prompt = tokenizer(build_prompt(row["prompt"], "chat", tokenizer), add_special_tokens=False)
        answer = format_answer(row["expected_output"]) + tokenizer.eos_token
        answer_ids = tokenizer(answer, add_special_tokens=False)["input_ids"]
        ids = torch.tensor([prompt["input_ids"] + answer_ids])
        with torch.no_grad():
            logits = model(ids).logits[0]
        n = len(answer_ids)
        predicted = logits[-n - 1 : -1]  # logit t predicts token t + 1
        loss = torch.nn.functional.cross_entropy(
            predicted, torch.tensor(answer_ids), reduction="sum"
        )
        total, count = total + loss.item(), count + n
    return total / count


@pytest.mark.parametrize("method", sorted(RECIPES))
def test_first_steps_keep_their_golden_loss(method, golden_model, golden_data, tmp_path):
    losses = run_losses(golden_model, golden_data, tmp_path / method, method)
    assert len(losses) == 3
    assert losses[0] == pytest.approx(answer_only_loss(golden_model, golden_data), abs=1e-4)
    assert losses[2] < losses[0]  # it learns
    assert losses == pytest.approx(GOLDEN[method], abs=TOLERANCE), losses
