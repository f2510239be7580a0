"""Parsing, per-example metrics, error taxonomy and aggregation of the eval stage."""

from __future__ import annotations

import json
import math
import random

import jsonschema
import pytest

from slmbench.eval.aggregate import (
    aggregate_metrics,
    count_errors,
    mcnemar,
    mean_with_ci,
    paired_delta,
)
from slmbench.eval.metrics import (
    field_scores,
    json_equal,
    json_equal_normalized,
    leaf_paths,
    schema_valid,
    top_level_f1,
)
from slmbench.eval.parsing import parse_output
from slmbench.eval.scoring import METRICS, score_output
from slmbench.eval.taxonomy import ERROR_KINDS, classify_errors

INVOICE_SCHEMA = {
    "type": "object",
    "required": ["invoice_id", "date", "line_items"],
    "properties": {
        "invoice_id": {"type": "string"},
        "date": {"type": "string", "format": "date"},
        "paid": {"type": "boolean"},
        "line_items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["sku", "quantity"],
                "properties": {"sku": {"type": "string"}, "quantity": {"type": "integer"}},
            },
        },
    },
}
GOLD = {
    "invoice_id": "INV-7",
    "date": "2024-03-01",
    "paid": False,
    "line_items": [{"sku": "A1", "quantity": 2}, {"sku": "B2", "quantity": 1}],
}


@pytest.fixture
def validator():
    return jsonschema.Draft7Validator(
        INVOICE_SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )


# --- parsing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "path", "value"),
    [
        ('{"a": 1}', "strict", {"a": 1}),
        ('\n  {"a": [1, {"b": null}]}  \n', "strict", {"a": [1, {"b": None}]}),
        ('```json\n{"a": 1}\n```', "extracted", {"a": 1}),
        ('The answer is {"a": "}"} because {"b": 2}', "extracted", {"a": "}"}),
        ('[not json] then {"a": 1}', "extracted", {"a": 1}),
        ('{"a": {"b": 1}, "c": [1, 2', "extracted", {"b": 1}),
        ('{"a": 1} {"a": 2}', "extracted", {"a": 1}),
        ('{"a": 1,}', "failed", None),
        ('{"a": Infinity}', "failed", None),
        ("", "failed", None),
        ('{"a": 1', "failed", None),
    ],
)
def test_parse_paths(text, path, value):
    parsed = parse_output(text)
    assert parsed.path == path
    assert parsed.value == value
    assert parsed.ok == (path != "failed")


def test_parse_strict_takes_any_json_value_but_extraction_only_objects():
    assert parse_output("[1, 2]").value == [1, 2]
    assert parse_output("null").path == "strict"
    assert parse_output("the list [1, 2] is here").path == "failed"


def test_parse_never_raises_on_garbage():
    rng = random.Random(0)
    alphabet = '{}[]":,\\ abc0123456789.-eE\ntruefalsenull'
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        parsed = parse_output(text)
        assert parsed.path in ("strict", "extracted", "failed")
    assert parse_output("[" * 100_000).path == "failed"
    # Too deep for the decoder as a whole; the innermost object is still a complete one.
    assert parse_output("{" * 5000 + "}" * 5000).value == {}


def test_parse_of_long_truncated_output_is_fast():
    import time

    text = '{"a": ' + '{"x": [1, {"y": "z"}, ' * 400
    started = time.perf_counter()
    parse_output(text)
    assert time.perf_counter() - started < 2.0


# --- exact match ---------------------------------------------------------------------------


def test_json_equal_rules():
    assert json_equal({"b": 1, "a": [1, 2.0]}, {"a": [1.0, 2], "b": 1.0})
    assert not json_equal({"a": True}, {"a": 1})
    assert not json_equal({"a": 0}, {"a": False})
    assert not json_equal({"a": None}, {})
    assert not json_equal([1, 2], [2, 1])
    assert not json_equal({"s": "Ada "}, {"s": "Ada"})
    assert not json_equal({"s": "ada"}, {"s": "Ada"})
    assert not json_equal({"a": [1]}, {"a": [1, 1]})


def test_normalized_exact_is_lenient_only_about_strings_and_numbers():
    assert json_equal_normalized({"name": " ADA\tlovelace"}, {"name": "Ada Lovelace"})
    assert json_equal_normalized({"qty": "3", "price": "19.90"}, {"qty": 3, "price": 19.9})
    assert not json_equal_normalized({"qty": "3x"}, {"qty": 3})
    assert not json_equal_normalized({"ok": "true"}, {"ok": True})
    assert not json_equal_normalized([1, 2], [2, 1])
    assert not json_equal_normalized({"a": 1, "b": 2}, {"a": 1})


# --- field scores --------------------------------------------------------------------------


def test_leaf_paths_cover_nesting_lists_and_empties():
    paths = leaf_paths({"a": {"b": [{"c": 1}, []]}, "d": {}, "e": [], "x.y": 1, "18_24": 3})
    assert paths == {"a.b[0].c": 1, "a.b[1]": [], "d": {}, "e": [], "['x.y']": 1, "18_24": 3}
    # A key with a dot cannot collide with a nested key.
    assert leaf_paths({"x.y": 1}).keys().isdisjoint(leaf_paths({"x": {"y": 1}}).keys())


def test_field_scores_count_path_and_value():
    pred = {
        "invoice_id": "INV-7",
        "date": "2024-03-02",
        "paid": 0,
        "line_items": [{"sku": "A1", "quantity": 2.0}],
        "note": "extra",
    }
    # Gold leaves: invoice_id, date, paid, 2x2 line item leaves = 7.
    # Correct: invoice_id, line_items[0].sku, line_items[0].quantity (2.0 == 2) = 3 of 6 pred.
    scores = field_scores(pred, GOLD)
    assert scores.precision == pytest.approx(3 / 6)
    assert scores.recall == pytest.approx(3 / 7)
    assert scores.f1 == pytest.approx(2 * (3 / 6) * (3 / 7) / (3 / 6 + 3 / 7))
    perfect = field_scores(json.loads(json.dumps(GOLD)), GOLD)
    assert (perfect.precision, perfect.recall, perfect.f1) == (1.0, 1.0, 1.0)
    assert field_scores([GOLD], GOLD).f1 == 0.0


def test_top_level_f1_matches_the_original_harness():
    # Whole top-level values compared with ==: one wrong line item sinks the key.
    pred = dict(GOLD, line_items=[{"sku": "A1", "quantity": 2}])
    assert top_level_f1(pred, GOLD) == pytest.approx(0.75)
    assert top_level_f1({"paid": 0}, {"paid": False}) == 1.0  # Python ==, as the paper
    assert top_level_f1("x", GOLD) == 0.0


def test_schema_valid_uses_full_schema_with_formats(validator):
    assert schema_valid(GOLD, validator)
    assert not schema_valid(dict(GOLD, date="March 1st"), validator)
    assert not schema_valid(dict(GOLD, line_items=[{"sku": "A"}]), validator)
    assert not schema_valid(None, validator, parsed=False)
    assert not schema_valid([1, 2], validator)


# --- taxonomy ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pred", "kinds"),
    [
        ({k: v for k, v in GOLD.items() if k != "paid"}, ["missing_field"]),
        (dict(GOLD, total=3), ["extra_field"]),
        (dict(GOLD, paid="false"), ["type_error"]),
        (dict(GOLD, paid=None), ["type_error"]),
        (dict(GOLD, invoice_id="INV-8"), ["wrong_value"]),
        (dict(GOLD, line_items={"sku": "A1"}), ["structure_error"]),
        (dict(GOLD, line_items=GOLD["line_items"][:1]), ["structure_error"]),
        (dict(GOLD, date={"y": 2024}), ["structure_error"]),
        ([GOLD], ["structure_error"]),
        (
            dict(GOLD, line_items=[{"sku": "A1", "quantity": "2"}, {"sku": "B2"}]),
            ["missing_field", "type_error"],
        ),
    ],
)
def test_error_kinds(pred, kinds):
    assert classify_errors(pred, GOLD, parsed=True) == kinds


def test_truncation_and_invalid_json():
    assert classify_errors(None, GOLD, parsed=False, hit_limit=True) == [
        "invalid_json",
        "truncated",
    ]
    assert classify_errors(None, GOLD, parsed=False) == ["invalid_json"]
    # An exact answer is never an error, even if the limit was reached right at its end.
    assert classify_errors(GOLD, GOLD, parsed=True, hit_limit=True) == []


def test_every_inexact_prediction_gets_a_kind():
    rng = random.Random(1)
    values = [None, True, 0, 1.5, "x", [], {}, [1], {"a": 1}, {"sku": "A1", "quantity": 2}]
    for _ in range(500):
        pred = dict(GOLD)
        for _ in range(rng.randint(1, 3)):
            key = rng.choice([*GOLD, "zzz"])
            if rng.random() < 0.2:
                pred.pop(key, None)
            else:
                pred[key] = rng.choice(values)
        kinds = classify_errors(pred, GOLD, parsed=True)
        assert (kinds == []) == json_equal(pred, GOLD)
        assert set(kinds) <= set(ERROR_KINDS)


# --- scoring a raw output ------------------------------------------------------------------


def test_score_output_fields(validator):
    text = "Here you go:\n```json\n" + json.dumps(dict(GOLD, paid="no")) + "\n```"
    s = score_output(text, GOLD, validator)
    assert s["parse_path"] == "extracted"
    assert s["json_exact"] is False and s["valid_json"] is True
    assert s["schema_valid"] is False
    assert s["errors"] == ["type_error"]
    assert set(METRICS) <= s.keys()
    exact = score_output(json.dumps(GOLD), GOLD, validator)
    assert exact["json_exact"] and exact["json_exact_normalized"] and exact["schema_valid"]
    assert exact["errors"] == [] and exact["field_f1"] == 1.0 and exact["top_level_f1"] == 1.0


def test_garbage_outputs_never_crash_scoring(validator):
    rng = random.Random(2)
    pieces = [
        '{"',
        '"line_items": [',
        "{",
        "}",
        "]",
        '"paid": ',
        "true",
        "1e999",
        '"2024-99-99"',
        '"date": ',
        ", ",
        "\\u00",
        "NaN",
        "```json",
        "\n",
    ]
    for _ in range(500):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        s = score_output(text, GOLD, validator, hit_limit=rng.random() < 0.5)
        assert 0.0 <= s["field_f1"] <= 1.0
        json.dumps(s)  # a predictions.jsonl row must be writable
    deep = "[" * 900 + "]" * 900
    assert score_output(deep, GOLD, validator)["json_exact"] is False


# --- aggregation ---------------------------------------------------------------------------


def test_bootstrap_interval_is_seeded_and_brackets_the_mean():
    values = [1, 0, 0, 1, 1, 1, 0, 1, 1, 0] * 5
    a, b = mean_with_ci(values), mean_with_ci(values)
    assert a == b
    assert a["ci_low"] < a["value"] < a["ci_high"]
    assert mean_with_ci(values, seed=1) != a
    # A normal-approximation check of the width: 1.96 * sqrt(p(1-p)/n) ~ 0.136.
    assert a["ci_high"] - a["ci_low"] == pytest.approx(2 * 1.96 * math.sqrt(0.24 / 50), rel=0.25)


def test_aggregate_by_tier_and_schema():
    rows = []
    for i in range(6):
        rows.append(
            {m: float(i % 2) for m in METRICS}
            | {
                "complexity": "simple" if i < 4 else "complex",
                "schema_id": f"s{i % 3}",
                "errors": [] if i % 2 else ["wrong_value"],
            }
        )
    agg = aggregate_metrics(rows)
    assert agg["overall"]["json_exact"]["value"] == 0.5
    assert agg["by_tier"]["simple"]["json_exact"]["value"] == 0.5
    assert set(agg["by_tier"]) == {"simple", "complex"}
    assert set(agg["by_schema"]) == {"s0", "s1", "s2"}
    assert count_errors(rows)["wrong_value"] == 3


def test_mcnemar_exact_and_chi2():
    # Exact binomial: 1 vs 9 discordant -> 2 * P(X <= 1), X ~ Bin(10, 0.5) = 22 / 1024.
    assert mcnemar(1, 9)["p_value"] == pytest.approx(22 / 1024)
    assert mcnemar(9, 1)["p_value"] == mcnemar(1, 9)["p_value"]
    assert mcnemar(0, 0)["p_value"] == 1.0
    big = mcnemar(20, 40)
    assert big["test"] == "chi2"
    # chi2 = (|20-40|-1)^2/60 = 6.0167; P(chi2_1 > 6.0167) = 0.01417.
    assert big["p_value"] == pytest.approx(0.01417, abs=2e-4)


def test_paired_delta_counts_discordant_pairs():
    a = [True] * 10 + [False] * 10
    b = [True] * 5 + [False] * 5 + [True] * 8 + [False] * 2
    d = paired_delta(a, b)
    assert d["mcnemar"]["b"] == 5 and d["mcnemar"]["c"] == 8
    assert d["delta"] == pytest.approx(0.65 - 0.5)
    assert d["ci_low"] < d["delta"] < d["ci_high"]
