"""Scalar values for any schema node, chosen from the field's name, format, type and bounds.

A field's *kind* is read once from its key, its parent's key and its description
(`field_kind`): `email`, `person`, `company`, `city`, `money`, `quantity`, `code`... and each
kind has a generator backed by Faker pools (drawn once per build, then picked with the build's
`random.Random`, as `gen_values.Gen` does) or by the `Gen` helpers. Schema constraints always
win over the kind: `enum`/`const`, `format`, `pattern` (through `rstr`, with a bounded repeat
count and a deterministic character choice), string lengths, numeric bounds and `multipleOf`.
"""

from __future__ import annotations

import math
import re
import string
from datetime import date
from functools import lru_cache
from typing import Any

import rstr

from slmbench.data.gen_values import BIRTH_END, BIRTH_START, Gen


def _words(text: str) -> list[str]:
    return text.split()


REPEAT_SPAN = 8
"""An open-ended regex repeat (`+`, `*`, `{2,}`) draws at most this many more than its minimum."""
POOL_SIZE = 200
MAX_STRING_TRIES = 25
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|[^A-Za-z0-9]+")
CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD", "JPY", "CHF", "SEK", "INR", "SGD")
PRODUCT_ADJ = ("Wireless", "Compact", "Heavy-Duty", "Organic", "Stainless", "Portable", "Smart")
PRODUCT_NOUN = (
    "Headphones",
    "Desk Lamp",
    "Water Bottle",
    "Backpack",
    "Keyboard",
    "Blender",
    "Monitor Stand",
    "Drill",
    "Notebook",
    "Coffee Grinder",
    "Router",
    "Jacket",
)
STATUS_WORDS = ("active", "pending", "approved", "closed", "open", "shipped", "on hold")
PERSON_WORDS = frozenset(
    _words(
        "person customer contact employee author user owner recipient sender driver patient "
        "manager "
        "assignee reviewer buyer seller passenger guest attendee physician doctor applicant "
        "candidate student teacher member agent requester reporter signatory consignee shipper "
        "full first last given family surname"
    )
)
ORG_WORDS = frozenset(
    _words(
        "company organization organisation org employer vendor supplier merchant business carrier "
        "bank insurer airline hotel manufacturer brand publisher client firm agency"
    )
)

# (words any of which marks the kind, the kind); the first matching row wins.
KIND_RULES: tuple[tuple[frozenset[str], str], ...] = tuple(
    (frozenset(words.split()), kind)
    for words, kind in (
        ("email mail", "email"),
        ("phone tel telephone mobile fax cell", "phone"),
        ("url website homepage link href uri webpage", "url"),
        ("uuid guid", "uuid"),
        ("ip ipv4", "ipv4"),
        ("hostname host domain fqdn", "hostname"),
        ("username login handle", "username"),
        ("currency", "currency"),
        ("country", "country"),
        ("city town", "city"),
        ("state province region county", "state"),
        ("zip postal postcode zipcode", "postal_code"),
        ("street address line1 line2 addr", "street"),
        ("first given forename", "first_name"),
        ("last surname family", "last_name"),
        ("title subject headline summary", "title"),
        (
            "description notes note comment comments message body text reason details remarks "
            "instructions bio",
            "sentence",
        ),
        ("job position occupation role designation", "job"),
        ("product item sku_name model", "product"),
        ("color colour", "color"),
        ("version", "version"),
        ("path file filename", "path"),
        ("status", "status"),
        (
            "id identifier number no num code ref reference sku serial tracking key token "
            "invoice order account iban license plate pnr locator",
            "code",
        ),
    )
)
NUMBER_RULES: tuple[tuple[frozenset[str], str], ...] = tuple(
    (frozenset(words.split()), kind)
    for words, kind in (
        ("percent pct percentage", "percent"),
        (
            "weight kg kilograms lb lbs grams km miles meters distance height width length depth "
            "volume liters litres",
            "measure",
        ),
        (
            "price amount cost total subtotal fee fare salary balance tax shipping discount "
            "payment paid due charge rate budget revenue refund deposit value",
            "money",
        ),
        ("age", "age"),
        ("year", "year"),
        ("lat latitude", "latitude"),
        ("lon lng longitude", "longitude"),
        ("rating stars score", "rating"),
        ("port", "port"),
        ("quantity qty count units pieces items seats guests nights copies replicas", "quantity"),
    )
)


def key_words(key: str) -> list[str]:
    """Example:

    >>> key_words("shipToAddress_line1"), key_words("PO-number")
    (['ship', 'to', 'address', 'line1'], ['po', 'number'])
    """
    return [w.lower() for w in _CAMEL.split(key) if w]


@lru_cache(maxsize=4096)
def field_kind(key: str, parent: str, json_type: str, description: str = "") -> str:
    """What a field holds, from its key (then its parent's key and its description).

    >>> field_kind("email", "", "string"), field_kind("name", "customer", "string")
    ('email', 'person')
    >>> field_kind("name", "vendor", "string"), field_kind("unit_price", "", "number")
    ('company', 'money')
    >>> field_kind("tracking_number", "", "string"), field_kind("qty", "", "integer")
    ('code', 'quantity')
    """
    words = key_words(key)
    if json_type in ("number", "integer"):
        for marks, kind in NUMBER_RULES:
            if marks.intersection(words):
                return kind
        return "number"
    if "name" in words or words in (["full"], ["fullname"]):
        context = set(words) | set(key_words(parent)) | set(key_words(description)[:6])
        if words[:1] == ["first"] or "given" in words:
            return "first_name"
        if words[:1] == ["last"] or "surname" in words or "family" in words:
            return "last_name"
        if context & ORG_WORDS:
            return "company"
        if "city" in context:
            return "city"
        if context & {"product", "item", "article"}:
            return "product"
        if context & PERSON_WORDS or words == ["name"]:
            return "person"
    if words == ["description"] and set(key_words(parent)) & {
        "item",
        "items",
        "line",
        "lines",
        "product",
        "products",
        "article",
    }:
        return "product"
    if "country" in words and (
        "code" in words or "alpha" in description.lower() or "iso" in description.lower()
    ):
        return "country_code"
    if words and words[-1] in ("date", "on", "day", "dob", "birthday") or "birth" in words:
        return "date"
    if words and words[-1] in ("at", "timestamp", "datetime", "time"):
        return "date-time"
    for marks, kind in KIND_RULES:
        if marks.intersection(words):
            return kind
    if set(key_words(parent)) & ORG_WORDS and "name" in words:
        return "company"
    return "words"


class BoundedXeger(rstr.Rstr):
    """rstr's regex-to-string with repeats bounded by `REPEAT_SPAN` and no set iteration (a
    negated class drawn from a sorted alphabet), so that the same seed gives the same bytes."""

    def _handle_repeat(self, start_range: int, end_range: int, value: Any) -> str:
        end_range = min(end_range, start_range + REPEAT_SPAN)
        times = self._random.randint(start_range, end_range)
        return "".join("".join(self._handle_state(i) for i in value) for _ in range(times))

    def _handle_in(self, value: Any) -> Any:
        candidates = [c for part in value for c in self._handle_state(part)]
        if candidates and candidates[0] is False:
            excluded = candidates[1:]
            candidates = [
                c for c in string.ascii_letters + string.digits + "-_." if c not in excluded
            ]
        return self._random.choice(candidates)


class ValueMaker:
    """Draws scalar values; all randomness from one `Gen` (hence from the build's seed)."""

    def __init__(self, g: Gen):
        self.g = g
        self.xeger = BoundedXeger(g.rng)
        self._pools: dict[str, list[str]] = {}

    def pool(self, name: str) -> list[str]:
        """A Faker pool drawn on first use (deterministic: first use order is the seed's)."""
        if name not in self._pools:
            f = self.g.fake
            draw = {
                "job": f.job,
                "sentence": lambda: f.sentence(nb_words=self.g.randint(6, 14)),
                "title": lambda: f.catch_phrase(),
                "word": f.word,
                "country": f.country,
                "country_code": f.country_code,
                "color": f.color_name,
                "domain": f.domain_name,
                "path": f.file_path,
            }[name]
            self._pools[name] = list(dict.fromkeys(draw() for _ in range(POOL_SIZE)))
        return self._pools[name]

    # -- strings ------------------------------------------------------------------------------
    def string_of_kind(self, kind: str, fmt: str | None = None) -> str:
        g = self.g
        if fmt in (
            "date",
            "date-time",
            "time",
            "email",
            "idn-email",
            "uuid",
            "ipv4",
            "ipv6",
            "hostname",
            "idn-hostname",
            "uri",
            "iri",
            "uri-reference",
            "iri-reference",
            "duration",
            "regex",
            "json-pointer",
        ):
            kind = fmt
        if kind == "date":
            return g.iso(g.day())
        if kind == "birth_date":
            return g.iso(g.day(BIRTH_START, BIRTH_END))
        if kind == "date-time":
            return g.iso(g.moment())
        if kind == "time":
            return g.iso(g.moment())[11:19]
        if kind in ("email", "idn-email"):
            return g.email_for(g.full_name())
        if kind == "uuid":
            return g.uuid()
        if kind in ("ipv4", "ip"):
            return ".".join(str(g.randint(1, 254)) for _ in range(4))
        if kind == "ipv6":
            return ":".join(f"{g.randint(0, 65535):x}" for _ in range(8))
        if kind in ("hostname", "idn-hostname"):
            return g.pick(["api", "www", "mail", "db", "app"]) + "." + g.pick(self.pool("domain"))
        if kind in ("url", "uri", "iri", "uri-reference", "iri-reference"):
            return f"https://{g.pick(self.pool('domain'))}/{g.pick(self.pool('word'))}"
        if kind == "duration":
            return g.pick(
                [f"P{g.randint(1, 30)}D", f"PT{g.randint(1, 12)}H", f"P{g.randint(1, 6)}M"]
            )
        if kind == "regex":
            return g.pick(["^[a-z]+$", "[0-9]{3}", "^v\\d+"])
        if kind == "json-pointer":
            return "/" + "/".join(self.pool("word")[i] for i in range(g.randint(1, 3)))
        if kind == "phone":
            return g.phone()
        if kind == "username":
            return g.username()
        if kind == "currency":
            return g.pick(CURRENCIES)
        if kind == "country":
            return g.pick(self.pool("country"))
        if kind == "country_code":
            return g.pick(self.pool("country_code"))
        if kind == "city":
            return g.city()
        if kind == "state":
            return g.state()
        if kind == "postal_code":
            return g.postal_code()
        if kind == "street":
            return g.street_address()
        if kind == "first_name":
            return g.first_name()
        if kind == "last_name":
            return g.last_name()
        if kind == "person":
            return g.full_name()
        if kind == "company":
            return g.company()
        if kind == "title":
            return g.pick(self.pool("title"))
        if kind == "sentence":
            return g.pick(self.pool("sentence"))
        if kind == "job":
            return g.pick(self.pool("job"))
        if kind == "product":
            return f"{g.pick(PRODUCT_ADJ)} {g.pick(PRODUCT_NOUN)}"
        if kind == "color":
            return g.pick(self.pool("color"))
        if kind == "version":
            return f"{g.randint(0, 9)}.{g.randint(0, 20)}.{g.randint(0, 30)}"
        if kind == "path":
            return g.pick(self.pool("path"))
        if kind == "status":
            return g.pick(STATUS_WORDS)
        if kind == "code":
            return g.code(g.pick(["??-#####", "???###", "#########", "?#####-##", "??####?"]))
        words = self.pool("word")
        return " ".join(g.pick(words) for _ in range(g.randint(1, 3)))

    def string(self, node: dict, kind: str, where: Any) -> str:
        """A string for the node: `pattern` first, then `format`/kind, fitted to its lengths.
        `where` raises the engine's error (a callable taking keyword and reason)."""
        lo = int(node.get("minLength", 0))
        hi = int(node.get("maxLength", 10**6))
        pattern = node.get("pattern")
        if kind == "date" and self._birthish(node):
            kind = "birth_date"
        for _ in range(MAX_STRING_TRIES):
            if isinstance(pattern, str):
                value = self.string_of_kind(kind, node.get("format"))
                if not re.search(pattern, value):  # the kind's own value rarely fits: draw one
                    value = self.xeger.xeger(pattern)
                if not re.search(pattern, value):
                    continue
            else:
                value = fit_length(self.g, self.string_of_kind(kind, node.get("format")), lo, hi)
            if lo <= len(value) <= hi:
                return value
        keyword = "pattern" if isinstance(pattern, str) else "maxLength"
        raise where(keyword, f"no string of length {lo}..{hi} found in {MAX_STRING_TRIES} draws")

    @staticmethod
    def _birthish(node: dict) -> bool:
        return "birth" in str(node.get("description", "")).lower()

    # -- numbers ------------------------------------------------------------------------------
    def number(self, node: dict, kind: str, integer: bool, where: Any) -> int | float:
        """A number within the node's bounds, typical of its kind (money has 2 decimals)."""
        lo, hi = kind_range(kind)
        lo_b, hi_b = numeric_bounds(node, integer)
        if lo_b is not None and hi_b is not None and lo_b > hi_b:
            raise where("minimum", f"no number between {lo_b} and {hi_b}")
        if lo_b is not None:
            lo = max(lo, lo_b)
        if hi_b is not None:
            hi = min(hi, hi_b)
        if lo > hi:  # the kind's usual range is outside the bounds: keep near the bounds
            lo = lo_b if lo_b is not None else hi_b - 100
            hi = hi_b if hi_b is not None else lo_b + 100
        step = node.get("multipleOf")
        if isinstance(step, int | float) and not isinstance(step, bool) and step > 0:
            k_lo, k_hi = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
            if k_lo > k_hi:
                raise where("multipleOf", f"no multiple of {step} between {lo} and {hi}")
            value = self.g.randint(k_lo, min(k_hi, k_lo + 10**6)) * step
            places = max(0, -math.floor(math.log10(step))) if step < 1 else 0
            value = round(value, places + 2)
            if integer or (isinstance(step, int) and value == int(value)):
                return int(round(value))
            return value
        if integer:
            return self.g.randint(math.ceil(lo), math.floor(hi))
        places = (
            1
            if kind in ("rating", "measure")
            else 2
            if kind in ("money", "percent", "number")
            else 4
        )
        value = round(self.g.rng.uniform(lo, hi), places)
        return min(max(value, lo), hi)


def kind_range(kind: str) -> tuple[float, float]:
    return {
        "money": (1, 2500),
        "percent": (0, 100),
        "age": (18, 90),
        "year": (1990, 2025),
        "latitude": (-80, 80),
        "longitude": (-170, 170),
        "rating": (1, 5),
        "port": (1024, 65535),
        "quantity": (1, 20),
        "measure": (0.5, 500),
    }.get(kind, (0, 1000))


def numeric_bounds(node: dict, integer: bool) -> tuple[float | None, float | None]:
    """The inclusive bounds a number must keep (exclusive ones moved inward; draft-04's
    boolean `exclusiveMinimum` understood).

    >>> numeric_bounds({"exclusiveMinimum": 0, "maximum": 10}, True)
    (1, 10)
    >>> numeric_bounds({"minimum": 0, "exclusiveMinimum": True}, False)
    (0.01, None)
    """
    nudge = 1 if integer else 0.01
    lo, hi = node.get("minimum"), node.get("maximum")
    ex_lo, ex_hi = node.get("exclusiveMinimum"), node.get("exclusiveMaximum")
    if ex_lo is True and lo is not None:
        lo = lo + nudge
    elif _is_number(ex_lo):
        lo = max(lo, ex_lo + nudge) if lo is not None else ex_lo + nudge
    if ex_hi is True and hi is not None:
        hi = hi - nudge
    elif _is_number(ex_hi):
        hi = min(hi, ex_hi - nudge) if hi is not None else ex_hi - nudge
    if integer:
        lo = math.ceil(lo) if lo is not None else None
        hi = math.floor(hi) if hi is not None else None
    return lo, hi


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def fit_length(g: Gen, value: str, lo: int, hi: int) -> str:
    """Pad a too-short value with letters and cut a too-long one (at a space when it can).

    >>> fit_length(Gen(0), "Acme Corporation Ltd", 0, 10)
    'Acme'
    """
    if len(value) > hi:
        cut = value[:hi]
        space = cut.rfind(" ")
        value = cut[:space] if space >= max(lo, 1) else cut
    while len(value) < lo:
        value += g.letters(1).lower()
    return value


def day_between(g: Gen, start: date, end: date) -> str:
    return g.iso(g.day(start, end))
