"""Training examples: tokenisation with answer-only labels, the long-example policy, length-grouped
batches, the padding collator and the validation split.

Prompt and answer come only from `slmbench.prompts.build_training_text`. They are tokenised
separately and their ids concatenated, so that the model is trained on exactly the prompt tokens
evaluation feeds it; labels are -100 on the prompt (and on padding) and the answer ends with the
tokenizer's EOS token, which keeps its label so that the model learns to stop.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from slmbench.data.rows import Row
from slmbench.data.schemas import SchemaInfo
from slmbench.errors import SlmbenchError
from slmbench.prompts import build_training_text, prompt_add_special_tokens
from slmbench.results_contract import DEFAULT_TASK

IGNORE_INDEX = -100


@dataclass
class Example:
    """One tokenised training example."""

    row_id: str
    input_ids: list[int]
    labels: list[int]
    """-100 on prompt tokens; the answer's ids (EOS included) elsewhere."""

    def __len__(self) -> int:
        return len(self.input_ids)


@dataclass
class EncodedSet:
    """Examples of one file, and what the length policy did to the others."""

    examples: list[Example]
    truncated_ids: list[str] = field(default_factory=list)
    dropped_ids: list[str] = field(default_factory=list)
    n_rows: int = 0

    def summary(self, name: str, max_length: int) -> str:
        """One line for the console, e.g. `train: 629 rows -> 629 examples (60 truncated...)`."""
        return (
            f"{name}: {self.n_rows} rows -> {len(self.examples)} examples "
            f"({len(self.truncated_ids)} truncated to {max_length} tokens, "
            f"{len(self.dropped_ids)} dropped as longer than {max_length})"
        )


def encode_row(
    row: Row,
    tokenizer: Any,
    style: str,
    schemas: dict[str, SchemaInfo] | None,
    task: str = DEFAULT_TASK,
) -> Example:
    """Prompt and answer ids of a row, labels masked on the prompt (the task's instruction)."""
    schema = schemas[row.schema_id].schema if schemas and row.schema_id in schemas else None
    prompt, completion = build_training_text(
        row.prompt, row.expected_output, style, tokenizer.eos_token, tokenizer, schema, task
    )
    prompt_ids = tokenizer(prompt, add_special_tokens=prompt_add_special_tokens(tokenizer, prompt))[
        "input_ids"
    ]
    answer_ids = tokenizer(completion, add_special_tokens=False)["input_ids"]
    if not answer_ids or answer_ids[-1] != tokenizer.eos_token_id:
        raise SlmbenchError(
            f"the tokenizer does not turn its EOS text {tokenizer.eos_token!r} into the EOS id"
        )
    return Example(
        row_id=row.id,
        input_ids=list(prompt_ids) + list(answer_ids),
        labels=[IGNORE_INDEX] * len(prompt_ids) + list(answer_ids),
    )


def encode_rows(
    rows: Sequence[Row],
    tokenizer: Any,
    style: str,
    schemas: dict[str, SchemaInfo] | None,
    max_length: int,
    truncation: str,
    task: str = DEFAULT_TASK,
) -> EncodedSet:
    """Encode rows and apply the long-example policy (`truncate` or `drop`). A truncated
    example keeps its first `max_length` tokens; one whose prompt alone fills `max_length` has
    no answer token left and is dropped under either policy."""
    encoded = EncodedSet(examples=[], n_rows=len(rows))
    for row in rows:
        example = encode_row(row, tokenizer, style, schemas, task)
        if len(example) <= max_length:
            encoded.examples.append(example)
            continue
        kept_labels = example.labels[:max_length]
        if truncation == "drop" or all(label == IGNORE_INDEX for label in kept_labels):
            encoded.dropped_ids.append(row.id)
            continue
        encoded.truncated_ids.append(row.id)
        encoded.examples.append(Example(row.id, example.input_ids[:max_length], kept_labels))
    return encoded


class ExampleDataset:
    """A map-style dataset of `Example`s, yielding dicts for the collator."""

    def __init__(self, examples: Sequence[Example]):
        self.examples = list(examples)

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, index: int) -> dict[str, list[int]]:
        example = self.examples[index]
        return {"input_ids": example.input_ids, "labels": example.labels}

    @property
    def lengths(self) -> list[int]:
        return [len(e) for e in self.examples]


class PaddingCollator:
    """Pads a batch to its longest example: `input_ids` with the pad id, `labels` with -100,
    `attention_mask` 0 on padding. Training on the CPU pads on the left
    (`trainer.training_padding_side`), so that every answer ends at the last position and the
    loss needs logits for the trailing answer span only (`sft_trainer.answer_logit_span`);
    left-padded batches carry `position_ids` counting from each example's first real token, so
    that positions equal those of right padding.

    >>> batch = PaddingCollator(0, padding_side="left")(
    ...     [{"input_ids": [5, 6, 7], "labels": [-100, 6, 7]}, {"input_ids": [8], "labels": [8]}]
    ... )
    >>> batch["input_ids"].tolist(), batch["position_ids"].tolist()
    ([[5, 6, 7], [0, 0, 8]], [[0, 1, 2], [0, 0, 0]])
    """

    def __init__(
        self, pad_token_id: int, pad_to_multiple_of: int | None = None, padding_side: str = "right"
    ):
        if padding_side not in ("left", "right"):
            raise ValueError(f"padding_side must be 'left' or 'right', not {padding_side!r}")
        self.pad_token_id = pad_token_id
        self.pad_to_multiple_of = pad_to_multiple_of
        self.padding_side = padding_side

    def __call__(self, features: list[dict[str, list[int]]]) -> dict[str, Any]:
        import torch

        longest = max(len(f["input_ids"]) for f in features)
        if self.pad_to_multiple_of:
            longest = math.ceil(longest / self.pad_to_multiple_of) * self.pad_to_multiple_of
        left = self.padding_side == "left"

        def padded(values: list[int], filler: int) -> list[int]:
            fill = [filler] * (longest - len(values))
            return fill + values if left else values + fill

        input_ids = [padded(f["input_ids"], self.pad_token_id) for f in features]
        labels = [padded(f["labels"], IGNORE_INDEX) for f in features]
        mask = [padded([1] * len(f["input_ids"]), 0) for f in features]
        batch = {
            "input_ids": torch.tensor(input_ids, dtype=torch.long),
            "labels": torch.tensor(labels, dtype=torch.long),
            "attention_mask": torch.tensor(mask, dtype=torch.long),
        }
        if left:
            batch["position_ids"] = (batch["attention_mask"].cumsum(1) - 1).clamp(min=0)
        return batch


class LengthGroupedBatchSampler:
    """Batches of examples of similar length, so that little compute goes to padding (the v3
    rows' lengths vary tenfold). A batch holds at most `batch_size` examples and, with a
    `token_budget`, at most that many tokens counting padding (an example longer than the
    budget travels alone).

    Without a budget (as transformers' `LengthGroupedSampler`): each epoch shuffles the
    examples, cuts them into megabatches of 50 batches, sorts each by length and splits it into
    batches. With a budget the batches are formed once, from all examples sorted by length, so
    that their number is fixed; each epoch shuffles their order. Either way the order depends
    only on (seed, epoch): an interrupted run resumes on the same batches.

    >>> lengths = [10, 50, 12, 48, 11, 49, 9]
    >>> sampler = LengthGroupedBatchSampler(lengths, 3, seed=0, token_budget=100)
    >>> [[lengths[i] for i in batch] for batch in sorted(sampler)]
    [[50, 49], [48, 12], [11, 10, 9]]
    """

    MEGABATCH = 50

    def __init__(
        self, lengths: Sequence[int], batch_size: int, seed: int, token_budget: int | None = None
    ):
        if not lengths:
            raise SlmbenchError("no training examples left to batch")
        self.lengths = list(lengths)
        self.batch_size = batch_size
        self.token_budget = token_budget
        self.seed = seed
        self.epoch = 0
        self._fixed = (
            self._pack(sorted(range(len(lengths)), key=self._length_key()))
            if (token_budget is not None)
            else None
        )

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _length_key(self):
        # Longest first; ties in a seeded random order rather than file order.
        rng = random.Random(self.seed)
        jitter = [rng.random() for _ in self.lengths]
        return lambda i: (-self.lengths[i], jitter[i])

    def _pack(self, ordered: list[int]) -> list[list[int]]:
        batches: list[list[int]] = []
        current: list[int] = []
        longest = 0
        for i in ordered:
            candidate = max(longest, self.lengths[i])
            over_budget = (
                self.token_budget is not None and candidate * (len(current) + 1) > self.token_budget
            )
            if current and (len(current) == self.batch_size or over_budget):
                batches.append(current)
                current, candidate = [], self.lengths[i]
            current.append(i)
            longest = candidate
        if current:
            batches.append(current)
        return batches

    def _epoch_batches(self) -> list[list[int]]:
        rng = random.Random(self.seed * 1_000_003 + self.epoch)
        if self._fixed is not None:
            batches = [list(b) for b in self._fixed]
            rng.shuffle(batches)
            return batches
        order = list(range(len(self.lengths)))
        rng.shuffle(order)
        size = self.MEGABATCH * self.batch_size
        batches = []
        for start in range(0, len(order), size):
            mega = sorted(order[start : start + size], key=lambda i: -self.lengths[i])
            batches += [mega[j : j + self.batch_size] for j in range(0, len(mega), self.batch_size)]
        # The longest batch first, as transformers does: memory trouble shows at once.
        longest = max(range(len(batches)), key=lambda b: self.lengths[batches[b][0]])
        batches[0], batches[longest] = batches[longest], batches[0]
        return batches

    def __iter__(self) -> Iterator[list[int]]:
        yield from self._epoch_batches()

    def __len__(self) -> int:
        if self._fixed is not None:
            return len(self._fixed)
        return math.ceil(len(self.lengths) / self.batch_size)


def stratified_order(rows: Sequence[Row], seed: int) -> list[Row]:
    """Rows reordered so that every prefix samples the schemas in proportion: each schema's rows
    are shuffled and spread evenly over [0, 1), then all are sorted by that position.

    >>> from slmbench.data.rows import Row
    >>> rows = [Row(f"a{i}", "a", "simple", "") for i in range(6)]
    >>> rows += [Row(f"b{i}", "b", "simple", "") for i in range(3)]
    >>> sorted(r.schema_id for r in stratified_order(rows, seed=1)[:3])
    ['a', 'a', 'b']
    """
    rng = random.Random(seed)
    groups: dict[str, list[Row]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: r.id):
        groups[row.schema_id].append(row)
    keyed = []
    for schema_id in sorted(groups):
        group = groups[schema_id]
        rng.shuffle(group)
        offset = rng.random()
        for rank, row in enumerate(group):
            keyed.append(((rank + offset) / len(group), rng.random(), row))
    keyed.sort(key=lambda t: (t[0], t[1]))
    return [row for _, _, row in keyed]


def split_validation(
    rows: Sequence[Row], fraction: float, seed: int
) -> tuple[list[Row], list[Row]]:
    """(train rows, validation rows): a deterministic split stratified by schema; the train
    rows keep their file order.

    >>> from slmbench.data.rows import Row
    >>> rows = [Row(f"r{i}", "ab"[i % 2], "simple", "") for i in range(10)]
    >>> train, val = split_validation(rows, 0.2, seed=0)
    >>> len(train), sorted(r.schema_id for r in val)
    (8, ['a', 'b'])
    """
    if not 0 < fraction < 1:
        raise SlmbenchError(f"--val-fraction must be between 0 and 1, got {fraction}")
    n_val = round(len(rows) * fraction)
    if n_val < 1 or n_val >= len(rows):
        raise SlmbenchError(
            f"--val-fraction {fraction} of {len(rows)} rows leaves no validation "
            "or no training rows"
        )
    val_ids = {row.id for row in stratified_order(rows, seed)[:n_val]}
    train = [row for row in rows if row.id not in val_ids]
    val = [row for row in rows if row.id in val_ids]
    return train, val
