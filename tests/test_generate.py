"""`slmbench data build`: deterministic, stratified, consistent and grounded generated data."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest

from slmbench.cli import main
from slmbench.data.gen_values import Gen
from slmbench.data.generate import STYLES, TIER_SHARES, build_dataset, build_rows, tier_counts
from slmbench.data.grounding import ungrounded_leaves
from slmbench.data.rows import file_sha256, read_rows
from slmbench.data.schemas import TIERS, load_schemas
from slmbench.errors import SlmbenchError

N_TRAIN, N_TEST = 120, 48
FILES = ("train.jsonl", "test.jsonl", "manifest.json")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("built") / "seed3"
    build_dataset(out, seed=3, n_train=N_TRAIN, n_test=N_TEST)
    return out


@pytest.fixture(scope="module")
def splits(built) -> dict:
    schemas = load_schemas()
    return {s: read_rows(built / f"{s}.jsonl", schemas) for s in ("train", "test")}


@pytest.fixture(scope="module")
def all_rows(splits) -> list:
    return splits["train"] + splits["test"]


def test_same_seed_same_bytes_even_in_another_process(built, tmp_path):
    # Another interpreter with another hash seed: no dependence on set order or process state.
    out = tmp_path / "again"
    cmd = [
        sys.executable,
        "-m",
        "slmbench.cli",
        "data",
        "build",
        "--out",
        str(out),
        "--seed",
        "3",
        "--train",
        str(N_TRAIN),
        "--test",
        str(N_TEST),
    ]
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run(cmd, check=True, env=env, capture_output=True, timeout=120)
    for name in FILES:
        assert (out / name).read_bytes() == (built / name).read_bytes(), name


def test_another_seed_gives_other_data(built, tmp_path):
    build_dataset(tmp_path / "other", seed=4, n_train=N_TRAIN, n_test=N_TEST)
    for name in ("train.jsonl", "test.jsonl"):
        assert (tmp_path / "other" / name).read_bytes() != (built / name).read_bytes(), name


def test_every_schema_in_both_splits_with_tier_shares(splits):
    schemas = load_schemas()
    for split, n in (("train", N_TRAIN), ("test", N_TEST)):
        rows = splits[split]
        assert len(rows) == n
        assert {r.schema_id for r in rows} == set(schemas)
        by_tier = Counter(r.complexity for r in rows)
        assert by_tier == Counter(tier_counts(n))
        for tier in TIERS:
            assert abs(by_tier[tier] / n - TIER_SHARES[tier]) < 0.02, (split, tier)
        per_schema = Counter(r.schema_id for r in rows)
        for tier in TIERS:  # evenly spread within a tier
            counts = [per_schema[s] for s, info in schemas.items() if info.tier == tier]
            assert max(counts) - min(counts) <= 1, (split, tier, counts)


def test_rows_carry_their_schema_tier_and_source(all_rows):
    schemas = load_schemas()
    for row in all_rows:
        assert row.complexity == schemas[row.schema_id].tier
        assert row.style in STYLES
        assert row.extra["source"] == "slmbench-engine"
    assert len({r.id for r in all_rows}) == len(all_rows)


def test_gold_validates_against_its_schema(all_rows):
    schemas = load_schemas()
    for row in all_rows:
        errors = [
            e.message for e in schemas[row.schema_id].validator().iter_errors(row.expected_output)
        ]
        assert not errors, (row.id, errors)


def test_every_gold_value_is_grounded_in_the_text(all_rows):
    schemas = load_schemas()
    for row in all_rows:
        n, missing = ungrounded_leaves(
            row.expected_output, row.prompt, schemas[row.schema_id].schema
        )
        assert n > 0 and not missing, (row.id, missing, row.prompt)


def _objects(value):
    if isinstance(value, dict):
        yield value
        for sub in value.values():
            yield from _objects(sub)
    elif isinstance(value, list):
        for sub in value:
            yield from _objects(sub)


def test_totals_add_up(all_rows):
    checked = Counter()
    for row in all_rows:
        for obj in _objects(row.expected_output):
            if {"quantity", "unit_price", "line_total"} <= obj.keys():
                assert obj["line_total"] == round(obj["quantity"] * obj["unit_price"], 2), row.id
                checked["line"] += 1
            if "subtotal" in obj:
                items = [
                    i
                    for v in obj.values()
                    if isinstance(v, list)
                    for i in v
                    if isinstance(i, dict) and "line_total" in i
                ]
                assert obj["subtotal"] == round(sum(i["line_total"] for i in items), 2), row.id
                extra = obj.get("tax", 0) + obj.get("shipping", 0) - obj.get("discount", 0)
                assert obj["total"] == round(obj["subtotal"] + extra, 2), row.id
                checked["total"] += 1
        gold = row.expected_output
        if row.schema_id == "iot_site_report":
            devices = [d for gw in gold["gateways"] for d in gw["devices"]]
            assert gold["device_count"] == len(devices), row.id
            assert gold["offline_count"] == sum(not d["online"] for d in devices), row.id
            checked["devices"] += 1
    assert checked["line"] and checked["total"] and checked["devices"]


def _day(value: str) -> date:
    return date.fromisoformat(value[:10])


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_dates_are_in_order_and_ages_match(all_rows):
    checked = Counter()
    for row in all_rows:
        g = row.expected_output
        pairs = []
        if row.schema_id == "purchase_invoice" and "due_date" in g:
            pairs.append((_day(g["issue_date"]), _day(g["due_date"])))
        if row.schema_id == "purchase_order" and "requested_delivery" in g:
            pairs.append((_day(g["order_date"]), _day(g["requested_delivery"])))
        if row.schema_id == "hotel_reservation":
            pairs.append((_day(g["check_in"]), _day(g["check_out"])))
            if "nights" in g:
                assert (_day(g["check_out"]) - _day(g["check_in"])).days == g["nights"], row.id
        if row.schema_id == "deployment_event" and "finished_at" in g:
            pairs.append((_moment(g["started_at"]), _moment(g["finished_at"])))
        if row.schema_id == "flight_booking":
            times = [_moment(s["departure"]) for s in g["segments"]]
            pairs += list(zip(times, times[1:], strict=False))
        if row.schema_id == "incident_report":
            times = [_moment(g["detected_at"])] + [_moment(t["at"]) for t in g["timeline"]]
            if "resolved_at" in g:
                times.append(_moment(g["resolved_at"]))
            pairs += list(zip(times, times[1:], strict=False))
        if row.schema_id == "trip_itinerary":
            start, end = _day(g["start_date"]), _day(g["end_date"])
            pairs.append((start, end))
            for leg in g["legs"]:
                pairs += [(start, _day(leg["departure"])), (_day(leg["departure"]), end)]
            for stay in g.get("lodging", []):
                pairs += [
                    (start, _day(stay["check_in"])),
                    (_day(stay["check_in"]), _day(stay["check_out"])),
                    (_day(stay["check_out"]), end),
                ]
        if row.schema_id == "clinic_visit":
            visit, patient = _day(g["visit_time"]), g["patient"]
            born = _day(patient["date_of_birth"])
            pairs.append((born, visit))
            if "age" in patient:
                assert patient["age"] == Gen.age_on(born, visit), row.id
                checked["age"] += 1
            if "date" in g.get("follow_up", {}):
                pairs.append((visit, _day(g["follow_up"]["date"])))
        for earlier, later in pairs:
            assert earlier <= later, (row.id, earlier, later)
            checked["pairs"] += 1
    assert checked["pairs"] > 20 and checked["age"] > 0


def test_no_duplicate_prompts_and_no_overlap_between_splits(splits):
    train = [r.prompt for r in splits["train"]]
    test = [r.prompt for r in splits["test"]]
    assert len(set(train)) == len(train) and len(set(test)) == len(test)
    assert not set(train) & set(test)
    train_golds = {json.dumps(r.expected_output, sort_keys=True) for r in splits["train"]}
    assert not any(
        json.dumps(r.expected_output, sort_keys=True) in train_golds for r in splits["test"]
    )


def test_every_style_appears_for_every_schema(splits):
    for split in ("train", "test"):
        assert set(Counter(r.style for r in splits[split])) == set(STYLES)
    styles_by_schema: dict[str, set] = {}
    for row in splits["train"]:
        styles_by_schema.setdefault(row.schema_id, set()).add(row.style)
    assert all(styles == set(STYLES) for styles in styles_by_schema.values()), styles_by_schema


def test_optional_fields_are_sometimes_absent():
    schemas = load_schemas()
    splits = build_rows(seed=11, n_train=300, n_test=60)  # ~10+ rows per schema
    all_rows = splits["train"] + splits["test"]
    absent_share = []
    for schema_id, info in schemas.items():
        optional = set(info.schema["properties"]) - set(info.schema.get("required", []))
        if not optional:
            continue
        golds = [r.expected_output for r in all_rows if r.schema_id == schema_id]
        present = [k for g in golds for k in optional if k in g]
        absent = [k for g in golds for k in optional if k not in g]
        assert present and absent, (schema_id, optional)
        absent_share.append(len(absent) / (len(present) + len(absent)))
    assert 0.15 < statistics.mean(absent_share) < 0.5


def test_texts_are_varied_and_reasonably_sized(all_rows):
    lengths = [len(r.prompt) for r in all_rows]
    assert max(lengths) < 2000 and min(lengths) > 40
    assert statistics.median(lengths) >= 150
    complex_golds = [
        len(json.dumps(r.expected_output)) for r in all_rows if r.complexity == "complex"
    ]
    assert 300 <= statistics.median(complex_golds) <= 1200
    # A `kv` label is not always the key in words: the model has to learn the key names.
    kv = " ".join(r.prompt for r in all_rows if r.style == "kv")
    assert "Device ID" in kv or "Sensor ID" in kv or "Unit:" in kv or "Device:" in kv


def test_manifest_counts_and_hashes_match_the_files(built, splits):
    manifest = json.loads((built / "manifest.json").read_text())
    assert manifest["seed"] == 3
    for split in ("train", "test"):
        counts = manifest["counts"][split]
        assert counts["total"] == len(splits[split])
        assert counts["by_schema"] == dict(Counter(r.schema_id for r in splits[split]))
        assert counts["by_tier"] == dict(Counter(r.complexity for r in splits[split]))
        assert sum(counts["by_style"].values()) == counts["total"]
        entry = manifest["files"][f"{split}.jsonl"]
        assert entry["sha256"] == file_sha256(built / f"{split}.jsonl")
        assert entry["rows"] == len(splits[split])
    assert manifest["settings"]["tier_shares"] == TIER_SHARES


def test_cli_builds_a_dataset(tmp_path, capsys):
    out = tmp_path / "cli"
    assert (
        main(["data", "build", "--out", str(out), "--seed", "5", "--train", "30", "--test", "30"])
        == 0
    )
    assert "train.jsonl (30 rows)" in capsys.readouterr().out
    assert all((out / name).is_file() for name in FILES)


def test_too_few_rows_for_every_schema_is_a_user_error(tmp_path, capsys):
    with pytest.raises(SlmbenchError, match="--test 20"):
        build_rows(0, 120, 20)
    assert main(["data", "build", "--out", str(tmp_path / "x"), "--test", "10"]) == 2
    assert "at least 29 needed" in capsys.readouterr().err


def test_exclude_keeps_a_new_build_off_another_test_split(built, splits, tmp_path, capsys):
    # The same seed would regenerate the excluded rows exactly; --exclude must steer around them.
    out = tmp_path / "extra"
    test_file = built / "test.jsonl"
    argv = ["data", "build", "--out", str(out), "--seed", "3", "--exclude", str(test_file)]
    assert main([*argv, "--train", str(N_TRAIN), "--test", str(N_TEST)]) == 0
    capsys.readouterr()
    excluded = splits["test"]
    prompts = {r.prompt for r in excluded}
    golds = {json.dumps(r.expected_output, sort_keys=True) for r in excluded}
    for split in ("train", "test"):
        rows = read_rows(out / f"{split}.jsonl")
        assert not prompts & {r.prompt for r in rows}
        assert not golds & {json.dumps(r.expected_output, sort_keys=True) for r in rows}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["settings"]["excluded"] == [
        {"path": str(test_file), "rows": N_TEST, "sha256": file_sha256(test_file)}
    ]
    unexcluded = build_rows(3, N_TRAIN, N_TEST)["test"]
    assert {r.prompt for r in unexcluded} == prompts  # without --exclude: the very same rows

    # Several files: a third build kept off both test splits (e.g. a shared validation split).
    third = tmp_path / "third"
    argv = ["data", "build", "--out", str(third), "--seed", "3", "--exclude", str(test_file)]
    argv += ["--exclude", str(out / "test.jsonl"), "--train", str(N_TRAIN), "--test", str(N_TEST)]
    assert main(argv) == 0
    both = excluded + read_rows(out / "test.jsonl")
    third_rows = read_rows(third / "train.jsonl") + read_rows(third / "test.jsonl")
    assert not {r.prompt for r in both} & {r.prompt for r in third_rows}
    manifest = json.loads((third / "manifest.json").read_text())
    assert [e["path"] for e in manifest["settings"]["excluded"]] == [
        str(test_file),
        str(out / "test.jsonl"),
    ]


def test_tiers_builds_rows_of_the_chosen_tiers_only(tmp_path, capsys):
    out = tmp_path / "complex"
    argv = ["data", "build", "--out", str(out), "--train", "12", "--test", "6"]
    assert main([*argv, "--tiers", "complex"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    schemas = load_schemas()
    complex_ids = {s for s, info in schemas.items() if info.tier == "complex"}
    for split, n in (("train", 12), ("test", 6)):
        counts = manifest["counts"][split]
        assert counts["by_tier"] == {"complex": n}
        assert set(counts["by_schema"]) == complex_ids
    assert manifest["settings"]["tiers"] == ["complex"]
    assert main([*argv, "--tiers", "complex,huge"]) == 2
    assert "unknown tier(s) ['huge']" in capsys.readouterr().err
