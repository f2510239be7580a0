"""The train stage's Python API: `train(TrainOptions)`. `slmbench train` is generated from
`TrainOptions` (`slmbench.options`), its recipe flags from the `Recipe` dataclass, and calls
`train`. Nothing heavy is imported until it runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slmbench.options import option
from slmbench.tasks.registry import TASK_NAMES
from slmbench.train.recipe import Recipe

DEFAULT_RECIPE = "recommended"


@dataclass(kw_only=True)
class TrainOptions:
    """Everything `slmbench train` takes."""

    model: str
    """Base model: registered name, model folder or hub id."""
    data: Path
    """Training rows: JSONL (edgejson; edgeintent also a BANKING77 CSV)."""
    out: Path
    """Run folder to write (rerun the same command to resume)."""
    name: str | None = None
    """The run's name, recorded in recipe.json and train_meta.json (default: the name already
    recorded in --out, else the folder's basename); not part of what a resumed run must match."""
    task: str = option("edgejson", choices=TASK_NAMES)
    """The benchmark task of --data (recorded in recipe.json for tasks other than edgejson, so
    that `eval --adapter` takes it from there)."""
    labels: Path | None = None
    """edgeintent: the label set, a JSON list (default: labels.json or categories.json beside
    --data, else the labels found in it)."""
    schemas: Path | None = None
    """Schema folder (default: packaged)."""
    recipe: str | None = option(None, exclusive="recipe")
    """Packaged recipe name (default: recommended; see src/slmbench/configs)."""
    config: Path | None = option(None, exclusive="recipe")
    """Recipe JSON file (a run folder's recipe.json retrains that run)."""
    val: Path | None = option(None, exclusive="val")
    """Validation rows (JSONL)."""
    val_fraction: float | None = option(None, exclusive="val", metavar="F")
    """Hold out this fraction of the training rows, stratified by schema (ids written to
    RUN_DIR/val_ids.json)."""
    merge: bool = False
    """Also write RUN_DIR/merged/: base model with the adapter merged in."""
    init_adapter: Path | None = option(None, metavar="DIR")
    """Continue training this LoRA adapter (a run folder or its adapter/) instead of a fresh
    one; its rank and alpha must match the recipe's."""
    recipe_overrides: dict[str, Any] = option(
        default_factory=dict, flags_from=Recipe, title="recipe fields (override the recipe)"
    )
    """Recipe fields set over the chosen recipe: text as on the command line (`"1e-3"`) or
    JSON-like values (`1e-3`); errors name the field."""


def resolve_recipe(options: TrainOptions) -> tuple[Recipe, str]:
    """(the recipe `options` ask for, where it came from): the named recipe or config file,
    with the overrides applied."""
    from slmbench.train.recipe import apply_overrides, load_recipe

    name = options.recipe if options.recipe or options.config else DEFAULT_RECIPE
    recipe, source = load_recipe(name, options.config)
    return apply_overrides(recipe, options.recipe_overrides, "overrides"), source


def train(options: TrainOptions, callbacks: list | None = None) -> dict:
    """Fine-tune (or resume) into the run folder `options.out`; returns its train_meta.json.
    `callbacks`: extra `transformers.TrainerCallback`s."""
    from slmbench.train.recipe import continued_adapter_sha
    from slmbench.train.trainer import TrainRequest
    from slmbench.train.trainer import train as run_training

    recipe, source = resolve_recipe(options)
    request = TrainRequest(
        model=options.model,
        data=Path(options.data),
        out=Path(options.out),
        recipe=recipe,
        recipe_source=source,
        name=options.name,
        schemas=Path(options.schemas) if options.schemas else None,
        task=options.task,
        reader_options={"labels": str(options.labels)} if options.labels else {},
        val=Path(options.val) if options.val else None,
        val_fraction=options.val_fraction,
        merge=options.merge,
        init_adapter=Path(options.init_adapter) if options.init_adapter else None,
        init_adapter_sha256=continued_adapter_sha(options.config),
    )
    return run_training(request, callbacks=callbacks)
