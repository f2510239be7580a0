"""Function-calling rows in the Berkeley Function Calling Leaderboard's format (EdgeFuncCall).

A BFCL question file is JSON lines of `{id, question, function}`: `question` is a list of turns,
each a list of `{role, content}` messages (single-turn categories have one turn), `function` the
tools offered, each `{name, description, parameters}` with parameters in BFCL's JSON-Schema
dialect (types `dict`, `float`, `integer`, `string`, `boolean`, `array`, `tuple`, `any`). The
answers sit beside it as BFCL lays them out, `possible_answer/<same file name>`: JSON lines of
`{id, ground_truth}`, a list of expected calls `{function_name: {param: [acceptable values]}}`
where `""` among the values means the parameter may be left out. Irrelevance and relevance files
have no answer file: the right answer is no call, or any well-formed call.

The category comes from the file name (`BFCL_v3_simple.json`, `BFCL_v4_live_parallel.json`...)
or the `--category` flag. Our generator's rows (`slmbench.data.funccall_gen`) are JSONL `Row`s
that carry the same fields (`tools` in BFCL's dialect, `possible_answer` in its ground-truth
form, `category`), so that both are read, prompted, decoded and scored by one path.

Each row gets its own output schema (id `bfcl:<row id>`): a JSON array of calls, each
`{"name": <const tool name>, "arguments": <that tool's parameters as JSON Schema>}`, one of the
offered tools (`anyOf`), the empty list allowed. The gold (`expected_output`) of a BFCL row is
its ground truth with the first acceptable value of each parameter (a parameter whose first
value is `""` left out), arguments in the tool's property order (the order the decoding grammar
writes).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema

from slmbench.data.rows import Row, iter_jsonl
from slmbench.data.schemas import SchemaInfo
from slmbench.errors import DataError

CATEGORIES = ("simple", "multiple", "parallel", "parallel_multiple", "irrelevance", "relevance")
"""The scoring rule of a category (BFCL's `live_` categories and `simple_python` use the same)."""
NO_ANSWER_CATEGORIES = ("irrelevance", "relevance")
"""Categories that BFCL ships without a possible-answer file."""
ANSWER_DIR = "possible_answer"
SCHEMA_ID_PREFIX = "bfcl:"
BFCL_TYPES = {
    "dict": "object",
    "float": "number",
    "tuple": "array",
    "integer": "integer",
    "string": "string",
    "boolean": "boolean",
    "array": "array",
    "any": None,
    # JSON Schema's own names, as some tool lists (and our generator's) write them.
    "object": "object",
    "number": "number",
    "null": "null",
}
"""BFCL type name -> JSON Schema type (None: any JSON value)."""
KEPT_KEYWORDS = frozenset(
    ("description", "default", "enum", "const", "minimum", "maximum", "exclusiveMinimum")
    + ("exclusiveMaximum", "multipleOf", "minLength", "maxLength", "pattern", "format")
    + ("minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties")
)
"""Keywords copied into the output schema as they are (descriptions and defaults are read by
the prompt's tool rendering; the decoding grammar ignores them)."""
DROPPED_KEYWORDS = frozenset(
    ("title", "examples", "optional", "$comment", "deprecated", "readOnly", "writeOnly")
    + ("nullable",)
)
"""Annotations of BFCL tool lists that say nothing the output schema needs."""
_FILE_CATEGORY = re.compile(r"^BFCL_v\d+_(?P<category>.+)$")
CONVERTED_CACHE_SIZE = 20000
_CONVERTED: dict[tuple[str, str], str] = {}
"""Converted parameter schemas by tool (as JSON): datasets repeat the same tools row after
row, and converting and checking each one again would dominate the reading time."""


def base_category(category: str) -> str:
    """The scoring rule of a BFCL category name.

    >>> base_category("live_parallel_multiple"), base_category("simple_python")
    ('parallel_multiple', 'simple')
    >>> base_category("multi_turn_base")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    slmbench.errors.DataError: unsupported BFCL category 'multi_turn_base' (supported: ...)
    """
    base = category.removeprefix("live_")
    if base == "simple_python":
        base = "simple"
    if base not in CATEGORIES:
        raise DataError(
            f"unsupported BFCL category {category!r} (supported: {', '.join(CATEGORIES)}, "
            "and their live_ forms)"
        )
    return base


def category_of_file(path: str | Path, given: str | None = None) -> str:
    """The BFCL category of a question file: `given` (the `--category` flag), else its name.

    >>> category_of_file("data/BFCL_v3_live_parallel.json"), category_of_file("x.json", "simple")
    ('live_parallel', 'simple')
    """
    if given:
        base_category(given)
        return given
    match = _FILE_CATEGORY.match(Path(path).stem)
    if not match:
        raise DataError(
            "cannot tell the BFCL category from the file name (expected BFCL_v<N>_<category>"
            f".json); pass --category (one of {', '.join(CATEGORIES)})",
            str(path),
        )
    category = match["category"]
    base_category(category)
    return category


def answer_path(path: str | Path) -> Path:
    """Where BFCL keeps a question file's answers: `possible_answer/<same name>` beside it.

    >>> str(answer_path("data/BFCL_v3_simple.json"))
    'data/possible_answer/BFCL_v3_simple.json'
    """
    path = Path(path)
    return path.parent / ANSWER_DIR / path.name


def read_bfcl(
    path: str | Path,
    *,
    schemas: str | Path | None = None,
    require_gold: bool = True,
    answers: str | Path | None = None,
    category: str | None = None,
    **_options: Any,
) -> tuple[list[Row], dict[str, SchemaInfo]]:
    """EdgeFuncCall's reader (the task registry's signature): a BFCL question file with its
    answers (`answers`, default `possible_answer/<same name>`), or JSONL rows of our generator.
    Returns the rows and each row's output schema by `row.schema_id`. `schemas` is not used:
    every row's schema is built from its tools. Errors name the file and line."""
    path = Path(path)
    lines = list(iter_jsonl(path))
    if not lines:
        raise DataError("dataset is empty", str(path))
    first = lines[0][1]
    if isinstance(first, dict) and "question" in first:
        rows = _bfcl_rows(path, lines, answers, category, require_gold)
    else:
        rows = _generated_rows(path, lines, category, require_gold)
    found = {}
    for row in rows:
        schema = calls_schema(row.extra["tools"], f"{path}: row {row.id!r}")
        found[row.schema_id] = SchemaInfo(row.schema_id, row.complexity, schema, path)
    return rows, found


def _bfcl_rows(
    path: Path,
    lines: list[tuple[int, Any]],
    answers: str | Path | None,
    category: str | None,
    require_gold: bool,
) -> list[Row]:
    category = category_of_file(path, category)
    needs_answers = base_category(category) not in NO_ANSWER_CATEGORIES
    truth: dict[str, Any] | None = None
    if needs_answers and (require_gold or answers):
        answer_file = Path(answers) if answers else answer_path(path)
        truth = read_answers(answer_file, given=bool(answers))
    rows: list[Row] = []
    seen: set[str] = set()
    for lineno, obj in lines:
        if not isinstance(obj, dict):
            raise DataError(f"expected a JSON object, got {type(obj).__name__}", str(path), lineno)
        for key in ("id", "question", "function"):
            if key not in obj:
                raise DataError(f"missing field {key!r}", str(path), lineno)
        row_id = str(obj["id"])
        if row_id in seen:
            raise DataError(f"duplicate id {row_id!r}", str(path), lineno)
        seen.add(row_id)
        tools = obj["function"] if isinstance(obj["function"], list) else [obj["function"]]
        where = f"{path}:{lineno}"
        check_tools(tools, where)
        ground_truth = None
        if truth is not None:
            if row_id not in truth:
                raise DataError(f"no answer for id {row_id!r}", str(answer_file))
            ground_truth = truth[row_id]
        gold = None if ground_truth is None else gold_calls(ground_truth, tools, where)
        if base_category(category) == "irrelevance":
            gold = []
        rows.append(
            Row(
                id=row_id,
                schema_id=SCHEMA_ID_PREFIX + row_id,
                complexity=category,
                prompt=request_text(obj["question"], where),
                expected_output=gold,
                extra={"category": category, "tools": tools, "possible_answer": ground_truth},
            )
        )
    return rows


def _generated_rows(
    path: Path, lines: list[tuple[int, Any]], category: str | None, require_gold: bool
) -> list[Row]:
    rows: list[Row] = []
    seen: set[str] = set()
    for lineno, obj in lines:
        if not isinstance(obj, dict):
            raise DataError(f"expected a JSON object, got {type(obj).__name__}", str(path), lineno)
        for key in ("id", "prompt", "tools"):
            if key not in obj:
                raise DataError(
                    f"missing field {key!r} (neither a BFCL question row nor a function-"
                    "calling row of `slmbench data build --task edgefunccall`)",
                    str(path),
                    lineno,
                )
        row_id = str(obj["id"])
        if row_id in seen:
            raise DataError(f"duplicate id {row_id!r}", str(path), lineno)
        seen.add(row_id)
        row_category = obj.get("category") or category
        if not row_category:
            raise DataError("missing field 'category' and no --category given", str(path), lineno)
        base = base_category(row_category)
        check_tools(obj["tools"], f"{path}:{lineno}")
        if obj.get("possible_answer") is None and base not in NO_ANSWER_CATEGORIES:
            raise DataError(f"row {row_id!r} has no 'possible_answer'", str(path), lineno)
        if require_gold and obj.get("expected_output") is None and base != "relevance":
            raise DataError(f"row {row_id!r} has no gold 'expected_output'", str(path), lineno)
        known = {"id", "schema_id", "complexity", "prompt", "expected_output", "style"}
        extra = {k: v for k, v in obj.items() if k not in known}
        extra["category"] = row_category
        rows.append(
            Row(
                id=row_id,
                schema_id=SCHEMA_ID_PREFIX + row_id,
                complexity=row_category,
                prompt=obj["prompt"],
                expected_output=obj.get("expected_output"),
                style=obj.get("style"),
                extra=extra,
            )
        )
    return rows


def read_answers(path: Path, given: bool) -> dict[str, Any]:
    """`{id: ground_truth}` of a possible-answer file."""
    if not path.is_file():
        flag = "--answers file" if given else "possible-answer file"
        hint = "" if given else " (BFCL's layout: possible_answer/<same name>; or pass --answers)"
        raise DataError(f"{flag} not found{hint}", str(path))
    truth: dict[str, Any] = {}
    for lineno, obj in iter_jsonl(path, "possible-answer file"):
        if not isinstance(obj, dict) or "id" not in obj or "ground_truth" not in obj:
            raise DataError("expected an object with 'id' and 'ground_truth'", str(path), lineno)
        calls = obj["ground_truth"]
        if not isinstance(calls, list) or not all(_is_truth_call(c) for c in calls):
            raise DataError(
                "'ground_truth' must be a list of {function_name: {param: [values]}}",
                str(path),
                lineno,
            )
        truth[str(obj["id"])] = calls
    return truth


def _is_truth_call(call: Any) -> bool:
    return (
        isinstance(call, dict)
        and len(call) == 1
        and isinstance(next(iter(call.values())), dict)
        and all(isinstance(v, list) for v in next(iter(call.values())).values())
    )


def request_text(question: Any, where: str) -> str:
    """The text of a single-turn question: its messages' contents in order (a system message
    first, when there is one), separated by blank lines."""
    if not isinstance(question, list) or not question:
        raise DataError("'question' must be a non-empty list of turns", where)
    if len(question) > 1:
        raise DataError(f"multi-turn question ({len(question)} turns) is not supported", where)
    turn = question[0]
    if isinstance(turn, dict):  # some files write the turn's messages without the outer list
        turn = [turn]
    if not isinstance(turn, list) or not all(
        isinstance(m, dict) and isinstance(m.get("content"), str) for m in turn
    ):
        raise DataError("a turn must be a list of {role, content} messages", where)
    return "\n\n".join(m["content"] for m in turn)


def check_tools(tools: Any, where: str) -> None:
    """Each tool has a string `name` and object `parameters` (converted once here, so that a
    malformed schema is reported at read time, naming the tool and the keyword)."""
    if not isinstance(tools, list):
        raise DataError("'function' must be a list of tools", where)
    for tool in tools:
        if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
            raise DataError("every tool needs a string 'name'", where)
        arguments_schema(tool, where)


def arguments_schema(tool: dict, where: str) -> dict:
    """A tool's `parameters` as JSON Schema (an object schema; none: no arguments).

    >>> s = arguments_schema({"name": "f", "parameters": {"type": "dict", "required": ["x"],
    ...     "properties": {"x": {"type": "float"}, "p": {"type": "tuple", "items":
    ...     {"type": "integer"}}, "v": {"type": "any", "description": "anything"}}}}, "here")
    >>> s["type"], s["required"], s["properties"]["x"], s["properties"]["v"]
    ('object', ['x'], {'type': 'number'}, {'description': 'anything'})
    >>> s["properties"]["p"]
    {'type': 'array', 'items': {'type': 'integer'}}
    """
    key = json.dumps(tool.get("parameters"), sort_keys=True, ensure_ascii=False)
    converted = _CONVERTED.get((tool["name"], key))
    if converted is None:
        converted = json.dumps(_arguments_schema(tool, where), ensure_ascii=False)
        if len(_CONVERTED) < CONVERTED_CACHE_SIZE:
            _CONVERTED[(tool["name"], key)] = converted
    return json.loads(converted)


def _arguments_schema(tool: dict, where: str) -> dict:
    params = tool.get("parameters")
    if params is None:
        return {"type": "object", "properties": {}}
    schema = _convert(params, tool["name"], "parameters", where)
    if "type" not in params:
        schema["type"] = "object"
    if schema.get("type") != "object":
        raise DataError(
            f"tool {tool['name']!r}: keyword 'type' of its parameters must be 'dict'", where
        )
    schema.setdefault("properties", {})
    try:
        jsonschema.Draft7Validator.check_schema(schema)
    except jsonschema.SchemaError as e:
        path = [str(p) for p in e.absolute_path]
        keyword = next((p for p in reversed(path) if p in KEPT_KEYWORDS), path[-1] if path else "")
        pointer = "/".join(["parameters", *path[:-1]])
        raise DataError(
            f"tool {tool['name']!r}: keyword {keyword!r} at {pointer}: {e.message}", where
        ) from None
    return schema


def _convert(node: Any, tool: str, pointer: str, where: str) -> dict:
    def fail(keyword: str, message: str) -> DataError:
        return DataError(f"tool {tool!r}: keyword {keyword!r} at {pointer}: {message}", where)

    if not isinstance(node, dict):
        raise fail("type", "a parameter schema must be an object")
    out: dict[str, Any] = {}
    if "type" in node:
        names = node["type"] if isinstance(node["type"], list) else [node["type"]]
        unknown = [t for t in names if t not in BFCL_TYPES]
        if unknown:
            raise fail("type", f"unknown type {unknown[0]!r} (known: {', '.join(BFCL_TYPES)})")
        types = list(dict.fromkeys(BFCL_TYPES[t] for t in names))
        if None not in types:
            out["type"] = types[0] if len(types) == 1 else types
    elif "properties" in node:
        out["type"] = "object"
    for key, value in node.items():
        if key == "type" or key in DROPPED_KEYWORDS:
            continue
        if key == "properties":
            if not isinstance(value, dict):
                raise fail(key, "must map parameter names to schemas")
            out[key] = {
                name: _convert(sub, tool, f"{pointer}/properties/{name}", where)
                for name, sub in value.items()
            }
        elif key == "required" and isinstance(value, bool):
            continue  # OpenAPI's per-property flag, not JSON Schema's list: an annotation here
        elif key == "required":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise fail(key, "must be a list of parameter names")
            out[key] = value
        elif key == "items":
            out[key] = _convert(value, tool, f"{pointer}/items", where)
        elif key == "additionalProperties":
            out[key] = (
                value
                if isinstance(value, bool)
                else _convert(value, tool, f"{pointer}/additionalProperties", where)
            )
        elif key in ("anyOf", "oneOf", "allOf"):
            if not isinstance(value, list):
                raise fail(key, "must be a list of schemas")
            out[key] = [
                _convert(sub, tool, f"{pointer}/{key}/{i}", where) for i, sub in enumerate(value)
            ]
        elif key == "enum":
            if not isinstance(value, list) or not value:
                raise fail(key, "must be a non-empty list")
            out[key] = value
        elif key in KEPT_KEYWORDS:
            out[key] = value
        else:
            raise fail(key, "not a keyword that tool schemas may use under constrained decoding")
    return out


def call_schema(tool: dict, where: str) -> dict:
    """The JSON Schema of one call of `tool`: `{"name": const, "arguments": {...}}`."""
    branch: dict[str, Any] = {"type": "object"}
    if isinstance(tool.get("description"), str):
        branch["description"] = tool["description"]
    branch["properties"] = {
        "name": {"const": tool["name"]},
        "arguments": arguments_schema(tool, where),
    }
    branch["required"] = ["name", "arguments"]
    return branch


def calls_schema(tools: list[dict], where: str) -> dict:
    """A row's output schema: a list of calls of the offered tools, `[]` allowed.

    >>> s = calls_schema([{"name": "f", "parameters": {"type": "dict", "properties": {}}}], "x")
    >>> s["type"], s["items"]["properties"]["name"]
    ('array', {'const': 'f'})
    """
    branches = [call_schema(tool, where) for tool in tools]
    if not branches:
        return {"type": "array", "maxItems": 0}
    items = branches[0] if len(branches) == 1 else {"anyOf": branches}
    return {"type": "array", "items": items}


def gold_calls(ground_truth: list[dict], tools: list[dict], where: str) -> list[dict]:
    """The gold call list of a BFCL ground truth: each parameter's first acceptable value
    (left out when that is `""`), in the tool's property order.

    >>> tools = [{"name": "w", "parameters": {"type": "dict", "properties": {
    ...     "city": {"type": "string"}, "unit": {"type": "string"}}}}]
    >>> gold_calls([{"w": {"unit": ["", "celsius"], "city": ["Paris", "paris"]}}], tools, "x")
    [{'name': 'w', 'arguments': {'city': 'Paris'}}]
    """
    by_name = {tool["name"]: tool for tool in tools}
    calls = []
    for call in ground_truth:
        ((name, params),) = call.items()
        tool = by_name.get(name)
        properties = (tool or {}).get("parameters", {}).get("properties", {}) or {}
        order = [p for p in properties if p in params] + [p for p in params if p not in properties]
        arguments = {}
        for param in order:
            value = _first_value(params[param])
            if value != "":
                arguments[param] = value
        calls.append({"name": name, "arguments": arguments})
    return calls


def _first_value(options: list) -> Any:
    if not options:
        return ""
    value = options[0]
    if isinstance(value, dict):
        return {k: v for k, vs in value.items() if (v := _first_value(vs)) != ""}
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [{k: v for k, vs in d.items() if (v := _first_value(vs)) != ""} for d in value]
    return value
