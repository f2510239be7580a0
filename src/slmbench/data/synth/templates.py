"""Labelled examples turned into templates (new rows from them: `slmbench.data.synth.substitute`).

A template is the example's text with each located gold leaf replaced by a slot that knows how
the value was written there (`forms`). It also records the arrays whose items are one line each
(tables, item lists: `RowGroup`, whose number of lines a new row may change) and the optional
fields that have a line of their own (which a new row may leave out), and whether the example's
totals add up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from slmbench.data.synth.locate import Leaf, Located, TextIndex, leaves_of, locate
from slmbench.data.synth.render import build_field
from slmbench.data.synth.schema_walk import SchemaDoc
from slmbench.data.validate import arithmetic_errors

EXTRA_ROWS = 2
"""A one-line-per-item array gets up to this many more items than its example."""
_LABEL_LINE = re.compile(r"\s*(?:[-*•]\s*)?[A-Za-z][\w .#/()&'-]{0,40}[:=]?\s*")


@dataclass
class Slot:
    start: int
    end: int
    paths: list[tuple]
    form: object
    original: str


@dataclass
class RowGroup:
    """An array whose items each sit on one line of their own, consecutive lines."""

    path: tuple
    lines: list[tuple[int, int]]
    """(start, end) of each item's line, the newline included."""
    low: int
    high: int
    counter: bool = False
    """Each line starts with its item number ("1.", "Pos. 2", "line 3:"): renumbered."""


@dataclass
class Template:
    schema_id: str
    source: str
    text: str
    gold: dict
    slots: list[Slot]
    leaves: dict[tuple, Leaf]
    unlocated: list[Leaf]
    rows: list[RowGroup] = field(default_factory=list)
    droppable: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    totals: bool = False
    """The example's totals add up: new rows keep them adding up."""


def get_path(obj: Any, path: tuple) -> Any:
    for part in path:
        obj = obj[part]
    return obj


def set_path(obj: Any, path: tuple, value: Any) -> None:
    for part in path[:-1]:
        obj = obj[part]
    obj[path[-1]] = value


def make_template(doc: SchemaDoc, gold: dict, text: str, source: str) -> Template:
    """Locate the example's leaves and cut its text into a template."""
    root = build_field(doc, "", gold, doc.root, "")
    leaves = leaves_of(root)
    located, missing = locate(text, leaves)
    slots: list[Slot] = []
    for loc in located:
        if slots and (slots[-1].start, slots[-1].end) == (loc.start, loc.end):
            slots[-1].paths.append(loc.leaf.path)
        else:
            slots.append(
                Slot(loc.start, loc.end, [loc.leaf.path], loc.form, text[loc.start : loc.end])
            )
    n_rel, wrong = arithmetic_errors(gold)
    t = Template(
        doc.schema_id,
        source,
        text,
        gold,
        slots,
        {loc.leaf.path: loc.leaf for loc in located},
        missing,
        totals=n_rel > 0 and not wrong,
    )
    index = TextIndex(text)
    t.rows = _row_groups(doc, t, index)
    t.droppable = _droppable(doc, t, index)
    return t


def _line_span(index: TextIndex, n: int) -> tuple[int, int]:
    start = index.line_starts[n]
    end = index.line_starts[n + 1] if n + 1 < len(index.line_starts) else len(index.text)
    return start, end


def _row_groups(doc: SchemaDoc, t: Template, index: TextIndex) -> list[RowGroup]:
    arrays: list[tuple] = []

    def walk(value: Any, path: tuple) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, (*path, k))
        elif isinstance(value, list):
            if value:
                arrays.append(path)
            for i, v in enumerate(value):
                walk(v, (*path, i))

    walk(t.gold, ())
    groups: list[RowGroup] = []
    for path in arrays:
        if any(path[: len(g.path)] == g.path for g in groups):
            continue
        items = get_path(t.gold, path)
        lines: list[int] = []
        for i in range(len(items)):
            mine = [s for s in t.slots if any(p[: len(path) + 1] == (*path, i) for p in s.paths)]
            spread = {index.line_of(s.start) for s in mine} | {
                index.line_of(max(s.start, s.end - 1)) for s in mine
            }
            if len(spread) != 1:
                break
            lines.append(spread.pop())
        if len(lines) != len(items) or lines != list(range(lines[0], lines[0] + len(lines))):
            continue
        on_lines = [s for s in t.slots if index.line_of(s.start) in lines]
        if any(not all(p[: len(path)] == path for p in s.paths) for s in on_lines):
            continue
        node = _array_node(doc, path)
        low = int(node.get("minItems", 0))
        high = int(node.get("maxItems", len(items) + EXTRA_ROWS))
        spans = [_line_span(index, n) for n in lines]
        groups.append(RowGroup(path, spans, low, high, _numbered(t, spans)))
    return groups


def _numbered(t: Template, spans: list[tuple[int, int]]) -> bool:
    for i, (start, end) in enumerate(spans):
        first = min((s.start for s in t.slots if start <= s.start < end), default=end)
        if not item_number(i + 1).search(t.text[start:first]):
            return False
    return True


def item_number(n: int) -> re.Pattern:
    """Item number `n` where a line writes it ("1.", "Pos. 2"), not inside a longer number."""
    return re.compile(rf"(?<![\w.,]){n}(?![\w,]|\.\d)")


def _array_node(doc: SchemaDoc, path: tuple) -> dict:
    node: Any = doc.root
    pointer = ""
    for part in path:
        pointer, node = doc.normalise(node, pointer)
        if isinstance(part, int):
            node = node.get("items", {}) if isinstance(node.get("items"), dict) else {}
        else:
            node = (node.get("properties") or {}).get(part, {})
    return doc.normalise(node, pointer)[1]


def _droppable(doc: SchemaDoc, t: Template, index: TextIndex) -> dict[str, list[tuple[int, int]]]:
    required = set(doc.normalise(doc.root, "")[1].get("required", []))
    out: dict[str, list[tuple[int, int]]] = {}
    for key, value in t.gold.items():
        if key in required or isinstance(value, dict | list):
            continue
        mine = [s for s in t.slots if any(p[:1] == (key,) for p in s.paths)]
        if not mine or any(len(s.paths) > 1 or s.paths[0][:1] != (key,) for s in mine):
            continue
        spans = []
        for s in mine:
            n = index.line_of(s.start)
            start, end = _line_span(index, n)
            others = [o for o in t.slots if start <= o.start < end and o is not s]
            rest = index.text[start : s.start] + index.text[s.end : end].rstrip("\n")
            if others or not _LABEL_LINE.fullmatch(rest) or index.line_of(s.end - 1) != n:
                break
            spans.append((start, end))
        else:
            if not any(r.lines[0][0] <= a < r.lines[-1][1] for r in t.rows for a, _ in spans):
                out[key] = spans
    return out


__all__ = ["Located", "RowGroup", "Slot", "Template", "make_template"]
