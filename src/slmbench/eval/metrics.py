"""Per-example scores of a parsed prediction against its gold object. Pure functions.

- `json_equal`: JSON equality (key order ignored, `1 == 1.0`, `true != 1`, list order kept,
  strings compared exactly): the JSONExact metric.
- `normalize_json`: strings stripped, whitespace collapsed and casefolded, numeric strings read
  as numbers: `json_exact_normalized` is `json_equal` after normalising both sides.
- `leaf_paths` / `field_scores`: precision, recall and F1 over leaf paths
  (`line_items[0].quantity`) with their values; empty lists and objects are leaves.
- `top_level_f1`: the original harness's F1 over top-level keys (a key counts when present on
  both sides with `==` values), kept for comparability with the paper's numbers.
- `schema_valid`: the prediction validates against the full JSON Schema.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

_IDENTIFIER = re.compile(r"^[A-Za-z0-9_\-]+$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def json_type(value: Any) -> str:
    """The JSON type name of a Python value from `json.loads`.

    >>> [json_type(v) for v in (None, True, 1, 1.5, "x", [], {})]
    ['null', 'boolean', 'number', 'number', 'string', 'array', 'object']
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality: objects ignore key order, numbers compare by value, booleans are not
    numbers, arrays keep their order, strings are compared exactly.

    >>> json_equal({"a": 1, "b": [1, 2]}, {"b": [1, 2], "a": 1.0})
    True
    >>> json_equal({"a": True}, {"a": 1}), json_equal([1, 2], [2, 1]), json_equal("A", "a")
    (False, False, False)
    """
    ta, tb = json_type(a), json_type(b)
    if ta != tb:
        return False
    if ta == "object":
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if ta == "array":
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def normalize_json(value: Any) -> Any:
    """A lenient form for `json_exact_normalized`: strings stripped, inner whitespace
    collapsed and casefolded; strings that read as finite numbers become numbers.

    >>> normalize_json({"Name": "  Ada   LOVELACE ", "qty": "3", "price": " 2.50", "ok": True})
    {'Name': 'ada lovelace', 'qty': 3, 'price': 2.5, 'ok': True}
    >>> normalize_json(["1e3", "12abc", "NaN"])
    [1000.0, '12abc', 'nan']
    """
    if isinstance(value, dict):
        return {k: normalize_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize_json(v) for v in value]
    if isinstance(value, str):
        text = " ".join(value.split()).casefold()
        if _NUMBER.match(text):
            number = float(text)
            if math.isfinite(number):
                return int(text) if text.lstrip("+-").isdigit() else number
        return text
    return value


def json_equal_normalized(pred: Any, gold: Any) -> bool:
    """`json_equal` after `normalize_json` on both sides.

    >>> json_equal_normalized({"city": "new  york", "n": "7"}, {"city": "New York", "n": 7})
    True
    >>> json_equal_normalized({"city": "Newark"}, {"city": "New York"})
    False
    """
    return json_equal(normalize_json(pred), normalize_json(gold))


def _key_path(prefix: str, key: str) -> str:
    if _IDENTIFIER.match(key):
        return f"{prefix}.{key}" if prefix else key
    return f"{prefix}[{key!r}]"


def leaf_paths(value: Any, prefix: str = "") -> dict[str, Any]:
    """Every leaf of a JSON value by path. Empty objects and arrays are leaves; keys with
    characters other than letters, digits, `_` and `-` are quoted, so that paths never
    collide. A scalar root has the path `""`.

    >>> leaf_paths({"id": 1, "line_items": [{"quantity": 2}, {}], "tags": [], "a.b": None})
    {'id': 1, 'line_items[0].quantity': 2, 'line_items[1]': {}, 'tags': [], "['a.b']": None}
    >>> leaf_paths(5)
    {'': 5}
    """
    paths: dict[str, Any] = {}
    _collect(value, prefix, paths)
    return paths


def _collect(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict) and value:
        for key, sub in value.items():
            _collect(sub, _key_path(prefix, str(key)), out)
    elif isinstance(value, list) and value:
        for i, sub in enumerate(value):
            _collect(sub, f"{prefix}[{i}]", out)
    else:
        out[prefix] = value


@dataclass(frozen=True)
class FieldScores:
    precision: float
    recall: float
    f1: float


def f1_score(precision: float, recall: float) -> float:
    """Harmonic mean, 0 when both are 0.

    >>> f1_score(0.5, 1.0)
    0.6666666666666666
    """
    return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0


def field_scores(pred: Any, gold: Any, parsed: bool = True) -> FieldScores:
    """Precision/recall/F1 over (leaf path, value) pairs; values compare with `json_equal`.
    An unparsed prediction (`parsed=False`) scores 0.

    >>> field_scores({"a": 1, "b": {"c": 2, "d": 3}}, {"a": 1.0, "b": {"c": 2, "d": 4}, "e": 5})
    FieldScores(precision=0.6666666666666666, recall=0.5, f1=0.5714285714285715)
    >>> field_scores({}, {})
    FieldScores(precision=1.0, recall=1.0, f1=1.0)
    >>> field_scores(None, {"a": 1}, parsed=False)
    FieldScores(precision=0.0, recall=0.0, f1=0.0)
    """
    if not parsed:
        return FieldScores(0.0, 0.0, 0.0)
    pred_leaves, gold_leaves = leaf_paths(pred), leaf_paths(gold)
    correct = sum(
        1
        for path, value in pred_leaves.items()
        if path in gold_leaves and json_equal(value, gold_leaves[path])
    )
    precision = correct / len(pred_leaves)
    recall = correct / len(gold_leaves)
    return FieldScores(precision, recall, f1_score(precision, recall))


def top_level_f1(pred: Any, gold: Any) -> float:
    """The original EdgeJSON harness's field F1: over top-level keys, a key is correct when
    present in both with equal values (Python `==`, as there: `True == 1`); two empty objects
    score 1, a non-object prediction 0.

    >>> top_level_f1({"a": 1, "b": {"c": 2}, "x": 0}, {"a": 1, "b": {"c": 3}})
    0.4
    >>> top_level_f1([1], {"a": 1}), top_level_f1({}, {})
    (0.0, 1.0)
    """
    if not isinstance(gold, dict):
        return 0.0
    if not isinstance(pred, dict):
        return 0.0
    if not pred and not gold:
        return 1.0
    if not pred or not gold:
        return 0.0
    correct = sum(1 for key in gold.keys() & pred.keys() if _safe_eq(pred[key], gold[key]))
    return f1_score(correct / len(pred), correct / len(gold))


def _safe_eq(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except RecursionError:
        return False


def schema_valid(value: Any, validator: Any, parsed: bool = True) -> bool:
    """Whether a parsed prediction validates against the schema (a jsonschema validator).

    >>> import jsonschema
    >>> v = jsonschema.Draft7Validator({"type": "object", "required": ["a"]})
    >>> schema_valid({"a": 1}, v), schema_valid({"b": 1}, v), schema_valid(None, v, parsed=False)
    (True, False, False)
    """
    if not parsed:
        return False
    try:
        return bool(validator.is_valid(value))
    except (RecursionError, TypeError, ValueError, OverflowError):
        # Format checkers and regexes can choke on garbage values: garbage is not valid.
        return False
