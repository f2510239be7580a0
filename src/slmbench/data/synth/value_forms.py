"""Well-known forms of string values, learnt from the example values of one field, and fresh
values of the same form for template rows.

When every example value of a field is a UUID, an email address, a URL, an IPv4 address, a
phone number, a money amount or a hexadecimal id, a fresh value is a new one of that form (a
real UUID, not a string of the same character classes with non-hex letters in it), keeping
what the examples share: the letter case, a UUID's version digit, an email or URL host, the
leading octets of an address, a phone's layout and country code, a currency sign and the way
an amount is written. ISO dates and timestamps are shifted as a whole by the substituter
(`substitute.shift_iso`), and values of no known form keep their shape (`Substituter.shape`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cache

from slmbench.data.gen_values import Gen
from slmbench.data.synth.forms import NumberForm, parse_number

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})")
URL = re.compile(r"(https?://)([A-Za-z0-9.-]+(?::\d+)?)(/[^\s]*)?")
IPV4 = re.compile(r"(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)")
PHONE = re.compile(r"\+?\(?\d[\d ().-]{5,}\d")
MONEY = re.compile(
    r"(?P<pre>[$€£¥₹]\s?|(?:USD|EUR|GBP|CAD|AUD|JPY|CHF|INR)\s)?"
    r"(?P<num>\d{1,3}(?:[,.' ]\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)"
    r"(?P<post>\s?(?:USD|EUR|GBP|CAD|AUD|JPY|CHF|INR|[$€£¥₹]))?"
)
HEX = re.compile(r"(0x)?[0-9a-f]{6,}", re.IGNORECASE)
PERSON = re.compile(
    r"(?:(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.? )?(?P<first>[A-Z][a-z'-]+)(?: [A-Z][a-z'-]+){1,2}"
    r"(?: (?:Jr|Sr|II|III|IV|PhD|MD|DDS|DVM)\.?)?"
)
WORDS = re.compile(r"[A-Za-z]+(?: [A-Za-z]+){0,2}")
MIN_PHONE_DIGITS = 7
FORM_NAMES = ("uuid", "email", "url", "ipv4", "phone", "money", "hex", "person", "words")
"""In the order they are tried. The last two are weaker: a person's name (its first word one
of Faker's first names) and plain words, which the substituter uses only where the field's
name does not say otherwise (a `product_name` gets products even when its examples hold
people's names) and instead of redrawing letters at random in a code-like field."""
WELL_KNOWN = FORM_NAMES[:-2]


def _is_phone(value: str) -> bool:
    digits = sum(c.isdigit() for c in value)
    return digits >= MIN_PHONE_DIGITS and bool(re.search(r"[ ().+-]", value))


def _is_money(value: str) -> bool:
    m = MONEY.fullmatch(value)
    return bool(m and (m.group("pre") or m.group("post")))


def _matches(form: str, value: str) -> bool:
    if form == "uuid":
        return bool(UUID.fullmatch(value))
    if form == "email":
        return bool(EMAIL.fullmatch(value))
    if form == "url":
        return bool(URL.fullmatch(value))
    if form == "ipv4":
        return bool(IPV4.fullmatch(value))
    if form == "phone":
        return bool(PHONE.fullmatch(value)) and _is_phone(value)
    if form == "money":
        return _is_money(value)
    if form == "person":
        m = PERSON.fullmatch(value)
        return bool(m and m.group("first") in _first_names())
    if form == "words":
        return bool(WORDS.fullmatch(value)) and not value.isupper()
    return bool(HEX.fullmatch(value))


@cache
def _first_names() -> frozenset[str]:
    from faker.providers.person.en_US import Provider

    return frozenset(Provider.first_names)


def learn_form(values: Sequence[object]) -> str | None:
    """The well-known form every example value of a field has, or None (also when a value is
    not a string). Hex ids must have a digit and a letter a-f among them, and one length.

    >>> learn_form(["320689b8-9075-4049-a05c-907d88ec242f", "0b5f3d1c-1f7e-4c1e-9a1b-2c3d4e5f6a7b"])
    'uuid'
    >>> learn_form(["ann@acme.io", "bo@acme.io"]), learn_form(["$1,204.50", "$89.00"])
    ('email', 'money')
    >>> learn_form(["+1 (555) 010-2030"]), learn_form(["9f86d081e5", "0a1b2c3d4e"])
    ('phone', 'hex')
    >>> learn_form(["Dr. Anna Lee", "Mark Diaz"]), learn_form(["Nothing", "Street"])
    ('person', 'words')
    >>> learn_form(["INV-2024-0042"]), learn_form(["12345678", "87654321"]), learn_form([])
    (None, None, None)
    """
    strings = [v for v in values if v not in (None, "")]
    if not strings or not all(isinstance(v, str) for v in strings):
        return None
    for form in FORM_NAMES:
        if all(_matches(form, v) for v in strings):  # type: ignore[arg-type]
            if form == "hex" and not _hex_ok(strings):  # type: ignore[arg-type]
                continue
            return form
    return None


def _hex_ok(values: list[str]) -> bool:
    body = "".join(v.lower().removeprefix("0x") for v in values)
    return (
        any(c.isdigit() for c in body)
        and any(c in "abcdef" for c in body)
        and len({len(v) for v in values}) == 1
    )


def _case(value: str, text: str) -> str:
    letters = [c for c in value if c.isalpha()]
    return text.upper() if letters and all(c.isupper() for c in letters) else text


class FormMaker:
    """Fresh values of a learnt form; all randomness from the build's `Gen`."""

    def __init__(self, g: Gen, words: Callable[[], list[str]]):
        self.g = g
        self.words = words
        """The build's word pool, drawn on first use."""

    def fresh(self, form: str, value: str, peers: Sequence[object]) -> str:
        """A new value of `form` like `value`, keeping what all `peers` (the field's example
        values, `value` among them) share."""
        others = [p for p in peers if isinstance(p, str) and p] or [value]
        return getattr(self, f"_{form}")(value, others)

    def _uuid(self, value: str, peers: list[str]) -> str:
        new = self.g.uuid()
        new = new[:14] + value[14] + new[15:]  # the examples' version digit
        return _case(value, new.lower())

    def _email(self, value: str, peers: list[str]) -> str:
        domains = {EMAIL.fullmatch(p).group(1).lower() for p in peers}  # type: ignore[union-attr]
        domain = EMAIL.fullmatch(value).group(1) if len(domains) == 1 else None  # type: ignore[union-attr]
        return self.g.email_for(self.g.full_name(), domain)

    def _url(self, value: str, peers: list[str]) -> str:
        m = URL.fullmatch(value)
        assert m is not None
        hosts = {URL.fullmatch(p).group(2).lower() for p in peers}  # type: ignore[union-attr]
        g = self.g
        host = m.group(2) if len(hosts) == 1 else f"{g.pick(self.words())}.example.com"
        path = m.group(3) or ""
        parts = []
        for part in re.split(r"([/?=&#.-])", path):
            if part.isdigit():
                parts.append(g.digits(len(part)))
            elif part.isalpha():
                parts.append(g.pick(self.words()))
            elif part and part.isalnum():
                parts.append(_shape(g, part))
            else:
                parts.append(part)
        return m.group(1) + host + "".join(parts)

    def _ipv4(self, value: str, peers: list[str]) -> str:
        octets = [p.split(".") for p in peers]
        mine = value.split(".")
        out = []
        for i in range(4):
            shared = len({o[i] for o in octets}) == 1 and all(
                len({o[j] for o in octets}) == 1 for j in range(i)
            )
            out.append(mine[i] if shared and i < 3 else str(self.g.randint(1, 254)))
        return ".".join(out)

    def _phone(self, value: str, peers: list[str]) -> str:
        prefix = re.match(r"\+\d{1,3}(?=[ (.-])", value)
        shared = prefix and all(p.startswith(prefix.group(0)) for p in peers)
        keep = len(prefix.group(0)) if shared and prefix else 0
        out = list(value[:keep])
        first = True
        for c in value[keep:]:
            if c.isdigit():
                out.append(str(self.g.randint(2 if first else 0, 9)))
                first = False
            else:
                out.append(c)
        return "".join(out)

    def _money(self, value: str, peers: list[str]) -> str:
        m = MONEY.fullmatch(value)
        assert m is not None
        number = m.group("num")
        parsed = parse_number(number)
        amount, form = parsed[0] if parsed else (float(number), NumberForm(2))
        new = round(max(amount, 1.0) * self.g.rng.uniform(0.4, 2.0), form.decimals or 0)
        return (m.group("pre") or "") + form.write(new, self.g.rng) + (m.group("post") or "")

    def _person(self, value: str, peers: list[str]) -> str:
        return _case(value, self.g.full_name())

    def _words(self, value: str, peers: list[str]) -> str:
        words = " ".join(self.g.pick(self.words()) for _ in value.split())
        if value.istitle():
            return words.title()
        return words[:1].upper() + words[1:] if value[:1].isupper() else words

    def _hex(self, value: str, peers: list[str]) -> str:
        prefix = value[:2] if value[:2].lower() == "0x" else ""
        body = "".join(self.g.pick("0123456789abcdef") for _ in value[len(prefix) :])
        return prefix + _case(value[len(prefix) :], body)


def _shape(g: Gen, part: str) -> str:
    return "".join(
        str(g.randint(0, 9))
        if c.isdigit()
        else chr((65 if c.isupper() else 97) + g.randint(0, 25))
        if c.isalpha()
        else c
        for c in part
    )
