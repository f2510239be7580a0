"""The JSON Schema given to llama.cpp's own grammar compiler, and the GBNF it becomes: what the
llamacpp backend's `--constrained` and the openai backend's llama-cpp-python dialect decode under,
with the same bounds as the llguidance grammar (`slmbench.constrain.grammar`)."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from slmbench.constrain.grammar import DEFAULT_MAX_ITEMS

# String formats whose llama.cpp grammar is stricter than the data (a timezone is required,
# at most 3 fractional digits): left unconstrained so the model writes what it was taught.
LOOSENED_FORMATS = {"date-time", "time"}


def grammar_schema(
    schema: dict, max_items: int = DEFAULT_MAX_ITEMS, keep_patterns: bool = True
) -> dict:
    """The schema given to llama.cpp's grammar compiler: arrays get a `maxItems` bound (an
    unbounded list can loop inside the grammar until the token cap), formats stricter than
    the data are dropped, and so are string `pattern`s unless `keep_patterns`. The input is
    not modified.

    >>> grammar_schema({"type": "object", "properties": {
    ...     "tags": {"type": "array", "items": {"type": "string", "format": "date-time"}},
    ...     "ids": {"type": "array", "maxItems": 3, "items": {"type": "string"}}}}, 10)
    ... # doctest: +NORMALIZE_WHITESPACE
    {'type': 'object', 'properties': {'tags': {'type': 'array',
      'items': {'type': 'string'}, 'maxItems': 10},
      'ids': {'type': 'array', 'maxItems': 3, 'items': {'type': 'string'}}}}
    """
    out = copy.deepcopy(schema)

    def visit(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                visit(item)
            return
        if not isinstance(node, dict):
            return
        if node.get("format") in LOOSENED_FORMATS:
            del node["format"]
        if not keep_patterns and isinstance(node.get("pattern"), str):
            del node["pattern"]
        kind = node.get("type")
        if (kind == "array" or (isinstance(kind, list) and "array" in kind)) and (
            "maxItems" not in node
        ):
            node["maxItems"] = max_items
        for key, value in node.items():
            if key not in ("enum", "const", "default", "examples"):
                visit(value)

    visit(out)
    return out


def schema_gbnf(
    schema: dict, max_items: int = DEFAULT_MAX_ITEMS, keep_patterns: bool = True
) -> str:
    """`schema` (through `grammar_schema`) as llama.cpp GBNF text whose root allows one leading
    space: the `paper` prompt style's answers start with one. Needs llama-cpp-python's converter;
    raises whatever the converter raises on a schema it cannot translate."""
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    converted = json_schema_to_gbnf(json.dumps(grammar_schema(schema, max_items, keep_patterns)))
    gbnf = re.sub(r"^root ::= ", "root-value ::= ", converted, count=1, flags=re.M)
    return gbnf + '\nroot ::= " "? root-value\n'
