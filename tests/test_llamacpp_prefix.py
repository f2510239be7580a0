"""The llamacpp backend's two savings leave every token as it was: prefix KV reuse between calls
(and between the prompts of a batch), and forced tokens decoded without logits
(`slmbench.models.llamacpp_batch`, `slmbench.models.llamacpp_forced`). The tiny exported Llama
in the fast tier; the embedded SmolLM2-135M on EdgeJSON and EdgeIntent rows in the slow one."""

from __future__ import annotations

from pathlib import Path

import pytest

from slmbench.models.base import GenerationRequest

pytest.importorskip("llama_cpp")

from slmbench.models import llamacpp_batch  # noqa: E402
from slmbench.models.llamacpp_backend import LlamaCppBackend  # noqa: E402

INTENT_CSV = Path(__file__).resolve().parent / "assets" / "intent" / "tiny.csv"
SHARED = "Extract the structured JSON data from the following text.\n\nInput: "
TEXTS = ["Ada Lovelace, ada@example.org", "Order 7 placed today: 2 x A-1", "Sensor t1 reads 21.5"]
INTENT = {
    "type": "object",
    "properties": {"intent": {"enum": ["card_arrival", "card_linking", "pin_blocked"]}},
    "required": ["intent"],
}
CONTACT = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "vip": {"type": "boolean"}},
    "required": ["name", "vip"],
}
PLAIN = {"reuse_prefix": False, "forced_tokens": "off"}


def outcome(generation) -> tuple:
    return (generation.text, generation.generated_tokens, generation.prompt_tokens, generation.meta)


def reused(backend) -> int:
    return backend._batched._contexts.context.reused_tokens


@pytest.fixture
def fills(monkeypatch) -> list[str]:
    """The `outputs` mode of every `BatchContext._fill` call (`"none"`: decoded without
    logits), in order; the calls still run."""
    calls: list[str] = []
    original = llamacpp_batch.BatchContext._fill

    def recording(self, entries, outputs):
        calls.append(outputs)
        return original(self, entries, outputs)

    monkeypatch.setattr(llamacpp_batch.BatchContext, "_fill", recording)
    return calls


def test_reuse_keeps_the_tokens_whatever_consecutive_prompts_share(tiny_gguf):
    plain = LlamaCppBackend(str(tiny_gguf), threads=1, **PLAIN)
    reusing = LlamaCppBackend(str(tiny_gguf), threads=1, forced_tokens="off")
    first, second = (SHARED + text for text in TEXTS[:2])
    shared_ids = len(reusing.prompt_ids(SHARED))
    sequence = [
        (first, "nothing"),  # nothing cached yet
        (first, "all"),  # the same prompt again: all but its last two tokens reused
        (second, "prefix"),
        ("Sensor t1 reads 21.5", "nothing"),  # shares at most BOS
        (second + " and more", "nothing"),
        (second + " and more, then some", "prefix"),  # extends the previous prompt
        ("hi", "nothing"),
    ]
    previous: list[int] = []
    for prompt, shared in sequence:
        request = GenerationRequest(prompt, max_new_tokens=7, stop_at_json=False)
        context = reusing._batched._contexts.context
        before = context.reused_tokens if context is not None else 0
        assert outcome(reusing.generate([request])[0]) == outcome(plain.generate([request])[0])
        ids = reusing.prompt_ids(prompt)
        saved = reused(reusing) - before
        common = llamacpp_batch.common_length(previous, ids)
        assert saved == llamacpp_batch.exact_start(common, len(ids))
        if shared == "all":
            assert saved == len(ids) - 2
        elif shared == "prefix":
            assert saved >= shared_ids - 2
        else:
            assert saved <= 1
        assert reusing._batched._contexts.context.kept == ids
        previous = ids
    # A batch: prompt 0 after the cached one, the others from copies of sequence 0.
    batch = [GenerationRequest(SHARED + t, 6, stop_at_json=False) for t in TEXTS[::-1]]
    before = reused(reusing)
    assert [outcome(g) for g in reusing.generate(batch)] == [
        outcome(g) for g in plain.generate(batch)
    ]
    assert reused(reusing) - before >= 2 * (shared_ids - 2)


def test_forced_tokens_skip_logits_and_keep_the_tokens(tiny_gguf, fills):
    decodes: dict[str, tuple[int, int]] = {}
    requests = [
        GenerationRequest(SHARED + text, max_new_tokens=n, schema=schema)
        for text, n, schema in zip(TEXTS, (12, 5, 20), (INTENT, CONTACT, INTENT), strict=True)
    ]
    results = {}
    for forced in ("off", "exact", "batched"):
        backend = LlamaCppBackend(
            str(tiny_gguf), threads=1, constrained="strict", forced_tokens=forced
        )
        fills.clear()
        results[forced] = [outcome(g) for r in requests for g in backend.generate([r])]
        decodes[forced] = len(fills), fills.count("none")
        if forced != "batched":
            assert [outcome(g) for g in backend.generate(requests)] == results[forced]
    assert results["exact"] == results["off"]
    assert decodes["off"][1] == 0 < decodes["exact"][1]  # forced tokens: no logits
    # None for forced tokens that end a row; one per run of them when batched.
    assert decodes["batched"][0] < decodes["exact"][0] < decodes["off"][0]


def test_forced_after_follows_the_grammar_and_leaves_the_matcher_as_it_was(tokenizer):
    from slmbench.constrain.processor import SchemaLogitsProcessor
    from slmbench.models.llamacpp_forced import forced_after

    processor = SchemaLogitsProcessor(tokenizer, [INTENT])
    matcher = processor.matchers[0]
    answer = tokenizer('{"intent": "pin_blocked"}', add_special_tokens=False)["input_ids"]
    before = matcher.compute_bitmask()
    forced = forced_after(processor, 0, answer[0], most=100, n_vocab=len(tokenizer))
    assert matcher.compute_bitmask() == before
    assert tokenizer.decode(answer[:1] + forced) == '{"intent": "'
    assert forced_after(processor, 0, answer[0], most=2, n_vocab=len(tokenizer)) == forced[:2]
    assert forced_after(processor, 0, answer[0], most=0, n_vocab=len(tokenizer)) == []
    # Once `pin` is written, no other label starts the same: the rest, then EOS, are forced.
    text = tokenizer.decode(answer)
    start = next(i for i in range(len(answer)) if "pin" in tokenizer.decode(answer[: i + 1]))
    assert matcher.consume_tokens(answer[:start])
    rest = forced_after(processor, 0, answer[start], most=100, n_vocab=len(tokenizer))
    assert rest[-1] == processor.eos_token_id
    assert tokenizer.decode(answer[: start + 1] + rest[:-1]) == text


# --- the embedded model (slow tier) ---------------------------------------------------------


def task_requests(tokenizer, task: str, data: Path, n: int, constrained: bool) -> list:
    from slmbench.eval.api import BenchOptions
    from slmbench.eval.bench import bench_rows, request_for
    from slmbench.eval.runner import build_examples

    opts = BenchOptions(out="-", data=str(data), task=task, rows=n, spread=True)
    rows, schemas, _ = bench_rows(opts, task)
    examples = build_examples(rows, schemas, "chat", tokenizer, 32, task)
    return [request_for(example, "strict" if constrained else None) for example in examples]


@pytest.mark.slow
@pytest.mark.parametrize("constrained", [False, True])
def test_embedded_model_tokens_with_and_without_the_savings(constrained, tmp_path, fills):
    from slmbench.data.generate import build_dataset

    build_dataset(tmp_path, seed=0, n_train=30, n_test=30)
    mode = "strict" if constrained else None
    plain = LlamaCppBackend("smollm2-135m-instruct", threads=1, constrained=mode, **PLAIN)
    saving = LlamaCppBackend("smollm2-135m-instruct", threads=1, constrained=mode)
    requests = task_requests(plain.tokenizer, "edgejson", tmp_path / "test.jsonl", 3, constrained)
    requests += task_requests(plain.tokenizer, "edgeintent", INTENT_CSV, 4, constrained)
    expected = [outcome(g) for r in requests for g in plain.generate([r])]
    fills.clear()
    assert [outcome(g) for r in requests for g in saving.generate([r])] == expected
    assert [outcome(g) for g in saving.generate(requests[3:])] == expected[3:]  # one batch
    assert reused(saving) > 0
    if constrained:
        assert all(g[3]["constrained"] == "on" for g in expected)
        assert fills.count("none") > 0  # forced tokens decoded without logits
