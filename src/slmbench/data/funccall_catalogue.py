"""The function-calling tool catalogue, as data: one YAML file per domain in `funccall_domains/`,
`NN_<domain>.yaml`, read in file-name order. The order is part of what a seed draws, so a new
domain is a new file at the end (`17_<domain>.yaml`); it changes every build's bytes.

A domain file is a mapping with one key, `tools`, a list of tools (`funccall_spec.Tool`):

    tools:
      - name: get_current_weather      # snake case; written in a naming style per row
        description: Get the current weather conditions for a location.
        namespace: time                # optional: the dotted style's prefix (default: the domain)
        general: true                  # optional: could serve any request (web search)
        overlap: [weather]             # optional: tools sharing a tag serve each other's requests
        params:
          - name: location
            type: string               # BFCL's: string integer float boolean array dict
            kind: place                # how values are drawn (`funccall_values.value_kinds`);
                                       # not needed with `enum`, nor for booleans
            required: true             # default false
            description: City name.
            enum: [celsius, fahrenheit]            # optional; values of the parameter's type
            default: celsius                       # optional
            items: string                          # arrays: the items' type
            lo: 2                                  # numbers: bounds (default 1 and 100)
            hi: 10
            say: ['in {v}']            # optional parameters: how a request adds one, {v} the value
                                       # (booleans: the fragments for true, without {v})
            say_no: [just once]        # booleans: the fragments for false (none: never false)
            words: {celsius: [Celsius, °C]}        # enums: other ways to say a value
            listable: true             # required: every phrase reads right with a list in its
                                       # slot ("in Paris, Oslo and Rome"; parallel rows)
            after: pickup_date         # dates: falls 1-14 days after this earlier date
            vary: false                # parallel rows never vary it alone (default true)
        do: ['check the weather in {location}']    # each names exactly the required parameters
        ask: ["what's the weather like in {location}"]

A parameter used by several tools of a file is written once with a YAML anchor (`- &unit`) and
reused (`- *unit`). Every check names the file, tool and parameter (`DataError`).
"""

from __future__ import annotations

import re
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from slmbench.data.funccall_spec import BFCL_PARAM_TYPES, Param, Tool
from slmbench.data.funccall_values import value_kinds
from slmbench.data.yaml_data import read_yaml
from slmbench.errors import DataError

DOMAINS_DIR = resources.files("slmbench.data").joinpath("funccall_domains")
DOMAIN_FILE = re.compile(r"^\d+_(?P<domain>[a-z][a-z0-9_]*)\.yaml$")
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
TOOL_KEYS = frozenset(("name", "description", "namespace", "general", "overlap", "params"))
TOOL_KEYS |= {"do", "ask"}
PARAM_KEYS = frozenset(("name", "type", "kind", "required", "description", "enum", "default"))
PARAM_KEYS |= {"items", "lo", "hi", "say", "say_no", "words", "listable", "after", "vary"}
PYTHON_TYPES = {"string": (str,), "integer": (int,), "float": (int, float), "boolean": (bool,)}


def domain_files(folder: Path | Traversable = DOMAINS_DIR) -> list[Path | Traversable]:
    """The domain files of a folder in reading order (other files are an error)."""
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name)
    for f in files:
        if not DOMAIN_FILE.match(f.name):
            raise DataError("a domain file is named NN_<domain>.yaml (snake case)", str(f))
    if not files:
        raise DataError("no domain files (NN_<domain>.yaml)", str(folder))
    return files


def load_catalogue(folder: Path | Traversable = DOMAINS_DIR) -> tuple[Tool, ...]:
    """Every tool of every domain file, in file order; tool names are unique."""
    tools: list[Tool] = []
    seen: dict[str, str] = {}
    for f in domain_files(folder):
        for tool in load_domain(f):
            if tool.name in seen:
                raise DataError(f"tool {tool.name!r} is also in {seen[tool.name]}", str(f))
            seen[tool.name] = f.name
            tools.append(tool)
    return tuple(tools)


def load_domain(source: Path | Traversable) -> tuple[Tool, ...]:
    """The tools of one domain file, each checked."""
    match = DOMAIN_FILE.match(source.name)
    if not match:
        raise DataError("a domain file is named NN_<domain>.yaml (snake case)", str(source))
    data = read_yaml(source)
    if not isinstance(data, dict) or set(data) != {"tools"}:
        raise DataError("a domain file is a mapping with one key, 'tools'", str(source))
    if not isinstance(data["tools"], list) or not data["tools"]:
        raise DataError("'tools' must be a non-empty list", str(source))
    tools = [
        _tool(match["domain"], raw, f"{source}: tools[{i}]") for i, raw in enumerate(data["tools"])
    ]
    return tuple(tools)


def _tool(domain: str, raw: Any, where: str) -> Tool:
    where = f"{where} ({raw['name']})" if isinstance(raw, dict) and "name" in raw else where
    _keys(raw, TOOL_KEYS, {"name", "description", "params", "do"}, where)
    name = _snake(raw["name"], f"{where}: name")
    params = raw["params"]
    if not isinstance(params, list):
        raise DataError(f"{where}: 'params' must be a list")
    built = tuple(_param(p, f"{where}: params[{i}]") for i, p in enumerate(params))
    if len({p.name for p in built}) < len(built):
        raise DataError(f"{where}: a parameter name is given twice")
    tool = Tool(
        domain,
        name,
        _text(raw["description"], f"{where}: description"),
        built,
        do=_texts(raw["do"], f"{where}: do"),
        ask=_texts(raw.get("ask", []), f"{where}: ask", empty=True),
        namespace=_snake(raw["namespace"], f"{where}: namespace") if "namespace" in raw else "",
        general=_flag(raw.get("general", False), f"{where}: general"),
        overlap=_texts(raw.get("overlap", []), f"{where}: overlap", empty=True),
    )
    try:
        tool.check()
    except ValueError as e:
        raise DataError(f"{where}: {e}") from None
    return tool


def _param(raw: Any, where: str) -> Param:
    where = f"{where} ({raw['name']})" if isinstance(raw, dict) and "name" in raw else where
    _keys(raw, PARAM_KEYS, {"name", "type", "description"}, where)
    type_ = raw["type"]
    if type_ not in BFCL_PARAM_TYPES:
        raise DataError(f"{where}: type {type_!r} (BFCL's: {', '.join(BFCL_PARAM_TYPES)})")
    items = raw.get("items")
    if (type_ == "array") != (items is not None):
        raise DataError(f"{where}: 'items' (the items' type) goes with type array, and only there")
    value_type = items or type_
    if value_type not in PYTHON_TYPES:
        raise DataError(f"{where}: values of type {value_type!r} cannot be generated")
    enum = raw.get("enum", [])
    if not isinstance(enum, list) or not all(_is(v, value_type) for v in enum):
        raise DataError(f"{where}: 'enum' must be a list of {value_type} values")
    boolean = type_ == "boolean"
    kind = raw.get("kind", "enum" if enum else "flag" if boolean else None)
    if not enum and not boolean and kind not in value_kinds(value_type):
        known = ", ".join(sorted(value_kinds(value_type)))
        raise DataError(f"{where}: kind {kind!r} is not one of {value_type}'s: {known}")
    default = raw.get("default")
    typed = type_ in PYTHON_TYPES and _is(default, type_)
    if default is not None and (not typed or (enum and default not in enum)):
        raise DataError(f"{where}: default {default!r} is not a {type_} value of the parameter")
    lo, hi = raw.get("lo", 1), raw.get("hi", 100)
    if not (_is(lo, "float") and _is(hi, "float") and lo <= hi):
        raise DataError(f"{where}: 'lo' and 'hi' must be numbers, lo <= hi")
    say = _texts(raw.get("say", []), f"{where}: say", empty=True)
    say_no = _texts(raw.get("say_no", []), f"{where}: say_no", empty=True)
    if say_no and not boolean:
        raise DataError(f"{where}: 'say_no' is for booleans")
    for fragment in say:
        if ("{v}" in fragment) == boolean:
            need = "no {v} (a boolean's fragment says it)" if boolean else "{v}, the value"
            raise DataError(f"{where}: say fragment {fragment!r} needs {need}")
    words = raw.get("words", {})
    if not isinstance(words, dict) or any(k not in enum for k in words):
        raise DataError(f"{where}: 'words' maps values of 'enum' to ways to say them")
    return Param(
        _snake(raw["name"], f"{where}: name"),
        type_,
        _text(raw["description"], f"{where}: description"),
        kind,
        required=_flag(raw.get("required", False), f"{where}: required"),
        enum=tuple(enum),
        default=default,
        say=say,
        say_no=say_no,
        items=items,
        lo=lo,
        hi=hi,
        words=tuple((k, _texts(v, f"{where}: words.{k}")) for k, v in words.items()),
        listable=_flag(raw.get("listable", False), f"{where}: listable"),
        after=_snake(raw["after"], f"{where}: after") if "after" in raw else "",
        vary=_flag(raw.get("vary", True), f"{where}: vary"),
    )


def _keys(raw: Any, known: frozenset[str], needed: set[str], where: str) -> None:
    if not isinstance(raw, dict):
        raise DataError(f"{where}: a mapping of keys is needed")
    unknown = sorted(set(raw) - known)
    if unknown:
        raise DataError(f"{where}: unknown key(s) {unknown} (known: {sorted(known)})")
    missing = sorted(needed - set(raw))
    if missing:
        raise DataError(f"{where}: missing key(s) {missing}")


def _is(value: Any, bfcl_type: str) -> bool:
    if isinstance(value, bool) and bfcl_type != "boolean":
        return False
    return isinstance(value, PYTHON_TYPES[bfcl_type])


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DataError(f"{where}: a non-empty string is needed")
    return value


def _texts(value: Any, where: str, empty: bool = False) -> tuple[str, ...]:
    if not isinstance(value, list) or not (value or empty):
        raise DataError(f"{where}: a {'' if empty else 'non-empty '}list of strings is needed")
    return tuple(_text(v, where) for v in value)


def _snake(value: Any, where: str) -> str:
    if not isinstance(value, str) or not SNAKE.match(value):
        raise DataError(f"{where}: a snake-case name is needed, not {value!r}")
    return value


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise DataError(f"{where}: true or false is needed")
    return value
