"""Gold records shaped by a content file: `GoldMaker` with the file's value sources, presence
chances, item counts and row tables, then its hook's cross-field rules (`content.py`).

A field the content file says nothing about is drawn as the engine draws any field (from its
name, format and bounds); every record is still validated against the schema.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from slmbench.data.gen_values import Gen
from slmbench.data.synth.content import Content, FieldSpec, TemplateHelpers
from slmbench.data.synth.gold import GoldMaker
from slmbench.data.synth.schema_walk import SchemaDoc, join_pointer, schema_types
from slmbench.data.synth.values import ValueMaker
from slmbench.errors import DataError

FAKER_POOL_SIZE = 500


class _Unset:
    """The value of a field the hook sets, until it does."""

    def __repr__(self) -> str:
        return "<set by the hook>"


UNSET = _Unset()
GEN_SOURCES = {
    "full_name": Gen.full_name,
    "first_name": Gen.first_name,
    "last_name": Gen.last_name,
    "company": Gen.company,
    "city": Gen.city,
    "street_address": Gen.street_address,
    "state": Gen.state,
    "postal_code": Gen.postal_code,
    "phone": Gen.phone,
    "username": Gen.username,
    "uuid": Gen.uuid,
    "email": lambda g: g.email_for(g.full_name()),
}


class FakerPools:
    """Faker providers drawn into pools on first use (a Faker call costs 50-250 us), then
    picked with the build's `Random`: deterministic, and fast enough for 20,000 rows."""

    def __init__(self, g: Gen):
        self.g = g
        self._pools: dict[str, list] = {}

    def draw(self, name: str, where: str) -> Any:
        if name in GEN_SOURCES:
            return GEN_SOURCES[name](self.g)
        pool = self._pools.get(name)
        if pool is None:
            provider = getattr(self.g.fake, name, None)
            if not callable(provider) or name.startswith("_"):
                known = ", ".join(GEN_SOURCES)
                raise DataError(f"{where}: no Faker provider {name!r} (or one of {known})")
            pool = self._pools[name] = list(
                dict.fromkeys(provider() for _ in range(FAKER_POOL_SIZE))
            )
        return self.g.pick(pool)


class ContentGoldMaker(GoldMaker):
    """Draws valid gold records of one schema the way its content file says."""

    def __init__(
        self,
        doc: SchemaDoc,
        maker: ValueMaker,
        content: Content,
        helpers: TemplateHelpers,
        fakers: FakerPools,
        optional: float,
    ):
        super().__init__(doc, maker, optional)
        self.content, self.helpers, self.fakers = content, helpers, fakers
        self.specs = content.fields
        self._used_rows: dict[str, list[int]] = {}

    # -- hook points of GoldMaker ---------------------------------------------------------
    def presence(self, pointer: str, name: str) -> float:
        spec = self.specs.get(join_pointer(pointer, "properties", name))
        return spec.chance if spec is not None and spec.chance is not None else self.optional

    def adjust(self, gold: dict) -> None:
        if self.content.hook is not None:
            try:
                self.content.hook(gold, self.g, self.content.tables)
            except Exception as e:  # a bug in a user's hooks.py is still one line (--debug)
                where = self.content.path.parent / "hooks.py" if self.content.path else "hooks"
                raise DataError(f"{where}: adjust failed: {type(e).__name__}: {e}") from e
            in_schema_order(self.doc, gold, self.doc.root, "")
        left = _unset_path(gold, "")
        if left is not None:
            raise DataError(f"{self.content.where}: the hook left {left or '(root)'} unset")

    # -- drawing --------------------------------------------------------------------------
    def value(self, node: Any, pointer: str, key: str, parent: str, depth: int) -> Any:
        spec = self.specs.get(pointer)
        if spec is None:
            return super().value(node, pointer, key, parent, depth)
        if spec.hook:
            return UNSET
        if spec.source is not None:
            return self.draw(spec, node, pointer)
        if spec.sample is not None:
            lo, hi = spec.count or (1, min(3, len(spec.sample)))
            chosen = self.g.sample(spec.sample, min(self.g.randint(lo, hi), len(spec.sample)))
            return sorted(chosen) if spec.sort else chosen
        if spec.count is not None:
            array_pointer, array = self.doc.normalise(node, pointer)
            items_pointer = join_pointer(array_pointer, "items")
            self._used_rows[items_pointer] = []
            item_key = key[:-1] if key.endswith("s") and len(key) > 3 else key
            if isinstance(spec.count, FieldSpec):
                n = self.draw(spec.count, {"type": "integer"}, pointer)
            else:
                n = self.g.randint(*spec.count)
            return [
                self.value(array.get("items", {}), items_pointer, item_key, key, depth + 1)
                for _ in range(n)
            ]
        if spec.rows is not None:
            return self.row_object(spec, node, pointer, key, parent, depth)
        return super().value(node, pointer, key, parent, depth)

    def arr(self, node: dict, pointer: str, key: str, depth: int) -> list:
        self._used_rows[join_pointer(pointer, "items")] = []
        return super().arr(node, pointer, key, depth)

    def row_object(
        self, spec: FieldSpec, node: Any, pointer: str, key: str, parent: str, depth: int
    ) -> dict:
        assert spec.rows is not None
        used = self._used_rows.setdefault(pointer, [])
        free = [i for i in range(len(spec.rows)) if not (spec.distinct and i in used)]
        index = self.g.pick(free or range(len(spec.rows)))
        used.append(index)
        drawn = super().value(node, pointer, key, parent, depth)
        row = {
            k: self.draw(v, v.node, v.pointer) if isinstance(v, FieldSpec) else copy.deepcopy(v)
            for k, v in spec.rows[index].items()
        }
        _, obj_node = self.doc.normalise(node, pointer)
        order = list(obj_node.get("properties") or {})
        merged = {**drawn, **row}
        return {k: merged[k] for k in sorted(merged, key=lambda k: _rank(order, k))}

    def draw(self, spec: FieldSpec, node: Any, pointer: str) -> Any:
        """A value from the spec's source, of the node's type."""
        assert spec.source is not None
        kind, arg = spec.source
        g = self.g
        where = f"{self.content.where}: fields.{spec.path}"
        if kind == "pool":
            if spec.weights:
                return copy.deepcopy(g.rng.choices(arg, spec.weights)[0])
            return copy.deepcopy(g.pick(arg))
        if kind == "code":
            return g.code(g.pick(arg))
        if kind == "pattern":
            return self.maker.xeger.xeger(arg)
        if kind == "faker":
            return self.fakers.draw(arg, where)
        if kind == "template":
            return arg.render({**self.helpers.functions, **self.content.tables})
        _, node = self.doc.normalise(node, pointer)
        if kind == "dates":
            if node.get("format") == "date-time" or "date-time" in str(node.get("format")):
                return g.iso(g.moment(arg[0], arg[1]))
            return g.iso(g.day(arg[0], arg[1]))
        lo, hi = arg  # range
        integer = "integer" in schema_types(node) and "number" not in schema_types(node)
        if spec.step:
            k = g.randint(math.ceil(lo / spec.step), math.floor(hi / spec.step))
            value = k * spec.step
            return int(round(value)) if integer else float(round(value, 6))
        if integer:
            return g.randint(int(lo), int(hi))
        return round(g.rng.uniform(lo, hi), spec.places)


def _unset_path(value: Any, path: str) -> str | None:
    if value is UNSET:
        return path
    if isinstance(value, dict):
        for key, sub in value.items():
            found = _unset_path(sub, f"{path}.{key}" if path else key)
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            found = _unset_path(sub, f"{path}[{i}]")
            if found is not None:
                return found
    return None


def in_schema_order(doc: SchemaDoc, value: Any, node: Any, pointer: str) -> None:
    """Put the keys of every object in the order of its schema's `properties`, in place (a
    hook may add a key after the others).

    >>> doc = SchemaDoc("x", {"properties": {"a": {}, "b": {"items": {"properties": {
    ...     "c": {}, "d": {}}}}}})
    >>> rec = {"b": [{"d": 1, "c": 2}], "a": 0}
    >>> in_schema_order(doc, rec, doc.root, ""); rec
    {'a': 0, 'b': [{'c': 2, 'd': 1}]}
    """
    pointer, node = doc.normalise(node, pointer)
    if isinstance(value, dict):
        props = node.get("properties") or {}
        order = list(props)
        if list(value) != sorted(value, key=lambda k: _rank(order, k)):
            items = sorted(value.items(), key=lambda kv: _rank(order, kv[0]))
            value.clear()
            value.update(items)
        for key, sub in value.items():
            if key in props:
                in_schema_order(doc, sub, props[key], join_pointer(pointer, "properties", key))
    elif isinstance(value, list) and isinstance(node.get("items"), dict):
        for sub in value:
            in_schema_order(doc, sub, node["items"], join_pointer(pointer, "items"))


def _rank(order: list[str], key: str) -> int:
    return order.index(key) if key in order else len(order)
