"""What every generation backend takes and returns. Backends know nothing of metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

BACKENDS = {
    "transformers": ("slmbench.models.hf_backend", "TransformersBackend"),
    "openai": ("slmbench.models.openai_backend", "OpenAIBackend"),
    "llamacpp": ("slmbench.models.llamacpp_backend", "LlamaCppBackend"),
}
"""Backend name -> (module, class), imported only when a backend is loaded
(`slmbench.models.registry.load_backend`)."""
BACKEND_NAMES = tuple(BACKENDS)
CONSTRAINED_MODES = ("strict", "lenient")
"""Schema-constrained decoding: `strict` fails a row whose schema does not compile, `lenient`
decodes that row unconstrained. `off` (or None) is no constraint."""


def constrained_mode(mode: str | None) -> str | None:
    """A checked constrained mode: None for no constraint.

    >>> constrained_mode("off"), constrained_mode("strict")
    (None, 'strict')
    """
    if mode in (None, "off"):
        return None
    if mode not in CONSTRAINED_MODES:
        from slmbench.errors import SlmbenchError

        known = ", ".join(("off", *CONSTRAINED_MODES))
        raise SlmbenchError(f"unknown constrained mode {mode!r} (known: {known})")
    return mode


GRAMMAR_ENGINES = ("llguidance", "llama.cpp")
"""How the llamacpp backend constrains decoding: `llguidance` (the transformers backend's
grammar and closing mode, every batch size) or `llama.cpp` (llama.cpp's own GBNF grammar
sampler, one sequence at a time: what llama-cpp-python's server decodes under)."""
DEVICE_NAMES = ("cpu", "cuda", "auto")
"""Devices the transformers backend runs on (`auto`: CUDA when available)."""
DTYPE_NAMES = ("float32", "bfloat16", "int8-dynamic")
"""Weight dtypes the CLI offers (the transformers backend; llama.cpp files carry their own)."""


@dataclass
class GenerationRequest:
    """One prompt to complete."""

    prompt: str
    """The full prompt text (already formatted by `slmbench.prompts.build_prompt`)."""
    max_new_tokens: int
    """Hard cap on generated tokens for this prompt."""
    schema: dict | None = None
    """JSON Schema to constrain decoding to (None: unconstrained)."""
    stop_at_json: bool = True
    """Stop as soon as the first complete top-level JSON value has been generated."""
    messages: list[dict] | None = None
    """The same prompt as chat messages (chat styles), for backends that template themselves."""


@dataclass
class Generation:
    """One completion with its measured timings (nothing assumed)."""

    text: str
    """Generated text only (no prompt), special tokens removed."""
    prompt_tokens: int
    generated_tokens: int
    ttft_s: float
    """Time to first token: prompt processing plus the first sampled token."""
    total_s: float
    """Wall time from the start of the backend's `generate` call until this request finished
    (rows of one batch finish at different times; each is timed on its own)."""
    hit_limit: bool
    """True when generation stopped because max_new_tokens was reached."""
    meta: dict[str, Any] = field(default_factory=dict)
    """Backend-specific notes (e.g. `constrained: "fallback"`)."""

    @property
    def decode_tokens_per_s(self) -> float:
        decode_time = self.total_s - self.ttft_s
        steps = self.generated_tokens - 1
        return steps / decode_time if steps > 0 and decode_time > 0 else 0.0


class Backend(Protocol):
    """A loaded model that turns prompts into completions."""

    name: str
    """Backend name: `transformers`, `openai`, `llamacpp`."""
    tokenizer: Any
    """A transformers tokenizer (chat template, token counts), or None if the backend has none."""

    def generate(self, requests: list[GenerationRequest]) -> list[Generation]:
        """Greedy, deterministic completions, one per request, in order."""
        ...

    def info(self) -> dict[str, Any]:
        """Model and hardware facts: name, params, size_on_disk_bytes, dtype, device, threads."""
        ...
