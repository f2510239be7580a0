"""Is every gold value recoverable from the text? The grounding contract of EdgeJSON data.

The generator writes texts that follow these rules and the validator checks them:
- strings appear verbatim (case-sensitive); a `format: date` string (YYYY-MM-DD) may instead be
  written "March 5, 2024" or "5 March 2024"; date-time strings are verbatim;
- enum strings appear case-insensitively, with '_' written as '_', ' ' or '-';
- numbers: some numeric token of the text (thousands separators ',' and a leading currency
  symbol removed; "15%" is 15) parses to a float equal to the value;
- booleans: the text holds one of `TRUE_WORDS` / `FALSE_WORDS` as a whole word or phrase;
- null: the text holds one of `NULL_WORDS`.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cached_property, lru_cache
from typing import Any

TRUE_WORDS = (
    "yes",
    "true",
    "enabled",
    "active",
    "on",
    "verified",
    "confirmed",
    "available",
    "in stock",
    "required",
)
FALSE_WORDS = (
    "no",
    "false",
    "disabled",
    "inactive",
    "off",
    "not",
    "unavailable",
    "out of stock",
    "optional",
)
NULL_WORDS = ("none", "null", "n/a", "not provided", "unknown", "not specified")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# A sign counts only when not glued to a word or number: "2024-03-05" holds 2024, 3 and 5.
_NUMBER = re.compile(
    r"(?P<sign>(?<![\w.])[-+\u2212])?[$€£¥₹]?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?P<exp>[eE][-+]?\d+)?"
)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_COMPOSITE = frozenset(("$ref", "anyOf", "oneOf", "allOf"))


def _phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern:
    longest_first = sorted(phrases, key=len, reverse=True)
    alternatives = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in longest_first)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


_TRUE = _phrase_pattern(TRUE_WORDS)
_FALSE = _phrase_pattern(FALSE_WORDS)
_NULL = _phrase_pattern(NULL_WORDS)


def extract_numbers(text: str) -> set[float]:
    """Every number the text writes, as floats.

    A token with thousands separators also yields its comma-separated pieces, so that a list
    such as "10,200,300" grounds 10, 200 and 300 as well as 10200300.

    >>> sorted(extract_numbers("Total: $1,299.00, 15% off, delta -3.5 on 2024-03-05"))
    [-3.5, 1.0, 3.0, 5.0, 15.0, 299.0, 1299.0, 2024.0]
    >>> sorted(extract_numbers("rate 1e-05, range 10-20"))
    [1e-05, 10.0, 20.0]
    """
    found: set[float] = set()
    for m in _NUMBER.finditer(text):
        negative = m["sign"] in ("-", "\u2212")
        digits = m["num"]
        value = float(digits.replace(",", "") + (m["exp"] or ""))
        found.add(-value if negative else value)
        if "," in digits:
            found.update(float(piece) for piece in digits.split(".")[0].split(","))
    return found


class GroundingText:
    """A row's text with what grounding needs extracted once (numbers, boolean/null words)."""

    def __init__(self, text: str):
        self.text = text

    @cached_property
    def numbers(self) -> set[float]:
        return extract_numbers(self.text)

    @cached_property
    def has_true_word(self) -> bool:
        return _TRUE.search(self.text) is not None

    @cached_property
    def has_false_word(self) -> bool:
        return _FALSE.search(self.text) is not None

    @cached_property
    def has_null_word(self) -> bool:
        return _NULL.search(self.text) is not None


def _join(prefix: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else key


def _branches(node: dict, root: dict) -> list[dict]:
    """The node and its anyOf/oneOf/allOf alternatives, with local `$ref`s followed."""
    if not _COMPOSITE.intersection(node):
        return [node]
    node = _deref(node, root)
    out = [node]
    for keyword in ("anyOf", "oneOf", "allOf"):
        for sub in node.get(keyword, []) or []:
            if isinstance(sub, dict):
                out.extend(_branches(sub, root))
    return out


def _deref(node: dict, root: dict) -> dict:
    for _ in range(20):  # bounded: a cyclic $ref must not hang the validator
        ref = node.get("$ref") if isinstance(node, dict) else None
        if not isinstance(ref, str) or not ref.startswith("#"):
            break
        target: Any = root
        for part in ref.lstrip("#").strip("/").split("/"):
            if not part:
                continue
            target = target.get(part, {}) if isinstance(target, dict) else {}
        node = target if isinstance(target, dict) else {}
    return node if isinstance(node, dict) else {}


def _child(node: dict, key: str | int, root: dict) -> dict:
    for branch in _branches(node, root):
        if isinstance(key, int):
            items = branch.get("items")
            if isinstance(items, list) and key < len(items):
                return _deref(items[key], root)
            if isinstance(items, dict):
                return _deref(items, root)
        else:
            props = branch.get("properties", {})
            if isinstance(props, dict) and key in props:
                return _deref(props[key], root)
            extra = branch.get("additionalProperties")
            if isinstance(extra, dict):
                return _deref(extra, root)
    return {}


def _leaf_node(node: dict, value: Any, root: dict) -> dict:
    """The alternative that describes a leaf: one whose enum holds it, or one with a format."""
    branches = _branches(node, root)
    for branch in branches:
        if value in (branch.get("enum") or []):
            return branch
    for branch in branches:
        if "format" in branch:
            return branch
    return branches[0]


def schema_leaves(obj: Any, schema: dict | None = None) -> list[tuple[str, Any, dict]]:
    """`(path, value, schema node)` of every leaf (empty containers have none).

    >>> schema = {"type": "object", "properties": {"items": {"type": "array", "items": {
    ...     "type": "object", "properties": {"kind": {"enum": ["a_b", "c"]}}}}}}
    >>> schema_leaves({"items": [{"kind": "a_b", "qty": 2}], "tags": []}, schema)
    [('items[0].kind', 'a_b', {'enum': ['a_b', 'c']}), ('items[0].qty', 2, {})]
    """
    root = schema or {}
    out: list[tuple[str, Any, dict]] = []

    def walk(value: Any, node: dict, path: str) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(sub, _child(node, key, root), _join(path, key))
        elif isinstance(value, list):
            for i, sub in enumerate(value):
                walk(sub, _child(node, i, root), _join(path, i))
        else:
            out.append((path, value, _leaf_node(node, value, root)))

    walk(obj, root, "")
    return out


def leaf_values(obj: Any) -> list[tuple[str, Any]]:
    """`(path, value)` of every leaf of a JSON value, with paths like `line_items[0].quantity`.

    >>> leaf_values({"customer": {"name": "Acme"}, "line_items": [{"quantity": 2}], "paid": None})
    [('customer.name', 'Acme'), ('line_items[0].quantity', 2), ('paid', None)]
    """
    return [(path, value) for path, value, _ in schema_leaves(obj)]


def date_spellings(iso_date: str) -> list[str]:
    """The ways a `format: date` value may be written in a text.

    >>> date_spellings("2024-03-05")
    ['2024-03-05', 'March 5, 2024', '5 March 2024']
    >>> date_spellings("2024-02-31")
    ['2024-02-31']
    """
    if not _ISO_DATE.fullmatch(iso_date):
        return [iso_date]
    try:
        day = dt.date.fromisoformat(iso_date)
    except ValueError:
        return [iso_date]
    month = MONTHS[day.month - 1]
    return [iso_date, f"{month} {day.day}, {day.year}", f"{day.day} {month} {day.year}"]


@lru_cache(maxsize=4096)
def _enum_pattern(value: str) -> re.Pattern:
    parts = [re.escape(piece) for piece in value.split("_")]
    return re.compile("[_ -]".join(parts), re.IGNORECASE)


def is_grounded(value: Any, text: str | GroundingText, schema_node: dict | None = None) -> bool:
    """Whether one gold leaf value is recoverable from the text (see the module docstring).

    >>> is_grounded("Acme Ltd", "Bill to: Acme Ltd"), is_grounded("acme ltd", "Bill to: Acme Ltd")
    (True, False)
    >>> is_grounded("2024-03-05", "Due 5 March 2024", {"type": "string", "format": "date"})
    True
    >>> is_grounded("in_progress", "Status: In Progress", {"enum": ["open", "in_progress"]})
    True
    >>> is_grounded(1299.0, "Price: $1,299.00"), is_grounded(15, "15% off")
    (True, True)
    >>> is_grounded(-3.5, "change: -3.5"), is_grounded(-3, "on 2024-03-05")
    (True, False)
    >>> is_grounded(True, "Feature enabled"), is_grounded(False, "Item is in stock")
    (True, False)
    >>> is_grounded(None, "Phone: N/A"), is_grounded(None, "Phone: 555-0100")
    (True, False)
    """
    row_text = text if isinstance(text, GroundingText) else GroundingText(text)
    node = schema_node or {}
    if value is None:
        return row_text.has_null_word
    if isinstance(value, bool):
        return row_text.has_true_word if value else row_text.has_false_word
    if isinstance(value, int | float):
        return float(value) in row_text.numbers
    if isinstance(value, str):
        if value in row_text.text:
            return True
        if "enum" in node:
            return _enum_pattern(value).search(row_text.text) is not None
        if node.get("format") == "date":
            return any(spelling in row_text.text for spelling in date_spellings(value))
        return False
    return False


def ungrounded_leaves(gold: Any, text: str, schema: dict | None = None) -> tuple[int, list]:
    """`(number of leaves, [(path, value) of those not recoverable from the text])`.

    >>> ungrounded_leaves({"name": "Acme Ltd", "qty": 3}, "Acme Ltd ordered 2 boxes")
    (2, [('qty', 3)])
    """
    row_text = GroundingText(text)
    leaves = schema_leaves(gold, schema)
    missing = [(p, v) for p, v, node in leaves if not is_grounded(v, row_text, node)]
    return len(leaves), missing
