"""The recipe field `loss_average` on the tiny random Llama: `token` (every answer token alike)
and `row` (the mean over rows of each row's mean answer-token loss), through the real
`AnswerOnlyTrainer` (its `get_batch_samples` and the Trainer's `training_step`, with left
padding and the answer-span `logits_to_keep`), against losses and gradients computed here
independently, one unpadded row at a time with torch's cross_entropy."""

from __future__ import annotations

import pytest
import torch

from slmbench.train.dataset import IGNORE_INDEX, PaddingCollator
from slmbench.train.recipe import Recipe, apply_overrides
from slmbench.train.sft_trainer import AnswerOnlyTrainer, training_arguments

UNEQUAL = [(9, 2), (4, 11), (7, 3), (5, 6)]
"""(prompt tokens, answer tokens) of each row: a `[]`-like short answer beside long ones."""
EQUAL = [(9, 5), (4, 5), (7, 5), (5, 5)]


def make_rows(shape: list[tuple[int, int]], seed: int = 0) -> list[dict[str, list[int]]]:
    generator = torch.Generator().manual_seed(seed)
    rows = []
    for prompt_len, answer_len in shape:
        ids = torch.randint(10, 1000, (prompt_len + answer_len,), generator=generator).tolist()
        rows.append({"input_ids": ids, "labels": [IGNORE_INDEX] * prompt_len + ids[prompt_len:]})
    return rows


@pytest.fixture
def model(tiny_model_dir):
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)


def make_trainer(model, tmp_path, loss_average: str, grad_accum: int) -> AnswerOnlyTrainer:
    recipe = apply_overrides(
        Recipe(),
        {"method": "full", "grad_accum_steps": grad_accum, "max_grad_norm": 0, "bf16": "false"},
        "test",
    )
    args = training_arguments(recipe, tmp_path / "checkpoints", bf16=False, has_eval=False)
    return AnswerOnlyTrainer(model=model, args=args, batch_sampler=None, loss_average=loss_average)


def accumulated(trainer, micro_batches: list[list[dict]]) -> tuple[float, torch.Tensor]:
    """(the optimiser step's loss, its gradient) over left-padded micro-batches, as the
    Trainer's training loop computes them (before clipping and the optimiser)."""
    collate = PaddingCollator(0, padding_side="left")
    batches = [collate(rows) for rows in micro_batches]
    trainer.model.zero_grad(set_to_none=True)
    batches, num_items = trainer.get_batch_samples(iter(batches), len(batches), trainer.args.device)
    trainer.current_gradient_accumulation_steps = len(batches)
    loss = sum(trainer.training_step(trainer.model, batch, num_items).item() for batch in batches)
    return loss, flat_grad(trainer.model)


def flat_grad(model) -> torch.Tensor:
    return torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None])


def row_losses(model, rows: list[dict]) -> list[tuple[torch.Tensor, int]]:
    """(summed answer-token cross-entropy, answer tokens) of each row, one unpadded row at a
    time: logit t predicts token t + 1."""
    out = []
    for row in rows:
        ids, labels = torch.tensor([row["input_ids"]]), torch.tensor(row["labels"])
        logits = model(ids).logits[0, :-1]
        targets = labels[1:]
        keep = targets != IGNORE_INDEX
        loss = torch.nn.functional.cross_entropy(logits[keep], targets[keep], reduction="sum")
        out.append((loss, int(keep.sum())))
    return out


def expected(model, rows: list[dict], loss_average: str) -> tuple[float, torch.Tensor]:
    model.zero_grad(set_to_none=True)
    losses = row_losses(model.train(), rows)
    if loss_average == "token":
        loss = sum(s for s, _ in losses) / sum(n for _, n in losses)
    else:
        loss = sum(s / n for s, n in losses) / len(losses)
    loss.backward()
    return loss.item(), flat_grad(model)


def test_the_answer_span_logits_are_used(model, tmp_path):
    """The row loss asks for the trailing answer span only, as the token loss does."""
    trainer = make_trainer(model, tmp_path, "row", 1)
    assert trainer.answer_span_logits
    seen = []
    model.register_forward_pre_hook(
        lambda module, args, kwargs: seen.append(kwargs.get("logits_to_keep")), with_kwargs=True
    )
    accumulated(trainer, [make_rows(UNEQUAL)])
    longest = max(p + a for p, a in UNEQUAL)
    assert seen == [max(a for _, a in UNEQUAL) + 1] and seen[0] < longest


@pytest.mark.parametrize("loss_average", ["token", "row"])
def test_equal_answer_lengths_give_the_token_mean(model, tmp_path, loss_average):
    rows = make_rows(EQUAL)
    loss, _ = accumulated(make_trainer(model, tmp_path, loss_average, 1), [rows])
    token_mean, _ = expected(model, rows, "token")
    assert loss == pytest.approx(token_mean, abs=1e-5)


def test_unequal_answer_lengths_give_the_mean_of_row_means(model, tmp_path):
    rows = make_rows(UNEQUAL)
    row_loss, row_grad = accumulated(make_trainer(model, tmp_path, "row", 1), [rows])
    token_loss, token_grad = accumulated(make_trainer(model, tmp_path, "token", 1), [rows])
    want_row, want_row_grad = expected(model, rows, "row")
    want_token, want_token_grad = expected(model, rows, "token")
    assert abs(want_row - want_token) > 1e-3  # the two averages differ on these rows
    assert row_loss == pytest.approx(want_row, abs=1e-5)
    assert token_loss == pytest.approx(want_token, abs=1e-5)
    assert torch.allclose(row_grad, want_row_grad, atol=1e-6, rtol=1e-4)
    assert torch.allclose(token_grad, want_token_grad, atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize(
    "split",
    [[[0, 1], [2, 3]], [[0], [1, 2, 3]], [[0], [1], [2], [3]]],
    ids=["2x2", "1+3", "4x1"],
)
@pytest.mark.parametrize("loss_average", ["token", "row"])
def test_gradient_accumulation_does_not_change_the_step(model, tmp_path, split, loss_average):
    """An optimiser step over micro-batches has the loss and gradient of one batch of its rows
    (for `row`: whatever the rows per micro-batch, which a per-micro-batch mean would miss)."""
    rows = make_rows(UNEQUAL)
    one_loss, one_grad = accumulated(make_trainer(model, tmp_path, loss_average, 1), [rows])
    trainer = make_trainer(model, tmp_path, loss_average, len(split))
    loss, grad = accumulated(trainer, [[rows[i] for i in part] for part in split])
    assert loss == pytest.approx(one_loss, abs=1e-5)
    assert torch.allclose(grad, one_grad, atol=1e-6, rtol=1e-4)
    want, _ = expected(model, rows, loss_average)
    assert loss == pytest.approx(want, abs=1e-5)
    if loss_average == "row" and len({len(p) for p in split}) > 1:
        # What averaging each micro-batch's row means would give: not the step's row mean.
        with torch.no_grad():
            means = [
                sum(s / n for s, n in row_losses(model, [rows[i] for i in p])).item() / len(p)
                for p in split
            ]
        assert abs(sum(means) / len(means) - want) > 1e-3


def test_validation_loss_stays_the_token_mean(model, tmp_path):
    rows = make_rows(UNEQUAL)
    trainer = make_trainer(model, tmp_path, "row", 1)
    batch = PaddingCollator(0, padding_side="left")(rows)
    model.eval()
    with torch.no_grad():
        loss = trainer.compute_loss(model, batch, num_items_in_batch=None).item()
    want, _ = expected(model, rows, "token")
    assert loss == pytest.approx(want, abs=1e-5)
