"""Per-sequence stopping and timing for one batched transformers `generate` call.

`generate` calls its stopping criteria once per decoding step, right after the new tokens are
appended, and accepts a per-row bool tensor back: that callback is both where each row is
stopped (its own token cap, end of sequence, or a complete JSON value) and where the time of
every step is measured.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import torch
from transformers import StoppingCriteria

from slmbench.jsontext import json_value_end
from slmbench.models.base import Generation

STOP_EOS, STOP_JSON, STOP_LIMIT = "eos", "json", "limit"
STOP_CLOSED = "closed"
"""A constrained row that reached its cap with its JSON open and was closed after it
(`slmbench.constrain.closing`)."""


class JsonWatcher:
    """Follows the text of one sequence piece by piece and says when it first holds a complete
    JSON object or array (as `slmbench.jsontext.json_value_end` defines it). The full scan
    runs only when a piece could close a value.

    >>> w = JsonWatcher()
    >>> [w.feed(p) for p in ['Sure: {"a', '": [1', ', 2]', '}', ' more']]
    [False, False, False, True, True]
    """

    def __init__(self) -> None:
        self.text = ""
        self.open_at: int | None = None
        self.complete = False

    def feed(self, piece: str) -> bool:
        if self.complete:
            return True
        before = len(self.text)
        self.text += piece
        if self.open_at is None:
            opens = [i for i in (piece.find("{"), piece.find("[")) if i >= 0]
            if not opens:
                return False
            self.open_at = before + min(opens)
        if "}" in piece or "]" in piece:
            self.complete = json_value_end(self.text, self.open_at) is not None
        return self.complete


class SequenceTracker(StoppingCriteria):
    """Stops each row of a left-padded batch at its own cap, at end-of-sequence, or (when
    asked) once its generated text holds a complete JSON value; records when each step's
    tokens existed and when each row stopped.

    `piece(token_id)` must return the token's text (special tokens as ""); per-token decoding
    is enough here because JSON's structural characters are ASCII, never split across tokens.
    `on_stop(row)` is called when a row stops (e.g. to release its grammar: `generate` keeps
    appending padding to stopped rows).
    """

    def __init__(
        self,
        prompt_length: int,
        caps: Sequence[int],
        stop_at_json: Sequence[bool],
        eos_token_ids: set[int],
        piece: Callable[[int], str],
        start_time: float,
        on_stop: Callable[[int], None] | None = None,
    ) -> None:
        self.prompt_length = prompt_length
        self.caps = list(caps)
        self.watchers = [JsonWatcher() if flag else None for flag in stop_at_json]
        self.eos_token_ids = eos_token_ids
        self.piece = piece
        self.start_time = start_time
        self.on_stop = on_stop
        self.step_times: list[float] = []
        """perf_counter() when the tokens of step i (0-based) had been appended."""
        self.stopped_after: list[int | None] = [None] * len(self.caps)
        """Generated tokens of each row when it stopped, its stop token included."""
        self.reasons: list[str | None] = [None] * len(self.caps)

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.BoolTensor:
        self.step_times.append(time.perf_counter())
        step = input_ids.shape[1] - self.prompt_length
        new_tokens = input_ids[:, -1].tolist()
        for row, token in enumerate(new_tokens):
            if self.stopped_after[row] is None:
                reason = self._stop_reason(row, token, step)
                if reason is not None:
                    self.stopped_after[row], self.reasons[row] = step, reason
                    if self.on_stop is not None:
                        self.on_stop(row)
        done = [n is not None for n in self.stopped_after]
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)

    def _stop_reason(self, row: int, token: int, step: int) -> str | None:
        if token in self.eos_token_ids:
            return STOP_EOS
        watcher = self.watchers[row]
        if watcher is not None and watcher.feed(self.piece(token)):
            return STOP_JSON
        if step >= self.caps[row]:
            return STOP_LIMIT
        return None

    def row_result(self, row: int) -> tuple[int, float, float, str]:
        """(generated tokens, ttft_s, total_s, stop reason) of a row after `generate` returned.
        A row that `generate` ended without our verdict (e.g. the model's length limit) ran to
        the last step."""
        steps = len(self.step_times)
        if steps == 0:
            return 0, 0.0, 0.0, STOP_LIMIT
        count = self.stopped_after[row] or steps
        reason = self.reasons[row] or STOP_LIMIT
        ttft = self.step_times[0] - self.start_time
        total = self.step_times[count - 1] - self.start_time
        return count, ttft, total, reason

    def generation(
        self, row: int, text: str, prompt_tokens: int, constrained: str, close_at: int
    ) -> Generation:
        """A row's `Generation` after `generate` returned: its counts, times and stop reason
        (`row_result`), `closed` when it ended past `close_at` tokens but within its limit,
        i.e. within the closing tokens a constrained row gets on top of its cap (any other row's
        limit is its `close_at`). `constrained` is the row's `meta["constrained"]`."""
        count, ttft, total, reason = self.row_result(row)
        if count > close_at and reason != STOP_LIMIT:
            reason = STOP_CLOSED
        return Generation(
            text=text,
            prompt_tokens=prompt_tokens,
            generated_tokens=count,
            ttft_s=ttft,
            total_s=total,
            hit_limit=reason in (STOP_LIMIT, STOP_CLOSED),
            meta={"constrained": constrained, "stop": reason},
        )


def constraint_status(processor: Any, schema: dict | None, row: int) -> str:
    """A row's `meta["constrained"]`: "off" without a schema or a schema processor, else the
    processor's status of the row ("on", or "fallback" for a schema left unconstrained)."""
    if processor is None or schema is None:
        return "off"
    statuses = processor.status
    return statuses[row] if row < len(statuses) else "on"
