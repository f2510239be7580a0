"""The data stage's Python API: `build_data`, `validate` and `stats`, each taking its options
dataclass. `slmbench data build|validate|stats` are generated from these dataclasses
(`slmbench.options`) and call these functions. Nothing heavy is imported until one runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from slmbench.options import option
from slmbench.tasks.registry import TASK_NAMES

if TYPE_CHECKING:
    from slmbench.data.rows import Row
    from slmbench.data.schemas import SchemaInfo
    from slmbench.data.validate import ValidationReport

DEFAULT_TRAIN_ROWS = 629
DEFAULT_TEST_ROWS = 158


@dataclass(kw_only=True)
class BuildDataOptions:
    """Everything `slmbench data build` takes."""

    out: Path
    """Output folder (train.jsonl, test.jsonl, manifest.json)."""
    task: str = option("edgejson", choices=TASK_NAMES)
    """The benchmark task to build data for (edgeintent: split a labelled --source file)."""
    source: Path | None = None
    """edgeintent: the labelled rows to split (a BANKING77 CSV with `text` and `category` or
    `label` columns, or JSONL), e.g. `../shared/banking77/train.csv`."""
    labels: Path | None = None
    """edgeintent: the label set, a JSON list (default: `categories.json` beside --source, else
    the labels found in it)."""
    seed: int = 0
    """Random seed: the same seed gives the same bytes."""
    train: int = DEFAULT_TRAIN_ROWS
    """Training rows (edgejson)."""
    test: int = DEFAULT_TEST_ROWS
    """Test rows (edgejson)."""
    val_fraction: float = 0.2
    """edgeintent: the share of each intent's rows held out as validation (test.jsonl)."""
    shots: list[int] = option(default_factory=lambda: [5, 10], comma=True)
    """edgeintent: few-shot training files to write (train_<K>shot.jsonl: K rows per intent
    from the training part), comma-separated (default: 5,10)."""
    exclude: list[Path] = field(default_factory=list)
    """A dataset file (e.g. another build's test split) whose prompts and gold answers no new
    row may repeat: extra training data that cannot leak into that test (repeat the flag for
    several files)."""
    tiers: list[str] | None = option(None, comma=True)
    """Tiers to make rows of, comma-separated, at their usual shares to one another (default:
    all three; e.g. `complex` for extra rows of the hardest tier)."""


@dataclass(kw_only=True)
class ValidateOptions:
    """Everything `slmbench data validate` takes."""

    file: Path = option(positional=True)
    """The dataset file (JSONL) to check row by row."""
    schemas: Path | None = None
    """Schema folder (default: the packaged EdgeJSON schemas). For rows of the original EdgeJSON
    v3 training split (the v3 paper's rows and 25 schemas, Apache-2.0, in `../shared/edgejson_v3`
    beside the checkout): `../shared/edgejson_v3/schemas`."""
    against: Path | None = None
    """Another split that must share no prompt with FILE."""


@dataclass(kw_only=True)
class StatsOptions:
    """Everything `slmbench data stats` takes."""

    file: Path = option(positional=True)
    """The dataset file (JSONL) to describe."""
    schemas: Path | None = None
    """Schema folder (default: the packaged EdgeJSON schemas). For rows of the original EdgeJSON
    v3 training split (the v3 paper's rows and 25 schemas, Apache-2.0, in `../shared/edgejson_v3`
    beside the checkout): `../shared/edgejson_v3/schemas`."""


def build_data(options: BuildDataOptions) -> dict:
    """Build the task's train and test splits into `options.out`; returns the manifest."""
    from slmbench.tasks import get_task

    return get_task(options.task).load("builder")(options)


def build_edgejson(options: BuildDataOptions) -> dict:
    """EdgeJSON's generated train and test splits (`slmbench.data.generate`)."""
    from slmbench.data.generate import build_dataset
    from slmbench.data.schemas import TIERS

    return build_dataset(
        options.out,
        seed=options.seed,
        n_train=options.train,
        n_test=options.test,
        exclude=options.exclude,
        tiers=options.tiers or TIERS,
    )


def read_edgejson(
    path: str | Path,
    *,
    schemas: str | Path | None = None,
    require_gold: bool = True,
    **_options: object,
) -> tuple[list[Row], dict[str, SchemaInfo]]:
    """EdgeJSON's reader (the task registry's signature): JSONL rows (ours or v3's) and the
    schema folder `schemas` (default: the packaged schemas)."""
    from slmbench.data.rows import read_rows
    from slmbench.data.schemas import load_schemas

    found = load_schemas(schemas)
    return read_rows(path, found, require_gold=require_gold), found


def validate(options: ValidateOptions) -> ValidationReport:
    """Check every row of a dataset file (gold against its schema, arithmetic, duplicates,
    overlap with `options.against`); the report says what failed (`report.ok`)."""
    from slmbench.data.validate import validate_file

    return validate_file(options.file, schema_dir=options.schemas, against=options.against)


def stats(options: StatsOptions, count_tokens: Callable[[str], int] | None = None) -> dict:
    """Rows per tier and schema and their lengths in characters, and in tokens with
    `count_tokens` (data imports no model code: the caller brings the tokenizer)."""
    from slmbench.data.stats import dataset_stats

    return dataset_stats(options.file, schema_dir=options.schemas, count_tokens=count_tokens)
