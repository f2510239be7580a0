"""A sweep grid's cells: `expand` resolves each block's product of axes against the recipe into
`Cell`s (a cell that several blocks give is one cell, trained once), and `cell_name` names each
cell's run folders (`<grid>-r16-n629-e3-lr1e-3`).
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slmbench.errors import SlmbenchError
from slmbench.sweep_grid import ALPHA_PER_RANK, FULL, Grid


@dataclass(frozen=True)
class Cell:
    """One train-and-eval cell, with every axis resolved."""

    name: str
    blocks: tuple[str, ...]
    model: str
    rows: int
    method: str
    """`lora` or `full`."""
    rank: int | None
    """LoRA rank (None: full fine-tuning)."""
    alpha: int | None
    alpha_rule: str
    """How alpha was set: `recipe`, a number, or `<k>r` (figures group cells by it)."""
    epochs: float
    learning_rate: float

    def axis(self, key: str) -> Any:
        """The cell's value of a `choose.by` key (`rank`: the rank or `full`)."""
        if key == "rank":
            return FULL if self.rank is None else self.rank
        return getattr(self, key)

    def inputs(self) -> dict[str, Any]:
        """What the cell is, as sweep.json records it."""
        return {
            "model": self.model,
            "rows": self.rows,
            "method": self.method,
            "rank": self.rank,
            "alpha": self.alpha,
            "alpha_rule": self.alpha_rule,
            "epochs": self.epochs,
            "learning_rate": self.learning_rate,
        }

    def recipe_overrides(self, fixed: dict[str, Any]) -> dict[str, Any]:
        """The recipe fields of this cell's `slmbench train`, over the grid's fixed ones."""
        values = {**fixed, "method": self.method, "epochs": self.epochs}
        values["learning_rate"] = self.learning_rate
        if self.method == "lora":
            values.update(lora_r=self.rank, lora_alpha=self.alpha)
        return values


def expand(grid: Grid, recipe: Any, n_train_rows: int, where: str) -> list[Cell]:
    """The grid's cells, in block order, each resolved against the recipe; a cell that several
    blocks give is listed once, with every block that gives it."""
    cells: dict[tuple, Cell] = {}
    default_rank = recipe.lora_r if recipe.method == "lora" else FULL
    for i, block in enumerate(grid.blocks):
        rows = block.rows or [n_train_rows]
        for j, n in enumerate(rows):
            if n > n_train_rows:
                raise SlmbenchError(
                    f"{where}: field 'blocks[{i}].rows[{j}]' asks for {n} rows, but "
                    f"{grid.data.train} has {n_train_rows}"
                )
        axes = itertools.product(
            block.model or [grid.model],
            rows,
            block.rank or [default_rank],
            block.alpha or [None],
            block.epochs or [recipe.epochs],
            block.learning_rate or [recipe.learning_rate],
        )
        for model, n, rank, alpha_given, epochs, lr in axes:
            alpha, rule = _alpha(alpha_given, rank, recipe.lora_alpha, f"{where}: blocks[{i}]")
            key = (model, n, rank, alpha, float(epochs), float(lr))  # the same training, once
            if key in cells:
                old = cells[key]
                if block.name not in old.blocks:
                    cells[key] = dataclasses.replace(old, blocks=(*old.blocks, block.name))
                continue
            full = rank == FULL
            cells[key] = Cell(
                name=cell_name(grid, model, n, rank, alpha, recipe.lora_alpha, epochs, lr),
                blocks=(block.name,),
                model=model,
                rows=n,
                method="full" if full else "lora",
                rank=None if full else rank,
                alpha=alpha,
                alpha_rule=rule,
                epochs=float(epochs),
                learning_rate=float(lr),
            )
    listed = list(cells.values())
    names = [c.name for c in listed]
    for cell in listed:
        if names.count(cell.name) > 1:  # e.g. two model folders with the same basename
            raise SlmbenchError(f"{where}: two different cells are both named {cell.name!r}")
    return listed


def _alpha(given: int | str | None, rank: Any, recipe_alpha: int, where: str):
    """(alpha, rule) of one cell; (None, 'full') for full fine-tuning."""
    if rank == FULL:
        return None, FULL
    if given is None:
        return recipe_alpha, "recipe"
    if isinstance(given, int):
        return given, str(given)
    value = float(ALPHA_PER_RANK.match(given).group(1)) * rank
    if value != int(value) or value < 1:
        raise SlmbenchError(f"{where}: alpha {given!r} at rank {rank} is {value:g}, not an integer")
    return int(value), given


def cell_name(
    grid: Grid, model: str, rows: int, rank: Any, alpha: int | None, recipe_alpha: int, epochs, lr
) -> str:
    """`<grid>[-<model>]-{r<rank>[-a<alpha>]|full}-n<rows>-e<epochs>-lr<lr>`: the model only when
    it is not the grid's default, alpha only when it is not the recipe's.

    >>> from slmbench.known_models import EMBEDDED_NAME
    >>> g = Grid(name="sw", data=None, blocks=[])
    >>> cell_name(g, EMBEDDED_NAME, 629, 16, 32, 32, 3.0, 1e-3)
    'sw-r16-n629-e3-lr1e-3'
    >>> cell_name(g, "runs/My Model", 50, "full", None, 32, 0.5, 1.5e-4)
    'sw-my-model-full-n50-e0p5-lr1p5e-4'
    >>> cell_name(g, EMBEDDED_NAME, 100, 4, 8, 32, 3, 2e-3)
    'sw-r4-a8-n100-e3-lr2e-3'
    """
    parts = [grid.name]
    if model != grid.model:
        parts.append(_slug(Path(model).name or model))
    if rank == FULL:
        parts.append(FULL)
    else:
        parts.append(f"r{rank}")
        if alpha != recipe_alpha:
            parts.append(f"a{alpha}")
    parts += [f"n{rows}", f"e{compact_number(epochs)}", f"lr{compact_number(lr)}"]
    return "-".join(parts)


def compact_number(x: float) -> str:
    """A number for a folder name: no dots, small ones as `<mantissa>e<exponent>`.

    >>> [compact_number(v) for v in (3.0, 0.5, 1e-3, 3e-4, 2e-05, 0.0015, 12)]
    ['3', '0p5', '1e-3', '3e-4', '2e-5', '1p5e-3', '12']
    """
    if x >= 0.1:
        return f"{x:g}".replace(".", "p")
    mantissa, exponent = f"{x:.6e}".split("e")
    return f"{float(mantissa):g}e{int(exponent)}".replace(".", "p")


def _slug(text: str) -> str:
    out = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return out or "model"
