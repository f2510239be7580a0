"""Statistics of a dataset folder (`train.jsonl`, `test.jsonl`, `manifest.json`) for the report.

Lengths are in characters (text = the row's `prompt`, gold = the answer as the model is trained
to write it), so they need no tokenizer and the report stays model-free.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from slmbench.data.rows import Row, file_sha256, read_rows
from slmbench.data.schemas import TIERS, SchemaInfo, load_schemas
from slmbench.errors import DataError, SlmbenchError
from slmbench.prompts import format_answer
from slmbench.report.formatting import length_summary

SPLITS = ("train", "val", "test")


@dataclass
class SplitStats:
    name: str
    path: Path
    sha256: str
    n_rows: int
    by_tier: dict[str, int]
    by_schema: dict[str, int]
    schema_tier: dict[str, str]
    text_chars: tuple[float, float, int]
    gold_chars: tuple[float, float, int]

    @staticmethod
    def from_rows(name: str, path: Path, rows: list[Row]) -> SplitStats:
        return SplitStats(
            name=name,
            path=path,
            sha256=file_sha256(path),
            n_rows=len(rows),
            by_tier=dict(Counter(r.complexity for r in rows)),
            by_schema=dict(Counter(r.schema_id for r in rows)),
            schema_tier={r.schema_id: r.complexity for r in rows},
            text_chars=length_summary([len(r.prompt) for r in rows]),
            gold_chars=length_summary(
                [
                    len(format_answer(r.expected_output))
                    for r in rows
                    if r.expected_output is not None
                ]
            ),
        )


@dataclass
class DatasetStats:
    path: Path
    splits: list[SplitStats]
    manifest: dict = field(default_factory=dict)

    @property
    def tiers(self) -> list[str]:
        seen = {t for s in self.splits for t in s.by_tier}
        return [t for t in TIERS if t in seen] + sorted(seen - set(TIERS))

    @property
    def schema_tier(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for s in self.splits:
            out.update(s.schema_tier)
        return out

    def split_for_sha(self, sha256: str) -> SplitStats | None:
        """The split whose file an eval run scored (matched by sha256), if it is in here."""
        return next((s for s in self.splits if s.sha256 == sha256), None)


def _schemas_for(folder: Path) -> dict[str, SchemaInfo] | None:
    """Schemas to derive a missing tier from: the dataset's own folder, else the packaged set."""
    own = folder / "schemas"
    for candidate in ([own] if own.is_dir() else []) + [None]:
        try:
            return load_schemas(candidate)
        except SlmbenchError:
            continue
    return None


def dataset_stats(folder: str | Path) -> DatasetStats:
    """Read the splits of a dataset folder; raises `DataError` naming the file when unusable."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError("--data folder not found", str(folder))
    present = [
        (name, folder / f"{name}.jsonl") for name in SPLITS if (folder / f"{name}.jsonl").is_file()
    ]
    if not present:
        raise DataError("no train.jsonl, val.jsonl or test.jsonl in the --data folder", str(folder))
    schemas = None
    splits = []
    for name, path in present:
        try:
            rows = read_rows(path, schemas, require_gold=False)
        except DataError as e:
            if "complexity" not in str(e):
                raise
            # v3 rows that name no tier: derive it from the schemas, as the data stage does.
            schemas = schemas or _schemas_for(folder)
            if schemas is None:
                raise
            rows = read_rows(path, schemas, require_gold=False)
        splits.append(SplitStats.from_rows(name, path, rows))
    manifest: dict = {}
    manifest_path = folder / "manifest.json"
    if manifest_path.is_file():
        try:
            loaded = json.loads(manifest_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise DataError(f"unreadable JSON: {e.msg}", str(manifest_path), e.lineno) from None
        manifest = loaded if isinstance(loaded, dict) else {}
    return DatasetStats(folder, splits, manifest)


def manifest_facts(manifest: dict) -> list[tuple[str, str]]:
    """The manifest's top-level scalar entries (seed, version, generator...), as text pairs.

    >>> manifest_facts({"seed": 0, "counts": {"train": 1}, "generator": "slmbench 0.1"})
    [('seed', '0'), ('generator', 'slmbench 0.1')]
    """
    return [
        (k, str(v))
        for k, v in manifest.items()
        if isinstance(v, (str, int, float, bool)) and v is not None
    ]
