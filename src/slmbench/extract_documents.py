"""Documents in and rows out for `slmbench extract` (`slmbench.extract`): input lines as
documents (a JSONL row or a plain-text line), batches, and the resumable `.partial` output."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from slmbench.errors import SlmbenchError

PARTIAL_SUFFIX = ".partial"


@dataclass(frozen=True)
class Document:
    """One input document, or the error that keeps an input line from being one."""

    id: Any
    text: str | None = None
    schema_id: str | None = None
    error: str | None = None


def parse_line(raw: bytes, number: int) -> Document | None:
    """The document of input line `number` (1-based); None for a blank line.

    >>> parse_line(b'{"id": "a", "text": "Ada, 36"}', 1)
    Document(id='a', text='Ada, 36', schema_id=None, error=None)
    >>> parse_line(b'{"id": "b", "prompt": "Bo, 41"}', 1).text  # a dataset row
    'Bo, 41'
    >>> parse_line(b"Ada, 36 years old", 2)
    Document(id=2, text='Ada, 36 years old', schema_id=None, error=None)
    >>> parse_line(b'{"text": "Ada"', 3).error
    "line 3: starts as a JSON object but is not valid JSON (Expecting ',' delimiter, column 15)"
    """
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return Document(number, error=f"line {number}: not UTF-8 text (byte {e.start})")
    line = line.removeprefix("\ufeff").rstrip("\r\n")
    stripped = line.strip()
    if not stripped:
        return None
    if not stripped.startswith("{"):
        return Document(number, text=line)
    try:
        row = json.loads(stripped)
    except json.JSONDecodeError as e:
        where = f"{e.msg}, column {e.colno}"
        return Document(
            number, error=f"line {number}: starts as a JSON object but is not valid JSON ({where})"
        )
    return _row_document(row, number)


def _row_document(row: dict, number: int) -> Document:
    row_id = row.get("id", number)
    # `prompt`: a dataset row (the format `slmbench eval` reads) is a document too.
    key = "text" if "text" in row or "prompt" not in row else "prompt"
    text, schema_id = row.get(key), row.get("schema_id")
    if not isinstance(text, str) or not text.strip():
        problem = (
            "has no `text`" if key not in row else f"has a `{key}` that is not a non-empty string"
        )
        return Document(row_id, error=f"line {number}: the JSON row {problem}")
    if schema_id is not None and not isinstance(schema_id, str):
        return Document(row_id, error=f"line {number}: `schema_id` must be a string")
    return Document(row_id, text, schema_id)


def read_documents(lines: Iterable[bytes]) -> Iterator[Document]:
    for number, raw in enumerate(lines, start=1):
        document = parse_line(raw, number)
        if document is not None:
            yield document


def batches(documents: Iterable[Document], size: int) -> Iterator[list[Document]]:
    """Consecutive documents holding up to `size` to generate (bad rows ride along)."""
    if size < 1:
        raise SlmbenchError(f"batch size must be at least 1, got {size}")
    batch: list[Document] = []
    to_generate = 0
    for document in documents:
        batch.append(document)
        to_generate += document.error is None
        if to_generate == size:
            yield batch
            batch, to_generate = [], 0
    if batch:
        yield batch


def partial_path(output: Path) -> Path:
    return output.with_name(output.name + PARTIAL_SUFFIX)


def resume_ids(partial: Path) -> list[Any]:
    """The ids of the complete rows an interrupted run left in `partial` (a torn last line is
    cut off the file)."""
    if not partial.is_file():
        return []
    data = partial.read_bytes()
    keep = data[: data.rfind(b"\n") + 1]
    ids = []
    for line in keep.splitlines():
        try:
            ids.append(json.loads(line)["id"])
        except (json.JSONDecodeError, KeyError, TypeError):
            raise SlmbenchError(f"{partial}: not rows of `slmbench extract`; delete it") from None
    if len(keep) != len(data):
        partial.write_bytes(keep)
    return ids


def skip_done(documents: Iterator[Document], done: list[Any], partial: Path) -> Iterator[Document]:
    for position, expected in enumerate(done):
        document = next(documents, None)
        if document is None or document.id != expected:
            found = "the end of the input" if document is None else f"id {document.id!r}"
            raise SlmbenchError(
                f"{partial}: row {position + 1} has id {expected!r} but the input has {found}: "
                "it was written for another input; delete it to start over"
            )
    yield from documents


def open_input(name: str) -> AbstractContextManager[BinaryIO]:
    if name == "-":
        return nullcontext(sys.stdin.buffer)
    return open(name, "rb")  # noqa: SIM115 - closed by the caller's `with`


def count_documents(name: str) -> int | None:
    if name == "-":
        return None
    with open(name, "rb") as f:
        return sum(1 for line in f if line.strip())
