"""Forced tokens in the llamacpp backend's greedy decoding.

Where a row's llguidance grammar allows exactly one next token (`int`, `ent`, `":`, ` "` after
`{"` in an intent answer; the rest of a label once no other label starts the same way), that
token is greedy's choice whatever the logits say: the masked logits keep one finite value. Such a
step needs no logits, so `decode_greedy` runs it without a decode (`forced_steps`) and decodes the
tokens its KV lacks afterwards, before the next step that needs logits:

- `exact` (the default): one decode per token, as a step decodes it, without logits for all but
  the last (no output layer: about a quarter of the weights per forced token). The KV cache and
  every logit are those of the plain path, bit for bit: the same tokens.
- `batched`: all of them in ONE decode (one pass over the weights for the lot). Faster, but not
  bit-identical: llama.cpp sums attention for several query tokens in another order than for
  one, and through 30 layers the logits after such a decode differed from step-by-step ones by
  up to 0.7 on the 135M models here (random token ids); 3 of 154 BANKING77 answers of the intent
  adapter changed (results/runs/bench/llamacpp-prefix-forced). For experiments, not results.
- `off`: every step decoded with logits (the path before this module).

`forced_after` finds the forced tokens from the llguidance matcher itself (its next-token mask
after each candidate, rolled back afterwards), not from `LLMatcher.compute_ff_tokens`: those are
llguidance's tokenization of the forced bytes, which need not be the only token a mask allows.
Each forced step still goes through the schema processor and the stopping rules, and an
allowed set that is not that one token is an error, never a silent guess.
"""

from __future__ import annotations

from typing import Any

import numpy as np

FORCED_EXACT, FORCED_BATCHED, FORCED_OFF = "exact", "batched", "off"
FORCED_TOKEN_MODES = (FORCED_EXACT, FORCED_BATCHED, FORCED_OFF)
"""How the llamacpp backend decodes tokens its grammar forces (see this module)."""


def only_allowed(bitmask: np.ndarray, n_vocab: int) -> int | None:
    """The one token an llguidance bitmask (32 tokens per word, bit i of word w = token 32w+i)
    allows, if it allows exactly one below `n_vocab`; else None.

    >>> only_allowed(np.array([0, 8, 0], dtype=np.uint32), 96), only_allowed(np.array([3]), 32)
    (35, None)
    >>> only_allowed(np.array([0, 0], dtype=np.uint32), 64), only_allowed(np.array([0, 1]), 32)
    (None, None)
    """
    words = np.flatnonzero(bitmask)
    if len(words) != 1:
        return None
    word = int(bitmask[words[0]])
    if word & (word - 1):
        return None
    token = 32 * int(words[0]) + word.bit_length() - 1
    return token if token < n_vocab else None


def forced_after(processor: Any, row: int, token: int, most: int, n_vocab: int) -> list[int]:
    """The tokens that `row`'s grammar forces one after the other once `token` is appended (at
    most `most`), ending with EOS where the grammar is complete (the processor then allows
    only EOS). The matcher is left as it was. [] for a row without a grammar."""
    matcher = processor.matchers[row]
    if matcher is None or most <= 0 or matcher.is_stopped():
        return []
    if matcher.try_consume_tokens([token]) != 1:
        return []  # the processor will report it when it feeds the token
    consumed, forced = 1, []
    try:
        while len(forced) < most:
            if matcher.is_stopped():
                forced.append(processor.eos_token_id)
                break
            bitmask = np.frombuffer(matcher.compute_bitmask(), dtype=np.uint32)
            next_token = only_allowed(bitmask, n_vocab)
            if next_token is None or matcher.try_consume_tokens([next_token]) != 1:
                break
            consumed += 1
            forced.append(next_token)
    finally:
        matcher.rollback(consumed)
    return forced


def forced_steps(
    processor: Any,
    tracker: Any,
    ids: np.ndarray,
    logits: np.ndarray,
    row: int,
    step: int,
) -> tuple[int, bool]:
    """Run, for the only live row, the steps after `step` (its newest token: `ids[row, step]`)
    whose tokens its grammar forces, each through the processor and the tracker as a decoded
    step goes, with placeholder logits. Returns (the step reached, whether the tracker stopped
    the row). `ids`/`logits` are `decode_greedy`'s arrays (one column per step after a dummy
    prompt column; one row of logits per row)."""
    import torch

    scores = torch.from_numpy(logits)
    most = ids.shape[1] - 1 - step
    for token in forced_after(processor, row, int(ids[row, step]), most, logits.shape[1]):
        logits[row] = 0.0  # any finite values: the mask leaves one of them
        processor(torch.from_numpy(ids[:, : 1 + step]), scores)
        chosen = int(np.argmax(logits[row]))
        if chosen != token or np.count_nonzero(np.isfinite(logits[row])) != 1:
            raise RuntimeError(
                f"the grammar forced token {token} but the schema processor allowed "
                f"{np.count_nonzero(np.isfinite(logits[row]))} token(s) (first: {chosen})"
            )
        ids[row, 1 + step] = chosen
        step += 1
        if tracker(torch.from_numpy(ids[:, : 1 + step]), scores)[row]:
            return step, True
    return step, False
