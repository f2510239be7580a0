"""The grid file of `slmbench sweep`: typed dataclasses read from JSON (or YAML, when PyYAML is
installed), every field checked (its cells: `slmbench.sweep_cells`).

A grid names the data (the training rows, the validation rows every cell is evaluated on and
the choice is made on, the test rows the chosen cells are evaluated on once), a recipe with
fixed overrides, and `blocks`. A block is the product of its axes (`model`, `rows`, `rank`,
`alpha`, `epochs`, `learning_rate`); each axis takes one value or a list, and one left out takes
the recipe's value (`rows`: the whole training file). A cell that two blocks share (the r16 cell
of a data-size block and of a rank block) is one cell, trained once:

    {"name": "sweep-135m",
     "data": {"train": "train.jsonl", "val": "val.jsonl", "val_split": "seed1-val",
              "test": "test.jsonl", "test_split": "edgejson-test"},
     "recipe": "recommended", "recipe_overrides": {"eval_every_steps": 0},
     "choose": {"metric": "json_exact", "by": ["block"]},
     "blocks": [{"name": "rows", "rows": [50, 100, 300], "rank": 16},
                {"name": "rank", "rows": 300, "rank": [4, 16, "full"], "alpha": "2r"}]}

Every field is checked before anything runs: an unknown field or a value of the wrong type is a
one-line error naming the file and the field (`grid.json: field 'blocks[1].rank[2]' must be an
integer or 'full', got 'ful'`). Paths are relative to the current folder, as on the command line.
"""

from __future__ import annotations

import dataclasses
import json
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from slmbench.errors import SlmbenchError
from slmbench.eval.api import DEFAULT_BATCH_SIZE, DEFAULT_MAX_NEW_TOKENS
from slmbench.known_models import EMBEDDED_NAME
from slmbench.models.base import CONSTRAINED_MODES
from slmbench.options import field_docs, field_types, option
from slmbench.results_contract import MetricTable

METRIC_NAMES = tuple(MetricTable.__annotations__)
AXES = ("model", "rows", "rank", "alpha", "epochs", "learning_rate")
GROUP_KEYS = ("block", *AXES)
FULL = "full"
ALPHA_PER_RANK = re.compile(r"^(\d+(?:\.\d+)?)r$")
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(kw_only=True)
class GridData:
    """The rows a sweep trains, chooses and tests on."""

    train: Path
    """Training rows (JSONL). A cell trains on the first `rows` of a seeded order of them,
    stratified by schema, so that smaller subsets are nested in larger ones."""
    val: Path
    """Validation rows: every cell is evaluated on them, and the choice is made on them alone."""
    val_split: str
    """The validation rows' split name in eval run folder names (`<cell>.on-<split>`)."""
    test: Path | None = None
    """Test rows, evaluated once and for the chosen cells only (none: no test evals)."""
    test_split: str | None = None
    """The test rows' split name in eval run folder names (required with `test`)."""
    schemas: Path | None = None
    """Schema folder of the rows (default: the packaged EdgeJSON schemas)."""


@dataclass(kw_only=True)
class GridEval:
    """How every eval of the sweep runs (`slmbench eval` options)."""

    constrained: str | None = option(None, choices=CONSTRAINED_MODES)
    """Schema-constrained decoding (none: unconstrained)."""
    batch_size: int = DEFAULT_BATCH_SIZE
    """Prompts per batch."""
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS
    """Cap on the per-row token budget."""
    limit: int | None = None
    """Evaluate only the first N rows of each split (for trials, not for results)."""


@dataclass(kw_only=True)
class ChooseRule:
    """Which cells are chosen, on the validation rows, to be evaluated on the test rows."""

    metric: str = option("json_exact", choices=METRIC_NAMES)
    """The metric to maximise (a key of results.json `metrics.overall`)."""
    tier: str | None = None
    """Maximise the metric on this tier's rows only (none: on every row)."""
    by: list[str] = option(default_factory=list, choices=GROUP_KEYS)
    """Choose the best cell of each group of cells sharing these values (`block`: per block);
    empty: one cell, the best of all. Ties go to the cell listed first."""


@dataclass(kw_only=True)
class Block:
    """One product of axis values; an axis left out takes the recipe's value."""

    name: str
    """The block's name (`choose.by: ["block"]` chooses per block); blocks of one name are one
    block, e.g. LoRA ranks and a full fine-tune at its own learning rate."""
    model: list[str] | None = None
    """Base models: registered names or model folders (default: the grid's `model`)."""
    rows: list[int] | None = None
    """Training rows per cell, each at most the training file's (default: all of them)."""
    rank: list[int | Literal["full"]] | None = None
    """LoRA ranks, or `full` for full fine-tuning (default: the recipe's)."""
    alpha: list[int | str] | None = None
    """LoRA alpha: a number, or `<k>r` for k times the rank (`2r`: the scale alpha/r of 2 at
    every rank); default: the recipe's."""
    epochs: list[float] | None = None
    """Training epochs (default: the recipe's)."""
    learning_rate: list[float] | None = None
    """Peak learning rates (default: the recipe's)."""


@dataclass(kw_only=True)
class Grid:
    """A `slmbench sweep` grid file."""

    name: str
    """Prefix of every cell's run name (`<name>-r16-n629-e3-lr1e-3`)."""
    data: GridData
    """Training, validation and test rows."""
    blocks: list[Block]
    """The cells: the union of each block's product, a cell shared by blocks once."""
    model: str = EMBEDDED_NAME
    """Default base model of the blocks (a cell of another model has it in its name)."""
    recipe: str = "recommended"
    """Packaged recipe name, or a recipe JSON file (a train run's recipe.json)."""
    recipe_overrides: dict[str, Any] = field(default_factory=dict)
    """Recipe fields fixed for every cell (as in a recipe file)."""
    subset_seed: int = 0
    """Seed of the stratified order that training subsets are the first rows of."""
    eval: GridEval = field(default_factory=GridEval)
    """Eval options of every eval."""
    choose: ChooseRule = field(default_factory=ChooseRule)
    """Which cells are evaluated on the test rows."""


def grid_fields_help() -> str:
    """Every grid field with its type and docstring, for `slmbench sweep --help`."""
    lines = ["grid file fields (JSON or YAML):"]
    for cls, prefix in (
        (Grid, ""),
        (GridData, "data."),
        (GridEval, "eval."),
        (ChooseRule, "choose."),
        (Block, "blocks[]."),
    ):
        docs, hints = field_docs(cls), field_types(cls)
        for f in dataclasses.fields(cls):
            required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            kind = "object" if dataclasses.is_dataclass(hints[f.name]) else _expected(hints[f.name])
            if "choices" in f.metadata:
                kind += f" ({', '.join(f.metadata['choices'])})"
            head = f"  {prefix}{f.name}{' (required)' if required else ''}: {kind}"
            lines += [head, f"      {docs.get(f.name, '')}"]
    return "\n".join(lines)


def read_grid(path: str | Path) -> Grid:
    """The grid in `path` (JSON; YAML for .yaml/.yml), every field checked."""
    path = Path(path)
    if not path.is_file():
        raise SlmbenchError(f"{path}: grid file not found")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".yaml", ".yml"):
        data = _read_yaml(text, path)
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise SlmbenchError(f"{path}:{e.lineno}: not valid JSON ({e.msg})") from None
    grid = read_typed(Grid, data, str(path), "")
    check_grid(grid, str(path))
    return grid


def _read_yaml(text: str, path: Path) -> Any:
    try:
        import yaml
    except ImportError:
        raise SlmbenchError(
            f"{path}: reading YAML needs PyYAML (pip install pyyaml -c constraints.txt); "
            "or write the grid as JSON"
        ) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise SlmbenchError(f"{where}: not valid YAML ({getattr(e, 'problem', e)})") from None


def read_typed(cls: type, data: Any, where: str, path: str) -> Any:
    """An instance of dataclass `cls` from a JSON-like mapping: unknown and missing fields and
    values of the wrong type are errors naming `where` and the field's path.

    >>> read_typed(GridEval, {"batch_size": 4}, "g.json", "eval").batch_size
    4
    >>> read_typed(GridEval, {"batch": 4}, "g.json", "eval")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    slmbench.errors.SlmbenchError: g.json: unknown field 'eval.batch' (known: constrained, ...)
    >>> read_typed(Block, {"name": "b", "rank": [4, "ful"]}, "g.json", "b[0]")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    slmbench.errors.SlmbenchError: g.json: field 'b[0].rank[1]' must be an integer or 'full', ...
    """
    if not isinstance(data, dict):
        raise SlmbenchError(f"{where}: {_named(path) or 'the grid'} must be an object")
    hints, known = field_types(cls), [f.name for f in dataclasses.fields(cls)]
    for key in data:
        if key not in known:
            name = _join(path, str(key))
            raise SlmbenchError(f"{where}: unknown field {name!r} (known: {', '.join(known)})")
    values = {}
    for f in dataclasses.fields(cls):
        name = _join(path, f.name)
        if f.name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise SlmbenchError(f"{where}: missing field {name!r}")
            continue
        value = _typed(hints[f.name], data[f.name], where, name)
        choices = f.metadata.get("choices")
        for item in value if isinstance(value, list) else [value]:
            if choices is not None and item is not None and item not in choices:
                known_values = ", ".join(map(str, choices))
                raise SlmbenchError(
                    f"{where}: field {name!r}: {item!r} is not one of {known_values}"
                )
        values[f.name] = value
    return cls(**values)


def _typed(kind: Any, value: Any, where: str, name: str) -> Any:
    """`value` checked against type `kind` (a scalar stands for a one-item list)."""
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        for option_kind in typing.get_args(kind):
            if _fits(option_kind, value):
                return _typed(option_kind, value, where, name)
    elif dataclasses.is_dataclass(kind):
        return read_typed(kind, value, where, name)
    elif origin is list:
        (inner,) = typing.get_args(kind)
        if not isinstance(value, list):
            return [_typed(inner, value, where, name)]
        if not value:
            raise SlmbenchError(f"{where}: field {name!r} is an empty list")
        return [_typed(inner, v, where, f"{name}[{i}]") for i, v in enumerate(value)]
    elif origin is dict:
        if isinstance(value, dict):
            return dict(value)
    elif _fits(kind, value):
        return float(value) if kind is float else Path(value) if kind is Path else value
    raise SlmbenchError(f"{where}: field {name!r} must be {_expected(kind)}, got {_short(value)}")


def _fits(kind: Any, value: Any) -> bool:
    """Whether `value` has the shape of `kind` (a list's items are checked later)."""
    if dataclasses.is_dataclass(kind) or typing.get_origin(kind) is dict:
        return isinstance(value, dict)
    if typing.get_origin(kind) is list:
        return value is not None
    return _accepts(kind, value)


def _accepts(kind: Any, value: Any) -> bool:
    if kind is type(None):
        return value is None
    if kind is bool:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind is int:
        return isinstance(value, int)
    if kind is float:
        return isinstance(value, int | float)
    if kind in (str, Path):
        return isinstance(value, str)
    if typing.get_origin(kind) is Literal:
        return value in typing.get_args(kind)
    return kind is Any


def _expected(kind: Any) -> str:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_expected(k) for k in typing.get_args(kind))
    if origin is Literal:
        return " or ".join(repr(v) for v in typing.get_args(kind))
    if origin is list:
        return f"{_expected(typing.get_args(kind)[0])}, or a list of them"
    if origin is dict or dataclasses.is_dataclass(kind):
        return "an object"
    words = {int: "an integer", float: "a number", str: "a string", Path: "a path (string)"}
    return {**words, bool: "true or false", type(None): "null"}.get(kind, str(kind))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _named(path: str) -> str:
    return f"field {path!r}" if path else ""


def check_grid(grid: Grid, where: str) -> None:
    """What types cannot say: names, splits, positive values."""
    for label, value in (("name", grid.name), ("data.val_split", grid.data.val_split)):
        _check_safe(value, label, where)
    if (grid.data.test is None) != (grid.data.test_split is None):
        raise SlmbenchError(f"{where}: fields 'data.test' and 'data.test_split' go together")
    if grid.data.test_split is not None:
        _check_safe(grid.data.test_split, "data.test_split", where)
        if grid.data.test_split == grid.data.val_split:
            raise SlmbenchError(f"{where}: 'data.test_split' must differ from 'data.val_split'")
    for i, block in enumerate(grid.blocks):
        _check_safe(block.name, f"blocks[{i}].name", where)
        for axis in ("rows", "epochs", "learning_rate"):
            for j, value in enumerate(getattr(block, axis) or []):
                if value <= 0:
                    raise SlmbenchError(
                        f"{where}: field 'blocks[{i}].{axis}[{j}]' must be positive"
                    )
        for j, rank in enumerate(block.rank or []):
            if rank != FULL and rank < 1:
                raise SlmbenchError(f"{where}: field 'blocks[{i}].rank[{j}]' must be at least 1")
        for j, alpha in enumerate(block.alpha or []):
            if isinstance(alpha, str) and not ALPHA_PER_RANK.match(alpha):
                raise SlmbenchError(
                    f"{where}: field 'blocks[{i}].alpha[{j}]' must be a number or '<k>r' "
                    f"(e.g. '2r'), got {alpha!r}"
                )
    for label, value in (("eval.batch_size", grid.eval.batch_size),):
        if value < 1:
            raise SlmbenchError(f"{where}: field {label!r} must be at least 1")


def _check_safe(value: str, label: str, where: str) -> None:
    if not SAFE_NAME.match(value) or ".on-" in value:
        raise SlmbenchError(
            f"{where}: field {label!r}: {value!r} is not a folder-name-safe name "
            "(letters, digits, . _ -)"
        )
