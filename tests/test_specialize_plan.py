"""The specialize planner's sizing from this machine and from the rows: the CPU's training rate
by the dtype its instructions give (fake /proc/cpuinfo files), and max_length and the evals' new
tokens from the built rows, counted with the tiny tokenizer as training encodes them (no model
is trained here)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from slmbench.errors import SlmbenchError
from slmbench.specialize import SpecializeOptions
from slmbench.specialize_plan import (
    CPU_TRAIN_TOKENS_PER_S,
    NO_LIMIT,
    TRAIN_SHARE,
    cpu_flags,
    cpu_train_rate,
    fit_to_rows,
    plan_budget,
)
from slmbench.train.recipe import load_recipe

RECIPE, _ = load_recipe("recommended")
CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Processor
flags\t\t: fpu sse2 avx2 avx512f avx512bw {extra}
bugs\t\t: spectre_v1

processor\t: 1
flags\t\t: fpu sse2 avx2 avx512f avx512bw {extra}
"""


def fake_cpuinfo(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / f"cpuinfo-{len(extra)}"
    path.write_text(CPUINFO.format(extra=extra))
    return path


def test_the_cpu_rate_follows_the_dtype_its_flags_give(tmp_path):
    amx = cpu_flags(fake_cpuinfo(tmp_path, "avx512_bf16 amx_bf16 amx_tile"))
    plain = cpu_flags(fake_cpuinfo(tmp_path, ""))
    assert amx is not None and "amx_tile" in amx and plain is not None and "avx512f" in plain
    native = cpu_train_rate("auto", amx)
    assert native["dtype"] == "bf16" and native["tokens_per_s"] == CPU_TRAIN_TOKENS_PER_S["bf16"]
    assert "avx512_bf16 amx_tile" in native["why"]
    fp32 = cpu_train_rate("auto", plain)
    assert fp32["dtype"] == "fp32" and fp32["tokens_per_s"] == CPU_TRAIN_TOKENS_PER_S["fp32"]
    assert "no AVX512-BF16/AMX" in fp32["why"]
    assert cpu_train_rate("true", plain)["dtype"] == "bf16-emulated"  # forced, and slow
    assert cpu_train_rate("false", amx)["dtype"] == "fp32"
    assert cpu_flags(tmp_path / "no-such-file") is None


def test_the_plan_sizes_rows_and_minutes_at_the_chosen_rate(tmp_path):
    opts = SpecializeOptions(schema=Path("s"), out=Path("o"), budget_minutes=30)
    rates = {
        "bf16": cpu_train_rate("auto", frozenset({"avx512_bf16"})),
        "fp32": cpu_train_rate("auto", frozenset()),
        "bf16-emulated": cpu_train_rate("true", frozenset()),
    }
    plans = {
        k: plan_budget(opts, "cpu", 1, 0, 900.0, 200.0, 6.0, rate) for k, rate in rates.items()
    }
    for dtype, plan in plans.items():
        tps = CPU_TRAIN_TOKENS_PER_S[dtype]
        assert plan["train_dtype"] == dtype and plan["train_tokens_per_s"] == tps
        assert plan["train_rate_source"] == rates[dtype]["why"]
        assert plan["rows"] == int(TRAIN_SHARE * 30 * 60 * tps / 900.0)
        assert plan["estimated_train_minutes"] == pytest.approx(
            plan["rows"] * plan["epochs"] * 900.0 / tps / 60, abs=0.05
        )
    assert plans["fp32"]["rows"] > plans["bf16"]["rows"] > plans["bf16-emulated"]["rows"]
    cuda = plan_budget(opts, "cuda", 1, 0, 900.0, 200.0, 6.0, rates["bf16-emulated"])
    assert cuda["train_tokens_per_s"] == 10_000.0  # a GPU keeps its own rate


def write_rows(path: Path, texts: list[str], answers: list[dict] | None = None) -> Path:
    answers = answers or [{"name": t.split()[0], "city": "Lyon"} for t in texts]
    rows = [
        {"id": f"r{i}", "schema_id": "contact", "prompt": text, "expected_output": answer}
        for i, (text, answer) in enumerate(zip(texts, answers, strict=True))
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def schema_dir(tmp_path) -> Path:
    folder = tmp_path / "schemas" / "simple"
    folder.mkdir(parents=True)
    schema = {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string"}, "city": {"type": "string"}},
    }
    (folder / "contact.json").write_text(json.dumps(schema))
    return tmp_path / "schemas"


def lengths_of(path: Path, schema_dir: Path, tokenizer) -> list[int]:
    from slmbench.data.rows import read_rows
    from slmbench.data.schemas import load_schemas
    from slmbench.train.dataset import encode_rows

    schemas = load_schemas(schema_dir)
    rows = read_rows(path, schemas)
    encoded = encode_rows(rows, tokenizer, RECIPE.prompt_style, schemas, NO_LIMIT, "truncate")
    return [len(e) for e in encoded.examples]


def text_of_about(tokens: int, tokenizer) -> str:
    """A document that the tiny tokenizer makes into about `tokens` tokens."""
    words = [f"Ada ref {i:05d} shipped to Lyon;" for i in range(4 * tokens)]
    per_word = len(tokenizer(" ".join(words[:50]))["input_ids"]) / 50
    return " ".join(words[: round(tokens / per_word)])


def plan_for(epochs: float = 1.0) -> dict:
    return {"epochs": epochs, "train_tokens_per_s": 300.0, "sized_by": "budget"}


def test_a_row_longer_than_the_recipe_limit_is_kept_whole(
    tmp_path, schema_dir, tiny_model_dir, tokenizer
):
    texts = ["Ada lives in Lyon.", text_of_about(1500, tokenizer)]
    train = write_rows(tmp_path / "train.jsonl", texts)
    lengths = lengths_of(train, schema_dir, tokenizer)
    assert RECIPE.max_length == 1536 < max(lengths) <= 1792  # the recipe would cut it
    opts = SpecializeOptions(schema=Path("s"), out=tmp_path / "o", model=str(tiny_model_dir))
    fit = fit_to_rows(opts, RECIPE, plan_for(), train, [], schema_dir)
    assert fit["max_length"] == 1792 and fit["longest_row_tokens"] == max(lengths)
    assert fit["rows_truncated"] == fit["rows_dropped"] == fit["rows_longer_than_max_length"] == 0
    assert fit["train_tokens_per_epoch"] == sum(lengths)  # the long row counted whole
    assert fit["estimated_train_minutes"] == round(sum(lengths) / 300.0 / 60, 1)
    # Longer than the recipe's rows: micro-batches capped at the recipe's most tokens.
    assert fit["token_budget"] == RECIPE.per_device_batch_size * RECIPE.max_length
    assert "1792" not in fit["max_length_rule"] and str(max(lengths)) in fit["max_length_rule"]


def test_rows_past_the_model_context_are_cut_and_counted(
    tmp_path, schema_dir, tiny_model_dir, tokenizer
):
    texts = ["Ada lives in Lyon.", text_of_about(2300, tokenizer)]
    train = write_rows(tmp_path / "train.jsonl", texts)
    lengths = lengths_of(train, schema_dir, tokenizer)
    assert max(lengths) > 2048  # the tiny model's max_position_embeddings
    opts = SpecializeOptions(schema=Path("s"), out=tmp_path / "o", model=str(tiny_model_dir))
    fit = fit_to_rows(opts, RECIPE, plan_for(), train, [], schema_dir)
    assert fit["max_length"] == 2048 and fit["rows_longer_than_max_length"] == 1
    assert fit["rows_truncated"] + fit["rows_dropped"] == 1
    assert fit["train_tokens_per_epoch"] == lengths[0] + (2048 if fit["rows_truncated"] else 0)
    assert fit["max_length_rule"].endswith("capped at the model's context (2048)")
    short = fit_to_rows(
        SpecializeOptions(schema=Path("s"), out=tmp_path / "o", model=str(tiny_model_dir)),
        RECIPE,
        plan_for(),
        write_rows(tmp_path / "short.jsonl", texts[:1]),
        [],
        schema_dir,
    )
    assert short["max_length"] == 256 and short["token_budget"] is None


def test_a_given_max_length_wins_and_must_fit_the_context(
    tmp_path, schema_dir, tiny_model_dir, tokenizer
):
    city, long_text = text_of_about(250, tokenizer), text_of_about(700, tokenizer)
    train = write_rows(
        tmp_path / "train.jsonl",
        ["Ada lives in Lyon.", f"Bo lives in {city}", long_text],
        [{"name": "Ada"}, {"name": "Bo", "city": city}, {"name": "Cy"}],
    )
    opts = SpecializeOptions(
        schema=Path("s"), out=tmp_path / "o", model=str(tiny_model_dir), max_length=512
    )
    fit = fit_to_rows(opts, RECIPE, plan_for(), train, [], schema_dir)
    assert fit["max_length"] == 512 and fit["max_length_rule"] == "--max-length"
    # Bo's answer is cut; Cy's prompt alone fills 512 tokens, no answer token is left: dropped.
    assert (fit["rows_truncated"], fit["rows_dropped"]) == (1, 1)
    assert fit["token_budget"] is None
    too_long = SpecializeOptions(
        schema=Path("s"), out=tmp_path / "o", model=str(tiny_model_dir), max_length=4096
    )
    with pytest.raises(SlmbenchError, match="longer than the context"):
        fit_to_rows(too_long, RECIPE, plan_for(), train, [], schema_dir)


def test_the_evals_new_tokens_fit_the_longest_gold(tmp_path, schema_dir, tiny_model_dir, tokenizer):
    from slmbench.eval.api import DEFAULT_MAX_NEW_TOKENS

    train = write_rows(tmp_path / "train.jsonl", ["Ada lives in Lyon."])
    long_city = text_of_about(900, tokenizer)
    test = write_rows(
        tmp_path / "test.jsonl",
        ["Bo, Paris.", f"Cy lives in {long_city}."],
        [{"name": "Bo", "city": "Paris"}, {"name": "Cy", "city": long_city}],
    )
    opts = SpecializeOptions(schema=Path("s"), out=tmp_path / "o", model=str(tiny_model_dir))
    missing = tmp_path / "examples-val.jsonl"  # fewer than 5 examples: no such file
    fit = fit_to_rows(opts, RECIPE, plan_for(), train, [test, missing], schema_dir)
    gold = len(tokenizer(json.dumps({"name": "Cy", "city": long_city}))["input_ids"])
    assert fit["longest_gold_tokens"] == gold
    assert fit["eval_max_new_tokens"] == math.ceil(1.5 * gold) + 16 > DEFAULT_MAX_NEW_TOKENS
    short = fit_to_rows(opts, RECIPE, plan_for(), train, [train], schema_dir)
    assert short["eval_max_new_tokens"] == DEFAULT_MAX_NEW_TOKENS


def test_rows_longer_than_the_probe_s_warn_of_the_budget(
    tmp_path, schema_dir, tiny_model_dir, tokenizer
):
    train = write_rows(tmp_path / "train.jsonl", [text_of_about(1500, tokenizer)] * 1)
    opts = SpecializeOptions(
        schema=Path("s"), out=tmp_path / "o", model=str(tiny_model_dir), budget_minutes=0.1
    )
    fit = fit_to_rows(opts, RECIPE, plan_for(), train, [], schema_dir)
    assert fit["estimated_train_minutes"] > TRAIN_SHARE * 0.1
    assert "longer than the probe's" in fit["fit_warning"]
    sized = {**plan_for(), "sized_by": "options"}  # --n and --epochs: the user's choice
    assert fit_to_rows(opts, RECIPE, sized, train, [], schema_dir)["fit_warning"] is None
