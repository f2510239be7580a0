"""The row format shared by every stage, and readers/writers for JSONL datasets.

A row is a superset of the original EdgeJSON v3 row. The v3 quirks are handled here, once:
92 of its rows carry `schema_name` instead of `schema_id` and lack `complexity`, which is then
taken from the folder of the schema file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from slmbench.data.schemas import SchemaInfo, get_schema
from slmbench.errors import DataError

REQUIRED_FIELDS = ("id", "prompt")


@dataclass
class Row:
    """One (text, gold JSON) example."""

    id: str
    """Unique id within the file."""
    schema_id: str
    """Which schema the gold follows (v3 files may call it `schema_name`)."""
    complexity: str
    """Tier of the schema: simple, medium or complex."""
    prompt: str
    """The text to extract from (v3 name kept for compatibility)."""
    expected_output: Any = None
    """The gold JSON object; None only when reading unlabelled data."""
    style: str | None = None
    """How the text was rendered (kv, prose, message...); None for v3 rows."""
    extra: dict = field(default_factory=dict)
    """Any other fields of the input row, kept so that writing it back loses nothing."""

    def to_dict(self) -> dict:
        d = asdict(self)
        extra = d.pop("extra")
        if d["style"] is None:
            d.pop("style")
        return {**d, **extra}


def parse_row(
    obj: Any, path: str, line: int, schemas: dict[str, SchemaInfo] | None, require_gold: bool
) -> Row:
    if not isinstance(obj, dict):
        raise DataError(f"expected a JSON object, got {type(obj).__name__}", path, line)
    for key in REQUIRED_FIELDS:
        if key not in obj:
            raise DataError(f"missing field {key!r}", path, line)
    schema_id = obj.get("schema_id") or obj.get("schema_name")
    if not schema_id:
        raise DataError("missing field 'schema_id' (or v3 'schema_name')", path, line)
    complexity = obj.get("complexity")
    if schemas is not None:
        info = get_schema(schemas, schema_id, where=f"{path}:{line}")
        complexity = complexity or info.tier
    if not complexity:
        raise DataError("missing 'complexity' and no --schemas to derive it from", path, line)
    if require_gold and obj.get("expected_output") is None:
        raise DataError(f"row {obj['id']!r} has no gold 'expected_output'", path, line)
    known = {"id", "schema_id", "schema_name", "complexity", "prompt", "expected_output", "style"}
    extra = {k: v for k, v in obj.items() if k not in known}
    if "schema_name" in obj:  # v3 rows carry it alone or beside schema_id: keep it either way
        extra["schema_name"] = obj["schema_name"]
    return Row(
        id=str(obj["id"]),
        schema_id=schema_id,
        complexity=complexity,
        prompt=obj["prompt"],
        expected_output=obj.get("expected_output"),
        style=obj.get("style"),
        extra=extra,
    )


def iter_jsonl(path: str | Path, what: str = "dataset file") -> Iterator[tuple[int, Any]]:
    """(line number, parsed value) of every non-blank line of a JSONL file; a missing file or a
    line that is not JSON is a `DataError` naming the file and line."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{what} not found", str(path))
    with path.open(encoding="utf-8") as f:
        for lineno, text in enumerate(f, start=1):
            if not text.strip():
                continue
            try:
                yield lineno, json.loads(text)
            except json.JSONDecodeError as e:
                raise DataError(
                    f"malformed JSON: {e.msg} (column {e.colno})", str(path), lineno
                ) from None


def iter_rows(
    path: str | Path,
    schemas: dict[str, SchemaInfo] | None = None,
    require_gold: bool = True,
) -> Iterator[tuple[int, Row]]:
    """Yield `(line number, row)` of a JSONL dataset; errors name the file and line.

    For tools that report per line (the validator); most callers want `read_rows`.
    """
    seen: set[str] = set()
    for lineno, obj in iter_jsonl(path):
        row = parse_row(obj, str(path), lineno, schemas, require_gold)
        if row.id in seen:
            raise DataError(f"duplicate id {row.id!r}", str(path), lineno)
        seen.add(row.id)
        yield lineno, row
    if not seen:
        raise DataError("dataset is empty", str(path))


def read_rows(
    path: str | Path,
    schemas: dict[str, SchemaInfo] | None = None,
    require_gold: bool = True,
) -> list[Row]:
    """Read a JSONL dataset (ours or original v3). Errors name the file and line."""
    return [row for _, row in iter_rows(path, schemas, require_gold)]


def write_rows(rows: list[Row], path: str | Path) -> None:
    """Write rows as JSONL, one compact line each, deterministic byte for byte."""
    with Path(path).open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row.to_dict(), ensure_ascii=False) + "\n")


def write_splits(splits: dict[str, list[Row]], out: Path) -> dict[str, dict]:
    """Write each split to `out/<split>.jsonl`; the manifest's `files` entry of each
    (`{"rows", "sha256"}`, keyed by file name)."""
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    for split, rows in splits.items():
        path = out / f"{split}.jsonl"
        write_rows(rows, path)
        files[path.name] = {"rows": len(rows), "sha256": file_sha256(path)}
    return files


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file's bytes (dataset provenance in manifests and results)."""
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
