"""Gold values that a real document writes another way than the label does, found in the text
and written back the same way for a fresh value:

- a code written as its name: a country code as the country's name (`GB`, "United Kingdom";
  ISO 3166 through `pycountry`, plus the usual short names such as "UK" and "USA"), a currency
  code as its name or sign (`EUR`, "euros", "€"), a US state code as its name;
- an identifier with other separators or none: a phone `+15550102030` written
  "+1 (555) 010-2030", an IBAN written in groups of four (`LayoutForm` keeps the layout);
- a person's name written last name first, "DOE, Jane" for `Jane Doe`;
- a fraction written as a percentage, "15.5%" for 0.155.

Dates in any layout and numbers with grouping and decimal marks are `forms.detect_dates` and
`forms.detect_numbers`; an amount's currency sign stays in the template's text, unless the
record has a currency field, whose value the sign then writes.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import cache

import pycountry

from slmbench.data.synth.forms import Found, NumberForm, apply_case, case_of, parse_number
from slmbench.data.synth.values import key_words

COUNTRY_ALIASES = {
    "US": ("USA", "U.S.A.", "U.S.", "America"),
    "GB": ("UK", "U.K.", "Great Britain", "Britain"),
    "RU": ("Russia",),
    "CZ": ("Czech Republic",),
    "NL": ("Holland",),
    "AE": ("UAE",),
    "KR": ("Korea",),
}
CURRENCY_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}
"""One sign each: a fresh currency written as a sign is drawn among these."""
MIN_LAYOUT_CHARS = 5
LAYOUT_SEPARATORS = r"[ \t().\-/]{0,3}"
_WORD_EDGE = r"(?<![0-9A-Za-z])"
_WORD_END = r"(?![0-9A-Za-z])"


@cache
def spellings(table: str, code: str) -> dict[str, str]:
    """How a document may write `code` of `table` (country, currency, us_state), by variant.

    >>> spellings("country", "GB")["name"], spellings("country", "GB")["alias0"]
    ('United Kingdom', 'UK')
    >>> spellings("currency", "EUR")["plural"], spellings("us_state", "CA")
    ('Euros', {'name': 'California'})
    """
    out: dict[str, str] = {}
    if table == "country":
        c = pycountry.countries.get(alpha_2=code) if len(code) == 2 else None
        c = c or (pycountry.countries.get(alpha_3=code) if len(code) == 3 else None)
        if c is None:
            return {}
        for variant in ("common_name", "name", "official_name"):
            if getattr(c, variant, None):
                out[variant] = getattr(c, variant)
        out["alpha_3" if len(code) == 2 else "alpha_2"] = c.alpha_3 if len(code) == 2 else c.alpha_2
        for i, alias in enumerate(COUNTRY_ALIASES.get(c.alpha_2, ())):
            out[f"alias{i}"] = alias
    elif table == "currency":
        c = pycountry.currencies.get(alpha_3=code) if len(code) == 3 else None
        if c is None:
            return {}
        out["name"] = c.name
        if c.name[-1:].isalpha() and not c.name.endswith("s"):
            out["plural"] = c.name + "s"
        if code in CURRENCY_SIGNS:
            out["sign"] = CURRENCY_SIGNS[code]
    elif table == "us_state":
        s = pycountry.subdivisions.get(code=f"US-{code}") if len(code) == 2 else None
        if s is not None:
            out["name"] = s.name
    return out


@cache
def table_codes(table: str, length: int) -> tuple[str, ...]:
    """Every code of a table with `length` characters, sorted (for deterministic draws)."""
    if table == "country":
        attr = "alpha_2" if length == 2 else "alpha_3"
        return tuple(sorted(getattr(c, attr) for c in pycountry.countries))
    if table == "currency":
        return tuple(sorted(c.alpha_3 for c in pycountry.currencies if len(c.alpha_3) == length))
    if table == "us_state":
        states = pycountry.subdivisions.get(country_code="US") or []
        return tuple(sorted(s.code[3:] for s in states if s.type == "State"))
    return ()


def code_table(value: object, key: str, parent: str, description: str) -> str | None:
    """The table whose code `value` is, judged from the field (its key, its parent's key, its
    description) and the value itself; None when it is no such code.

    >>> code_table("GB", "country", "ship_to", ""), code_table("EUR", "currency", "", "")
    ('country', 'currency')
    >>> code_table("CA", "state", "address", ""), code_table("GB", "size", "", "")
    ('us_state', None)
    """
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{2,3}", value):
        return None
    words = set(key_words(key)) | set(key_words(parent))
    description = description.lower()
    if words & {"country", "nationality", "citizenship"} or "country" in description:
        table = "country"
    elif "currency" in words or "currency" in description:
        table = "currency"
    elif words & {"state", "province"} and len(value) == 2:
        table = "us_state"
    else:
        return None
    return table if spellings(table, value.upper()) else None


@dataclass(frozen=True)
class CodeNameForm:
    """A code written as one of its spellings (`spellings`), cased as the text had it."""

    table: str
    variant: str
    case: str = "same"

    def write(self, value: str, rng: random.Random) -> str:
        names = spellings(self.table, value.upper())
        fallback = ("common_name", "name") if self.variant.startswith("alias") else ("name",)
        for variant in (self.variant, *fallback):
            if variant in names:
                text = names[variant]
                return text if variant == "sign" else apply_case(text, self.case)
        return value

    def draw(self, rng: random.Random, like: str) -> str:
        """A fresh code of the same table and length that has this form's spelling (or a
        name), cased like `like`."""
        codes = table_codes(self.table, len(like))
        good = [c for c in codes if self.variant in spellings(self.table, c)]
        if len(good) < 2:
            good = [c for c in codes if "name" in spellings(self.table, c)]
        new = rng.choice(good) if good else like
        return new.lower() if like.islower() else new


def detect_code_names(text: str, value: str, table: str) -> list[Found]:
    """Where `value` (a code of `table`) is written as one of its spellings."""
    out = []
    for variant, written in sorted(spellings(table, value.upper()).items()):
        if variant == "sign":
            pattern = re.escape(written) + r"(?=\s?\d)"
            flags = 0
        else:
            pattern = _WORD_EDGE + r"\s+".join(map(re.escape, written.split())) + _WORD_END
            flags = re.IGNORECASE
        for m in re.finditer(pattern, text, flags):
            case = case_of(re.sub(r"\s+", " ", m.group(0)), written)
            out.append(Found(m.start(), m.end(), CodeNameForm(table, variant, case), 2))
    return _longest(out)


def _longest(found: list[Found]) -> list[Found]:
    """Drop a find inside another one ("United States" inside "United States of America")."""
    return [
        f
        for f in found
        if not any(
            (o.start <= f.start and f.end <= o.end) and (o.end - o.start > f.end - f.start)
            for o in found
        )
    ]


@dataclass(frozen=True)
class LayoutForm:
    """An identifier written with other separators: the text's layout, each character of the
    value a hole in it ("\\0"), filled with a fresh value's characters."""

    mask: str
    case: str = "same"

    def write(self, value: str, rng: random.Random) -> str:
        chars = [c for c in value if c.isalnum()]
        if len(chars) != self.mask.count("\0"):
            return value
        it = iter(chars)
        return apply_case("".join(next(it) if m == "\0" else m for m in self.mask), self.case)


def detect_layout(text: str, value: str) -> list[Found]:
    """Where `value`'s letters and digits stand in this order with other separators between
    them, e.g. the phone `+15550102030` in "call +1 (555) 010-2030" (only for values with a
    digit and at least `MIN_LAYOUT_CHARS` letters and digits).

    >>> [(f.start, f.end, f.form.write("+14155550199", None))
    ...  for f in detect_layout("call +1 (555) 010-2030", "+15550102030")]
    [(6, 22, '1 (415) 555-0199')]
    """
    chars = [c for c in value if c.isalnum()]
    if len(chars) < MIN_LAYOUT_CHARS or not any(c.isdigit() for c in chars):
        return []
    pattern = _WORD_EDGE + LAYOUT_SEPARATORS.join(re.escape(c) for c in chars) + _WORD_END
    out = []
    for m in re.finditer(pattern, text, re.IGNORECASE):
        written = m.group(0)
        if written == value:
            continue
        mask = "".join("\0" if c.isalnum() else c for c in written)
        squashed = "".join(c for c in written if c.isalnum())
        case = case_of(squashed, "".join(chars))
        out.append(Found(m.start(), m.end(), LayoutForm(mask, case), 1))
    return out


@dataclass(frozen=True)
class NameOrderForm:
    """A name written last name first, after a comma: "Doe, Jane" for `Jane Doe`."""

    case: str = "same"

    def write(self, value: str, rng: random.Random) -> str:
        words = value.split()
        if len(words) < 2:
            return apply_case(value, self.case)
        return apply_case(f"{words[-1]}, {' '.join(words[:-1])}", self.case)


def detect_last_first(text: str, value: str) -> list[Found]:
    """Example:

    >>> [(f.start, f.form) for f in detect_last_first("Patient: DOE, JANE", "Jane Doe")]
    [(9, NameOrderForm(case='upper'))]
    """
    words = value.split()
    if not 2 <= len(words) <= 3 or not all(re.search(r"[A-Za-z]", w) for w in words):
        return []
    written = f"{words[-1]}, {' '.join(words[:-1])}"
    parts = [re.escape(words[-1]), *map(re.escape, words[:-1])]
    pattern = _WORD_EDGE + parts[0] + r"\s*,\s*" + r"\s+".join(parts[1:]) + _WORD_END
    return [
        Found(m.start(), m.end(), NameOrderForm(case_of(m.group(0), written)), 1)
        for m in re.finditer(pattern, text, re.IGNORECASE)
    ]


@dataclass(frozen=True)
class PercentForm:
    """A fraction written as a percentage (the "%" stays in the template's text)."""

    number: NumberForm

    def write(self, value: float, rng: random.Random) -> str:
        return self.number.write(value * 100, rng)


def detect_percent(text: str, value: float) -> list[Found]:
    """Example:

    >>> [(f.start, f.end) for f in detect_percent("VAT 15.5% on all", 0.155)]
    [(4, 8)]
    """
    if isinstance(value, bool) or not 0 < abs(value) <= 1:
        return []
    out = []
    for m in re.finditer(r"(?<![\d.,])-?\d+(?:[.,]\d+)?(?=\s?%)", text):
        for parsed, form in parse_number(m.group(0)):
            if abs(parsed / 100 - value) < 1e-9:
                out.append(Found(m.start(), m.end(), PercentForm(form), 2))
                break
    return out
