"""All per-example scores of one raw output: the metric fields of a `predictions.jsonl` row."""

from __future__ import annotations

from typing import Any

from slmbench.eval.metrics import (
    field_scores,
    json_equal,
    json_equal_normalized,
    schema_valid,
    top_level_f1,
)
from slmbench.eval.parsing import parse_output
from slmbench.eval.taxonomy import classify_errors
from slmbench.results_contract import MetricTable

METRICS = tuple(MetricTable.__annotations__)
"""Per-example metrics, each a bool or a fraction; their means are the reported rates
(named and described once, in `slmbench.results_contract.MetricTable`)."""


def score_output(raw_output: str, gold: Any, validator: Any, hit_limit: bool = False) -> dict:
    """Parse `raw_output` and score it against `gold` (validator: the row's JSON Schema).

    >>> import jsonschema
    >>> v = jsonschema.Draft7Validator({"type": "object", "required": ["a"]})
    >>> s = score_output('```json\\n{"a": 1, "b": "X"}\\n```', {"a": 1, "b": "x"}, v)
    >>> s["parse_path"], s["json_exact"], s["json_exact_normalized"], s["field_f1"], s["errors"]
    ('extracted', False, True, 0.5, ['wrong_value'])
    >>> score_output("", {"a": 1}, v, hit_limit=True)["errors"]
    ['invalid_json', 'truncated']
    """
    parsed = parse_output(raw_output)
    try:
        return _scores(parsed.path, parsed.value, gold, validator, hit_limit)
    except RecursionError:
        # Absurdly deep garbage: valid JSON maybe, but nothing like the answer.
        scores = _scores("failed", None, gold, validator, hit_limit)
        scores.update(parse_path=parsed.path, valid_json=True, errors=["structure_error"])
        return scores


def _scores(path: str, value: Any, gold: Any, validator: Any, hit_limit: bool) -> dict:
    ok = path != "failed"
    fields = field_scores(value, gold, parsed=ok)
    return {
        "parse_path": path,
        "parsed": value,
        "json_exact": ok and json_equal(value, gold),
        "json_exact_normalized": ok and json_equal_normalized(value, gold),
        "field_precision": fields.precision,
        "field_recall": fields.recall,
        "field_f1": fields.f1,
        "top_level_f1": top_level_f1(value, gold) if ok else 0.0,
        "schema_valid": schema_valid(value, validator, parsed=ok),
        "valid_json": ok,
        "errors": classify_errors(value, gold, parsed=ok, hit_limit=hit_limit),
    }
