"""Closing mode for the openai backend: a constrained answer that a server cut at its token
budget (`finish_reason: "length"`), or whose JSON is otherwise left open, is closed on the
client (`slmbench.constrain.text_closing`) so that it validates, as the transformers backend
closes such rows while decoding.

A closed row keeps what the server wrote (up to where it first broke the schema's grammar, if
it did), then what closing appended; its `meta` says `stop: "closed"` and holds `closing`
(`ClosedText.record`). `generated_tokens` stays the server's count.

The tokens closing appends are those of `--tokenizer`, else of the model the server's model
name is known to be (a registered name, a local model folder or a hub id in the local HF
cache: nothing is downloaded), else bytes: without the model's tokenizer closing still makes
every cut row valid, but appends bytes (`CLOSING_BYTES` at most) instead of model tokens.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from slmbench.errors import SlmbenchError
from slmbench.jsontext import json_value_end
from slmbench.models.base import Generation, GenerationRequest
from slmbench.models.stopping import STOP_CLOSED

BYTES = "bytes"


class ServerClosing:
    """Closes the cut constrained answers of one openai backend."""

    def __init__(
        self, model: str, tokenizer: Any = None, tokenizer_source: str | None = None
    ) -> None:
        """tokenizer: the backend's `--tokenizer` (None: the model's if known, else bytes)."""
        self._model = model
        self._tokenizer = tokenizer
        self._source = (tokenizer_source or "--tokenizer") if tokenizer is not None else None
        self._closer: Any = None
        self._lock = threading.Lock()  # tokenizers and the closer's caches: one row at a time

    def close_if_cut(self, generation: Generation, request: GenerationRequest) -> None:
        """Close `generation` in place if its text starts a JSON object or array but holds
        no complete one (a text that is not JSON at all is left to fail: closing would make
        an answer up)."""
        text = generation.text
        if request.schema is None or not text.lstrip().startswith(("{", "[")):
            return
        if json_value_end(text) is not None:
            return
        with self._lock:
            closed = self._text_closer().close(text, request.schema)
        if closed is None:
            return  # no grammar to close it under, or no part of the text follows it
        generation.meta["closing"] = closed.record(text)
        if closed.complete:
            generation.text = closed.text
            generation.meta["stop"] = STOP_CLOSED

    def info(self) -> dict[str, Any]:
        """What closing uses: the tokenizer (its folder, `--tokenizer` or `bytes`) and budget."""
        from slmbench.constrain.text_closing import CLOSING_BYTES, CLOSING_TOKENS

        with self._lock:
            self._text_closer()
        bytes_only = self._source == BYTES
        return {
            "closing": "client",
            "closing_tokenizer": self._source,
            "closing_tokens": CLOSING_BYTES if bytes_only else CLOSING_TOKENS,
            "closing_unit": BYTES if bytes_only else "tokens",
        }

    def _text_closer(self) -> Any:
        if self._closer is None:
            from slmbench.constrain.text_closing import TextCloser

            tokenizer = self._tokenizer
            if tokenizer is None:
                tokenizer, folder = known_tokenizer(self._model)
                self._source = str(folder) if tokenizer is not None else BYTES
            self._closer = TextCloser(tokenizer)
        return self._closer


def known_tokenizer(model: str) -> tuple[Any, Path | None]:
    """(tokenizer, folder) of the tokenizer that `model` (a server's model name) ships with: a
    registered name available offline, a local model folder, or a hub id cached locally;
    (None, None) when none is known here (nothing is downloaded)."""
    from slmbench.models.registry import (
        HUB_ID,
        MODELS,
        hub_cached_snapshot,
        model_available_offline,
        resolve_model,
    )

    spec = MODELS.get(model.lower())
    try:
        if spec is not None:
            folder = resolve_model(model) if model_available_offline(spec) else None
        elif Path(model).expanduser().is_dir():
            folder = resolve_model(model)
        elif HUB_ID.match(model):
            folder = hub_cached_snapshot(model)
        else:
            folder = None
        if folder is None:
            return None, None
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(folder), folder
    except (SlmbenchError, OSError, ValueError):
        return None, None
