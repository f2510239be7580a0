"""Gold records for any schema: objects, arrays and the combinators around the scalar values.

A record is drawn top-down (`GoldMaker.value`): `$ref`/`allOf` are resolved by `SchemaDoc`,
one branch of an `anyOf`/`oneOf` is chosen (a `null` branch seldom), optional properties are
present with probability `OPTIONAL`, dependent properties follow their trigger, arrays get 1-4
items (unique when asked), maps get a few keys that match `patternProperties`/`propertyNames`.
Cross-field rules common to documents are then made to hold (`make_consistent`): line totals,
subtotals and totals add up as `slmbench.data.validate` checks them, and start/end style date
pairs are in order. Every record is validated against the file's own draft; one that fails is
drawn again, and a schema no draw satisfies is an `EngineUnsupported` naming the keyword.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from slmbench.data.gen_values import OPTIONAL
from slmbench.data.synth.schema_walk import (
    SchemaDoc,
    join_pointer,
    merge_schemas,
    schema_types,
)
from slmbench.data.synth.values import ValueMaker, field_kind
from slmbench.data.validate import DISCOUNT_KEYS, SHIPPING_KEYS, TAX_KEYS, TOTAL_KEYS

NULL_CHANCE = 0.15
EMPTY_ARRAY_CHANCE = 0.08
MAX_DEPTH = 6
MAX_ITEMS = 4
MAX_GOLD_TRIES = 40
MAX_UNIQUE_TRIES = 10
DATE_PAIRS = (
    ("start", "end"),
    ("from", "to"),
    ("begin", "finish"),
    ("check_in", "check_out"),
    ("issue", "due"),
    ("issued", "due"),
    ("departure", "arrival"),
    ("created", "updated"),
    ("opened", "closed"),
    ("detected", "resolved"),
    ("started", "finished"),
    ("order", "delivery"),
    ("ship", "delivery"),
    ("valid_from", "valid_until"),
)
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?$")


class GoldMaker:
    """Draws valid gold records of one schema."""

    def __init__(self, doc: SchemaDoc, maker: ValueMaker, optional: float = OPTIONAL):
        self.doc, self.maker, self.g, self.optional = doc, maker, maker.g, optional

    def make(self) -> dict:
        errors: list = []
        for _ in range(MAX_GOLD_TRIES):
            gold = self.value(self.doc.root, "", "", "", 0)
            make_consistent(gold)
            self.adjust(gold)
            errors = list(self.doc.validator().iter_errors(gold))
            if not errors:
                return gold
        worst = max(errors, key=lambda e: len(list(e.absolute_schema_path)))
        path = list(worst.absolute_schema_path)
        keyword = str(path[-1]) if path else str(worst.validator)
        pointer = join_pointer("", *path)
        raise self.doc.unsupported(
            keyword,
            pointer,
            f"no gold satisfied it in {MAX_GOLD_TRIES} draws ({worst.message[:120]})",
        )

    def adjust(self, gold: dict) -> None:
        """Hook: cross-field rules applied in place after sampling (none here)."""

    def presence(self, pointer: str, name: str) -> float:
        """Hook: the chance that optional property `name` of the object at `pointer` is
        present."""
        return self.optional

    def _where(self, pointer: str):
        def raise_at(keyword: str, reason: str):
            return self.doc.unsupported(keyword, join_pointer(pointer, keyword), reason)

        return raise_at

    def value(self, node: Any, pointer: str, key: str, parent: str, depth: int) -> Any:
        pointer, node = self.doc.normalise(node, pointer)
        g = self.g
        if "const" in node:
            return copy.deepcopy(node["const"])
        if isinstance(node.get("enum"), list) and node["enum"]:
            choices = node["enum"]
            if len(choices) > 1 and None in choices and g.chance(1 - NULL_CHANCE):
                choices = [c for c in choices if c is not None]
            return copy.deepcopy(g.pick(choices))
        for keyword in ("anyOf", "oneOf"):
            branches = node.get(keyword)
            if isinstance(branches, list) and branches:
                i = self._branch(branches, pointer, keyword)
                b_pointer, branch = self.doc.normalise(
                    branches[i], join_pointer(pointer, keyword, i)
                )
                rest = {k: v for k, v in node.items() if k != keyword}
                return self.value(merge_schemas(rest, branch), b_pointer, key, parent, depth)
        types = schema_types(node)
        kind_type = next((t for t in types if t != "null"), "null")
        if "null" in types and (kind_type == "null" or g.chance(NULL_CHANCE)):
            return None
        if kind_type == "integer" and "number" in types and g.chance(0.5):
            kind_type = "number"
        where = self._where(pointer)
        if kind_type == "object":
            return self.obj(node, pointer, key, depth)
        if kind_type == "array":
            return self.arr(node, pointer, key, depth)
        if kind_type == "boolean":
            return g.chance(0.5)
        description = str(node.get("description") or node.get("title") or "")
        kind = field_kind(key, parent, kind_type, description)
        if kind_type in ("number", "integer"):
            return self.maker.number(node, kind, kind_type == "integer", where)
        return self.maker.string(node, kind, where)

    def _branch(self, branches: list, pointer: str, keyword: str) -> int:
        """A branch index; `null`-only branches are chosen with probability `NULL_CHANCE`."""
        kinds = [
            self.doc.normalise(b, join_pointer(pointer, keyword, i))[1].get("type")
            for i, b in enumerate(branches)
        ]
        real = [i for i, t in enumerate(kinds) if t != "null"]
        if len(real) < len(branches) and (not real or self.g.chance(NULL_CHANCE)):
            return self.g.pick([i for i, t in enumerate(kinds) if t == "null"])
        return self.g.pick(real)

    # -- objects ------------------------------------------------------------------------------
    def obj(self, node: dict, pointer: str, key: str, depth: int) -> dict:
        g = self.g
        props: dict = node.get("properties") or {}
        required = [r for r in node.get("required", []) if isinstance(r, str)]
        deep = depth >= MAX_DEPTH
        present = [
            n for n in props if n in required or (not deep and g.chance(self.presence(pointer, n)))
        ]
        present += [r for r in required if r not in present]
        node, present = self._dependencies(node, pointer, present)
        props = node.get("properties") or {}
        low = int(node.get("minProperties", 0))
        for name in props:
            if len(present) >= low:
                break
            if name not in present:
                present.append(name)
        high = node.get("maxProperties")
        if isinstance(high, int):
            optional = [n for n in present if n not in node.get("required", [])]
            while len(present) > high and optional:
                present.remove(optional.pop())
        out: dict = {}
        for name in present:
            sub, sub_pointer = self._property_schema(node, pointer, name)
            out[name] = self.value(sub, sub_pointer, name, key, depth + 1)
        extra_schema = self._extra_schema(node)
        if extra_schema is not None and not props and not deep:
            want = max(low - len(out), 1 if not g.chance(0.1) else 0)
            want = min(g.randint(want, max(want, 3)), high if isinstance(high, int) else 3)
            for _ in range(max(0, want - len(out))):
                name = self._extra_key(node, pointer)
                if name in out:
                    continue
                sub, sub_pointer = self._property_schema(node, pointer, name)
                out[name] = self.value(sub, sub_pointer, name, key, depth + 1)
        return out

    def _dependencies(self, node: dict, pointer: str, present: list[str]) -> tuple[dict, list]:
        needs: dict[str, list] = dict(node.get("dependentRequired") or {})
        schemas: dict[str, Any] = dict(node.get("dependentSchemas") or {})
        for name, dep in (node.get("dependencies") or {}).items():
            (needs if isinstance(dep, list) else schemas)[name] = dep
        for _ in range(4):  # dependencies may chain; four rounds reach a fixed point in practice
            before = list(present)
            for name in list(present):
                present += [d for d in needs.get(name, []) if d not in present]
                if name in schemas:
                    _, extra = self.doc.normalise(schemas.pop(name), pointer)
                    node = merge_schemas(node, extra)
                    present += [r for r in extra.get("required", []) if r not in present]
            if present == before:
                break
        return node, present

    def _property_schema(self, node: dict, pointer: str, name: str) -> tuple[Any, str]:
        props = node.get("properties") or {}
        if name in props:
            return props[name], join_pointer(pointer, "properties", name)
        for pattern, sub in (node.get("patternProperties") or {}).items():
            if re.search(pattern, name):
                return sub, join_pointer(pointer, "patternProperties", pattern)
        extra = node.get("additionalProperties")
        if isinstance(extra, dict):
            return extra, join_pointer(pointer, "additionalProperties")
        return {"type": "string"}, pointer

    @staticmethod
    def _extra_schema(node: dict) -> Any:
        if node.get("patternProperties"):
            return next(iter(node["patternProperties"].values()))
        extra = node.get("additionalProperties")
        if extra is False:
            return None
        return extra if isinstance(extra, dict) else {"type": "string"}

    def _extra_key(self, node: dict, pointer: str) -> str:
        names = node.get("propertyNames") or {}
        if isinstance(names, dict):
            _, names = self.doc.normalise(names, join_pointer(pointer, "propertyNames"))
            if isinstance(names.get("enum"), list) and names["enum"]:
                return str(self.g.pick(names["enum"]))
        patterns = list(node.get("patternProperties") or {})
        if patterns:
            return self.maker.xeger.xeger(self.g.pick(patterns))
        if isinstance(names, dict) and ("pattern" in names or "maxLength" in names):
            return self.maker.string(names, "words", self._where(pointer)).replace(" ", "_")
        return "_".join(self.g.pick(self.maker.pool("word")) for _ in range(self.g.randint(1, 2)))

    # -- arrays -------------------------------------------------------------------------------
    def arr(self, node: dict, pointer: str, key: str, depth: int) -> list:
        g = self.g
        prefix = node.get("prefixItems")
        items = node.get("items")
        items_pointer = join_pointer(pointer, "items")
        if isinstance(items, list):  # draft 7 tuple form
            prefix, items = items, node.get("additionalItems", {})
            items_pointer = join_pointer(pointer, "additionalItems")
        prefix = prefix if isinstance(prefix, list) else []
        low = int(node.get("minItems", 0))
        high = node.get("maxItems")
        high = int(high) if isinstance(high, int) else max(low, MAX_ITEMS)
        if items is False:
            high = min(high, len(prefix))
        if depth >= MAX_DEPTH:
            n = low
        elif low == 0 and g.chance(EMPTY_ARRAY_CHANCE):
            n = 0
        else:
            most = min(high, max(low, MAX_ITEMS))
            n = g.randint(min(max(low, 1), most), most)
        n = max(n, min(len(prefix), high)) if prefix and n else n
        item_key = key[:-1] if key.endswith("s") and len(key) > 3 else key
        unique = node.get("uniqueItems") is True
        contains = node.get("contains")
        out: list = []
        seen: list[str] = []
        for i in range(n):
            if i < len(prefix):
                sub, sub_pointer = prefix[i], join_pointer(pointer, "prefixItems", i)
            else:
                sub, sub_pointer = (items if items is not None else {}), items_pointer
            if i == 0 and isinstance(contains, dict):
                sub = merge_schemas(self.doc.normalise(sub, sub_pointer)[1], contains)
            for _ in range(MAX_UNIQUE_TRIES if unique else 1):
                value = self.value(sub, sub_pointer, item_key, key, depth + 1)
                fingerprint = json.dumps(value, sort_keys=True)
                if not unique or fingerprint not in seen:
                    break
            else:
                if len(out) >= low:
                    break
            seen.append(fingerprint)
            out.append(value)
        return out


def _num(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _first(obj: dict, keys: tuple[str, ...]) -> str | None:
    return next((k for k in keys if _num(obj.get(k))), None)


def _set(obj: dict, key: str, value: float) -> None:
    obj[key] = (
        int(round(value)) if isinstance(obj[key], int) and value == int(value) else round(value, 2)
    )


def make_consistent(value: Any) -> None:
    """Make totals add up and date pairs run forwards, in place, children first.

    >>> rec = {"items": [{"quantity": 2, "unit_price": 1.5, "line_total": 9.0}],
    ...        "subtotal": 1.0, "tax": 0.3, "total": 0.0, "start_date": "2024-05-02",
    ...        "end_date": "2024-01-01"}
    >>> make_consistent(rec); rec["items"][0]["line_total"], rec["subtotal"], rec["total"]
    (3.0, 3.0, 3.3)
    >>> rec["start_date"], rec["end_date"]
    ('2024-01-01', '2024-05-02')
    """
    if isinstance(value, list):
        for item in value:
            make_consistent(item)
        return
    if not isinstance(value, dict):
        return
    for sub in value.values():
        make_consistent(sub)
    _totals(value)
    _order_date_pairs(value)


def fix_totals(value: Any) -> None:
    """Only the totals part of `make_consistent` (template rows keep their dates' order)."""
    if isinstance(value, list):
        for item in value:
            fix_totals(item)
    elif isinstance(value, dict):
        for sub in value.values():
            fix_totals(sub)
        _totals(value)


def _totals(value: dict) -> None:
    line_key = _first(value, ("line_total", "total"))
    if _num(value.get("quantity")) and _num(value.get("unit_price")) and line_key:
        _set(value, line_key, value["quantity"] * value["unit_price"])
    if _num(value.get("subtotal")):
        for sub in value.values():
            if isinstance(sub, list) and sub and all(isinstance(i, dict) for i in sub):
                keys = [_first(i, ("line_total", "total")) for i in sub]
                if all(keys):
                    _set(value, "subtotal", sum(i[k] for i, k in zip(sub, keys, strict=True)))
                    break
        total_key = _first(value, TOTAL_KEYS)
        terms = [_first(value, keys) for keys in (TAX_KEYS, SHIPPING_KEYS, DISCOUNT_KEYS)]
        if total_key and any(terms):
            tax, ship, disc = (value[k] if k else 0 for k in terms)
            _set(value, total_key, value["subtotal"] + tax + ship - disc)


def _order_date_pairs(obj: dict) -> None:
    keys = [k for k, v in obj.items() if isinstance(v, str) and v[:2].isdigit() and _ISO.match(v)]
    if len(keys) < 2:
        return
    for first, second in DATE_PAIRS:
        a = next((k for k in keys if k.startswith(first + "_") or k == first), None)
        b = next((k for k in keys if k.startswith(second + "_") or k == second), None)
        if a and b and a != b and len(obj[a]) == len(obj[b]) and obj[a] > obj[b]:
            obj[a], obj[b] = obj[b], obj[a]
