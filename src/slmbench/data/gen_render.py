"""Text rendering shared by all schemas: field labels, the generic `kv` style, prose helpers.

The `kv` style writes "Label: value" lines in schema order (sometimes shuffled), nested objects
as indented blocks (or flattened to "Parent child:" labels), arrays of objects as numbered or
bulleted entries. Labels vary: "Item Id", "Item ID", "Item id" or a synonym ("Device" for
`device_id`), so that a model learns the keys of a schema rather than copying the labels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from slmbench.data.gen_values import Gen, humanize, number_text

MONEY_KEYS = frozenset(
    {
        "price",
        "unit_price",
        "line_total",
        "subtotal",
        "tax",
        "shipping",
        "total",
        "amount",
        "fare",
        "rate_per_night",
        "annual_salary",
        "discount",
    }
)
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
TRUE_WORDS = ("yes", "true", "Yes")
FALSE_WORDS = ("no", "false", "No")


def label(g: Gen, key: str) -> str:
    """A label for a key: a synonym now and then, else the key in words, cased three ways."""
    synonyms = LABEL_SYNONYMS.get(key)
    if synonyms and g.chance(0.3):
        return g.pick(synonyms)
    words = key.split("_")
    roll = g.rng.random()
    if roll < 0.6:
        return " ".join(w.capitalize() for w in words)
    if roll < 0.8:
        return " ".join(
            w.upper() if w in ("id", "ip", "url", "po") else w.capitalize() for w in words
        )
    return humanize(key).capitalize()


def scalar_text(g: Gen, key: str, value, node: dict, currency: str | None) -> str:
    """One leaf value as it would appear after a label."""
    if isinstance(value, bool):
        return g.pick(TRUE_WORDS if value else FALSE_WORDS)
    if isinstance(value, float) and key in MONEY_KEYS:
        return g.say_money(value, currency)
    if isinstance(value, int | float):
        text = number_text(value)
        if key.endswith("_percent"):
            return text + "%"
        return f"{value:,}" if isinstance(value, int) and value >= 10000 and g.chance(0.5) else text
    if node.get("format") == "date":
        return g.say_date(value)
    if "enum" in node and g.chance(0.5):
        return g.say_enum(value)
    return value


@dataclass
class KvLayout:
    bullet: str
    numbered: bool
    flatten: bool


def render_kv(g: Gen, record: dict, schema: dict, title: str | None) -> str:
    """The `kv` style for any schema: labelled lines, nested blocks indented by two spaces."""
    layout = KvLayout(
        bullet=g.pick(["", "", "", "- "]), numbered=g.chance(0.5), flatten=g.chance(0.3)
    )
    currency = record.get("currency") or (record.get("budget") or {}).get("currency")
    lines = _object_lines(g, record, schema, currency, layout, "", g.chance(0.25))
    text = "\n".join(lines)
    return f"{title}\n\n{text}" if title else text


def _object_lines(
    g: Gen, obj: dict, node: dict, currency, layout: KvLayout, pad: str, shuffle: bool = False
) -> list[str]:
    props = node["properties"]
    keys = [k for k in props if k in obj]
    if shuffle:
        g.rng.shuffle(keys)
    lines: list[str] = []
    lead = pad + (layout.bullet if not pad else "")
    for key in keys:
        value, sub = obj[key], props[key]
        name = label(g, key)
        if isinstance(value, dict):
            if layout.flatten and not pad and _is_flat(value):
                for k2, v2 in value.items():
                    sub2 = sub["properties"][k2]
                    lines.append(
                        f"{lead}{name} {lower_first(label(g, k2))}: "
                        f"{scalar_text(g, k2, v2, sub2, currency)}"
                    )
            else:
                lines.append(f"{lead}{name}:")
                lines.extend(_object_lines(g, value, sub, currency, layout, pad + "  "))
        elif isinstance(value, list):
            items_node = sub.get("items", {})
            if value and isinstance(value[0], dict):
                lines.append(f"{lead}{name}:")
                lines.extend(_array_lines(g, value, items_node, currency, layout, pad + "  "))
            else:
                texts = [scalar_text(g, key, v, items_node, currency) for v in value]
                sep = "; " if any("," in t for t in texts) else ", "
                lines.append(f"{lead}{name}: {sep.join(texts)}")
        else:
            lines.append(f"{lead}{name}: {scalar_text(g, key, value, sub, currency)}")
    return lines


def _array_lines(g: Gen, items: list[dict], node: dict, currency, layout: KvLayout, pad: str):
    lines: list[str] = []
    joiner = g.pick([" | ", "; "])
    for i, item in enumerate(items, start=1):
        if layout.numbered and _is_flat(item):
            props = node["properties"]
            parts = [
                f"{label(g, k)}: {scalar_text(g, k, v, props[k], currency)}"
                for k, v in item.items()
            ]
            lines.append(f"{pad}{i}. {joiner.join(parts)}")
            continue
        block = _object_lines(g, item, node, currency, layout, pad + "  ")
        marker = f"{i}." if layout.numbered else "-"
        lines.append(f"{pad}{marker} {block[0].lstrip()}")
        lines.extend(block[1:])
    return lines


def lower_first(label_text: str) -> str:
    """Lower-case the first letter of a label unless its first word has other capitals.

    >>> lower_first("Postal Code"), lower_first("SpO2"), lower_first("IP")
    ('postal Code', 'SpO2', 'IP')
    """
    first_word = label_text.split(" ")[0]
    if any(c.isupper() for c in first_word[1:]):
        return label_text
    return label_text[:1].lower() + label_text[1:]


def _is_flat(obj: dict) -> bool:
    return not any(isinstance(v, dict | list) for v in obj.values())


# -- prose helpers ----------------------------------------------------------------------------
def shuffled(g: Gen, sentences: list[str], keep_first: int = 1) -> list[str]:
    """The first `keep_first` sentences stay; the rest come in a random order."""
    head, tail = sentences[:keep_first], sentences[keep_first:]
    g.rng.shuffle(tail)
    return head + tail


def paragraph(g: Gen, sentences: list[str], keep_first: int = 1) -> str:
    return " ".join(s for s in shuffled(g, sentences, keep_first) if s)


def with_context(g: Gen, text: str, before: list[str], after: list[str], p: float = 0.5) -> str:
    """Surround a text with an optional opening and closing line (distractor context)."""
    if before and g.chance(p):
        text = f"{g.pick(before)}\n\n{text}"
    if after and g.chance(p):
        text = f"{text}\n\n{g.pick(after)}"
    return text


@dataclass(frozen=True)
class Domain:
    """How to generate one schema's records and render them in the `prose` and `message` styles
    (the `kv` style is generic: `render_kv`)."""

    schema_id: str
    titles: tuple[str, ...]
    """Headings the `kv` style may start with."""
    make: Callable[[Gen], dict]
    """A gold record, consistent by construction, in schema key order."""
    prose: Callable[[Gen, dict], str]
    message: Callable[[Gen, dict], str]
    intros: tuple[str, ...] = ()
    """Opening lines any style may start with: context that carries no field value."""
    outros: tuple[str, ...] = ()
    """Closing lines any style may end with, likewise."""
