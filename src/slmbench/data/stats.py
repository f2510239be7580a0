"""`slmbench data stats`: rows per tier and schema, and lengths of texts and gold answers.

Lengths are in characters and, given a `count_tokens` function (the CLI builds one from the
embedded model's tokenizer; this package imports no model code), in tokens. The gold is
measured as the model writes it: `slmbench.prompts.format_answer(gold)`.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from pathlib import Path

from tqdm import tqdm

from slmbench.data.rows import read_rows
from slmbench.data.schemas import TIERS, load_schemas
from slmbench.prompts import format_answer

MEASURES = ("text_tokens", "gold_tokens", "text_chars", "gold_chars")


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (a value that occurs in the data).

    >>> percentile([5, 1, 4, 2, 3], 0.9), percentile([5, 1, 4, 2, 3], 0.5), percentile([7], 0.9)
    (5, 3, 7)
    """
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summarize(values: list[float]) -> dict[str, float]:
    """Median, p90 and max of a list of lengths.

    >>> summarize([10, 20, 30, 40])
    {'median': 25.0, 'p90': 40, 'max': 40}
    """
    return {
        "median": statistics.median(values),
        "p90": percentile(values, 0.9),
        "max": max(values),
    }


def _group(lengths: list[dict[str, int]]) -> dict:
    measures = [m for m in MEASURES if lengths and m in lengths[0]]
    return {
        "rows": len(lengths),
        "lengths": {m: summarize([row[m] for row in lengths]) for m in measures},
    }


def dataset_stats(
    path: str | Path,
    schema_dir: str | Path | None = None,
    count_tokens: Callable[[str], int] | None = None,
) -> dict:
    """Rows and length summaries overall, per tier and per schema.

    Returns `{"path", "n_rows", "tokens" (whether token lengths were measured), "overall",
    "by_tier": {tier: group}, "by_schema": {schema_id: group + "tier"}}`, where a group is
    `{"rows": n, "lengths": {measure: {"median", "p90", "max"}}}` and the measures are
    `text_chars`, `gold_chars` and, with `count_tokens`, `text_tokens` and `gold_tokens`.
    """
    schemas = load_schemas(schema_dir)
    rows = read_rows(path, schemas)
    per_row: list[dict[str, int]] = []
    for row in tqdm(rows, desc="measuring", unit="row", disable=len(rows) < 5000):
        answer = format_answer(row.expected_output)
        lengths = {"text_chars": len(row.prompt), "gold_chars": len(answer)}
        if count_tokens is not None:
            lengths["text_tokens"] = count_tokens(row.prompt)
            lengths["gold_tokens"] = count_tokens(answer)
        per_row.append(lengths)

    by_tier = {
        tier: _group([m for r, m in zip(rows, per_row, strict=True) if r.complexity == tier])
        for tier in [*TIERS, *sorted({r.complexity for r in rows} - set(TIERS))]
        if any(r.complexity == tier for r in rows)
    }
    by_schema = {}
    for schema_id in sorted({r.schema_id for r in rows}):
        group = _group([m for r, m in zip(rows, per_row, strict=True) if r.schema_id == schema_id])
        by_schema[schema_id] = {"tier": schemas[schema_id].tier, **group}
    return {
        "path": str(path),
        "n_rows": len(rows),
        "tokens": count_tokens is not None,
        "overall": _group(per_row),
        "by_tier": by_tier,
        "by_schema": by_schema,
    }


def _cell(summary: dict[str, float]) -> str:
    return "/".join(f"{summary[k]:g}" for k in ("median", "p90", "max"))


def render_stats(stats: dict) -> str:
    """A readable table of `dataset_stats` output: one line per tier, its schemas below it."""
    measures = [m for m in MEASURES if m in stats["overall"]["lengths"]]
    titles = {
        "text_tokens": "text tokens",
        "gold_tokens": "gold tokens",
        "text_chars": "text chars",
        "gold_chars": "gold chars",
    }
    width = 22

    def line(name: str, group: dict) -> str:
        cells = "".join(f"{_cell(group['lengths'][m]):>{width}}" for m in measures)
        return f"{name:<30}{group['rows']:>6}{cells}"

    header = f"{'':<30}{'rows':>6}" + "".join(f"{titles[m]:>{width}}" for m in measures)
    out = [
        f"{stats['path']}: {stats['n_rows']} rows; lengths as median/p90/max"
        + ("" if stats["tokens"] else " (no tokenizer: characters only)"),
        "",
        header,
    ]
    for tier, group in stats["by_tier"].items():
        out.append(line(tier, group))
        for schema_id, sgroup in stats["by_schema"].items():
            if sgroup["tier"] == tier:
                out.append(line(f"  {schema_id}", sgroup))
    out.append(line("all", stats["overall"]))
    return "\n".join(out)
