"""Batched greedy decoding on llama.cpp: several sequences per `llama_decode`, each in its own
KV stream, with the transformers backend's schema constraints and stopping rules per sequence.

Why this gives the same tokens at every batch size: the context keeps one KV stream per sequence
(`kv_unified = false`), so a sequence's attention reads only its own cells, at the positions it
would have alone; every prompt is prefilled on its own, in the same 512-token chunks as
llama-cpp-python's `Llama.eval`; and a decode step computes each sequence's logits from its own
row of the batch. Greedy picks the first largest logit, as llama.cpp's greedy sampler does.
One caveat, measured on the tiny test model: with f32 or f16 weights, ggml multiplies one row
with its own dot product and two or more rows with llamafile's tinyBLAS, whose sums differ in the
last bit (logits up to 9e-8 apart), so a near-tie that close could flip between a sequence
decoded alone and one decoded beside others. With Q8_0 weights the two agree to the bit, and
Q4_1 (the embedded model) has no tinyBLAS kernel: one path.

llama.cpp takes a decode step's sequences in ONE micro-batch only when their ids are consecutive
(its sequential split for non-unified streams). When a sequence stops, the last live sequence is
moved into its slot (`llama_memory_seq_cp` across streams, a copy of that stream's KV buffer),
so that the live ones stay at ids 0..n-1 and every step stays one pass over the weights.

Per step, what is done to the logits is done by the objects the transformers backend hands to
`generate`: `slmbench.constrain.processor.SchemaLogitsProcessor` (llguidance masks, closing
mode) and `slmbench.models.stopping.SequenceTracker` (EOS, first complete JSON value, caps,
timings). They read the generated tokens as a left-padded `input_ids` whose last column is the
newest token, which this loop builds (one dummy prompt column, then one column per step).

Two savings keep those tokens (`LlamaCppBackend(reuse_prefix=..., forced_tokens=...)`):
- Prefix reuse: after a call, sequence 0 keeps the KV of the prompt that finished last, and the
  next call decodes only what its prompts do not share with it (prompts of one run share the
  system turn and the instruction, function-calling ones often the tools); every other prompt of
  a batch starts from a copy of sequence 0 for what it shares with prompt 0. The cache is then
  the one a full prefill writes, bit for bit, if every prompt token is still decoded with at
  least one other (llama.cpp's attention for one query token sums in another order than for
  several, and the logits then differ), unless a full prefill decodes it alone too (`exact_start`),
  and if cell i of a stream holds position i, as after a full prefill (llama.cpp refills freed
  cells from the first one).
- Forced tokens (`slmbench.models.llamacpp_forced`): a step whose token the grammar forces needs
  no logits, when one sequence is left.
"""

from __future__ import annotations

import ctypes
import time
from typing import Any

import numpy as np

from slmbench.constrain.closing import CLOSING_TOKENS
from slmbench.errors import SlmbenchError
from slmbench.models.base import Generation, GenerationRequest
from slmbench.models.llamacpp_forced import FORCED_BATCHED, FORCED_OFF, forced_steps
from slmbench.models.stopping import SequenceTracker, constraint_status

PREFILL_CHUNK = 512
"""Prompt tokens per `llama_decode` (llama-cpp-python's default `n_batch`: the chunks its own
`Llama.eval` uses, hence the same prompt logits as the single-sequence path)."""
CTX_ROUND = 256
"""Per-sequence KV sizes are rounded up to this (llama.cpp pads them too)."""


class BatchContext:
    """A llama.cpp context for up to `n_seq` sequences of up to `n_ctx_seq` tokens each, one KV
    stream per sequence. Free it (`close`) before the model it was made from."""

    def __init__(self, llama_cpp: Any, model: Any, n_seq: int, n_ctx_seq: int, threads: int):
        self._lib = llama_cpp
        self.n_seq, self.n_ctx_seq = n_seq, n_ctx_seq
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = n_seq * n_ctx_seq
        params.n_batch = params.n_ubatch = max(PREFILL_CHUNK, n_seq)
        params.n_seq_max = n_seq
        params.kv_unified = False
        # As llama-cpp-python's `Llama` (the single-sequence path) sets it.
        params.flash_attn_type = llama_cpp.LLAMA_FLASH_ATTN_TYPE_DISABLED
        params.n_threads = params.n_threads_batch = threads
        params.no_perf = True
        self.ctx = llama_cpp.llama_init_from_model(model, params)
        if not self.ctx:
            raise SlmbenchError(
                f"llama.cpp could not create a context of {n_seq} x {n_ctx_seq} tokens "
                "(out of memory? lower --batch-size)"
            )
        self.memory = llama_cpp.llama_get_memory(self.ctx)
        self.batch = llama_cpp.llama_batch_init(params.n_batch, 0, 1)
        self.n_vocab = llama_cpp.llama_vocab_n_tokens(llama_cpp.llama_model_get_vocab(model))
        self.kept: list[int] = []
        """The tokens sequence 0 holds at positions 0.. between calls (`keep`), else []."""
        self.reused_tokens = 0
        """Prompt tokens not decoded again thanks to prefix reuse (carried to a grown context)."""

    def fits(self, n_seq: int, n_ctx_seq: int) -> bool:
        return n_seq <= self.n_seq and n_ctx_seq <= self.n_ctx_seq

    def close(self) -> None:
        if self.ctx:
            self._lib.llama_batch_free(self.batch)
            self._lib.llama_free(self.ctx)
            self.ctx = None

    def clear(self) -> None:
        self._lib.llama_memory_clear(self.memory, True)
        self.kept = []

    def prefill_all(self, prompts: list[list[int]], out: np.ndarray, reuse: bool) -> None:
        """Prefill sequence i with prompt i, its last token's logits into `out[i]`. With `reuse`,
        prompt 0 starts after what it shares with the tokens sequence 0 kept, and each other
        prompt after what it shares with prompt 0 (from a copy of sequence 0)."""
        start = 0
        if reuse and self.kept:
            start = exact_start(common_length(self.kept, prompts[0]), len(prompts[0]))
            self._lib.llama_memory_seq_rm(self.memory, 0, start, -1)
            for seq in range(1, self.n_seq):
                self.drop(seq)
        else:
            self.clear()
        self.kept = []
        self.prefill(0, prompts[0], out[0], start)
        for row in range(1, len(prompts)):
            start = 0
            if reuse:
                start = exact_start(common_length(prompts[0], prompts[row]), len(prompts[row]))
            if start > 0:
                self.share(0, row, start)
            self.prefill(row, prompts[row], out[row], start)

    def prefill(self, seq: int, ids: list[int], out: np.ndarray, start: int = 0) -> None:
        """Decode a prompt into sequence `seq` from position `start` (what is before it is in
        the cache), in the chunks a full prefill uses (they end at multiples of
        PREFILL_CHUNK); its last token's logits go to `out`."""
        self.reused_tokens += start
        begin = start
        while begin < len(ids):
            end = min((begin // PREFILL_CHUNK + 1) * PREFILL_CHUNK, len(ids))
            self._fill([(seq, ids[pos], pos) for pos in range(begin, end)], outputs="last")
            self._decode()
            begin = end
        out[:] = self._logits(-1)

    def step(self, entries: list[tuple[int, int, int]], out: list[np.ndarray]) -> None:
        """Decode one token per sequence, `entries` = (seq, token, position) with seq ids
        0..n-1 in order; `out[i]` gets entry i's logits."""
        self._fill(entries, outputs="all")
        self._decode()
        for i, target in enumerate(out):
            target[:] = self._logits(i)

    def extend(
        self, seq: int, tokens: list[int], first: int, out: np.ndarray, one_call: bool
    ) -> None:
        """Decode `tokens` into sequence `seq` at positions `first`..; the last one's logits go
        to `out`. One decode per token, the others without logits (the same sums as steps), or
        all in `one_call` (see `slmbench.models.llamacpp_forced`)."""
        entries = [(seq, token, first + i) for i, token in enumerate(tokens)]
        if one_call:
            self._fill(entries, outputs="last")
            self._decode()
        else:
            for i, entry in enumerate(entries):
                self._fill([entry], outputs="last" if i == len(entries) - 1 else "none")
                self._decode()
        out[:] = self._logits(-1)

    def keep(self, seq: int, prompt: list[int]) -> None:
        """Keep only `prompt`'s cells in sequence `seq` (0), for the next call to reuse."""
        self._lib.llama_memory_seq_rm(self.memory, seq, len(prompt), -1)
        self.kept = list(prompt)

    def share(self, src: int, dst: int, length: int) -> None:
        """Give sequence `dst` the first `length` positions of sequence `src` (a copy of its
        stream, applied by llama.cpp at the next decode, then trimmed)."""
        lib = self._lib
        lib.llama_memory_seq_rm(self.memory, dst, -1, -1)
        lib.llama_memory_seq_cp(self.memory, src, dst, -1, -1)
        lib.llama_memory_seq_rm(self.memory, dst, length, -1)

    def move(self, src: int, dst: int) -> None:
        """Make sequence `src` sequence `dst` (whose cells are dropped first)."""
        lib = self._lib
        lib.llama_memory_seq_rm(self.memory, dst, -1, -1)
        lib.llama_memory_seq_cp(self.memory, src, dst, -1, -1)
        lib.llama_memory_seq_rm(self.memory, src, -1, -1)

    def drop(self, seq: int) -> None:
        self._lib.llama_memory_seq_rm(self.memory, seq, -1, -1)

    def _fill(self, entries: list[tuple[int, int, int]], outputs: str) -> None:
        """Put (seq, token, position) entries in the batch, with logits for "all", the "last"
        or "none" of them."""
        batch = self.batch
        batch.n_tokens = len(entries)
        for i, (seq, token, pos) in enumerate(entries):
            batch.token[i] = token
            batch.pos[i] = pos
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = seq
            batch.logits[i] = outputs == "all" or (outputs == "last" and i == len(entries) - 1)

    def _decode(self) -> None:
        status = self._lib.llama_decode(self.ctx, self.batch)
        if status != 0:
            raise SlmbenchError(
                f"llama_decode failed (status {status}) on a batch of {self.batch.n_tokens} tokens"
            )

    def _logits(self, i: int) -> np.ndarray:
        pointer = self._lib.llama_get_logits_ith(self.ctx, i)
        return np.ctypeslib.as_array(
            ctypes.cast(pointer, ctypes.POINTER(ctypes.c_float)), shape=(self.n_vocab,)
        )


class BatchedGenerator:
    """The llamacpp backend's `generate` for one batch: its tokens, stop rules, constraints and
    timings, on a `BatchContext` kept between calls (grown when a batch needs more). Holds no
    reference to the backend (which holds it)."""

    closing_tokens = CLOSING_TOKENS

    def __init__(self, llm: Any):
        self._contexts = _ContextHolder()
        self._pieces: dict[int, bytes] = {}
        self._eog: set[int] | None = None
        # Freed before the model: the model's own exit stack runs this first (LIFO).
        llm._stack.callback(self._contexts.close)

    def generate(self, backend: Any, requests: list[GenerationRequest]) -> list[Generation]:
        if not requests:
            return []
        caps = [r.max_new_tokens for r in requests]
        if min(caps) < 1:
            raise SlmbenchError(f"max_new_tokens must be at least 1, got {min(caps)}")
        start = time.perf_counter()
        prompts = [backend.prompt_ids(r.prompt) for r in requests]
        rooms = [backend.n_ctx - len(ids) for ids in prompts]
        processor = self._processor(backend, requests)
        statuses = processor.status if processor is not None else ["off"] * len(requests)
        closing = [status == "on" for status in statuses]
        # A constrained row still open at `close_at` gets closing tokens on top of it; all
        # stay within the context (hitting either cap counts as hit_limit).
        close_at = [
            min(cap, max(room - self.closing_tokens, 0)) if closes else min(cap, room)
            for cap, room, closes in zip(caps, rooms, closing, strict=True)
        ]
        limits = [
            min(at + self.closing_tokens, room) if closes else at
            for at, room, closes in zip(close_at, rooms, closing, strict=True)
        ]
        if processor is not None:
            processor.close_at = close_at
        eog = self._eog_tokens(backend)
        tracker = SequenceTracker(
            prompt_length=1,
            caps=limits,
            stop_at_json=[r.stop_at_json for r in requests],
            eos_token_ids=eog,
            piece=lambda token: self._piece(backend, token).decode("utf-8", errors="replace"),
            start_time=start,
            on_stop=processor.release if processor is not None else None,
        )
        need = max(len(ids) + limit for ids, limit in zip(prompts, limits, strict=True))
        context = self._context(backend, len(requests), need)
        tokens = decode_greedy(
            context,
            prompts,
            limits,
            tracker,
            processor,
            min(eog),
            reuse_prefix=getattr(backend, "reuse_prefix", False),
            forced=getattr(backend, "forced_tokens", FORCED_OFF),
        )
        results = []
        for row, request in enumerate(requests):
            text = b"".join(self._piece(backend, t) for t in tokens[row] if t not in eog)
            results.append(
                tracker.generation(
                    row,
                    text.decode("utf-8", errors="replace"),
                    len(prompts[row]),
                    constraint_status(processor, request.schema, row),
                    close_at[row],
                )
            )
        return results

    @staticmethod
    def _processor(backend: Any, requests: list[GenerationRequest]) -> Any:
        if backend.constrained is None or all(r.schema is None for r in requests):
            return None
        from slmbench.constrain.processor import SchemaLogitsProcessor

        return SchemaLogitsProcessor(
            backend.tokenizer,
            schemas=[r.schema for r in requests],
            lenient=backend.constrained == "lenient",
            max_items=backend.max_items,
            close_at=[r.max_new_tokens for r in requests],
            closing_tokens=BatchedGenerator.closing_tokens,
        )

    def _context(self, backend: Any, n_seq: int, need: int) -> BatchContext:
        n_ctx_seq = -(-need // CTX_ROUND) * CTX_ROUND
        held = self._contexts.context
        if held is not None and held.fits(n_seq, n_ctx_seq):
            return held
        reused = 0
        if held is not None:  # grown to cover both the old and the new need
            n_seq, n_ctx_seq = max(n_seq, held.n_seq), max(n_ctx_seq, held.n_ctx_seq)
            reused = held.reused_tokens
            self._contexts.close()
        lib, model = backend._llama_cpp, backend.llm.model
        self._contexts.context = BatchContext(lib, model, n_seq, n_ctx_seq, backend.threads)
        self._contexts.context.reused_tokens = reused
        return self._contexts.context

    def _eog_tokens(self, backend: Any) -> set[int]:
        """llama.cpp's end-of-generation tokens, and the HF tokenizer's EOS (which a finished
        grammar forces)."""
        if self._eog is None:
            lib, vocab = backend._llama_cpp, backend._vocab
            n_vocab = lib.llama_vocab_n_tokens(vocab)
            eog = {t for t in range(n_vocab) if lib.llama_vocab_is_eog(vocab, t)}
            if backend.tokenizer.eos_token_id is not None:
                eog.add(backend.tokenizer.eos_token_id)
            self._eog = eog
        return self._eog

    def _piece(self, backend: Any, token: int) -> bytes:
        piece = self._pieces.get(token)
        if piece is None:
            piece = self._pieces[token] = backend.llm.detokenize([token])
        return piece


class _ContextHolder:
    context: BatchContext | None = None

    def close(self) -> None:
        if self.context is not None:
            self.context.close()
            self.context = None


def common_length(a: list[int], b: list[int]) -> int:
    """How many tokens `a` and `b` share from the start.

    >>> common_length([1, 2, 3], [1, 2, 4, 5]), common_length([], [1]), common_length([1], [1])
    (2, 0, 1)
    """
    n = min(len(a), len(b))
    mismatch = np.flatnonzero(np.asarray(a[:n]) != np.asarray(b[:n]))
    return int(mismatch[0]) if len(mismatch) else n


def exact_start(common: int, length: int) -> int:
    """Where the prefill of a prompt of `length` tokens starts when its first `common` are in
    the cache: at its last token at the latest (its logits are needed), and one earlier where
    its first chunk would otherwise hold one token that a full prefill decodes beside others.

    >>> exact_start(51, 71), exact_start(71, 71), exact_start(70, 71), exact_start(0, 71)
    (51, 69, 69, 0)
    >>> exact_start(511, 600), exact_start(512, 513), exact_start(600, 513)
    (510, 512, 512)
    """
    start = min(common, length - 1)
    end = min((start // PREFILL_CHUNK + 1) * PREFILL_CHUNK, length)
    if end - start == 1 and start % PREFILL_CHUNK != 0:
        start -= 1
    return max(start, 0)


def decode_greedy(
    context: BatchContext,
    prompts: list[list[int]],
    limits: list[int],
    tracker: Any,
    processor: Any | None,
    pad_token: int,
    reuse_prefix: bool = False,
    forced: str = FORCED_OFF,
) -> list[list[int]]:
    """Greedy tokens of each prompt (sequence i = prompt i, all decoded together), stopped by
    `tracker` (a `SequenceTracker` built with `prompt_length=1`), constrained by `processor`
    (a `SchemaLogitsProcessor`, or None). `limits[i]` is the most tokens row i may generate;
    the tracker must stop it there. `reuse_prefix`: start from the prompt cells the previous
    call kept, and keep the last row's; `forced`: how to decode tokens the grammar forces once
    one row is left (`slmbench.models.llamacpp_forced`). Returns every row's generated tokens
    up to where the tracker stopped it (its stop token included)."""
    import torch

    n = len(prompts)
    logits = np.empty((n, context.n_vocab), dtype=np.float32)
    context.prefill_all(prompts, logits, reuse_prefix)
    ids = np.full((n, 1 + max(limits)), pad_token, dtype=np.int64)
    scores = torch.from_numpy(logits)
    slots = list(range(n))  # slots[k]: the row decoded as sequence k
    keep = prompts if reuse_prefix else None
    step = 0
    while slots:
        if processor is not None:
            processor(torch.from_numpy(ids[:, : 1 + step]), scores)
        for row in slots:
            ids[row, 1 + step] = int(np.argmax(logits[row]))
        step += 1
        done = tracker(torch.from_numpy(ids[:, : 1 + step]), scores).tolist()
        # The highest slots first: a stopped row in the last slot needs no move.
        for k in sorted((k for k, row in enumerate(slots) if done[row]), reverse=True):
            _release(context, slots, k, keep)
        if not slots:
            break
        _check_limit(step, ids)
        newest = step  # the column of the first token the KV lacks
        if forced != FORCED_OFF and processor is not None and len(slots) == 1:
            row = slots[0]
            step, stopped = forced_steps(processor, tracker, ids, logits, row, step)
            if stopped:
                _release(context, slots, 0, keep)
                break
            _check_limit(step, ids)
            if step > newest:
                tokens = ids[row, newest : step + 1].tolist()
                first = len(prompts[row]) + newest - 1
                context.extend(0, tokens, first, logits[row], forced == FORCED_BATCHED)
                continue
        entries = [
            (k, int(ids[row, step]), len(prompts[row]) + step - 1) for k, row in enumerate(slots)
        ]
        context.step(entries, [logits[row] for row in slots])
    return [ids[row, 1 : 1 + _count(tracker, row, step)].tolist() for row in range(n)]


def _check_limit(step: int, ids: np.ndarray) -> None:
    if step >= ids.shape[1] - 1:
        raise RuntimeError("the stopping criterion let a row run past its limit")


def _release(context: BatchContext, slots: list[int], k: int, keep: list[list[int]] | None) -> None:
    """Drop sequence `k` (a stopped row); the last live sequence takes its id. The last row of
    all keeps its prompt's cells when `keep` (the prompts) is given."""
    last = len(slots) - 1
    if k == last == 0 and keep is not None:
        context.keep(0, keep[slots[0]])
    elif k == last:
        context.drop(last)
    else:
        context.move(last, k)
        slots[k] = slots[last]
    slots.pop()


def _count(tracker: Any, row: int, steps: int) -> int:
    stopped = tracker.stopped_after[row]
    return stopped if stopped is not None else steps
