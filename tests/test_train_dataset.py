"""Training examples: answer-only masks (on the tiny and the real tokenizer), the long-example
policy, padding, length-grouped batches and the validation split."""

from __future__ import annotations

import json
import random

import pytest

from slmbench.data.rows import Row
from slmbench.errors import SlmbenchError
from slmbench.prompts import build_prompt, format_answer
from slmbench.train.dataset import (
    IGNORE_INDEX,
    LengthGroupedBatchSampler,
    PaddingCollator,
    encode_row,
    encode_rows,
    split_validation,
    stratified_order,
)

GOLD = {"name": "Ada Lovelace", "city": "London", "tags": ["math", "poetry"]}
ROW = Row("r1", "contact", "simple", "Name: Ada Lovelace\nCity: London\nTags: math, poetry", GOLD)


@pytest.mark.parametrize("style", ["chat", "paper"])
def test_answer_only_mask(each_tokenizer, style):
    example = encode_row(ROW, each_tokenizer, style, schemas=None)
    # The prompt tokens are exactly those the evaluation feeds (its each_tokenizer call).
    prompt = build_prompt(ROW.prompt, style, each_tokenizer)
    add_special = not prompt.startswith(each_tokenizer.bos_token)
    prompt_ids = each_tokenizer(prompt, add_special_tokens=add_special)["input_ids"]
    n = len(prompt_ids)
    assert example.input_ids[:n] == prompt_ids
    assert example.labels[:n] == [IGNORE_INDEX] * n
    assert example.labels[n:] == example.input_ids[n:]
    assert example.labels[-1] == each_tokenizer.eos_token_id
    answer = each_tokenizer.decode(example.input_ids[n:])
    prefix = " " if style == "paper" else ""
    assert answer == prefix + format_answer(GOLD) + each_tokenizer.eos_token
    assert (
        json.loads(each_tokenizer.decode(example.input_ids[n:], skip_special_tokens=True)) == GOLD
    )


def test_chat_prompt_gets_no_second_bos(each_tokenizer):
    example = encode_row(ROW, each_tokenizer, "chat", schemas=None)
    bos = each_tokenizer.bos_token_id
    assert example.input_ids[0] == bos and example.input_ids[1] != bos


def test_long_examples_are_truncated_or_dropped_and_counted(tokenizer):
    short = Row("short", "contact", "simple", "Name: Bo", {"name": "Bo"})
    long_answer = Row("long", "contact", "simple", "Tags: x (60 times)", {"tags": ["x"] * 60})
    long_prompt = Row("huge", "contact", "simple", "word " * 300, {"name": "Bo"})
    rows = [short, long_answer, long_prompt]
    limit = len(encode_row(short, tokenizer, "chat", None)) + 20

    kept = encode_rows(rows, tokenizer, "chat", None, limit, "truncate")
    assert [e.row_id for e in kept.examples] == ["short", "long"]
    assert kept.truncated_ids == ["long"] and kept.dropped_ids == ["huge"]
    truncated = kept.examples[1]
    assert len(truncated) == limit and truncated.labels[-1] != IGNORE_INDEX
    assert "1 truncated" in kept.summary("train", limit)

    dropped = encode_rows(rows, tokenizer, "chat", None, limit, "drop")
    assert [e.row_id for e in dropped.examples] == ["short"]
    assert dropped.truncated_ids == [] and dropped.dropped_ids == ["long", "huge"]


def test_collator_pads_to_the_longest_and_masks_padding():
    collate = PaddingCollator(pad_token_id=0)
    batch = collate(
        [
            {"input_ids": [5, 6, 7], "labels": [-100, 6, 7]},
            {"input_ids": [8], "labels": [8]},
        ]
    )
    assert batch["input_ids"].tolist() == [[5, 6, 7], [8, 0, 0]]
    assert batch["labels"].tolist() == [[-100, 6, 7], [8, -100, -100]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]
    assert PaddingCollator(0, pad_to_multiple_of=8)([{"input_ids": [1], "labels": [1]}])[
        "input_ids"
    ].shape == (1, 8)
    left = PaddingCollator(0, padding_side="left")(
        [{"input_ids": [5, 6, 7], "labels": [-100, 6, 7]}, {"input_ids": [8, 9], "labels": [8, 9]}]
    )
    assert left["labels"].tolist() == [[-100, 6, 7], [-100, 8, 9]]
    assert left["attention_mask"].tolist() == [[1, 1, 1], [0, 1, 1]]
    assert left["position_ids"].tolist() == [[0, 1, 2], [0, 0, 1]]


@pytest.mark.parametrize("side", ["left", "right"])
def test_answer_span_loss_equals_the_full_loss_and_its_gradients(tokenizer, tiny_model_dir, side):
    """Logits for the answer span only (left padding on the CPU, right padding on CUDA) give
    the loss and the gradients of the model's own causal-LM loss over whole sequences."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from slmbench.train.sft_trainer import answer_logit_span

    rows = [
        ROW,
        Row("r2", "contact", "simple", "Name: Bo\nCity: Oslo", {"name": "Bo", "city": "Oslo"}),
        Row("r3", "contact", "simple", "Bo, Oslo, a long note " * 4, {"name": "Bo"}),
    ]
    features = [
        {"input_ids": e.input_ids, "labels": e.labels}
        for e in (encode_row(r, tokenizer, "chat", None) for r in rows)
    ]
    torch.manual_seed(0)
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    model = get_peft_model(
        base, LoraConfig(r=4, target_modules="all-linear", init_lora_weights=False)
    )

    def loss_and_grads(loss_fn):
        model.zero_grad()
        loss = loss_fn()
        loss.backward()
        grads = [p.grad.clone() for p in model.parameters() if p.requires_grad]
        return loss.item(), grads

    right = PaddingCollator(tokenizer.pad_token_id)(features)
    batch = PaddingCollator(tokenizer.pad_token_id, padding_side=side)(features)
    span = answer_logit_span(batch["labels"])
    length = batch["labels"].shape[1]
    # Left padding ends every answer at the last position: the span is about the longest
    # answer. Right padding keeps it from the earliest answer start.
    assert span < length / 2 if side == "left" else span < length

    def span_loss():
        labels = batch["labels"][:, -span:]
        inputs = {**batch, "labels": labels, "logits_to_keep": span, "num_items_in_batch": 7}
        return model(**inputs).loss

    full, full_grads = loss_and_grads(lambda: model(**right, num_items_in_batch=7).loss)
    short, short_grads = loss_and_grads(span_loss)
    assert short == pytest.approx(full, rel=1e-5)
    for a, b in zip(full_grads, short_grads, strict=True):
        assert torch.allclose(a, b, atol=1e-6, rtol=1e-4)


def _lengths(n=203, seed=0):
    rng = random.Random(seed)
    return [int(rng.lognormvariate(5.3, 0.8)) + 10 for _ in range(n)]


@pytest.mark.parametrize("budget", [None, 1500])
def test_batches_cover_every_example_once_per_epoch(budget):
    lengths = _lengths()
    sampler = LengthGroupedBatchSampler(lengths, batch_size=4, seed=3, token_budget=budget)
    for epoch in range(3):
        sampler.set_epoch(epoch)
        batches = list(sampler)
        assert len(batches) == len(sampler)
        assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
        assert all(1 <= len(b) <= 4 for b in batches)
        if budget:
            assert all(
                len(b) == 1 or max(lengths[i] for i in b) * len(b) <= budget for b in batches
            )


@pytest.mark.parametrize("budget", [None, 1500])
def test_batch_order_depends_on_seed_and_epoch_only(budget):
    lengths = _lengths()

    def epoch_batches(seed, epoch):
        sampler = LengthGroupedBatchSampler(lengths, 4, seed=seed, token_budget=budget)
        sampler.set_epoch(epoch)
        return list(sampler)

    assert epoch_batches(1, 2) == epoch_batches(1, 2)
    assert epoch_batches(1, 2) != epoch_batches(1, 3)
    assert epoch_batches(1, 2) != epoch_batches(2, 2)


def test_length_grouping_saves_padding():
    lengths = _lengths(400)

    def padded(batches):
        return sum(max(lengths[i] for i in b) * len(b) for b in batches)

    order = list(range(len(lengths)))
    random.Random(0).shuffle(order)
    unsorted = [order[i : i + 4] for i in range(0, len(order), 4)]
    grouped = list(LengthGroupedBatchSampler(lengths, 4, seed=0))
    assert padded(grouped) < 0.8 * padded(unsorted)


def _rows(counts: dict[str, int]) -> list[Row]:
    return [
        Row(f"{s}-{i}", s, "simple", "t", {"a": i}) for s, n in counts.items() for i in range(n)
    ]


def test_validation_split_is_stratified_and_deterministic():
    rows = _rows({"a": 40, "b": 20, "c": 10})
    train, val = split_validation(rows, 0.2, seed=7)
    assert len(val) == 14 and len(train) == 56
    assert {r.id for r in train}.isdisjoint(r.id for r in val)
    by_schema = {s: sum(r.schema_id == s for r in val) for s in "abc"}
    assert by_schema == {"a": 8, "b": 4, "c": 2}
    assert [r.id for r in split_validation(rows, 0.2, seed=7)[1]] == [r.id for r in val]
    assert [r.id for r in split_validation(rows, 0.2, seed=8)[1]] != [r.id for r in val]
    assert [r.id for r in train] == [r.id for r in rows if r.id not in {v.id for v in val}]


def test_stratified_prefix_spreads_schemas():
    order = stratified_order(_rows({"a": 30, "b": 30, "c": 30}), seed=0)
    first = [r.schema_id for r in order[:9]]
    assert {s: first.count(s) for s in "abc"} == {"a": 3, "b": 3, "c": 3}


@pytest.mark.parametrize("fraction", [0.0, 1.0, 0.001])
def test_validation_split_rejects_empty_sides(fraction):
    with pytest.raises(SlmbenchError):
        split_validation(_rows({"a": 10}), fraction, seed=0)
