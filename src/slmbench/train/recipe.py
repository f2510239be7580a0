"""Training recipes: one dataclass whose fields each carry a docstring (litgpt style), shipped as
JSON files under `slmbench/configs/` (`paper`, `recommended`, `quick`).

A recipe is resolved in three layers: the dataclass defaults, then a named recipe or a JSON
file, then overrides (on the command line one flag per field, generated from this dataclass by
`slmbench.options`). Every
value is type-checked here, and an error names the field and where the value came from.
"""

from __future__ import annotations

import json
import types
import typing
from dataclasses import asdict, dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from slmbench.errors import SlmbenchError
from slmbench.options import field_types, option

ALL_LINEAR = "all-linear"
TRUE_WORDS = ("true", "yes", "on", "1")
FALSE_WORDS = ("false", "no", "off", "0")


@dataclass
class Recipe:
    """How to fine-tune a model for JSON extraction. Defaults are the paper's published setup."""

    description: str = ""
    """What this recipe is for, and how its values were chosen."""
    method: Literal["lora", "full"] = "lora"
    """`lora`: train a PEFT LoRA adapter; `full`: update every weight of the model."""
    lora_r: int = 16
    """LoRA rank (ignored by `full`)."""
    lora_alpha: int = 32
    """LoRA scaling numerator: updates are scaled by lora_alpha / lora_r."""
    lora_dropout: float = 0.1
    """Dropout on the LoRA branch's input."""
    target_modules: str | list[str] = field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"]
    )
    """Module names LoRA wraps; `all-linear` for every linear layer but the output head
    (on the command line: comma-separated)."""
    learning_rate: float = 3e-4
    """Peak learning rate of AdamW."""
    lr_scheduler: Literal["linear", "cosine", "constant", "constant_with_warmup"] = "linear"
    """Learning-rate schedule after warmup."""
    warmup_ratio: float = 0.0
    """Fraction of the optimisation steps spent warming the learning rate up from 0."""
    weight_decay: float = 0.0
    """AdamW weight decay."""
    max_grad_norm: float = 1.0
    """Gradient clipping norm (0: no clipping)."""
    per_device_batch_size: int = 4
    """Most examples per micro-batch and device."""
    grad_accum_steps: int = 4
    """Micro-batches accumulated per optimiser step."""
    loss_average: Literal["token", "row"] = "token"
    """How an optimiser step's loss weighs its rows. `token`: the mean over all their answer
    tokens (a 50-token answer weighs 25 times a 2-token one); `row`: each row's mean over its own
    answer tokens, then the mean over the rows (a short answer such as a function-calling `[]`
    weighs as much as a long one). The validation loss is the token mean either way."""
    epochs: float = 3.0
    """Passes over the training set (ignored when max_steps > 0)."""
    max_steps: int = -1
    """Optimiser steps to run; -1: run `epochs` instead."""
    max_length: int = 512
    """Longest example in tokens (prompt + answer + end-of-sequence)."""
    truncation: Literal["drop", "truncate"] = "truncate"
    """Examples longer than max_length: `truncate` keeps their first max_length tokens (the
    answer's end and its EOS are lost), `drop` leaves them out. Either way they are counted."""
    token_budget: int | None = None
    """Most tokens (padding included) per micro-batch: long examples then travel in smaller
    batches. None: batches of per_device_batch_size, grouped by length."""
    prompt_style: Literal["paper", "chat", "chat-schema"] = option("chat", aliases=["--prompt"])
    """Prompt format (slmbench.prompts); evaluation must use the same one."""
    bf16: Literal["auto", "true", "false"] = "auto"
    """bf16 autocast over fp32 weights; `auto`: on where the hardware supports it."""
    gradient_checkpointing: bool = False
    """Recompute activations in the backward pass: less memory, ~30% slower."""
    seed: int = 0
    """Seed of weight initialisation (LoRA), data order, dropout and the validation split."""
    eval_every_steps: int = 0
    """Validation every this many optimiser steps (0: only at the end). Needs validation data."""
    val_generate_rows: int = 32
    """Validation rows also answered by greedy generation and scored by JSONExact (0: none)."""
    val_max_new_tokens: int = 512
    """Cap on generated tokens per validation row (also never more than its gold answer + 16)."""
    save_every_steps: int = 50
    """Checkpoint every this many optimiser steps (an interrupted run resumes from the last)."""
    save_total_limit: int = 2
    """Checkpoints kept on disk (the oldest are deleted)."""
    logging_steps: int = 10
    """Optimiser steps between rows of train_log.jsonl."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


RECIPE_FIELDS = tuple(f.name for f in fields(Recipe))
RUN_ONLY_KEYS = ("name", "base_model", "recipe_source", "init_adapter_sha256", "task")
"""Keys a run folder's recipe.json adds to the recipe (`--config RUN/recipe.json` skips them)."""


def recipe_names() -> list[str]:
    """Names of the packaged recipes.

    >>> recipe_names()
    ['paper', 'quick', 'recommended']
    """
    folder = _configs()
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json"))


def _configs():
    # Package data of `slmbench` (not a subpackage): pyproject ships `configs/*.json`.
    return resources.files("slmbench").joinpath("configs")


def load_recipe(name: str | None = None, config: str | Path | None = None) -> tuple[Recipe, str]:
    """(recipe, where it came from) for a packaged recipe name or a JSON file.

    >>> recipe, source = load_recipe("paper")
    >>> recipe.lora_r, recipe.max_length, source
    (16, 512, 'paper')
    """
    if name is not None and config is not None:
        raise SlmbenchError("give --recipe or --config, not both")
    if config is not None:
        path = Path(config)
        if not path.is_file():
            raise SlmbenchError(f"recipe file not found: {path}")
        data = _read_json(path.read_text(encoding="utf-8"), str(path))
        for key in RUN_ONLY_KEYS:  # a train run's recipe.json reproduces that run
            data.pop(key, None)
        return recipe_from_dict(data, str(path)), str(path)
    if name is None:
        return Recipe(), "defaults"
    if name not in recipe_names():
        raise SlmbenchError(f"unknown recipe {name!r} (known: {', '.join(recipe_names())})")
    text = _configs().joinpath(f"{name}.json").read_text(encoding="utf-8")
    return recipe_from_dict(_read_json(text, f"recipe {name}"), f"recipe {name}"), name


def continued_adapter_sha(config: str | Path | None) -> str | None:
    """The weights sha256 of the adapter a run continued (`--init-adapter`), as its recipe.json
    records it: retraining from that file needs the same adapter. None for other recipes."""
    if config is None:
        return None
    path = Path(config)
    return _read_json(path.read_text(encoding="utf-8"), str(path)).get("init_adapter_sha256")


def _read_json(text: str, where: str) -> dict:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise SlmbenchError(f"{where}:{e.lineno}: not valid JSON ({e.msg})") from None
    if not isinstance(data, dict):
        raise SlmbenchError(f"{where}: a recipe is a JSON object of fields")
    return data


def recipe_from_dict(data: dict, where: str, base: Recipe | None = None) -> Recipe:
    """A recipe from JSON values; unknown keys and wrong types are errors naming the field.

    >>> recipe_from_dict({"epochs": 2, "method": "full"}, "x").epochs
    2.0
    >>> recipe_from_dict({"epochs": "three"}, "my.json")
    Traceback (most recent call last):
    slmbench.errors.SlmbenchError: my.json: recipe field 'epochs' must be a number, got 'three'
    """
    values = (base or Recipe()).to_dict()
    for key, value in data.items():
        if key not in RECIPE_FIELDS:
            raise SlmbenchError(
                f"{where}: unknown recipe field {key!r} (known: {', '.join(RECIPE_FIELDS)})"
            )
        values[key] = coerce(key, value, where, from_text=False)
    return check_recipe(Recipe(**values), where)


def apply_overrides(recipe: Recipe, overrides: dict[str, Any], where: str) -> Recipe:
    """The recipe with overrides applied: text as typed on the command line (`"1e-3"`,
    `"none"`), or values as in a JSON file (`1e-3`, None is then "not given" too).

    >>> apply_overrides(Recipe(), {"learning_rate": "1e-3", "target_modules": "q_proj,v_proj"},
    ...                 "command line").target_modules
    ['q_proj', 'v_proj']
    >>> apply_overrides(Recipe(), {"epochs": 1, "lora_r": None}, "options").epochs
    1.0
    >>> apply_overrides(Recipe(), {"epoch": 1}, "options")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    slmbench.errors.SlmbenchError: options: unknown recipe field 'epoch' (known: ...)
    """
    values = recipe.to_dict()
    for key, value in overrides.items():
        if key not in RECIPE_FIELDS:
            known = ", ".join(RECIPE_FIELDS)
            raise SlmbenchError(f"{where}: unknown recipe field {key!r} (known: {known})")
        if value is not None:
            values[key] = coerce(key, value, where, from_text=isinstance(value, str))
    return check_recipe(Recipe(**values), where)


def coerce(name: str, value: Any, where: str, from_text: bool) -> Any:
    """One field's value checked against its type; strings are parsed when `from_text`.

    >>> coerce("lora_r", "32", "cli", from_text=True)
    32
    >>> coerce("token_budget", "none", "cli", from_text=True) is None
    True
    >>> coerce("target_modules", "q_proj", "cli", from_text=True)
    ['q_proj']
    >>> coerce("learning_rate", "abc", "cli", from_text=True)
    Traceback (most recent call last):
    slmbench.errors.SlmbenchError: cli: recipe field 'learning_rate' must be a number, got 'abc'
    """
    kind = field_types(Recipe)[name]
    try:
        return _coerce(kind, value, from_text)
    except _WrongType as e:
        raise SlmbenchError(
            f"{where}: recipe field {name!r} must be {e.expected}, got {value!r}"
        ) from None


class _WrongType(Exception):
    def __init__(self, expected: str):
        self.expected = expected


def _coerce(kind: Any, value: Any, from_text: bool) -> Any:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(kind)
        if type(None) in options and (
            value is None or (from_text and str(value).lower() in ("none", "null"))
        ):
            return None
        if list[str] in options and str in options:
            # Module names: a list, or the one keyword `all-linear` (PEFT would read any other
            # single string as a regular expression over full module paths).
            if isinstance(value, list):
                return _coerce(list[str], value, False)
            names = [p.strip() for p in _str(value).split(",") if p.strip()]
            if not names:
                raise _WrongType("module names")
            return ALL_LINEAR if names == [ALL_LINEAR] else names
        inner = [o for o in options if o is not type(None)]
        try:
            return _coerce(inner[0], value, from_text)
        except _WrongType as e:
            raise _WrongType(f"{e.expected} or null") from None
    if origin is Literal:
        choices = typing.get_args(kind)
        if value not in choices:
            if isinstance(value, bool) and str(value).lower() in choices:
                return str(value).lower()  # `"bf16": true` in a JSON file
            raise _WrongType("one of " + ", ".join(map(str, choices)))
        return value
    if origin is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _WrongType("a list of strings")
        return list(value)
    if kind is bool:
        if isinstance(value, bool):
            return value
        if from_text and value.lower() in TRUE_WORDS + FALSE_WORDS:
            return value.lower() in TRUE_WORDS
        raise _WrongType("true or false")
    if kind is int:
        if from_text:
            try:
                return int(value)
            except ValueError:
                raise _WrongType("an integer") from None
        if isinstance(value, bool) or not isinstance(value, int):
            raise _WrongType("an integer")
        return value
    if kind is float:
        if from_text:
            try:
                return float(value)
            except ValueError:
                raise _WrongType("a number") from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _WrongType("a number")
        return float(value)
    if kind is str:
        return _str(value)
    raise TypeError(f"no coercion for {kind}")  # a new field type: extend this function


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise _WrongType("a string")
    return value


def check_recipe(recipe: Recipe, where: str) -> Recipe:
    """Range checks that types cannot express; errors name the field."""
    positive = (
        "lora_r",
        "per_device_batch_size",
        "grad_accum_steps",
        "max_length",
        "logging_steps",
        "save_every_steps",
        "save_total_limit",
        "val_max_new_tokens",
    )
    for name in positive:
        if getattr(recipe, name) < 1:
            raise SlmbenchError(f"{where}: recipe field {name!r} must be at least 1")
    non_negative = (
        "lora_alpha",
        "lora_dropout",
        "learning_rate",
        "warmup_ratio",
        "weight_decay",
        "max_grad_norm",
        "eval_every_steps",
        "val_generate_rows",
        "epochs",
    )
    for name in non_negative:
        if getattr(recipe, name) < 0:
            raise SlmbenchError(f"{where}: recipe field {name!r} must not be negative")
    if not 0 <= recipe.lora_dropout < 1:
        raise SlmbenchError(f"{where}: recipe field 'lora_dropout' must be in [0, 1)")
    if not 0 <= recipe.warmup_ratio < 1:
        raise SlmbenchError(f"{where}: recipe field 'warmup_ratio' must be in [0, 1)")
    if recipe.max_steps == 0 or recipe.max_steps < -1:
        raise SlmbenchError(f"{where}: recipe field 'max_steps' must be -1 (use epochs) or >= 1")
    if recipe.max_steps == -1 and recipe.epochs <= 0:
        raise SlmbenchError(f"{where}: recipe field 'epochs' must be positive")
    if recipe.token_budget is not None and recipe.token_budget < 1:
        raise SlmbenchError(f"{where}: recipe field 'token_budget' must be at least 1 or null")
    if not recipe.target_modules:
        raise SlmbenchError(f"{where}: recipe field 'target_modules' must name modules")
    return recipe
