"""`slmbench sweep --plan`: each cell's training tokens, counted with its model's tokenizer the
way training encodes them, and its estimated train and eval minutes on this CPU and on a GPU,
from the known throughputs (nothing is timed, nothing is written)."""

from __future__ import annotations

from typing import Any

from slmbench.specialize_plan import (
    BASE_PARAMS,
    EVAL_TOKENS_PER_S,
    TRAIN_TOKENS_PER_S,
    cpu_flags,
    cpu_train_rate,
)
from slmbench.specialize_plan import model_params as registered_params
from slmbench.sweep_cells import Cell
from slmbench.sweep_grid import Grid

FULL_FT_CPU_TOKENS_PER_S = {"fp32": 250.0, "bf16": 190.0, "bf16-emulated": 62.5}
"""Training tokens/s of a full fine-tune of the 135M model on 2 CPU cores, by the dtype that
`specialize_plan.cpu_train_rate` says training runs in (results/runs/train/quick*/train_meta.json,
tokens_seen / wall_s): `fp32`, 256 and 248 (`quick`, `quick-x2`, a Xeon without AVX512-BF16/AMX);
`bf16`, 189 (`quick-rerun`, bf16 autocast on a Xeon with AMX, while other jobs shared it);
`bf16-emulated` is not measured: a quarter of fp32, as with LoRA (`CPU_TRAIN_TOKENS_PER_S`).
On CUDA the LoRA figure is used (a full fine-tune measured faster there)."""
UNCONSTRAINED_EVAL_TOKENS_PER_S = 53.5
"""Generated tokens/s of an unconstrained eval at batch 8 on this CPU, on EdgeJSON: the 158-row
test split, fine-tuned 135M model, 19,813 tokens in 370.6 s
(`results/runs/eval/edgejson-x4-lora-r16-e3-x8half.on-edgejson-test.rerun`, throughput_tok_s).
Constrained evals use `specialize_plan.EVAL_TOKENS_PER_S`, as does CUDA."""
NO_TRUNCATION = 1 << 20


def estimate(grid: Grid, recipe: Any, cells: list[Cell], train_rows: list, order: list[str]) -> str:
    """A markdown table: per cell, training tokens per epoch and estimated minutes (train and
    validation eval, CPU and GPU), the test eval a chosen cell adds, and the totals."""
    from slmbench.data.rows import read_rows
    from slmbench.data.schemas import load_schemas

    schemas = load_schemas(grid.data.schemas)
    limit = grid.eval.limit or None
    val_rows = read_rows(grid.data.val, schemas)[:limit]
    test_rows = read_rows(grid.data.test, schemas)[:limit] if grid.data.test else []
    counts = {
        model: _token_counts(model, recipe, schemas, train_rows, val_rows, test_rows)
        for model in dict.fromkeys(c.model for c in cells)
    }
    lines = [
        "| cell | blocks | rows | tokens/epoch | epochs | CPU train min | CPU val eval min "
        "| CPU total min | GPU total min | test eval min (CPU / GPU) |",
        "|:--|:--|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    cpu = cpu_train_rate(recipe.bf16, cpu_flags())
    lora_cpu_rate = cpu["tokens_per_s"]
    full_cpu_rate = FULL_FT_CPU_TOKENS_PER_S[cpu["dtype"]]
    total_cpu = total_gpu = 0.0
    for cell in cells:
        lengths, val_answer, test_answer = counts[cell.model]
        tokens = sum(lengths.get(i, 0) for i in order[: cell.rows])
        scale = _scale(cell.model)
        cpu_rate = full_cpu_rate if cell.method == "full" else lora_cpu_rate
        cpu_train = tokens * cell.epochs * scale / cpu_rate / 60
        gpu_train = tokens * cell.epochs * scale / TRAIN_TOKENS_PER_S["cuda"] / 60
        cpu_val, gpu_val = (_eval_minutes(val_answer, d, scale, grid) for d in ("cpu", "cuda"))
        cpu_test, gpu_test = (_eval_minutes(test_answer, d, scale, grid) for d in ("cpu", "cuda"))
        total_cpu += cpu_train + cpu_val
        total_gpu += gpu_train + gpu_val
        lines.append(
            f"| {cell.name} | {', '.join(cell.blocks)} | {cell.rows} | {tokens:,} | "
            f"{cell.epochs:g} | {_min(cpu_train)} | {_min(cpu_val)} | "
            f"{_min(cpu_train + cpu_val)} | {_min(gpu_train + gpu_val)} | "
            f"{_min(cpu_test)} / {_min(gpu_test)} |"
        )
    lines.append(
        f"| **all {len(cells)} cells** |  |  |  |  |  |  | **{_min(total_cpu)}** "
        f"| **{_min(total_gpu)}** |  |"
    )
    lines += [
        "",
        f"Rates: training {lora_cpu_rate:.0f} tokens/s with LoRA and {full_cpu_rate:.0f} full "
        f"on the CPU ({cpu['why']}), {TRAIN_TOKENS_PER_S['cuda']:,.0f} on a GPU; eval "
        f"{eval_tokens_per_s('cpu', grid.eval.constrained):.1f} generated tokens/s on the CPU "
        f"({'constrained' if grid.eval.constrained else 'unconstrained'}), "
        f"{EVAL_TOKENS_PER_S['cuda']:.0f} on a GPU (slmbench.specialize_plan, "
        "slmbench.sweep_plan), for a 135M model, scaled by parameters for others. Generated "
        "tokens are taken as the gold answers' (EOS included); model loading is not counted. "
        f"Validation: {len(val_rows)} rows; test: {len(test_rows)} rows, chosen cells only.",
    ]
    return "\n".join(lines)


def _token_counts(model: str, recipe: Any, schemas, train_rows, val_rows, test_rows):
    """(training tokens per row id, answer tokens of the validation rows, of the test rows),
    with the model's tokenizer and the recipe's prompt style and length policy."""
    from transformers import AutoTokenizer

    from slmbench.models.registry import resolve_model
    from slmbench.train.dataset import IGNORE_INDEX, encode_rows

    tokenizer = AutoTokenizer.from_pretrained(resolve_model(model))
    style = recipe.prompt_style
    train = encode_rows(train_rows, tokenizer, style, schemas, recipe.max_length, recipe.truncation)
    lengths = {e.row_id: len(e) for e in train.examples}

    def answers(rows: list) -> int:
        encoded = encode_rows(rows, tokenizer, style, schemas, NO_TRUNCATION, "truncate")
        return sum(sum(1 for x in e.labels if x != IGNORE_INDEX) for e in encoded.examples)

    return lengths, answers(val_rows), answers(test_rows)


def _scale(model: str) -> float:
    """How much slower than the 135M model a model runs (its parameters over 135M's)."""
    params = registered_params(model)
    return params / BASE_PARAMS if params else 1.0


def eval_tokens_per_s(device: str, constrained: str | None) -> float:
    if device == "cpu" and constrained is None:
        return UNCONSTRAINED_EVAL_TOKENS_PER_S
    return EVAL_TOKENS_PER_S[device]


def _eval_minutes(tokens: int, device: str, scale: float, grid: Grid) -> float:
    return tokens * scale / eval_tokens_per_s(device, grid.eval.constrained) / 60


def _min(minutes: float) -> str:
    """Minutes for the table.

    >>> _min(0.2), _min(3.46), _min(152.6)
    ('<1', '3', '153')
    """
    return "<1" if minutes < 0.5 else f"{minutes:.0f}"
