"""Labels for fields and spellings for values, as documents write them, within the grounding
contract of `slmbench.data.grounding` (what `data validate` checks).

Labels vary per row: the key in words cased three ways, the schema's `title`, a short
`description`, a synonym (`LABEL_SYNONYMS`) or an abbreviation ("Order No.",
"Qty"), so that a model learns the keys rather than copying the labels. Values: money with
thousands separators and a currency symbol or code ("$1,299.00", "EUR 5.50"), percentages
("15%"), large integers with separators, `format: date` as ISO or "March 5, 2024" /
"5 March 2024", enums in words ("in progress", "In Progress"), booleans and nulls as words.
Strings are written verbatim: the contract is case-sensitive for them.
"""

from __future__ import annotations

from typing import Any

from slmbench.data.gen_values import Gen, number_text
from slmbench.data.synth.values import field_kind, key_words


def _words(text: str) -> list[str]:
    return text.split()


ACRONYMS = frozenset(
    _words("id ip url uri po sku vat iban uuid api sms os cpu ram dob eta pnr iso")
)
# Synonyms of common field names (a content file adds a schema's own: `content.py`).
LABEL_SYNONYMS: dict[str, tuple[str, ...]] = {
    "device_id": ("Device", "Sensor ID", "Unit"),
    "email": ("E-mail", "Email address", "Mail"),
    "work_email": ("Email", "Work e-mail", "Company email"),
    "full_name": ("Name", "Employee", "Contact name"),
    "phone": ("Phone number", "Tel", "Telephone"),
    "company": ("Organization", "Employer", "Organisation"),
    "raised_at": ("Time", "Triggered at", "Alert time"),
    "ticker": ("Symbol", "Ticker symbol"),
    "change_percent": ("Change", "Change (%)", "Daily change"),
    "tracking_number": ("Tracking no.", "Tracking #", "Tracking ID"),
    "estimated_delivery": ("ETA", "Expected delivery", "Delivery estimate"),
    "flag_key": ("Flag", "Feature flag", "Key"),
    "rollout_percent": ("Rollout", "Rollout (%)", "Traffic share"),
    "reviewer_name": ("Reviewer", "Reviewed by", "Author"),
    "verified_purchase": ("Verified buyer", "Verified"),
    "station_code": ("Station", "Station ID"),
    "observed_on": ("Date", "Observation date"),
    "temperature_c": ("Temperature (C)", "Temp (°C)", "Temperature"),
    "conditions": ("Sky", "Weather"),
    "ip_address": ("IP", "Source IP", "Client IP"),
    "succeeded": ("Success", "Login successful", "Result OK"),
    "attempted_at": ("Time", "Timestamp"),
    "base_currency": ("From", "Base"),
    "quote_currency": ("To", "Quote", "Counter currency"),
    "quoted_at": ("As of", "Quote time"),
    "url": ("Link", "Address", "URL"),
    "saved_on": ("Saved", "Date saved", "Added on"),
    "invoice_id": ("Invoice no.", "Invoice #", "Invoice number"),
    "issue_date": ("Date", "Invoice date", "Issued"),
    "due_date": ("Due", "Payment due", "Due by"),
    "line_items": ("Items", "Lines"),
    "quantity": ("Qty", "Units"),
    "unit_price": ("Price", "Unit cost", "Each"),
    "line_total": ("Amount", "Line amount"),
    "total": ("Total due", "Grand total", "Amount due"),
    "booking_reference": ("PNR", "Booking ref", "Record locator"),
    "flight_number": ("Flight", "Flight no."),
    "departure": ("Departs", "Departure time"),
    "collected_at": ("Collected", "Specimen collected", "Collection time"),
    "ordering_physician": ("Ordered by", "Physician", "Requesting doctor"),
    "transfer_id": ("Transfer ref", "Payment ID"),
    "execution_date": ("Value date", "Executed on", "Execution"),
    "reference": ("Payment reference", "Memo", "Description"),
    "hire_date": ("Start date", "Hired", "Joined"),
    "annual_salary": ("Salary", "Base salary", "Annual pay"),
    "skills": ("Skill set", "Competencies"),
    "started_at": ("Start", "Started"),
    "finished_at": ("End", "Finished", "Completed at"),
    "sent_at": ("Time", "Sent", "Posted at"),
    "display_name": ("Name", "Shown as"),
    "confirmation_number": ("Confirmation", "Conf. no.", "Confirmation code"),
    "check_in": ("Arrival", "Check-in"),
    "check_out": ("Departure", "Check-out"),
    "rate_per_night": ("Nightly rate", "Rate", "Price per night"),
    "replicas": ("Instances", "Replica count"),
    "interval_seconds": ("Interval (s)", "Every (seconds)"),
    "po_number": ("PO", "PO #", "Order number"),
    "order_date": ("Ordered", "Date"),
    "payment_terms": ("Terms", "Payment"),
    "requested_delivery": ("Deliver by", "Need by", "Delivery date"),
    "postal_code": ("ZIP", "Zip code", "Postcode"),
    "date_of_birth": ("DOB", "Born", "Birth date"),
    "member_id": ("Member #", "Policy member ID"),
    "heart_rate": ("Pulse", "HR"),
    "spo2_percent": ("SpO2", "O2 saturation"),
    "systolic_bp": ("Systolic", "BP systolic"),
    "diastolic_bp": ("Diastolic", "BP diastolic"),
    "battery_percent": ("Battery", "Battery (%)"),
    "users_affected": ("Affected users", "Users impacted"),
    "detected_at": ("Detected", "First seen"),
    "resolved_at": ("Resolved", "Closed at"),
    "from_city": ("From", "Origin"),
    "to_city": ("To", "Destination"),
}
ABBREVIATIONS = {
    "number": ("No.", "#", "Nr."),
    "quantity": ("Qty",),
    "identifier": ("ID",),
    "reference": ("Ref.", "Ref"),
    "description": ("Desc.",),
    "telephone": ("Tel.",),
    "phone": ("Tel.", "Ph."),
    "amount": ("Amt",),
    "address": ("Addr.",),
}
NULL_SPELLINGS = ("N/A", "n/a", "none", "not provided", "unknown", "not specified")
BOOL_SPELLINGS: tuple[tuple[frozenset[str], tuple[str, str]], ...] = (
    (frozenset(("enabled", "enable")), ("enabled", "disabled")),
    (frozenset(("active",)), ("active", "inactive")),
    (frozenset(("verified",)), ("verified", "not verified")),
    (frozenset(("stock", "available", "availability")), ("in stock", "out of stock")),
    (frozenset(("confirmed",)), ("confirmed", "not confirmed")),
)
PLAIN_BOOLS = (("yes", "no"), ("Yes", "No"), ("true", "false"), ("YES", "NO"))
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}
MAX_LABEL_WORDS = 5
UNITS = frozenset(("kg", "lb", "lbs", "km", "cm", "mm", "g", "m", "l", "ml"))


def words_label(key: str, style: int) -> str:
    """The key in words: 0 Title Case, 1 Title Case with acronyms upper, 2 Sentence case.

    >>> [words_label("po_number", s) for s in (0, 1, 2)], words_label("shipToCity", 0)
    (['Po Number', 'PO Number', 'Po number'], 'Ship To City')
    """
    words = key_words(key) or [key]
    if style == 0:
        return " ".join(w.capitalize() for w in words)
    if style == 1:
        return " ".join(w.upper() if w in ACRONYMS else w.capitalize() for w in words)
    return " ".join(words).capitalize()


def label_variants(key: str, node: dict) -> list[str]:
    """Every label a field may get, most usual first, without repeats.

    >>> label_variants("order_number", {"title": "Purchase order"})
    ['Order Number', 'Order number', 'Purchase order', 'Order No.', 'Order #', 'Order Nr.']
    """
    out = [words_label(key, 0), words_label(key, 1), words_label(key, 2)]
    for text in (node.get("title"), node.get("description")):
        if isinstance(text, str) and 0 < len(text.split()) <= MAX_LABEL_WORDS:
            text = text.strip().rstrip(".")
            if text and "." not in text and ":" not in text:
                out.append(text[0].upper() + text[1:])
    out.extend(LABEL_SYNONYMS.get(key, ()))
    words = key_words(key)
    if len(words) > 1 and words[-1] in ABBREVIATIONS:
        head = words_label("_".join(words[:-1]), 1)
        out.extend(f"{head} {abbr}" for abbr in ABBREVIATIONS[words[-1]])
    elif len(words) == 1 and words[0] in ABBREVIATIONS:
        out.extend(ABBREVIATIONS[words[0]])
    return list(dict.fromkeys(out))


def lower_first(label_text: str) -> str:
    """Lower-case the first letter of a label unless its first word has other capitals.

    >>> lower_first("Postal Code"), lower_first("SpO2"), lower_first("IP")
    ('postal Code', 'SpO2', 'IP')
    """
    first_word = label_text.split(" ")[0]
    if any(c.isupper() for c in first_word[1:]):
        return label_text
    return label_text[:1].lower() + label_text[1:]


class Wording:
    """Labels and spellings of one build (label variants cached per field)."""

    def __init__(self, g: Gen):
        self.g = g
        self._labels: dict[tuple, list[str]] = {}

    def label(self, key: str, node: dict) -> str:
        cache_key = (key, node.get("title"), node.get("description"))
        variants = self._labels.get(cache_key)
        if variants is None:
            variants = self._labels[cache_key] = label_variants(key, node)
        if len(variants) == 1 or self.g.chance(0.4):
            return variants[0]
        return self.g.pick(variants[1:])

    def spell(self, value: Any, node: dict, key: str, currency: str | None = None) -> str:
        """One leaf value as a document writes it (grounded under the contract)."""
        g = self.g
        if value is None:
            return g.pick(NULL_SPELLINGS)
        if isinstance(value, bool):
            return self.spell_bool(value, key)
        if isinstance(value, int | float):
            return self.spell_number(value, key, currency)
        if not isinstance(value, str):
            return str(value)
        if node.get("format") == "date":
            return g.say_date(value) if len(value) == 10 else value
        if "enum" in node and g.chance(0.5):
            return g.say_enum(value) if g.chance(0.8) else value.upper()
        return value

    def spell_bool(self, value: bool, key: str) -> str:
        words = set(key_words(key))
        for marks, pair in BOOL_SPELLINGS:
            if marks & words and self.g.chance(0.7):
                return pair[0] if value else pair[1]
        pair = self.g.pick(PLAIN_BOOLS)
        return pair[0] if value else pair[1]

    def spell_number(self, value: int | float, key: str, currency: str | None) -> str:
        g = self.g
        kind = field_kind(key, "", "number")
        if kind == "money" and abs(value) < 1e9:
            if currency in CURRENCY_SYMBOLS and g.chance(0.3):
                return f"{CURRENCY_SYMBOLS[currency]}{value:,.2f}"
            return g.say_money(float(value), currency)
        text = number_text(value)
        if "e" in text:
            return text
        if kind == "percent" and g.chance(0.8):
            return text + "%"
        unit = next((w for w in key_words(key) if w in UNITS), None)
        if kind == "measure" and unit and g.chance(0.8):
            return f"{text} {unit}"
        if isinstance(value, int) and abs(value) >= 10000 and g.chance(0.5):
            return f"{value:,}"
        if isinstance(value, float) and abs(value) >= 10000 and g.chance(0.3):
            return f"{value:,}"
        return text


def currency_of(obj: dict) -> str | None:
    """The currency a record's amounts are in, when a field says it.

    >>> currency_of({"currency": "EUR"}), currency_of({"currency_code": "usd"}), currency_of({})
    ('EUR', None, None)
    """
    for key in ("currency", "currency_code", "currencyCode"):
        value = obj.get(key)
        if isinstance(value, str) and len(value) == 3 and value.isupper():
            return value
    return None
