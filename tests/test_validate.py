"""`slmbench data validate`: each check passes on good rows and fires on the matching mutation."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from slmbench.cli import main
from slmbench.data.grounding import is_grounded, leaf_values, ungrounded_leaves
from slmbench.data.validate import CHECKS, validate_file

INVOICE_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "invoice_number": {"type": "string"},
        "invoice_date": {"type": "string", "format": "date"},
        "customer": {
            "type": "object",
            "properties": {"name": {"type": "string"}},
            "required": ["name"],
        },
        "line_items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "description": {"type": "string"},
                    "quantity": {"type": "integer"},
                    "unit_price": {"type": "number"},
                    "line_total": {"type": "number"},
                },
                "required": ["description", "quantity", "unit_price", "line_total"],
            },
        },
        "subtotal": {"type": "number"},
        "tax": {"type": "number"},
        "shipping": {"type": "number"},
        "discount": {"type": "number"},
        "total": {"type": "number"},
        "status": {"enum": ["paid", "unpaid", "partially_paid"]},
    },
    "required": ["invoice_number", "customer", "line_items", "total"],
    "additionalProperties": False,
}

SETTINGS_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "device_name": {"type": "string"},
        "enabled": {"type": "boolean"},
        "theme": {"type": "string", "enum": ["dark_mode", "light_mode", "auto"]},
        "install_date": {"type": "string", "format": "date"},
        "retries": {"type": "integer"},
        "battery_pct": {"type": "number"},
        "notes": {"type": ["string", "null"]},
    },
    "required": ["device_name", "enabled", "theme", "install_date"],
    "additionalProperties": False,
}

GOOD_ROWS = [
    {
        "id": "inv-1",
        "schema_id": "invoice",
        "complexity": "medium",
        "prompt": "INVOICE INV-1001\nDate: March 5, 2024\nBill to: Acme Ltd\n"
        "- Widget, 2 x $12.50 = $25.00\n- Gadget, 3 x $1,000.00 = $3,000.00\n"
        "Subtotal: $3,025.00\nTax: $242.00\nShipping: $15.00\nDiscount: $30.00\n"
        "Total: $3,252.00\nStatus: Partially Paid",
        "expected_output": {
            "invoice_number": "INV-1001",
            "invoice_date": "2024-03-05",
            "customer": {"name": "Acme Ltd"},
            "line_items": [
                {"description": "Widget", "quantity": 2, "unit_price": 12.5, "line_total": 25.0},
                {
                    "description": "Gadget",
                    "quantity": 3,
                    "unit_price": 1000.0,
                    "line_total": 3000.0,
                },
            ],
            "subtotal": 3025.0,
            "tax": 242.0,
            "shipping": 15.0,
            "discount": 30.0,
            "total": 3252.0,
            "status": "partially_paid",
        },
    },
    {
        "id": "inv-2",
        "schema_id": "invoice",
        "complexity": "medium",
        "prompt": "Invoice INV-1002 issued 2024-04-01 to Globex Corp: 1 x Service plan at $99.99 "
        "(line total $99.99). Subtotal $99.99, tax $8.00, total $107.99. Status: UNPAID.",
        "expected_output": {
            "invoice_number": "INV-1002",
            "invoice_date": "2024-04-01",
            "customer": {"name": "Globex Corp"},
            "line_items": [
                {
                    "description": "Service plan",
                    "quantity": 1,
                    "unit_price": 99.99,
                    "line_total": 99.99,
                }
            ],
            "subtotal": 99.99,
            "tax": 8.0,
            "total": 107.99,
            "status": "unpaid",
        },
    },
    {
        "id": "set-1",
        "schema_id": "device_settings",
        "complexity": "simple",
        "prompt": "Device: Sensor-7\nStatus: enabled\nTheme: Dark Mode\nInstalled 5 March 2024\n"
        "Retries: 3, battery at 87.5%\nNotes: none",
        "expected_output": {
            "device_name": "Sensor-7",
            "enabled": True,
            "theme": "dark_mode",
            "install_date": "2024-03-05",
            "retries": 3,
            "battery_pct": 87.5,
            "notes": None,
        },
    },
    {
        "id": "set-2",
        "schema_id": "device_settings",
        "complexity": "simple",
        "prompt": "Device Hub-2 is switched off. Theme: light-mode. Installed 2023-11-30, "
        "retries: 0.",
        "expected_output": {
            "device_name": "Hub-2",
            "enabled": False,
            "theme": "light_mode",
            "install_date": "2023-11-30",
            "retries": 0,
        },
    },
]


@pytest.fixture
def schema_dir(tmp_path: Path) -> Path:
    root = tmp_path / "schemas"
    for tier, name, schema in [
        ("medium", "invoice", INVOICE_SCHEMA),
        ("simple", "device_settings", SETTINGS_SCHEMA),
    ]:
        (root / tier).mkdir(parents=True, exist_ok=True)
        (root / tier / f"{name}.json").write_text(json.dumps(schema))
    return root


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    """One blank first line, so that row i sits on line i + 2 (line numbers must count it)."""
    path.write_text("\n" + "".join(json.dumps(r) + "\n" for r in rows))
    return path


def good_rows() -> list[dict]:
    return copy.deepcopy(GOOD_ROWS)


def only_failing(report, check: str) -> None:
    assert report.failed_checks() == [check]
    assert not report.ok
    assert all(f.check == check for f in report.failures)


def test_good_rows_pass_every_check(tmp_path, schema_dir):
    data = write_jsonl(tmp_path / "test.jsonl", good_rows())
    report = validate_file(data, schema_dir=schema_dir)
    assert report.ok, report.render()
    assert {c: report.counts[c].passed for c in CHECKS} == {
        "schema": 4,
        "grounding": 4,
        "arithmetic": 2,  # only the invoices have totals
        "duplicates": 4,
    }
    assert report.counts["arithmetic"].not_applicable == 2
    assert report.grounding_ratio() == 1.0
    assert "result: OK" in report.render()


def test_missing_required_field_fails_schema_only(tmp_path, schema_dir):
    rows = good_rows()
    del rows[1]["expected_output"]["customer"]
    data = write_jsonl(tmp_path / "test.jsonl", rows)
    report = validate_file(data, schema_dir=schema_dir)
    only_failing(report, "schema")
    [failure] = report.failures
    assert failure.render() == (f"{data}:3 id=inv-2 schema: /: 'customer' is a required property")
    assert report.counts["schema"].failed == 1 and report.counts["schema"].passed == 3


def test_schema_check_reports_pointer_and_format(tmp_path, schema_dir):
    rows = good_rows()
    rows[0]["expected_output"]["line_items"][1]["quantity"] = "3"
    rows[3]["expected_output"]["install_date"] = "2023-13-30"
    rows[3]["prompt"] = rows[3]["prompt"].replace("2023-11-30", "2023-13-30")
    data = write_jsonl(tmp_path / "test.jsonl", rows)
    report = validate_file(data, schema_dir=schema_dir)
    only_failing(report, "schema")
    messages = [f.render() for f in report.failures]
    assert messages == [
        f"{data}:2 id=inv-1 schema: /line_items/1/quantity: '3' is not of type 'integer'",
        f"{data}:5 id=set-2 schema: /install_date: '2023-13-30' is not a 'date'",
    ]


def test_changed_total_fails_arithmetic_only(tmp_path, schema_dir):
    rows = good_rows()
    # Change gold and text together, so that the value stays grounded.
    rows[0]["expected_output"]["total"] = 3253.0
    rows[0]["prompt"] = rows[0]["prompt"].replace("$3,252.00", "$3,253.00")
    rows[1]["expected_output"]["line_items"][0]["line_total"] = 99.9
    rows[1]["prompt"] += " Note: 99.9"
    data = write_jsonl(tmp_path / "test.jsonl", rows)
    report = validate_file(data, schema_dir=schema_dir)
    only_failing(report, "arithmetic")
    assert [f.render() for f in report.failures] == [
        f"{data}:2 id=inv-1 arithmetic: total 3253.0 != subtotal 3025.0 + tax 242.0 "
        "+ shipping 15.0 - discount 30.0 = 3252.0",
        f"{data}:3 id=inv-2 arithmetic: subtotal 99.99 != sum of line_items totals = 99.9",
        f"{data}:3 id=inv-2 arithmetic: line_items[0].line_total 99.9 != quantity 1 * "
        "unit_price 99.99 = 99.99",
    ]
    assert report.counts["arithmetic"].failed == 2
    assert report.counts["arithmetic"].not_applicable == 2


def test_value_absent_from_text_fails_grounding_only(tmp_path, schema_dir):
    rows = good_rows()
    rows[0]["expected_output"]["customer"]["name"] = "Zeta Corp"
    data = write_jsonl(tmp_path / "test.jsonl", rows)
    report = validate_file(data, schema_dir=schema_dir)
    only_failing(report, "grounding")
    [failure] = report.failures
    assert failure.render() == (
        f"{data}:2 id=inv-1 grounding: value 'Zeta Corp' at customer.name not found in text"
    )
    n_leaves = len(leaf_values(rows[0]["expected_output"])) + len(
        leaf_values(rows[1]["expected_output"])
    )
    assert report.grounding_ratio("invoice") == (n_leaves - 1) / n_leaves
    assert report.grounding_ratio("device_settings") == 1.0
    assert re.search(rf"medium/invoice\s+0\.\d+\s+\({n_leaves - 1}/{n_leaves}\)", report.render())


def test_duplicated_row_under_new_id_fails_duplicates_only(tmp_path, schema_dir):
    rows = good_rows()
    rows.append({**copy.deepcopy(rows[2]), "id": "set-1-copy"})
    data = write_jsonl(tmp_path / "test.jsonl", rows)
    report = validate_file(data, schema_dir=schema_dir)
    only_failing(report, "duplicates")
    [failure] = report.failures
    assert failure.render() == (
        f"{data}:6 id=set-1-copy duplicates: same prompt as id=set-1 (line 4)"
    )


def test_prompt_shared_with_against_file_fails_duplicates(tmp_path, schema_dir):
    rows = good_rows()
    other_rows = [{**copy.deepcopy(rows[1]), "id": "train-77"}]
    data = write_jsonl(tmp_path / "test.jsonl", rows)
    other = write_jsonl(tmp_path / "train.jsonl", other_rows)
    assert validate_file(data, schema_dir=schema_dir).ok
    report = validate_file(data, schema_dir=schema_dir, against=other)
    only_failing(report, "duplicates")
    [failure] = report.failures
    assert failure.render() == (
        f"{data}:3 id=inv-2 duplicates: prompt also in {other}:2 id=train-77"
    )


def test_cli_exit_codes_and_output(tmp_path, schema_dir, capsys):
    good = write_jsonl(tmp_path / "good.jsonl", good_rows())
    assert main(["data", "validate", str(good), "--schemas", str(schema_dir)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^schema\s+4\s+0\s+0$", out, re.M)
    assert re.search(r"^arithmetic\s+2\s+0\s+2$", out, re.M)
    assert "overall" in out and out.rstrip().endswith("result: OK")

    rows = good_rows()
    rows[2]["expected_output"]["retries"] = 4
    bad = write_jsonl(tmp_path / "bad.jsonl", rows)
    assert main(["data", "validate", str(bad), "--schemas", str(schema_dir)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}:4 id=set-1 grounding: value 4 at retries not found in text" in out
    assert re.search(r"^grounding\s+3\s+1\s+0$", out, re.M)
    assert "checks failing: grounding" in out

    rows[2]["schema_id"] = "no_such_schema"
    unreadable = write_jsonl(tmp_path / "unknown.jsonl", rows)
    assert main(["data", "validate", str(unreadable), "--schemas", str(schema_dir)]) == 2
    err = capsys.readouterr().err
    assert f"{unreadable}:4: unknown schema id 'no_such_schema'" in err


def test_cli_json_report(tmp_path, schema_dir, capsys):
    rows = good_rows()
    rows[3]["expected_output"]["enabled"] = True  # "off" is there, but no word for true
    rows[3]["prompt"] = rows[3]["prompt"].replace("switched off", "switched")
    data = write_jsonl(tmp_path / "test.jsonl", rows)
    assert main(["data", "validate", str(data), "--schemas", str(schema_dir), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["counts"]["grounding"] == {"passed": 3, "failed": 1, "not_applicable": 0}
    assert [(f["line"], f["row_id"], f["check"]) for f in report["failures"]] == [
        (5, "set-2", "grounding")
    ]


@pytest.mark.parametrize(
    ("value", "text", "node", "grounded"),
    [
        ("Acme Ltd", "ACME LTD", {}, False),  # plain strings are case-sensitive
        ("in_progress", "state: in-progress", {"enum": ["in_progress"]}, True),
        ("in_progress", "state: inprogress", {"enum": ["in_progress"]}, False),
        ("2024-03-05", "March 5, 2024", {"format": "date"}, True),
        ("2024-03-05", "March 5, 2024", {}, False),  # only format: date may be respelled
        ("2024-03-05T10:00:00", "March 5, 2024", {"format": "date-time"}, False),
        (1299, "costs €1,299", {}, True),
        (0.5, "50%", {}, False),
        (False, "the item is out of stock", {}, True),
        (True, "notable", {}, False),  # whole words only
        (None, "phone not specified", {}, True),
    ],
)
def test_grounding_rules(value, text, node, grounded):
    assert is_grounded(value, text, node) is grounded


def test_grounding_follows_schema_nodes_into_arrays():
    schema = {
        "type": "object",
        "properties": {"steps": {"type": "array", "items": {"enum": ["step_one", "step_two"]}}},
    }
    gold = {"steps": ["step_one", "step_two"]}
    assert ungrounded_leaves(gold, "Step One, then step two", schema) == (2, [])
    assert ungrounded_leaves(gold, "Step One", schema) == (2, [("steps[1]", "step_two")])


def test_generated_dataset_validates(tmp_path, capsys):
    pytest.importorskip("slmbench.data.generate")
    out = tmp_path / "gen"
    # 30 test rows: the generator needs at least 29 to cover every schema at the tier shares.
    args = ["data", "build", "--out", str(out), "--seed", "0", "--train", "60", "--test", "30"]
    assert main(args) == 0
    train, test = out / "train.jsonl", out / "test.jsonl"
    assert main(["data", "validate", str(train)]) == 0, capsys.readouterr().out
    assert main(["data", "validate", str(test), "--against", str(train)]) == 0, (
        capsys.readouterr().out
    )
