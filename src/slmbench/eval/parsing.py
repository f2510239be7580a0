"""Turning a model's raw output into a JSON value, and saying how it was found.

Two paths, tried in order:
- `strict`: the whole output (stripped) is one JSON value;
- `extracted`: the first complete JSON object inside the output (code fences, prose around
  it, a second answer after it...). Candidates are tried in order of their opening brace, so
  an object nested inside a broken outer one is still found.
Anything else is `failed`. Non-standard constants (`NaN`, `Infinity`) are not JSON and are
rejected. No input can make parsing raise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from slmbench.jsontext import first_json_span

PARSE_PATHS = ("strict", "extracted", "failed")


@dataclass(frozen=True)
class ParsedOutput:
    """The JSON value read from an output, if any."""

    path: str
    """`strict`, `extracted` or `failed`."""
    value: Any = None
    """The parsed value (None when `failed`; a JSON `null` output has path `strict`)."""

    @property
    def ok(self) -> bool:
        return self.path != "failed"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
_PARSE_ERRORS = (ValueError, RecursionError)  # JSONDecodeError is a ValueError


def _loads(text: str) -> Any:
    return _DECODER.decode(text)


def parse_output(text: str) -> ParsedOutput:
    """Parse a generated answer.

    >>> parse_output(' {"a": 1} ')
    ParsedOutput(path='strict', value={'a': 1})
    >>> parse_output('Sure! ```json\\n{"a": [1, 2]}\\n``` Hope it helps.')
    ParsedOutput(path='extracted', value={'a': [1, 2]})
    >>> parse_output('[see below] {"a": 1} and {"b": 2}')
    ParsedOutput(path='extracted', value={'a': 1})
    >>> parse_output('{"outer": {"inner": 1}, "cut": [1, 2')
    ParsedOutput(path='extracted', value={'inner': 1})
    >>> parse_output('{"a": NaN}').path
    'failed'
    >>> parse_output('no json here')
    ParsedOutput(path='failed', value=None)
    """
    if not isinstance(text, str):
        return ParsedOutput("failed")
    try:
        return ParsedOutput("strict", _loads(text.strip()))
    except _PARSE_ERRORS:
        pass
    value = _first_object(text)
    if value is None:
        return ParsedOutput("failed")
    return ParsedOutput("extracted", value)


def _first_object(text: str) -> dict | None:
    """The first complete JSON object in `text`, at any nesting depth.

    The shared `first_json_span` (the same notion of "complete" as the decoding stop
    criterion) is tried first; when that span does not parse, every later opening brace is
    tried with the C decoder, which keeps garbage outputs fast.

    >>> _first_object('x [1, {"a": {"b": 2}}]')
    {'a': {'b': 2}}
    >>> _first_object('{"a": 1,, } {} ') is None
    False
    >>> _first_object('{{{{') is None
    True
    """
    span = first_json_span(text)
    if span is not None:
        start, end = span
        try:
            value = _loads(text[start:end])
        except _PARSE_ERRORS:
            value = None
        if isinstance(value, dict):
            return value
    pos = text.find("{")
    while pos >= 0:
        try:
            value, _ = _DECODER.raw_decode(text, pos)
        except _PARSE_ERRORS:
            value = None
        if isinstance(value, dict):
            return value
        pos = text.find("{", pos + 1)
    return None
