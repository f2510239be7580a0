"""Training step cost of the answer-span loss against the plain causal-LM loss, on the embedded
model with the `recommended` LoRA: tokens/s, peak memory and the loss values of both.

Usage: .venv/bin/python benchmarks/bench_answer_span.py [--data FILE] [--batches 6] [--repeats 2]

`full`: right-padded batches, `model(**batch, labels=...)`: logits and softmax over the whole
vocabulary at every position. `span` (what `slmbench train` does): left-padded batches and
`logits_to_keep` = the trailing answer span (`sft_trainer.answer_logit_span`). Each mode runs in
its own process (peak RSS is per process) over the same batches: `--batches` length-grouped
batches of the recipe's micro-batch size from the middle of the length distribution, one
warm-up pass without dropout (its losses are compared), then `--repeats` timed passes of
forward + backward with dropout, as in training (no optimiser step).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

DEFAULT_DATA = Path("results/data/edgejson-seed0/train.jsonl")


def run_mode(mode: str, data: Path, n_batches: int, repeats: int) -> dict:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from slmbench.data.rows import read_rows
    from slmbench.data.schemas import load_schemas
    from slmbench.models.embedded import EMBEDDED_NAME
    from slmbench.models.registry import resolve_model
    from slmbench.train.dataset import LengthGroupedBatchSampler, PaddingCollator, encode_rows
    from slmbench.train.recipe import load_recipe
    from slmbench.train.sft_trainer import answer_logit_span
    from slmbench.train.trainer import prepare_model

    recipe, _ = load_recipe("recommended")
    model_dir = resolve_model(EMBEDDED_NAME)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    schemas = load_schemas(None)
    rows = read_rows(data, schemas)
    examples = encode_rows(
        rows, tokenizer, recipe.prompt_style, schemas, recipe.max_length, recipe.truncation
    ).examples
    sampler = LengthGroupedBatchSampler(
        [len(e) for e in examples], recipe.per_device_batch_size, recipe.seed
    )
    batches = sorted(sampler, key=lambda b: max(len(examples[i]) for i in b))
    middle = len(batches) // 2 - n_batches // 2
    chosen = batches[middle : middle + n_batches]

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    model = prepare_model(model, recipe)
    model.train()
    collate = PaddingCollator(
        tokenizer.pad_token_id, padding_side="left" if mode == "span" else "right"
    )
    inputs = [
        collate([{"input_ids": examples[i].input_ids, "labels": examples[i].labels} for i in b])
        for b in chosen
    ]

    def step(batch: dict) -> float:
        if mode == "span":  # as AnswerOnlyTrainer.compute_loss does
            span = answer_logit_span(batch["labels"])
            batch = {**batch, "labels": batch["labels"][:, -span:], "logits_to_keep": span}
        loss = model(**batch).loss
        loss.backward()
        model.zero_grad(set_to_none=True)
        return loss.item()

    model.eval()  # the warm-up pass without LoRA dropout, so that the two modes' losses compare
    losses = [step(b) for b in inputs]
    model.train()
    start = time.perf_counter()
    for _ in range(repeats):
        for b in inputs:
            step(b)
    seconds = (time.perf_counter() - start) / repeats
    tokens = sum(int(b["attention_mask"].sum()) for b in inputs)
    return {
        "mode": mode,
        "threads": torch.get_num_threads(),
        "batches": [list(b["input_ids"].shape) for b in inputs],
        "tokens": tokens,
        "tokens_per_s": round(tokens / seconds, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "losses": [round(x, 6) for x in losses],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--batches", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--mode", choices=["full", "span"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode:
        print(json.dumps(run_mode(args.mode, args.data, args.batches, args.repeats)))
        return
    results = {}
    for mode in ("full", "span"):
        command = [sys.executable, __file__, "--mode", mode, "--data", str(args.data)]
        command += ["--batches", str(args.batches), "--repeats", str(args.repeats)]
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        results[mode] = json.loads(done.stdout.strip().splitlines()[-1])
    full, span = results["full"], results["span"]
    print(f"data: {args.data}; batches (rows x padded length): {full['batches']}")
    print(f"{'mode':<5} {'threads':>7} {'tokens':>7} {'tokens/s':>9} {'peak RSS MB':>12}")
    for r in (full, span):
        print(
            f"{r['mode']:<5} {r['threads']:>7} {r['tokens']:>7} {r['tokens_per_s']:>9} "
            f"{r['peak_rss_mb']:>12}"
        )
    gap = max(abs(a - b) for a, b in zip(full["losses"], span["losses"], strict=True))
    print(
        f"speed-up {span['tokens_per_s'] / full['tokens_per_s']:.2f}x; largest loss gap {gap:.2e}"
    )


if __name__ == "__main__":
    main()
