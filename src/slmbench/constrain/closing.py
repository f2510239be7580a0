"""Closing mode: how a constrained row that reaches its token budget with its JSON still open
is brought to a complete, schema-valid end instead of being cut off.

The grammar bounds every string and array (see `slmbench.constrain.grammar`), but a looping model
can still spend its whole budget inside one of them (a phone number repeated 30 times). From
its budget on, such a row gets up to `CLOSING_TOKENS` more tokens in which, among the tokens
the grammar allows, it takes the first class that is allowed of:
1. inside a string: a token closing it (`"`, optionally followed by `]`/`}`); if the string's
   format or pattern forbids ending it yet, `@` then `.` (the separators an email, a domain
   or a version number still lacks), then anything allowed;
2. outside strings: tokens made only of `]` and `}` (close arrays and objects); then tokens
   starting with `,` (on to the next required property or item); then `"` (open the
   shortest string: a required key or value); then anything the grammar allows (a key's
   letters, a number's digits, `true`, `{`, ...);
and greedy decoding picks the model's best token of that class. Every step thus moves to
the nearest end the schema accepts; what is left to write is at most the required properties
not written yet, with short values. Rows that end within their budget never see this mode,
so their outputs are unchanged.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

CLOSING_TOKENS = 256
"""Tokens a row may add past its budget while closing (measured need on our test split: see
experiments/LOG.md, constrained decoding)."""

_CLOSE_STRING = re.compile(r'^"[\]}]*$')
_CLOSE_CONTAINERS = re.compile(r"^[\]}]+$")
_NEXT_ELEMENT = re.compile(r"^,")
_OPEN_STRING = re.compile(r'^"$')
_AT_SIGN = re.compile(r"^@$")
_DOT = re.compile(r"^\.$")


@dataclass(frozen=True)
class TokenClasses:
    """Bool masks over the vocabulary, one per closing class (see the module docstring)."""

    close_string: np.ndarray
    close_containers: np.ndarray
    next_element: np.ndarray
    open_string: np.ndarray
    at_sign: np.ndarray
    dot: np.ndarray

    @classmethod
    def from_pieces(cls, pieces: list[str]) -> TokenClasses:
        """
        >>> c = TokenClasses.from_pieces(['"', '"}', '}]', ', "', 'a', '"a'])
        >>> c.close_string.tolist(), c.close_containers.tolist()
        ([True, True, False, False, False, False], [False, False, True, False, False, False])
        >>> c.next_element.tolist(), c.open_string.tolist()
        ([False, False, False, True, False, False], [True, False, False, False, False, False])
        """

        def mask(pattern: re.Pattern) -> np.ndarray:
            return np.array([bool(pattern.match(p)) for p in pieces], dtype=bool)

        return cls(
            close_string=mask(_CLOSE_STRING),
            close_containers=mask(_CLOSE_CONTAINERS),
            next_element=mask(_NEXT_ELEMENT),
            open_string=mask(_OPEN_STRING),
            at_sign=mask(_AT_SIGN),
            dot=mask(_DOT),
        )

    def narrow(self, allowed: np.ndarray, in_string: bool) -> np.ndarray:
        """The allowed tokens of the first class that has any (all of `allowed` if none).

        >>> c = TokenClasses.from_pieces(['"', '}', ', "', '7', '.', '@'])
        >>> c.narrow(np.array([1, 1, 1, 1, 0, 0], dtype=bool), in_string=False).tolist()
        [False, True, False, False, False, False]
        >>> c.narrow(np.array([1, 0, 1, 1, 0, 0], dtype=bool), in_string=False).tolist()
        [False, False, True, False, False, False]
        >>> c.narrow(np.array([1, 1, 1, 1, 1, 1], dtype=bool), in_string=True).tolist()
        [True, False, False, False, False, False]
        >>> c.narrow(np.array([0, 0, 0, 1, 1, 1], dtype=bool), in_string=True).tolist()
        [False, False, False, False, False, True]
        >>> c.narrow(np.array([0, 0, 0, 1, 0, 0], dtype=bool), in_string=False).tolist()
        [False, False, False, True, False, False]
        """
        order = (
            (self.close_string, self.at_sign, self.dot)
            if in_string
            else (self.close_containers, self.next_element, self.open_string)
        )
        n = min(allowed.shape[0], order[0].shape[0])
        for tokens in order:
            chosen = np.zeros_like(allowed)
            chosen[:n] = allowed[:n] & tokens[:n]
            if chosen.any():
                return chosen
        return allowed


class StringTracker:
    """Says whether generated JSON text is inside a string, fed piece by piece.

    >>> t = StringTracker()
    >>> [t.feed(p) for p in ['{"a', '": "x\\\\', '"', 'y", ', '"b']]
    [True, True, True, False, True]
    """

    def __init__(self) -> None:
        self.in_string = False
        self._escaped = False

    def feed(self, piece: str) -> bool:
        for char in piece:
            if self._escaped:
                self._escaped = False
            elif self.in_string and char == "\\":
                self._escaped = True
            elif char == '"':
                self.in_string = not self.in_string
        return self.in_string


_lock = threading.Lock()
_classes: dict[int, tuple[Any, list[str], TokenClasses]] = {}


def token_pieces_and_classes(hf_tokenizer: Any, n_tokens: int) -> tuple[list[str], TokenClasses]:
    """Every token's text (special tokens as "") and its closing classes, once per tokenizer."""
    key = id(hf_tokenizer)
    with _lock:
        cached = _classes.get(key)
        if cached is not None and cached[0] is hf_tokenizer and len(cached[1]) >= n_tokens:
            return cached[1], cached[2]
    known = min(n_tokens, len(hf_tokenizer))
    pieces = hf_tokenizer.batch_decode([[i] for i in range(known)], skip_special_tokens=True)
    pieces += [""] * (n_tokens - known)
    classes = TokenClasses.from_pieces(pieces)
    with _lock:
        _classes[key] = (hf_tokenizer, pieces, classes)
    return pieces, classes
