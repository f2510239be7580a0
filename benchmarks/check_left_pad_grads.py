"""Are the LoRA gradients of a left-padded training batch finite, and equal to those of the
model's own loss on the same batch right-padded? Run on each device and dtype at hand.

A random Llama with the SmolLM2-135M shapes (2 of its 30 layers) and LoRA on every linear
layer gets a batch of four rows of 40 to 300 tokens, the answer the last 20 of each:
  right:    right padding, whole-sequence logits (the reference)
  left-2d:  left padding, answer-span logits, transformers' mask from the 2D padding mask
Real training on an H200 had NaN gradients with left padding (experiments/gpu-left-pad/); this
check did not reproduce them there, so the NaN needs more than this batch shows.
    python benchmarks/check_left_pad_grads.py
"""

from __future__ import annotations

import torch
from peft import LoraConfig, get_peft_model
from transformers import LlamaConfig, LlamaForCausalLM

from slmbench.train.dataset import PaddingCollator
from slmbench.train.sft_trainer import answer_logit_span

LENGTHS = (300, 180, 90, 40)
ANSWER = 20


def tiny_smollm(device: str) -> torch.nn.Module:
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=49152,
        hidden_size=576,
        intermediate_size=1536,
        num_hidden_layers=2,
        num_attention_heads=9,
        num_key_value_heads=3,
        max_position_embeddings=2048,
        tie_word_embeddings=True,
        attn_implementation="sdpa",
    )
    model = LlamaForCausalLM(config).to(device)
    lora = LoraConfig(r=16, target_modules="all-linear", init_lora_weights=False)
    return get_peft_model(model, lora)


def features() -> list[dict[str, list[int]]]:
    g = torch.Generator().manual_seed(1)
    rows = []
    for n in LENGTHS:
        ids = torch.randint(3, 49152, (n,), generator=g).tolist()
        rows.append({"input_ids": ids, "labels": [-100] * (n - ANSWER) + ids[-ANSWER:]})
    return rows


def loss_and_grads(model, inputs, device, dtype):
    model.zero_grad()
    inputs = {k: v.to(device) if torch.is_tensor(v) else v for k, v in inputs.items()}
    with torch.autocast(device, dtype=dtype, enabled=dtype != torch.float32):
        loss = model(**inputs).loss
    loss.backward()
    grads = torch.cat([p.grad.flatten().float() for p in model.parameters() if p.requires_grad])
    return loss.item(), grads


def main() -> None:
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    rows = features()
    left = PaddingCollator(0, padding_side="left")(rows)
    span = answer_logit_span(left["labels"])
    variants = {
        "right": PaddingCollator(0)(rows),
        "left-2d": {**left, "labels": left["labels"][:, -span:], "logits_to_keep": span},
    }
    print(f"torch {torch.__version__}; rows of {LENGTHS} tokens, answers of {ANSWER}")
    header = "max |grad - right| / max |right|"
    print(f"{'device':<6} {'dtype':<9} {'variant':<11} {'loss':>9} {'finite grads':>12} {header}")
    for device in devices:
        if device == "cuda":
            print(f"# {torch.cuda.get_device_name()}")
        for dtype in (torch.float32, torch.bfloat16):
            model = tiny_smollm(device)
            reference = None
            for name, inputs in variants.items():
                loss, grads = loss_and_grads(model, inputs, device, dtype)
                finite = bool(torch.isfinite(grads).all())
                reference = grads if reference is None else reference
                rel = ((grads - reference).abs().max() / reference.abs().max()).item()
                print(
                    f"{device:<6} {str(dtype)[6:]:<9} {name:<11} {loss:>9.5f} "
                    f"{str(finite):>12} {rel:>33.2e}"
                )


if __name__ == "__main__":
    main()
