"""EdgeIntent's metrics (`slmbench.eval.intent_metrics`) on hand-made predictions: accuracy
and macro-F1 with intervals, per-intent F1, confused pairs, invalid and unknown outputs scored
wrong and counted, latency per query."""

from __future__ import annotations

import pytest

from slmbench.data.intent import intent_schema
from slmbench.data.rows import Row
from slmbench.data.schemas import SchemaInfo
from slmbench.eval.intent_metrics import (
    bootstrap_f1,
    intent_metrics,
    intent_summary,
    macro_f1,
    score_intent_row,
)
from slmbench.eval.parsing import parse_output

LABELS = ["card_arrival", "pin_blocked", "exchange_rate", "lost_or_stolen_card"]
SCHEMA = SchemaInfo("intent", "intent", intent_schema(LABELS), "labels.json")


def prediction(gold: str, raw: str, ms: float = 10.0) -> dict:
    """A predictions.jsonl row as the eval writes it: parsed output, timings, task fields."""
    parsed = parse_output(raw)
    row = {"raw_output": raw, "parsed": parsed.value, "valid_json": parsed.ok, "total_ms": ms}
    return {
        **row,
        **score_intent_row(row, Row("x", "intent", "intent", "q", {"intent": gold}), SCHEMA),
    }


def test_each_kind_of_output_is_classified_and_only_the_right_label_is_correct():
    cases = {
        '{"intent": "pin_blocked"}': ("pin_blocked", "label", True),
        'Sure: {"intent": "pin_blocked"}': ("pin_blocked", "label", True),
        '{"intent": "card_arrival"}': ("card_arrival", "label", False),
        '{"intent": "pin_locked"}': ("pin_locked", "unknown_label", False),
        '{"label": "pin_blocked"}': (None, "no_intent", False),
        '{"intent": 3}': (None, "no_intent", False),
        "pin_blocked": (None, "invalid_json", False),
        "": (None, "invalid_json", False),
    }
    for raw, (predicted, kind, correct) in cases.items():
        p = prediction("pin_blocked", raw)
        assert (p["predicted"], p["output_kind"], p["correct"]) == (predicted, kind, correct), raw
        assert p["gold"] == "pin_blocked"


def test_metrics_of_a_hand_made_run():
    preds = [
        prediction("card_arrival", '{"intent": "card_arrival"}', 10),
        prediction("card_arrival", '{"intent": "card_arrival"}', 20),
        prediction("card_arrival", '{"intent": "pin_blocked"}', 30),
        prediction("pin_blocked", '{"intent": "pin_blocked"}', 40),
        prediction("pin_blocked", '{"intent": "card_arrival"}', 50),
        prediction("exchange_rate", '{"intent": "exchange_rates"}', 60),
        prediction("exchange_rate", "no idea", 70),
        prediction("exchange_rate", '{"intent": "card_arrival"}', 80),
    ]
    m = intent_metrics(preds)
    assert m["overall"]["accuracy"]["value"] == pytest.approx(3 / 8)
    # card_arrival: tp 2, fp 2, fn 1 -> 4/7; pin_blocked: tp 1, fp 1, fn 1 -> 1/2;
    # exchange_rate: tp 0 -> 0. The unknown and invalid outputs are false positives of nothing.
    assert m["by_label"]["card_arrival"]["f1"]["value"] == pytest.approx(4 / 7)
    assert m["by_label"]["pin_blocked"]["f1"]["value"] == pytest.approx(0.5)
    assert m["by_label"]["exchange_rate"]["f1"]["value"] == 0.0
    assert m["overall"]["macro_f1"]["value"] == pytest.approx((4 / 7 + 0.5) / 3)
    assert set(m["by_label"]) == {"card_arrival", "pin_blocked", "exchange_rate"}
    card = m["by_label"]["card_arrival"]
    assert (card["precision"], card["recall"], card["support"], card["predicted"]) == (
        0.5,
        pytest.approx(2 / 3),
        3,
        4,
    )
    assert m["by_label"]["exchange_rate"]["precision"] is None  # never predicted
    assert m["outputs"] == {"label": 6, "unknown_label": 1, "no_intent": 0, "invalid_json": 1}
    assert m["overall"]["known_label"]["value"] == pytest.approx(6 / 8)
    assert m["overall"]["valid_json"]["value"] == pytest.approx(7 / 8)
    assert m["confused_pairs"][0] == {
        "gold": "card_arrival",
        "predicted": "pin_blocked",
        "count": 1,
    }
    assert len(m["confused_pairs"]) == 3  # exchange_rates (unknown) is no intent's confusion
    assert m["latency_ms"]["median"] == 45.0
    for key in ("accuracy", "macro_f1"):
        stat = m["overall"][key]
        assert 0 <= stat["ci_low"] <= stat["value"] <= stat["ci_high"] <= 1
    assert intent_metrics(preds) == m  # seeded


def test_macro_f1_agrees_with_its_bootstrap_point_value_and_the_interval_narrows():
    gold = ["a", "b", "c"] * 40
    predicted = ["a", "b", "c"] * 30 + ["b", "c", None] * 10
    macro, per = bootstrap_f1(gold, predicted, ["a", "b", "c"])
    assert macro["value"] == pytest.approx(macro_f1(gold, predicted, ["a", "b", "c"]))
    small, _ = bootstrap_f1(gold[:30], predicted[:30], ["a", "b", "c"])
    assert small == {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0}
    wide, _ = bootstrap_f1(gold[::4], predicted[::4], ["a", "b", "c"])  # 30 rows, same mix
    assert macro["ci_high"] - macro["ci_low"] < wide["ci_high"] - wide["ci_low"]
    assert per["a"]["value"] == pytest.approx(2 * 30 / (2 * 30 + 0 + 10))


def test_the_summary_prints_the_rates_confusions_and_latency():
    preds = [prediction("card_arrival", '{"intent": "pin_blocked"}', 12.0)] * 3
    results = {
        "config": {
            "model": "m",
            "backend": "transformers",
            "prompt_style": "chat",
            "constrained": "strict",
            "data": "t.csv",
        },
        "n": 3,
        "metrics": intent_metrics(preds),
    }
    text = intent_summary(results)
    assert "accuracy %" in text and "0.0 [0.0, 0.0]" in text
    assert "card_arrival -> pin_blocked (3)" in text and "median 12.0 ms" in text
