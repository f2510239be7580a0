"""EdgeFuncCall's training-data generator (`slmbench.data.funccall_gen`): same seed same bytes,
all six categories over the catalogue's domains, every gold valid under its row's schema and
right by the scorer, values the request actually says, and `slmbench data build --task
edgefunccall`."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from conftest import GARDEN_DOMAIN as GARDEN

from slmbench.cli import main
from slmbench.constrain.schema_check import grammar_error
from slmbench.data.bfcl import CATEGORIES, calls_schema, read_bfcl
from slmbench.data.funccall_catalogue import load_domain
from slmbench.data.funccall_gen import DOMAINS, TOOLS, build_funccall, category_counts
from slmbench.data.funccall_spec import NAME_STYLES, Tool, bfcl_tool, param_name, styled_name
from slmbench.data.funccall_values import AFTER_DAYS, DATE_SPAN_DAYS, NUMBER_WORDS, POOLS
from slmbench.data.gen_values import humanize, long_date, number_text
from slmbench.errors import DataError
from slmbench.eval.funccall_scoring import funccall_metrics

SHARED_BFCL = Path(__file__).resolve().parents[1].parent / "shared" / "bfcl_sample"
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CLOCK = re.compile(r"^\d{2}:\d{2}$")


BY_NAME = {styled_name(t.name, s, t.namespace or t.domain): t for t in TOOLS for s in NAME_STYLES}
"""Every catalogue tool by each of its styled names."""


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("funccall")
    build_funccall(out, n_train=240, n_test=60, seed=7)
    return out


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> list:
    """A larger build, for defects that show in a few rows in a hundred."""
    out = tmp_path_factory.mktemp("funccall_big")
    build_funccall(out, n_train=1000, n_test=0, seed=11)
    return read_bfcl(out / "train.jsonl")[0]


def tool_of(name: str) -> Tool:
    return BY_NAME[name]


def base_arguments(call: dict) -> dict:
    """A gold call's arguments by the catalogue's parameter names."""
    tool = tool_of(call["name"])
    names = {param_name(p.name, c): p.name for p in tool.params for c in (True, False)}
    return {names[k]: v for k, v in call["arguments"].items()}


def slot_pattern(param) -> str:
    """What a request may write in the parameter's slot: one of its enum's or pool's values, or
    a list of them; other kinds any text."""
    if param.enum:
        forms = {f for v in param.enum for f in spoken(param, v)}
    elif param.kind in POOLS and param.type == "string":
        forms = set(POOLS[param.kind])
    else:
        return "(?:.+?)"
    one = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    return rf"(?:(?:{one})(?:(?:, | and )(?:{one}))*)"


def phrase_pattern(tool: Tool) -> re.Pattern:
    """Any of the tool's phrases, its slots matching what they may hold."""
    alternatives = []
    for phrase in tool.do + tool.ask:
        parts = re.split(r"(\{\w+\})", phrase)
        pattern = ""
        for part in parts:
            slot = re.fullmatch(r"\{(\w+)\}", part)
            if slot:
                pattern += slot_pattern(tool.param(slot[1]))
            else:
                pattern += re.sub(r"\ba\\ ", r"an?\\ ", re.escape(part))  # "an Ibis"
        alternatives.append(r"\b" + pattern)
    return re.compile("|".join(alternatives), re.IGNORECASE)


def test_the_same_seed_gives_the_same_bytes(built, tmp_path):
    build_funccall(tmp_path / "again", n_train=240, n_test=60, seed=7)
    for name in ("train.jsonl", "test.jsonl", "manifest.json"):
        assert (built / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name
    build_funccall(tmp_path / "other", n_train=240, n_test=60, seed=8)
    assert (built / "train.jsonl").read_bytes() != (tmp_path / "other/train.jsonl").read_bytes()


def test_every_category_at_its_share_and_no_request_twice(built):
    manifest = json.loads((built / "manifest.json").read_text())
    assert manifest["counts"] == {"train": category_counts(240), "test": category_counts(60)}
    assert set(category_counts(240)) == set(CATEGORIES) and all(category_counts(240).values())
    train, _ = read_bfcl(built / "train.jsonl")
    test, _ = read_bfcl(built / "test.jsonl")
    prompts = [r.prompt for r in train + test]
    assert len(prompts) == len(set(prompts)) == 300


def test_the_catalogue_spans_many_domains_and_typed_parameters():
    assert len(DOMAINS) >= 12 and len(TOOLS) >= 60
    for tool in TOOLS:
        tool.check()
    params = [p for t in TOOLS for p in t.params]
    types = {p.type for p in params}
    assert {"string", "integer", "float", "boolean", "array"} <= types
    assert sum(bool(p.enum) for p in params) >= 20
    assert sum(not p.required for p in params) >= 60
    assert {t.domain for t in TOOLS if t.general} == {"search"}


@pytest.mark.parametrize("style", NAME_STYLES)
def test_every_tool_compiles_for_constrained_decoding_in_every_naming_style(style):
    for tool in TOOLS:
        definition, _ = bfcl_tool(tool, style, camel_params=style == "camel")
        schema = calls_schema([definition], tool.name)
        assert grammar_error(json.dumps(schema, ensure_ascii=False)) is None, tool.name


@pytest.mark.parametrize("split", ["train", "test"])
def test_every_gold_validates_against_its_row_schema_and_scores_right(built, split):
    rows, schemas = read_bfcl(built / f"{split}.jsonl")
    for row in rows:
        assert schemas[row.schema_id].validator().is_valid(row.expected_output), row.id
    predictions = [{"id": r.id, "raw_output": json.dumps(r.expected_output)} for r in rows]
    metrics = funccall_metrics(predictions, rows)
    assert metrics["overall"]["accuracy"]["value"] == 1.0
    assert set(metrics["by_category"]) == set(CATEGORIES)
    empty = [{"id": r.id, "raw_output": "[]"} for r in rows]
    by_category = funccall_metrics(empty, rows)["by_category"]
    assert by_category["irrelevance"]["accuracy"]["value"] == 1.0
    assert all(by_category[c]["accuracy"]["value"] == 0.0 for c in CATEGORIES[:4])


def test_rows_are_shaped_as_their_category_says(built):
    rows, _ = read_bfcl(built / "train.jsonl")
    for row in rows:
        category, gold, tools = row.extra["category"], row.expected_output, row.extra["tools"]
        names = [t["name"] for t in tools]
        assert len(names) == len(set(names)) and {c["name"] for c in gold} <= set(names)
        called = {c["name"] for c in gold}
        if category == "simple":
            assert len(tools) == len(gold) == 1
        elif category == "multiple":
            assert len(tools) >= 2 and len(gold) == 1
        elif category == "parallel":
            assert len(tools) == 1 and 2 <= len(gold) <= 4
        elif category == "parallel_multiple":
            assert len(called) >= 2 and 2 <= len(gold) <= 4
        elif category == "irrelevance":
            assert gold == [] and row.extra["possible_answer"] is None
        else:
            assert len(gold) == 1 and row.extra["possible_answer"] is None


def test_argument_values_are_the_ones_the_request_says(built):
    rows, _ = read_bfcl(built / "train.jsonl")
    for row in rows:
        text = row.prompt.lower()
        tools = {t["name"]: t for t in row.extra["tools"]}
        for c in row.expected_output:
            properties = tools[c["name"]]["parameters"]["properties"]
            for name, value in c["arguments"].items():
                values = value if isinstance(value, list) else [value]
                for v in values:
                    if not isinstance(v, str) or "enum" in properties[name]:
                        continue
                    if ISO_DATE.match(v) or CLOCK.match(v):
                        continue  # written as "March 5, 2024" or "7:30 pm" at times
                    assert v.lower() in text, (row.id, name, v)


def test_the_requests_are_phrased_many_ways(built):
    rows, _ = read_bfcl(built / "train.jsonl")
    openings = {" ".join(r.prompt.split()[:2]) for r in rows}
    assert len(openings) >= 60
    styles = {r.extra["tools"][0]["name"].count(".") for r in rows}
    assert styles == {0, 1}  # plain and dotted tool names


def test_the_generator_never_repeats_a_bfcl_sample_request(built):
    if not SHARED_BFCL.is_dir():
        pytest.skip("../shared/bfcl_sample not present")
    sample = set()
    for path in SHARED_BFCL.glob("BFCL_*.json"):
        sample |= {r.prompt for r in read_bfcl(path)[0]}
    ours = {r.prompt for split in ("train", "test") for r in read_bfcl(built / f"{split}.jsonl")[0]}
    assert not sample & ours


def test_data_build_task_edgefunccall_writes_the_splits(tmp_path, capsys):
    out = tmp_path / "data"
    argv = ["data", "build", "--task", "edgefunccall", "--out", str(out), "--seed", "2"]
    assert main([*argv, "--train", "30", "--test", "12"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["task"] == "edgefunccall" and manifest["seed"] == 2
    assert {f: v["rows"] for f, v in manifest["files"].items()} == {
        "train.jsonl": 30,
        "test.jsonl": 12,
    }
    # --exclude keeps another build's requests out.
    again = tmp_path / "more"
    excluded = ["--exclude", str(out / "test.jsonl")]
    argv = ["data", "build", "--task", "edgefunccall", "--out", str(again), "--seed", "2"]
    assert main([*argv, "--train", "30", "--test", "0", *excluded]) == 0
    old = {r.prompt for r in read_bfcl(out / "test.jsonl")[0]}
    assert not old & {r.prompt for r in read_bfcl(again / "train.jsonl")[0]}


def test_a_no_call_row_gets_the_full_budget_not_one_sized_to_its_empty_gold(built):
    """19 tokens (the budget sized to `[]`) would cut a wrong call short and score it as no call."""
    from slmbench.eval.runner import build_examples

    rows, schemas = read_bfcl(built / "test.jsonl")
    by_category = {r.complexity: r for r in rows}
    picked = [by_category["irrelevance"], by_category["simple"]]
    irrelevant, simple = build_examples(picked, schemas, "chat", None, 700, "edgefunccall")
    assert irrelevant.row.expected_output == [] and irrelevant.max_new_tokens == 700
    assert 16 < simple.max_new_tokens < 700


def spoken(param, value) -> set[str]:
    """The ways a request may write a gold value (lower case)."""
    words = dict(param.words).get(value, ())
    if param.enum:
        return {w.lower() for w in words} | {humanize(str(value)).lower(), str(value).lower()}
    if isinstance(value, str) and ISO_DATE.match(value):
        return {value, long_date(value).lower(), long_date(value, day_first=True).lower()}
    if isinstance(value, str) and CLOCK.match(value):
        hour, minute = int(value[:2]), value[3:]
        twelve = str(hour % 12 or 12) + ("" if minute == "00" else f":{minute}")
        marks = ("pm", "p.m.") if hour >= 12 else ("am", "a.m.")
        return {value} | {f"{twelve} {m}" for m in marks}
    if isinstance(value, str):
        return {value.lower()}
    forms = {number_text(value), f"{value:,}", f"{value:,.2f}", f"{value:,.0f}"}
    if float(value).is_integer():
        forms |= {number_text(int(value)), f"{int(value):,}"}
        if 0 <= value < len(NUMBER_WORDS):
            forms.add(NUMBER_WORDS[int(value)])
    return forms


def test_every_gold_value_is_written_in_the_request(big):
    """Numbers, dates, times and enums too: nothing in a gold call that the request does not
    say (booleans are said by their fragments)."""
    for row in big:
        text = row.prompt.lower()
        for call in row.expected_output:
            tool = tool_of(call["name"])
            for name, value in base_arguments(call).items():
                param = tool.param(name)
                if param.type == "boolean":
                    continue
                for v in value if isinstance(value, list) else [value]:
                    forms = spoken(param, v)
                    assert any(f in text for f in forms), (row.id, name, v, row.prompt)


def test_a_parallel_row_says_each_call_or_lists_one_listable_parameter(big):
    """Each call of a parallel row has its own phrase, unless the calls differ in one listable
    parameter only, said once as a list; before, 'rent a car at SFO from May 2, 2019 to
    September 21, 2025, May 9, 2020 and April 15, 2020' listed three return dates."""
    listed = 0
    for row in (r for r in big if r.extra["category"] == "parallel"):
        tool = tool_of(row.expected_output[0]["name"])
        calls = [base_arguments(c) for c in row.expected_output]
        keys = {k for c in calls for k in c}
        varied = [k for k in keys if len({json.dumps(c.get(k)) for c in calls}) > 1]
        said = len(phrase_pattern(tool).findall(row.prompt))
        if said == len(calls):
            continue
        assert said == 1 and len(varied) == 1, (row.id, said, varied, row.prompt)
        param = tool.param(varied[0])
        assert param.listable, (row.id, param.name, row.prompt)
        listed += 1
    assert listed >= 20


def test_no_parameter_varies_alone_where_that_makes_no_sense(big):
    """Calls of one tool never differ only in parameters that may not vary alone (not: one
    order returned for three reasons, one thermostat set to three temperatures)."""
    for row in big:
        by_tool: dict[str, list[dict]] = {}
        for call in row.expected_output:
            by_tool.setdefault(call["name"], []).append(base_arguments(call))
        for name, calls in by_tool.items():
            tool = tool_of(name)
            for i, a in enumerate(calls):
                for b in calls[:i]:
                    differ = {k for k in {*a, *b} if a.get(k) != b.get(k)}
                    assert any(tool.param(k).vary for k in differ), (row.id, differ, row.prompt)


def test_a_rows_dates_are_weeks_apart_and_a_return_follows_its_pickup(big):
    """Before: a car picked up in 2024 and returned in 2020, reminders six years apart."""
    ordered = 0
    for row in big:
        dates = []
        for call in row.expected_output:
            tool, arguments = tool_of(call["name"]), base_arguments(call)
            for name, value in arguments.items():
                param = tool.param(name)
                if param.kind == "date":
                    dates.append(date.fromisoformat(value))
                if param.after:
                    gap = date.fromisoformat(value) - date.fromisoformat(arguments[param.after])
                    assert AFTER_DAYS[0] <= gap.days <= AFTER_DAYS[1], (row.id, row.prompt)
                    ordered += 1
        if dates:
            span = (max(dates) - min(dates)).days
            assert span <= DATE_SPAN_DAYS + AFTER_DAYS[1], (row.id, row.prompt)
    assert ordered >= 5


def test_an_irrelevance_request_has_no_tool_among_those_offered(big):
    """The request is one tool's phrase, and no offered tool shares that tool's domain or an
    overlap tag (before: 'schedule a dentist appointment' was a calendar request offered the
    doctor's-appointment tool, with [] as its gold)."""
    rows = [r for r in big if r.extra["category"] == "irrelevance"]
    assert len(rows) >= 100
    for row in rows:
        asked = [t for t in TOOLS if phrase_pattern(t).search(row.prompt)]
        assert asked, (row.id, row.prompt)
        for offered in (tool_of(t["name"]) for t in row.extra["tools"]):
            assert not offered.general, (row.id, offered.name)
            for tool in asked:
                assert offered.domain != tool.domain, (row.id, offered.name, row.prompt)
                assert not offered.overlaps(tool), (row.id, offered.name, row.prompt)


def test_no_distractor_could_serve_a_call_and_no_two_calls_are_alike(big):
    for row in big:
        called = {tool_of(c["name"]) for c in row.expected_output}
        for offered in (tool_of(t["name"]) for t in row.extra["tools"]):
            for tool in called - {offered}:
                assert not offered.overlaps(tool), (row.id, offered.name, tool.name)
        seen = []
        for call in row.expected_output:
            tool, arguments = tool_of(call["name"]), base_arguments(call)
            required = {p.name: arguments[p.name] for p in tool.required} or arguments
            assert (tool.name, required) not in seen, (row.id, row.prompt)
            seen.append((tool.name, required))


OPENERS = ("Hey, ", "Quick question: ", "Quick favour: ", "I need you to ", "Please ")
BAD_GRAMMAR = {
    "a second full stop": re.compile(r"\.\.(?!\.)"),
    "a plural after one": re.compile(r"(?<![\d.,])\b(?:1|one) (?!of\b)[a-z]+s\b"),
    "'a' before a vowel": re.compile(r"\b[Aa] (?!one\b|u)[aeiouAEIOU]"),
}


def test_requests_read_as_sentences(big):
    """No 'p.m..', 'for one guests', 'a SUV'/'a Ibis', and an opener only opens a request (not
    'Quick question: ... Quick question: ...')."""
    for row in big:
        for what, pattern in BAD_GRAMMAR.items():
            assert not pattern.search(row.prompt), (row.id, what, row.prompt)
        for opener in OPENERS[:3]:
            assert opener not in row.prompt[1:], (row.id, opener, row.prompt)


LISTED_ROOM = GARDEN.replace("Room name.\n", "Room name.\n        listable: true\n")


def test_the_parallel_keys_of_a_domain_file_load(tmp_path):
    path = tmp_path / "01_garden.yaml"
    path.write_text(LISTED_ROOM.replace("    do:", "    overlap: [garden, water]\n    do:"))
    (tool,) = load_domain(path)
    assert tool.params[0].listable and tool.params[0].vary and not tool.params[1].listable
    assert tool.overlap == ("garden", "water")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (LISTED_ROOM.replace("{room}']", '"{room}"\']'), r"water_plants\.room: a quoted slot"),
        (LISTED_ROOM.replace("Room name.\n", "Room name.\n        vary: false\n"), "only a varied"),
        (GARDEN.replace("lo: 0.5\n", "lo: 0.5\n        listable: true\n"), "only a varied"),
        (GARDEN.replace("lo: 0.5\n", "lo: 0.5\n        after: room\n"), "'after' names an earlier"),
        (GARDEN.replace("lo: 0.5\n", "lo: 0.5\n        vary: maybe\n"), "vary: true or false"),
        (GARDEN.replace("    do:", "    overlap: garden\n    do:"), "overlap: a list of strings"),
    ],
)
def test_a_bad_parallel_key_is_refused_naming_its_tool_and_field(tmp_path, text, message):
    path = tmp_path / "01_garden.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        load_domain(path)


def test_a_request_writes_its_dates_one_way_and_its_times_one_way(big):
    """Before: 'on November 28, 2024, 2021-06-21, 17 April 2024 and 2021-04-08'."""
    month = (
        "(?:January|February|March|April|May|June|July|August|September|October|November|December)"
    )
    styles = {
        "iso": re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),
        "written": re.compile(rf"\b\d{{1,2}} {month} \d{{4}}|\b{month} \d{{1,2}}, \d{{4}}"),
    }
    clocks = {
        "24h": re.compile(r"\b\d{2}:\d{2}\b(?! ?[ap]\.?m)", re.IGNORECASE),
        "12h": re.compile(r"\b\d{1,2}(?::\d{2})? ?[ap]\.?m\b", re.IGNORECASE),
    }
    for row in big:
        for kinds in (styles, clocks):
            used = [k for k, pattern in kinds.items() if pattern.search(row.prompt)]
            assert len(used) <= 1, (row.id, used, row.prompt)
