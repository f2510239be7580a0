"""Text from a gold record: the record as a tree of labelled fields, and the `kv` and `prose`
styles over it (the document styles are in `documents.py`).

- `kv`: "Label: value" lines (bulleted or not, sometimes shuffled), nested objects as indented
  blocks or flattened into "Parent child:" labels, arrays of scalars inline or as a bulleted
  list, arrays of flat objects as a table (markdown or aligned columns) or numbered entries;
- `prose`: one sentence per field in a varying order (array items keep theirs), nested fields
  named after their parent ("the customer email is ...").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slmbench.data.gen_values import Gen
from slmbench.data.synth.schema_walk import SchemaDoc, join_pointer
from slmbench.data.synth.wording import Wording, currency_of, lower_first

ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")
SEPARATORS = (": ", ": ", ": ", " - ", ":  ")


@dataclass
class Field:
    """One field of a record, with what rendering needs of its schema node."""

    key: str
    node: dict
    value: Any
    children: list[Field] = field(default_factory=list)
    """An object's fields, in record order."""
    items: list[Field] = field(default_factory=list)
    """An array's items."""

    @property
    def is_object(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_array(self) -> bool:
        return isinstance(self.value, list)

    @property
    def is_flat(self) -> bool:
        """An object of scalars only."""
        return self.is_object and not any(c.is_object or c.is_array for c in self.children)


def _branches(doc: SchemaDoc, node: Any, pointer: str) -> list[tuple[str, dict]]:
    pointer, node = doc.normalise(node, pointer)
    out = [(pointer, node)]
    for keyword in ("anyOf", "oneOf"):
        for i, sub in enumerate(node.get(keyword) or []):
            out.extend(_branches(doc, sub, join_pointer(pointer, keyword, i)))
    return out


def _child(doc: SchemaDoc, branches: list[tuple[str, dict]], key: str | int) -> tuple[str, Any]:
    for pointer, node in branches:
        if isinstance(key, int):
            prefix = node.get("prefixItems") or (
                node.get("items") if isinstance(node.get("items"), list) else []
            )
            if key < len(prefix):
                return join_pointer(pointer, "prefixItems", key), prefix[key]
            if isinstance(node.get("items"), dict):
                return join_pointer(pointer, "items"), node["items"]
            continue
        props = node.get("properties") or {}
        if key in props:
            return join_pointer(pointer, "properties", key), props[key]
        for pattern, sub in (node.get("patternProperties") or {}).items():
            import re

            if re.search(pattern, key):
                return join_pointer(pointer, "patternProperties", pattern), sub
        if isinstance(node.get("additionalProperties"), dict):
            return join_pointer(pointer, "additionalProperties"), node["additionalProperties"]
    return "", {}


def _leaf(branches: list[tuple[str, dict]], value: Any) -> dict:
    for _, node in branches:
        if value in (node.get("enum") or []):
            return node
    for _, node in branches:
        if "format" in node:
            return node
    return branches[0][1]


def build_field(doc: SchemaDoc, key: str, value: Any, node: Any, pointer: str) -> Field:
    """The field tree of a value under its schema node."""
    branches = _branches(doc, node, pointer)
    if isinstance(value, dict):
        children = [
            build_field(doc, k, v, sub, p)
            for k, v in value.items()
            for p, sub in [_child(doc, branches, k)]
        ]
        return Field(key, branches[0][1], value, children=children)
    if isinstance(value, list):
        item_key = key[:-1] if key.endswith("s") and len(key) > 3 else key
        items = [
            build_field(doc, item_key, v, sub, p)
            for i, v in enumerate(value)
            for p, sub in [_child(doc, branches, i)]
        ]
        return Field(key, branches[0][1], value, items=items)
    return Field(key, _leaf(branches, value), value)


class Renderer:
    """The `kv` and `prose` styles; `documents.DocumentRenderer` adds the others."""

    def __init__(self, g: Gen, wording: Wording):
        self.g, self.w = g, wording
        self.currency: str | None = None

    def begin(self, record: dict) -> None:
        """Per-record state: the currency amounts are written in."""
        self.currency = currency_of(record)

    def say(self, f: Field) -> str:
        return self.w.spell(f.value, f.node, f.key, self.currency)

    def label(self, f: Field) -> str:
        return self.w.label(f.key, f.node)

    # -- kv -----------------------------------------------------------------------------------
    def kv(self, root: Field, title: str | None) -> str:
        g = self.g
        self.sep = g.pick(SEPARATORS)
        self.bullet = g.pick(["", "", "", "- ", "* "])
        self.flatten = g.chance(0.3)
        children = list(root.children)
        if g.chance(0.25):
            g.rng.shuffle(children)
        lines = self.kv_lines(children, "")
        text = "\n".join(lines)
        return f"{title}\n\n{text}" if title else text

    def kv_lines(self, fields: list[Field], pad: str) -> list[str]:
        lines: list[str] = []
        lead = pad + (self.bullet if not pad else "")
        for f in fields:
            name = self.label(f)
            if f.is_object:
                if self.flatten and not pad and f.is_flat and f.children:
                    for c in f.children:
                        lines.append(
                            f"{lead}{name} {lower_first(self.label(c))}{self.sep}{self.say(c)}"
                        )
                elif f.children:
                    lines.append(f"{lead}{name}:")
                    lines.extend(self.kv_lines(f.children, pad + "  "))
            elif f.is_array:
                lines.extend(self.array_lines(f, name, lead, pad))
            else:
                lines.append(f"{lead}{name}{self.sep}{self.say(f)}")
        return lines

    def array_lines(self, f: Field, name: str, lead: str, pad: str) -> list[str]:
        g = self.g
        if not f.items:
            return [f"{lead}{name}{self.sep}{g.pick(['none', 'None', '(none)'])}"]
        if all(not (i.is_object or i.is_array) for i in f.items):
            texts = [self.say(i) for i in f.items]
            if g.chance(0.6):
                sep = "; " if any("," in t for t in texts) else g.pick([", ", ", ", "; "])
                return [f"{lead}{name}{self.sep}{sep.join(texts)}"]
            return [f"{lead}{name}:"] + [f"{pad}  - {t}" for t in texts]
        if all(i.is_flat for i in f.items) and g.chance(0.5):
            return [f"{lead}{name}:"] + self.table(f.items, pad + "  ", g.chance(0.5))
        lines = [f"{lead}{name}:"]
        numbered = g.chance(0.5)
        joiner = g.pick([" | ", "; ", ", "])
        for n, item in enumerate(f.items, start=1):
            marker = f"{n}." if numbered else "-"
            if item.is_flat and g.chance(0.5):
                parts = [f"{self.label(c)}: {self.say(c)}" for c in item.children]
                lines.append(f"{pad}  {marker} {joiner.join(parts)}")
            elif item.is_object:
                block = self.kv_lines(item.children, pad + "    ") or [f"{pad}    (empty)"]
                lines.append(f"{pad}  {marker} {block[0].lstrip()}")
                lines.extend(block[1:])
            else:
                block = self.array_lines(item, f"{self.label(item)} {n}", pad + "  ", pad + "  ")
                lines.extend(block)
        return lines

    def table(self, items: list[Field], pad: str, markdown: bool) -> list[str]:
        """Flat objects as a table: one column per key (in first-seen order)."""
        columns: dict[str, Field] = {}
        for item in items:
            for c in item.children:
                columns.setdefault(c.key, c)
        header = [self.label(c) for c in columns.values()]
        rows = []
        for item in items:
            cells = {c.key: self.say(c) for c in item.children}
            rows.append([cells.get(k, "") for k in columns])
        if markdown:
            lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
            lines += ["| " + " | ".join(r) + " |" for r in rows]
        else:
            widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
            fmt = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))  # noqa: E731
            lines = [fmt(header).rstrip(), "  ".join("-" * w for w in widths)]
            lines += [fmt(r).rstrip() for r in rows]
        return [pad + line for line in lines]

    # -- prose --------------------------------------------------------------------------------
    def prose(self, root: Field, title: str | None) -> str:
        g = self.g
        sentences = [s for f in root.children for s in self.sentences(f, "")]
        head = []
        if title and g.chance(0.5):
            head = [
                g.pick(
                    [
                        f"This is a {title.lower()}.",
                        f"Here are the {title.lower()} details.",
                        f"Summary of the {title.lower()}.",
                    ]
                )
            ]
        tail = sentences[1:]
        g.rng.shuffle(tail)
        return " ".join(head + sentences[:1] + tail)

    def sentences(self, f: Field, prefix: str) -> list[str]:
        g = self.g
        name = self.label(f)
        name = f"{prefix} {lower_first(name)}" if prefix else name
        if f.is_object:
            return [s for c in f.children for s in self.sentences(c, name)]
        if f.is_array:
            return [self.array_sentence(f, name)]
        value = self.say(f)
        low = lower_first(name)
        return [
            g.pick(
                [
                    f"The {low} is {value}.",
                    f"It gives {value} as the {low}.",
                    f"The {low} was recorded as {value}.",
                    f"{name}: {value}.",
                    f"Its {low} is {value}.",
                    f"{value} is listed as the {low}.",
                ]
            )
        ]

    def array_sentence(self, f: Field, name: str) -> str:
        g = self.g
        low = lower_first(name)
        if not f.items:
            return g.pick([f"No {low} are listed.", f"The {low} list is empty (none)."])
        if all(not (i.is_object or i.is_array) for i in f.items):
            texts = [self.say(i) for i in f.items]
            listed = texts[0] if len(texts) == 1 else f"{', '.join(texts[:-1])} and {texts[-1]}"
            return g.pick(
                [
                    f"The {low} are {listed}.",
                    f"{name} include {listed}.",
                    f"It lists {listed} under {low}.",
                ]
            )
        parts = [g.pick([f"There are {len(f.items)} {low}.", f"{name} ({len(f.items)}):"])]
        for n, item in enumerate(f.items):
            which = ORDINALS[n] if n < len(ORDINALS) else f"number {n + 1}"
            if item.is_object:
                clauses = [
                    f"{lower_first(self.label(c))} {self.say(c)}"
                    if not (c.is_object or c.is_array)
                    else " ".join(self.sentences(c, "")).rstrip(".")
                    for c in item.children
                ]
                if not clauses:
                    parts.append(f"The {which} is empty.")
                    continue
                listed = (
                    clauses[0]
                    if len(clauses) == 1
                    else f"{', '.join(clauses[:-1])} and {clauses[-1]}"
                )
                parts.append(f"The {which} has {listed}.")
            else:
                parts.append(f"The {which} is {' '.join(self.sentences(item, ''))}")
        return " ".join(parts)
