"""The JSON Schema given to llama.cpp's own grammar compiler, and the GBNF it becomes: what the
llamacpp backend's `--constrained` and the openai backend's llama-cpp-python dialect decode under,
with the same bounds as the llguidance grammar (`slmbench.constrain.grammar`)."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from slmbench.constrain.grammar import DEFAULT_MAX_ITEMS

# Regexes in the subset llama-cpp-python's `json_schema_to_gbnf` translates (no `\d`, `\.` or
# `(?:`: GBNF knows no such escapes; classes written out, no `"` or `\` in them). Each accepts
# only strings that jsonschema's format checker accepts, and every value the data engine writes.
_HEX = "[0-9a-fA-F]"
_YEAR = "([1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"  # 0001-9999, as `date` takes
_MONTH_DAY = (
    "((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)"
    "|02-(0[1-9]|1[0-9]|2[0-8]))"
)
_LEAP_DAY = "([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)-02-29"
_DATE = f"({_YEAR}-{_MONTH_DAY}|{_LEAP_DAY})"
_TIME = "([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]+)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?"
_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_SUB = "A-Za-z0-9._~!$&'()*+,;="  # RFC 3986 unreserved and sub-delims, `-` added at each use
_ESCAPE = f"%{_HEX}{_HEX}"
_AUTHORITY = f"(([{_SUB}:-]|{_ESCAPE})*@)?([{_SUB}-]|{_ESCAPE})+(:[0-9]+)?"
_TAIL = (
    f"(/([{_SUB}:@/-]|{_ESCAPE})*)?([?]([{_SUB}:@/?-]|{_ESCAPE})*)?(#([{_SUB}:@/?-]|{_ESCAPE})*)?"
)
FORMAT_PATTERNS = {
    "date": f"^{_DATE}$",
    "date-time": f"^{_DATE}T{_TIME}$",
    "time": f"^{_TIME}$",
    "email": "^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+([.][A-Za-z0-9-]+)*[.][A-Za-z]{2,}$",
    "uuid": f"^{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}$",
    "ipv4": f"^{_OCTET}([.]{_OCTET}){{3}}$",
    "uri": f"^[A-Za-z][A-Za-z0-9+.-]*://{_AUTHORITY}{_TAIL}$",
}
"""The `pattern` a string `format` becomes for llama.cpp, which ignores most formats (email, uri,
ipv4...) and writes date-times only with a timezone and at most 3 fractional digits: here the
timezone is optional, fractions any length, a date a real calendar day; a URI has the
`scheme://authority` form. Tested against the validator in tests/test_llama_grammar_formats.py.
"""


def _takes_strings(node: dict) -> bool:
    kind = node.get("type", "string")
    return kind == "string" or (isinstance(kind, list) and "string" in kind)


def grammar_schema(
    schema: dict, max_items: int = DEFAULT_MAX_ITEMS, keep_patterns: bool = True
) -> dict:
    """The schema given to llama.cpp's grammar compiler: arrays get a `maxItems` bound (an
    unbounded list can loop inside the grammar until the token cap) and a string `format` of
    `FORMAT_PATTERNS` becomes that `pattern`, unless the node has its own. Without
    `keep_patterns` (the retry when llama.cpp refuses one of the schema's own patterns: its
    regex translation lacks `\\d`, `\\s`...), the schema's own patterns are dropped, the
    formats' kept. llama.cpp does not add a string's `minLength`/`maxLength` to a pattern or a
    format: those are checked after decoding only. The input is not modified.

    >>> out = grammar_schema({"type": "object", "properties": {
    ...     "tags": {"type": "array", "items": {"type": "string", "format": "ipv4"}},
    ...     "ids": {"type": "array", "maxItems": 3, "items": {"type": "string"}}}}, 10)
    >>> out["properties"]["tags"]["items"] == {"type": "string", "pattern": FORMAT_PATTERNS["ipv4"]}
    True
    >>> out["properties"]["tags"]["maxItems"], out["properties"]["ids"]
    (10, {'type': 'array', 'maxItems': 3, 'items': {'type': 'string'}})
    >>> grammar_schema({"type": "string", "format": "email", "pattern": "^a@b[.]c$"})
    {'type': 'string', 'pattern': '^a@b[.]c$'}
    >>> grammar_schema({"type": "string", "pattern": "[0-9]+"}, 10, keep_patterns=False)
    {'type': 'string'}
    >>> date = {"type": "string", "format": "date", "pattern": "[0-9]+"}
    >>> grammar_schema(date, 10, False) == {"type": "string", "pattern": FORMAT_PATTERNS["date"]}
    True
    """
    out = copy.deepcopy(schema)

    def visit(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                visit(item)
            return
        if not isinstance(node, dict):
            return
        if not keep_patterns and isinstance(node.get("pattern"), str):
            del node["pattern"]
        fmt = node.get("format")  # a string, unless this is a `properties` with a `format` key
        if isinstance(fmt, str) and fmt in FORMAT_PATTERNS and _takes_strings(node):
            node.setdefault("pattern", FORMAT_PATTERNS[fmt])
            del node["format"]
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
