"""How much `slmbench specialize` trains: rows, epochs and validation rows that fit a time
budget, from the tokens per row of a small probe build (counted with the model's tokenizer) and
this machine's known throughput. Nothing is timed at run time."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slmbench.errors import SlmbenchError
from slmbench.known_models import EMBEDDED_NAME, MODELS

if TYPE_CHECKING:
    from slmbench.specialize import SpecializeOptions

RECIPE = "recommended"
# One recipe on the CPU and on CUDA, only its rows and epochs sized to the budget: `recommended`
# (LoRA) rather than `quick` (a full fine-tune) because its `chat-schema` prompt carries the
# schema, so one model serves several schemas (and the user's new ones, which no hand-written
# prompt knows), its adapter keeps OUT small, and the CPU throughput below was measured with
# LoRA. On CUDA the same plan simply affords more rows and up to the recipe's own 6 epochs.
TRAIN_SHARE = 0.6
"""Fraction of the budget planned for training; the rest is for eval and export."""
TRAIN_TOKENS_PER_S = {"cpu": 300.0, "cuda": 10_000.0}
"""Training tokens per second of the 135M model with LoRA (experiments/LOG.md, "Training
cost"): 279-324 on this 2-core CPU, 9,600-11,800 on an H200. Other models scale by size."""
EVAL_TOKENS_PER_S = {"cpu": 60.0, "cuda": 600.0}
"""Generated tokens per second of a constrained eval at batch 8: 67 on this CPU (LOG.md,
`bench_eval.txt`); the CUDA figure is a cautious guess (no eval throughput measured there)."""
EXPORT_S = {"cpu": 90.0, "cuda": 60.0}
"""Time set aside for the GGUF export (merge and write a 135M model): an allowance."""
BASE_PARAMS = MODELS[EMBEDDED_NAME].params
MIN_ROWS_PER_SCHEMA = 8
"""The least worth training: one optimiser step of the recipe's 4 x 2 batches per schema."""
MAX_ROWS_PER_SCHEMA = 2000
"""Fresh rows before the plan spends the budget on more epochs instead."""
MAX_TEST_ROWS = 200
PROBE_ROWS_PER_SCHEMA = 16


def probe_lengths(
    opts: SpecializeOptions, recipe: Any, schema_dir: Path, examples: Path | None, tmp: Path
) -> tuple[float, float]:
    """Mean training tokens (prompt + answer + EOS, as the recipe encodes them) and answer
    tokens per row of a small build of the same data, counted with the model's tokenizer."""
    from transformers import AutoTokenizer

    from slmbench.data.rows import read_rows
    from slmbench.data.schemas import load_schemas
    from slmbench.data.synth import SynthOptions, synth
    from slmbench.models.registry import resolve_model
    from slmbench.train.dataset import IGNORE_INDEX, encode_rows

    n_schemas = sum(1 for _ in schema_dir.glob("*.json"))
    built = synth(
        SynthOptions(
            schema=schema_dir,
            out=tmp,
            examples=examples,
            n=PROBE_ROWS_PER_SCHEMA * n_schemas,
            n_test=n_schemas,
            seed=opts.seed,
        )
    )
    schemas = load_schemas(built / "schemas")
    rows = read_rows(built / "train.jsonl", schemas)
    tokenizer = AutoTokenizer.from_pretrained(resolve_model(opts.model))
    encoded = encode_rows(
        rows, tokenizer, recipe.prompt_style, schemas, recipe.max_length, recipe.truncation
    )
    examples_seen = encoded.examples
    if not examples_seen:
        raise SlmbenchError(f"no row of {opts.schema} fits in {recipe.max_length} tokens")
    total = sum(len(e) for e in examples_seen) / len(examples_seen)
    answer = sum(
        sum(1 for label in e.labels if label != IGNORE_INDEX) for e in examples_seen
    ) / len(examples_seen)
    return round(total, 1), round(answer, 1)


def model_params(model: str) -> int | None:
    """The parameter count of a registered model (by name or hub id), else None."""
    for spec in MODELS.values():
        if model.lower() in (spec.name, spec.hub_id.lower()):
            return spec.params
    return None


def plan_budget(
    opts: SpecializeOptions,
    device: str,
    n_schemas: int,
    n_val_examples: int,
    tokens_per_row: float,
    answer_tokens: float,
    recipe_epochs: float,
) -> dict[str, Any]:
    """Rows, epochs and validation rows that fit the budget: training gets `TRAIN_SHARE` of it
    at the known throughput, fresh rows first (up to `MAX_ROWS_PER_SCHEMA` per schema) and then
    epochs (up to the recipe's); eval and export share the rest. Explicit n/epochs/n_test win.

    >>> from slmbench.specialize import SpecializeOptions
    >>> opts = SpecializeOptions(schema=Path("s"), out=Path("o"), budget_minutes=30)
    >>> plan = plan_budget(opts, "cpu", 1, 2, 900.0, 200.0, recipe_epochs=6.0)
    >>> plan["rows"], plan["epochs"], plan["test_rows"]
    (360, 1.0, 173)
    """
    params = model_params(opts.model)
    scale = BASE_PARAMS / params if params else 1.0
    train_tps, eval_tps = TRAIN_TOKENS_PER_S[device] * scale, EVAL_TOKENS_PER_S[device] * scale
    budget_s = opts.budget_minutes * 60
    passes = TRAIN_SHARE * budget_s * train_tps / tokens_per_row
    min_rows = MIN_ROWS_PER_SCHEMA * n_schemas
    if opts.n is None and passes < min_rows:
        need = min_rows * tokens_per_row / train_tps / TRAIN_SHARE / 60
        raise SlmbenchError(
            f"--budget-minutes {opts.budget_minutes:g} is too small to train anything: "
            f"{min_rows} rows of ~{tokens_per_row:.0f} tokens take ~{need * TRAIN_SHARE:.1f} min "
            f"at {train_tps:.0f} tokens/s ({device}); give at least {math.ceil(need)} minutes"
        )
    rows = opts.n or int(min(passes, MAX_ROWS_PER_SCHEMA * n_schemas))
    epochs = opts.epochs or min(recipe_epochs, max(1.0, math.floor(10 * passes / rows) / 10))
    eval_row_s = (answer_tokens + 16) / eval_tps
    eval_s = max(0.0, (1 - TRAIN_SHARE) * budget_s - EXPORT_S[device])
    affordable = int(eval_s / eval_row_s) - n_val_examples
    test_rows = opts.n_test or max(n_schemas, min(MAX_TEST_ROWS, affordable))
    train_minutes = rows * epochs * tokens_per_row / train_tps / 60
    eval_minutes = (test_rows + n_val_examples) * eval_row_s / 60
    return {
        "name": RECIPE,
        "device": device,
        "rows": rows,
        "epochs": epochs,
        "test_rows": test_rows,
        "tokens_per_row": tokens_per_row,
        "answer_tokens_per_row": answer_tokens,
        "train_tokens_per_s": round(train_tps, 1),
        "eval_tokens_per_s": round(eval_tps, 1),
        "throughput_source": "experiments/LOG.md, 'Training cost' (135M model, LoRA)"
        + ("" if params else "; model size unknown, taken as 135M"),
        "estimated_train_minutes": round(train_minutes, 1),
        "estimated_eval_minutes": round(eval_minutes, 1),
        "train_share": TRAIN_SHARE,
        "sized_by": "options" if opts.n and opts.epochs else "budget",
    }
