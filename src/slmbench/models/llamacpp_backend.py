"""llama.cpp backend: runs GGUF models through llama-cpp-python, greedy.

The prompt text is the one the transformers backend gets (`slmbench.prompts.build_prompt` with
this backend's HF `tokenizer`), and so are its token ids: that tokenizer's, passed to llama.cpp
as ids (`prompt_ids`), since llama.cpp's own tokenizer splits some text differently from the
tokenizer the model was trained with. The requests of one `generate` call are
decoded together, one KV stream each (`slmbench.models.llamacpp_batch`): the same tokens at
every batch size. JSON-schema constraints use, by default, the transformers backend's llguidance
grammar and closing mode (`grammar_engine="llguidance"`), so a constrained row is never cut
short; `grammar_engine="llama.cpp"` uses llama.cpp's own grammar sampler instead
(`LlamaGrammar`, one row at a time), as llama-cpp-python's server does.

Two savings leave every token as it was (both on by default, `reuse_prefix=False` and
`forced_tokens="off"` switch them off): the KV cache of the prompt that finished last is kept,
and the next prompts decode only what they do not share with it; and a token that the
llguidance grammar forces is decoded without logits (`slmbench.models.llamacpp_batch`,
`slmbench.models.llamacpp_forced`).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slmbench.constrain.grammar import DEFAULT_MAX_ITEMS, schema_label
from slmbench.constrain.llama_grammar import schema_gbnf
from slmbench.errors import SlmbenchError
from slmbench.jsontext import json_value_end
from slmbench.models.base import (
    GRAMMAR_ENGINES,
    Generation,
    GenerationRequest,
    constrained_mode,
)
from slmbench.models.gguf_files import check_gguf_causal_lm, file_type_name, tokenizer_dir_for
from slmbench.models.llamacpp_batch import BatchedGenerator
from slmbench.models.llamacpp_forced import FORCED_EXACT, FORCED_TOKEN_MODES
from slmbench.prompts import prompt_add_special_tokens

LLAMA_CPP_VERSION = "0.3.36"
LLAMA_CPP_INSTALL = (
    'CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF" '
    f"pip install llama-cpp-python=={LLAMA_CPP_VERSION} (builds from source, a few minutes)"
)
WARMUP_SCHEMA = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}


@dataclass
class CapturedStderr:
    lines: list[str] = field(default_factory=list)


@contextlib.contextmanager
def captured_stderr() -> Iterator[CapturedStderr]:
    """Sends what native code writes to file descriptor 2 into `.lines` instead of the
    terminal (llama.cpp prints per-tensor and parser notes there directly)."""
    result = CapturedStderr()
    sys.stderr.flush()
    with tempfile.TemporaryFile() as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield result
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            result.lines = sink.read().decode("utf-8", errors="replace").splitlines()


class LlamaCppBackend:
    """Greedy generation with llama.cpp on the CPU, the requests of a call batched."""

    name = "llamacpp"

    def __init__(
        self,
        model: str | Path | None = None,
        adapter: str | Path | None = None,
        *,
        constrained: str | None = None,
        threads: int | None = None,
        n_ctx: int | None = None,
        tokenizer: str | Path | None = None,
        max_items: int | None = None,
        batch_size: int | None = None,
        grammar_engine: str | None = None,
        reuse_prefix: bool | None = None,
        forced_tokens: str | None = None,
    ):
        """Load a GGUF model.

        model: the embedded model's name (`smollm2-135m-instruct`, also the default when None),
            a model installed as a package (`gemma3-270m`), a `.gguf` file, or a folder
            holding exactly one (e.g. `RUN/gguf/` of `slmbench export`); with `adapter`, the
            adapter's base model (or None).
        adapter: a PEFT adapter or `slmbench train` run: merged into its base model and
            converted to GGUF on first use, then cached (`slmbench.models.adapter_gguf`).
        constrained: None (free decoding), "strict" (a schema the engine cannot compile is an
            error) or "lenient" (such a schema decodes unconstrained, `meta["constrained"]`
            = "fallback").
        threads: CPU threads for prompt and generation (default: all cores).
        n_ctx: context size in tokens per sequence (default: the model's training context).
        tokenizer: HF tokenizer folder for prompt formatting (default: the one `slmbench export`
            saved beside the file, the embedded model's, else built from the GGUF itself).
        max_items: `maxItems` given to unbounded arrays under constraints (default 50).
        batch_size: most sequences decoded at once (default: all requests of a call).
        grammar_engine: "llguidance" (default) or "llama.cpp" (see `GRAMMAR_ENGINES`).
        reuse_prefix: keep the KV cache of the last prompt and decode only the part of the next
            prompts it does not hold (default True; the same tokens either way).
        forced_tokens: how tokens the llguidance grammar forces are decoded: "exact" (default:
            without logits, the same tokens), "batched" (in one decode: faster, but the logits
            differ, so a close second choice may win: not for results) or "off" (see
            `slmbench.models.llamacpp_forced`).
        """
        constrained = constrained_mode(constrained)
        engine = grammar_engine or GRAMMAR_ENGINES[0]
        if engine not in GRAMMAR_ENGINES:
            raise SlmbenchError(
                f"unknown grammar engine {engine!r} (known: {', '.join(GRAMMAR_ENGINES)})"
            )
        forced = forced_tokens or FORCED_EXACT
        if forced not in FORCED_TOKEN_MODES:
            raise SlmbenchError(
                f"unknown forced_tokens mode {forced!r} (known: {', '.join(FORCED_TOKEN_MODES)})"
            )
        if batch_size is not None and batch_size < 1:
            raise SlmbenchError(f"batch_size must be at least 1, got {batch_size}")
        # ggml's OpenMP threads otherwise spin between graph runs: on a busy CPU (more threads
        # than free cores) that made decoding ~10x slower here. Read when the library loads.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            import llama_cpp
        except ImportError:
            raise SlmbenchError(f"llama-cpp-python is not installed: {LLAMA_CPP_INSTALL}") from None
        self.adapter = None
        if adapter is not None:
            from slmbench.models.adapter_gguf import adapter_gguf

            self.adapter = Path(adapter)
            model = adapter_gguf(adapter, model)
        self.model_name, self.path, tokenizer_dir = _resolve_gguf(model)
        if self.adapter is not None:
            self.model_name = str(self.adapter)
        self.gguf_meta = check_gguf_causal_lm(self.path)
        self.constrained = constrained
        self.grammar_engine = engine
        self.reuse_prefix = True if reuse_prefix is None else bool(reuse_prefix)
        self.forced_tokens = forced
        self.batch_size = batch_size
        self.max_items = max_items or DEFAULT_MAX_ITEMS
        self.threads = threads or os.cpu_count() or 1
        self.tokenizer = _load_tokenizer(self.path, tokenizer or tokenizer_dir)
        try:
            self.llm = llama_cpp.Llama(
                model_path=str(self.path),
                n_ctx=n_ctx or 0,
                n_threads=self.threads,
                n_threads_batch=self.threads,
                verbose=False,
            )
        except ValueError as e:
            raise SlmbenchError(f"llama.cpp could not load {self.path}: {e}") from None
        # llama.cpp rounds the context up (to 256s) but the binding's buffers keep the request.
        self.n_ctx = min(self.llm.n_ctx(), len(self.llm.input_ids))
        self._vocab = llama_cpp.llama_model_get_vocab(self.llm.model)
        self._llama_cpp = llama_cpp
        self._grammars: dict[str, Any] = {}
        self._batched = BatchedGenerator(self.llm)

    # --- Backend protocol -----------------------------------------------------------------

    def generate(self, requests: list[GenerationRequest]) -> list[Generation]:
        """Greedy completions, in order. Each row stops at its own `max_new_tokens`, at an
        end-of-generation token, or at its first complete JSON value (`stop_at_json`); a
        constrained row (llguidance) still open at its cap is closed within `CLOSING_TOKENS`
        more. Timings are measured per row from the start of its batch."""
        if self.constrained is not None and self.grammar_engine == "llama.cpp":
            return [self._generate_one(request) for request in requests]
        step = self.batch_size or max(len(requests), 1)
        return [
            generation
            for begin in range(0, len(requests), step)
            for generation in self._batched.generate(self, requests[begin : begin + step])
        ]

    def info(self) -> dict[str, Any]:
        llama_cpp = self._llama_cpp
        recipe = self.gguf_meta.get("recipe")
        return {
            "name": self.model_name,
            "path": str(self.path),
            "params": int(llama_cpp.llama_model_n_params(self.llm.model)),
            "size_on_disk_bytes": self.path.stat().st_size,
            "dtype": file_type_name(self.gguf_meta.get("file_type")),
            "device": "cpu",
            "threads": self.threads,
            "n_ctx": self.n_ctx,
            "backend": self.name,
            "adapter": str(self.adapter) if self.adapter is not None else None,
            "llama_cpp_version": llama_cpp.__version__,
            "trained_from": json.loads(recipe) if recipe else None,
            "grammar_engine": self.grammar_engine if self.constrained else None,
            "closing_tokens": self._batched.closing_tokens if self._closes() else None,
            "reuse_prefix": self.reuse_prefix if self._batches() else None,
            "forced_tokens": self.forced_tokens if self._closes() else None,
        }

    def _batches(self) -> bool:
        """Whether `generate` decodes through `BatchedGenerator` (all but llama.cpp's grammar)."""
        return self.constrained is None or self.grammar_engine == "llguidance"

    def _closes(self) -> bool:
        return self.constrained is not None and self.grammar_engine == "llguidance"

    def warmup(self) -> None:
        """One short generation (with a grammar when constrained) before anything is timed:
        the first decode pays for weight repacking and thread start-up."""
        schema = WARMUP_SCHEMA if self.constrained else None
        self.generate([GenerationRequest("Hello", max_new_tokens=2, schema=schema)])

    # --- generation -----------------------------------------------------------------------

    def prompt_ids(self, prompt: str) -> list[int]:
        """The prompt's ids from the HF tokenizer, as the transformers backend and training
        tokenize it (special tokens parsed; BOS unless the prompt starts with the BOS text), not
        from llama.cpp's tokenizer: for SmolLM2 the two differ where a whitespace run precedes a
        digit (llama.cpp's `smollm` pre-tokenizer splits digits off first; the tokenizer that
        transformers rebuilds from the GGUF does not), 44 tokens on 22 of the 158 EdgeJSON test
        prompts. An error if the prompt leaves no room in the context."""
        add_special = prompt_add_special_tokens(self.tokenizer, prompt)
        ids = self.tokenizer(prompt, add_special_tokens=add_special)["input_ids"]
        if ids and max(ids) >= self.llm.n_vocab():
            raise SlmbenchError(
                f"tokenizer {self.tokenizer.name_or_path} gives token id {max(ids)}, beyond the "
                f"{self.llm.n_vocab()} tokens of {self.path}: not this model's tokenizer"
            )
        if len(ids) >= self.n_ctx:
            raise SlmbenchError(
                f"prompt of {len(ids)} tokens does not fit the context of "
                f"{self.n_ctx} tokens (raise n_ctx)"
            )
        return ids

    def _generate_one(self, request: GenerationRequest) -> Generation:
        """One request under llama.cpp's own grammar sampler (`grammar_engine="llama.cpp"`)."""
        llm, llama_cpp = self.llm, self._llama_cpp
        grammar, constrained = self._grammar_for(request.schema)
        start = time.perf_counter()
        prompt_ids = self.prompt_ids(request.prompt)
        room = self.n_ctx - len(prompt_ids)
        budget = min(request.max_new_tokens, room)  # hitting either cap counts as hit_limit
        if budget <= 0:
            return Generation("", len(prompt_ids), 0, 0.0, 0.0, True, {"constrained": constrained})
        text_bytes = bytearray()
        generated, ttft, stop = 0, 0.0, "limit"
        llm.reset()  # no KV prefix reuse between requests: each one is timed in full
        tokens = llm.generate(prompt_ids, temp=0.0, repeat_penalty=1.0, grammar=grammar)
        for token in tokens:
            generated += 1
            if generated == 1:
                ttft = time.perf_counter() - start
            if llama_cpp.llama_vocab_is_eog(self._vocab, token):
                stop = "eos"
                break
            piece = llm.detokenize([token])
            text_bytes += piece
            if (
                request.stop_at_json
                and (b"}" in piece or b"]" in piece)
                and json_value_end(text_bytes.decode("utf-8", errors="replace")) is not None
            ):
                stop = "json"
                break
            if generated >= budget:
                break
        tokens.close()
        total = time.perf_counter() - start
        return Generation(
            text=text_bytes.decode("utf-8", errors="replace"),
            prompt_tokens=len(prompt_ids),
            generated_tokens=generated,
            ttft_s=ttft,
            total_s=total,
            hit_limit=stop == "limit",
            meta={"constrained": constrained, "stop": stop},
        )

    def _grammar_for(self, schema: dict | None) -> tuple[Any, str]:
        """(compiled grammar or None, value of `meta["constrained"]`), cached per schema."""
        if self.constrained is None or schema is None:
            return None, "off"
        key = json.dumps(schema, sort_keys=True)
        if key not in self._grammars:
            self._grammars[key] = self._compile(schema)
        grammar = self._grammars[key]
        return grammar, "on" if grammar is not None else "fallback"

    def _compile(self, schema: dict) -> Any:
        """The schema as a llama.cpp grammar; if llama.cpp rejects it, once more without string
        `pattern`s (its regex translation lacks escapes such as `\\s`), else None (lenient) or
        an error (strict)."""
        from llama_cpp.llama_grammar import LlamaGrammar

        reasons = []
        for keep_patterns in (True, False):
            try:
                gbnf = self._checked_gbnf(schema_gbnf(schema, self.max_items, keep_patterns))
            except Exception as e:  # noqa: BLE001 - any compiler failure is reported the same way
                reasons.append(str(e))
                continue
            return LlamaGrammar.from_string(gbnf, verbose=False)
        if self.constrained == "strict":
            raise SlmbenchError(
                f"schema {schema_label(schema)} cannot be compiled to a llama.cpp grammar "
                f"({reasons[-1]}); use --constrained lenient to decode it unconstrained"
            )
        return None

    def _checked_gbnf(self, gbnf: str) -> str:
        llama_cpp = self._llama_cpp
        # Parsed once here: a grammar llama.cpp rejects would otherwise crash the sampler. Its
        # parser prints the whole grammar on failure; that goes to a kept-aside stderr.
        with captured_stderr() as log:
            sampler = llama_cpp.llama_sampler_init_grammar(
                self._vocab, gbnf.encode("utf-8"), b"root"
            )
        if not sampler:
            first = next((line for line in log.lines if "error" in line.lower()), "")
            raise ValueError(f"llama.cpp rejected the grammar: {first[:200]}".rstrip(": "))
        llama_cpp.llama_sampler_free(sampler)
        return gbnf


def _resolve_gguf(model: str | Path | None) -> tuple[str, Path, Path | None]:
    """(display name, GGUF file, HF tokenizer folder if known) for the `model` argument."""
    from slmbench.models.embedded import EMBEDDED_NAME, embedded_gguf_path, embedded_model_dir
    from slmbench.models.registry import package_gguf

    if model is None or str(model).lower() == EMBEDDED_NAME:
        return EMBEDDED_NAME, embedded_gguf_path(), embedded_model_dir()
    packaged = package_gguf(str(model))  # gemma3-270m: an optional install
    if packaged is not None:
        return str(model).lower(), *packaged
    path = Path(model).expanduser()
    if path.is_dir():
        found = sorted(path.glob("*.gguf"))
        if len(found) != 1:
            raise SlmbenchError(
                f"{path} holds {len(found)} .gguf files: pass the one to run "
                "(the llamacpp backend runs GGUF files; `slmbench export` writes them)"
            )
        path = found[0]
    if not path.is_file():
        raise SlmbenchError(
            f"model {model!r} is neither {EMBEDDED_NAME!r} nor a .gguf file; "
            "the llamacpp backend runs GGUF files (`slmbench export RUN --format gguf`)"
        )
    beside = tokenizer_dir_for(path)
    return path.stem, path, beside if beside.is_dir() else None


def _load_tokenizer(gguf_path: Path, tokenizer_dir: str | Path | None) -> Any:
    from transformers import AutoTokenizer

    if tokenizer_dir is not None:
        return AutoTokenizer.from_pretrained(tokenizer_dir)
    try:  # transformers rebuilds a HF tokenizer (with chat template) from GGUF metadata
        return AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
    except Exception as e:  # noqa: BLE001
        raise SlmbenchError(
            f"no HF tokenizer for {gguf_path}: none saved at {tokenizer_dir_for(gguf_path)} "
            f"and transformers could not build one from the GGUF ({e}); pass tokenizer=FOLDER"
        ) from None
