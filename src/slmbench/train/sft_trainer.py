"""The `Trainer` subclass (length-grouped batches, answer-span loss, generation-based validation)
and the mapping from a recipe to `TrainingArguments`."""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader
from transformers import Trainer, TrainingArguments

from slmbench.train.dataset import IGNORE_INDEX
from slmbench.train.recipe import Recipe


def answer_logit_span(labels: torch.Tensor) -> int:
    """How many trailing positions of a batch need logits: from the position that predicts
    the batch's first labelled token to the end. With left padding every answer ends at the last
    position, so this is about the longest answer, not the whole prompt + answer. The causal-LM
    loss of those logits against `labels[:, -span:]` is that of the whole sequence, since the
    positions left out predict only ignored labels:

    >>> from transformers.loss.loss_utils import ForCausalLMLoss
    >>> labels = torch.tensor([[-100, -100, 1, 0]])
    >>> logits = torch.zeros(1, 4, 2)
    >>> logits[0, 1, 1] = logits[0, 2, 0] = 5.0
    >>> span = answer_logit_span(labels)
    >>> span
    3
    >>> full = ForCausalLMLoss(logits, labels, vocab_size=2)
    >>> short = ForCausalLMLoss(logits[:, -span:], labels[:, -span:], vocab_size=2)
    >>> round(full.item(), 4) == round(short.item(), 4) == 0.0067
    True
    >>> answer_logit_span(torch.tensor([[-100, -100, -100, 7, 8], [-100, -100, -100, -100, 9]]))
    3
    """
    labelled = (labels[:, 1:] != IGNORE_INDEX).any(dim=0)  # column j: logit j predicts token j+1
    first = int(labelled.int().argmax()) if bool(labelled.any()) else 0
    return labels.shape[1] - first


def answer_rows(labels: torch.Tensor) -> torch.Tensor:
    """How many rows of a batch have a labelled token to predict (the count `row` averages over).

    >>> int(answer_rows(torch.tensor([[-100, 5, 6], [-100, -100, 7], [4, -100, -100]])))
    2
    """
    return (labels[:, 1:] != IGNORE_INDEX).any(dim=1).sum()


def row_loss_sum(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The sum over rows of each row's mean cross-entropy over its own labelled tokens (logit t
    predicts label t + 1, as in the causal-LM loss; a row without labels adds 0). Divided by the
    rows of the accumulated batch, it is the `row` loss average.

    >>> logits = torch.zeros(2, 4, 2)
    >>> labels = torch.tensor([[-100, 0, 1, 1], [-100, -100, -100, 0]])
    >>> round(row_loss_sum(logits, labels).item(), 4)  # ln 2 per token, so ln 2 per row
    1.3863
    """
    logits = logits[:, :-1].float()  # the causal-LM loss upcasts too
    targets = labels[:, 1:].to(logits.device)
    losses = torch.nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]),
        targets.reshape(-1),
        ignore_index=IGNORE_INDEX,
        reduction="none",
    ).view(targets.shape)
    counts = (targets != IGNORE_INDEX).sum(dim=1)
    return (losses.sum(dim=1) / counts.clamp(min=1)).sum()


class AnswerOnlyTrainer(Trainer):
    """A `Trainer` whose training batches come from a length-grouped batch sampler, whose loss
    asks the model for the logits of the answer span only, and whose evaluation adds the
    generation-based scores (`eval_json_exact`, `eval_valid_json`) to the validation loss.

    The answer span: the loss covers answer tokens only, yet a plain forward pass projects
    every prompt position onto the 49k-token vocabulary and takes its softmax. With left-padded
    batches (on the CPU) `logits_to_keep` restricts that to the trailing answer span: the same
    loss, 1.17x the training tokens/s on a 2-core CPU, and less memory
    (experiments/bench/bench_answer_span.txt); right-padded batches keep the span from the
    earliest answer start. Models whose `forward` has no `logits_to_keep` get the Trainer's
    own loss.

    `loss_average` (the recipe field): `token` is the model's own loss, normalised by the
    Trainer over the answer tokens of the accumulated batch. `row` is computed here in training:
    each row's mean token loss (`row_loss_sum`), divided by the answer rows of the accumulated
    batch (`get_batch_samples` counts them in place of the tokens), so that the step's loss is
    the mean over its rows whatever their split into micro-batches. Evaluation keeps `token`."""

    def __init__(
        self,
        *args: Any,
        batch_sampler: Any,
        generation_validator: Any = None,
        loss_average: str = "token",
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.batch_sampler = batch_sampler
        self.generation_validator = generation_validator
        if loss_average not in ("token", "row"):
            raise ValueError(f"loss_average must be 'token' or 'row', not {loss_average!r}")
        self.loss_average = loss_average
        if loss_average == "row":
            # Already divided by the accumulated batch's rows: the Trainer must not divide it by
            # the accumulation steps. (Trainers without this attribute skip that division
            # whenever num_items_in_batch is given to a model taking loss kwargs, as HF's do.)
            self.loss_is_scaled_for_ga = True
        inner = self.accelerator.unwrap_model(self.model)
        inner = inner.get_base_model() if hasattr(inner, "get_base_model") else inner
        self.answer_span_logits = "logits_to_keep" in inspect.signature(inner.forward).parameters

    def get_batch_samples(self, epoch_iterator, num_batches, device):
        batches, num_items = super().get_batch_samples(epoch_iterator, num_batches, device)
        if self.loss_average == "row" and batches and "labels" in batches[0]:
            num_items = sum(answer_rows(b["labels"]) for b in batches).to(device)
            if self.args.average_tokens_across_devices and self.args.world_size > 1:
                num_items = self.accelerator.gather(num_items).sum()  # as the Trainer's tokens
        return batches, num_items

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        # The loss of the answer span only: its logits and labels.
        if self.answer_span_logits and "labels" in inputs:
            span = answer_logit_span(inputs["labels"])
            inputs = {**inputs, "labels": inputs["labels"][:, -span:], "logits_to_keep": span}
        if self.loss_average == "row" and model.training and "labels" in inputs:
            return self._row_average_loss(model, inputs, return_outputs, num_items_in_batch)
        # `token`: the model's own loss and the Trainer's normalisation.
        return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)

    def _row_average_loss(self, model, inputs, return_outputs, num_rows):
        labels = inputs["labels"]
        outputs = model(**{k: v for k, v in inputs.items() if k != "labels"})
        if num_rows is None:  # a micro-batch on its own
            num_rows = answer_rows(labels)
        loss = row_loss_sum(outputs.logits, labels) / num_rows.clamp(min=1)
        if self.args.average_tokens_across_devices and self.args.world_size > 1:
            loss = loss * self.accelerator.num_processes  # DDP averages the gradients over ranks
        return (loss, outputs) if return_outputs else loss

    def get_train_dataloader(self) -> DataLoader:
        # The Trainer reaches the sampler's set_epoch through accelerate's wrappers, and
        # skip_first_batches on resume keeps it: the data order depends on (seed, epoch) only.
        loader = DataLoader(
            self.train_dataset,
            batch_sampler=self.batch_sampler,
            collate_fn=self.data_collator,
            num_workers=self.args.dataloader_num_workers,
            pin_memory=self.args.dataloader_pin_memory,
        )
        return self.accelerator.prepare(loader)

    def evaluation_loop(
        self,
        dataloader,
        description,
        prediction_loss_only=None,
        ignore_keys=None,
        metric_key_prefix="eval",
    ):
        output = super().evaluation_loop(
            dataloader, description, prediction_loss_only, ignore_keys, metric_key_prefix
        )
        if self.generation_validator is not None:
            scores = self.generation_validator(self.accelerator.unwrap_model(self.model))
            output.metrics.update({f"{metric_key_prefix}_{k}": v for k, v in scores.items()})
        return output


def training_arguments(
    recipe: Recipe, checkpoints_dir: Path, bf16: bool, has_eval: bool
) -> TrainingArguments:
    """The recipe as `TrainingArguments` (checkpoints under RUN_DIR/checkpoints)."""
    evaluate_periodically = has_eval and recipe.eval_every_steps > 0
    # Newer transformers call it activation_checkpointing; 5.17 (seen on a GPU image) does not.
    names = {f.name for f in dataclasses.fields(TrainingArguments)}
    checkpointing = (
        "activation_checkpointing"
        if "activation_checkpointing" in names
        else "gradient_checkpointing"
    )
    return TrainingArguments(
        output_dir=str(checkpoints_dir),
        per_device_train_batch_size=recipe.per_device_batch_size,
        per_device_eval_batch_size=recipe.per_device_batch_size,
        gradient_accumulation_steps=recipe.grad_accum_steps,
        num_train_epochs=recipe.epochs,
        max_steps=recipe.max_steps,
        learning_rate=recipe.learning_rate,
        lr_scheduler_type=recipe.lr_scheduler,
        warmup_steps=recipe.warmup_ratio,  # a float below 1 is a ratio of the total steps
        weight_decay=recipe.weight_decay,
        max_grad_norm=recipe.max_grad_norm,
        bf16=bf16,
        use_cpu=not torch.cuda.is_available(),  # transformers refuses bf16 on CPU without it
        **{checkpointing: recipe.gradient_checkpointing},
        seed=recipe.seed,
        data_seed=recipe.seed,
        logging_steps=recipe.logging_steps,
        logging_first_step=True,
        logging_nan_inf_filter=False,  # a NaN loss is logged as NaN, not as the mean so far
        include_num_input_tokens_seen="non_padding",
        prediction_loss_only=True,  # never gather logits (vocab x tokens) over the val set
        eval_strategy="steps" if evaluate_periodically else "no",
        eval_steps=recipe.eval_every_steps if evaluate_periodically else None,
        save_strategy="steps",
        save_steps=recipe.save_every_steps,
        save_total_limit=recipe.save_total_limit,
        report_to="none",
        remove_unused_columns=False,
        label_names=["labels"],
        dataloader_num_workers=0,
        dataloader_pin_memory=torch.cuda.is_available(),
        disable_tqdm=False,
    )
