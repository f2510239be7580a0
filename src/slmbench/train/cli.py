"""`slmbench train`: fine-tune a model on an EdgeJSON-format training file.

Every recipe field is also a flag (`--learning-rate 1e-3`, `--target-modules all-linear`),
generated from the `Recipe` dataclass; flags override the chosen recipe. Multi-GPU:
`accelerate launch -m slmbench.cli train ...` (same flags).
"""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_RECIPE = "recommended"


def register(sub: argparse._SubParsersAction) -> None:
    from slmbench.train.recipe import RECIPE_FIELDS, cli_flag, field_docs, field_metavar

    parser = sub.add_parser(
        "train",
        help="fine-tune a model (LoRA or full) for JSON extraction",
        description="Fine-tune a model on a training file; resumable (rerun the same command).",
    )
    parser.add_argument(
        "--model", required=True, help="base model: registered name, model folder or hub id"
    )
    parser.add_argument("--data", type=Path, required=True, help="training rows (JSONL)")
    parser.add_argument("--schemas", type=Path, help="schema folder (default: packaged)")
    parser.add_argument("--out", type=Path, required=True, help="run folder to write")
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument(
        "--recipe",
        help=f"packaged recipe name (default: {DEFAULT_RECIPE}; see src/slmbench/configs)",
    )
    choice.add_argument("--config", type=Path, help="recipe JSON file")
    val = parser.add_mutually_exclusive_group()
    val.add_argument("--val", type=Path, help="validation rows (JSONL)")
    val.add_argument(
        "--val-fraction",
        type=float,
        metavar="F",
        help="hold out this fraction of the training rows, stratified by schema "
        "(ids written to RUN_DIR/val_ids.json)",
    )
    parser.add_argument(
        "--merge",
        action="store_true",
        help="also write RUN_DIR/merged/: base model with the adapter merged in",
    )
    parser.add_argument(
        "--init-adapter",
        type=Path,
        metavar="DIR",
        help="continue training this LoRA adapter (a run folder or its adapter/) instead of "
        "a fresh one; its rank and alpha must match the recipe's",
    )
    fields = parser.add_argument_group("recipe fields (override the recipe)")
    docs = field_docs()
    for name in RECIPE_FIELDS:
        # Strings here; typed and checked by the recipe module so that errors name the field.
        fields.add_argument(
            cli_flag(name),
            dest=f"recipe_{name}",
            metavar=field_metavar(name),
            help=docs.get(name, "").replace("%", "%%"),
        )
    parser.set_defaults(func=run_train)


def run_train(args: argparse.Namespace) -> int:
    from slmbench.train.recipe import (
        RECIPE_FIELDS,
        apply_overrides,
        continued_adapter_sha,
        load_recipe,
    )
    from slmbench.train.trainer import TrainRequest, train

    name = args.recipe if args.recipe or args.config else DEFAULT_RECIPE
    recipe, source = load_recipe(name, args.config)
    overrides = {field: getattr(args, f"recipe_{field}") for field in RECIPE_FIELDS}
    recipe = apply_overrides(recipe, overrides, "command line")
    meta = train(
        TrainRequest(
            model=args.model,
            data=args.data,
            out=args.out,
            recipe=recipe,
            recipe_source=source,
            schemas=args.schemas,
            val=args.val,
            val_fraction=args.val_fraction,
            merge=args.merge,
            init_adapter=args.init_adapter,
            init_adapter_sha256=continued_adapter_sha(args.config),
        )
    )
    final = meta.get("final_val") or {}
    scores = ", ".join(f"{k} {v:.4g}" for k, v in final.items() if isinstance(v, float))
    print(
        f"done: {args.out} ({meta.get('global_step')} steps, {meta.get('wall_s')} s"
        + (f"; validation: {scores}" if scores else "")
        + ")"
    )
    return 0
