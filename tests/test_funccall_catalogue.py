"""The function-calling catalogue as data (`slmbench.data.funccall_catalogue`): the packaged
domain and value files load, are package data, give valid tool schemas and callable phrasings,
and a bad file is refused with its file, tool and field named."""

from __future__ import annotations

import re
import shutil
import tomllib
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from conftest import GARDEN_DOMAIN

from slmbench.data.bfcl import arguments_schema
from slmbench.data.funccall_catalogue import DOMAINS_DIR, load_catalogue, load_domain
from slmbench.data.funccall_gen import DOMAINS, TOOLS, FuncCallGenerator
from slmbench.data.funccall_spec import NAME_STYLES, bfcl_tool
from slmbench.data.funccall_values import VALUES_FILE, load_values, value_kinds
from slmbench.errors import DataError

ROOT = Path(__file__).resolve().parents[1]
SLOT = re.compile(r"\{(\w+)\}")


def test_the_packaged_files_are_package_data_and_load_through_importlib_resources():
    package = resources.files("slmbench")
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["slmbench"]
    shipped = {p for pattern in patterns for p in Path(str(package)).glob(pattern)}
    data_files = [*Path(str(DOMAINS_DIR)).iterdir(), Path(str(VALUES_FILE))]
    assert data_files and all(f in shipped for f in data_files)
    names = sorted(f.name for f in DOMAINS_DIR.iterdir())
    assert len(names) == len(DOMAINS) == 16 and names[0] == "01_weather.yaml"
    assert load_catalogue() == TOOLS and len(TOOLS) == 71


def test_every_tool_has_a_name_a_valid_json_schema_and_phrases_of_its_parameters():
    for tool in TOOLS:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", tool.name) and tool.description and tool.do
        required = {p.name for p in tool.required}
        for phrase in tool.do + tool.ask:
            assert set(SLOT.findall(phrase)) == required, (tool.name, phrase)
        for p in tool.optional:
            assert p.say and all(("{v}" in s) != (p.type == "boolean") for s in p.say), p.name
        for style in NAME_STYLES:
            definition, _ = bfcl_tool(tool, style, camel_params=False)
            schema = arguments_schema(definition, tool.name)
            jsonschema.Draft7Validator.check_schema(schema)
            assert set(schema["properties"]) == {p.name for p in tool.params}
            assert schema["required"] == [p.name for p in tool.required]
        for p in tool.params:
            prop = jsonschema.Draft7Validator(schema["properties"][p.name])
            assert all(prop.is_valid(v) for v in p.enum), (tool.name, p.name)
            assert p.default is None or prop.is_valid(p.default), (tool.name, p.name)
            assert p.enum or p.type == "boolean" or p.kind in value_kinds(p.items or p.type)
            assert {k for k, _ in p.words} <= set(p.enum)


def test_drawn_calls_validate_against_their_tool_schema():
    gen = FuncCallGenerator(seed=3)
    for tool in TOOLS:
        definition, _ = bfcl_tool(tool, "snake", camel_params=False)
        validator = jsonschema.Draft7Validator(arguments_schema(definition, tool.name))
        for _ in range(10):
            call = gen.call(tool)
            assert validator.is_valid(call.arguments), (tool.name, call.arguments)


def test_adding_a_domain_is_adding_a_file(tmp_path):
    folder = tmp_path / "domains"
    shutil.copytree(str(DOMAINS_DIR), folder)
    (folder / "17_garden.yaml").write_text(GARDEN_DOMAIN, encoding="utf-8")
    tools = load_catalogue(folder)
    assert tools[:-1] == TOOLS and (tools[-1].domain, tools[-1].name) == ("garden", "water_plants")
    assert tools[-1].params[1].lo == 0.5 and tools[-1].params[1].kind == "measure"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("{room}']", "{room} at {hour}']", r"water_plants.*slots \['hour', 'room'\]"),
        ("kind: room", "kind: rooms", r"params\[0\] \(room\): kind 'rooms' is not one of"),
        ("        lo: 0.5", "        low: 0.5", r"\(litres\): unknown key\(s\) \['low'\]"),
        ("'with {v} litres'", "'generously'", r"\(litres\): say fragment 'generously' needs"),
        (
            "        hi: 3\n",
            "        enum: [on, off]\n",
            r"\(litres\): 'enum' must be a list of flo",
        ),
        (
            "        hi: 3\n",
            "        hi: 3\n        hi: 4\n",
            r"01_garden.yaml:16: .*'hi' given twice",
        ),
        ("    do:", "    general: yes\n    do:", r"tools\[0\] \(water_plants\): general: true or"),
        ("tools:\n", "tools:\n  - name: [\n", r"01_garden.yaml:3: not valid YAML"),
    ],
)
def test_a_bad_domain_file_is_refused_naming_its_file_tool_and_field(tmp_path, old, new, message):
    assert old in GARDEN_DOMAIN
    path = tmp_path / "01_garden.yaml"
    path.write_text(GARDEN_DOMAIN.replace(old, new), encoding="utf-8")
    with pytest.raises(DataError, match=message) as error:
        load_domain(path)
    assert "01_garden.yaml" in str(error.value) and "\n" not in str(error.value)


def test_yaml_on_and_off_stay_strings_and_tool_names_are_unique_across_files(tmp_path):
    lights = GARDEN_DOMAIN.replace("kind: room\n", "enum: [on, off]\n")
    path = tmp_path / "01_garden.yaml"
    path.write_text(lights, encoding="utf-8")
    assert load_domain(path)[0].params[0].enum == ("on", "off")
    (tmp_path / "02_more.yaml").write_text(lights, encoding="utf-8")
    with pytest.raises(DataError, match=r"02_more.yaml: tool 'water_plants' is also in 01_garden"):
        load_catalogue(tmp_path)
    (tmp_path / "notes.yaml").write_text(lights, encoding="utf-8")
    with pytest.raises(DataError, match=r"notes.yaml: a domain file is named NN_<domain>.yaml"):
        load_catalogue(tmp_path)


def test_the_values_file_loads_and_a_kind_defined_twice_is_refused(tmp_path):
    pools, codes = load_values()
    assert len(pools["airport"]) == 24 and codes["order_id"] == "ORD-#####"
    bad = tmp_path / "values.yaml"
    bad.write_text(
        "pools:\n  airport: [JFK]\n  world_city: [Oslo]\n  city_state: [Oslo]\n"
        "codes:\n  airport: AP-##\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError, match=r"values.yaml: kind 'airport': in both pools and codes"):
        load_values(bad)
