"""New rows from templates (`slmbench.data.synth.templates`): each slot gets a fresh value of
the same kind as the example's. Dates and timestamps are all shifted by one offset (their order
and gaps are kept); numbers keep their magnitude and decimals; enums and booleans are redrawn;
codes keep their shape (character classes, length, the fixed characters the examples share);
names, companies, emails and other known kinds come from the generator; other text comes from
the other examples' values of that field. Arrays whose items are one line each (tables, item
lists) get a new number of lines, and an optional field that has a line of its own is sometimes
left out, from the gold as well.

The gold is built first and the text is written from it, so the two always agree; a leaf that
could not be located keeps its example value (and the text there is unchanged). Every gold
is validated against the schema; a value that breaks it goes back to the example's.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from typing import Any

from slmbench.data.synth.forms import EnumForm, NumberForm, apply_case
from slmbench.data.synth.gold import fix_totals
from slmbench.data.synth.locate import Leaf
from slmbench.data.synth.normalised import CodeNameForm, LayoutForm, PercentForm
from slmbench.data.synth.schema_walk import SchemaDoc
from slmbench.data.synth.templates import (
    EXTRA_ROWS,
    Slot,
    Template,
    get_path,
    item_number,
    set_path,
)
from slmbench.data.synth.value_forms import WELL_KNOWN, FormMaker, learn_form
from slmbench.data.synth.values import ValueMaker, field_kind, numeric_bounds

DROP_CHANCE = 0.25
SEMANTIC_KINDS = frozenset(
    (
        "person",
        "first_name",
        "last_name",
        "company",
        "city",
        "street",
        "email",
        "url",
        "state",
        "country",
        "job",
        "product",
        "sentence",
        "title",
        "hostname",
        "ipv4",
        "uuid",
        "color",
    )
)
NAMED_KINDS = SEMANTIC_KINDS - {"sentence", "title"}
"""Kinds a field's name tells reliably: fresh values come from the kind's provider."""
FORMAT_KINDS = frozenset(("email", "url", "uuid", "ipv4", "hostname", "country_code", "currency"))
SHAPED_KINDS = frozenset(("code", "phone", "postal_code", "version", "username"))
_TIME = re.compile(r"\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?")
_ISO_DT = re.compile(r"(\d{4}-\d{2}-\d{2})(?:([T ])(\d{2}:\d{2}(?::\d{2})?)(\.\d+)?(.*))?$")


def shift_iso(value: str, days: int, minutes: int) -> str:
    """Move an ISO date or timestamp, keeping how it is written.

    >>> shift_iso("2024-03-05", 30, 0), shift_iso("2024-03-05T23:50:00Z", 1, 20)
    ('2024-04-04', '2024-03-07T00:10:00Z')
    """
    m = _ISO_DT.match(value)
    if not m:
        return value
    day = dt.date.fromisoformat(m.group(1))
    if not m.group(3):
        return (day + dt.timedelta(days=days)).isoformat()
    clock = m.group(3)
    fmt = "%H:%M:%S" if clock.count(":") == 2 else "%H:%M"
    moment = dt.datetime.combine(day, dt.datetime.strptime(clock, fmt).time())
    moment += dt.timedelta(days=days, minutes=minutes)
    tail = (m.group(4) or "") + (m.group(5) or "")
    return f"{moment.date().isoformat()}{m.group(2)}{moment.strftime(fmt)}{tail}"


class Substituter:
    """Fresh values of the same kind as an example's, and new rows from templates."""

    def __init__(self, doc: SchemaDoc, maker: ValueMaker, templates: list[Template]):
        self.doc, self.maker, self.g = doc, maker, maker.g
        self.seen: dict[str, list[Any]] = {}
        self.spellings: dict[tuple[str, str], str] = {}
        """(field, enum value) -> how an example wrote it ("FedEx" for `fedex`)."""
        for t in templates:
            for leaf in list(t.leaves.values()) + t.unlocated:
                self.seen.setdefault(leaf.field_path, []).append(leaf.value)
            for slot in t.slots:
                leaf = t.leaves[slot.paths[0]]
                if isinstance(slot.form, EnumForm) and isinstance(leaf.value, str):
                    self.spellings.setdefault((leaf.field_path, leaf.value), slot.original)
        self.forms = {path: learn_form(values) for path, values in self.seen.items()}
        """field -> the well-known form all its example values have (`value_forms`), or None."""
        self.form_maker = FormMaker(self.g, lambda: maker.pool("word"))

    def fill(self, t: Template) -> tuple[dict, str] | None:
        g = self.g
        gold = copy.deepcopy(t.gold)
        days = g.pick([-1, 1]) * g.randint(1, 400)
        minutes = g.randint(-36, 36) * 5
        plans: dict[tuple, list[int]] = {}
        for rg in t.rows:
            n = len(rg.lines)
            most = max(max(rg.low, 1), min(rg.high, n + EXTRA_ROWS))
            m = g.randint(min(max(rg.low, 1), most), most)
            plans[rg.path] = (
                sorted(g.rng.randrange(n) for _ in range(m)) if m != n else list(range(n))
            )
            items = get_path(gold, rg.path)
            set_path(gold, rg.path, [copy.deepcopy(items[i]) for i in plans[rg.path]])
        dropped = [k for k in t.droppable if g.chance(DROP_CHANCE)]
        for key in dropped:
            del gold[key]
        originals: dict[tuple, Any] = {}
        for slot in t.slots:
            if slot.paths[0][0] in dropped:
                continue
            for out_paths in self._out_paths(t, slot, plans):
                if all(out in originals for out in out_paths):
                    continue  # another occurrence of the same value already chose it
                new = self.fresh(t.leaves[slot.paths[0]], slot.form, days, minutes)
                for src, out in zip(slot.paths, out_paths, strict=True):
                    if out not in originals:
                        originals[out] = t.leaves[src].value
                        set_path(gold, out, new)
        if t.totals:
            fix_totals(gold)
        validator = self.doc.validator()
        for _ in range(2):
            errors = list(validator.iter_errors(gold))
            if not errors:
                break
            for e in errors:
                bad = tuple(e.absolute_path)
                for out, value in originals.items():
                    if out[: len(bad)] == bad or bad[: len(out)] == out:
                        set_path(gold, out, value)
        else:
            return None
        return gold, self.write(t, gold, plans, dropped)

    def _out_paths(self, t: Template, slot: Slot, plans: dict) -> list[list[tuple]]:
        """Where a slot's leaves go in the new gold: one list per copy of its row."""
        for rg in t.rows:
            p = slot.paths[0]
            if p[: len(rg.path)] == rg.path:
                i = p[len(rg.path)]
                cut = len(rg.path)
                return [
                    [(*q[:cut], j, *q[cut + 1 :]) for q in slot.paths]
                    for j, src in enumerate(plans[rg.path])
                    if src == i
                ]
        return [list(slot.paths)]

    def write(self, t: Template, gold: dict, plans: dict, dropped: list[str]) -> str:
        regions: list[tuple[int, int, Any]] = []
        for rg in t.rows:
            regions.append((rg.lines[0][0], rg.lines[-1][1], rg))
        for key in dropped:
            regions.extend((a, b, None) for a, b in t.droppable[key])
        regions.sort(key=lambda r: r[0])
        out, pos = [], 0
        for start, end, rg in regions:
            out.append(self._span(t, gold, pos, start, {}))
            if rg is not None:
                for j, src in enumerate(plans[rg.path]):
                    a, b = rg.lines[src]
                    line = self._span(t, gold, a, b, {(*rg.path, src): (*rg.path, j)})
                    if rg.counter:
                        line = item_number(src + 1).sub(str(j + 1), line, count=1)
                    out.append(
                        line if line.endswith("\n") or j == len(plans[rg.path]) - 1 else line + "\n"
                    )
            pos = end
        out.append(self._span(t, gold, pos, len(t.text), {}))
        return "".join(out)

    def _span(self, t: Template, gold: dict, start: int, end: int, remap: dict) -> str:
        out, pos = [], start
        for slot in t.slots:
            if slot.start < start or slot.end > end:
                continue
            path = slot.paths[0]
            for src, dst in remap.items():
                if path[: len(src)] == src:
                    path = (*dst, *path[len(src) :])
            out.append(t.text[pos : slot.start])
            value = get_path(gold, path)
            leaf = t.leaves[slot.paths[0]]
            same = value == leaf.value and type(value) is type(leaf.value)
            out.append(slot.original if same else self._written(slot, leaf, value))
            pos = slot.end
        out.append(t.text[pos:end])
        return "".join(out)

    def _written(self, slot: Slot, leaf: Leaf, value: Any) -> str:
        spelling = self.spellings.get((leaf.field_path, value)) if isinstance(value, str) else None
        if spelling is not None and isinstance(slot.form, EnumForm):
            return (
                apply_case(spelling, slot.form.case)
                if slot.form.case in ("upper", "lower")
                else spelling
            )
        return slot.form.write(value, self.g.rng)

    # -- fresh values -------------------------------------------------------------------------
    def fresh(self, leaf: Leaf, form: object, days: int, minutes: int) -> Any:
        g, value, node = self.g, leaf.value, leaf.node
        if "const" in node:
            return value
        if isinstance(node.get("enum"), list):
            same_type = [v for v in node["enum"] if type(v) is type(value)]
            return g.pick(same_type or [value])
        if isinstance(value, bool):
            return g.chance(0.5)
        if isinstance(value, int | float):
            return self.fresh_number(value, node, form, leaf)
        if not isinstance(value, str):
            return value
        kind = field_kind(leaf.key, leaf.parent, "string", str(node.get("description", "")))
        if isinstance(form, CodeNameForm):  # a code the text writes as its name
            return form.draw(g.rng, value)
        if isinstance(node.get("pattern"), str):
            return self.maker.string(node, kind, self._where)
        if _ISO_DT.match(value):
            return shift_iso(value, days, minutes)
        if _TIME.fullmatch(value):
            return f"{g.randint(6, 22):02d}:{g.randint(0, 11) * 5:02d}" + value[5:]
        if node.get("format"):
            return self.maker.string(node, kind, self._where)
        peers = self.seen.get(leaf.field_path, [])
        learnt = self.forms.get(leaf.field_path)
        if learnt in WELL_KNOWN or (learnt == "person" and kind not in NAMED_KINDS):
            return self.form_maker.fresh(learnt, value, peers)
        if kind in FORMAT_KINDS:
            return self.maker.string(node, kind, self._where)
        others = [v for v in dict.fromkeys(peers) if v != value]
        if kind in SHAPED_KINDS or _code_like(value) or isinstance(form, LayoutForm):
            if learnt == "words":  # a "code" field whose examples hold words
                return self.form_maker.fresh(learnt, value, peers)
            return self.shape(value, peers)
        # A field whose name says what it holds (a product, a person, a city) gets values of
        # that kind, whatever the examples hold; other fields reuse the examples' values.
        if others and (kind not in NAMED_KINDS and (kind not in SEMANTIC_KINDS or g.chance(0.5))):
            return g.pick(others)
        if kind == "sentence":
            return self.maker.g.fake.sentence(nb_words=max(2, len(value.split())))
        if kind in SEMANTIC_KINDS or node.get("format"):
            return self.maker.string(node, kind, self._where)
        return self.word_like(value)

    def _where(self, keyword: str, reason: str):
        return self.doc.unsupported(keyword, "", reason)

    def fresh_number(self, value: int | float, node: dict, form: object, leaf: Leaf) -> int | float:
        g = self.g
        integer = isinstance(value, int) and not isinstance(value, bool)
        lo, hi = numeric_bounds(node, integer)
        if integer:
            if 1900 <= value <= 2100 and "year" in leaf.key.lower():
                new = value + g.randint(-5, 5)
            elif abs(value) <= 12:
                new = g.randint(max(1, value - 4) if value > 0 else 0, max(value + 4, 3))
            else:
                new = int(round(value * g.rng.uniform(0.4, 2.0)))
        elif isinstance(form, PercentForm):  # a fraction written as a percentage
            decimals = (form.number.decimals or 0) + 2
            new = round((value or 0.1) * g.rng.uniform(0.4, 2.0), decimals)
            if abs(value) <= 1:
                new = max(-1.0, min(1.0, new))
        else:
            decimals = (
                form.decimals if isinstance(form, NumberForm) and form.decimals is not None else 2
            )
            base = value if value else 10.0
            new = round(base * g.rng.uniform(0.4, 2.0), decimals)
        if lo is not None and new < lo:
            new = lo
        if hi is not None and new > hi:
            new = hi
        step = node.get("multipleOf")
        if isinstance(step, int | float) and step > 0:
            new = round(round(new / step) * step, 10)
            if integer:
                new = int(new)
        return new

    def shape(self, value: str, seen: list[Any]) -> str:
        """A new value with the same shape: fixed characters kept, the rest redrawn by class."""
        g = self.g
        peers = [s for s in seen if isinstance(s, str) and len(s) == len(value)]
        if len(set(peers)) > 1:
            fixed = {i for i in range(len(value)) if len({p[i] for p in peers}) == 1}
        else:
            prefix = re.match(r"[A-Za-z]{2,5}(?=[-#/ _.])", value)
            fixed = set(range(prefix.end())) if prefix else set()
        out = []
        for i, c in enumerate(value):
            if i in fixed or not c.isalnum():
                out.append(c)
            elif c.isdigit():
                out.append(str(g.randint(1 if i == 0 and c != "0" else 0, 9)))
            elif c.isupper():
                out.append(chr(65 + g.randint(0, 25)))
            else:
                out.append(chr(97 + g.randint(0, 25)))
        return "".join(out)

    def word_like(self, value: str) -> str:
        """Words from the generator's pool, as many as the value has, cased like it."""
        words = self.maker.pool("word")
        n = max(1, len(value.split()))
        new = " ".join(self.g.pick(words) for _ in range(n))
        if value.isupper():
            return new.upper()
        if value.istitle():
            return new.title()
        if value[:1].isupper():
            return new[:1].upper() + new[1:]
        return new


def _code_like(value: str) -> bool:
    """Identifiers and codes: a digit and at most one space, or short upper-case tokens.

    >>> [_code_like(v) for v in ("INV-2024-0042", "Acme Ltd", "ABC", "12 Main St")]
    [True, False, True, False]
    """
    stripped = value.strip()
    if re.search(r"\d", stripped) and stripped.count(" ") <= 1:
        return True
    return stripped.isupper() and " " not in stripped and len(stripped) <= 12


__all__ = ["Substituter", "shift_iso"]
