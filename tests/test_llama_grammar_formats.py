"""The `pattern`s that string formats become for llama.cpp's grammar compiler
(`slmbench.constrain.llama_grammar.FORMAT_PATTERNS`): each accepts only what the validator that
scores `schema_valid` accepts, and every value the data engine writes. llama.cpp's own
enforcement of them is tested in tests/test_llamacpp.py."""

from __future__ import annotations

import json
import re
from functools import partial
from pathlib import Path

import jsonschema
import pytest

from slmbench.constrain.llama_grammar import FORMAT_PATTERNS, grammar_schema
from slmbench.data.gen_values import Gen
from slmbench.data.schemas import SchemaInfo, load_schemas
from slmbench.data.synth.value_forms import FormMaker
from slmbench.data.synth.values import ValueMaker

REPO = Path(__file__).resolve().parents[1]
DRAFT_2020 = "https://json-schema.org/draft/2020-12/schema"

# format -> (strings the pattern must accept, strings it must refuse)
CASES: dict[str, tuple[list[str], list[str]]] = {
    "date": (
        ["2024-03-01", "2024-02-29", "2000-02-29", "1999-12-31", "0001-01-01", "2023-04-30"],
        [
            "2023-02-29",
            "1900-02-29",
            "2024-04-31",
            "2024-13-01",
            "2024-00-10",
            "2024-01-00",
            "0000-01-01",
            "24-03-01",
            "2024-3-1",
            "2024/03/01",
            "2024-03-01T00:00:00Z",
            "",
        ],
    ),
    "date-time": (
        [
            "2024-03-01T10:15:00Z",
            "2012-02-29T18:46:41.361024",
            "2024-03-01T10:15:00+02:00",
            "2024-03-01T23:59:59.5-05:30",
            "2024-03-01T00:00:00",
        ],
        [
            "2024-03-01",
            "2024-03-01 10:15:00",
            "2024-03-01T24:00:00",
            "2024-03-01T10:15",
            "2024-02-30T10:15:00Z",
            "2024-03-01T10:15:00.Z",
            "2024-03-01T10:15:00+0200",
            "2024-03-01T10:60:00Z",
        ],
    ),
    "time": (
        ["10:15:00", "23:59:59Z", "00:00:00.123456", "08:30:00+01:00", "12:00:00-11:30"],
        ["24:00:00", "10:15", "9:15:00", "10:15:61", "10:15:00+1", "10:15:00 Z", "noon"],
    ),
    "email": (
        [
            "ada@example.com",
            "ada.lovelace@mail.example.co.uk",
            "j2@acme.io",
            "o'neil+tag@corp-x.example.org",
            "A_B%c@EX.COM",
        ],
        [
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@example.c",
            "ada lovelace@x.com",
            "ada@@example.com",
            'a"b@x.com',
            "ada@exa mple.com",
        ],
    ),
    "uuid": (
        ["320689b8-9075-4049-a05c-907d88ec242f", "0B5F3D1C-1F7E-4C1E-9A1B-2C3D4E5F6A7B"],
        [
            "320689b890754049a05c907d88ec242f",
            "{320689b8-9075-4049-a05c-907d88ec242f}",
            "320689b8-9075-4049-a05c-907d88ec242",
            "g20689b8-9075-4049-a05c-907d88ec242f",
            "urn:uuid:320689b8-9075-4049-a05c-907d88ec242f",
        ],
    ),
    "ipv4": (
        ["192.168.0.1", "0.0.0.0", "255.255.255.255", "10.1.20.254"],
        [
            "256.1.1.1",
            "1.2.3",
            "1.2.3.4.5",
            "01.2.3.4",
            "1.2.3.04",
            "1.2.3.-4",
            "a.b.c.d",
            " 1.2.3.4",
        ],
    ),
    "uri": (
        [
            "https://example.com",
            "https://example.com/orders/12?id=4&x=y#top",
            "http://user:pw@host.example:8080/a%20b",
            "ftp://files.example.org/pub/",
            "custom+app://open/item;v=1",
        ],
        [
            "example.com",
            "https://",
            "https:/example.com",
            "1http://x.com",
            "https://ex ample.com",
            'https://x.com/"q"',
            "https://x.com/%zz",
            "http://x.com:port/",
            "mailto:ada@x.com",
        ],
    ),
}


def _validators(fmt: str) -> list[jsonschema.protocols.Validator]:
    """The validators eval scores with (`SchemaInfo.validator`) for a one-field schema, in the
    benchmark's draft-07 and in 2020-12 (which also checks `uuid`)."""
    out = []
    for draft in (None, DRAFT_2020):
        schema: dict = {"type": "object", "properties": {"v": {"type": "string", "format": fmt}}}
        if draft:
            schema["$schema"] = draft
        out.append(SchemaInfo(f"f-{fmt}", "simple", schema, Path(f"{fmt}.json")).validator())
    return out


def _valid(fmt: str, value: str) -> bool:
    return all(v.is_valid({"v": value}) for v in _validators(fmt))


def _matches(fmt: str, value: str) -> bool:
    return re.fullmatch(FORMAT_PATTERNS[fmt], value) is not None


def test_every_case_format_has_a_pattern_and_back():
    assert set(CASES) == set(FORMAT_PATTERNS)
    for pattern in FORMAT_PATTERNS.values():
        assert pattern.startswith("^") and pattern.endswith("$")  # llama.cpp requires anchors
        assert "\\" not in pattern and '"' not in pattern  # GBNF has no `\d`, `\.`...
        assert "(?" not in pattern  # nor non-capturing groups or lookarounds


@pytest.mark.parametrize("fmt", sorted(CASES))
def test_pattern_accepts_the_valid_strings_the_validator_accepts(fmt):
    valid, _ = CASES[fmt]
    for value in valid:
        assert _matches(fmt, value), (fmt, value)
        assert _valid(fmt, value), (fmt, value)


@pytest.mark.parametrize("fmt", sorted(CASES))
def test_pattern_refuses_the_invalid_strings(fmt):
    _, invalid = CASES[fmt]
    for value in invalid:
        assert not _matches(fmt, value), (fmt, value)


@pytest.mark.parametrize("fmt", sorted(CASES))
def test_pattern_never_accepts_what_the_validator_refuses(fmt):
    """Where the validator checks a format (date, email, ipv4, uuid in 2020-12), a pattern that
    drifts looser than it fails here: every probe the pattern takes, the validator takes."""
    valid, invalid = CASES[fmt]
    probes = valid + invalid + [v[:-1] for v in valid] + [v + "x" for v in valid]
    for value in probes:
        if _matches(fmt, value):
            assert _valid(fmt, value), (fmt, value)
    checked = {name for v in _validators(fmt) for name in v.format_checker.checkers}
    if fmt in checked:  # the validator refuses some of the invalid strings itself
        assert any(not _valid(fmt, value) for value in invalid), fmt


def test_date_pattern_is_exactly_the_validators_calendar():
    (validator, _) = _validators("date")  # both drafts check dates alike
    years = ["0000", "0001", "0004", "0100", "0400", "1900", "2000", "2023", "2024", "9999"]
    for year in years:
        for month in range(14):
            for day in range(33):
                value = f"{year}-{month:02d}-{day:02d}"
                assert _matches("date", value) == validator.is_valid({"v": value}), value


def test_every_value_the_data_engine_writes_matches():
    for seed in (0, 1):
        g = Gen(seed)
        values = ValueMaker(g)
        for fmt in FORMAT_PATTERNS:
            for _ in range(100):
                value = values.string_of_kind("text", fmt)
                assert _matches(fmt, value), (fmt, value)
        for _ in range(100):  # the schema hooks' addresses at company domains
            value = g.email_for(g.full_name(), g.company_domain(g.company()))
            assert _matches("email", value), value
        forms = FormMaker(g, partial(values.pool, "word"))
        examples = {
            "uri": ("url", "https://shop.example.com/orders/2024-001?ref=a1&x=y#top"),
            "email": ("email", "ann.lee@acme.io"),
            "uuid": ("uuid", "0b5f3d1c-1f7e-4c1e-9a1b-2c3d4e5f6a7b"),
            "ipv4": ("ipv4", "10.0.12.7"),
        }
        for fmt, (form, example) in examples.items():
            for _ in range(50):  # fresh values of a user's example's form (`data synth`)
                value = forms.fresh(form, example, [example])
                assert _matches(fmt, value), (fmt, value)


def _format_values(rows_file: Path, schemas: dict) -> list[tuple[str, str, str]]:
    """(row id, format, value) of every string a row's gold has under a format of
    FORMAT_PATTERNS, found by jsonschema's own walk of the schema."""
    seen: list[tuple[str, str]] = []
    checker = jsonschema.FormatChecker(formats=())
    for fmt in FORMAT_PATTERNS:
        checker.checks(fmt)(lambda value, fmt=fmt: seen.append((fmt, value)) or True)
    found = []
    for line in rows_file.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        schema = schemas[row.get("schema_id") or row["schema_name"]].schema
        jsonschema.Draft7Validator(schema, format_checker=checker).is_valid(row["expected_output"])
        found += [(row["id"], fmt, value) for fmt, value in seen]
        seen.clear()
    return found


def _assert_all_match(rows_file: Path, schemas: dict, formats: set[str]) -> None:
    found = _format_values(rows_file, schemas)
    assert {fmt for _, fmt, _ in found} >= formats, rows_file
    bad = [(row_id, fmt, value) for row_id, fmt, value in found if not _matches(fmt, value)]
    assert not bad, (rows_file, bad[:5])


@pytest.mark.parametrize("split", ["train", "test"])
def test_every_format_value_of_the_committed_data_matches(split):
    rows_file = REPO / "results/data/edgejson-seed0" / f"{split}.jsonl"
    _assert_all_match(rows_file, load_schemas(), {"date", "date-time", "email", "ipv4"})


def test_every_format_value_of_the_v3_rows_matches(v3_dir):
    """v3's timestamps have 6 fractional digits and no timezone: llama.cpp's own `date-time`
    refuses them, hence a pattern."""
    _assert_all_match(v3_dir / "train.jsonl", load_schemas(v3_dir / "schemas"), {"date-time"})


def test_formats_become_patterns_only_for_string_nodes_and_when_kept():
    schema = {
        "type": "object",
        "properties": {
            "format": {"type": ["string", "null"], "format": "email"},  # a property so named
            "when": {"type": "string", "format": "date-time", "maxLength": 40},
            "n": {"type": "integer", "format": "date"},
            "own": {"type": "string", "format": "uuid", "pattern": "^[0-9]+$"},
            "other": {"type": "string", "format": "hostname"},
        },
    }
    out = grammar_schema(schema)["properties"]
    assert out["format"] == {"type": ["string", "null"], "pattern": FORMAT_PATTERNS["email"]}
    assert out["when"] == {
        "type": "string",
        "maxLength": 40,
        "pattern": FORMAT_PATTERNS["date-time"],
    }
    assert out["n"] == {"type": "integer", "format": "date"}
    assert out["own"] == {"type": "string", "pattern": "^[0-9]+$"}
    assert out["other"] == {"type": "string", "format": "hostname"}
    # The retry without the schema's own patterns keeps the formats': they always compile.
    dropped = grammar_schema(schema, keep_patterns=False)["properties"]
    assert dropped["when"] == out["when"] and dropped["format"] == out["format"]
    assert dropped["own"] == {"type": "string", "pattern": FORMAT_PATTERNS["uuid"]}
