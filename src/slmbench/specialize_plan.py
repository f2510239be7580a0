"""How much `slmbench specialize` trains: rows, epochs and validation rows, from the tokens per
row of a small probe build (counted with the model's tokenizer) and this machine's known
throughput. Nothing is timed at run time.

The plan aims at a number of answer tokens seen in training per schema (`answer_token_target`,
from the data-scaling runs) and spends at most the training share of the time budget on it.
When the budget cannot reach the target, the plan says so, with the budget that would, before
anything trains: one epoch over 522 rows of a 14-field schema (132,299 answer tokens, a seventh
of the target) gave an extractor that was always schema-valid and 5.5% exactly right
(experiments/LOG.md, specialize-shipping).
"""

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
EVAL_TOKENS_PER_S = {"cpu": 37.6, "cuda": 600.0}
"""Generated tokens per second of a constrained eval at batch 8 on this CPU, measured on long
answers: 36,844 tokens in 979 s over 146 rows of ~250 answer tokens
(`results/runs/eval/shipping-specialized.eval-synthetic`, latency.throughput_tok_s 37.6; the
unconstrained `bench_eval.txt` figure, 67 on ~117-token answers, made the plan 1.6x short).
The CUDA figure is a cautious guess (no eval throughput measured there)."""
EVAL_ROW_TOKENS = 16
"""Per eval row, on top of its answer tokens: the generated tokens beyond the answer and the
prompt's processing (measured above: (238.8 + 16) / 37.6 = 6.78 s a row, against 6.71)."""
ANSWER_TOKENS_TOTAL = 950_000
"""Answer tokens seen in training by the one fresh adapter that came within a point of the 80%
target: `edgejson-x4-lora-r16-e3` saw 948,795 over 24 schemas (2516 rows x 3 epochs) and scored
79.7% JSONExact, complex tier 46.9%; 425,385 gave 52.5% (566 rows x 6) and 70,898 30.4% (566 x
1); x2 rows x 6 epochs, 954,432, gave 69.6%: distinct rows count more than epochs, so the plan
adds rows before epochs. `experiments/data-scaling/answer_tokens.py` counts them
(`answer_tokens.txt`). A model that learns one schema still has to learn the task: this total
is the target even for a single schema."""
ANSWER_TOKENS_PER_SCHEMA = 26_000
"""The least per schema when many share the model: the x4 run's median schema saw 26,322."""
EXPORT_S = {"cpu": 90.0, "cuda": 60.0}
"""Time set aside for the GGUF export (merge and write a 135M model): an allowance."""
BASE_PARAMS = MODELS[EMBEDDED_NAME].params
MIN_ROWS_PER_SCHEMA = 8
"""The least worth training: one optimiser step of the recipe's 4 x 2 batches per schema."""
MAX_ROWS_PER_SCHEMA = 5000
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


def answer_token_target(n_schemas: int, from_adapter: bool = False) -> int:
    """Answer tokens to see in training, per schema: the data-scaling total shared by the
    schemas, at least `ANSWER_TOKENS_PER_SCHEMA` each. An adapter that was trained already
    (`--init-adapter`) has learnt the task: then the per-schema least alone (not measured).

    >>> answer_token_target(1), answer_token_target(24), answer_token_target(100)
    (950000, 39584, 26000)
    >>> answer_token_target(1, from_adapter=True)
    26000
    """
    if from_adapter:
        return ANSWER_TOKENS_PER_SCHEMA
    return max(ANSWER_TOKENS_PER_SCHEMA, math.ceil(ANSWER_TOKENS_TOTAL / n_schemas))


def plan_budget(
    opts: SpecializeOptions,
    device: str,
    n_schemas: int,
    n_val_examples: int,
    tokens_per_row: float,
    answer_tokens: float,
    recipe_epochs: float,
) -> dict[str, Any]:
    """Rows, epochs and validation rows: training aims at `answer_token_target` answer tokens
    per schema and gets at most `TRAIN_SHARE` of the budget at the known throughput, fresh rows
    first (up to `MAX_ROWS_PER_SCHEMA` per schema) and then epochs (up to the recipe's); eval
    and export share the rest. Explicit n/epochs/n_test win. `warning` says when the plan
    falls short of the target, and which budget would reach it.

    >>> from slmbench.specialize import SpecializeOptions
    >>> opts = SpecializeOptions(schema=Path("s"), out=Path("o"), budget_minutes=30)
    >>> plan = plan_budget(opts, "cpu", 1, 2, 900.0, 200.0, recipe_epochs=6.0)
    >>> plan["rows"], plan["epochs"], plan["test_rows"], plan["answer_tokens_planned"]
    (360, 1.0, 107, 72000)
    >>> plan["target_reached"], plan["budget_minutes_for_target"]
    (False, 400)
    >>> plan_budget(opts, "cuda", 1, 2, 900.0, 200.0, 6.0)["rows"]  # the target, not the budget
    4750
    """
    params = model_params(opts.model)
    scale = BASE_PARAMS / params if params else 1.0
    train_tps, eval_tps = TRAIN_TOKENS_PER_S[device] * scale, EVAL_TOKENS_PER_S[device] * scale
    budget_s = opts.budget_minutes * 60
    affordable = TRAIN_SHARE * budget_s * train_tps / tokens_per_row
    min_rows = MIN_ROWS_PER_SCHEMA * n_schemas
    if opts.n is None and affordable < min_rows:
        need = min_rows * tokens_per_row / train_tps / TRAIN_SHARE / 60
        raise SlmbenchError(
            f"--budget-minutes {opts.budget_minutes:g} is too small to train anything: "
            f"{min_rows} rows of ~{tokens_per_row:.0f} tokens take ~{need * TRAIN_SHARE:.1f} min "
            f"at {train_tps:.0f} tokens/s ({device}); give at least {math.ceil(need)} minutes"
        )
    from_adapter = getattr(opts, "init_adapter", None) is not None
    per_schema = answer_token_target(n_schemas, from_adapter)
    target = per_schema * n_schemas
    wanted = math.ceil(target / answer_tokens)
    passes = max(min_rows, min(affordable, wanted))
    rows = opts.n or int(min(passes, MAX_ROWS_PER_SCHEMA * n_schemas))
    epochs = opts.epochs or min(recipe_epochs, max(1.0, math.floor(10 * passes / rows) / 10))
    eval_row_s = (answer_tokens + EVAL_ROW_TOKENS) / eval_tps
    eval_s = max(0.0, (1 - TRAIN_SHARE) * budget_s - EXPORT_S[device])
    affordable_test = int(eval_s / eval_row_s) - n_val_examples
    test_rows = opts.n_test or max(n_schemas, min(MAX_TEST_ROWS, affordable_test))
    train_minutes = rows * epochs * tokens_per_row / train_tps / 60
    eval_minutes = (test_rows + n_val_examples) * eval_row_s / 60
    planned = round(rows * epochs * answer_tokens)
    need_minutes = {
        d: _minutes_for(wanted, tokens_per_row, TRAIN_TOKENS_PER_S[d] * scale)
        for d in TRAIN_TOKENS_PER_S
    }
    plan = {
        "name": RECIPE,
        "device": device,
        "rows": rows,
        "epochs": epochs,
        "test_rows": test_rows,
        "tokens_per_row": tokens_per_row,
        "answer_tokens_per_row": answer_tokens,
        "answer_tokens_target": target,
        "answer_tokens_target_per_schema": per_schema,
        "answer_tokens_planned": planned,
        "target_reached": planned >= target * 0.99,
        "target_source": "experiments/LOG.md, 'data-scaling' (answer_tokens.txt): "
        + ("the per-schema least (an adapter trained before)" if from_adapter else "the 4x run"),
        "budget_minutes_for_target": need_minutes[device],
        "budget_minutes_for_target_by_device": need_minutes,
        "train_tokens_per_s": round(train_tps, 1),
        "eval_tokens_per_s": round(eval_tps, 1),
        "throughput_source": "experiments/LOG.md, 'Training cost' (135M model, LoRA); eval: "
        "shipping-specialized.eval-synthetic"
        + ("" if params else "; model size unknown, taken as 135M"),
        "estimated_train_minutes": round(train_minutes, 1),
        "estimated_eval_minutes": round(eval_minutes, 1),
        "train_share": TRAIN_SHARE,
        "sized_by": "options" if opts.n and opts.epochs else "budget",
    }
    plan["warning"] = None if plan["target_reached"] else shortfall_warning(plan, opts)
    return plan


def _minutes_for(passes: int, tokens_per_row: float, train_tps: float) -> int:
    """The budget (whole minutes, rounded up to 5) whose training share trains `passes` rows."""
    minutes = passes * tokens_per_row / train_tps / TRAIN_SHARE / 60
    return max(5, 5 * math.ceil(minutes / 5))


def shortfall_warning(plan: dict, opts: SpecializeOptions) -> str:
    """One paragraph for the console, specialize.json and the model card."""
    by_device = plan["budget_minutes_for_target_by_device"]
    elsewhere = ", ".join(f"{m} on {d}" for d, m in by_device.items() if d != plan["device"])
    fixed = [f"--{name} {getattr(opts, name):g}" for name in ("n", "epochs") if getattr(opts, name)]
    why = (
        f"{' and '.join(fixed)} give{'s' if len(fixed) == 1 else ''}"
        if fixed
        else f"--budget-minutes {opts.budget_minutes:g} affords"
    )
    target, per = plan["answer_tokens_target"], plan["answer_tokens_target_per_schema"]
    share = plan["answer_tokens_planned"] / target
    advice = "without --n/--epochs, --budget-minutes" if fixed else "--budget-minutes"
    return (
        f"{why} {plan['answer_tokens_planned']:,} answer tokens of training, "
        f"{share:.1%} of the {target:,}"
        + (f" ({per:,} per schema)" if per != target else "")
        + " that the data-scaling runs needed for ~80% JSONExact (experiments/LOG.md): expect an "
        "extractor that is always schema-valid but often not exactly right. "
        f"{advice} {plan['budget_minutes_for_target']} would reach it on {plan['device']}"
        + (f" ({elsewhere})" if elsewhere else "")
        + "."
    )
