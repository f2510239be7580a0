"""The transformers backend: greedy batched generation with measured per-sequence timings."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path
from typing import Any

import torch
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    GenerationConfig,
    LogitsProcessorList,
    StoppingCriteriaList,
)

from slmbench.constrain.closing import CLOSING_TOKENS
from slmbench.errors import SlmbenchError
from slmbench.models.base import (
    DEVICE_NAMES,
    Generation,
    GenerationRequest,
    constrained_mode,
)
from slmbench.models.registry import (
    WEIGHT_SUFFIXES,
    adapter_base_model,
    read_recipe,
    resolve_adapter,
    resolve_model,
)
from slmbench.models.stopping import SequenceTracker, constraint_status
from slmbench.prompts import prompt_add_special_tokens

DTYPES = {
    "float32": torch.float32,
    "bfloat16": torch.bfloat16,
    "float16": torch.float16,
    "int8-dynamic": torch.float32,
}
"""Weight dtypes; `int8-dynamic` loads fp32, then quantises every linear layer's weights to
int8 with activations quantised on the fly (torch's dynamic quantisation, CPU only)."""
DEVICES = DEVICE_NAMES
WARMUP_SCHEMA = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")


class TransformersBackend:
    """A causal LM loaded with transformers (plus a merged PEFT adapter), decoding greedily."""

    name = "transformers"

    def __init__(
        self,
        model: str | Path | None,
        adapter: str | Path | None = None,
        *,
        dtype: str = "float32",
        device: str = "cpu",
        threads: int | None = None,
        constrained: str | None = None,
    ) -> None:
        if dtype not in DTYPES:
            raise SlmbenchError(f"unknown dtype {dtype!r} (known: {', '.join(DTYPES)})")
        self.constrained = constrained_mode(constrained)
        self.threads = threads or available_cores()
        torch.set_num_threads(self.threads)
        self.device = pick_device(device)
        self.dtype = dtype

        self.adapter_dir, self.recipe = resolve_adapter(adapter) if adapter else (None, None)
        if model is None:
            if self.adapter_dir is None:
                raise SlmbenchError("no model given (pass --model, or --adapter of a train run)")
            model = adapter_base_model(self.adapter_dir, self.recipe)
        self.model_name = str(model)
        self.model_dir = resolve_model(model)
        if self.recipe is None and self.adapter_dir is None:
            self.recipe = read_recipe(self.model_dir)  # full fine-tune run: RUN/model

        self.tokenizer = AutoTokenizer.from_pretrained(
            tokenizer_folder(self.model_dir, self.adapter_dir)
        )
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = self._load_model()
        self.params = sum(p.numel() for p in self.model.parameters())
        if dtype == "int8-dynamic":
            self.model = quantize_dynamic_int8(self.model, self.device)
        self.eos_token_ids = self._eos_token_ids()
        # A clean config: the model's own defaults (e.g. Qwen's repetition penalty, sampling)
        # would otherwise fill every unset field of ours inside `generate`.
        self.special_token_ids = {
            "bos_token_id": self.tokenizer.bos_token_id,
            "eos_token_id": sorted(self.eos_token_ids),
            "pad_token_id": self.tokenizer.pad_token_id,
        }
        self.model.generation_config = GenerationConfig(**self.special_token_ids)
        self._pieces: dict[int, str] = {}

    def _load_model(self):
        try:
            model = AutoModelForCausalLM.from_pretrained(self.model_dir, dtype=DTYPES[self.dtype])
        except (OSError, ValueError) as e:
            raise SlmbenchError(f"cannot load model from {self.model_dir}: {e}") from e
        if self.adapter_dir is not None:
            from peft import PeftModel

            try:
                model = PeftModel.from_pretrained(model, self.adapter_dir)
            except (OSError, ValueError, RuntimeError) as e:
                raise SlmbenchError(f"cannot apply adapter {self.adapter_dir}: {e}") from e
            model = model.merge_and_unload()  # plain weights decode as fast as the base model
        return model.to(self.device).eval()

    def _eos_token_ids(self) -> set[int]:
        ids = {self.tokenizer.eos_token_id}
        configured = self.model.generation_config.eos_token_id
        ids.update(configured if isinstance(configured, list) else [configured])
        return {i for i in ids if i is not None}

    # --- generation ------------------------------------------------------------------------

    def generate(self, requests: list[GenerationRequest]) -> list[Generation]:
        """Greedy completions of one batch (left-padded; the caller sorts by length). Each row
        stops at its own `max_new_tokens`, at end-of-sequence, or at its first complete JSON
        value (`stop_at_json`); timings are measured per row from the start of this call."""
        if not requests:
            return []
        caps = [r.max_new_tokens for r in requests]
        if min(caps) < 1:
            raise SlmbenchError(f"max_new_tokens must be at least 1, got {min(caps)}")
        start = time.perf_counter()
        prompts = [r.prompt for r in requests]
        encoded = self.tokenizer(
            prompts,
            padding=True,
            return_tensors="pt",
            add_special_tokens=self._add_special_tokens(prompts),
        ).to(self.device)
        prompt_length = encoded["input_ids"].shape[1]
        processor = self._schema_processor(requests)
        limits = list(caps)
        if processor is not None:
            # A constrained row still open at its cap gets closing tokens on top of it.
            extra = processor.closing_tokens
            row_status = processor.status
            limits = [c + extra * (s == "on") for c, s in zip(caps, row_status, strict=True)]
        tracker = SequenceTracker(
            prompt_length=prompt_length,
            caps=limits,
            stop_at_json=[r.stop_at_json for r in requests],
            eos_token_ids=self.eos_token_ids,
            piece=self._piece,
            start_time=start,
            # A row we stop gets padding (= EOS) appended while the batch goes on, which its
            # grammar, still inside a JSON value, would reject: release it.
            on_stop=processor.release if processor is not None else None,
        )
        config = GenerationConfig(
            **self.special_token_ids, do_sample=False, num_beams=1, max_new_tokens=max(limits)
        )
        processors = LogitsProcessorList([processor] if processor is not None else [])
        with torch.inference_mode():
            output = self.model.generate(
                **encoded,
                generation_config=config,
                stopping_criteria=StoppingCriteriaList([tracker]),
                logits_processor=processors,
            )
        new_tokens = output[:, prompt_length:].tolist()
        prompt_tokens = encoded["attention_mask"].sum(dim=1).tolist()
        results = []
        for row, request in enumerate(requests):
            count = tracker.row_result(row)[0]
            text = self.tokenizer.decode(new_tokens[row][:count], skip_special_tokens=True)
            constrained = constraint_status(processor, request.schema, row)
            results.append(
                tracker.generation(row, text, int(prompt_tokens[row]), constrained, caps[row])
            )
        return results

    def warmup(self) -> None:
        """One short generation (with a grammar when constrained) before anything is timed."""
        schema = WARMUP_SCHEMA if self.constrained else None
        self.generate([GenerationRequest("Hello", max_new_tokens=2, schema=schema)])

    def _add_special_tokens(self, prompts: list[str]) -> bool:
        # Chat-templated prompts already start with the BOS text; plain prompts get the
        # tokenizer's usual special tokens (none for SmolLM2 and Qwen).
        return all(prompt_add_special_tokens(self.tokenizer, p) for p in prompts)

    def _piece(self, token_id: int) -> str:
        piece = self._pieces.get(token_id)
        if piece is None:
            piece = self.tokenizer.decode([token_id], skip_special_tokens=True)
            self._pieces[token_id] = piece
        return piece

    def _schema_processor(self, requests: list[GenerationRequest]):
        if self.constrained is None or all(r.schema is None for r in requests):
            return None
        try:
            from slmbench.constrain.processor import SchemaLogitsProcessor
        except ImportError as e:
            raise SlmbenchError(f"constrained decoding is not available ({e})") from e
        return SchemaLogitsProcessor(
            self.tokenizer,
            schemas=[r.schema for r in requests],
            lenient=self.constrained == "lenient",
            close_at=[r.max_new_tokens for r in requests],
        )

    # --- facts -----------------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """Model and hardware facts for the run record."""
        size = weights_size(self.model_dir)
        if self.adapter_dir is not None:
            size += weights_size(self.adapter_dir)
        return {
            "backend": self.name,
            "name": self.model_name,
            "path": str(self.model_dir),
            "adapter": str(self.adapter_dir) if self.adapter_dir else None,
            "params": self.params,
            "size_on_disk_bytes": size,
            "dtype": self.dtype,
            "device": str(self.device),
            "hardware": hardware_name(self.device),
            "threads": torch.get_num_threads(),
            "trained_from": self.recipe,
            "closing_tokens": CLOSING_TOKENS if self.constrained else None,
        }


def quantize_dynamic_int8(model: Any, device: torch.device) -> Any:
    """The model with int8 weights in every `nn.Linear` (dynamic quantisation: activations
    are quantised per call). On CPU only; weights stay fp32 on disk."""
    if device.type != "cpu":
        raise SlmbenchError(f"dtype int8-dynamic runs on the CPU only, not on {device.type}")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao's notice that it will move to torchao
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


def available_cores() -> int:
    """CPU cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def pick_device(device: str) -> torch.device:
    if device not in DEVICES:
        raise SlmbenchError(f"unknown device {device!r} (known: {', '.join(DEVICES)})")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise SlmbenchError("device 'cuda' requested but torch sees no CUDA GPU")
    return torch.device(device)


def hardware_name(device: torch.device) -> str:
    """The GPU's name, or the CPU model."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def weights_size(folder: Path) -> int:
    """Bytes of the weight files directly in `folder` (hub cache links followed)."""
    return sum(p.stat().st_size for p in folder.iterdir() if p.suffix in WEIGHT_SUFFIXES)


def tokenizer_folder(model_dir: Path, adapter_dir: Path | None) -> Path:
    """Where to load the tokenizer: a train run's own copy (the one it trained with) first,
    then the model folder."""
    candidates = []
    for folder in (adapter_dir, model_dir):
        if folder is not None:
            candidates.append(folder)
            if (folder.parent / "recipe.json").is_file():
                candidates.append(folder.parent)
    for folder in candidates:
        if any((folder / name).is_file() for name in TOKENIZER_FILES):
            return folder
    return model_dir
