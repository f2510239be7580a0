"""EdgeFuncCall scoring: the Berkeley Function Calling Leaderboard's AST rules, as pure functions.

An entry is right or wrong as a whole. Its output must be a JSON list of calls
`{"name": ..., "arguments": {...}}` (a lone call object counts as a list of one). Then, per
category (`slmbench.data.bfcl.base_category`):
- irrelevance: right when there is no call (`[]`, or output that is not a call list at all, as
  BFCL counts an output it cannot decode);
- relevance: right for any well-formed, non-empty call list;
- simple, multiple, parallel, parallel_multiple: the calls must match the possible answer's
  calls one to one, in any order (a maximum bipartite matching; BFCL's own loop is greedy, which
  can only miss matchings this finds). A call matches an expected call when:
  - the function name is the same;
  - every parameter the tool requires is present;
  - every parameter given is both in the tool's schema and in the possible answer;
  - its type is exact (`type(value)`, so `true` is not an integer), except that an integer is
    accepted for a float; array items are checked one level deep; `any` takes any type; a value
    of the possible answer's own type is accepted when that differs from the schema's (BFCL's
    "variable" rule);
  - strings are compared after removing spaces and `,./-_*^` and lower-casing (`standardize`),
    lists element-wise in order, dicts key by key, other values by equality, against each of the
    acceptable values;
  - a parameter of the possible answer that is left out must list `""` among its values.

Error kinds (`ERROR_KINDS`) classify a wrong entry, never raising on any output.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from slmbench.data.bfcl import base_category
from slmbench.eval.aggregate import mean_with_ci
from slmbench.eval.summary import format_rate, format_table
from slmbench.jsontext import first_json_span
from slmbench.results_contract import CallErrorCounts

ERROR_KINDS = tuple(CallErrorCounts.__annotations__)
"""The error kinds of a wrong entry, named and described once, in
`slmbench.results_contract.CallErrorCounts`."""
PYTHON_TYPES: dict[str, type | None] = {
    "string": str,
    "integer": int,
    "float": float,
    "number": float,
    "boolean": bool,
    "array": list,
    "tuple": list,
    "dict": dict,
    "object": dict,
    "null": type(None),
    "any": None,
}
"""The Python type (from `json.loads`) of each BFCL / JSON Schema type name; None: any."""
_STANDARDIZE = re.compile(r"[ ,./\-_*^]")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def standardize(text: str) -> str:
    """A string as BFCL compares it: without spaces and `,./-_*^`, lower-cased, single quotes
    read as double quotes.

    >>> standardize("April 1, 2024") == standardize("april 1 2024") == "april12024"
    True
    >>> standardize("San Francisco, CA"), standardize("x_y*z^2")
    ('sanfranciscoca', 'xyz2')
    """
    return _STANDARDIZE.sub("", text).lower().replace("'", '"')


def parse_calls(raw_output: Any) -> tuple[list[dict] | None, str | None]:
    """The calls of a raw output, or None and why (`invalid_json`, `malformed_call`). The whole
    output is read as JSON, else its first complete JSON array or object.

    >>> parse_calls('[{"name": "f", "arguments": {"x": 1}}]')
    ([{'name': 'f', 'arguments': {'x': 1}}], None)
    >>> parse_calls('Sure: {"name": "f", "arguments": {}} done')
    ([{'name': 'f', 'arguments': {}}], None)
    >>> parse_calls("[]"), parse_calls("no idea"), parse_calls('[{"name": "f"}]')
    (([], None), (None, 'invalid_json'), (None, 'malformed_call'))
    >>> parse_calls('[{"name": "f", "arguments": {"x": NaN}}]')
    (None, 'invalid_json')
    """
    if not isinstance(raw_output, str):
        return None, "invalid_json"
    try:
        value = _DECODER.decode(raw_output.strip())
    except (ValueError, RecursionError):
        span = first_json_span(raw_output)
        if span is None:
            return None, "invalid_json"
        try:
            value = _DECODER.decode(raw_output[span[0] : span[1]])
        except (ValueError, RecursionError):
            return None, "invalid_json"
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(_is_call(c) for c in value):
        return None, "malformed_call"
    return value, None


def _is_call(call: Any) -> bool:
    return (
        isinstance(call, dict)
        and set(call) == {"name", "arguments"}
        and isinstance(call["name"], str)
        and isinstance(call["arguments"], dict)
    )


def _answer_type(options: list) -> type | None:
    for option in options:
        if option != "":
            return type(option)
    return None


def _types(spec: Any) -> list[type | None]:
    names = spec.get("type", "any") if isinstance(spec, dict) else "any"
    names = names if isinstance(names, list) else [names]
    return [PYTHON_TYPES.get(n) if isinstance(n, str) else None for n in names]


def _type_ok(value: Any, expected: list[type | None]) -> bool:
    return any(
        t is None or type(value) is t or (t is float and type(value) is int) for t in expected
    )


def check_type(value: Any, spec: dict, options: list) -> bool:
    """Whether a value has its parameter's type (see the module docstring).

    >>> check_type(3, {"type": "float"}, [3.0]), check_type(True, {"type": "integer"}, [1])
    (True, False)
    >>> check_type([1, "a"], {"type": "array", "items": {"type": "integer"}}, [[1, 2]])
    False
    >>> check_type("$x", {"type": "integer"}, ["$x"])  # a variable name stands for the value
    True
    >>> check_type(None, {"type": ["string", "null"]}, [None])
    True
    """
    expected = _types(spec)
    if _type_ok(value, expected):
        if isinstance(value, list) and isinstance(spec.get("items"), dict):
            inner = _types(spec["items"])
            return all(_type_ok(item, inner) for item in value)
        return True
    answer_type = _answer_type(options)
    return answer_type is not None and answer_type not in expected and type(value) is answer_type


def _norm(value: Any) -> Any:
    if isinstance(value, str):
        return standardize(value)
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value


def _equal(value: Any, option: Any) -> bool:
    if type(value) is bool or type(option) is bool:
        return type(value) is type(option) and value == option
    if isinstance(value, int | float) and isinstance(option, int | float):
        return value == option
    return type(value) is type(option) and _norm(value) == _norm(option)


def check_value(value: Any, options: list) -> bool:
    """Whether a value is one of a parameter's acceptable values (strings standardised, lists
    in order, dicts key by key with `""` marking an optional key).

    >>> check_value("new york, NY", ["New York, NY"]), check_value(["a", "b"], [["b", "a"]])
    (True, False)
    >>> check_value({"size": "Large"}, [{"size": ["large"], "milk": [""]}])
    True
    >>> check_value({"size": "large"}, [{"size": ["large"], "milk": ["oat"]}])
    False
    >>> check_value(2, [2.0]), check_value(True, [1])
    (True, False)
    """
    for option in options:
        if isinstance(value, dict) and isinstance(option, dict):
            if _dict_matches(value, option):
                return True
        elif (
            isinstance(value, list)
            and isinstance(option, list)
            and value
            and all(isinstance(v, dict) for v in value)
            and all(isinstance(o, dict) for o in option)
        ):
            if len(value) == len(option) and all(
                _dict_matches(v, o) for v, o in zip(value, option, strict=True)
            ):
                return True
        elif isinstance(value, list) and isinstance(option, list):
            if len(value) == len(option) and all(
                _equal(v, o) for v, o in zip(value, option, strict=True)
            ):
                return True
        elif _equal(value, option):
            return True
    return False


def _dict_matches(value: dict, option: dict) -> bool:
    for key, sub in value.items():
        if key not in option or not check_value(sub, option[key]):
            return False
    return all(key in value or "" in subs for key, subs in option.items())


def check_call(call: dict, tool: dict | None, expected: dict[str, list]) -> tuple[str, str] | None:
    """None when `call` matches one expected call `{param: [values]}` of `tool`, else
    (error kind, one-line reason). `call["name"]` is assumed to be `tool`'s name.

    >>> tool = {"name": "w", "parameters": {"type": "dict", "required": ["city"],
    ...     "properties": {"city": {"type": "string"}, "days": {"type": "integer"}}}}
    >>> check_call({"name": "w", "arguments": {"city": "Paris"}}, tool,
    ...            {"city": ["paris"], "days": ["", 1]}) is None
    True
    >>> check_call({"name": "w", "arguments": {"days": 2}}, tool, {"city": ["x"], "days": [2]})
    ('missing_parameter', "w: missing required parameter 'city'")
    >>> check_call({"name": "w", "arguments": {"city": "x", "days": "2"}}, tool,
    ...            {"city": ["x"], "days": [2]})[0]
    'wrong_type'
    """
    name = call["name"]
    params = (tool or {}).get("parameters") or {}
    properties = params.get("properties") or {}
    arguments = call["arguments"]
    for param in params.get("required", []):
        if param not in arguments:
            return "missing_parameter", f"{name}: missing required parameter {param!r}"
    for param, value in arguments.items():
        if param not in properties or param not in expected:
            return "extra_parameter", f"{name}: unexpected parameter {param!r}"
        spec = properties[param] if isinstance(properties[param], dict) else {}
        if not check_type(value, spec, expected[param]):
            return "wrong_type", f"{name}: wrong type for {param!r}: {value!r}"
        if not check_value(value, expected[param]):
            return (
                "wrong_value",
                f"{name}: wrong value for {param!r}: {value!r} (expected one of "
                f"{expected[param]!r})",
            )
    for param, options in expected.items():
        if param not in arguments and "" not in options:
            return "missing_parameter", f"{name}: missing parameter {param!r}"
    return None


def _pair_error(call: dict, truth: dict, tools: dict[str, dict]) -> tuple[str, str] | None:
    ((name, expected),) = truth.items()
    if call["name"] not in tools:
        return "unknown_function", f"{call['name']}: not an offered function"
    if call["name"] != name:
        return "wrong_function", f"{call['name']}: expected {name}"
    return check_call(call, tools.get(name), expected)


def match_calls(
    calls: list[dict], ground_truth: list[dict], tools: dict[str, dict]
) -> tuple[bool, list[str], list[str]]:
    """(right, error kinds, reasons) of calls against a BFCL ground truth, in any order.

    >>> tools = {"f": {"name": "f", "parameters": {"type": "dict", "properties": {
    ...     "x": {"type": "integer"}}}}}
    >>> truth = [{"f": {"x": [1]}}, {"f": {"x": [2]}}]
    >>> match_calls([{"name": "f", "arguments": {"x": 2}}, {"name": "f", "arguments": {"x": 1}}],
    ...             truth, tools)
    (True, [], [])
    >>> match_calls([{"name": "f", "arguments": {"x": 2}}], truth, tools)[:2]
    (False, ['missed_call'])
    """
    errors = [[_pair_error(c, t, tools) for c in calls] for t in ground_truth]
    owner: dict[int, int] = {}  # call index -> ground-truth index

    def assign(t: int, seen: set[int]) -> bool:
        for c in range(len(calls)):
            if errors[t][c] is None and c not in seen:
                seen.add(c)
                if c not in owner or assign(owner[c], seen):
                    owner[c] = t
                    return True
        return False

    for t in range(len(ground_truth)):
        assign(t, set())
    if len(owner) == len(ground_truth) == len(calls):
        return True, [], []
    kinds, reasons = [], []
    free_calls = [c for c in range(len(calls)) if c not in owner]
    for t in sorted(set(range(len(ground_truth))) - set(owner.values())):
        (name,) = ground_truth[t]
        if not free_calls:
            kinds.append("missed_call")
            reasons.append(f"{name}: expected call missing")
            continue
        same = [c for c in free_calls if calls[c]["name"] == name]
        c = (same or free_calls)[0]
        free_calls.remove(c)
        kind, reason = errors[t][c] or ("wrong_value", "no consistent matching")
        kinds.append(kind)
        reasons.append(reason)
    for c in free_calls:
        kinds.append("extra_call")
        reasons.append(f"{calls[c]['name']}: call not expected")
    return False, sorted(set(kinds), key=ERROR_KINDS.index), reasons


def score_calls(
    raw_output: Any, category: str, tools: list[dict], possible_answer: list[dict] | None
) -> dict:
    """One entry's score: `correct`, `errors` (kinds), `reasons`, `calls` (parsed, or None).

    >>> tools = [{"name": "f", "parameters": {"type": "dict", "properties": {}}}]
    >>> score_calls("[]", "irrelevance", tools, None)["correct"]
    True
    >>> score_calls('[{"name": "f", "arguments": {}}]', "live_irrelevance", tools, None)["errors"]
    ['extra_call']
    >>> score_calls("oops", "relevance", tools, None)["errors"]
    ['invalid_json']
    """
    rule = base_category(category)
    calls, parse_error = parse_calls(raw_output)
    offered: dict[str, dict] = {}
    for tool in tools:
        offered.setdefault(tool["name"], tool)
    if rule == "irrelevance":
        ok = not calls
        kinds = [] if ok else ["extra_call"]
        reasons = [] if ok else [f"{len(calls)} call(s) where none fits"]
    elif parse_error:
        ok, kinds, reasons = False, [parse_error], [parse_error.replace("_", " ")]
    elif rule == "relevance":
        ok = bool(calls)
        kinds = [] if ok else ["missed_call"]
        reasons = [] if ok else ["no call where one fits"]
    else:
        if possible_answer is None:
            raise ValueError(f"a {category} entry needs its possible answer")
        ok, kinds, reasons = match_calls(calls, possible_answer, offered)
    return {
        "correct": ok,
        "errors": kinds,
        "reasons": reasons,
        "calls": calls,
        "well_formed": parse_error is None,
    }


def score_funccall_row(prediction: dict, row: Any, schema: Any = None) -> dict:
    """The task fields of one `predictions.jsonl` row (the task registry's `row_scorer`):
    `category`, `correct`, `call_errors` (kinds), `call_reasons`, `calls`, `well_formed`."""
    extra = row.extra
    scores = score_calls(
        prediction.get("raw_output"),
        extra["category"],
        extra["tools"],
        extra.get("possible_answer"),
    )
    return {
        "category": extra["category"],
        "correct": scores["correct"],
        "call_errors": scores["errors"],
        "call_reasons": scores["reasons"],
        "calls": scores["calls"],
        "well_formed": scores["well_formed"],
    }


def _table(flags: list[dict]) -> dict:
    return {
        "accuracy": mean_with_ci([float(f["correct"]) for f in flags]),
        "well_formed": mean_with_ci([float(f["well_formed"]) for f in flags]),
        "n": len(flags),
    }


def _error_counts(flags: list[dict]) -> dict[str, int]:
    counts = Counter(kind for f in flags for kind in f["call_errors"])
    return {kind: counts.get(kind, 0) for kind in ERROR_KINDS}


def funccall_metrics(predictions: Sequence[dict], rows: Sequence[Any]) -> dict:
    """results.json's `metrics` of an EdgeFuncCall run (the task registry's `scorer`):
    `overall` and `by_category` tables (`accuracy`: entries right; `well_formed`: outputs that
    are a call list; each with its 95% bootstrap interval; `n`), and error-kind counts, overall
    and by category. Scores are recomputed from each prediction's `raw_output`."""
    by_id = {row.id: row for row in rows}
    flags = [score_funccall_row(p, by_id[p["id"]]) for p in predictions]
    groups: dict[str, list[dict]] = {}
    for f in flags:
        groups.setdefault(f["category"], []).append(f)
    return {
        "overall": _table(flags),
        "by_category": {c: _table(g) for c, g in sorted(groups.items())},
        "errors": _error_counts(flags),
        "errors_by_category": {c: _error_counts(g) for c, g in sorted(groups.items())},
    }


def funccall_summary(results: dict) -> str:
    """The text printed at the end of `slmbench eval --task edgefunccall` (the task registry's
    `summary`): accuracy and well-formed outputs overall and per category, the error counts."""
    cfg, metrics = results["config"], results["metrics"]
    header = ["", "n", "accuracy %", "well-formed %"]
    tables = [("overall", metrics["overall"]), *metrics["by_category"].items()]
    rows = [
        [name, str(t["n"]), format_rate(t["accuracy"]), format_rate(t["well_formed"])]
        for name, t in tables
    ]
    counted = ", ".join(f"{k} {v}" for k, v in metrics["errors"].items() if v) or "none"
    adapter = f" + {cfg['adapter']}" if cfg.get("adapter") else ""
    latency = results["latency"]["ms_per_example"]
    return "\n".join(
        [
            f"model {cfg['model']}{adapter} | backend {cfg['backend']} | prompt "
            f"{cfg['prompt_style']} | constrained {cfg.get('constrained') or 'off'} | "
            f"data {cfg['data']} ({results['n']} entries)",
            format_table(header, rows),
            "(percent, 95% bootstrap interval in brackets)",
            f"errors: {counted}",
            f"latency per entry: median {latency['median']} ms, p90 {latency['p90']} ms",
        ]
    )
