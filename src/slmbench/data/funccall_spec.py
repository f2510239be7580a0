"""The tool catalogue's building blocks: a tool, its parameters and how requests say them.

A `Tool` is data: its BFCL definition (name, description, typed parameters with enums, defaults,
required list) and its phrasing (`do`: imperative phrases, `ask`: questions; both name every
required parameter as a `{slot}`; each optional parameter has its own fragments, `say`, with
`{v}` for its value, and booleans `say_no` for false). A required parameter marked `listable`
reads right with a list of values in its slot ("the weather in Paris, Oslo and Rome"), which is
how a parallel row may vary it; a date with `after` falls a few days after another date of the
call (a car's return after its pick-up). The catalogue itself is data, `funccall_domains/*.yaml`,
read by `funccall_catalogue`.

Tool and parameter names are written in one of several styles per row (`styled_name`), so that
a model learns to copy the names it is offered rather than remember ours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

BFCL_PARAM_TYPES = ("string", "integer", "float", "boolean", "array", "dict")
NAME_STYLES = ("snake", "dotted", "camel", "pascal_dotted")
_SLOT = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Param:
    """One parameter of a tool."""

    name: str
    type: str
    """BFCL type name (`BFCL_PARAM_TYPES`)."""
    description: str
    kind: str = "enum"
    """Value kind (`funccall_values.value_kinds`); unused when `enum` is given."""
    required: bool = False
    enum: tuple = ()
    default: Any = None
    say: tuple[str, ...] = ()
    """Fragments for an optional parameter that is given, with `{v}` for the value (booleans:
    the fragments for true)."""
    say_no: tuple[str, ...] = ()
    """Booleans: fragments for false (none: false is never generated)."""
    items: str | None = None
    """Arrays: the BFCL type of the items."""
    lo: float = 1
    hi: float = 100
    words: tuple[tuple[Any, tuple[str, ...]], ...] = ()
    """Enums: how a request may say a value other than the value itself."""
    listable: bool = False
    """Every phrase of the tool reads right with a list of values in this slot: parallel rows
    may say the calls' values as one list ("check the weather in Paris, Oslo and Rome")."""
    after: str = ""
    """Dates: the parameter this date falls 1-14 days after (`return_date` after `pickup_date`)."""
    vary: bool = True
    """Whether a parallel row may vary this parameter alone (not: three returns of one order
    for three reasons, one thermostat set to three temperatures)."""

    def bfcl(self) -> dict:
        out: dict[str, Any] = {"type": self.type, "description": self.description}
        if self.items:
            out["items"] = {"type": self.items}
        if self.enum:
            out["enum"] = list(self.enum)
        if self.default is not None:
            out["default"] = self.default
        return out


@dataclass(frozen=True)
class Tool:
    """One tool of the catalogue, with the phrases that ask for it."""

    domain: str
    name: str
    """Base name in snake case (styled per row)."""
    description: str
    params: tuple[Param, ...]
    do: tuple[str, ...]
    """Imperative phrases ("check the weather in {location}")."""
    ask: tuple[str, ...] = ()
    """Question phrases ("what's the weather like in {location}")."""
    namespace: str = ""
    """The dotted style's prefix (default: the domain)."""
    general: bool = False
    """Could serve almost any request (web search): never offered on irrelevance rows."""
    overlap: tuple[str, ...] = ()
    """Tools sharing a tag can serve each other's requests (reminders, places...): never offered
    on an irrelevance row for the other's request, nor as the other's distractor."""

    @property
    def required(self) -> list[Param]:
        return [p for p in self.params if p.required]

    @property
    def optional(self) -> list[Param]:
        return [p for p in self.params if not p.required]

    def param(self, name: str) -> Param:
        return next(p for p in self.params if p.name == name)

    def overlaps(self, other: Tool) -> bool:
        """Whether either tool can serve the other's requests."""
        return bool(set(self.overlap) & set(other.overlap))

    def check(self) -> None:
        """Every phrase names exactly the required parameters; types are BFCL's; a listable slot
        is never quoted; `after` names an earlier date."""
        names = {p.name for p in self.required}
        for phrase in self.do + self.ask:
            slots = set(_SLOT.findall(phrase))
            if slots != names:
                raise ValueError(f"{self.name}: phrase {phrase!r} has slots {sorted(slots)}")
        earlier: dict[str, Param] = {}
        for p in self.params:
            if p.listable:
                if not p.required or not p.vary or p.type not in ("string", "integer", "float"):
                    raise ValueError(f"{self.name}.{p.name}: only a varied required scalar lists")
                for phrase in self.do + self.ask:
                    if re.search(rf"[\"']\{{{p.name}\}}|\{{{p.name}\}}[\"']", phrase):
                        raise ValueError(f"{self.name}.{p.name}: a quoted slot is not listable")
            if p.after:
                ref = earlier.get(p.after)
                if ref is None or ref.kind != "date" or p.kind != "date":
                    raise ValueError(f"{self.name}.{p.name}: 'after' names an earlier date")
            earlier[p.name] = p
        for p in self.params:
            if p.type not in BFCL_PARAM_TYPES:
                raise ValueError(f"{self.name}.{p.name}: type {p.type!r}")
            if not p.required and not p.say:
                raise ValueError(f"{self.name}.{p.name}: optional parameter without phrasing")
        if not self.do:
            raise ValueError(f"{self.name}: no imperative phrase")


def words_of(name: str) -> list[str]:
    return [w for w in name.split("_") if w]


def styled_name(base: str, style: str, namespace: str = "") -> str:
    """A snake-case name in a naming style.

    >>> [styled_name("get_weather", s, "weather") for s in NAME_STYLES]
    ['get_weather', 'weather.get_weather', 'getWeather', 'Weather.getWeather']
    """
    words = words_of(base)
    camel = words[0] + "".join(w.capitalize() for w in words[1:])
    if style == "snake":
        return base
    if style == "dotted":
        return f"{namespace}.{base}" if namespace else base
    if style == "camel":
        return camel
    if style == "pascal_dotted":
        prefix = "".join(w.capitalize() for w in words_of(namespace))
        return f"{prefix}.{camel}" if prefix else camel
    raise ValueError(f"unknown name style {style!r}")


def param_name(base: str, camel: bool) -> str:
    """`unit_system` or `unitSystem`.

    >>> param_name("unit_system", True), param_name("unit_system", False)
    ('unitSystem', 'unit_system')
    """
    if not camel:
        return base
    words = words_of(base)
    return words[0] + "".join(w.capitalize() for w in words[1:])


def bfcl_tool(tool: Tool, style: str, camel_params: bool) -> tuple[dict, dict[str, str]]:
    """The tool's BFCL definition in a naming style, and its parameter names by base name."""
    names = {p.name: param_name(p.name, camel_params) for p in tool.params}
    definition = {
        "name": styled_name(tool.name, style, tool.namespace or tool.domain),
        "description": tool.description,
        "parameters": {
            "type": "dict",
            "properties": {names[p.name]: p.bfcl() for p in tool.params},
            "required": [names[p.name] for p in tool.required],
        },
    }
    return definition, names
