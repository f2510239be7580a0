"""Supervised fine-tuning for JSON extraction: PEFT LoRA or full fine-tuning on the Hugging Face
`Trainer`.

Why the plain `Trainer` and not TRL's `SFTTrainer`: one dependency less, and this module owns the
parts that decide what is learnt: prompt/answer tokenisation through `slmbench.prompts` (the
same prompt tokens evaluation feeds), answer-only labels ending in EOS, the long-example policy
with its counts, and length-grouped (optionally token-budgeted) batches. The `Trainer` brings
the rest: gradient accumulation (the loss weighted by token, or by row: `loss_average`),
schedules, bf16 autocast, checkpoints with optimizer/RNG state, exact resumption, the progress
bar, and multi-GPU through accelerate.

CPU by default; on a GPU the same command uses it. Multi-GPU (data parallel):

    accelerate launch -m slmbench.cli train --model M --data train.jsonl --out runs/x

Run folder: see `slmbench.train.run_folder`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

from slmbench.data.rows import Row, file_sha256
from slmbench.errors import SlmbenchError, TrainingDiverged
from slmbench.licences import write_notice
from slmbench.results_contract import DEFAULT_TASK
from slmbench.tasks import get_task
from slmbench.train.recipe import Recipe
from slmbench.train.run_folder import RunFolder, is_main_process


@dataclass
class TrainRequest:
    """Everything `slmbench train` was asked to do."""

    model: str
    """Base model: a registered name, a model folder or a hub id (`resolve_model`)."""
    data: Path
    out: Path
    recipe: Recipe
    recipe_source: str = "defaults"
    name: str | None = None
    """The run's name (default: the one recorded in `out`, else its basename)."""
    schemas: Path | None = None
    val: Path | None = None
    val_fraction: float | None = None
    merge: bool = False
    init_adapter: Path | None = None
    """A LoRA adapter to continue training instead of a fresh one (a run folder or its
    `adapter/`); its rank and alpha must be the recipe's."""
    init_adapter_sha256: str | None = None
    """The weights sha256 that `init_adapter` must have: a continued run's recipe.json records
    it, and retraining from that file (`--config`) asks for the same adapter."""
    task: str = DEFAULT_TASK
    """The benchmark task (`slmbench.tasks`): its reader reads the rows, its instruction opens
    the prompts."""
    reader_options: dict[str, Any] = dataclass_field(default_factory=dict)
    """The task reader's options (`labels`...)."""


def resolve_bf16(setting: str, device_type: str) -> bool:
    """Whether to train with bf16 autocast. `auto`: on for CUDA cards with bf16, and on CPUs
    with native bf16 instructions (AVX512-BF16 or AMX). Without them oneDNN emulates bf16,
    and autocast measured 2-3x slower than fp32 on this project's AVX-512 build machine."""
    if setting in ("true", "false"):
        return setting == "true"
    import torch

    if device_type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device_type == "cpu":
        checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
        return any(getattr(torch.cpu, name, lambda: False)() for name in checks)
    return False


def load_data(request: TrainRequest) -> tuple[list[Row], list[Row], dict, dict]:
    """(train rows, validation rows, schemas, validation description)."""
    from slmbench.train.dataset import split_validation

    if request.val is not None and request.val_fraction is not None:
        raise SlmbenchError("give --val or --val-fraction, not both")
    read = get_task(request.task).load("reader")
    options = {"schemas": request.schemas, **request.reader_options}
    rows, schemas = read(request.data, **options)
    val_spec: dict[str, Any] = {"source": "none"}
    val_rows: list[Row] = []
    if request.val is not None:
        val_rows, val_schemas = read(request.val, **options)
        schemas = {**val_schemas, **schemas}
        val_spec = {"source": "file", "path": str(request.val), "sha256": file_sha256(request.val)}
        overlap = {r.id for r in rows} & {r.id for r in val_rows}
        if overlap:
            print(f"warning: {len(overlap)} validation ids also appear in the training file")
    elif request.val_fraction is not None:
        rows, val_rows = split_validation(rows, request.val_fraction, request.recipe.seed)
        val_spec = {
            "source": "fraction",
            "fraction": request.val_fraction,
            "seed": request.recipe.seed,
        }
    return rows, val_rows, schemas, val_spec


def train(request: TrainRequest, callbacks: list | None = None) -> dict:
    """Run (or resume) a fine-tuning run; returns its `train_meta.json` content.
    `callbacks`: extra `TrainerCallback`s (tests use one to interrupt a run)."""
    import torch
    import transformers
    from accelerate import PartialState
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from slmbench.models.registry import resolve_model
    from slmbench.train.callbacks import (
        CheckpointHook,
        EvaluatedSteps,
        GenerationValidator,
        JsonlLogCallback,
        StopOnNonFinite,
    )
    from slmbench.train.dataset import (
        ExampleDataset,
        LengthGroupedBatchSampler,
        PaddingCollator,
        encode_rows,
        stratified_order,
    )
    from slmbench.train.sft_trainer import AnswerOnlyTrainer, training_arguments

    started = time.perf_counter()
    recipe, style = request.recipe, request.recipe.prompt_style
    # Everything the user may have got wrong is checked before RUN_DIR is touched.
    train_rows, val_rows, schemas, val_spec = load_data(request)
    init_adapter, init_sha = check_init_adapter(request)
    data_sha = file_sha256(request.data)
    model_dir = resolve_model(request.model)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    if tokenizer.eos_token is None:
        raise SlmbenchError(f"the tokenizer of {request.model} has no EOS token to end answers")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    train_set = encode_rows(
        train_rows, tokenizer, style, schemas, recipe.max_length, recipe.truncation, request.task
    )
    print(train_set.summary("train", recipe.max_length))
    if not train_set.examples:
        raise SlmbenchError(
            f"no training example fits in max_length {recipe.max_length} "
            f"(truncation {recipe.truncation!r}): raise --max-length"
        )
    val_set = None
    if val_rows:
        val_set = encode_rows(
            val_rows, tokenizer, style, schemas, recipe.max_length, recipe.truncation, request.task
        )
        print(val_set.summary("validation", recipe.max_length))

    folder = RunFolder(request.out)
    name = folder.run_name(request.name)
    identity = folder.identity(
        request.model,
        recipe,
        request.recipe_source,
        data_sha,
        val_spec,
        init_sha,
        name,
        request.task,
    )
    with PartialState().main_process_first():  # rank 0 creates the folder, the others read it
        state = folder.claim(identity)
    if is_main_process():  # a fine-tune of a model whose terms require a notice carries it
        write_notice(folder.path, request.model, "This fine-tune")
    if state == "complete":
        print(f"{request.out} already holds this finished run; nothing to train")
        if request.merge and folder.adapter_dir.is_dir() and not folder.merged_dir.is_dir():
            merge_adapter(folder, request.model)
        return folder.read_meta()
    if val_rows:
        folder.write_val_ids(val_rows, val_spec)

    transformers.set_seed(recipe.seed)
    device_type = "cuda" if torch.cuda.is_available() else "cpu"
    use_bf16 = resolve_bf16(recipe.bf16, device_type)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    model = prepare_model(model, recipe, init_adapter)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())

    checkpoint = folder.last_checkpoint() if state == "resume" else None
    meta = folder.start_meta(
        request=request,
        model_dir=model_dir,
        data_sha=data_sha,
        n_rows_file=len(train_rows) + (len(val_rows) if val_spec["source"] == "fraction" else 0),
        train_set=train_set,
        val_set=val_set,
        val_spec=val_spec,
        extra={
            "name": name,
            "device": device_type,
            "bf16": use_bf16,
            "threads": torch.get_num_threads(),
            "trainable_params": trainable,
            "total_params": total,
            "resumed_from": checkpoint.name if checkpoint else None,
            "init_adapter": str(init_adapter) if init_adapter else None,
            **({"task": request.task} if request.task != DEFAULT_TASK else {}),
        },
    )
    if checkpoint is not None:
        step = int(checkpoint.name.rsplit("-", 1)[1])
        folder.trim_log(step)
        print(f"resuming from {checkpoint} (step {step})")
    else:
        folder.reset_log()

    validator = None
    if val_rows and recipe.val_generate_rows > 0:
        subset = stratified_order(val_rows, recipe.seed)[: recipe.val_generate_rows]
        validator = GenerationValidator(
            subset, tokenizer, style, schemas, recipe.val_max_new_tokens, use_bf16, request.task
        )
    train_data = ExampleDataset(train_set.examples)
    eval_data = None
    if val_set is not None and val_set.examples:
        eval_data = ExampleDataset(sorted(val_set.examples, key=len))
    sampler = LengthGroupedBatchSampler(
        train_data.lengths, recipe.per_device_batch_size, recipe.seed, recipe.token_budget
    )
    evaluated = EvaluatedSteps()
    nonfinite = StopOnNonFinite()
    session_start = time.perf_counter()
    previous_wall = float(meta.get("wall_s") or 0.0)

    def on_checkpoint(step: int) -> None:
        folder.update_meta(
            wall_s=round(previous_wall + time.perf_counter() - session_start, 1),
            last_checkpoint_step=step,
        )

    trainer = AnswerOnlyTrainer(
        model=model,
        args=training_arguments(recipe, folder.checkpoints_dir, use_bf16, eval_data is not None),
        train_dataset=train_data,
        eval_dataset=eval_data,
        data_collator=PaddingCollator(
            tokenizer.pad_token_id,
            pad_to_multiple_of=8 if device_type == "cuda" else None,
            padding_side=training_padding_side(device_type),
        ),
        processing_class=tokenizer,
        batch_sampler=sampler,
        generation_validator=validator,
        loss_average=recipe.loss_average,
        callbacks=[
            JsonlLogCallback(folder.log_path),
            evaluated,
            nonfinite,
            CheckpointHook(on_checkpoint),
            *(callbacks or []),
        ],
    )
    result = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    if nonfinite.step is not None:
        folder.update_meta(
            status="diverged", diverged={"step": nonfinite.step, "at": nonfinite.value}
        )
        raise TrainingDiverged(
            f"{request.out}: training diverged at step {nonfinite.step} ({nonfinite.value}); "
            "no adapter was saved. Try a lower --learning-rate or --bf16 false."
        )
    final_metrics: dict[str, Any] = {}
    if eval_data is not None and evaluated.last_step != trainer.state.global_step:
        final_metrics = trainer.evaluate()
    elif eval_data is not None:
        final_metrics = _last_eval(trainer.state.log_history)

    if trainer.is_world_process_zero():
        save_outputs(trainer, folder, recipe, tokenizer)
        if request.merge and recipe.method == "lora":
            merge_adapter(folder, request.model, trainer.model, tokenizer)
        elif request.merge:
            print("--merge: a full fine-tune is already a whole model in model/")
    wall = previous_wall + time.perf_counter() - session_start
    meta = folder.update_meta(
        status="complete",
        finished=_now(),
        wall_s=round(wall, 1),
        session_wall_s=round(time.perf_counter() - started, 1),
        global_step=trainer.state.global_step,
        epochs_done=round(trainer.state.epoch or 0.0, 4),
        tokens_seen=trainer.state.num_input_tokens_seen,
        train_loss=round(result.training_loss, 6),
        final_val={
            k.removeprefix("eval_"): v
            for k, v in final_metrics.items()
            if not k.endswith(("_runtime", "_per_second"))
        },
        outputs=[
            p.name for p in (folder.adapter_dir, folder.model_dir, folder.merged_dir) if p.is_dir()
        ],
    )
    return meta


def training_padding_side(device_type: str) -> str:
    """`left` on the CPU, where every answer then ends at the last position and the loss needs
    the logits of the answer span only (1.17x the tokens/s,
    experiments/bench/bench_answer_span.txt);
    `right` elsewhere. On an H200 (torch 2.11, transformers 5.17) two runs with left-padded
    batches had NaN gradients within 25 steps, while every right-padded GPU run trained
    (experiments/gpu-left-pad/). The answer-span loss holds for either side.

    >>> training_padding_side("cpu"), training_padding_side("cuda")
    ('left', 'right')
    """
    return "left" if device_type == "cpu" else "right"


def check_init_adapter(request: TrainRequest) -> tuple[Path | None, str | None]:
    """(adapter folder, its weights sha256) to continue from, checked against the recipe and
    against `init_adapter_sha256` before anything is written; (None, None) for a fresh adapter."""
    from slmbench.models.registry import resolve_adapter

    recipe, wanted, source = request.recipe, request.init_adapter_sha256, request.recipe_source
    if request.init_adapter is None:
        if wanted:
            raise SlmbenchError(
                f"{source}: that run continued a LoRA adapter (weights sha256 {wanted[:12]}...): "
                "give it with --init-adapter"
            )
        return None, None
    if recipe.method != "lora":
        raise SlmbenchError("--init-adapter continues a LoRA adapter: it needs --method lora")
    folder, _ = resolve_adapter(request.init_adapter)
    config_path = folder / "adapter_config.json"
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise SlmbenchError(f"{config_path}:{e.lineno}: not valid JSON") from None
    for field, key in (("lora_r", "r"), ("lora_alpha", "lora_alpha")):
        if config.get(key) != getattr(recipe, field):
            raise SlmbenchError(
                f"recipe field {field!r} is {getattr(recipe, field)} but the adapter in "
                f"{folder} has {key}={config.get(key)}: set --{field.replace('_', '-')} "
                f"{config.get(key)}"
            )
    weights = sorted(folder.glob("adapter_model.*"))
    if not weights:
        raise SlmbenchError(f"{folder}: no adapter_model.safetensors (or .bin) weights")
    sha = file_sha256(weights[0])
    if wanted and sha != wanted:
        raise SlmbenchError(
            f"--init-adapter {request.init_adapter}: weights sha256 {sha[:12]}..., but "
            f"{source} continued {wanted[:12]}..."
        )
    return folder, sha


def prepare_model(model: Any, recipe: Recipe, init_adapter: Path | None = None) -> Any:
    """Wrap the model in a LoRA adapter (method `lora`: a fresh one, or `init_adapter` made
    trainable again) or leave every weight trainable."""
    if recipe.gradient_checkpointing:
        model.config.use_cache = False
    if recipe.method == "full":
        return model
    from peft import LoraConfig, PeftConfig, PeftModel, get_peft_model

    if init_adapter is not None:
        config = PeftConfig.from_pretrained(init_adapter)
        config.lora_dropout = recipe.lora_dropout
        model = PeftModel.from_pretrained(model, init_adapter, config=config, is_trainable=True)
        if recipe.gradient_checkpointing:
            model.enable_input_require_grads()
        return model

    config = LoraConfig(
        r=recipe.lora_r,
        lora_alpha=recipe.lora_alpha,
        lora_dropout=recipe.lora_dropout,
        target_modules=recipe.target_modules,
        bias="none",
        task_type="CAUSAL_LM",
    )
    try:
        model = get_peft_model(model, config)
    except ValueError as e:
        raise SlmbenchError(f"recipe field 'target_modules' does not fit this model: {e}") from e
    if recipe.gradient_checkpointing:
        model.enable_input_require_grads()
    return model


def save_outputs(trainer: Any, folder: RunFolder, recipe: Recipe, tokenizer: Any) -> None:
    """`adapter/` (PEFT format) or `model/` (a whole HF model), and the tokenizer beside them."""
    if recipe.method == "lora":
        trainer.model.save_pretrained(folder.adapter_dir)
    else:
        trainer.save_model(str(folder.model_dir))
    tokenizer.save_pretrained(folder.path)
    print(f"saved {folder.adapter_dir if recipe.method == 'lora' else folder.model_dir}")


def merge_adapter(folder: RunFolder, base_model: str, model: Any = None, tokenizer: Any = None):
    """`merged/`: the base model with the adapter folded into its weights (a plain HF folder)."""
    if model is None:
        from peft import PeftModel
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from slmbench.models.registry import resolve_model

        base = AutoModelForCausalLM.from_pretrained(resolve_model(base_model))
        model = PeftModel.from_pretrained(base, folder.adapter_dir)
        tokenizer = AutoTokenizer.from_pretrained(folder.path)
    merged = model.merge_and_unload()
    merged.save_pretrained(folder.merged_dir)
    tokenizer.save_pretrained(folder.merged_dir)
    print(f"saved {folder.merged_dir}")


def _last_eval(history: list[dict]) -> dict:
    evals = [h for h in history if "eval_loss" in h]
    return {k: v for k, v in evals[-1].items() if k.startswith("eval_")} if evals else {}


def _now() -> str:
    from slmbench.provenance import now_iso

    return now_iso()


def read_log(path: Path) -> list[dict]:
    """Rows of a train_log.jsonl."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
