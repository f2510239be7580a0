"""`slmbench sweep GRID --out DIR`: a grid of train-and-eval cells (`slmbench.sweep_grid`), each
a normal `slmbench train` run folder and `slmbench eval` run folders, chosen on validation rows
and tested once (issue #20, section 2).

DIR holds, with the run folder names of results/README.md:

- `data/train-n<rows>.jsonl`: the training subsets, the first rows of one seeded order of the
  training file stratified by schema (so 100 rows are among the 300), in file order;
- `train/<cell>/`: each cell's train run; `eval/<cell>.on-<val_split>[.constrained]/`: its
  validation eval; `eval/<cell>.on-<test_split>[...]/`: the test eval, chosen cells only;
- `sweep.json`: every cell's inputs, status, errors, wall times and metrics, and the choices;
- `report/sweep.md` and `report/figures/`: the table and figures (`slmbench.report.sweep_report`).

Cells run in grid order, each as train then validation eval. A cell that fails is recorded
(status, error) and the others go on; rerunning skips finished cells and resumes the others
through train's and eval's own resume (checkpoints, appended predictions). The `choose` rule
picks, in each group of cells, the best on the validation rows, once every cell of the group
has its validation eval; only chosen cells are evaluated on the test rows. `--device cuda` runs
the evals on CUDA; training uses CUDA whenever it is available. `--plan` prints each cell's
training tokens and estimated times and runs nothing.
"""

from __future__ import annotations

import argparse
import fnmatch
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from slmbench.errors import SlmbenchError
from slmbench.models.base import DEVICE_NAMES
from slmbench.options import CallableModule, add_command, check_choices, option
from slmbench.sweep_cells import Cell, expand
from slmbench.sweep_grid import Grid, grid_fields_help, read_grid
from slmbench.sweep_runner import CellRunner, group_label, subset_order

SWEEP_FILE = "sweep.json"
SCHEMA_VERSION = 1
PHASES = ("train", "val", "test")


@dataclass(kw_only=True)
class SweepOptions:
    """Everything `slmbench sweep` takes."""

    grid: Path = option(positional=True)
    """The grid file: JSON, or YAML with PyYAML installed (fields: `slmbench.sweep_grid`)."""
    out: Path
    """Sweep folder to write (rerun the same command to resume)."""
    device: str | None = option(None, choices=DEVICE_NAMES)
    """Device of the evals (transformers backend; default: cpu); training uses CUDA whenever it
    is available."""
    only: list[str] = option(default_factory=list, comma=True, metavar="PATTERN[,PATTERN...]")
    """Work only on the cells whose names match one of these shell patterns (`*-n50-*`); the
    others keep what they have."""
    plan: bool = False
    """Print every cell's training tokens and estimated CPU and GPU times; run nothing."""


def register(sub: argparse._SubParsersAction) -> None:
    add_command(
        sub,
        "sweep",
        SweepOptions,
        run_sweep,
        help="a grid of train-and-eval cells: chosen on validation, tested once, table+figures",
        description=__doc__,
        epilog=grid_fields_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def run_sweep(options: SweepOptions) -> int:
    if options.plan:
        print(plan_sweep(options))
        return 0
    record = sweep(options)
    return 1 if record["failed"] else 0


@dataclass
class Setup:
    """A grid read and checked against its data and recipe, before anything is written."""

    grid: Grid
    recipe: Any
    recipe_source: str
    cells: list[Cell]
    train_rows: list
    inputs: dict[str, Any]
    recipe_args: dict[str, Any] = field(default_factory=dict)
    """`recipe` or `config` of `TrainOptions`."""


def setup(options: SweepOptions) -> Setup:
    """The grid, its recipe and cells; errors name the grid file and field."""
    from slmbench.data.rows import file_sha256, read_rows
    from slmbench.data.schemas import load_schemas
    from slmbench.train.recipe import apply_overrides, load_recipe

    check_choices(options)
    grid, where = read_grid(options.grid), str(options.grid)
    is_file = grid.recipe.endswith(".json")
    recipe_args = {"config": Path(grid.recipe)} if is_file else {"recipe": grid.recipe}
    base, source = load_recipe(None if is_file else grid.recipe, grid.recipe if is_file else None)
    recipe = apply_overrides(base, grid.recipe_overrides, f"{where}: recipe_overrides")
    schemas = load_schemas(grid.data.schemas)
    train_rows = read_rows(grid.data.train, schemas)
    for split in ("val", "test"):
        path = getattr(grid.data, split)
        if path is not None:
            read_rows(path, schemas)  # a bad file fails here, not after hours of training
    cells = expand(grid, recipe, len(train_rows), where)

    def described(split: str) -> dict | None:
        path = getattr(grid.data, split)
        if path is None:
            return None
        name = None if split == "train" else getattr(grid.data, f"{split}_split")
        return {"path": str(path), "sha256": file_sha256(path), "split": name}

    inputs = {
        "train": described("train"),
        "val": described("val"),
        "test": described("test"),
        "schemas": str(grid.data.schemas) if grid.data.schemas else None,
        "recipe": grid.recipe,
        "recipe_source": source,
        "recipe_overrides": grid.recipe_overrides,
        "recipe_resolved": recipe.to_dict(),
        "subset_seed": grid.subset_seed,
        "eval": asdict(grid.eval),
        "choose": asdict(grid.choose),
    }
    return Setup(grid, recipe, source, cells, train_rows, inputs, recipe_args)


def selected(cells: list[Cell], patterns: list[str]) -> list[Cell]:
    if not patterns:
        return cells
    chosen = [c for c in cells if any(fnmatch.fnmatchcase(c.name, p) for p in patterns)]
    if not chosen:
        raise SlmbenchError(f"--only {','.join(patterns)}: no cell of the grid matches")
    return chosen


class SweepRecord:
    """DIR/sweep.json: read, checked against the grid's inputs, written after every step."""

    def __init__(self, out: Path, options: SweepOptions, s: Setup):
        from slmbench.provenance import now_iso

        self.path = out / SWEEP_FILE
        old: dict = {}
        if self.path.is_file():
            from slmbench.report.load import UnreadableFile, read_json

            try:
                old = read_json(self.path)
            except UnreadableFile as e:
                raise SlmbenchError(f"{self.path}: {e}") from None
            _check_same_inputs(self.path, old.get("inputs") or {}, s.inputs)
        by_name = {e["name"]: e for e in old.get("cells", []) + old.get("removed", [])}
        names = {c.name for c in s.cells}
        self.data = {
            "schema_version": SCHEMA_VERSION,
            "kind": "sweep",
            "name": s.grid.name,
            "grid": str(options.grid),
            "created": old.get("created") or now_iso(),
            "updated": now_iso(),
            "status": "running",
            "inputs": s.inputs,
            "subsets": old.get("subsets", {}),
            "cells": [self._entry(by_name.get(c.name), c) for c in s.cells],
            "removed": [e for n, e in by_name.items() if n not in names],
            "choices": old.get("choices", []),
            "failed": [],
        }

    @staticmethod
    def _entry(old: dict | None, cell: Cell) -> dict:
        entry = old or {"name": cell.name, "status": "pending", "train": None, "val": None}
        entry.setdefault("test", None)
        entry.update(blocks=list(cell.blocks), inputs=cell.inputs(), chosen=False)
        return entry

    def entry(self, name: str) -> dict:
        return next(e for e in self.data["cells"] if e["name"] == name)

    def write(self) -> None:
        from slmbench.provenance import now_iso, write_json

        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.data["updated"] = now_iso()
        write_json(self.path, self.data)


def _check_same_inputs(path: Path, old: dict, new: dict) -> None:
    """A sweep folder resumes only the same grid inputs (paths may move, contents may not)."""

    def identity(inputs: dict) -> dict:
        return {
            k: ({kk: vv for kk, vv in v.items() if kk != "path"} if isinstance(v, dict) else v)
            for k, v in inputs.items()
        }

    before, now = identity(old), identity(new)
    changed = sorted(k for k in set(before) | set(now) if before.get(k) != now.get(k))
    if changed:
        raise SlmbenchError(
            f"{path}: this sweep was made with other inputs ({', '.join(changed)} differ); "
            "give another --out, or restore the grid"
        )


def sweep(options: SweepOptions) -> dict:
    """Run (or resume) the grid into `options.out`; returns sweep.json's content."""
    s = setup(options)
    if options.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise SlmbenchError("--device cuda: no CUDA device is available here")
    todo = selected(s.cells, options.only)
    out = Path(options.out)
    record = SweepRecord(out, options, s)
    record.write()
    work = CellRunner(options, s, record)
    print(f"sweep {s.grid.name}: {len(s.cells)} cells, {len(todo)} to work on", flush=True)
    work.run_cells(todo)
    chosen = work.choose()
    if s.grid.data.test is not None:
        names = {c.name for c in todo}
        tested = [c for c in chosen if c.name in names]
        for number, cell in enumerate(tested, start=1):
            work.run_phase(cell, "test", f"[test {number}/{len(tested)}]")
    finish(work)
    return record.data


def finish(work: CellRunner) -> None:
    """Failed cells, status, report, and the summary printed at the end."""
    from slmbench.report.sweep_report import write_sweep_report

    record, grid = work.record, work.s.grid
    entries = record.data["cells"]
    failed = [e for e in entries if e["status"] == "failed" or _failed_test(e)]
    record.data["failed"] = [e["name"] for e in failed]
    waiting = [c for c in record.data["choices"] if c["status"] == "waiting"]
    untested = [e for e in entries if e["chosen"] and grid.data.test and not work.done(e, "test")]
    complete = all(e["status"] == "complete" for e in entries)
    record.data["status"] = "complete" if complete and not waiting and not untested else "partial"
    record.write()
    written = write_sweep_report(work.out)
    counts = {s: sum(e["status"] == s for e in entries) for s in ("complete", "failed")}
    print(
        f"\nsweep {grid.name}: {len(entries)} cells: {counts['complete']} complete, "
        f"{counts['failed']} failed, {len(entries) - sum(counts.values())} not finished"
    )
    rule = grid.choose
    split = grid.data.val_split
    for choice in record.data["choices"]:
        label = group_label(choice["group"])
        if choice["status"] == "waiting":
            print(f"  {label}: choice waits for {len(choice['waiting_for'])} cell(s)")
            continue
        test = (record.entry(choice["cell"]).get("test") or {}).get("metrics") or {}
        test_value = ((test.get("overall") or {}).get(rule.metric) or {}).get("value")
        shown = f", test {100 * test_value:.1f}%" if test_value is not None else ""
        print(
            f"  {label}: chose {choice['cell']} ({rule.metric} {100 * choice['value']:.1f}% "
            f"on {split}{shown})"
        )
    if failed:
        print(f"failed cells ({len(failed)}), rerun the same command to retry them:")
        for e in failed:
            phase = next(p for p in PHASES if (e.get(p) or {}).get("status") == "failed")
            print(f"  {e['name']} ({phase}): {e[phase]['error']}")
    print(f"wrote {record.path}, {written.table}")


def _failed_test(entry: dict) -> bool:
    return (entry.get("test") or {}).get("status") == "failed"


def plan_sweep(options: SweepOptions) -> str:
    """The markdown table of `--plan`: each cell's training tokens and estimated times."""
    from slmbench.sweep_plan import estimate

    s = setup(options)
    order = subset_order(s.train_rows, s.grid.subset_seed)
    return estimate(s.grid, s.recipe, s.cells, s.train_rows, order)


class _SweepModule(CallableModule):
    def __call__(self, options: SweepOptions) -> dict:
        """Run a sweep: `slmbench.sweep.sweep`."""
        return sweep(options)


sys.modules[__name__].__class__ = _SweepModule
