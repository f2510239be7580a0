"""`slmbench schema check`: ok / relaxed / unsupported / invalid per schema, exit codes, JSON;
the grammar rewrite for `required` keys missing from `properties`; `slmbench data synth`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from llguidance import LLMatcher

from slmbench.cli import main
from slmbench.constrain.grammar import bounded_schema, grammar_text
from slmbench.constrain.schema_check import (
    SchemaCheckOptions,
    check_schemas,
    grammar_error,
    relax_for_grammar,
)
from slmbench.data.gen_values import OPTIONAL
from slmbench.data.synth import SynthOptions

ASSETS = Path(__file__).parent / "assets" / "schemas"
REAL_WORLD = ASSETS / "real_world"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "shipping_notice"
EXPECTED = {
    "api_create_user": "ok",
    "api_payment_intent": "ok",  # a oneOf whose branches differ by `const`: compiles as it is
    "k8s_deployment": "ok",
    "recursive_category": "ok",
    "required_not_in_properties": "ok",  # needs the rewrite fix below
    "tuple_coordinates": "ok",
    "api_search_request": "relaxed",
    "api_address_validation": "relaxed",
    "config_lint_rules": "relaxed",
    "config_ci_job": "relaxed",
    "pattern_lookahead": "relaxed",
    "not_keyword": "relaxed",
    "k8s_probe": "relaxed",
    "unknown_format": "relaxed",
    "allof_invoice": "relaxed",
    "remote_ref": "unsupported",
    "unresolvable_ref": "unsupported",
}


@pytest.fixture(scope="module")
def report():
    return check_schemas(SchemaCheckOptions([REAL_WORLD]))


def test_statuses_of_the_test_schemas(report):
    by_name = {Path(v.path).stem: v for v in report.verdicts}
    assert {name: by_name[name].status for name in EXPECTED} == EXPECTED
    served = report.counts["ok"] + report.counts["relaxed"]
    assert served == len(report.verdicts) - 2  # all but the two built to be unsupported


def test_relaxations_and_reasons_name_their_pointers(report):
    by_name = {Path(v.path).stem: v for v in report.verdicts}
    assert [(r.pointer, r.action) for r in by_name["k8s_probe"].relaxations] == [
        ("/oneOf", "anyOf")
    ]
    assert [r.pointer for r in by_name["pattern_lookahead"].relaxations] == [
        "/properties/username/pattern"
    ]
    assert [r.pointer for r in by_name["unknown_format"].relaxations] == [
        "/properties/phone/format",
        "/properties/website/format",
    ]
    broken = by_name["unresolvable_ref"]
    assert broken.pointer == "/properties/owner/$ref" and broken.keyword == "$ref"
    assert "does not resolve" in broken.reason
    assert (
        "relaxed (uniqueItems at /properties/tags/uniqueItems)"
        in by_name["api_search_request"].render()
    )


def test_a_relaxed_schema_compiles_and_the_original_does_not():
    schema = json.loads((REAL_WORLD / "not_keyword.json").read_text())
    assert "not" in (grammar_error(json.dumps(schema)) or "")
    relaxed, done = relax_for_grammar(schema)
    assert grammar_error(json.dumps(relaxed)) is None
    assert [(r.pointer, r.keyword) for r in done] == [("/properties/status/not", "not")]
    assert "not" in schema["properties"]["status"]  # the input is left as it was


def test_the_rewrite_keeps_required_keys_that_properties_does_not_list():
    schema = {
        "type": "object",
        "properties": {"id": {"type": "string"}},
        "required": ["id", "source"],
    }
    bounded = bounded_schema(schema)
    assert bounded["properties"]["source"] == {} and bounded["additionalProperties"] is False
    is_error, messages = LLMatcher.validate_grammar_with_warnings(grammar_text(schema), None)
    assert not is_error, messages
    covered = {**schema, "patternProperties": {"^s": {"type": "integer"}}}
    assert "source" not in bounded_schema(covered)["properties"]


def test_cli_exit_codes_and_json(tmp_path, capsys):
    ok = REAL_WORLD / "api_create_user.json"
    assert main(["schema", "check", str(ok), str(REAL_WORLD / "not_keyword.json")]) == 0
    assert "not_keyword.json: relaxed (not at /properties/status/not)" in capsys.readouterr().out
    assert main(["schema", "check", str(ok), str(REAL_WORLD / "remote_ref.json")]) == 1
    capsys.readouterr()
    assert main(["schema", "check", "--json", str(ok), str(ASSETS / "invalid")]) == 2
    out = json.loads(capsys.readouterr().out)
    assert out["counts"] == {"ok": 1, "relaxed": 0, "unsupported": 0, "invalid": 3}
    assert main(["schema", "check", str(tmp_path / "nope.json")]) == 2
    assert "not found" in capsys.readouterr().err


def test_cli_data_synth_and_validate(tmp_path, capsys):
    out = tmp_path / "out"
    args = ["data", "synth", "--schema", str(EXAMPLE / "schema.json"), "--out", str(out)]
    assert main([*args, "--n", "30", "--n-test", "5", "--seed", "4"]) == 0
    assert "train.jsonl (30 rows)" in capsys.readouterr().out
    schemas = out / "schemas"
    assert main(["data", "validate", str(out / "train.jsonl"), "--schemas", str(schemas)]) == 0
    examples = ["--examples", str(EXAMPLE / "examples.jsonl")]
    assert main([*args, "--n", "20", *examples]) == 0
    assert "not located in the examples: " in capsys.readouterr().out


def test_the_default_optional_chance_is_the_generators():
    assert SynthOptions(schema=Path("s"), out=Path("o")).optional_chance == OPTIONAL
