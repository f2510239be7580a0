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
    own loss."""

    def __init__(self, *args: Any, batch_sampler: Any, generation_validator: Any = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.batch_sampler = batch_sampler
        self.generation_validator = generation_validator
        inner = self.accelerator.unwrap_model(self.model)
        inner = inner.get_base_model() if hasattr(inner, "get_base_model") else inner
        self.answer_span_logits = "logits_to_keep" in inspect.signature(inner.forward).parameters

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        # The model's own loss (and the Trainer's normalisation over the accumulated batch),
        # given only the logits and labels of the answer span.
        if self.answer_span_logits and "labels" in inputs:
            span = answer_logit_span(inputs["labels"])
            inputs = {**inputs, "labels": inputs["labels"][:, -span:], "logits_to_keep": span}
        return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)

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
