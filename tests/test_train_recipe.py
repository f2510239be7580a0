"""Recipes: the packaged JSON files, typed overrides, and the errors a user sees (exit 2)."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest

from slmbench.cli import build_parser, main
from slmbench.errors import SlmbenchError
from slmbench.options import cli_flag, field_docs
from slmbench.train.recipe import (
    RECIPE_FIELDS,
    Recipe,
    apply_overrides,
    load_recipe,
    recipe_from_dict,
    recipe_names,
)


def test_packaged_recipes_parse_and_name_every_field():
    assert recipe_names() == ["paper", "quick", "recommended"]
    from importlib import resources

    for name in recipe_names():
        text = resources.files("slmbench").joinpath(f"configs/{name}.json").read_text()
        assert set(json.loads(text)) == set(RECIPE_FIELDS), name
        recipe, source = load_recipe(name)
        assert isinstance(recipe, Recipe) and source == name
        assert recipe.description


def test_paper_recipe_is_the_published_setup():
    paper, _ = load_recipe("paper")
    assert (paper.method, paper.lora_r, paper.lora_alpha, paper.lora_dropout) == (
        "lora",
        16,
        32,
        0.1,
    )
    assert paper.target_modules == ["q_proj", "k_proj", "v_proj", "o_proj"]
    assert (paper.learning_rate, paper.per_device_batch_size, paper.grad_accum_steps) == (
        3e-4,
        4,
        4,
    )
    assert (paper.epochs, paper.max_length) == (3.0, 512)


def test_recommended_is_the_recipe_search_winner():
    """configs/recommended.json trains what won the recipe search on validation data
    (experiments/recipe-search/): only bookkeeping fields (validation cadence, checkpoints), the
    split of each batch into micro-batches (the same rows per optimiser step) and the LoRA
    dropout, chosen afterwards on the same validation rows, may differ."""
    root = Path(__file__).parents[1]
    runs = root / "results" / "runs"
    best = json.loads((root / "experiments" / "recipe-search" / "best.json").read_text())
    winner_run = runs / "train" / f"edgejson-{best['name']}"
    winner = json.loads((winner_run / "recipe.json").read_text())
    recommended, _ = load_recipe("recommended")
    # A field added after the search (loss_average) trained the winner with its default.
    winner = {**Recipe().to_dict(), **winner}
    bookkeeping = {
        "description",
        "eval_every_steps",
        "val_generate_rows",
        "val_max_new_tokens",
        "save_every_steps",
        "save_total_limit",
        "logging_steps",
        "per_device_batch_size",
        "grad_accum_steps",
    }
    for name, value in recommended.to_dict().items():
        if name not in bookkeeping | {"lora_dropout"}:
            assert winner[name] == value, name
    # lora_dropout: 0 if the run without it scored at least the winner's validation JSONExact on
    # the same rows (experiments/cpu-drop0/PLAN.md, a rule fixed before that run), else the
    # winner's.
    drop0 = "edgejson-lora-r16-e6-drop0-cpu"
    drop0_eval = json.loads(
        (runs / "eval" / f"{drop0}.on-edgejson-seed0-val" / "results.json").read_text()
    )
    drop0_exact = drop0_eval["metrics"]["overall"]["json_exact"]["value"]
    assert json.loads((runs / "train" / drop0 / "recipe.json").read_text())["lora_dropout"] == 0
    expected = 0.0 if drop0_exact >= best["val_json_exact"] else winner["lora_dropout"]
    assert recommended.lora_dropout == expected
    rows_per_step = recommended.per_device_batch_size * recommended.grad_accum_steps
    assert rows_per_step == winner["per_device_batch_size"] * winner["grad_accum_steps"]


def test_every_field_has_a_docstring_and_a_flag(capsys):
    docs = field_docs(Recipe)
    assert set(docs) == {f.name for f in fields(Recipe)}
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--help"])
    help_text = capsys.readouterr().out
    for name in RECIPE_FIELDS:
        assert cli_flag(name) in help_text


def test_overrides_are_typed():
    recipe = apply_overrides(
        Recipe(),
        {
            "lora_r": "32",
            "epochs": "1.5",
            "target_modules": "all-linear",
            "token_budget": "none",
            "gradient_checkpointing": "true",
            "bf16": "false",
            "seed": None,
        },
        "command line",
    )
    assert (recipe.lora_r, recipe.epochs, recipe.target_modules) == (32, 1.5, "all-linear")
    assert recipe.token_budget is None and recipe.gradient_checkpointing is True
    assert recipe.bf16 == "false" and recipe.seed == Recipe().seed


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"epochs": "three"}, "'epochs' must be a number"),
        ({"lora_r": 2.5}, "'lora_r' must be an integer"),
        ({"method": "qlora"}, "'method' must be one of lora, full"),
        ({"target_modules": [1]}, "'target_modules' must be a list of strings"),
        ({"learning_rat": 0.1}, "unknown recipe field 'learning_rat'"),
        ({"max_length": 0}, "'max_length' must be at least 1"),
        ({"lora_dropout": 1.5}, "'lora_dropout' must be in [0, 1)"),
        ({"loss_average": "mean"}, "'loss_average' must be one of token, row"),
    ],
)
def test_bad_recipe_values_name_the_field(data, message):
    with pytest.raises(SlmbenchError) as info:
        recipe_from_dict(data, "my.json")
    assert message in str(info.value) and "my.json" in str(info.value)


def _cli_error(capsys, argv: list[str]) -> str:
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1, err
    return err


def test_cli_rejects_a_bad_flag_value(capsys, tmp_path):
    err = _cli_error(
        capsys,
        [
            "train",
            "--model",
            "m",
            "--data",
            str(tmp_path / "x.jsonl"),
            "--out",
            str(tmp_path / "run"),
            "--learning-rate",
            "abc",
        ],
    )
    assert "'learning_rate' must be a number, got 'abc'" in err


def test_loss_average_is_token_unless_asked():
    for name in recipe_names():
        assert load_recipe(name)[0].loss_average == "token", name
    assert Recipe().loss_average == "token"
    row = apply_overrides(Recipe(), {"loss_average": "row"}, "command line")
    assert row.loss_average == "row"
    help_text = build_parser()._subparsers._group_actions[0].choices["train"].format_help()
    assert "--loss-average" in help_text and "each row's mean" in " ".join(help_text.split())


def test_cli_rejects_an_unknown_loss_average(capsys, tmp_path):
    argv = ["train", "--model", "m", "--data", str(tmp_path / "x.jsonl")]
    err = _cli_error(capsys, [*argv, "--out", str(tmp_path / "run"), "--loss-average", "sample"])
    assert "recipe field 'loss_average' must be one of token, row, got 'sample'" in err


def test_cli_rejects_a_bad_config_file(capsys, tmp_path):
    config = tmp_path / "recipe.json"
    config.write_text(json.dumps({"epochs": "three"}))
    err = _cli_error(
        capsys,
        [
            "train",
            "--model",
            "m",
            "--data",
            str(tmp_path / "x.jsonl"),
            "--out",
            str(tmp_path / "run"),
            "--config",
            str(config),
        ],
    )
    assert "'epochs' must be a number, got 'three'" in err and str(config) in err


def test_cli_lists_recipes_for_an_unknown_name(capsys, tmp_path):
    err = _cli_error(
        capsys,
        [
            "train",
            "--model",
            "m",
            "--data",
            str(tmp_path / "x.jsonl"),
            "--out",
            str(tmp_path / "run"),
            "--recipe",
            "fast",
        ],
    )
    assert "unknown recipe 'fast'" in err and "paper, quick, recommended" in err


def test_a_run_folders_recipe_json_is_a_config():
    """`slmbench train --config RUN/recipe.json` retrains that run: the keys a run adds
    (base_model, recipe_source) are skipped, every recipe field is kept, and a field added
    since that run (loss_average) takes its default, which is what the run trained with."""
    run_recipe = Path(__file__).parents[1] / "results" / "runs" / "train" / "edgejson-lora-r16-e6"
    saved = json.loads((run_recipe / "recipe.json").read_text())
    recipe, source = load_recipe(config=run_recipe / "recipe.json")
    assert source.endswith("recipe.json")
    kept = {k: v for k, v in saved.items() if k in RECIPE_FIELDS}
    assert recipe.to_dict() == {**Recipe().to_dict(), **kept}
    assert len(kept) >= len(RECIPE_FIELDS) - 1
