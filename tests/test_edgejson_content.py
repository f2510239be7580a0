"""EdgeJSON on the data engine: content folders, content files and hooks, and what a build
of them promises (`slmbench.data.synth.content*`, `slmbench.data.generate`)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from slmbench.data.generate import GENERATOR, build_dataset, build_rows, content_digest
from slmbench.data.grounding import ungrounded_leaves
from slmbench.data.schemas import PACKAGE_SCHEMA_DIR, load_schemas
from slmbench.data.synth.content import CONTENT_FILE, HOOKS_FILE, content_path, load_content
from slmbench.data.synth.schema_walk import SchemaDoc
from slmbench.data.validate import validate_file
from slmbench.errors import DataError, SlmbenchError


@pytest.fixture(scope="module")
def rows() -> list:
    splits = build_rows(seed=7, n_train=300, n_test=60)
    return splits["train"] + splits["test"]


def test_every_packaged_schema_is_a_folder_with_its_content():
    schemas = load_schemas()
    assert len(schemas) == 24
    for schema_id, info in schemas.items():
        assert info.path == PACKAGE_SCHEMA_DIR / info.tier / schema_id / "schema.json"
        content = load_content(content_path(info.path), SchemaDoc(schema_id, info.schema))
        assert content.titles and content.intros and content.outros, schema_id
        assert content.sentences and content.messages, schema_id
        set_by_hook = [s.path for s in content.fields.values() if s.hook]
        has_hooks = (info.path.parent / HOOKS_FILE).is_file()
        assert has_hooks == (content.hook is not None), schema_id
        assert not set_by_hook or has_hooks, (schema_id, set_by_hook)
    # The per-schema generators are gone: only the engine's value source is left.
    assert sorted(p.name for p in PACKAGE_SCHEMA_DIR.parent.glob("gen_*.py")) == ["gen_values.py"]


def test_every_row_validates_is_grounded_and_keeps_schema_key_order(rows):
    schemas = load_schemas()
    for row in rows:
        info = schemas[row.schema_id]
        assert not list(info.validator().iter_errors(row.expected_output)), row.id
        assert not ungrounded_leaves(row.expected_output, row.prompt, info.schema)[1], row.id
        order = list(info.schema["properties"])
        assert list(row.expected_output) == sorted(row.expected_output, key=order.index), row.id


def test_hooks_hold_their_cross_field_rules(rows):
    seen = Counter()
    for row in rows:
        g = row.expected_output
        if row.schema_id == "parcel_status" and g["status"] == "delivered":
            assert "estimated_delivery" not in g, row.id
            seen["delivered"] += 1
        if row.schema_id == "feature_flag" and not g["enabled"] and "rollout_percent" in g:
            assert g["rollout_percent"] == 0, row.id
            seen["flag"] += 1
        if row.schema_id == "chat_message":
            assert all(f"@{m}" in g["text"] for m in g.get("mentions", [])), row.id
            seen["chat"] += 1
        if row.schema_id == "flight_booking":
            segments = g["segments"]
            assert all(
                a["destination"] == b["origin"]
                for a, b in zip(segments, segments[1:], strict=False)
            )
            seen["flight"] += 1
        if row.schema_id == "trip_itinerary":
            legs = g["legs"]
            assert legs[-1]["to_city"] == legs[0]["from_city"], row.id
            assert all(a["to_city"] == b["from_city"] for a, b in zip(legs, legs[1:], strict=False))
            seen["trip"] += 1
        if row.schema_id == "lab_result":
            for t in g["tests"]:
                assert (t["flag"] == "normal") or t["flag"] in ("low", "high"), row.id
            seen["lab"] += 1
        if row.schema_id == "purchase_invoice":
            assert g["total"] == round(g["subtotal"] + g.get("tax", 0.0), 2), row.id
            if "due_date" in g:
                assert date.fromisoformat(g["due_date"]) > date.fromisoformat(g["issue_date"])
            seen["invoice"] += 1
    assert all(seen[k] for k in ("delivered", "chat", "flight", "trip", "lab", "invoice")), seen


def test_styles_take_turns_and_content_templates_are_used(rows):
    by_style = Counter(r.style for r in rows)
    assert set(by_style) == {"kv", "prose", "message"}
    assert max(by_style.values()) - min(by_style.values()) <= 24
    messages = [r.prompt for r in rows if r.style == "message"]
    assert any("[incident-bot]" in m or "VISIT NOTE" in m or "FX TICK" in m for m in messages)
    assert any(m.lstrip().startswith("Subject:") or "level=" in m for m in messages)


def test_a_fresh_build_passes_every_check_of_data_validate(tmp_path):
    manifest = build_dataset(tmp_path / "d", seed=1, n_train=90, n_test=30)
    assert manifest["generator"] == GENERATOR == "engine-1"
    assert manifest["content_sha256"] == content_digest(load_schemas())
    stored = json.loads((tmp_path / "d" / "manifest.json").read_text())
    assert stored["generator"] == GENERATOR
    report = validate_file(tmp_path / "d" / "train.jsonl", against=tmp_path / "d" / "test.jsonl")
    assert report.ok, report.render(10)
    assert report.counts["grounding"].passed == 90 and report.counts["arithmetic"].passed > 0


# -- a content folder of one's own ---------------------------------------------------------
SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Repair Ticket",
    "type": "object",
    "properties": {
        "ticket_id": {"type": "string"},
        "device": {"type": "string"},
        "hours": {"type": "number", "minimum": 0},
        "rate": {"type": "number", "minimum": 0},
        "cost": {"type": "number", "minimum": 0},
        "urgent": {"type": "boolean"},
        "notes": {"type": "string"},
    },
    "required": ["ticket_id", "device", "hours", "rate", "cost"],
    "additionalProperties": False,
}
CONTENT = """
titles: [Repair Ticket, Workshop Job]
intros: [From the workshop inbox.]
outros: [Parts are billed separately.]
tables:
  devices: [laptop, printer, router]
fields:
  ticket_id: {code: "RT-####", labels: [Job number]}
  device: {pool: [laptop, printer, router], weights: [1, 1, 2]}
  hours: {range: [1, 8], step: 0.5}
  rate: {range: [40, 90], say: number}
  cost: {hook: true, labels: [Amount due]}
  notes: {chance: 0.0}
prose:
  - "Job {{ ticket_id }}: the {{ device }} took {{ num(hours) }} hours at {{ num(rate) }} an hour."
  - "{{ 'It was urgent.' if urgent else 'It was not urgent.' if urgent is defined else '' }}"
  - "It costs {{ money(cost) }}."
message:
  - |
    WORKSHOP {{ ticket_id }}
    {{ device }} {{ num(hours) }}h x {{ num(rate) }} = {{ num(cost) }}
    {% if urgent is defined %}
    urgent={{ 'yes' if urgent else 'no' }}
    {% endif %}
engine_message_share: 0
"""
HOOK = """
def adjust(gold, g, tables):
    gold["cost"] = round(gold["hours"] * gold["rate"], 2)
"""


def _folder(tmp_path: Path, content: str = CONTENT, hook: str | None = HOOK) -> Path:
    folder = tmp_path / "schemas" / "simple" / "repair_ticket"
    folder.mkdir(parents=True)
    (folder / "schema.json").write_text(json.dumps(SCHEMA))
    (folder / CONTENT_FILE).write_text(content)
    if hook is not None:
        (folder / HOOKS_FILE).write_text(hook)
    return tmp_path / "schemas"


def test_a_content_folder_drives_values_wording_templates_and_hooks(tmp_path):
    schemas = load_schemas(_folder(tmp_path))
    splits = build_rows(3, 60, 12, schemas)
    rows = splits["train"] + splits["test"]
    devices = Counter(r.expected_output["device"] for r in rows)
    assert set(devices) == {"laptop", "printer", "router"}
    assert devices["router"] > devices["laptop"]  # weights 1:1:2
    for row in rows:
        gold = row.expected_output
        assert gold["ticket_id"].startswith("RT-") and len(gold["ticket_id"]) == 7
        assert gold["hours"] * 2 == int(gold["hours"] * 2) and 1 <= gold["hours"] <= 8
        assert gold["cost"] == round(gold["hours"] * gold["rate"], 2)  # the hook
        assert "notes" not in gold  # chance 0
        if row.style == "message":
            assert row.prompt.splitlines()[0].startswith(("WORKSHOP", "From the workshop"))
        if row.style == "prose":
            assert f"Job {gold['ticket_id']}:" in row.prompt
    kv = "\n".join(r.prompt for r in rows if r.style == "kv")
    assert "Job number" in kv and "Amount due" in kv
    assert "Repair Ticket" in kv or "Workshop Job" in kv
    assert any(r.prompt.startswith("From the workshop inbox.") for r in rows)


def test_same_seed_same_rows_with_a_content_folder(tmp_path):
    schemas = load_schemas(_folder(tmp_path))
    first = build_rows(5, 20, 5, schemas)
    again = build_rows(5, 20, 5, schemas)
    assert [r.prompt for r in first["train"]] == [r.prompt for r in again["train"]]
    assert [r.expected_output for r in first["test"]] == [r.expected_output for r in again["test"]]


def test_schemas_without_a_content_file_get_the_engine_defaults(tmp_path):
    (tmp_path / "simple").mkdir()
    (tmp_path / "simple" / "repair_ticket.json").write_text(json.dumps(SCHEMA))
    schemas = load_schemas(tmp_path)
    rows = build_rows(0, 12, 6, schemas)["train"]
    assert len(rows) == 12
    for row in rows:
        assert not ungrounded_leaves(row.expected_output, row.prompt, SCHEMA)[1]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("colour: [red]\n", "unknown key(s) ['colour']"),
        ("fields:\n  wheels: {pool: [4]}\n", "the schema has no field 'wheels'"),
        ("fields:\n  device: {pool: [a], code: X}\n", "one value source only"),
        ("fields:\n  hours: {range: [9, 1]}\n", "fields.hours.range: [lo, hi]"),
        ("fields:\n  device: {faker: no_such_provider}\n", "no Faker provider"),
        ("message: ['{{ device ']\n", "message[0]: template line 1"),
        ("message: ['{{ notes }}']\nfields:\n  notes: {chance: 0.0}\n", "'notes' is undefined"),
        ("tables:\n  device: [x]\n", "table 'device' has the name of a field"),
        ("titles: [a\n", "not valid YAML"),
        ("titles: [a]\ntitles: [b]\n", "given twice"),
    ],
)
def test_a_bad_content_file_is_a_one_line_error_naming_it(tmp_path, content, message):
    schemas = load_schemas(_folder(tmp_path, content, hook=None))
    with pytest.raises(SlmbenchError, match="content.yaml") as raised:
        for style_seed in range(3):
            build_rows(style_seed, 6, 3, schemas)
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_a_template_that_breaks_the_grounding_contract_is_named(tmp_path):
    content = CONTENT.replace(
        "{{ device }} {{ num(hours) }}", "{{ device|upper }} {{ num(hours) }}"
    )
    schemas = load_schemas(_folder(tmp_path, content))
    with pytest.raises(SlmbenchError, match="message texts keep breaking the grounding contract"):
        build_rows(0, 6, 3, schemas)


def test_a_hook_that_leaves_its_field_unset_is_an_error(tmp_path):
    schemas = load_schemas(_folder(tmp_path, hook="def adjust(gold, g, tables):\n    pass\n"))
    with pytest.raises(DataError, match="the hook left cost unset"):
        build_rows(0, 6, 3, schemas)


def test_a_hook_that_fails_is_a_one_line_error_naming_its_file(tmp_path):
    schemas = load_schemas(_folder(tmp_path, hook="def adjust(gold, g, tables):\n    1 / 0\n"))
    with pytest.raises(DataError, match=r"hooks.py: adjust failed: ZeroDivisionError"):
        build_rows(0, 6, 3, schemas)


def test_yaml_keeps_no_on_and_dates_as_strings(tmp_path):
    content = "fields:\n  device: {pool: [no, on, NO, 2024-03-05]}\n"
    info = load_schemas(_folder(tmp_path, content, hook=None))["repair_ticket"]
    loaded = load_content(content_path(info.path), SchemaDoc("repair_ticket", info.schema))
    assert loaded.fields["/properties/device"].source == ("pool", ["no", "on", "NO", "2024-03-05"])
