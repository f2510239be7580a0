"""How much `slmbench specialize` trains: rows, epochs and validation rows, from the tokens per
row of a small probe build (counted with the model's tokenizer) and this machine's known
throughput. Nothing is timed at run time.

The plan aims at a number of answer tokens seen in training per schema (`answer_token_target`,
from the data-scaling runs) and spends at most the training share of the time budget on it.
When the budget cannot reach the target, the plan says so, with the budget that would, before
anything trains: one epoch over 522 rows of a 14-field schema (132,299 answer tokens, a seventh
of the target) gave an extractor that was always schema-valid and 5.5% exactly right
(experiments/LOG.md, specialize-shipping).

The CPU's training rate depends on its dtype, which the recipe's `bf16: auto` picks from the
CPU's instructions (`cpu_train_rate`, from /proc/cpuinfo's flags). Once the rows are built, the
longest training row sizes `max_length` (`fit_to_rows`): no row is truncated unless it is longer
than `MAX_LENGTH_CAP` or the model's context.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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
CPU_TRAIN_TOKENS_PER_S = {"fp32": 300.0, "bf16": 275.0, "bf16-emulated": 75.0}
"""Training tokens per second of the 135M model with this recipe (LoRA) on 2 CPU cores, by the
dtype training runs in (`tokens_seen / wall_s` of each run's train_meta.json; experiments/LOG.md,
"Training cost"): `fp32`, 279 and 324 on a Xeon with AVX-512 but no AVX512-BF16/AMX
(`train/edgejson-lora-r16-e6-drop0-cpu`, `train/edgejson-x4-lora-r16-e3-x8half`); `bf16`
autocast, 259 and 295 on a Xeon with AVX512-BF16 and AMX (`runs/specialize-v3-ex10/train`,
`runs/specialize-shipping/train`): native bf16 does not make this recipe faster than fp32 was
on the other machine. `bf16-emulated` (bf16 forced on a CPU without those instructions):
oneDNN emulates it, 50.5 against 199.8 tokens/s in fp32 on one thread
(`experiments/bench/bench_train-cpu-1thread.txt`), so a quarter of the fp32 rate. fp32 has not
been timed on a CPU with native bf16: its figure is the other machine's."""
TRAIN_TOKENS_PER_S = {"cpu": CPU_TRAIN_TOKENS_PER_S["fp32"], "cuda": 10_000.0}
"""Training tokens per second of the 135M model with LoRA: 9,600-11,800 on an H200
(experiments/LOG.md, "Training cost"); the CPU's figure here is fp32's, and `cpu_train_rate`
picks the one of this CPU. Other models scale by size."""
NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_tile")
"""/proc/cpuinfo flags of native bf16 instructions: those that `bf16: auto` checks before it
trains in bf16 (torch.cpu's AVX512-BF16 and AMX-tile tests, `train.trainer.resolve_bf16`)."""
CPUINFO = Path("/proc/cpuinfo")
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
MAX_LENGTH_CAP = 4096
"""The longest training row (prompt + answer + EOS, in tokens) that the plan makes room for,
and never beyond the model's context: 2.7 times the recipe's 1,536, at which 124 of the 1,483
rows of the v3 run were truncated and 27 dropped (experiments/LOG.md, specialize-v3). A longer
row is truncated (or dropped) by the recipe's policy, and counted. `--max-length` overrides."""
MAX_LENGTH_STEP = 256
"""max_length is the smallest multiple of this that holds the longest training row."""
NO_LIMIT = 1 << 30
"""A max_length or token cap that no row reaches: lengths are counted whole."""


def probe_lengths(
    opts: SpecializeOptions,
    recipe: Any,
    schema_dir: Path,
    examples: Path | None,
    tmp: Path,
    max_length: int,
) -> tuple[float, float]:
    """Mean training tokens (prompt + answer + EOS, as the recipe encodes them, rows longer
    than `max_length` cut to it) and answer tokens per row of a small build of the same data,
    counted with the model's tokenizer."""
    from slmbench.data.rows import read_rows
    from slmbench.data.schemas import load_schemas
    from slmbench.data.synth import SynthOptions, synth
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
    encoded = encode_rows(
        rows,
        model_tokenizer(opts.model),
        recipe.prompt_style,
        schemas,
        max_length,
        recipe.truncation,
    )
    examples_seen = encoded.examples
    if not examples_seen:
        raise SlmbenchError(f"no row of {opts.schema} fits in {max_length} tokens")
    total = sum(len(e) for e in examples_seen) / len(examples_seen)
    answer = sum(
        sum(1 for label in e.labels if label != IGNORE_INDEX) for e in examples_seen
    ) / len(examples_seen)
    return round(total, 1), round(answer, 1)


def model_tokenizer(model: str) -> Any:
    """The model's tokenizer, as training loads it."""
    from transformers import AutoTokenizer

    from slmbench.models.registry import resolve_model

    return AutoTokenizer.from_pretrained(resolve_model(model))


def model_context(model: str) -> int | None:
    """The model's context length (`max_position_embeddings` of its config), else None."""
    from transformers import AutoConfig

    from slmbench.models.registry import resolve_model

    config = AutoConfig.from_pretrained(resolve_model(model)).get_text_config()
    return getattr(config, "max_position_embeddings", None)


def length_cap(opts: SpecializeOptions) -> tuple[int, str]:
    """(the longest training row to make room for, why): `--max-length`, else `MAX_LENGTH_CAP`
    or the model's context when that is shorter."""
    context = model_context(opts.model)
    given = getattr(opts, "max_length", None)
    if given is not None:
        if context is not None and given > context:
            raise SlmbenchError(
                f"--max-length {given}: longer than the context of {opts.model} ({context})"
            )
        return given, "--max-length"
    if context is not None and context < MAX_LENGTH_CAP:
        return context, f"the model's context ({context})"
    return MAX_LENGTH_CAP, f"{MAX_LENGTH_CAP} (slmbench.specialize_plan.MAX_LENGTH_CAP)"


def choose_max_length(lengths: Sequence[int], cap: int) -> int:
    """The smallest multiple of `MAX_LENGTH_STEP` holding the longest row, at most `cap`.

    >>> choose_max_length([90, 700], 4096), choose_max_length([1537], 4096)
    (768, 1792)
    >>> choose_max_length([5000, 12], 4096), choose_max_length([1900], 2000)
    (4096, 2000)
    """
    longest = max(lengths, default=1)
    return min(cap, MAX_LENGTH_STEP * math.ceil(longest / MAX_LENGTH_STEP))


def cpu_flags(cpuinfo: Path = CPUINFO) -> frozenset[str] | None:
    """The instruction-set flags of /proc/cpuinfo (its first `flags` line), None where there is
    no such file (not Linux)."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("flags") and ":" in line:
            return frozenset(line.split(":", 1)[1].split())
    return None


def cpu_train_rate(bf16: str, flags: frozenset[str] | None) -> dict[str, Any]:
    """This CPU's training rate for the 135M model (`CPU_TRAIN_TOKENS_PER_S`), from the dtype
    that the recipe's `bf16` setting trains in on it, and why.

    >>> cpu_train_rate("auto", frozenset({"avx512f", "avx512_bf16", "amx_tile"}))["dtype"]
    'bf16'
    >>> cpu_train_rate("auto", frozenset({"avx512f"}))["tokens_per_s"]
    300.0
    """
    if flags is None:  # no /proc/cpuinfo: torch's own check, as training makes it
        from slmbench.train.trainer import resolve_bf16

        native, seen = resolve_bf16("auto", "cpu"), "torch.cpu's checks"
    else:
        found = [f for f in NATIVE_BF16_FLAGS if f in flags]
        native = bool(found)
        seen = f"/proc/cpuinfo: {' '.join(found)}" if found else "none in /proc/cpuinfo"
    uses_bf16 = bf16 == "true" or (bf16 == "auto" and native)
    dtype = "fp32" if not uses_bf16 else "bf16" if native else "bf16-emulated"
    has = f"{'' if native else 'no '}AVX512-BF16/AMX ({seen})"
    why = {
        "bf16": f"bf16 autocast: this CPU has {has}",
        "fp32": f"fp32: this CPU has {has}"
        + ("" if bf16 == "auto" else ", and the recipe sets bf16 false"),
        "bf16-emulated": f"bf16 set by the recipe on a CPU with {has}: emulated, ~4x slower",
    }[dtype]
    return {"tokens_per_s": CPU_TRAIN_TOKENS_PER_S[dtype], "dtype": dtype, "why": why}


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
    cpu_rate: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Rows, epochs and validation rows: training aims at `answer_token_target` answer tokens
    per schema and gets at most `TRAIN_SHARE` of the budget at the known throughput (on the
    CPU `cpu_rate`, default this CPU's with the recipe's `bf16: auto`), fresh rows first (up to
    `MAX_ROWS_PER_SCHEMA` per schema) and then epochs (up to the recipe's); eval and export
    share the rest. Explicit n/epochs/n_test win. `warning` says when the plan falls short of
    the target, and which budget would reach it.

    >>> from slmbench.specialize import SpecializeOptions
    >>> opts = SpecializeOptions(schema=Path("s"), out=Path("o"), budget_minutes=30)
    >>> fp32 = cpu_train_rate("auto", frozenset())
    >>> plan = plan_budget(opts, "cpu", 1, 2, 900.0, 200.0, recipe_epochs=6.0, cpu_rate=fp32)
    >>> plan["rows"], plan["epochs"], plan["test_rows"], plan["answer_tokens_planned"]
    (360, 1.0, 107, 72000)
    >>> plan["target_reached"], plan["budget_minutes_for_target"]
    (False, 400)
    >>> plan_budget(opts, "cuda", 1, 2, 900.0, 200.0, 6.0)["rows"]  # the target, not the budget
    4750
    """
    params = model_params(opts.model)
    scale = BASE_PARAMS / params if params else 1.0
    cpu_rate = cpu_rate or cpu_train_rate("auto", cpu_flags())
    rates = {"cpu": cpu_rate["tokens_per_s"], "cuda": TRAIN_TOKENS_PER_S["cuda"]}
    train_tps, eval_tps = rates[device] * scale, EVAL_TOKENS_PER_S[device] * scale
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
        d: _minutes_for(wanted, tokens_per_row, rate * scale) for d, rate in rates.items()
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
        "train_dtype": cpu_rate["dtype"] if device == "cpu" else "bf16 where the card has it",
        "train_rate_source": cpu_rate["why"] if device == "cpu" else "CUDA: the H200's rate",
        "eval_tokens_per_s": round(eval_tps, 1),
        "throughput_source": (
            "slmbench.specialize_plan.CPU_TRAIN_TOKENS_PER_S (experiments/LOG.md, 'Training "
            f"cost': 135M model, LoRA, {cpu_rate['dtype']})"
            if device == "cpu"
            else "experiments/LOG.md, 'Training cost' (135M model, LoRA, H200)"
        )
        + "; eval: shipping-specialized.eval-synthetic"
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


def fit_to_rows(
    opts: SpecializeOptions,
    recipe: Any,
    plan: dict[str, Any],
    train_file: Path,
    eval_files: Sequence[Path],
    schema_dir: Path,
) -> dict[str, Any]:
    """What the built rows ask of training and eval, counted with the model's tokenizer as
    training encodes them: `max_length` (`--max-length`, else `choose_max_length` of the
    longest training row within the plan's cap), the rows that it truncates or drops (by the
    recipe's policy), the training tokens and minutes that it means at the plan's rate, a
    `token_budget` when max_length passes the recipe's (so that a micro-batch holds no more
    tokens than the recipe's own longest: memory stays what the recipe was run with, and long
    rows travel in smaller batches), and the evals' `max_new_tokens`, which the longest gold
    of `eval_files` fits. `warning` when training now looks longer than the plan's share."""
    from slmbench.data.rows import read_rows
    from slmbench.data.schemas import load_schemas
    from slmbench.eval.api import DEFAULT_MAX_NEW_TOKENS
    from slmbench.eval.runner import max_new_tokens_for
    from slmbench.prompts import format_answer
    from slmbench.train.dataset import encode_rows

    schemas = load_schemas(schema_dir)
    tokenizer = model_tokenizer(opts.model)
    style, policy = recipe.prompt_style, recipe.truncation
    rows = read_rows(train_file, schemas)
    lengths = [
        len(e) for e in encode_rows(rows, tokenizer, style, schemas, NO_LIMIT, policy).examples
    ]
    longest = max(lengths, default=0)
    cap, cap_source = (
        (plan["max_length_cap"], plan.get("max_length_cap_source"))
        if plan.get("max_length_cap")
        else length_cap(opts)
    )
    given = getattr(opts, "max_length", None)
    max_length = given if given is not None else choose_max_length(lengths, cap)
    over = sum(1 for n in lengths if n > max_length)
    truncated = dropped = 0
    tokens = sum(lengths)
    if over:  # the recipe's long-row policy, as training applies it
        kept = encode_rows(rows, tokenizer, style, schemas, max_length, policy)
        truncated, dropped = len(kept.truncated_ids), len(kept.dropped_ids)
        tokens = sum(len(e) for e in kept.examples)
    if given is not None:
        rule = "--max-length"
    else:
        rule = f"the longest training row, {longest} tokens, to the next {MAX_LENGTH_STEP}"
        if longest > cap:
            rule += f", capped at {cap_source or cap}"
    budget = None
    if max_length > recipe.max_length and recipe.token_budget is None:
        budget = recipe.per_device_batch_size * recipe.max_length
    golds = [
        format_answer(row.expected_output)
        for path in eval_files
        if Path(path).is_file()
        for row in read_rows(path, schemas)
        if row.expected_output is not None
    ]
    encoded_golds = tokenizer(golds, add_special_tokens=False)["input_ids"] if golds else []
    longest_gold = max((len(ids) for ids in encoded_golds), default=0)
    minutes = round(tokens * plan["epochs"] / plan["train_tokens_per_s"] / 60, 1)
    share = TRAIN_SHARE * opts.budget_minutes
    warning = None
    if plan.get("sized_by") == "budget" and minutes > 1.1 * share:
        warning = (
            f"the training rows are longer than the probe's: {tokens * plan['epochs']:,.0f} "
            f"tokens take ~{minutes} min at {plan['train_tokens_per_s']:.0f} tokens/s, over the "
            f"{share:.1f} min that --budget-minutes {opts.budget_minutes:g} gives training"
        )
    return {
        "max_length": max_length,
        "max_length_rule": rule,
        "longest_row_tokens": longest,
        "rows_longer_than_max_length": over,
        "rows_truncated": truncated,
        "rows_dropped": dropped,
        "token_budget": budget,
        "train_tokens_per_epoch": tokens,
        "estimated_train_minutes": minutes,
        "longest_gold_tokens": longest_gold,
        "eval_max_new_tokens": max(
            DEFAULT_MAX_NEW_TOKENS, max_new_tokens_for(longest_gold, NO_LIMIT)
        ),
        "fit_warning": warning,
    }
