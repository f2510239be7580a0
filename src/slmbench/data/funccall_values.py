"""Argument values of generated function calls, each with the way a person writes it.

`ValueSource.draw(param)` returns `(gold, text)`: the value the call carries and how the request
says it. Dates are ISO in the call and often "March 5, 2024" in the request, times are 24-hour
`HH:MM` in the call and "7:30 pm" in the request, small counts may be words ("three"), money has
a currency symbol and thousands separators, lists are "a, b and c". One request writes its dates
one way and its times one way, and its dates fall within a few weeks of each other (`begin_row`
draws the row's anchor date and styles). People, emails, phones,
companies, products and URLs come from the generic data engine (`slmbench.data.synth.values`),
the rest from the pools of `funccall_values.yaml` (a new kind of value is a new line there).
Every draw goes through the build's one `Gen`.
"""

from __future__ import annotations

from datetime import date, timedelta
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from slmbench.data.gen_values import Gen, humanize, long_date, number_text
from slmbench.data.synth.values import ValueMaker
from slmbench.data.yaml_data import read_yaml
from slmbench.errors import DataError

NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
VALUES_FILE = resources.files("slmbench.data").joinpath("funccall_values.yaml")
"""The value pools by kind (names of places, works, teams, foods... and short free texts) and
the identifier kinds with their shapes (`Gen.code`: `#` digit, `?` capital letter)."""
ENGINE_KINDS = ("person", "email", "phone", "company", "product", "username", "country", "street")
"""Kinds drawn by the generic data engine's `ValueMaker.string_of_kind`."""
TEXT_KINDS = ("date", "time", "city", "place")
"""String kinds `ValueSource.scalar` draws itself (`city`, `place`: from `CITY_POOLS`)."""
DATE_SPAN_DAYS = 30
"""A row's dates fall within this many days after its anchor date."""
AFTER_DAYS = (1, 14)
"""A date that follows another (`Param.after`) falls this many days after it."""
DATE_STYLES = ("iso", "iso", "month_first", "month_first", "day_first")
"""How a row writes its dates: "2024-03-05", "March 5, 2024", "5 March 2024"."""
CITY_POOLS = ("world_city", "city_state")
NUMBER_KINDS = {
    "integer": ("count", "coef", "year"),
    "float": ("measure", "money", "percent", "amount"),
}
"""Number kinds by BFCL type: how a request writes the number (`coef`, `year`: digits only;
`money`: "$1,200"; `percent`: "4.5%"...)."""


def load_values(source: Path | Traversable = VALUES_FILE) -> tuple[dict, dict]:
    """`(pools, code patterns)` of a values file; errors name the file and kind."""
    data = read_yaml(source)
    where = str(source)
    if not isinstance(data, dict) or set(data) != {"pools", "codes"}:
        raise DataError("a values file is a mapping with exactly 'pools' and 'codes'", where)
    pools, codes = data["pools"] or {}, data["codes"] or {}
    if not isinstance(pools, dict) or not isinstance(codes, dict):
        raise DataError("'pools' and 'codes' map kinds to values", where)
    for kind, values in pools.items():
        if not (isinstance(values, list) and values and all(isinstance(v, str) for v in values)):
            raise DataError(f"pools.{kind}: a non-empty list of strings is needed", where)
    for kind, pattern in codes.items():
        if not isinstance(pattern, str) or not pattern:
            raise DataError(f"codes.{kind}: a pattern string is needed", where)
    by_code = {*ENGINE_KINDS, *TEXT_KINDS, *(k for kinds in NUMBER_KINDS.values() for k in kinds)}
    clash = sorted(set(pools) & set(codes) | (set(pools) | set(codes)) & by_code)
    if clash:
        raise DataError(f"kind {clash[0]!r}: in both pools and codes, or drawn by code", where)
    missing = [k for k in CITY_POOLS if k not in pools]
    if missing:
        raise DataError(f"pools.{missing[0]} is needed (the city and place kinds)", where)
    return {str(k): tuple(v) for k, v in pools.items()}, {str(k): v for k, v in codes.items()}


POOLS, CODE_PATTERNS = load_values()


def value_kinds(bfcl_type: str) -> frozenset[str]:
    """The kinds `ValueSource` can draw for a parameter (an array: of its items) of this type.

    >>> sorted(value_kinds("float")), "airport" in value_kinds("string")
    (['amount', 'measure', 'money', 'percent'], True)
    """
    if bfcl_type in NUMBER_KINDS:
        return frozenset(NUMBER_KINDS[bfcl_type])
    if bfcl_type == "string":
        return frozenset([*ENGINE_KINDS, *TEXT_KINDS, *POOLS, *CODE_PATTERNS])
    return frozenset()


class ValueSource:
    """Draws `(gold, text)` for a parameter; all randomness from one `Gen`."""

    def __init__(self, g: Gen):
        self.g = g
        self.engine = ValueMaker(g)
        self.begin_row()

    def begin_row(self) -> None:
        """A new request: its anchor date, and how it writes dates and times."""
        g = self.g
        self.anchor = g.day()
        self.date_style = g.pick(DATE_STYLES)
        self.clock_style = g.pick(("24h", "spoken", "spoken"))
        self.pm, self.am = g.pick((("pm", "am"), ("PM", "AM"), ("p.m.", "a.m.")))

    def date(self, after: str | None = None) -> tuple[str, str]:
        """A date near the row's anchor, or 1-14 days after the ISO date `after`."""
        if after:
            day = date.fromisoformat(after) + timedelta(days=self.g.randint(*AFTER_DAYS))
        else:
            day = self.anchor + timedelta(days=self.g.randint(0, DATE_SPAN_DAYS))
        iso = day.isoformat()
        return iso, self.say_date(iso)

    def say_date(self, iso: str, listing: bool = False) -> str:
        """The ISO date in the row's style; in a list, never "March 5, 2024" (its comma would
        run into the list's commas)."""
        style = self.date_style
        if style == "iso":
            return iso
        return long_date(iso, day_first=listing or style == "day_first")

    def draw(self, param: Any) -> tuple[Any, str]:
        """A value for `param` (a `funccall_spec.Param`) and how a request writes it."""
        if param.enum:
            value = self.g.pick(param.enum)
            return value, self.say_enum(param, value)
        if param.type == "array":
            return self.draw_list(param)
        return self.scalar(param.kind, param.type, param.lo, param.hi)

    def draw_list(self, param: Any) -> tuple[list, str]:
        n = self.g.randint(2, 4)
        values, texts = [], []
        for _ in range(n * 3):
            value, text = self.scalar(param.kind, param.items or "string", param.lo, param.hi)
            if value not in values:
                values.append(value)
                texts.append(text)
            if len(values) == n:
                break
        return values, self.g.say_list(texts)

    def say_enum(self, param: Any, value: Any) -> str:
        """A listed way to say the value, else the value in words (`out_for_delivery`: "out
        for delivery"; never capitalised mid-sentence, as "log apple for Snack")."""
        spoken = dict(param.words).get(value)
        if spoken and (value not in spoken or self.g.chance(0.7)):
            return self.g.pick(spoken)
        if not isinstance(value, str):
            return number_text(value)
        return humanize(value)

    def scalar(self, kind: str, bfcl_type: str, lo: float, hi: float) -> tuple[Any, str]:
        g = self.g
        if bfcl_type == "integer":
            return self.integer(kind, int(lo), int(hi))
        if bfcl_type == "float":
            return self.number(kind, lo, hi)
        if kind == "date":
            return self.date()
        if kind == "time":
            return self.clock()
        if kind == "city":
            city = g.pick(POOLS["world_city"])
            return city, city
        if kind == "place":
            place = g.pick(POOLS["city_state"] if g.chance(0.6) else POOLS["world_city"])
            return place, place
        if kind in ENGINE_KINDS:
            value = self.engine.string_of_kind(kind)
            return value, value
        if kind in CODE_PATTERNS:
            value = g.code(CODE_PATTERNS[kind])
            return value, value
        if kind in POOLS:
            value = g.pick(POOLS[kind])
            return value, value
        raise ValueError(f"unknown value kind {kind!r}")

    def integer(self, kind: str, lo: int, hi: int) -> tuple[int, str]:
        g = self.g
        value = g.randint(lo, hi)
        if kind in ("year", "coef"):
            return value, str(value)
        if 0 <= value < len(NUMBER_WORDS) and g.chance(0.35):
            return value, NUMBER_WORDS[value]
        if value >= 10000 and g.chance(0.5):
            return value, f"{value:,}"
        return value, str(value)

    def number(self, kind: str, lo: float, hi: float) -> tuple[float, str]:
        g = self.g
        if kind == "money":
            value = float(g.randint(int(lo), int(hi))) if g.chance(0.5) else g.money(lo, hi)
            whole = value.is_integer()
            amount = f"{value:,.0f}" if whole and g.chance(0.6) else f"{value:,.2f}"
            form = g.pick(("${a}", "{a} dollars", "{a}")) if g.chance(0.8) else "{a}"
            return value, form.format(a=amount)
        if kind == "percent":
            value = g.decimal(lo, hi, 1)
            return value, g.pick((f"{number_text(value)}%", f"{number_text(value)} percent"))
        if kind == "amount":
            value = float(g.randint(int(lo), int(hi))) if g.chance(0.6) else g.money(lo, hi)
            whole = value.is_integer()
            text = f"{value:,.0f}" if whole else f"{value:,.2f}"
            return value, text if g.chance(0.5) else number_text(int(value) if whole else value)
        value = g.decimal(lo, hi, 1)
        if g.chance(0.3):
            value = float(round(value))
        return value, number_text(int(value) if value.is_integer() else value)

    def clock(self) -> tuple[str, str]:
        """A time of day, written in the row's style ("19:30" or "7:30 pm")."""
        g = self.g
        hour, minute = g.randint(6, 22), g.pick((0, 0, 15, 30, 45))
        gold = f"{hour:02d}:{minute:02d}"
        if self.clock_style == "24h":
            return gold, gold
        twelve = hour % 12 or 12
        suffix = self.pm if hour >= 12 else self.am
        return gold, f"{twelve}:{minute:02d} {suffix}" if minute else f"{twelve} {suffix}"
