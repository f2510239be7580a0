"""Closing mode for a finished text: a constrained answer that came back cut at its token
budget (an OpenAI-compatible server's `finish_reason: "length"`) is completed on the client,
without the model, so that it validates.

The text's tokens go through an llguidance matcher of the row's schema (any tokenization of
the text does: the grammar works on bytes), then tokens are appended one at a time, each from
the first class of closing mode's order that the grammar allows (`slmbench.constrain.closing`:
close the string, else `@`, `.`; outside strings close arrays and objects, else `,`, else `"`,
else anything). With no model to rank a class's tokens: a token that closes something, or
continues text the grammar forces (a key), carries as much as it can (most non-whitespace
characters, then the shorter); a free choice (a string's or number's characters) is the
shortest; ties go to the lower id; a token of whitespace alone only when nothing else is
allowed. That is closing mode's shortest way to an end the schema accepts, within
`CLOSING_TOKENS` tokens.

The grammar is the transformers backend's (the same bounds, relaxations and `format` patterns:
`slmbench.constrain.grammar`) except in two things a server's grammar may differ in: any JSON
whitespace is allowed, and the properties of an object come in the schema's order or, if that
accepts less of the text, required first (llama.cpp's order: llama-server, llama-cpp-python).
Where the text breaks even that grammar (a server whose grammar does not enforce a `format`,
e.g. `"a@b.co."` for an email), it is kept up to the break and closed from there:
`ClosedText.kept_chars` says how much.

Tokens are the model's when its HF tokenizer is given; without one they are bytes
(`byte_tokenizer`), within `CLOSING_BYTES`.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from slmbench.constrain.closing import CLOSING_TOKENS, StringTracker, token_pieces_and_classes
from slmbench.constrain.grammar import (
    GrammarError,
    bounded_schema,
    canonical_schema_json,
    llg_tokenizer,
)

PROPERTY_ORDERS = ("schema", "required-first")
"""How a closing grammar orders an object's properties, in the order they are tried."""
BYTE_EOS = "<|eos|>"
CLOSING_BYTES = 4 * CLOSING_TOKENS
"""Bytes closing may append without the model's tokenizer (about as much text as
`CLOSING_TOKENS` tokens: a long required tail of a nested schema is ~100 tokens, ~400 bytes)."""

_lock = threading.Lock()
_grammars: dict[tuple[int, str, str], Any] = {}


@dataclass(frozen=True)
class ClosedText:
    """A cut text, closed."""

    text: str
    """The whole closed text: `kept_chars` of the original, then `added`."""
    kept_chars: int
    """Characters of the original text kept (all of them unless its grammar broke)."""
    added: str
    """What closing appended."""
    tokens: int
    """Tokens appended (bytes without the model's tokenizer)."""
    unit: str
    """`tokens` (the model's tokenizer) or `bytes`."""
    property_order: str
    """The closing grammar's order of properties (`PROPERTY_ORDERS`)."""
    complete: bool
    """Whether the grammar accepts the result (False: the closing budget was not enough)."""

    def record(self, original: str) -> dict[str, Any]:
        """What a prediction records about its closing (the text itself apart)."""
        fields = asdict(self)
        del fields["text"]
        return {**fields, "dropped_chars": len(original) - self.kept_chars}


class TextCloser:
    """Closes cut JSON texts under their schemas (see the module docstring)."""

    def __init__(self, hf_tokenizer: Any = None, closing_tokens: int | None = None) -> None:
        """hf_tokenizer: the model's (fast) tokenizer, None: bytes. closing_tokens: most tokens
        appended (default `CLOSING_TOKENS`, `CLOSING_BYTES` for bytes)."""
        bytes_only = hf_tokenizer is None
        self.unit = "bytes" if bytes_only else "tokens"
        self.tokenizer = byte_tokenizer() if bytes_only else hf_tokenizer
        default = CLOSING_BYTES if bytes_only else CLOSING_TOKENS
        self.closing_tokens = default if closing_tokens is None else closing_tokens
        engine = llg_tokenizer(self.tokenizer)
        self._engine = engine
        self._eos = engine.eos_token
        self._tables: tuple[list[str], Any, np.ndarray, np.ndarray] | None = None

    def close(self, text: str, schema: dict) -> ClosedText | None:
        """`text` completed so that it validates against `schema`; None when the schema's
        grammar does not compile, or when none of the text follows it (closing would make the
        whole answer up)."""
        lead = len(text) - len(text.lstrip())
        body = text[lead:]
        ids = self._encode(body)
        best: tuple[int, str, Any] | None = None
        for order in PROPERTY_ORDERS:
            try:
                matcher = self._grammar(schema, order).deep_copy()
            except GrammarError:
                return None
            consumed = matcher.try_consume_tokens(ids)
            if consumed < len(ids):
                # Keep whole characters only: rebuild the matcher on the kept prefix.
                kept = self._kept_prefix(body, ids[:consumed])
                matcher = self._grammar(schema, order).deep_copy()
                if kept:
                    matcher.consume_tokens(self._encode(kept))
                consumed_chars = len(kept)
            else:
                consumed_chars = len(body)
            if best is None or consumed_chars > best[0]:
                best = (consumed_chars, order, matcher)
            if consumed_chars == len(body):
                break
        kept_chars, order, matcher = best
        if kept_chars == 0:
            return None
        kept_body = body[:kept_chars]
        added_ids = self._append(matcher, kept_body)
        added = self.tokenizer.decode(
            added_ids, skip_special_tokens=True, clean_up_tokenization_spaces=False
        )
        return ClosedText(
            text=text[: lead + kept_chars] + added,
            kept_chars=lead + kept_chars,
            added=added,
            tokens=len(added_ids),
            unit=self.unit,
            property_order=order,
            complete=matcher.is_accepting(),
        )

    def _append(self, matcher: Any, text: str) -> list[int]:
        """Closing mode's tokens after `text` until the grammar accepts (or the budget ends)."""
        pieces, classes, visible, length = self._token_tables()
        strings = StringTracker()
        strings.feed(text)
        n = len(pieces)
        added: list[int] = []
        while len(added) < self.closing_tokens and not matcher.is_accepting():
            bits = np.frombuffer(matcher.compute_bitmask(), dtype=np.uint8)
            allowed = np.unpackbits(bits, bitorder="little")[:n].astype(bool)
            allowed[self._eos] = False
            allowed &= length > 0  # special tokens have no text
            if not allowed.any():
                break
            chosen = classes.narrow(allowed, strings.in_string)
            if (chosen & visible.astype(bool)).any():
                chosen &= visible > 0  # whitespace alone is no progress
            candidates = np.flatnonzero(chosen)
            closers = (
                (classes.close_string,)
                if strings.in_string
                else (classes.close_containers, classes.next_element)
            )
            closing = any(not (chosen & ~mask).any() for mask in closers)
            if closing or matcher.compute_ff_bytes():
                # Closing, or text the grammar forces: as much of it per token as there is.
                key = visible[candidates] * (1 << 16) - length[candidates]
                token = int(candidates[np.argmax(key)])
            else:  # a free choice (a value's characters): the shortest
                token = int(candidates[np.argmin(length[candidates])])
            if not matcher.consume_token(token):
                break
            added.append(token)
            strings.feed(pieces[token])
        return added

    def _token_tables(self) -> tuple[list[str], Any, np.ndarray, np.ndarray]:
        """Every token's text, closing classes, non-whitespace characters and length."""
        if self._tables is None:
            pieces, classes = token_pieces_and_classes(self.tokenizer, self._engine.vocab_size)
            visible = np.array([sum(not c.isspace() for c in p) for p in pieces], dtype=np.int64)
            length = np.array([len(p) for p in pieces], dtype=np.int64)
            self._tables = (pieces, classes, visible, length)
        return self._tables

    def _encode(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def _kept_prefix(self, body: str, ids: list[int]) -> str:
        """The longest prefix of `body` made of whole characters that `ids` (a prefix of its
        tokens) spell out."""
        while ids:
            decoded = self.tokenizer.decode(ids, clean_up_tokenization_spaces=False)
            if body.startswith(decoded):
                return decoded
            ids = ids[:-1]
        return ""

    def _grammar(self, schema: dict, order: str) -> Any:
        """The closing grammar's matcher (never advanced: `deep_copy` it), once per
        (tokenizer, schema, order); raises `GrammarError` for a schema that does not compile."""
        from llguidance import LLMatcher

        key = (id(self.tokenizer), canonical_schema_json(schema), order)
        with _lock:
            cached = _grammars.get(key)
        if cached is None:
            grammar = closing_grammar(schema, required_first=order == "required-first")
            matcher = LLMatcher(self._engine, grammar, log_level=0)
            cached = GrammarError(schema, matcher.get_error()) if matcher.is_error() else matcher
            with _lock:
                _grammars[key] = cached
        if isinstance(cached, GrammarError):
            raise cached
        return cached


def closing_grammar(schema: dict, required_first: bool = False) -> str:
    """The llguidance grammar a cut text is closed under (see the module docstring).

    >>> g = closing_grammar({"type": "object", "properties": {"a": {}, "b": {}},
    ...                      "required": ["b"]}, required_first=True)
    >>> body = json.loads(g.split("%json ", 1)[1])
    >>> list(body["properties"]), body["x-guidance"]
    (['b', 'a'], {'whitespace_flexible': True})
    """
    from slmbench.constrain.schema_check import grammar_schema

    try:
        compiled, _ = grammar_schema(schema)
    except (TypeError, ValueError) as e:
        raise GrammarError(schema, f"not serialisable as JSON ({e})") from None
    bounded = bounded_schema(compiled)
    if required_first:
        bounded = _required_first(bounded)
    bounded["x-guidance"] = {"whitespace_flexible": True}
    return f"start: answer\nanswer: %json {json.dumps(bounded, ensure_ascii=False)}\n"


def _required_first(node: Any) -> Any:
    """Every object's properties reordered: required ones first, each group in schema order."""
    if isinstance(node, list):
        return [_required_first(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _required_first(v) if k not in ("enum", "const") else v for k, v in node.items()}
    properties = out.get("properties")
    if isinstance(properties, dict) and isinstance(node.get("required"), list):
        required = set(node["required"])
        first = {k: v for k, v in properties.items() if k in required}
        out["properties"] = {**first, **{k: v for k, v in properties.items() if k not in first}}
    return out


def byte_tokenizer() -> Any:
    """A transformers fast tokenizer whose tokens are the 256 bytes (GPT-2's byte-to-character
    map), plus an end-of-sequence token: closing without the model's tokenizer.

    >>> tok = byte_tokenizer()
    >>> ids = tok("é}", add_special_tokens=False)["input_ids"]
    >>> ids, tok.decode(ids)
    ([195, 169, 125], 'é}')
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    vocab = {char: byte for byte, char in bytes_to_unicode().items()}
    vocab[BYTE_EOS] = len(vocab)
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    backend.decoder = decoders.ByteLevel()
    return PreTrainedTokenizerFast(tokenizer_object=backend, eos_token=BYTE_EOS)
