"""The task registry (`slmbench.tasks`): names, lazy "module:function" references, per-task
prompts, and the results contract's per-task `metrics` layout."""

from __future__ import annotations

import importlib

import pytest

from slmbench import results_contract as contract
from slmbench.errors import SlmbenchError
from slmbench.prompts import INSTRUCTION, TASK_INSTRUCTIONS, build_messages, compact_schema
from slmbench.tasks import TASKS, get_task

PARTS = ("reader", "scorer", "row_scorer", "builder", "summary")


def test_the_three_tasks_and_their_defaults():
    assert list(TASKS) == ["edgejson", "edgeintent", "edgefunccall"]
    assert get_task(None) is TASKS[contract.DEFAULT_TASK] is TASKS["edgejson"]
    assert (get_task("edgejson").breakdown, get_task("edgejson").headline_metric) == (
        "by_tier",
        "json_exact",
    )
    intent = get_task("edgeintent")
    assert (intent.breakdown, intent.headline_metric) == ("by_label", "accuracy")
    assert intent.default_prompt_style == "chat-schema"  # zero-shot: the label list is shown
    assert get_task("edgefunccall").breakdown == "by_category"
    # EdgeJSON's zero-shot prompt style is what it was before the registry.
    assert get_task("edgejson").default_prompt_style == "chat"


def test_an_unknown_task_names_the_known_ones():
    with pytest.raises(SlmbenchError, match="unknown task 'edgevision' .*edgejson, edgeintent"):
        get_task("edgevision")


@pytest.mark.parametrize("name", ["edgejson", "edgeintent"])
def test_every_reference_of_a_task_resolves_to_a_function(name):
    spec = get_task(name)
    for part in PARTS:
        if getattr(spec, part) is None:
            with pytest.raises(SlmbenchError, match=f"has no {part.replace('_', ' ')}"):
                spec.load(part)
        else:
            assert callable(spec.load(part))


def test_edgefunccall_references_name_its_own_modules():
    # Filled in by the EdgeFuncCall work; until its modules exist the references stay strings.
    spec = get_task("edgefunccall")
    for part in ("reader", "scorer"):
        module = getattr(spec, part).split(":")[0]
        assert module.startswith(("slmbench.data.", "slmbench.eval."))
        if importlib.util.find_spec(module) is not None:
            assert callable(spec.load(part))


def test_each_task_has_its_instruction_and_edgejson_keeps_the_original():
    assert set(TASK_INSTRUCTIONS) == set(TASKS)
    assert TASK_INSTRUCTIONS["edgejson"] == INSTRUCTION
    assert build_messages("Name: Ada", "chat") == build_messages(
        "Name: Ada", "chat", None, "edgejson"
    )
    intent = build_messages("Where is my card?", "chat", None, "edgeintent")[0]["content"]
    assert intent.startswith(TASK_INSTRUCTIONS["edgeintent"]) and intent.endswith("my card?")


def test_the_chat_schema_prompt_lists_the_labels_and_chat_does_not():
    labels = ["card_arrival", "pin_blocked", "exchange_rate"]
    schema = {
        "type": "object",
        "required": ["intent"],
        "properties": {"intent": {"type": "string", "enum": labels}},
    }
    assert compact_schema(schema) == '{intent*: "card_arrival"|"pin_blocked"|"exchange_rate"}'
    with_labels = build_messages("q", "chat-schema", schema, "edgeintent")[0]["content"]
    without = build_messages("q", "chat", schema, "edgeintent")[0]["content"]
    assert all(label in with_labels for label in labels)
    assert not any(label in without for label in labels)


def test_the_contract_checks_each_tasks_metrics_layout():
    interval = {"value": 0.5, "ci_low": 0.4, "ci_high": 0.6}
    intent_metrics = {
        "overall": {k: interval for k in ("accuracy", "macro_f1", "known_label", "valid_json")},
        "by_label": {
            "a": {"f1": interval, "precision": 1.0, "recall": 0.5, "support": 2, "predicted": 1}
        },
        "confused_pairs": [{"gold": "a", "predicted": "b", "count": 1}],
        "outputs": {"label": 2, "unknown_label": 0, "no_intent": 0, "invalid_json": 0},
        "latency_ms": {"median": 1.0, "p90": 2.0},
    }
    problems = contract.problems(
        {"task": "edgeintent", "metrics": intent_metrics}, contract.ResultsJson
    )
    assert not [p for p in problems if ".metrics" in p]
    del intent_metrics["overall"]["macro_f1"]
    intent_metrics["confused_pairs"][0]["n"] = 1
    problems = contract.problems({"task": "edgeintent", "metrics": intent_metrics})
    assert [p for p in problems if ".metrics" in p] == [
        "results.json.metrics.confused_pairs[0]: unknown key 'n'",
        "results.json.metrics.overall: missing key 'macro_f1'",
    ]
    # The same metrics under EdgeJSON's layout miss its keys.
    edgejson = contract.problems({"metrics": intent_metrics})
    assert "results.json.metrics: missing key 'by_tier'" in edgejson
