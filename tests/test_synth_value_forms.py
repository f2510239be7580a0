"""Template rows from examples whose values are of well-known forms (fresh values of the same
form: real UUIDs, emails on the examples' domain, products for a product field) and from
hand-written real-document examples whose labels are not verbatim in the text (a date written
"5 March 2024" for 2024-03-05, "$1,204.50" for 1204.5, a country's name for its code): every
such value is located, and a fresh value is written the way the example wrote it, so that the
engine's own locator finds every value of every template row again."""

from __future__ import annotations

import ipaddress
import json
import re
import uuid

import pycountry
import pytest

from slmbench.data.gen_values import Gen
from slmbench.data.rows import read_rows
from slmbench.data.synth import SynthOptions, synth
from slmbench.data.synth.forms import DateForm, NumberForm, format_date, parse_iso
from slmbench.data.synth.normalised import CodeNameForm, LayoutForm, NameOrderForm, PercentForm
from slmbench.data.synth.schema_walk import SchemaDoc
from slmbench.data.synth.substitute import Substituter
from slmbench.data.synth.templates import make_template
from slmbench.data.synth.value_forms import _first_names
from slmbench.data.synth.values import ValueMaker

FILLS = 40
IDS_SCHEMA = {
    "type": "object",
    "properties": {
        "record_id": {"type": "string"},
        "contact_email": {"type": "string"},
        "homepage": {"type": "string"},
        "server_ip": {"type": "string"},
        "phone": {"type": "string"},
        "price_text": {"type": "string"},
        "build_hash": {"type": "string"},
        "product_name": {"type": "string"},
    },
}
IDS_SCHEMA["required"] = list(IDS_SCHEMA["properties"])
IDS_EXAMPLES = [
    (
        "Record 320689b8-9075-4049-a05c-907d88ec242f\nContact: ann.lee@acme.io\n"
        "Web: https://acme.io/products/42\nServer: 10.20.1.17\nPhone: +1 (555) 010-2030\n"
        "Price: $1,204.50\nBuild: 9f86d081e5\nProduct: Marco Brown",
        {
            "record_id": "320689b8-9075-4049-a05c-907d88ec242f",
            "contact_email": "ann.lee@acme.io",
            "homepage": "https://acme.io/products/42",
            "server_ip": "10.20.1.17",
            "phone": "+1 (555) 010-2030",
            "price_text": "$1,204.50",
            "build_hash": "9f86d081e5",
            "product_name": "Marco Brown",
        },
    ),
    (
        "Record 0b5f3d1c-1f7e-4c1e-9a1b-2c3d4e5f6a7b\nContact: bo.diaz@acme.io\n"
        "Web: https://acme.io/products/7\nServer: 10.20.3.2\nPhone: +1 (555) 777-1234\n"
        "Price: $89.00\nBuild: 0a1b2c3d4e\nProduct: Diana Johnson",
        {
            "record_id": "0b5f3d1c-1f7e-4c1e-9a1b-2c3d4e5f6a7b",
            "contact_email": "bo.diaz@acme.io",
            "homepage": "https://acme.io/products/7",
            "server_ip": "10.20.3.2",
            "phone": "+1 (555) 777-1234",
            "price_text": "$89.00",
            "build_hash": "0a1b2c3d4e",
            "product_name": "Diana Johnson",
        },
    ),
]


def substituter(schema: dict, examples: list[tuple[str, dict]], seed: int = 0):
    doc = SchemaDoc("s", schema)
    templates = [
        make_template(doc, gold, text, f"x:{i}") for i, (text, gold) in enumerate(examples)
    ]
    return doc, templates, Substituter(doc, ValueMaker(Gen(seed)), templates)


def fills(sub: Substituter, templates: list, n: int = FILLS) -> list[tuple[dict, str]]:
    out = []
    for i in range(n):
        made = sub.fill(templates[i % len(templates)])
        assert made is not None
        out.append(made)
    return out


def test_values_of_well_known_forms_get_fresh_values_of_that_form():
    _, templates, sub = substituter(IDS_SCHEMA, IDS_EXAMPLES)
    assert all(t.unlocated == [] for t in templates)
    given = {k for _, gold in IDS_EXAMPLES for k in gold.values()}
    for gold, text in fills(sub, templates):
        for value in gold.values():
            assert value in text
        rid = gold["record_id"]
        assert str(uuid.UUID(rid)) == rid and rid[14] == "4" and rid not in given
        assert re.fullmatch(r"[a-z0-9.]+@acme\.io", gold["contact_email"])  # the shared domain
        assert re.fullmatch(r"https://acme\.io/\w+/\d+", gold["homepage"])
        ip = ipaddress.IPv4Address(gold["server_ip"])
        assert str(ip).startswith("10.20.")  # the octets every example shares
        assert re.fullmatch(r"\+1 \(\d{3}\) \d{3}-\d{4}", gold["phone"])
        assert re.fullmatch(r"\$(\d{1,3}(,\d{3})*|\d+)\.\d{2}", gold["price_text"])
        assert re.fullmatch(r"[0-9a-f]{10}", gold["build_hash"])
        # The field's name says product: never a person's name, whatever the examples hold.
        assert gold["product_name"].split()[0] not in _first_names()
    assert len({gold["record_id"] for gold, _ in fills(sub, templates, 10)}) == 10


def test_a_code_field_of_words_and_a_field_of_names_keep_their_kind():
    schema = {
        "type": "object",
        "properties": {"sku": {"type": "string"}, "device_name": {"type": "string"}},
        "required": ["sku", "device_name"],
    }
    examples = [
        (
            "SKU: Nothing\nDevice: Colleen Rivera",
            {"sku": "Nothing", "device_name": "Colleen Rivera"},
        ),
        ("SKU: Street\nDevice: Joseph Collins", {"sku": "Street", "device_name": "Joseph Collins"}),
    ]
    _, templates, sub = substituter(schema, examples)
    words = {w.lower() for w in sub.maker.pool("word")}
    for gold, _ in fills(sub, templates, 20):
        assert gold["sku"].lower() in words  # a word, not random letters
        assert gold["device_name"].split()[0] in _first_names()


SCHEMA = {
    "type": "object",
    "properties": {
        "payer": {"type": "string"},
        "paid_on": {"type": "string", "format": "date"},
        "amount": {"type": "number"},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "country": {"type": "string", "pattern": "^[A-Z]{2}$", "description": "ISO 3166 code"},
        "state": {"type": "string"},
        "phone": {"type": "string"},
        "discount_rate": {"type": "number", "minimum": 0, "maximum": 1},
    },
    "required": ["payer", "paid_on", "amount", "currency", "country"],
}
# Hand-written, as real documents write such values: none of these labels is verbatim.
EXAMPLES = [
    {
        "text": "REMITTANCE ADVICE\nPayer: DOE, JANE\nPaid 5 March 2024 - $1,204.50\n"
        "Ship to: Leeds, United Kingdom\nTel +44 (113) 496-0000\nDiscount 15.5% applied",
        "output": {
            "payer": "Jane Doe",
            "paid_on": "2024-03-05",
            "amount": 1204.5,
            "currency": "USD",
            "country": "GB",
            "phone": "+441134960000",
            "discount_rate": 0.155,
        },
    },
    {
        "text": "Payment received from SMITH, ROBERT on 17 June 2023: €89.90 (Ireland).\n"
        "State on file: California. Call +1 (415) 555-0199.",
        "output": {
            "payer": "Robert Smith",
            "paid_on": "2023-06-17",
            "amount": 89.9,
            "currency": "EUR",
            "country": "IE",
            "state": "CA",
            "phone": "+14155550199",
        },
    },
    {
        "text": "Thanks, Lee, Anna! We got your £2,000.00 on 1 July 2024. Country: Germany.\n"
        "A 5% early-payment discount was applied.",
        "output": {
            "payer": "Anna Lee",
            "paid_on": "2024-07-01",
            "amount": 2000.0,
            "currency": "GBP",
            "country": "DE",
            "discount_rate": 0.05,
        },
    },
    {
        "text": "Receipt - payer Okafor, Sam - paid 2 February 2024 - $310.00 - from Canada",
        "output": {
            "payer": "Sam Okafor",
            "paid_on": "2024-02-02",
            "amount": 310.0,
            "currency": "USD",
            "country": "CA",
        },
    },
]


def example_templates():
    doc = SchemaDoc("remittance", SCHEMA)
    return doc, [
        make_template(doc, e["output"], e["text"], f"e:{i}") for i, e in enumerate(EXAMPLES)
    ]


def test_normalised_labels_are_located_with_how_the_text_writes_them():
    _, templates = example_templates()
    assert [t.unlocated for t in templates] == [[]] * len(EXAMPLES)
    forms = {p[0]: s.form for s in templates[0].slots for p in s.paths}
    assert forms["paid_on"] == DateForm("%-d %B %Y")
    assert forms["amount"] == NumberForm(decimals=2, thousands=",")
    assert forms["currency"] == CodeNameForm("currency", "sign")
    assert forms["country"] == CodeNameForm("country", "name")
    assert forms["payer"] == NameOrderForm("upper")
    assert isinstance(forms["phone"], LayoutForm)
    assert isinstance(forms["discount_rate"], PercentForm)
    state = {p[0]: s for s in templates[1].slots for p in s.paths}["state"]
    assert (state.original, state.form) == ("California", CodeNameForm("us_state", "name"))


def test_fresh_values_are_written_in_the_examples_surface_forms():
    doc, templates = example_templates()
    sub = Substituter(doc, ValueMaker(Gen(1)), templates)
    first = templates[0]
    for _ in range(FILLS):
        gold, text = sub.fill(first)
        day = parse_iso(gold["paid_on"])
        assert f"Paid {format_date(day, '%-d %B %Y')} - " in text  # e.g. "17 June 2023"
        assert f"{gold['amount']:,.2f}" in text
        country = pycountry.countries.get(alpha_2=gold["country"])
        assert re.fullmatch(r"[A-Z]{2}", gold["country"]) and country.name in text
        last, *first_names = reversed(gold["payer"].split())
        assert f"Payer: {last.upper()}, {' '.join(reversed(first_names)).upper()}" in text
        digits = gold["phone"].lstrip("+")
        assert f"Tel +{digits[:2]} ({digits[2:5]}) {digits[5:8]}-{digits[8:]}" in text
        assert re.fullmatch(r"\+\d{12}", gold["phone"])
        if "discount_rate" in gold:
            assert f"Discount {100 * gold['discount_rate']:.1f}% applied" in text
        assert 0 <= gold.get("discount_rate", 0) <= 1


def test_every_template_row_of_a_build_is_located_again(tmp_path):
    (tmp_path / "remittance.json").write_text(json.dumps(SCHEMA))
    examples = tmp_path / "examples.jsonl"
    examples.write_text("".join(json.dumps(e) + "\n" for e in EXAMPLES))
    out = synth(
        SynthOptions(
            schema=tmp_path / "remittance.json",
            examples=examples,
            out=tmp_path / "out",
            n=60,
            n_test=6,
            template_share=1.0,
        )
    )
    manifest = json.loads((out / "manifest.json").read_text())
    fields = manifest["examples"]["remittance"]["fields"]
    assert all(f["not_located"] == 0 for f in fields.values()), fields
    doc = SchemaDoc("remittance", SCHEMA)
    rows = [r for r in read_rows(out / "train.jsonl") if r.style == "template"]
    assert len(rows) >= 50
    for row in rows:
        again = make_template(doc, row.expected_output, row.prompt, row.id)
        assert again.unlocated == [], (row.prompt, [leaf.path for leaf in again.unlocated])


@pytest.mark.parametrize(
    ("text", "gold", "written"),
    [
        ("Origin: USA", "US", "USA"),
        ("Origin: united kingdom", "GB", "united kingdom"),
        ("Origin: DEU", "DE", "DEU"),
    ],
)
def test_country_codes_written_as_short_names_or_other_codes(text, gold, written):
    schema = {"type": "object", "properties": {"origin_country": {"type": "string"}}}
    t = make_template(SchemaDoc("s", schema), {"origin_country": gold}, text, "x")
    assert [s.original for s in t.slots] == [written]
