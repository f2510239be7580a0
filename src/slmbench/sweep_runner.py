"""The cells' work in a sweep folder: `CellRunner` runs each cell's phases (training subset,
train, validation eval, test eval) into DIR, recording each in sweep.json, and applies the
grid's `choose` rule to the cells' validation scores (`grouped`, `choice_value`, `best_index`).
"""

from __future__ import annotations

import itertools
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slmbench.errors import SlmbenchError
from slmbench.options import command_line
from slmbench.sweep_cells import Cell

if TYPE_CHECKING:
    from slmbench.sweep import Setup, SweepOptions, SweepRecord


def eval_folder(cell: str, split: str, constrained: str | None) -> str:
    """`<cell>.on-<split>[.constrained|.lenient]` (results/README.md).

    >>> eval_folder("sw-r16-n50-e3-lr1e-3", "edgejson-test", "strict")
    'sw-r16-n50-e3-lr1e-3.on-edgejson-test.constrained'
    """
    suffix = {None: "", "strict": ".constrained", "lenient": ".lenient"}[constrained]
    return f"{cell}.on-{split}{suffix}"


def subset_order(rows: list, seed: int) -> list[str]:
    """Row ids in the order training subsets take them: every prefix samples the schemas in
    proportion (`stratified_order`), so a smaller subset is inside every larger one."""
    from slmbench.train.dataset import stratified_order

    return [r.id for r in stratified_order(rows, seed)]


class CellRunner:
    """Runs the phases of the cells into DIR, recording each in sweep.json."""

    def __init__(self, options: SweepOptions, s: Setup, record: SweepRecord):
        self.opts, self.s, self.record, self.out = options, s, record, Path(options.out)
        self._order: list[str] | None = None

    def subset(self, rows: int) -> Path:
        """DIR/data/train-n<rows>.jsonl: the first `rows` of the stratified order, in file
        order; written once (same grid, same bytes)."""
        from slmbench.data.rows import file_sha256, write_rows

        path = self.out / "data" / f"train-n{rows}.jsonl"
        if self._order is None:
            self._order = subset_order(self.s.train_rows, self.s.grid.subset_seed)
        keep = set(self._order[:rows])
        recorded = self.record.data["subsets"].get(str(rows))
        if not (recorded and path.is_file() and file_sha256(path) == recorded["sha256"]):
            path.parent.mkdir(parents=True, exist_ok=True)
            write_rows([r for r in self.s.train_rows if r.id in keep], path)
            entry = {"path": path.relative_to(self.out).as_posix(), "sha256": file_sha256(path)}
            self.record.data["subsets"][str(rows)] = entry
        return path

    def train(self, cell: Cell) -> dict:
        from slmbench.train.api import TrainOptions, train

        grid = self.s.grid
        options = TrainOptions(
            model=cell.model,
            data=self.subset(cell.rows),
            out=self.out / "train" / cell.name,
            name=cell.name,
            schemas=grid.data.schemas,
            recipe_overrides=cell.recipe_overrides(grid.recipe_overrides),
            **self.s.recipe_args,
        )
        _show("train", options)
        meta = train(options)
        keys = ("wall_s", "device", "global_step", "tokens_seen", "train_loss")
        return {
            "run": f"train/{cell.name}",
            **{k: meta.get(k) for k in keys},
            "trainable_params": meta.get("trainable_params"),
            "sessions": meta.get("sessions"),
        }

    def evaluate(self, cell: Cell, split: str) -> dict:
        from slmbench.eval.api import EvalOptions, evaluate

        grid, run_dir = self.s.grid, self.out / "train" / cell.name
        data = getattr(grid.data, split)
        name = eval_folder(cell.name, getattr(grid.data, f"{split}_split"), grid.eval.constrained)
        if cell.method == "lora":
            model = {"model": cell.model, "adapter": str(run_dir)}
        else:
            model = {"model": str(run_dir)}
        options = EvalOptions(
            **model,
            data=str(data),
            out=str(self.out / "eval" / name),
            name=name,
            schemas=str(grid.data.schemas) if grid.data.schemas else None,
            constrained=grid.eval.constrained,
            batch_size=grid.eval.batch_size,
            max_new_tokens=grid.eval.max_new_tokens,
            limit=grid.eval.limit,
            device=self.opts.device,
        )
        _show("eval", options)
        results = evaluate(options)
        latency = results.get("latency") or {}
        metrics = results.get("metrics") or {}
        return {
            "run": f"eval/{name}",
            "n": results.get("n"),
            "wall_s": latency.get("wall_s"),
            "device": (results.get("model") or {}).get("device"),
            "ms_per_example_median": (latency.get("ms_per_example") or {}).get("median"),
            "params": (results.get("model") or {}).get("params"),
            "metrics": {"overall": metrics.get("overall"), "by_tier": metrics.get("by_tier")},
        }

    def done(self, entry: dict, phase: str) -> bool:
        """Complete in sweep.json, and its run folder says so too."""
        from slmbench.report.load import UnreadableFile, read_json

        result = entry.get(phase)
        if not result or result.get("status") != "complete":
            return False
        folder = self.out / result["run"]
        marker = "train_meta.json" if phase == "train" else "results.json"
        try:
            data = read_json(folder / marker)
        except UnreadableFile:
            return False
        return phase != "train" or data.get("status") == "complete"

    def run_phase(self, cell: Cell, phase: str, label: str) -> bool:
        """One phase of one cell, recorded; False when it failed (the error is recorded)."""
        entry = self.record.entry(cell.name)
        if self.done(entry, phase):
            return True
        print(f"\n{label}: {cell.name}: {phase}", flush=True)
        entry[phase] = {**(entry.get(phase) or {}), "error": None}

        def mark(status: str) -> None:
            entry[phase]["status"] = status
            if phase != "test":  # a cell's status is its training's and validation's
                entry["status"] = status
            self.record.write()

        mark("running")
        start = time.perf_counter()
        try:
            result = self.train(cell) if phase == "train" else self.evaluate(cell, phase)
        except KeyboardInterrupt:
            mark("interrupted")
            raise
        except Exception as e:  # a failed cell is recorded and the sweep goes on
            if not isinstance(e, SlmbenchError):
                traceback.print_exc()
            entry[phase]["error"] = " ".join(f"{type(e).__name__}: {e}".split())[:500]
            mark("failed")
            message = entry[phase]["error"]
            print(f"{label}: {cell.name}: {phase} FAILED: {message}", flush=True)
            return False
        entry[phase] = {**result, "status": "complete", "session_s": _since(start)}
        self.record.write()
        return True

    def run_cells(self, cells: list[Cell]) -> None:
        for number, cell in enumerate(cells, start=1):
            label = f"[{number}/{len(cells)}]"
            entry = self.record.entry(cell.name)
            if self.done(entry, "train") and self.done(entry, "val"):
                print(f"{label} {cell.name}: done before, skipped", flush=True)
                entry["status"] = "complete"
                continue
            if self.run_phase(cell, "train", label) and self.run_phase(cell, "val", label):
                entry["status"] = "complete"
                self.record.write()

    def choose(self) -> list[Cell]:
        """The chosen cells, by the grid's rule, among groups whose cells all have their
        validation eval; sweep.json's `choices` says which groups still wait."""
        rule, cells = self.s.grid.choose, self.s.cells
        previous = {group_label(c["group"]): c for c in self.record.data["choices"]}
        choices, chosen = [], []
        for group, members in grouped(cells, rule.by).items():
            entries = [self.record.entry(c.name) for c in members]
            waiting = [e["name"] for e in entries if not self.done(e, "val")]
            choice: dict[str, Any] = {"group": dict(group), "cells": len(members)}
            if waiting:
                choice.update(status="waiting", waiting_for=waiting)
            else:
                scores = [choice_value(e, rule.metric, rule.tier) for e in entries]
                best = best_index(scores)
                winner = members[best]
                choice.update(status="chosen", cell=winner.name, value=scores[best])
                chosen.append(winner)
                self.record.entry(winner.name)["chosen"] = True
            before = previous.get(group_label(choice["group"]))
            earlier = list((before or {}).get("earlier", []))
            if before and before.get("cell") and before.get("cell") != choice.get("cell"):
                earlier.append(before["cell"])
                print(
                    f"warning: {group_label(choice['group'])}: the choice changed from "
                    f"{before['cell']} (kept, with any test eval it has) to {choice.get('cell')}"
                )
            if earlier:
                choice["earlier"] = earlier
            choices.append(choice)
        self.record.data["choices"] = choices
        self.record.write()
        return list(dict.fromkeys(chosen))


def grouped(cells: list[Cell], by: list[str]) -> dict[tuple, list[Cell]]:
    """Cells grouped by the values of `by` (`block`: a cell of several blocks is in each)."""
    groups: dict[tuple, list[Cell]] = {}
    for cell in cells:
        values = [
            [(key, b) for b in cell.blocks] if key == "block" else [(key, cell.axis(key))]
            for key in by
        ]
        for group in itertools.product(*values):
            groups.setdefault(group, []).append(cell)
    return groups


def best_index(scores: list[float]) -> int:
    """The highest score's index; a tie goes to the first listed.

    >>> best_index([0.2, 0.5, 0.5, 0.1])
    1
    """
    return max(range(len(scores)), key=lambda i: (scores[i], -i))


def choice_value(entry: dict, metric: str, tier: str | None) -> float:
    """The cell's validation score for the choice (-1 when the run has none)."""
    metrics = (entry.get("val") or {}).get("metrics") or {}
    scope = metrics.get("overall") if tier is None else (metrics.get("by_tier") or {}).get(tier)
    value = ((scope or {}).get(metric) or {}).get("value")
    return -1.0 if value is None else float(value)


def group_label(group: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in group.items()) or "all cells"


def _show(command: str, options: Any) -> None:
    print(" ".join(["slmbench", command, *command_line(options)]), flush=True)


def _since(start: float) -> float:
    return round(time.perf_counter() - start, 1)
