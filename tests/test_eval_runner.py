"""The eval loop with a scripted backend: run folder contract, resume, refusal to mix runs,
determinism, batching and token budgets, prompt style from a train run."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from slmbench.errors import DataError, SlmbenchError
from slmbench.eval.results import PREDICTIONS, RESULTS, RUN_CONFIG
from slmbench.eval.runner import EvalOptions, run_eval
from slmbench.eval.scoring import METRICS
from slmbench.models.base import Generation, GenerationRequest
from slmbench.prompts import build_messages, format_answer

PREDICTION_FIELDS = {
    "id",
    "schema_id",
    "complexity",
    "raw_output",
    "parse_path",
    "parsed",
    "json_exact",
    "json_exact_normalized",
    "field_precision",
    "field_recall",
    "field_f1",
    "top_level_f1",
    "schema_valid",
    "valid_json",
    "errors",
    "prompt_tokens",
    "generated_tokens",
    "ttft_ms",
    "total_ms",
    "decode_tok_s",
    "hit_limit",
    "constrained",
}
SCHEMAS = {
    "simple/contact.json": {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string"}, "email": {"type": "string"}},
    },
    "medium/order.json": {
        "type": "object",
        "required": ["order_id", "items"],
        "properties": {
            "order_id": {"type": "string"},
            "items": {"type": "array", "items": {"type": "object"}},
        },
    },
    "complex/report.json": {
        "type": "object",
        "required": ["report_id"],
        "properties": {"report_id": {"type": "string"}, "sections": {"type": "object"}},
    },
}


def gold_for(i: int) -> tuple[str, dict]:
    if i % 3 == 0:
        return "contact", {"name": f"Person {i}", "email": f"p{i}@example.com"}
    if i % 3 == 1:
        return "order", {"order_id": f"O-{i}", "items": [{"sku": "A", "qty": i}] * (i % 4 + 1)}
    return "report", {"report_id": f"R-{i}", "sections": {"intro": "x" * i, "n": i}}


def answer_for(i: int, gold: dict) -> str:
    """What the scripted model writes for row i: a mix of every outcome."""
    kind = i % 5
    if kind == 0:
        return format_answer(gold)
    if kind == 1:
        return "Sure!\n```json\n" + format_answer(gold) + "\n```"
    if kind == 2:
        first = next(iter(gold))
        return format_answer({**gold, first: "WRONG"})
    if kind == 3:
        return "I cannot do that."
    return format_answer(gold)[:10] + " and so on" * 200  # runs to its token cap


@pytest.fixture
def schema_dir(tmp_path) -> Path:
    root = tmp_path / "schemas"
    for rel, schema in SCHEMAS.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(json.dumps(schema))
    return root


def write_data(path: Path, n: int, with_gold: bool = True) -> Path:
    with path.open("w") as f:
        for i in range(n):
            schema_id, gold = gold_for(i)
            row = {"id": f"ex{i:02d}", "schema_id": schema_id, "prompt": f"Row {i}: " + "w " * i}
            if with_gold:
                row["expected_output"] = gold
            f.write(json.dumps(row) + "\n")
    return path


@pytest.fixture
def data_file(tmp_path) -> Path:
    return write_data(tmp_path / "data.jsonl", 12)


class WordTokenizer:
    """Just enough of a transformers tokenizer: a chat template and word counts."""

    def apply_chat_template(self, messages, tokenize=False, add_generation_prompt=True):
        return "".join(f"<{m['role']}>{m['content']}</{m['role']}>" for m in messages) + "<a>"

    def __call__(self, texts, add_special_tokens=False):
        return {"input_ids": [t.split() for t in texts]}


class ScriptedBackend:
    """Answers each prompt with `answer_for` of its row; counts tokens as 4 chars."""

    name = "fake"

    def __init__(self, tokenizer=None, interrupt_on_call: int | None = None):
        self.tokenizer = tokenizer
        self.interrupt_on_call = interrupt_on_call
        self.requests: list[list[GenerationRequest]] = []
        self.warmed = 0

    def warmup(self) -> None:
        self.warmed += 1

    def generate(self, requests):
        if self.interrupt_on_call is not None and len(self.requests) == self.interrupt_on_call:
            raise KeyboardInterrupt
        self.requests.append(list(requests))
        out = []
        for r in requests:
            text = r.messages[-1]["content"] if r.messages else r.prompt
            i = int(text.split("Row ", 1)[1].split(":", 1)[0])
            answer = answer_for(i, gold_for(i)[1])
            tokens = math.ceil(len(answer) / 4)
            hit_limit = tokens > r.max_new_tokens
            if hit_limit:
                answer, tokens = answer[: 4 * r.max_new_tokens], r.max_new_tokens
            meta = {"constrained": "on"} if r.schema is not None else {}
            out.append(Generation(answer, len(text) // 4, tokens, 0.01, 0.05, hit_limit, meta))
        return out

    def info(self):
        return {"name": "scripted", "params": 123, "size_on_disk_bytes": 456, "dtype": "none"}


def evaluate(data_file, schema_dir, out, backend=None, **kw):
    backend = backend or ScriptedBackend()
    opts = EvalOptions(
        data=str(data_file),
        out=str(out),
        model="scripted",
        schemas=str(schema_dir),
        progress=False,
        **kw,
    )
    results = run_eval(opts, backend_factory=lambda *_: backend, echo=lambda _: None)
    return results, backend


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_run_folder_follows_the_contract(data_file, schema_dir, tmp_path):
    results, backend = evaluate(data_file, schema_dir, tmp_path / "run", batch_size=4)
    preds = read_jsonl(tmp_path / "run" / PREDICTIONS)
    assert len(preds) == 12 and len({p["id"] for p in preds}) == 12
    for p in preds:
        assert p.keys() >= PREDICTION_FIELDS
    by_id = {p["id"]: p for p in preds}
    kinds = {i: i % 5 for i in range(12)}
    for i, kind in kinds.items():
        p = by_id[f"ex{i:02d}"]
        assert p["json_exact"] == (kind in (0, 1))
        assert p["parse_path"] == {0: "strict", 1: "extracted", 2: "strict"}.get(kind, "failed")
        if kind == 4:
            assert p["hit_limit"] and "truncated" in p["errors"]
        if kind == 2:
            assert p["errors"] == ["wrong_value"]
    n_exact = sum(1 for k in kinds.values() if k in (0, 1))
    assert results["metrics"]["overall"]["json_exact"]["value"] == pytest.approx(n_exact / 12)
    assert set(results["metrics"]["overall"]) == set(METRICS)
    assert set(results["metrics"]["by_tier"]) == {"simple", "medium", "complex"}
    assert results["n"] == 12 and results["dataset"]["n_rows"] == 12
    assert results["errors"]["overall"]["invalid_json"] == sum(
        1 for k in kinds.values() if k in (3, 4)
    )
    saved = json.loads((tmp_path / "run" / RESULTS).read_text())
    assert saved["schema_version"] == 1 and saved["kind"] == "eval"
    for key in ("created", "git_hash", "versions", "config", "model", "dataset", "latency"):
        assert key in saved
    assert saved["model"]["params"] == 123
    assert saved["config"]["prompt_style"] == "chat"
    assert "ceil(1.5 * gold_tokens) + 16" in saved["config"]["max_new_tokens_policy"]
    assert {"median", "p90"} <= saved["latency"]["ttft_ms"].keys()
    assert saved["latency"]["peak_rss_mb"] > 0
    assert backend.warmed == 1


def test_results_json_has_exactly_the_contracts_keys(data_file, schema_dir, tmp_path):
    """What the runner writes, key by key and at every depth, is `slmbench.results_contract`
    (CONTRIBUTING.md, "The results contract"), with the run's name, task and diff hash."""
    from slmbench import results_contract as contract

    evaluate(data_file, schema_dir, tmp_path / "run", batch_size=4, name="scripted-run")
    saved = json.loads((tmp_path / "run" / RESULTS).read_text())
    assert contract.problems(saved) == []
    required, optional = contract.keys(contract.ResultsJson)
    assert saved.keys() == required | optional  # the runner writes the optional keys too
    assert (saved["name"], saved["task"]) == ("scripted-run", contract.DEFAULT_TASK)
    assert saved["schema_version"] == contract.RESULTS_SCHEMA_VERSION
    assert "git_diff_sha256" in saved and set(saved["metrics"]["overall"]) == set(METRICS)
    # The check fails on a missing key and on a key the contract does not know.
    del saved["metrics"]["by_tier"]["simple"]["json_exact"]
    saved["latency"]["speed"] = 1
    assert contract.problems(saved) == [
        "results.json.latency: unknown key 'speed'",
        "results.json.metrics.by_tier.simple: missing key 'json_exact'",
    ]


def test_every_key_of_the_contract_is_documented():
    from slmbench import results_contract as contract
    from slmbench.options import field_docs

    kinds = [contract.ResultsJson, contract.EvalConfig, contract.ModelRecord, contract.Latency]
    kinds += [contract.DatasetRecord, contract.Metrics, contract.Errors, contract.Interval]
    kinds += [contract.MetricTable, contract.ErrorCounts, contract.Quantiles]
    for kind in kinds:
        required, optional = contract.keys(kind)
        assert set(field_docs(kind)) == required | optional, kind.__name__


def test_chat_prompts_go_as_messages_without_a_tokenizer(data_file, schema_dir, tmp_path):
    _, backend = evaluate(data_file, schema_dir, tmp_path / "run", limit=3)
    request = backend.requests[0][0]
    text = request.prompt.split("\n\n", 1)[1]
    assert request.messages == build_messages(text, "chat")
    assert request.prompt == request.messages[-1]["content"]
    assert all(r.stop_at_json and r.schema is None for b in backend.requests for r in b)


def test_token_budget_and_length_sorted_batches(data_file, schema_dir, tmp_path):
    tok = WordTokenizer()
    backend = ScriptedBackend(tokenizer=tok)
    evaluate(
        data_file, schema_dir, tmp_path / "run", backend=backend, batch_size=5, max_new_tokens=6
    )
    assert [len(b) for b in backend.requests] == [5, 5, 2]
    lengths = [len(r.prompt.split()) for b in backend.requests for r in b]
    assert lengths == sorted(lengths, reverse=True)
    assert backend.requests[0][0].prompt.startswith("<user>")
    for request in (r for b in backend.requests for r in b):
        i = int(request.prompt.split("Row ", 1)[1].split(":", 1)[0])
        gold_tokens = len(format_answer(gold_for(i)[1]).split())
        assert request.max_new_tokens == min(6, math.ceil(1.5 * gold_tokens) + 16)


def test_interrupted_run_resumes_without_losing_or_redoing(data_file, schema_dir, tmp_path):
    run = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        evaluate(
            data_file, schema_dir, run, backend=ScriptedBackend(interrupt_on_call=2), batch_size=4
        )
    first = read_jsonl(run / PREDICTIONS)
    assert len(first) == 8 and not (run / RESULTS).exists()
    # A line cut in half by a crash is dropped and redone.
    with (run / PREDICTIONS).open("a") as f:
        f.write('{"id": "ex99", "raw_out')
    results, backend = evaluate(data_file, schema_dir, run, batch_size=4)
    done_before = {p["id"] for p in first}
    redone = [r for b in backend.requests for r in b]
    assert len(redone) == 4
    preds = read_jsonl(run / PREDICTIONS)
    assert len(preds) == 12 and len({p["id"] for p in preds}) == 12
    assert done_before < {p["id"] for p in preds}
    assert results["n"] == 12
    # Rerunning a finished run generates nothing and rewrites the same metrics.
    again, backend = evaluate(data_file, schema_dir, run, batch_size=4)
    assert backend.requests == [] and again["metrics"] == results["metrics"]


def test_refuses_to_mix_runs(data_file, schema_dir, tmp_path):
    run = tmp_path / "run"
    evaluate(data_file, schema_dir, run, limit=2)
    with pytest.raises(SlmbenchError, match="prompt_style"):
        evaluate(data_file, schema_dir, run, limit=2, prompt_style="paper")
    with pytest.raises(SlmbenchError, match="constrained"):
        evaluate(data_file, schema_dir, run, limit=2, constrained="strict")
    other_data = write_data(tmp_path / "other.jsonl", 13)
    with pytest.raises(SlmbenchError, match="data_sha256"):
        evaluate(other_data, schema_dir, run, limit=2)
    # Batch size and limit do not change predictions: extending the run is allowed.
    results, _ = evaluate(data_file, schema_dir, run, limit=5, batch_size=3)
    assert results["n"] == 5
    assert json.loads((run / RUN_CONFIG).read_text())["limit"] == 5


def test_same_command_same_predictions(data_file, schema_dir, tmp_path):
    evaluate(data_file, schema_dir, tmp_path / "a", batch_size=3)
    evaluate(data_file, schema_dir, tmp_path / "b", batch_size=3)
    timing = {"ttft_ms", "total_ms", "decode_tok_s", "wall_ms_share"}

    def untimed(path):
        return [{k: v for k, v in p.items() if k not in timing} for p in read_jsonl(path)]

    assert untimed(tmp_path / "a" / PREDICTIONS) == untimed(tmp_path / "b" / PREDICTIONS)


def test_constrained_mode_sends_schemas_and_is_recorded(data_file, schema_dir, tmp_path):
    results, backend = evaluate(
        data_file, schema_dir, tmp_path / "run", constrained="lenient", limit=3
    )
    sent = [r.schema for b in backend.requests for r in b]
    assert all(s is not None and s["type"] == "object" for s in sent)
    assert results["config"]["constrained"] == "lenient"
    preds = read_jsonl(tmp_path / "run" / PREDICTIONS)
    assert {p["constrained"] for p in preds} == {"on"}


def train_run(tmp_path: Path, recipe: dict) -> Path:
    run = tmp_path / "train-run"
    (run / "adapter").mkdir(parents=True)
    (run / "adapter" / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA"}))
    (run / "recipe.json").write_text(json.dumps(recipe))
    return run


def test_adapter_recipe_sets_prompt_style_and_base_model(data_file, schema_dir, tmp_path):
    run = train_run(tmp_path, {"base_model": "base-from-recipe", "prompt_style": "paper"})
    seen = {}

    def factory(opts, model, adapter):
        seen.update(model=model, adapter=adapter)
        return ScriptedBackend()

    opts = EvalOptions(
        data=str(data_file),
        out=str(tmp_path / "e1"),
        adapter=str(run),
        schemas=str(schema_dir),
        limit=2,
        progress=False,
    )
    results = run_eval(opts, backend_factory=factory, echo=lambda _: None)
    assert seen == {"model": "base-from-recipe", "adapter": str(run / "adapter")}
    assert results["config"]["prompt_style"] == "paper"
    assert results["config"]["prompt_style_source"] == "train recipe"
    assert results["model"]["trained_from"]["prompt_style"] == "paper"
    opts.out, opts.prompt_style = str(tmp_path / "e2"), "chat"
    results = run_eval(opts, backend_factory=factory, echo=lambda _: None)
    assert results["config"]["prompt_style"] == "chat"
    assert results["config"]["prompt_style_source"] == "--prompt"


def test_bad_inputs_are_user_errors(data_file, schema_dir, tmp_path):
    no_gold = write_data(tmp_path / "nogold.jsonl", 3, with_gold=False)
    with pytest.raises(DataError, match="nogold.jsonl:1.*no gold"):
        evaluate(no_gold, schema_dir, tmp_path / "r1")
    bad_schema = tmp_path / "bad.jsonl"
    bad_schema.write_text(
        json.dumps({"id": "x", "schema_id": "nope", "prompt": "p", "expected_output": {}}) + "\n"
    )
    with pytest.raises(DataError, match="unknown schema id 'nope'"):
        evaluate(bad_schema, schema_dir, tmp_path / "r2")
    with pytest.raises(SlmbenchError, match="does not exist"):
        evaluate(data_file, schema_dir, tmp_path / "r3", adapter=str(tmp_path / "missing"))
    with pytest.raises(SlmbenchError, match="batch-size"):
        evaluate(data_file, schema_dir, tmp_path / "r4", batch_size=0)
    assert not (tmp_path / "r1").exists() and not (tmp_path / "r2").exists()


def test_tiny_model_runs_are_identical(tiny_model_dir, data_file, schema_dir, tmp_path):
    pytest.importorskip("slmbench.models.hf_backend")
    from slmbench.eval.runner import _load_backend

    def run(out):
        opts = EvalOptions(
            data=str(data_file),
            out=str(out),
            model=str(tiny_model_dir),
            schemas=str(schema_dir),
            limit=4,
            batch_size=2,
            max_new_tokens=12,
            threads=1,
            progress=False,
        )
        return run_eval(opts, backend_factory=_load_backend, echo=lambda _: None)

    results = run(tmp_path / "a")
    run(tmp_path / "b")
    a, b = read_jsonl(tmp_path / "a" / PREDICTIONS), read_jsonl(tmp_path / "b" / PREDICTIONS)
    assert [p["raw_output"] for p in a] == [p["raw_output"] for p in b]
    assert [p["id"] for p in a] == [p["id"] for p in b]
    assert all(p["generated_tokens"] <= 12 for p in a)
    assert results["model"]["params"] > 0 and results["n"] == 4
