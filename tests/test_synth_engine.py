"""The generic data engine from schemas alone: valid golds, grounded texts, styles, determinism,
keywords honoured, and clear errors for what it cannot honour."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from slmbench.data.gen_values import Gen
from slmbench.data.grounding import ungrounded_leaves
from slmbench.data.rows import read_rows
from slmbench.data.synth import SynthOptions, synth
from slmbench.data.synth.build import SchemaSource
from slmbench.data.synth.documents import STYLES, DocumentRenderer
from slmbench.data.synth.gold import GoldMaker
from slmbench.data.synth.schema_walk import (
    EngineUnsupported,
    SchemaDoc,
    SchemaFileError,
    load_schema_doc,
)
from slmbench.data.synth.values import ValueMaker
from slmbench.data.synth.wording import Wording
from slmbench.data.validate import validate_file
from slmbench.errors import SlmbenchError

ASSETS = Path(__file__).parent / "assets" / "schemas" / "real_world"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "shipping_notice"
UNSUPPORTED_BY_DESIGN = ("remote_ref.json", "unresolvable_ref.json")
# `data validate` checks with draft 7, which reads 2020-12's `items: false` beside
# `prefixItems` as "no items at all": this schema's golds are valid under its own draft only.
DRAFT_2020_ONLY = ("tuple_coordinates.json",)


def golds(schema: dict, n: int = 40, seed: int = 0) -> list[dict]:
    maker = GoldMaker(SchemaDoc("t", schema), ValueMaker(Gen(seed)))
    return [maker.make() for _ in range(n)]


@pytest.fixture(scope="module")
def real_world_build(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("schemas")
    for path in sorted(ASSETS.glob("*.json")):
        if path.name not in UNSUPPORTED_BY_DESIGN + DRAFT_2020_ONLY:
            shutil.copy(path, folder / path.name)
    out = tmp_path_factory.mktemp("build")
    return synth(SynthOptions(schema=folder, out=out, n=300, n_test=60, seed=3))


def test_every_gold_validates_and_every_rendered_text_is_grounded(real_world_build):
    report = validate_file(real_world_build / "train.jsonl", real_world_build / "schemas")
    assert report.ok, report.render(max_failures=10)
    grounding = report.counts["grounding"]
    assert grounding.failed == 0 and grounding.passed >= 290
    test = validate_file(
        real_world_build / "test.jsonl",
        real_world_build / "schemas",
        against=real_world_build / "train.jsonl",
    )
    assert test.ok, test.render(max_failures=10)


def test_the_build_uses_every_style_and_leaves_optional_fields_out(real_world_build):
    rows = read_rows(real_world_build / "train.jsonl")
    assert {r.style for r in rows} == set(STYLES)
    manifest = json.loads((real_world_build / "manifest.json").read_text())
    assert manifest["generator_version"] >= 1
    assert manifest["grounding"]["rendered"]["outside_contract"] == 0
    flights = [r.expected_output for r in rows if r.schema_id == "tool_search_flights"]
    assert any("cabin" in g for g in flights) and any("cabin" not in g for g in flights)


def test_same_seed_same_bytes_and_another_seed_differs(tmp_path):
    def build(name: str, seed: int) -> Path:
        return synth(
            SynthOptions(schema=EXAMPLE / "schema.json", out=tmp_path / name, n=40, seed=seed)
        )

    a, b, c = build("a", 1), build("b", 1), build("c", 2)
    for name in ("train.jsonl", "test.jsonl"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
        assert (a / name).read_bytes() != (c / name).read_bytes()
    assert (
        json.loads((a / "manifest.json").read_text())["files"]
        == json.loads((b / "manifest.json").read_text())["files"]
    )


def test_numbers_and_dates_are_written_as_people_write_them(real_world_build):
    texts = [r.prompt for r in read_rows(real_world_build / "train.jsonl")]
    joined = "\n".join(texts)
    assert re.search(r"\b[A-Z][a-z]+ \d{1,2}, 20\d\d\b", joined)  # March 5, 2024
    assert re.search(r"\b\d{1,2} [A-Z][a-z]+ 20\d\d\b", joined)  # 5 March 2024
    assert re.search(r"(\$|USD |EUR |GBP )\d{1,3},\d{3}\.\d\d\b", joined)  # $1,299.00


@pytest.mark.parametrize(
    ("schema", "check"),
    [
        (
            {
                "type": "object",
                "required": ["tags"],
                "properties": {
                    "tags": {
                        "type": "array",
                        "items": {"enum": ["a", "b", "c"]},
                        "minItems": 3,
                        "uniqueItems": True,
                    }
                },
            },
            lambda g: sorted(g["tags"]) == ["a", "b", "c"],
        ),
        (
            {
                "type": "object",
                "properties": {
                    "street": {"type": "string"},
                    "zip": {"type": "string", "pattern": "^[0-9]{5}$"},
                },
                "dependencies": {"street": ["zip"]},
            },
            lambda g: "street" not in g or re.fullmatch(r"[0-9]{5}", g["zip"]),
        ),
        (
            {
                "type": "object",
                "required": ["labels"],
                "properties": {
                    "labels": {
                        "type": "object",
                        "propertyNames": {"pattern": "^[a-z]+$"},
                        "additionalProperties": {"type": "string"},
                        "minProperties": 1,
                    }
                },
            },
            lambda g: g["labels"] and all(re.fullmatch("[a-z]+", k) for k in g["labels"]),
        ),
        (
            {
                "type": "object",
                "required": ["s"],
                "properties": {"s": {"enum": ["x", "y"], "not": {"const": "y"}}},
            },
            lambda g: g["s"] == "x",
        ),
        (
            {
                "type": "object",
                "required": ["kind"],
                "properties": {"kind": {"enum": ["a", "b"]}, "extra": {"type": "integer"}},
                "if": {"properties": {"kind": {"const": "b"}}},
                "then": {"required": ["extra"]},
            },
            lambda g: g["kind"] == "a" or "extra" in g,
        ),
        (
            {
                "type": "object",
                "required": ["n"],
                "properties": {
                    "n": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "multipleOf": 0.05}
                },
            },
            lambda g: 0 < g["n"] <= 1 and abs(g["n"] / 0.05 - round(g["n"] / 0.05)) < 1e-9,
        ),
        (
            {
                "type": "object",
                "required": ["p"],
                "properties": {
                    "p": {
                        "oneOf": [
                            {"type": "string", "format": "email"},
                            {"type": "integer", "minimum": 10},
                        ]
                    }
                },
            },
            lambda g: isinstance(g["p"], int) and g["p"] >= 10 or "@" in g["p"],
        ),
    ],
)
def test_keywords_are_honoured(schema, check):
    made = golds(schema)
    assert all(check(g) for g in made)


def test_ref_defs_and_allof_are_resolved():
    schema = json.loads((ASSETS / "allof_invoice.json").read_text())
    for gold in golds(schema, n=10):
        assert re.fullmatch(r"[A-Z]{2}[0-9]{8,10}", gold["seller"]["vat_id"])
        assert gold["seller"]["name"]
        total = round(sum(line["line_total"] for line in gold["lines"]), 2)
        assert gold.get("subtotal", total) == total


def test_what_cannot_be_honoured_names_the_keyword_and_pointer(tmp_path):
    with pytest.raises(EngineUnsupported, match=r"`\$ref` at /properties/owner/\$ref"):
        load_schema_doc(ASSETS / "unresolvable_ref.json").check()
    with pytest.raises(EngineUnsupported, match="outside this file"):
        load_schema_doc(ASSETS / "remote_ref.json").check()
    impossible = {
        "type": "object",
        "required": ["a"],
        "properties": {"a": {"type": "integer", "minimum": 5, "maximum": 1}},
    }
    with pytest.raises(EngineUnsupported, match="`minimum` at /properties/a"):
        golds(impossible, n=1)
    never = {
        "type": "object",
        "required": ["a"],
        "properties": {"a": {"enum": [1, 2], "not": {"enum": [1, 2]}}},
    }
    with pytest.raises(EngineUnsupported, match="`not` at /properties/a/not"):
        golds(never, n=1)
    bad = tmp_path / "bad.json"
    bad.write_text('{"type": "object", "properties": {"a": {"pattern": "\\\\p{L}"}}}')
    with pytest.raises(EngineUnsupported, match="`pattern` at /properties/a/pattern"):
        load_schema_doc(bad).check()


def test_a_file_that_is_not_a_schema_is_a_one_line_error(tmp_path):
    path = tmp_path / "x.json"
    path.write_text("{not json")
    with pytest.raises(SchemaFileError, match=r"x\.json:1: not JSON"):
        synth(SynthOptions(schema=path, out=tmp_path / "out"))
    path.write_text('{"type": "object", "properties": {"a": {"type": 3}}}')
    with pytest.raises(SchemaFileError, match="not a valid JSON Schema at /properties/a/type"):
        synth(SynthOptions(schema=path, out=tmp_path / "out"))
    with pytest.raises(SlmbenchError, match="not found"):
        synth(SynthOptions(schema=tmp_path / "missing.json", out=tmp_path / "out"))
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_grounding_holds_for_every_style_of_a_nested_schema():
    schema = json.loads((EXAMPLE / "schema.json").read_text())
    g = Gen(5)
    source = SchemaSource(
        SchemaDoc("s", schema), g, ValueMaker(g), DocumentRenderer(g, Wording(g)), None, 0.7
    )
    for style in STYLES:
        for _ in range(15):
            gold, text = source.rendered(style)
            assert ungrounded_leaves(gold, text, schema)[1] == []
    assert source.rejected_ungrounded <= 5


def test_same_bytes_across_processes_with_other_hash_seeds(tmp_path):
    code = (
        "import sys; from pathlib import Path; from slmbench.data.synth import SynthOptions, synth;"
        "synth(SynthOptions(schema=Path(sys.argv[1]), examples=Path(sys.argv[2]),"
        " out=Path(sys.argv[3]), n=60, seed=9))"
    )
    outputs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / hash_seed
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        args = [EXAMPLE / "schema.json", EXAMPLE / "examples.jsonl", out]
        subprocess.run([sys.executable, "-c", code, *map(str, args)], check=True, env=env)
        outputs.append((out / "train.jsonl").read_bytes() + (out / "test.jsonl").read_bytes())
    assert outputs[0] == outputs[1]


def test_array_items_that_are_empty_objects_render_in_prose():
    schema = {
        "type": "object",
        "properties": {
            "tags": {
                "type": "array",
                "items": {"type": "object", "additionalProperties": False},
                "minItems": 2,
            }
        },
        "required": ["tags"],
    }
    g = Gen(3)
    source = SchemaSource(
        SchemaDoc("s", schema), g, ValueMaker(g), DocumentRenderer(g, Wording(g)), None, 0.7
    )
    for _ in range(10):
        gold, text = source.rendered("prose")
        assert gold["tags"] and all(item == {} for item in gold["tags"]), gold
        assert "is empty" in text
