"""What went wrong in one prediction: a set of error kinds, found by walking the prediction
and the gold object side by side. A prediction can show several kinds at once; an exact
match shows none, and every other prediction shows at least one.

Kinds:
- `invalid_json`: no JSON object could be read from the output;
- `truncated`: generation hit its token limit (and the answer is not exact);
- `missing_field`: a gold key is absent from the prediction;
- `extra_field`: the prediction has a key the gold object lacks (hallucinated);
- `type_error`: same path, different scalar JSON type (`"3"` for `3`, `null` for a string);
- `wrong_value`: same path and type, different value;
- `structure_error`: object where an array belongs (or a scalar where a container belongs,
  or the reverse), or an array of the wrong length.
"""

from __future__ import annotations

from typing import Any

from slmbench.eval.metrics import json_equal, json_type
from slmbench.results_contract import ErrorCounts

ERROR_KINDS = tuple(ErrorCounts.__annotations__)
"""The kinds, in report order (named once, in `slmbench.results_contract.ErrorCounts`)."""
_CONTAINERS = ("object", "array")


def classify_errors(pred: Any, gold: Any, parsed: bool, hit_limit: bool = False) -> list[str]:
    """The error kinds of one prediction, in `ERROR_KINDS` order.

    >>> classify_errors({"a": 1, "b": 2}, {"a": 1, "b": 2}, parsed=True)
    []
    >>> classify_errors(None, {"a": 1}, parsed=False, hit_limit=True)
    ['invalid_json', 'truncated']
    >>> classify_errors({"a": "1", "c": 0, "items": [{"q": 2}]},
    ...                 {"a": 1, "b": 2, "items": [{"q": 3}, {"q": 4}]}, parsed=True)
    ['missing_field', 'extra_field', 'type_error', 'wrong_value', 'structure_error']
    >>> classify_errors({"addr": "1 Main St"}, {"addr": {"street": "1 Main St"}}, parsed=True)
    ['structure_error']
    """
    found: set[str] = set()
    if not parsed:
        found.add("invalid_json")
    elif not json_equal(pred, gold):
        _compare(pred, gold, found, depth=0)
    if hit_limit and found:
        found.add("truncated")
    return [kind for kind in ERROR_KINDS if kind in found]


_MAX_DEPTH = 200  # deeper garbage is a structure error, not a reason to recurse further


def _compare(pred: Any, gold: Any, found: set[str], depth: int) -> None:
    if depth > _MAX_DEPTH:
        found.add("structure_error")
        return
    tp, tg = json_type(pred), json_type(gold)
    if tp != tg:
        if tp in _CONTAINERS or tg in _CONTAINERS:
            found.add("structure_error")
        else:
            found.add("type_error")
        return
    if tg == "object":
        if gold.keys() - pred.keys():
            found.add("missing_field")
        if pred.keys() - gold.keys():
            found.add("extra_field")
        for key in gold.keys() & pred.keys():
            _compare(pred[key], gold[key], found, depth + 1)
    elif tg == "array":
        if len(pred) != len(gold):
            found.add("structure_error")
        for p, g in zip(pred, gold, strict=False):
            _compare(p, g, found, depth + 1)
    elif not json_equal(pred, gold):
        found.add("wrong_value")
