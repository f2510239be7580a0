"""The README's headline table, generated from `results/headline.json` and the claims.

`results/headline.json` (CONTRIBUTING.md, "Claims"):
`{"columns": [{"label": "JSONExact %", "metric": "metrics.overall.json_exact", "ci": true}, ...],
  "rows": [{"label": "...", "run": "results/runs/eval/..."},
           {"label": "...", "reported": {"result": "SmolLM2-135M FT"}}]}`

Every measured cell is a claim, looked up by run and metric (and `<metric>.ci_low` /
`.ci_high` for a column with `ci`); a cell without one is an error naming its row and column.
Reported rows take the paper's published numbers from `reported.py`, in a group of their own
labelled as reported, not measured here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from slmbench.errors import SlmbenchError
from slmbench.report.claims import ClaimIndex
from slmbench.report.formatting import pct
from slmbench.report.reported import DATASET, DATASET_ROWS, ReportedResult, reported_result

HEADLINE_SPEC = "results/headline.json"
README = "README.md"
START = "<!-- headline:start -->"
END = "<!-- headline:end -->"
MAX_ROWS = 8
FIGURE = "docs/report/figures/headline_tiers"
RECORD_DOC = "docs/record.md"
REPORTED_HEADING = "reported by the paper, not measured here"


@dataclass(frozen=True)
class Column:
    label: str
    metric: str
    ci: bool = False


@dataclass(frozen=True)
class Row:
    label: str
    run: str | None = None
    reported: ReportedResult | None = None


@dataclass(frozen=True)
class Headline:
    path: Path
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]

    @property
    def measured(self) -> list[Row]:
        return [r for r in self.rows if r.run is not None]

    @property
    def published(self) -> list[Row]:
        return [r for r in self.rows if r.reported is not None]


def _column(entry: object, where: str) -> Column:
    if not isinstance(entry, dict) or not {"label", "metric"} <= set(entry):
        raise SlmbenchError(f'{where}: a column needs "label" and "metric"')
    return Column(str(entry["label"]), str(entry["metric"]), bool(entry.get("ci", False)))


def _row(entry: object, where: str) -> Row:
    if not isinstance(entry, dict) or "label" not in entry:
        raise SlmbenchError(f'{where}: a row needs a "label"')
    if ("run" in entry) == ("reported" in entry):
        raise SlmbenchError(f'{where} ({entry["label"]}): give exactly one of "run", "reported"')
    if "run" in entry:
        return Row(str(entry["label"]), run=str(entry["run"]).rstrip("/"))
    spec = entry["reported"]
    name = spec.get("result") if isinstance(spec, dict) else None
    result = reported_result(str(name))
    if result is None:
        raise SlmbenchError(
            f'{where} ({entry["label"]}): "reported" must be {{"result": LABEL}} with a label '
            "of slmbench/report/reported.py"
        )
    return Row(str(entry["label"]), reported=result)


def load_headline(root: str | Path = ".") -> Headline:
    """Read and check `results/headline.json` under the repo root."""
    rel = Path(HEADLINE_SPEC)
    path = Path(root) / rel
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SlmbenchError(f"{rel}: missing (the headline rows of the README)") from None
    except json.JSONDecodeError as e:
        raise SlmbenchError(f"{rel}: line {e.lineno}: not valid JSON ({e.msg})") from None
    if not isinstance(data, dict) or not data.get("columns") or not data.get("rows"):
        raise SlmbenchError(f'{rel}: must be an object with "columns" and "rows" lists')
    columns = tuple(_column(c, f"{rel}: columns[{i}]") for i, c in enumerate(data["columns"]))
    rows = tuple(_row(r, f"{rel}: rows[{i}]") for i, r in enumerate(data["rows"]))
    if len(rows) > MAX_ROWS:
        raise SlmbenchError(f"{rel}: {len(rows)} rows, the headline holds at most {MAX_ROWS}")
    return Headline(rel, columns, rows)


def measured_cell(row: Row, column: Column, claims: ClaimIndex) -> str:
    """`84.8 [79.1, 90.5]`: the claims for this run and metric (and its interval)."""
    what = f"headline row {row.label!r}, column {column.label!r}"
    assert row.run is not None
    text = claims.require(row.run, column.metric, what).text
    if column.ci:
        low = claims.require(row.run, f"{column.metric}.ci_low", what + " (ci_low)").text
        high = claims.require(row.run, f"{column.metric}.ci_high", what + " (ci_high)").text
        text += f" [{low}, {high}]"
    return text


def reported_cell(row: Row, column: Column) -> str:
    assert row.reported is not None
    value = row.reported.metric(column.metric)
    return "" if value is None else pct(value)


def render_table(headline: Headline, claims: ClaimIndex) -> list[str]:
    """The Markdown table: measured rows linking their run folders, then the paper's rows."""
    header = ["Model (run folder)"] + [c.label for c in headline.columns]
    lines = ["| " + " | ".join(header) + " |", "|---" + "|---:" * len(headline.columns) + "|"]
    for row in headline.measured:
        cells = [f"[{row.label}]({row.run})"]
        cells += [measured_cell(row, c, claims) for c in headline.columns]
        lines.append("| " + " | ".join(cells) + " |")
    if headline.published:
        heading = f"*{REPORTED_HEADING} ({DATASET} split, {DATASET_ROWS} rows)*"
        lines.append("| " + " | ".join([heading] + [""] * len(headline.columns)) + " |")
        for row in headline.published:
            cells = [row.label] + [reported_cell(row, c) for c in headline.columns]
            lines.append("| " + " | ".join(cells) + " |")
    return lines


def render_block(headline: Headline, claims: ClaimIndex, figure: str | None = None) -> str:
    """What goes between the README's markers: the table, its note, and the figure."""
    lines = [
        START,
        *render_table(headline, claims),
        "",
        f"Percent; brackets: 95% interval. Generated by `slmbench report --claims` from "
        f"`{HEADLINE_SPEC}`: every measured number is a claim of `experiments/*/claims.json`, "
        "checked against its run's `results.json` by `tests/test_claims.py`. Every claim, by "
        f"experiment: [{RECORD_DOC}]({RECORD_DOC}).",
    ]
    if figure:
        lines += ["", f"![JSONExact by tier, headline rows]({figure})"]
    lines.append(END)
    return "\n".join(lines)


def replace_block(text: str, block: str, where: str = README) -> str:
    """`text` with the part from START to END (markers included) replaced by `block`.

    >>> replace_block("a\\n<!-- headline:start -->\\nold\\n<!-- headline:end -->\\nb", "NEW")
    'a\\nNEW\\nb'
    """
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start or text.count(START) != 1 or text.count(END) != 1:
        raise SlmbenchError(
            f"{where}: needs one {START} line and one {END} line after it, around the headline "
            "table"
        )
    return text[:start] + block + text[end + len(END) :]


def current_block(text: str, where: str = README) -> str:
    """The README's block between the markers, markers included."""
    replace_block(text, "", where)  # same checks
    return text[text.find(START) : text.find(END) + len(END)]


@dataclass(frozen=True)
class FigureRow:
    """One headline row in the figure: JSONExact overall and per tier, as
    `{group: {"value", "ci_low", "ci_high"}}` (fractions)."""

    label: str
    groups: dict[str, dict]
    reported: bool = False


def figure_rows(headline: Headline, root: Path) -> list[FigureRow]:
    """The headline rows' JSONExact, overall and by tier, from each run's results.json;
    then the paper's rows (no intervals)."""
    out: list[FigureRow] = []
    for row in headline.measured:
        results = json.loads((root / str(row.run) / "results.json").read_text(encoding="utf-8"))
        metrics = results.get("metrics") or {}
        groups = {"overall": (metrics.get("overall") or {}).get("json_exact")}
        for tier, scores in (metrics.get("by_tier") or {}).items():
            groups[tier] = (scores or {}).get("json_exact")
        out.append(
            FigureRow(row.label, {g: _as_dict(v) for g, v in groups.items() if v is not None})
        )
    for row in headline.published:
        assert row.reported is not None
        groups = {"overall": row.reported.json_exact, **row.reported.json_exact_by_tier}
        out.append(FigureRow(row.label, {g: {"value": v} for g, v in groups.items()}, True))
    return out


def _as_dict(value: object) -> dict:
    return value if isinstance(value, dict) else {"value": value}
