"""From labelled examples: locating gold values in their texts, templates, fresh values of the
same kind written the same way, reports of what could not be located, and bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from slmbench.data.gen_values import Gen
from slmbench.data.rows import read_rows
from slmbench.data.synth import SynthOptions, synth
from slmbench.data.synth.build import load_docs
from slmbench.data.synth.examples import read_examples
from slmbench.data.synth.forms import DateForm, NumberForm, TextForm
from slmbench.data.synth.locate import fuzzy_find
from slmbench.data.synth.schema_walk import SchemaDoc
from slmbench.data.synth.substitute import Substituter
from slmbench.data.synth.templates import make_template
from slmbench.data.synth.values import ValueMaker
from slmbench.errors import DataError

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "shipping_notice"
SCHEMA = {
    "type": "object",
    "properties": {
        "invoice_no": {"type": "string"},
        "customer": {"type": "string"},
        "issued": {"type": "string", "format": "date"},
        "status": {"enum": ["paid", "past_due", "open"]},
        "amount": {"type": "number"},
        "address": {"type": "string"},
        "rush": {"type": "boolean"},
        "lines": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}},
                "required": ["sku", "qty"],
            },
        },
    },
    "required": ["invoice_no", "customer", "lines"],
}
TEXT = """INVOICE No. INV-2024-0042
Customer: ACME LTD
Issued: 05.03.2024        Status: Past Due
Amount due: 1.299,50 EUR
Bill to: 12 Harbour Road
Springfield
Rush order: yes
1. SKU-100  qty 2
2. SKU-200  qty 10"""
GOLD = {
    "invoice_no": "INV-2024-0042",
    "customer": "Acme Ltd",
    "issued": "2024-03-05",
    "status": "past_due",
    "amount": 1299.5,
    "address": "12 Harbour Road, Springfield",
    "rush": True,
    "lines": [{"sku": "SKU-100", "qty": 2}, {"sku": "SKU-200", "qty": 10}],
}


def template():
    return make_template(SchemaDoc("invoice", SCHEMA), GOLD, TEXT, "t:1")


def test_every_leaf_is_located_with_how_it_is_written():
    t = template()
    assert t.unlocated == []
    by_path = {s.paths[0]: s for s in t.slots}
    assert by_path[("customer",)].original == "ACME LTD"
    assert by_path[("customer",)].form == TextForm(case="upper")
    assert by_path[("issued",)].form == DateForm("%d.%m.%Y")
    assert by_path[("amount",)].form == NumberForm(decimals=2, thousands=".", decimal=",")
    assert by_path[("status",)].original == "Past Due"
    assert by_path[("address",)].original == "12 Harbour Road\nSpringfield"
    assert by_path[("rush",)].original == "yes"
    assert by_path[("lines", 1, "qty")].original == "10"
    assert [r.path for r in t.rows] == [("lines",)]


def test_fresh_rows_keep_the_layout_and_the_ways_of_writing():
    t = template()
    g = Gen(0)
    sub = Substituter(SchemaDoc("invoice", SCHEMA), ValueMaker(g), [t])
    seen_counts = set()
    for _ in range(30):
        gold, text = sub.fill(t)
        assert gold != GOLD
        assert text.startswith("INVOICE No. INV-")
        assert re.search(r"Issued: \d{2}\.\d{2}\.\d{4}", text)
        day = gold["issued"]
        assert f"{day[8:]}.{day[5:7]}.{day[:4]}" in text
        assert re.fullmatch(r"INV-\d{4}-\d{4}", gold["invoice_no"])
        amount = f"{gold['amount']:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
        assert amount in text
        assert gold["customer"].upper() in text
        lines = [line for line in text.splitlines() if "qty" in line]
        assert len(lines) == len(gold["lines"])
        assert [line.split(".")[0] for line in lines] == [str(i + 1) for i in range(len(lines))]
        for line, item in zip(lines, gold["lines"], strict=True):
            assert item["sku"] in line and f"qty {item['qty']}" in line
        seen_counts.add(len(gold["lines"]))
    assert len(seen_counts) > 1


def test_approximate_matches_find_ocr_errors():
    assert fuzzy_find("bayview hardware", "consignee: bayv1ew hardware, 31", 3) == [(11, 27, 1)]
    doc = SchemaDoc("s", {"type": "object", "properties": {"name": {"type": "string"}}})
    t = make_template(doc, {"name": "Bayview Hardware"}, "Consignee: Bayv1ew Hardware", "x")
    assert t.slots[0].original == "Bayv1ew Hardware"
    assert t.slots[0].form.noise > 0


def test_the_shipping_example_reports_unlocated_fields_and_uses_the_rest():
    docs = load_docs(EXAMPLE / "schema.json")
    sets = read_examples(EXAMPLE / "examples.jsonl", docs)
    report = sets["schema"].report()
    assert report["examples"] == 10
    assert report["fields"]["ship_date"] == {"located": 10, "not_located": 0}
    unlocated = {(e["example"].split(" ")[1], e["path"]) for e in report["not_located"]}
    assert ("id=asn-10", "ship_to.country") not in unlocated  # "United Kingdom" for GB
    assert ("id=asn-04", "service_level") in unlocated  # "Priority Mail" for express
    assert all(t.slots for t in sets["schema"].templates)


def test_a_build_mixes_template_and_rendered_rows(tmp_path):
    out = synth(
        SynthOptions(
            schema=EXAMPLE / "schema.json",
            examples=EXAMPLE / "examples.jsonl",
            out=tmp_path,
            n=80,
            n_test=10,
        )
    )
    rows = read_rows(out / "train.jsonl")
    styles = [r.style for r in rows]
    assert styles.count("template") == 40
    assert len({r.prompt for r in rows}) == 80
    validator = SchemaDoc("s", json.loads((EXAMPLE / "schema.json").read_text())).validator()
    for row in rows:
        assert list(validator.iter_errors(row.expected_output)) == []
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["examples"]["schema"]["examples"] == 10
    assert manifest["rows"]["template_rows"] == 45
    grounding = manifest["grounding"]["template"]
    assert 0 < grounding["outside_contract"] < grounding["leaves"]


def write(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_bad_examples_are_one_line_errors_naming_file_line_and_path(tmp_path):
    docs = {"invoice": SchemaDoc("invoice", SCHEMA)}
    good = {"text": TEXT, "output": GOLD}
    with pytest.raises(DataError, match="examples file is empty"):
        read_examples(write(tmp_path / "e.jsonl", []), docs)
    bad_gold = {**GOLD, "lines": [{"sku": "A", "qty": "two"}]}
    with pytest.raises(DataError, match=r"e\.jsonl:2: output does not match .* at /lines/0/qty"):
        read_examples(write(tmp_path / "e.jsonl", [good, {"text": TEXT, "output": bad_gold}]), docs)
    nowhere = {"text": "nothing to see here", "output": GOLD}
    with pytest.raises(DataError, match=r"e\.jsonl:1: none of this example's output values"):
        read_examples(write(tmp_path / "e.jsonl", [nowhere]), docs)
    (tmp_path / "e.jsonl").write_text("{oops\n")
    with pytest.raises(DataError, match=r"e\.jsonl:1: malformed JSON"):
        read_examples(tmp_path / "e.jsonl", docs)
    two = {**docs, "other": SchemaDoc("other", SCHEMA)}
    with pytest.raises(DataError, match="'schema_id' is needed"):
        read_examples(write(tmp_path / "e.jsonl", [good]), two)
    with pytest.raises(DataError, match="unknown schema_id 'nope'"):
        read_examples(write(tmp_path / "e.jsonl", [{**good, "schema_id": "nope"}]), two)
