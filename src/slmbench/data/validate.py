"""`slmbench data validate`: check every row of a dataset file and report per check.

Checks, each counted per row as passed, failed or not applicable:
- `schema`: the gold validates against its JSON Schema (formats included);
- `grounding`: every gold leaf is recoverable from the text (`slmbench.data.grounding`);
- `arithmetic`: line totals, subtotals and totals add up, where the gold has such fields;
- `duplicates`: no prompt appears twice in the file, nor in the `--against` file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from slmbench.data.grounding import ungrounded_leaves
from slmbench.data.rows import Row, iter_rows
from slmbench.data.schemas import TIERS, SchemaInfo, load_schemas

CHECKS = ("schema", "grounding", "arithmetic", "duplicates")
LINE_TOTAL_TOLERANCE = 0.005
TOTAL_TOLERANCE = 0.01
_EPS = 1e-9  # float noise on top of the tolerances
# Key names accepted for each term of total = subtotal + tax + shipping - discount.
TOTAL_KEYS = ("total", "total_amount")
TAX_KEYS = ("tax", "tax_amount")
SHIPPING_KEYS = ("shipping", "shipping_cost")
DISCOUNT_KEYS = ("discount", "discount_amount")
MAX_VALUE_CHARS = 80


@dataclass
class Failure:
    """One thing wrong with one row."""

    path: str
    line: int
    row_id: str
    check: str
    message: str

    def render(self) -> str:
        return f"{self.path}:{self.line} id={self.row_id} {self.check}: {self.message}"


@dataclass
class CheckCount:
    passed: int = 0
    failed: int = 0
    not_applicable: int = 0

    def add(self, failed: bool | None) -> None:
        """Count one row: True failed, False passed, None not applicable."""
        if failed is None:
            self.not_applicable += 1
        elif failed:
            self.failed += 1
        else:
            self.passed += 1


@dataclass
class ValidationReport:
    """What `validate_file` found; `render()` is the CLI's output."""

    path: str
    n_rows: int = 0
    against: str | None = None
    n_against: int = 0
    counts: dict[str, CheckCount] = field(default_factory=lambda: {c: CheckCount() for c in CHECKS})
    failures: list[Failure] = field(default_factory=list)
    leaves: dict[str, list[int]] = field(default_factory=dict)
    """schema id -> [grounded leaves, leaves]."""
    tiers: dict[str, str] = field(default_factory=dict)
    """schema id -> tier, for the schemas seen."""

    @property
    def ok(self) -> bool:
        return not self.failures

    def failed_checks(self) -> list[str]:
        return [c for c in CHECKS if self.counts[c].failed]

    def grounding_ratio(self, schema_id: str | None = None) -> float:
        """Grounded leaves / leaves, for one schema or overall (1.0 when there are none)."""
        pairs = [self.leaves[schema_id]] if schema_id else list(self.leaves.values())
        grounded, total = sum(p[0] for p in pairs), sum(p[1] for p in pairs)
        return grounded / total if total else 1.0

    def render(self, max_failures: int | None = 50) -> str:
        head = f"{self.path}: {self.n_rows} rows, {len(self.leaves)} schemas"
        if self.against:
            head += f"; prompts compared with {self.against} ({self.n_against} rows)"
        lines = [head]
        shown = self.failures if max_failures is None else self.failures[:max_failures]
        lines += [f.render() for f in shown]
        if len(shown) < len(self.failures):
            lines.append(
                f"... and {len(self.failures) - len(shown)} more failures "
                "(--max-failures 0 shows all)"
            )
        lines += ["", f"{'check':<12}{'passed':>8}{'failed':>8}{'n/a':>8}"]
        for check in CHECKS:
            c = self.counts[check]
            lines.append(f"{check:<12}{c.passed:>8}{c.failed:>8}{c.not_applicable:>8}")
        lines += ["", "grounding ratio by schema (grounded leaves / leaves):"]
        order = {tier: i for i, tier in enumerate(TIERS)}
        for schema_id in sorted(self.leaves, key=lambda s: (order.get(self.tiers[s], 9), s)):
            grounded, total = self.leaves[schema_id]
            name = f"{self.tiers[schema_id]}/{schema_id}"
            ratio = self.grounding_ratio(schema_id)
            lines.append(f"  {name:<36}{ratio:>7.3f}  ({grounded}/{total})")
        grounded = sum(p[0] for p in self.leaves.values())
        total = sum(p[1] for p in self.leaves.values())
        lines.append(f"  {'overall':<36}{self.grounding_ratio():>7.3f}  ({grounded}/{total})")
        if self.ok:
            lines += ["", "result: OK"]
        else:
            lines += [
                "",
                f"result: FAILED ({len(self.failures)} failures; "
                f"checks failing: {', '.join(self.failed_checks())})",
            ]
        return "\n".join(lines)


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _first_number(obj: dict, keys: tuple[str, ...]) -> tuple[str, float] | None:
    for key in keys:
        if _is_number(obj.get(key)):
            return key, obj[key]
    return None


def _item_totals(items: Any) -> list[float] | None:
    """The line totals of an array of item objects, or None unless every item has one."""
    if not isinstance(items, list) or not items:
        return None
    totals = []
    for item in items:
        found = _first_number(item, ("line_total", "total")) if isinstance(item, dict) else None
        if found is None:
            return None
        totals.append(found[1])
    return totals


def _object_relations(obj: dict, where: str) -> tuple[int, list[str]]:
    checked, errors = 0, []
    at = f"{where}." if where else ""
    line_total = _first_number(obj, ("line_total", "total"))
    if _is_number(obj.get("quantity")) and _is_number(obj.get("unit_price")) and line_total:
        checked += 1
        key, value = line_total
        expected = round(obj["quantity"] * obj["unit_price"], 2)
        if abs(value - expected) > LINE_TOTAL_TOLERANCE + _EPS:
            errors.append(
                f"{at}{key} {value} != quantity {obj['quantity']} * unit_price "
                f"{obj['unit_price']} = {expected}"
            )
    if not _is_number(obj.get("subtotal")):
        return checked, errors
    subtotal = obj["subtotal"]
    arrays = [(k, t) for k, v in obj.items() if (t := _item_totals(v)) is not None]
    if arrays:
        checked += 1
        sums = [(k, round(sum(t), 2)) for k, t in arrays]
        if not any(abs(subtotal - s) <= LINE_TOTAL_TOLERANCE + _EPS for _, s in sums):
            key, expected = sums[0]
            errors.append(f"{at}subtotal {subtotal} != sum of {at}{key} totals = {expected}")
    total = _first_number(obj, TOTAL_KEYS)
    terms = [_first_number(obj, keys) for keys in (TAX_KEYS, SHIPPING_KEYS, DISCOUNT_KEYS)]
    if total and any(terms):
        checked += 1
        tax, shipping, discount = (t[1] if t else 0 for t in terms)
        expected = round(subtotal + tax + shipping - discount, 2)
        if abs(total[1] - expected) > TOTAL_TOLERANCE + _EPS:
            formula = " ".join(
                f"{sign} {t[0]} {t[1]}" for sign, t in zip("++-", terms, strict=True) if t
            )
            errors.append(
                f"{at}{total[0]} {total[1]} != subtotal {subtotal} {formula} = {expected}"
            )
    return checked, errors


def arithmetic_errors(gold: Any) -> tuple[int, list[str]]:
    """`(relations checked, messages of those that do not add up)` anywhere in a gold object.

    >>> arithmetic_errors({"items": [{"quantity": 2, "unit_price": 1.5, "line_total": 3.0}],
    ...                    "subtotal": 3.0, "tax": 0.3, "shipping": 5, "total": 8.3})
    (3, [])
    >>> arithmetic_errors({"items": [{"quantity": 2, "unit_price": 1.5, "total": 3.5}]})
    (1, ['items[0].total 3.5 != quantity 2 * unit_price 1.5 = 3.0'])
    >>> arithmetic_errors({"subtotal": 10, "discount": 2, "total_amount": 9})
    (1, ['total_amount 9 != subtotal 10 - discount 2 = 8'])
    >>> arithmetic_errors({"name": "no totals here"})
    (0, [])
    """
    checked, errors = 0, []

    def walk(value: Any, where: str) -> None:
        nonlocal checked
        if isinstance(value, dict):
            n, errs = _object_relations(value, where)
            checked += n
            errors.extend(errs)
            for key, sub in value.items():
                walk(sub, f"{where}.{key}" if where else key)
        elif isinstance(value, list):
            for i, sub in enumerate(value):
                walk(sub, f"{where}[{i}]")

    walk(gold, "")
    return checked, errors


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 3] + "..."


def schema_errors(gold: Any, info: SchemaInfo) -> list[str]:
    """`POINTER: message` for each way the gold breaks its schema, in document order."""
    errors = sorted(info.validator().iter_errors(gold), key=lambda e: [str(p) for p in e.path])
    out = []
    for e in errors:
        pointer = "/" + "/".join(str(p) for p in e.absolute_path)
        message = e.message if len(e.message) <= 200 else e.message[:197] + "..."
        out.append(f"{pointer}: {message}")
    return out


def validate_rows(
    path: str,
    rows: list[tuple[int, Row]],
    schemas: dict[str, SchemaInfo],
    against: tuple[str, list[tuple[int, Row]]] | None = None,
) -> ValidationReport:
    """Run every check on `(line, row)` pairs read from `path` (see `validate_file`)."""
    report = ValidationReport(path=path, n_rows=len(rows))
    other_prompts: dict[str, tuple[int, str]] = {}
    if against:
        report.against, report.n_against = against[0], len(against[1])
        for line, row in against[1]:
            other_prompts.setdefault(row.prompt.strip(), (line, row.id))
    first_seen: dict[str, tuple[int, str]] = {}

    for line, row in tqdm(rows, desc="validating", unit="row", disable=len(rows) < 5000):
        info = schemas[row.schema_id]
        report.tiers[row.schema_id] = info.tier

        def fail(check: str, message: str, line: int = line, row: Row = row) -> None:
            report.failures.append(Failure(path, line, row.id, check, message))

        problems = schema_errors(row.expected_output, info)
        for message in problems:
            fail("schema", message)
        report.counts["schema"].add(bool(problems))

        n_leaves, missing = ungrounded_leaves(row.expected_output, row.prompt, info.schema)
        tally = report.leaves.setdefault(row.schema_id, [0, 0])
        tally[0] += n_leaves - len(missing)
        tally[1] += n_leaves
        for leaf_path, value in missing:
            fail("grounding", f"value {_short(value)} at {leaf_path or '(root)'} not found in text")
        report.counts["grounding"].add(bool(missing) if n_leaves else None)

        n_relations, wrong = arithmetic_errors(row.expected_output)
        for message in wrong:
            fail("arithmetic", message)
        report.counts["arithmetic"].add(bool(wrong) if n_relations else None)

        key = row.prompt.strip()
        dupes = []
        if key in first_seen:
            seen_line, seen_id = first_seen[key]
            dupes.append(f"same prompt as id={seen_id} (line {seen_line})")
        else:
            first_seen[key] = (line, row.id)
        if key in other_prompts:
            other_line, other_id = other_prompts[key]
            dupes.append(f"prompt also in {report.against}:{other_line} id={other_id}")
        for message in dupes:
            fail("duplicates", message)
        report.counts["duplicates"].add(bool(dupes))
    return report


def validate_file(
    path: str | Path,
    schema_dir: str | Path | None = None,
    against: str | Path | None = None,
) -> ValidationReport:
    """Validate a dataset file (ours or original v3). Unreadable input raises `DataError`."""
    schemas = load_schemas(schema_dir)
    rows = list(iter_rows(path, schemas))
    other = (str(against), list(iter_rows(against, schemas))) if against else None
    return validate_rows(str(path), rows, schemas, other)


def report_json(report: ValidationReport) -> str:
    """The report's figures as JSON (for scripts)."""
    return json.dumps(
        {
            "path": report.path,
            "n_rows": report.n_rows,
            "ok": report.ok,
            "counts": {c: vars(n) for c, n in report.counts.items()},
            "grounding_ratio": report.grounding_ratio(),
            "grounding_by_schema": {s: report.grounding_ratio(s) for s in sorted(report.leaves)},
            "failures": [vars(f) for f in report.failures],
        },
        indent=2,
    )
