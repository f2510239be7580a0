"""Reading a JSON Schema for the data engine: `$ref` resolution, `allOf` merging, type inference,
and the list of keywords the engine honours.

The engine honours a keyword in one of three ways:
- by construction (`CONSTRUCTED`): the generator makes values that satisfy it;
- by rejection (`REJECTED`): values are drawn as if it were absent, and a gold that breaks it
  is drawn again (`not`, `if`/`then`/`else`, `contains`, ...); every gold is validated anyway;
- as an annotation (`ANNOTATIONS`, and any `x-` extension): it does not constrain the data.

What it cannot honour raises `EngineUnsupported`, which names the keyword and its JSON pointer:
`$dynamicRef`, a `$ref` that does not resolve inside the document (remote files are never
fetched), a `pattern` Python's `re` cannot compile, a root that is not an object.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema

from slmbench.errors import SlmbenchError


def _words(text: str) -> list[str]:
    return text.split()


CONSTRUCTED = frozenset(
    _words(
        "type enum const properties required additionalProperties patternProperties items "
        "prefixItems additionalItems minItems maxItems uniqueItems minLength maxLength pattern "
        "format minimum maximum exclusiveMinimum exclusiveMaximum multipleOf anyOf oneOf allOf "
        "$ref $recursiveRef dependencies dependentRequired dependentSchemas minProperties "
        "maxProperties propertyNames"
    )
)
REJECTED = frozenset(
    _words(
        "not if then else contains minContains maxContains unevaluatedProperties unevaluatedItems"
    )
)
ANNOTATIONS = frozenset(
    _words(
        "$schema $id id $anchor $dynamicAnchor $recursiveAnchor $vocabulary $comment $defs "
        "definitions title description examples example default readOnly writeOnly deprecated "
        "contentMediaType contentEncoding contentSchema nullable discriminator xml externalDocs"
    )
)
UNSUPPORTED = {"$dynamicRef": "dynamic references are not resolved by the data engine"}
SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
SUBSCHEMA_VALUES = (
    "additionalProperties",
    "items",
    "additionalItems",
    "contains",
    "propertyNames",
    "not",
    "if",
    "then",
    "else",
    "unevaluatedProperties",
    "unevaluatedItems",
)
MAX_REF_HOPS = 32
NORMALISED_CACHE = 20000


class EngineUnsupported(SlmbenchError):
    """A keyword the data engine cannot honour; names the schema, the keyword and its pointer."""

    def __init__(self, where: str, keyword: str, pointer: str, reason: str):
        self.keyword, self.pointer, self.reason = keyword, pointer or "/", reason
        super().__init__(f"{where}: cannot honour `{keyword}` at {self.pointer}: {reason}")


def escape_token(token: str | int) -> str:
    """One JSON-pointer reference token.

    >>> escape_token("a/b~c")
    'a~1b~0c'
    """
    token = str(token)
    if "~" not in token and "/" not in token:
        return token
    return token.replace("~", "~0").replace("/", "~1")


def join_pointer(pointer: str, *tokens: str | int) -> str:
    """Example:

    >>> join_pointer("/properties", "a/b", 0)
    '/properties/a~1b/0'
    """
    return pointer + "".join("/" + escape_token(t) for t in tokens)


def subschemas(node: Any, pointer: str = "") -> Iterator[tuple[str, dict]]:
    """`(pointer, node)` of a schema and every subschema under it, parents first.

    >>> [p for p, _ in subschemas({"properties": {"a": {"items": {}}}, "anyOf": [{}]})]
    ['', '/properties/a', '/properties/a/items', '/anyOf/0']
    """
    if not isinstance(node, dict):
        return
    yield pointer, node
    for key in SUBSCHEMA_MAPS:
        if isinstance(node.get(key), dict):
            for name, sub in node[key].items():
                yield from subschemas(sub, join_pointer(pointer, key, name))
    for key in SUBSCHEMA_LISTS:
        if isinstance(node.get(key), list):
            for i, sub in enumerate(node[key]):
                yield from subschemas(sub, join_pointer(pointer, key, i))
    for key in SUBSCHEMA_VALUES:
        value = node.get(key)
        if isinstance(value, dict):
            yield from subschemas(value, join_pointer(pointer, key))
        elif key == "items" and isinstance(value, list):
            for i, sub in enumerate(value):
                yield from subschemas(sub, join_pointer(pointer, key, i))
    deps = node.get("dependencies")
    if isinstance(deps, dict):
        for name, sub in deps.items():
            if isinstance(sub, dict):
                yield from subschemas(sub, join_pointer(pointer, "dependencies", name))


def schema_types(node: dict) -> list[str]:
    """The JSON types a node admits: its `type`, else what its keywords imply, else all.

    >>> schema_types({"enum": ["a", 1, None]}), schema_types({"properties": {}})
    (['string', 'integer', 'null'], ['object'])
    >>> schema_types({"type": ["number", "null"]}), schema_types({"minLength": 2})
    (['number', 'null'], ['string'])
    """
    declared = node.get("type")
    if isinstance(declared, str):
        return [declared]
    if isinstance(declared, list) and declared:
        return [t for t in declared if isinstance(t, str)]
    values = node["enum"] if isinstance(node.get("enum"), list) else None
    if "const" in node:
        values = [node["const"]]
    if values is not None:
        return list(dict.fromkeys(json_type(v) for v in values))
    implied = []
    if any(k in node for k in ("properties", "required", "additionalProperties", "minProperties")):
        implied.append("object")
    if any(k in node for k in ("items", "prefixItems", "minItems", "maxItems", "uniqueItems")):
        implied.append("array")
    if any(k in node for k in ("pattern", "minLength", "maxLength", "format")):
        implied.append("string")
    if any(k in node for k in ("minimum", "maximum", "exclusiveMinimum", "multipleOf")):
        implied.append("number")
    return implied or ["string", "number", "integer", "boolean", "null", "object", "array"]


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


@dataclass
class SchemaDoc:
    """One schema file, ready for the engine: references resolved on demand, a validator."""

    schema_id: str
    root: dict
    path: Path | None = None
    _ids: dict[str, tuple[str, dict]] = field(default_factory=dict, repr=False)
    _anchors: dict[str, tuple[str, dict]] = field(default_factory=dict, repr=False)
    _validator: Any = field(default=None, repr=False)
    _normalised: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for pointer, node in subschemas(self.root):
            for key in ("$id", "id"):
                if isinstance(node.get(key), str) and pointer:
                    self._ids[node[key].rstrip("#")] = (pointer, node)
            for key in ("$anchor", "$dynamicAnchor"):
                if isinstance(node.get(key), str):
                    self._anchors[node[key]] = (pointer, node)

    @property
    def where(self) -> str:
        return str(self.path) if self.path else f"schema {self.schema_id!r}"

    def unsupported(self, keyword: str, pointer: str, reason: str) -> EngineUnsupported:
        return EngineUnsupported(self.where, keyword, pointer, reason)

    def validator(self) -> Any:
        """A validator of the schema's own draft (2020-12 when undeclared), formats checked."""
        if self._validator is None:
            cls = jsonschema.validators.validator_for(self.root, jsonschema.Draft202012Validator)
            self._validator = cls(self.root, format_checker=cls.FORMAT_CHECKER)
        return self._validator

    def resolve_ref(self, ref: str, pointer: str) -> tuple[str, dict]:
        """`(pointer, node)` a `$ref` names; `EngineUnsupported` when it is not in the file."""
        base, _, fragment = ref.partition("#")
        target: Any = self.root
        target_pointer = ""
        if base:
            own = self.root.get("$id") or self.root.get("id") or ""
            if base in self._ids:
                target_pointer, target = self._ids[base]
            elif not (isinstance(own, str) and own.rstrip("#") in (base, base.rstrip("#"))):
                raise self.unsupported(
                    "$ref", pointer, f"{ref!r} points outside this file (never fetched)"
                )
        if fragment and not fragment.startswith("/"):
            if fragment not in self._anchors:
                raise self.unsupported("$ref", pointer, f"anchor {ref!r} is not defined")
            return self._anchors[fragment]
        for token in (t for t in unquote(fragment).split("/")[1:]):
            token = token.replace("~1", "/").replace("~0", "~")
            if isinstance(target, dict) and token in target:
                target = target[token]
            elif isinstance(target, list) and token.isdigit() and int(token) < len(target):
                target = target[int(token)]
            else:
                raise self.unsupported("$ref", pointer, f"{ref!r} does not resolve in this file")
            target_pointer = join_pointer(target_pointer, token)
        if isinstance(target, bool):
            target = {} if target else {"not": {}}
        if not isinstance(target, dict):
            raise self.unsupported("$ref", pointer, f"{ref!r} does not name a schema")
        return target_pointer, target

    def normalise(self, node: Any, pointer: str) -> tuple[str, dict]:
        """The node with `$ref`s followed and `allOf` merged in (anyOf/oneOf are left for the
        generator to choose from). Returns the pointer of the node that was read last."""
        if node is True or node is None:
            return pointer, {}
        if node is False:
            return pointer, {"not": {}}
        if "$ref" not in node and "$recursiveRef" not in node and "allOf" not in node:
            if "$dynamicRef" in node:
                raise self.unsupported("$dynamicRef", pointer, UNSUPPORTED["$dynamicRef"])
            return pointer, node
        key = (id(node), pointer)
        cached = self._normalised.get(key)
        if cached is not None and cached[0] is node:
            return cached[1]
        if len(self._normalised) > NORMALISED_CACHE:
            self._normalised.clear()
        result = self._normalise(node, pointer)
        self._normalised[key] = (node, result)  # the node is kept: its id cannot be reused
        return result

    def _normalise(self, node: dict, pointer: str) -> tuple[str, dict]:
        for _ in range(MAX_REF_HOPS):
            ref = node.get("$ref", node.get("$recursiveRef"))
            if not isinstance(ref, str):
                break
            keyword = "$ref" if "$ref" in node else "$recursiveRef"
            target_pointer, target = self.resolve_ref(ref, join_pointer(pointer, keyword))
            siblings = {k: v for k, v in node.items() if k not in ("$ref", "$recursiveRef")}
            node = merge_schemas(target, siblings) if siblings else target
            pointer = target_pointer
        else:
            raise self.unsupported("$ref", pointer, "references loop without reaching a schema")
        if "$dynamicRef" in node:
            raise self.unsupported("$dynamicRef", pointer, UNSUPPORTED["$dynamicRef"])
        if isinstance(node.get("allOf"), list):
            merged = {k: v for k, v in node.items() if k != "allOf"}
            for i, sub in enumerate(node["allOf"]):
                _, sub_node = self.normalise(sub, join_pointer(pointer, "allOf", i))
                merged = merge_schemas(merged, sub_node)
            node = merged
        return pointer, node

    def check(self) -> None:
        """Raise `EngineUnsupported` for the first thing in the file the engine cannot honour."""
        if "object" not in schema_types(self.root):
            raise self.unsupported("type", "/", "the root must describe a JSON object")
        for pointer, node in subschemas(self.root):
            for keyword in UNSUPPORTED:
                if keyword in node:
                    raise self.unsupported(
                        keyword, join_pointer(pointer, keyword), UNSUPPORTED[keyword]
                    )
            if isinstance(node.get("$ref"), str):
                self.resolve_ref(node["$ref"], join_pointer(pointer, "$ref"))
            if isinstance(node.get("pattern"), str):
                check_pattern(self, node["pattern"], join_pointer(pointer, "pattern"))
            for name in node.get("patternProperties") or {}:
                check_pattern(self, name, join_pointer(pointer, "patternProperties", name))


def check_pattern(doc: SchemaDoc, pattern: str, pointer: str) -> None:
    try:
        re.compile(pattern)
    except re.error as e:
        raise doc.unsupported("pattern", pointer, f"Python cannot read {pattern!r} ({e})") from None


def merge_schemas(a: dict, b: dict) -> dict:
    """Both constraints at once, as far as one schema can say it (`allOf` of two). Whatever is
    not merged exactly is still checked, because every gold is validated against the file.

    >>> merge_schemas({"type": ["string", "null"], "minLength": 2, "required": ["a"]},
    ...               {"type": "string", "minLength": 5, "required": ["b", "a"]})
    {'type': ['string'], 'minLength': 5, 'required': ['a', 'b']}
    >>> merge_schemas({"properties": {"a": {"type": "integer"}}},
    ...               {"properties": {"a": {"minimum": 3}, "b": {}}})
    {'properties': {'a': {'type': 'integer', 'minimum': 3}, 'b': {}}}
    """
    out = copy.copy(a)
    for key, value in b.items():
        if key not in out:
            out[key] = value
            continue
        mine = out[key]
        if key == "type":
            left = mine if isinstance(mine, list) else [mine]
            right = value if isinstance(value, list) else [value]
            both = [t for t in left if t in right or (t == "integer" and "number" in right)]
            both += [t for t in right if t == "integer" and "number" in left and t not in both]
            out[key] = both or left
        elif key == "required":
            out[key] = list(dict.fromkeys([*mine, *value]))
        elif key == "properties":
            props = dict(mine)
            for name, sub in value.items():
                props[name] = merge_schemas(props[name], sub) if name in props else sub
            out[key] = props
        elif key in ("minimum", "minLength", "minItems", "minProperties", "exclusiveMinimum"):
            out[key] = max(mine, value) if _both_numbers(mine, value) else mine
        elif key in ("maximum", "maxLength", "maxItems", "maxProperties", "exclusiveMaximum"):
            out[key] = min(mine, value) if _both_numbers(mine, value) else mine
        elif key == "enum" and isinstance(mine, list) and isinstance(value, list):
            keys = [_key(v) for v in value]
            out[key] = [v for v in mine if _key(v) in keys] or mine
        elif isinstance(mine, dict) and isinstance(value, dict) and key in SUBSCHEMA_VALUES:
            out[key] = merge_schemas(mine, value)
        elif key in ("anyOf", "oneOf") and isinstance(mine, list):
            out.setdefault("allOf", [])
            out["allOf"] = [*out["allOf"], {key: value}]
    return out


def _both_numbers(a: Any, b: Any) -> bool:
    return all(isinstance(x, int | float) and not isinstance(x, bool) for x in (a, b))


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def load_schema_doc(path: Path, schema_id: str | None = None) -> SchemaDoc:
    """Read a schema file; a file that is not JSON Schema is a one-line error naming it."""
    try:
        root = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise SchemaFileError(f"{path}: cannot read ({e})") from None
    except json.JSONDecodeError as e:
        raise SchemaFileError(f"{path}:{e.lineno}: not JSON: {e.msg}") from None
    check_is_schema(root, str(path))
    return SchemaDoc(schema_id or Path(path).stem, root, Path(path))


class SchemaFileError(SlmbenchError):
    """A file that is not a JSON Schema at all (not JSON, or not valid against its metaschema)."""


def check_is_schema(root: Any, where: str) -> None:
    if not isinstance(root, dict):
        raise SchemaFileError(f"{where}: not a JSON Schema (a {json_type(root)}, not an object)")
    cls = jsonschema.validators.validator_for(root, jsonschema.Draft202012Validator)
    # Without format checks: a `pattern` in another regex dialect (ECMA's `\p{L}`) is still a
    # schema; whether the engine can read it is `SchemaDoc.check`'s question.
    error = jsonschema.exceptions.best_match(cls(cls.META_SCHEMA).iter_errors(root))
    if error is not None:
        pointer = "/" + "/".join(escape_token(p) for p in error.absolute_path)
        raise SchemaFileError(
            f"{where}: not a valid JSON Schema at {pointer}: {error.message[:200]}"
        )
