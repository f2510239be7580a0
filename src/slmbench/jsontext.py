"""Finding JSON values inside generated text: shared by the decoding stop criterion and by
the output parser, so that "complete" means the same thing to both."""

from __future__ import annotations


def json_value_end(text: str, start: int = 0) -> int | None:
    """Index just past the first complete JSON object or array starting at or after `start`,
    or None if none is complete yet. Strings and escapes are respected; scalars are ignored.

    >>> json_value_end('Sure: {"a": "}", "b": [1, {"c": 2}]} trailing')
    36
    >>> json_value_end('{"a": [1, 2') is None
    True
    """
    begin = _first_open(text, start)
    if begin is None:
        return None
    depth, in_string, escaped = 0, False, False
    for i in range(begin, len(text)):
        ch = text[i]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
            if depth == 0:
                return i + 1
    return None


def first_json_span(text: str) -> tuple[int, int] | None:
    """(start, end) of the first complete JSON object/array in `text`.

    >>> first_json_span('x {"a": 1} y')
    (2, 10)
    """
    begin = _first_open(text, 0)
    if begin is None:
        return None
    end = json_value_end(text, begin)
    return (begin, end) if end is not None else None


def _first_open(text: str, start: int) -> int | None:
    positions = [p for p in (text.find("{", start), text.find("[", start)) if p >= 0]
    return min(positions) if positions else None
