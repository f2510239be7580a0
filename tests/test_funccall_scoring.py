"""EdgeFuncCall scoring (`slmbench.eval.funccall_scoring`): every BFCL AST rule on hand-made
cases, the error classes of wrong and malformed outputs, and the metrics layout."""

from __future__ import annotations

import json

import pytest

from slmbench.data.rows import Row
from slmbench.eval.funccall_scoring import (
    ERROR_KINDS,
    funccall_metrics,
    score_calls,
    score_funccall_row,
    standardize,
)

WEATHER = {
    "name": "get_weather",
    "parameters": {
        "type": "dict",
        "required": ["city"],
        "properties": {
            "city": {"type": "string"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "days": {"type": "integer"},
            "lat": {"type": "float"},
            "hourly": {"type": "boolean"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "point": {"type": "tuple", "items": {"type": "float"}},
            "filters": {
                "type": "dict",
                "properties": {"rain": {"type": "boolean"}, "wind": {"type": "string"}},
            },
            "note": {"type": "any"},
        },
    },
}
SEARCH = {
    "name": "web.search",
    "parameters": {"type": "dict", "required": ["q"], "properties": {"q": {"type": "string"}}},
}
TOOLS = [WEATHER, SEARCH]


def call(name: str = "get_weather", **arguments) -> dict:
    return {"name": name, "arguments": arguments}


def score(output, truth: dict | list | None, category: str = "simple", tools=TOOLS) -> dict:
    """Score `output` (calls, or raw text) against one expected call `{param: [values]}` of
    get_weather, or a full ground truth list."""
    if isinstance(truth, dict):
        truth = [{"get_weather": truth}]
    raw = output if isinstance(output, str) else json.dumps(output)
    return score_calls(raw, category, tools, truth)


def right(output, truth, category="simple") -> bool:
    return score(output, truth, category)["correct"]


def errors(output, truth, category="simple") -> list[str]:
    result = score(output, truth, category)
    assert not result["correct"]
    return result["errors"]


def test_the_function_name_must_match():
    truth = {"city": ["Paris"]}
    assert right([call(city="Paris")], truth)
    assert errors([call("web.search", q="Paris")], truth) == ["wrong_function"]
    assert errors([call("get_wether", city="Paris")], truth) == ["unknown_function"]


def test_every_required_parameter_must_be_present():
    assert errors([call(unit="celsius")], {"city": ["Paris"], "unit": ["celsius"]}) == [
        "missing_parameter"
    ]


def test_no_parameter_outside_both_the_schema_and_the_possible_answer():
    truth = {"city": ["Paris"], "days": ["", 3]}
    assert right([call(city="Paris", days=3)], truth)
    assert errors([call(city="Paris", country="FR")], truth) == ["extra_parameter"]  # schema
    assert errors([call(city="Paris", unit="celsius")], truth) == ["extra_parameter"]  # answer


def test_types_are_exact_except_that_an_integer_is_a_float():
    assert right([call(city="Paris", lat=48)], {"city": ["Paris"], "lat": [48.0]})
    assert right([call(city="Paris", lat=48.0)], {"city": ["Paris"], "lat": [48]})
    assert errors([call(city="Paris", days=3.0)], {"city": ["Paris"], "days": [3]}) == [
        "wrong_type"
    ]
    assert errors([call(city="Paris", days="3")], {"city": ["Paris"], "days": [3]}) == [
        "wrong_type"
    ]
    assert errors([call(city="Paris", hourly=1)], {"city": ["Paris"], "hourly": [True]}) == [
        "wrong_type"
    ]
    assert errors([call(city="Paris", days=True)], {"city": ["Paris"], "days": [1]}) == [
        "wrong_type"
    ]
    # Array items are checked one level deep; an integer item counts as a float.
    assert errors([call(city="P", tags=["a", 2])], {"city": ["P"], "tags": [["a", "2"]]}) == [
        "wrong_type"
    ]
    assert right([call(city="P", point=[1, 2.5])], {"city": ["P"], "point": [[1.0, 2.5]]})
    # `any` takes any type; a value is still compared with the acceptable ones.
    assert right([call(city="P", note=7)], {"city": ["P"], "note": [7]})
    assert errors([call(city="P", note=8)], {"city": ["P"], "note": [7]}) == ["wrong_value"]


def test_strings_are_compared_without_spaces_punctuation_and_case():
    assert standardize("San Francisco, CA") == standardize("san-francisco ca") == "sanfranciscoca"
    assert standardize("a.b/c_d*e^f") == "abcdef"
    truth = {"city": ["San Francisco, CA"]}
    assert right([call(city="san francisco CA")], truth)
    assert right([call(city="San_Francisco,CA")], truth)
    assert errors([call(city="San Jose, CA")], truth) == ["wrong_value"]
    assert right([call(city="x", unit="Celsius")], {"city": ["x"], "unit": ["celsius"]})


def test_lists_are_compared_in_order():
    truth = {"city": ["P"], "tags": [["Rain", "wind chill"]]}
    assert right([call(city="P", tags=["rain", "Wind-Chill"])], truth)
    assert errors([call(city="P", tags=["wind chill", "rain"])], truth) == ["wrong_value"]
    assert errors([call(city="P", tags=["rain"])], truth) == ["wrong_value"]


def test_an_empty_string_in_the_answer_means_the_parameter_may_be_left_out():
    assert right([call(city="Paris")], {"city": ["Paris"], "unit": ["", "celsius"]})
    assert right([call(city="Paris", unit="celsius")], {"city": ["Paris"], "unit": ["", "celsius"]})
    assert errors([call(city="Paris")], {"city": ["Paris"], "unit": ["celsius"]}) == [
        "missing_parameter"
    ]


def test_dict_parameters_are_compared_key_by_key():
    truth = {"city": ["P"], "filters": [{"rain": [True], "wind": ["", "strong"]}]}
    assert right([call(city="P", filters={"rain": True})], truth)
    assert right([call(city="P", filters={"rain": True, "wind": "Strong"})], truth)
    assert errors([call(city="P", filters={"wind": "strong"})], truth) == ["wrong_value"]
    assert errors([call(city="P", filters={"rain": True, "snow": 1})], truth) == ["wrong_value"]


def test_a_variable_name_stands_for_a_value_of_another_type():
    # BFCL's rule: an answer of another type than the schema's is a variable's name.
    assert right([call(city="P", days="n_days")], {"city": ["P"], "days": ["n_days"]})


def test_parallel_calls_match_in_any_order_and_all_or_nothing():
    truth = [
        {"get_weather": {"city": ["Paris"]}},
        {"get_weather": {"city": ["Oslo"]}},
        {"web.search": {"q": ["ski"]}},
    ]
    calls = [call("web.search", q="ski"), call(city="Oslo"), call(city="Paris")]
    assert right(calls, truth, "parallel_multiple")
    assert errors(calls[:2], truth, "parallel_multiple") == ["missed_call"]
    assert errors([*calls, call(city="Rome")], truth, "parallel") == ["extra_call"]
    one_wrong = [call("web.search", q="ski"), call(city="Oslo"), call(city="Pariss")]
    assert errors(one_wrong, truth, "parallel_multiple") == ["wrong_value"]


def test_the_matching_finds_an_assignment_a_greedy_loop_misses():
    # The first expected call accepts both outputs, the second only the first output.
    truth = [{"get_weather": {"city": ["Paris", "Oslo"]}}, {"get_weather": {"city": ["Paris"]}}]
    assert right([call(city="Paris"), call(city="Oslo")], truth, "parallel")


def test_simple_and_multiple_entries_want_exactly_one_call():
    truth = {"city": ["Paris"]}
    assert errors([call(city="Paris"), call(city="Paris")], truth, "multiple") == ["extra_call"]
    assert errors([], truth, "live_simple") == ["missed_call"]


def test_irrelevance_is_right_when_there_is_no_call():
    assert right([], None, "irrelevance")
    assert right("I cannot help with that.", None, "live_irrelevance")  # BFCL: no call decoded
    assert errors([call(city="Paris")], None, "irrelevance") == ["extra_call"]


def test_relevance_is_right_for_any_well_formed_call():
    assert right([call("web.search", q="anything at all")], None, "relevance")
    assert right([call("not_offered")], None, "live_relevance")
    assert errors([], None, "relevance") == ["missed_call"]
    assert errors("[{", None, "relevance") == ["invalid_json"]


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("", "invalid_json"),
        ("[{", "invalid_json"),
        ('[{"name": "get_weather", "arguments": {"city": NaN}}]', "invalid_json"),
        ('{"answer": 42}', "malformed_call"),
        ('[{"name": "get_weather", "arguments": "city=Paris"}]', "malformed_call"),
        ('[{"name": "get_weather", "arguments": {}, "extra": 1}]', "malformed_call"),
        ('"get_weather(city=Paris)"', "malformed_call"),
        ("[" * 5000 + "]" * 5000, "invalid_json"),  # too deep for the JSON reader
    ],
)
def test_malformed_output_is_wrong_and_classified_never_a_crash(raw, kind):
    result = score(raw, {"city": ["Paris"]})
    assert result["correct"] is False and result["errors"] == [kind]
    assert result["well_formed"] is False and result["calls"] is None


def test_a_call_found_inside_prose_or_a_lone_call_object_is_read():
    truth = {"city": ["Paris"]}
    assert right('Sure! [{"name": "get_weather", "arguments": {"city": "Paris"}}] Done.', truth)
    assert right('{"name": "get_weather", "arguments": {"city": "Paris"}}', truth)


def rows_of(*categories: str) -> list[Row]:
    truth = [{"get_weather": {"city": ["Paris"]}}]
    return [
        Row(
            id=f"r{i}",
            schema_id=f"bfcl:r{i}",
            complexity=c,
            prompt="q",
            expected_output=[],
            extra={
                "category": c,
                "tools": TOOLS,
                "possible_answer": None if c in ("irrelevance", "relevance") else truth,
            },
        )
        for i, c in enumerate(categories)
    ]


def test_the_metrics_have_the_results_layout_overall_and_by_category():
    rows = rows_of("simple", "simple", "irrelevance", "relevance")
    outputs = [
        [call(city="Paris")],  # right
        [call(city="Rome")],  # wrong value
        [],  # right
        "no json",  # wrong: invalid JSON
    ]
    predictions = [
        {"id": r.id, "raw_output": o if isinstance(o, str) else json.dumps(o)}
        for r, o in zip(rows, outputs, strict=True)
    ]
    metrics = funccall_metrics(predictions, rows)
    overall = metrics["overall"]
    assert overall["accuracy"]["value"] == 0.5 and overall["n"] == 4
    assert set(overall["accuracy"]) == {"value", "ci_low", "ci_high"}
    assert overall["accuracy"]["ci_low"] <= 0.5 <= overall["accuracy"]["ci_high"]
    assert overall["well_formed"]["value"] == 0.75
    assert list(metrics["by_category"]) == ["irrelevance", "relevance", "simple"]
    assert metrics["by_category"]["simple"]["accuracy"]["value"] == 0.5
    assert metrics["by_category"]["relevance"]["n"] == 1
    assert list(metrics["errors"]) == list(ERROR_KINDS)
    assert metrics["errors"]["wrong_value"] == metrics["errors"]["invalid_json"] == 1
    assert metrics["errors_by_category"]["simple"]["wrong_value"] == 1


def test_the_row_scorer_adds_the_task_fields_to_a_prediction():
    row = rows_of("simple")[0]
    fields = score_funccall_row({"raw_output": '[{"name": "get_weather", "arguments": {}}]'}, row)
    assert fields["correct"] is False and fields["call_errors"] == ["missing_parameter"]
    assert fields["category"] == "simple" and fields["well_formed"] is True
    assert fields["call_reasons"] == ["get_weather: missing required parameter 'city'"]
