"""How a value is written in a user's document, learnt from one occurrence and reused to write
fresh values the same way: case, separators and OCR-like noise of strings; digit grouping,
decimal mark and decimals of numbers; the layout of dates, times and timestamps; the words of
booleans and enums.

Each `*Form` has `write(value, rng)`; the `detect_*` functions find where and how a gold value
is written in a text (they return `(start, end, form)` candidates) and are used by `locate`.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass, field

from slmbench.data.grounding import MONTHS

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%-d/%-m/%Y",
    "%-m/%-d/%Y",
    "%-d.%-m.%Y",
    "%d/%m/%y",
    "%m/%d/%y",
    "%d.%m.%y",
    "%-m/%-d/%y",
    "%-d/%-m/%y",
    "%A, %B %-d, %Y",
    "%a, %-d %b %Y",
    "%a %b %-d %Y",
    "%A %-d %B %Y",
    "%B %o, %Y",
    "%b %o, %Y",
    "%B %-d, %Y",
    "%B %d, %Y",
    "%b. %-d, %Y",
    "%b %-d, %Y",
    "%o of %B %Y",
    "%o %B %Y",
    "%-d %B %Y",
    "%d %B %Y",
    "%-d %b. %Y",
    "%-d %b %Y",
    "%d-%b-%Y",
    "%-d-%b-%Y",
    "%d-%b-%y",
    "%d %b %y",
    "%b %-d %Y",
    "%B %-d %Y",
    "%Y%m%d",
    "%B %-d",
    "%-d %B",
    "%b %-d",
    "%-d %b",
)
TIME_FORMATS = (
    "%H:%M:%S",
    "%H:%M",
    "%-I:%M %p",
    "%I:%M %p",
    "%-I:%M%p",
    "%-I %p",
    "%H.%M",
    "%Hh%M",
)
NUMBER_WORDS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
)
BOOL_PAIRS = (
    ("yes", "no"),
    ("y", "n"),
    ("true", "false"),
    ("on", "off"),
    ("enabled", "disabled"),
    ("active", "inactive"),
    ("✓", "✗"),
    ("checked", "unchecked"),
    ("1", "0"),
    ("confirmed", "not confirmed"),
    ("required", "not required"),
)
OCR_CONFUSIONS = {
    "0": "O",
    "O": "0",
    "1": "l",
    "l": "1",
    "I": "l",
    "S": "5",
    "5": "S",
    "B": "8",
    "8": "B",
    "e": "c",
    "a": "o",
    "o": "0",
    "g": "9",
    "Z": "2",
    "m": "rn",
}
_EDGE = r"(?<![0-9A-Za-z])"
_END = r"(?![0-9A-Za-z])"
_TOKEN = re.compile(r"%(-?[A-Za-z])")
_NUMERIC = re.compile(  # "x4" counts (4 of an item); a number glued to other letters does not
    r"(?<![0-9A-WYZa-wyz.,])[-+\u2212]?\d[\d,.' \u00a0]*\d(?![0-9])"
    r"|(?<![0-9A-WYZa-wyz.,])[-+\u2212]?\d(?![0-9])"
)


def apply_case(text: str, case: str) -> str:
    """Example:

    >>> apply_case("acme ltd", "title"), apply_case("Acme", "upper")
    ('Acme Ltd', 'ACME')
    """
    if case == "upper":
        return text.upper()
    if case == "lower":
        return text.lower()
    if case == "title":
        return text.title()
    if case == "capitalize":
        return text[:1].upper() + text[1:].lower()
    return text


def case_of(written: str, value: str) -> str:
    """How `written` cases `value`: same, upper, lower, title or capitalize.

    >>> case_of("ACME LTD", "Acme Ltd"), case_of("acme ltd", "Acme Ltd"), case_of("Acme", "acme")
    ('upper', 'lower', 'title')
    """
    if written == value:
        return "same"
    for case in ("upper", "lower", "title", "capitalize"):
        if written == apply_case(value, case) and written != value:
            return case
    return "same"


def ocr_noise(text: str, rate: float, rng: random.Random) -> str:
    """Swap characters for look-alikes at the given rate (what a scanned text does)."""
    if rate <= 0:
        return text
    return "".join(
        OCR_CONFUSIONS[c] if c in OCR_CONFUSIONS and rng.random() < rate else c for c in text
    )


@dataclass(frozen=True)
class TextForm:
    case: str = "same"
    seps: tuple[tuple[str, str], ...] = ()
    """(separator in the gold value, what the text has instead), e.g. (", ", "\\n")."""
    noise: float = 0.0

    def write(self, value: str, rng: random.Random) -> str:
        text = apply_case(value, self.case)
        for gold_sep, text_sep in self.seps:
            text = text.replace(gold_sep, text_sep)
        return ocr_noise(text, self.noise, rng)


@dataclass(frozen=True)
class EnumForm:
    case: str = "same"
    sep: str = "_"

    def write(self, value: str, rng: random.Random) -> str:
        return apply_case(value.replace("_", self.sep), self.case)


@dataclass(frozen=True)
class BoolForm:
    true_word: str
    false_word: str

    def write(self, value: bool, rng: random.Random) -> str:
        return self.true_word if value else self.false_word


@dataclass(frozen=True)
class NumberForm:
    decimals: int | None = None
    """Digits after the decimal mark; None: as Python writes the value."""
    thousands: str = ""
    decimal: str = "."
    words: bool = False

    def write(self, value: float | int, rng: random.Random) -> str:
        if self.words and isinstance(value, int) and 0 <= value < len(NUMBER_WORDS):
            return NUMBER_WORDS[value]
        if self.decimals is None:
            text = str(value) if isinstance(value, int) else repr(float(value))
            whole, _, frac = text.lstrip("-").partition(".")
        else:
            text = f"{abs(value):.{self.decimals}f}"
            whole, _, frac = text.partition(".")
        if self.thousands:
            whole = f"{int(whole):,}".replace(",", self.thousands)
        sign = "-" if value < 0 else ""
        return sign + whole + (self.decimal + frac if frac else "")


@dataclass(frozen=True)
class DateForm:
    fmt: str
    case: str = "same"
    time_fmt: str | None = None
    joiner: str = " "
    zone: str = ""
    """Timestamps: the time format, what joins it to the date, the zone text as written."""

    def write(self, value: str, rng: random.Random) -> str:
        moment = parse_iso(value)
        if moment is None:
            return value
        text = format_date(moment, self.fmt)
        if self.time_fmt and isinstance(moment, dt.datetime):
            text += self.joiner + format_date(moment, self.time_fmt) + self.zone
        return apply_case(text, self.case)


@dataclass(frozen=True)
class TimeForm:
    fmt: str
    case: str = "same"

    def write(self, value: str, rng: random.Random) -> str:
        moment = parse_iso_time(value)
        return value if moment is None else apply_case(format_date(moment, self.fmt), self.case)


def parse_iso(value: str) -> dt.date | dt.datetime | None:
    try:
        if len(value) == 10:
            return dt.date.fromisoformat(value)
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


def parse_iso_time(value: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat("2000-01-01T" + value)
    except ValueError:
        return None


def ordinal(n: int) -> str:
    """Example:

    >>> [ordinal(n) for n in (1, 2, 3, 4, 11, 22)]
    ['1st', '2nd', '3rd', '4th', '11th', '22nd']
    """
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def format_date(moment: dt.date, fmt: str) -> str:
    """strftime with `%-d`/`%-m`/`%-I` (no padding) and `%o` (ordinal day), locale-free.

    >>> format_date(dt.date(2024, 3, 5), "%o %B %Y"), format_date(dt.date(2024, 3, 5), "%-m/%-d/%y")
    ('5th March 2024', '3/5/24')
    >>> format_date(dt.datetime(2024, 3, 5, 14, 7), "%-I:%M %p")
    '2:07 PM'
    """

    def token(m: re.Match) -> str:
        t = m.group(1)
        hour = getattr(moment, "hour", 0)
        values = {
            "Y": f"{moment.year:04d}",
            "y": f"{moment.year % 100:02d}",
            "m": f"{moment.month:02d}",
            "-m": str(moment.month),
            "d": f"{moment.day:02d}",
            "-d": str(moment.day),
            "o": ordinal(moment.day),
            "B": MONTHS[moment.month - 1],
            "b": MONTHS[moment.month - 1][:3],
            "A": WEEKDAYS[moment.weekday()],
            "a": WEEKDAYS[moment.weekday()][:3],
            "H": f"{hour:02d}",
            "I": f"{(hour % 12) or 12:02d}",
            "-I": str((hour % 12) or 12),
            "M": f"{getattr(moment, 'minute', 0):02d}",
            "S": f"{getattr(moment, 'second', 0):02d}",
            "p": "AM" if hour < 12 else "PM",
        }
        return values.get(t, m.group(0))

    return _TOKEN.sub(token, fmt)


def _flex(text: str) -> str:
    """A regex for text with any run of whitespace where it has a space."""
    return r"\s+".join(re.escape(part) for part in text.split(" "))


@dataclass
class Found:
    start: int
    end: int
    form: object
    exactness: int
    """0: verbatim; 1: case or spacing differ; 2: another layout (number, date); 3: fuzzy."""
    extra: dict = field(default_factory=dict)


def detect_dates(text: str, value: str) -> list[Found]:
    """Where a `YYYY-MM-DD` or ISO timestamp value is written, in any layout of the tables."""
    moment = parse_iso(value)
    if moment is None:
        return []
    out: list[Found] = []
    for fmt in DATE_FORMATS:
        written = format_date(moment, fmt)
        for m in re.finditer(_EDGE + _flex(written) + _END, text, re.IGNORECASE):
            found = Found(
                m.start(),
                m.end(),
                DateForm(fmt, case_of(m.group(0), written)),
                0 if m.group(0) == value else 2,
            )
            if isinstance(moment, dt.datetime):
                found = _with_time(text, found, moment)
            out.append(found)
    return out


def _with_time(text: str, found: Found, moment: dt.datetime) -> Found:
    for time_fmt in TIME_FORMATS:
        written = format_date(moment, time_fmt)
        pattern = (
            r"(\s*(?:T|at|,|@|-)?\s*)("
            + _flex(written)
            + r")(\s*(?:Z|UTC|GMT|[+-]\d{2}:?\d{2})?)"
            + _END
        )
        m = re.compile(pattern, re.IGNORECASE).match(text, found.end)
        if m:
            form = found.form
            return Found(
                found.start,
                m.end(),
                DateForm(form.fmt, form.case, time_fmt, m.group(1), m.group(3)),
                found.exactness,
            )
    return found


def detect_times(text: str, value: str) -> list[Found]:
    moment = parse_iso_time(value)
    if moment is None:
        return []
    out = []
    for fmt in TIME_FORMATS:
        written = format_date(moment, fmt)
        for m in re.finditer(_EDGE + _flex(written) + _END, text, re.IGNORECASE):
            out.append(Found(m.start(), m.end(), TimeForm(fmt, case_of(m.group(0), written)), 2))
    return out


def parse_number(token: str) -> list[tuple[float, NumberForm]]:
    """The values a numeric token may mean, each with how it is written.

    >>> [(v, f.thousands, f.decimal) for v, f in parse_number("1.299,50")]
    [(1299.5, '.', ',')]
    >>> [(v, f.decimals) for v, f in parse_number("1,299")]
    [(1299.0, 0), (1.299, 3)]
    """
    sign = -1 if token[:1] in "-\u2212" else 1
    body = token.lstrip("+-\u2212")
    out = []
    for thousands_chars, decimal in ((",' \u00a0", "."), (". '\u00a0", ",")):
        whole, _, frac = body.rpartition(decimal) if decimal in body else (body, "", "")
        if not whole and frac:
            whole, frac = frac, ""
        groups = re.split(f"[{re.escape(thousands_chars)}]", whole)
        seps = sorted(set(re.findall(f"[{re.escape(thousands_chars)}]", whole)))
        if len(seps) > 1 or not all(g.isdigit() for g in groups) or not frac.isdigit() and frac:
            continue
        if len(groups) > 1 and (any(len(g) != 3 for g in groups[1:]) or len(groups[0]) > 3):
            continue
        value = float("".join(groups) + ("." + frac if frac else ""))
        form = NumberForm(len(frac), seps[0] if seps else "", decimal)
        if all(abs(value - v) > 1e-9 or f != form for v, f in out):
            out.append((sign * value, form))
    return out


def detect_numbers(text: str, value: float) -> list[Found]:
    out = []
    for m in _NUMERIC.finditer(text):
        for parsed, form in parse_number(m.group(0).strip(" '\u00a0")):
            if abs(parsed - value) < 1e-9:
                exact = 0 if m.group(0) in (str(value), repr(value)) else 2
                out.append(
                    Found(m.start(), m.start() + len(m.group(0).rstrip(" '\u00a0")), form, exact)
                )
                break
    if isinstance(value, int) and 0 <= value < len(NUMBER_WORDS):
        for m in re.finditer(rf"\b{NUMBER_WORDS[value]}\b", text, re.IGNORECASE):
            out.append(Found(m.start(), m.end(), NumberForm(words=True), 2))
    return out


def detect_bools(text: str, value: bool) -> list[Found]:
    out = []
    for true_word, false_word in BOOL_PAIRS:
        word = true_word if value else false_word
        if len(word) == 1 and word.isalnum():
            pattern = rf"(?:(?<=[:=])|(?<=[:=] )|(?<=[:=]\t)){word}\b"
        else:
            pattern = rf"(?<![\w]){re.escape(word)}(?![\w])"
        for m in re.finditer(pattern, text, re.IGNORECASE):
            case = case_of(m.group(0).strip(), word)
            form = BoolForm(apply_case(true_word, case), apply_case(false_word, case))
            out.append(Found(m.start(), m.end(), form, 2))
    return out
