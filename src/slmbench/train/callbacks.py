"""What a training run reports while it runs: `train_log.jsonl` rows (a `TrainerCallback`) and
the generation-based validation score (greedy answers to a few validation rows, JSONExact).

Log rows (one JSON object a line, `kind` says which):
- `train`: step, epoch, loss, learning_rate, grad_norm, tokens_per_s (non-padding tokens per
  second of training since the previous row, evaluation and checkpoint time excluded),
  tokens_seen;
- `val`: step, epoch, val_loss, and with generation val_json_exact, val_valid_json, val_n;
- `summary`: the Trainer's end-of-training figures (train_loss, train_runtime...).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from slmbench.data.rows import Row
from slmbench.data.schemas import SchemaInfo
from slmbench.eval.metrics import json_equal
from slmbench.eval.parsing import parse_output
from slmbench.prompts import build_prompt, format_answer, prompt_add_special_tokens
from slmbench.results_contract import DEFAULT_TASK

GENERATION_SLACK_TOKENS = 16
"""A validation answer may run this many tokens past its gold answer before it is cut: a
longer one cannot be the trained format, so generating further would only cost time."""
GENERATION_BATCH = 8


class JsonlLogCallback(TrainerCallback):
    """Appends a row to `train_log.jsonl` at each logging step and evaluation."""

    def __init__(self, path: Path):
        self.path = path
        self._since_time = time.perf_counter()
        self._since_tokens = 0

    def _reset(self, state) -> None:
        self._since_time = time.perf_counter()
        self._since_tokens = state.num_input_tokens_seen

    def on_train_begin(self, args, state, control, **kwargs):
        self._reset(state)

    def on_evaluate(self, args, state, control, **kwargs):
        self._reset(state)

    def on_save(self, args, state, control, **kwargs):
        self._reset(state)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs:
            return
        row: dict[str, Any] = {"step": state.global_step, "epoch": _round(state.epoch)}
        if "loss" in logs:
            elapsed = time.perf_counter() - self._since_time
            tokens = state.num_input_tokens_seen - self._since_tokens
            row.update(
                kind="train",
                loss=_round(logs["loss"]),
                learning_rate=logs.get("learning_rate"),
                grad_norm=_round(logs.get("grad_norm")),
                tokens_per_s=round(tokens / elapsed, 1) if elapsed > 0 else None,
                tokens_seen=state.num_input_tokens_seen,
            )
            self._reset(state)
        elif "eval_loss" in logs:
            row["kind"] = "val"
            for key, value in logs.items():
                if key.startswith("eval_") and not key.endswith(("_per_second", "_runtime")):
                    row["val_" + key[len("eval_") :]] = _round(value)
        elif "train_loss" in logs:
            row.update(kind="summary", **{k: _round(v) for k, v in logs.items()})
        else:
            return
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")


class EvaluatedSteps(TrainerCallback):
    """Remembers the step of the last evaluation (to skip a duplicate one at the end)."""

    def __init__(self):
        self.last_step: int | None = None

    def on_evaluate(self, args, state, control, **kwargs):
        self.last_step = state.global_step


class CheckpointHook(TrainerCallback):
    """Calls `on_checkpoint(step)` after each checkpoint is written (run bookkeeping)."""

    def __init__(self, on_checkpoint):
        self.on_checkpoint = on_checkpoint

    def on_save(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            self.on_checkpoint(state.global_step)


class StopOnNonFinite(TrainerCallback):
    """Stops training at the first logged NaN or infinite loss or gradient norm, before the
    next checkpoint. Weights that have become NaN stay NaN, and the run would otherwise spend
    its remaining steps on them (two GPU runs did: experiments/gpu-left-pad/)."""

    def __init__(self):
        self.step: int | None = None
        self.value = ""

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self.step is not None:
            return
        for key in ("loss", "grad_norm"):
            value = (logs or {}).get(key)
            if isinstance(value, float) and not math.isfinite(value):
                self.step, self.value = state.global_step, f"{key} {value}"
                control.should_training_stop = True
                control.should_save = False
                return


def _round(value: Any) -> Any:
    return round(value, 6) if isinstance(value, float) else value


class GenerationValidator:
    """Greedy answers to validation rows, scored by JSONExact (the eval stage's parser and
    `json_equal`), batched by prompt length. Runs on whatever device the model is on; uses bf16
    autocast only on CUDA (on CPU fp32 decodes faster, FIELD-NOTES)."""

    def __init__(
        self,
        rows: list[Row],
        tokenizer: Any,
        style: str,
        schemas: dict[str, SchemaInfo] | None,
        max_new_tokens: int,
        bf16: bool,
        task: str = DEFAULT_TASK,
    ):
        self.tokenizer = tokenizer
        self.bf16 = bf16
        self.items = []
        for row in rows:
            schema = schemas[row.schema_id].schema if schemas and row.schema_id in schemas else None
            prompt = build_prompt(row.prompt, style, tokenizer, schema, task)
            ids = tokenizer(prompt, add_special_tokens=prompt_add_special_tokens(tokenizer, prompt))
            answer = tokenizer(format_answer(row.expected_output), add_special_tokens=False)
            cap = min(max_new_tokens, len(answer["input_ids"]) + GENERATION_SLACK_TOKENS)
            self.items.append((list(ids["input_ids"]), cap, row.expected_output))
        self.items.sort(key=lambda item: len(item[0]))

    def __call__(self, model: Any) -> dict[str, float]:
        import torch
        from transformers import GenerationConfig

        was_training = model.training
        model.eval()
        device = next(model.parameters()).device
        pad = self.tokenizer.pad_token_id
        exact = valid = 0
        start = time.perf_counter()
        autocast = torch.autocast(
            device.type, dtype=torch.bfloat16, enabled=self.bf16 and device.type == "cuda"
        )
        try:
            with torch.inference_mode(), autocast:
                for begin in range(0, len(self.items), GENERATION_BATCH):
                    batch = self.items[begin : begin + GENERATION_BATCH]
                    width = max(len(ids) for ids, _, _ in batch)
                    input_ids = [[pad] * (width - len(ids)) + ids for ids, _, _ in batch]
                    mask = [[0] * (width - len(ids)) + [1] * len(ids) for ids, _, _ in batch]
                    config = GenerationConfig(
                        max_new_tokens=max(cap for _, cap, _ in batch),
                        do_sample=False,
                        num_beams=1,
                        eos_token_id=self.tokenizer.eos_token_id,
                        pad_token_id=pad,
                    )
                    output = model.generate(
                        input_ids=torch.tensor(input_ids, device=device),
                        attention_mask=torch.tensor(mask, device=device),
                        generation_config=config,
                    )
                    for (_, cap, gold), tokens in zip(batch, output[:, width:], strict=True):
                        text = self.tokenizer.decode(tokens[:cap], skip_special_tokens=True)
                        parsed = parse_output(text)
                        valid += parsed.ok
                        exact += parsed.ok and json_equal(parsed.value, gold)
        finally:
            model.train(was_training)
        n = len(self.items)
        return {
            "json_exact": exact / n if n else 0.0,
            "valid_json": valid / n if n else 0.0,
            "n": n,
            "generate_s": round(time.perf_counter() - start, 2),
        }
