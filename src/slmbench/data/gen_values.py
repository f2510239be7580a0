"""Seeded value source of the generator: random draws, Faker-backed pools, and text formatting.

Everything random goes through one `Gen`, built from the build's seed: a `random.Random` and a
`Faker('en_US')` seeded with `seed_instance`. Faker's weighted providers cost 50-250 us a call
on this machine, so names, cities, streets and companies are drawn from Faker once per build
into pools and then picked with the `Random`; that keeps a 20,000-row build within seconds.
Dates come from fixed windows (never "today"), so a build does not depend on the clock.

The `say_*` methods write a value the way a document would, in a form the grounding check of
`slmbench.data.validate` recovers: money with thousands separators ("$1,299.00"), dates in ISO
or as "March 5, 2024" / "5 March 2024", enums with spaces for underscores.
"""

from __future__ import annotations

import random
import re
import uuid
from datetime import UTC, date, datetime, timedelta

from faker import Faker

EVENT_START = date(2019, 1, 1)
EVENT_END = date(2025, 12, 31)
BIRTH_START = date(1940, 1, 1)
BIRTH_END = date(2004, 12, 31)
OPTIONAL = 0.7
"""Chance that an optional field is present (an absent field is absent from the gold too)."""
POOL_SIZES = {"first": 300, "last": 400, "city": 250, "street": 300, "company": 250}
_NOT_ALNUM = re.compile(r"[^a-z0-9]")


def money_text(value: float, currency: str | None = None, style: int = 0) -> str:
    """A money amount as text; `style` picks the layout.

    >>> money_text(1299.0), money_text(1299.0, style=1), money_text(5.5, "EUR", style=2)
    ('$1,299.00', '1,299.00 USD', 'EUR 5.50')
    >>> money_text(1299.0, "GBP", 3)
    '1299.00 GBP'
    """
    amount = f"{value:,.2f}"
    code = currency or "USD"
    if style == 0 and currency in (None, "USD"):
        return f"${amount}"
    if style == 2:
        return f"{code} {amount}"
    if style == 3:
        return f"{value:.2f} {code}"
    return f"{amount} {code}"


def long_date(iso: str, day_first: bool = False) -> str:
    """An ISO date written out: "March 5, 2024" or "5 March 2024".

    >>> long_date("2024-03-05"), long_date("2024-03-05", day_first=True)
    ('March 5, 2024', '5 March 2024')
    """
    d = date.fromisoformat(iso)
    return f"{d.day} {d:%B %Y}" if day_first else f"{d:%B} {d.day}, {d.year}"


def number_text(value: float | int) -> str:
    """A number exactly as it parses back (no exponent, shortest round-trip form).

    >>> number_text(3), number_text(21.5), number_text(-0.25), number_text(12000)
    ('3', '21.5', '-0.25', '12000')
    """
    return str(value) if isinstance(value, int) else repr(float(value))


def humanize(token: str) -> str:
    """An enum or key token in words: `out_for_delivery` -> `out for delivery`.

    >>> humanize("out_for_delivery")
    'out for delivery'
    """
    return token.replace("_", " ")


def slug(text: str) -> str:
    """Lower-case ASCII letters and digits only (for user names and emails).

    >>> slug("O'Neil-Smith")
    'oneilsmith'
    """
    return _NOT_ALNUM.sub("", text.lower())


class Gen:
    """All randomness of one build. Never touches global random state."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.fake = Faker("en_US")
        self.fake.seed_instance(seed)
        f = self.fake
        self.first_names = self._pool(f.first_name, POOL_SIZES["first"])
        self.last_names = self._pool(f.last_name, POOL_SIZES["last"])
        self.cities = self._pool(f.city, POOL_SIZES["city"])
        self.streets = self._pool(f.street_name, POOL_SIZES["street"])
        self.companies = self._pool(f.company, POOL_SIZES["company"])

    @staticmethod
    def _pool(draw, size: int) -> list[str]:
        # Distinct values in first-drawn order: deterministic, unlike iterating a set.
        return list(dict.fromkeys(draw() for _ in range(size)))

    # -- random draws -------------------------------------------------------------------------
    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, seq):
        return seq[self.rng.randrange(len(seq))]

    def sample(self, seq, k: int) -> list:
        return self.rng.sample(list(seq), k)

    def randint(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def decimal(self, lo: float, hi: float, places: int = 2) -> float:
        return round(self.rng.uniform(lo, hi), places)

    def money(self, lo: float, hi: float) -> float:
        return round(self.rng.uniform(lo, hi), 2)

    def digits(self, n: int) -> str:
        return "".join(str(self.rng.randrange(10)) for _ in range(n))

    def letters(self, n: int) -> str:
        return "".join(chr(65 + self.rng.randrange(26)) for _ in range(n))

    def code(self, pattern: str) -> str:
        """`#` -> digit, `?` -> capital letter, `*` -> capital letter or digit, `h` -> hex."""
        out = []
        for ch in pattern:
            if ch == "#":
                out.append(str(self.rng.randrange(10)))
            elif ch == "?":
                out.append(chr(65 + self.rng.randrange(26)))
            elif ch == "*":
                out.append(self.pick("ABCDEFGHJKLMNPQRSTUVWXYZ23456789"))
            elif ch == "h":
                out.append(self.pick("0123456789abcdef"))
            else:
                out.append(ch)
        return "".join(out)

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # -- dates --------------------------------------------------------------------------------
    def day(self, start: date = EVENT_START, end: date = EVENT_END) -> date:
        return start + timedelta(days=self.rng.randrange((end - start).days + 1))

    def moment(self, start: date = EVENT_START, end: date = EVENT_END, step: int = 1) -> datetime:
        """A UTC datetime between 06:00 and 23:00 of a random day, on a multiple of `step` s."""
        d = self.day(start, end)
        seconds = self.rng.randrange(6 * 3600, 23 * 3600, step)
        return datetime(d.year, d.month, d.day, tzinfo=UTC) + timedelta(seconds=seconds)

    @staticmethod
    def iso(moment: datetime | date) -> str:
        """RFC 3339 with a `Z` for UTC datetimes; plain ISO for dates."""
        if isinstance(moment, datetime):
            return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        return moment.isoformat()

    @staticmethod
    def age_on(born: date, on: date) -> int:
        """Whole years between two dates.

        >>> Gen.age_on(date(1990, 6, 15), date(2024, 6, 14)), Gen.age_on(date(1990, 6, 15),
        ...     date(2024, 6, 15))
        (33, 34)
        """
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))

    # -- people, places, companies ------------------------------------------------------------
    def first_name(self) -> str:
        return self.pick(self.first_names)

    def last_name(self) -> str:
        return self.pick(self.last_names)

    def person(self) -> tuple[str, str]:
        return self.first_name(), self.last_name()

    def full_name(self) -> str:
        return f"{self.first_name()} {self.last_name()}"

    def email_for(self, name: str, domain: str | None = None) -> str:
        parts = [slug(p) for p in name.split()]
        parts = [p for p in parts if p] or ["user"]
        first, last = parts[0], parts[-1]
        local = self.pick(
            [f"{first}.{last}", f"{first[0]}{last}", f"{first}{self.randint(1, 99)}", last]
        )
        return f"{local}@{domain or self.email_domain()}"

    def email_domain(self) -> str:
        return self.pick(
            ["example.com", "example.org", "example.net", "mail.example.com", "corp.example.com"]
        )

    def company_domain(self, company: str) -> str:
        stem = slug(company.split()[0].split(",")[0].split("-")[0]) or "company"
        return f"{stem}.{self.pick(['com', 'io', 'net', 'co'])}"

    def username(self, name: str | None = None) -> str:
        first, last = (name.split()[0], name.split()[-1]) if name else self.person()
        first, last = slug(first) or "user", slug(last) or "x"
        return self.pick(
            [
                f"{first}.{last}",
                f"{first[0]}{last}",
                f"{first}{last[0]}",
                f"{first}_{self.randint(1, 99)}",
            ]
        )

    def city(self) -> str:
        return self.pick(self.cities)

    def street_address(self) -> str:
        return f"{self.randint(1, 9899)} {self.pick(self.streets)}"

    def state(self) -> str:
        return self.fake.state_abbr(include_territories=False)

    def postal_code(self) -> str:
        return self.digits(5)

    def company(self) -> str:
        return self.pick(self.companies)

    def phone(self) -> str:
        area = f"{self.randint(2, 9)}{self.digits(2)}"
        return self.pick(["({a}) {b}-{c}", "{a}-{b}-{c}", "+1 {a} {b} {c}"]).format(
            a=area, b=f"{self.randint(2, 9)}{self.digits(2)}", c=self.digits(4)
        )

    def sentence(self, words: int = 8) -> str:
        return self.fake.sentence(nb_words=words)

    # -- writing values as text ---------------------------------------------------------------
    def say_money(self, value: float, currency: str | None = None) -> str:
        """Dollars ("$1,299.00") when no currency is given, else the amount with the code (a
        gold `currency` field must be readable from the text)."""
        styles = (0, 0, 0, 1) if currency is None else (1, 1, 2, 3)
        return money_text(value, currency, self.pick(styles))

    def say_date(self, iso: str) -> str:
        roll = self.rng.random()
        if roll < 0.4:
            return iso
        return long_date(iso, day_first=roll > 0.75)

    def say_enum(self, value: str) -> str:
        """Lower-case tokens in words, sometimes capitalised; codes such as USD as they are."""
        if not value.islower() or not value.replace("_", "").isalpha():
            return value
        words = humanize(value)
        return words.capitalize() if self.chance(0.3) else words

    def say_bool(self, value: bool, true_words: tuple, false_words: tuple) -> str:
        return self.pick(true_words if value else false_words)

    def say_list(self, items: list[str], conj: str = "and") -> str:
        """ "a", "a and b", "a, b and c"."""
        if len(items) == 1:
            return items[0]
        return f"{', '.join(items[:-1])} {conj} {items[-1]}"
