"""EdgeIntent's data: intent-labelled queries (BANKING77's CSV layout, or JSONL) as rows whose
gold is `{"intent": <label>}` under a schema with the label set as its enum, and
`slmbench data build --task edgeintent`: a seeded, stratified held-out validation part and
few-shot training files (K rows per intent).

The label set is part of the data, never of the code: `--labels FILE` (a JSON list), else
`labels.json` beside the data (what `data build` writes), else `categories.json` beside it (as
BANKING77 ships it), else the labels found in the file, in order of first appearance.
"""

from __future__ import annotations

import csv
import json
import random
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import slmbench
from slmbench.data.rows import Row, file_sha256, iter_jsonl, parse_row, write_rows
from slmbench.data.schemas import SchemaInfo
from slmbench.errors import DataError, SlmbenchError

INTENT_SCHEMA_ID = "intent"
"""The schema id (and tier) of every intent row: one label set per dataset."""
TEXT_COLUMN = "text"
LABEL_COLUMNS = ("category", "label", "intent")
"""Where a row's label may be (BANKING77's CSV: `category`; Hugging Face exports: `label`)."""
LABEL_FILES = ("labels.json", "categories.json")
"""Label-set files looked for beside the data, in this order."""
DEFAULT_SHOTS = (5, 10)


def intent_schema(labels: Sequence[str]) -> dict:
    """The output schema of an intent dataset: one required `intent`, one of the labels.

    >>> intent_schema(["card_arrival", "pin_blocked"])["properties"]["intent"]["enum"]
    ['card_arrival', 'pin_blocked']
    """
    return {
        "type": "object",
        "properties": {"intent": {"type": "string", "enum": list(labels)}},
        "required": ["intent"],
        "additionalProperties": False,
    }


def read_label_file(path: str | Path) -> list[str]:
    """A label set: a JSON list of distinct non-empty strings."""
    path = Path(path)
    if not path.is_file():
        raise DataError("label file not found", str(path))
    try:
        labels = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise DataError(f"not valid JSON: {e.msg}", str(path), e.lineno) from None
    if not isinstance(labels, list) or not labels:
        raise DataError("expected a non-empty JSON list of labels", str(path))
    for label in labels:
        if not isinstance(label, str) or not label.strip():
            raise DataError(f"labels must be non-empty strings, got {label!r}", str(path))
    duplicates = sorted(label for label, n in Counter(labels).items() if n > 1)
    if duplicates:
        raise DataError(f"label {duplicates[0]!r} is listed twice", str(path))
    return labels


def find_label_file(data: Path, labels: str | Path | None) -> Path | None:
    """The label-set file of a dataset: `labels`, else one of `LABEL_FILES` beside it."""
    if labels is not None:
        return Path(labels)
    for name in LABEL_FILES:
        if (data.parent / name).is_file():
            return data.parent / name
    return None


def read_intents(
    path: str | Path,
    *,
    schemas: str | Path | None = None,
    require_gold: bool = True,
    labels: str | Path | None = None,
    **_options: Any,
) -> tuple[list[Row], dict[str, SchemaInfo]]:
    """EdgeIntent's reader (the task registry's signature): a CSV with `text` and `category`
    (or `label`) columns, or JSONL rows (ours: `prompt` + `expected_output`; or `text` +
    `category`/`label`/`intent`). A label outside the label set is an error naming the line;
    integer labels index the label set (Hugging Face's exports). `schemas` is not used: the
    schema is made from the label set."""
    path = Path(path)
    if not path.is_file():
        raise DataError("dataset file not found", str(path))
    label_file = find_label_file(path, labels)
    known = read_label_file(label_file) if label_file else None
    records = list(_csv_records(path) if path.suffix.lower() == ".csv" else _jsonl_records(path))
    if not records:
        raise DataError("dataset is empty", str(path))
    if known is None:
        found = [label for *_, label in records if label is not None]
        known = list(dict.fromkeys(found))
        if not known or any(label.isdigit() for label in known):
            raise DataError(
                "no label set: give --labels FILE (a JSON list), or put labels.json or "
                "categories.json beside the data",
                str(path),
            )
    info = SchemaInfo(INTENT_SCHEMA_ID, INTENT_SCHEMA_ID, intent_schema(known), label_file or path)
    label_set, rows, seen = set(known), [], set()
    for line, row_id, text, label in records:
        label = _resolve_label(label, known, label_set, str(path), line)
        if label is None and require_gold:
            raise DataError("row has no label", str(path), line)
        if row_id in seen:
            raise DataError(f"duplicate id {row_id!r}", str(path), line)
        seen.add(row_id)
        gold = {"intent": label} if label is not None else None
        rows.append(Row(row_id, INTENT_SCHEMA_ID, INTENT_SCHEMA_ID, text, gold))
    return rows, {INTENT_SCHEMA_ID: info}


def _resolve_label(
    label: str | None, known: list[str], label_set: set[str], path: str, line: int
) -> str | None:
    if label is None or label in label_set:
        return label
    if label.isdigit():
        if int(label) < len(known):
            return known[int(label)]
        raise DataError(f"label index {label} is outside the {len(known)} labels", path, line)
    listed = ", ".join(known[:5]) + (", ..." if len(known) > 5 else "")
    raise DataError(
        f"label {label!r} is not in the label set ({len(known)} labels: {listed})", path, line
    )


Record = tuple[int, str, str, str | None]
"""(line, row id, text, label or None) of one input row."""


def _csv_records(path: Path) -> Iterator[Record]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        columns = [c.strip() for c in reader.fieldnames or []]
        label_column = next((c for c in LABEL_COLUMNS if c in columns), None)
        if TEXT_COLUMN not in columns or label_column is None:
            raise DataError(
                "needs the columns 'text' and 'category' (or 'label'); "
                f"found: {', '.join(columns) or 'none'}",
                str(path),
                1,
            )
        reader.fieldnames = columns
        for index, record in enumerate(reader, start=1):
            line = reader.line_num
            text, label = record.get(TEXT_COLUMN), record.get(label_column)
            if record.get(None) or text is None or label is None:
                raise DataError(f"expected {len(columns)} fields", str(path), line)
            if not text.strip():
                raise DataError("empty 'text'", str(path), line)
            yield line, f"{path.stem}-{index:05d}", text, label.strip() or None


def _jsonl_records(path: Path) -> Iterator[Record]:
    for line, obj in iter_jsonl(path):
        if isinstance(obj, dict) and "prompt" in obj:
            row = parse_row(obj, str(path), line, None, require_gold=False)
            gold = row.expected_output
            label = gold.get("intent") if isinstance(gold, dict) else None
            if gold is not None and not isinstance(label, str):
                raise DataError("'expected_output' must be {\"intent\": <label>}", str(path), line)
            yield line, row.id, row.prompt, label
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get(TEXT_COLUMN), str):
            raise DataError(
                "expected an object with 'prompt' and 'expected_output', or 'text' and "
                "'category' (or 'label')",
                str(path),
                line,
            )
        label = next((obj[c] for c in LABEL_COLUMNS if obj.get(c) is not None), None)
        row_id = str(obj.get("id", f"{path.stem}-{line:05d}"))
        yield line, row_id, obj[TEXT_COLUMN], None if label is None else str(label)


def stratified_split(
    rows: Sequence[Row], fraction: float, seed: int
) -> tuple[list[Row], list[Row]]:
    """(train part, held-out part): of each intent's rows, round(fraction * n) (at least one
    when it has two or more) are held out, chosen by a seeded shuffle of that intent's rows;
    both parts keep the file's order. Deterministic for a seed.

    >>> rows = [Row(f"r{i}", "intent", "intent", "", {"intent": "ab"[i % 2]}) for i in range(10)]
    >>> train, held = stratified_split(rows, 0.2, seed=0)
    >>> len(train), sorted(r.expected_output["intent"] for r in held)
    (8, ['a', 'b'])
    >>> held == stratified_split(rows, 0.2, seed=0)[1]
    True
    """
    if not 0 < fraction < 1:
        raise SlmbenchError(f"--val-fraction must be between 0 and 1, got {fraction}")
    held: set[str] = set()
    for label, group in sorted(by_label(rows).items()):
        n = round(len(group) * fraction)
        n = max(n, 1) if len(group) >= 2 else 0
        ids = [row.id for row in group]
        random.Random(f"{seed}:{label}").shuffle(ids)
        held.update(ids[:n])
    return [r for r in rows if r.id not in held], [r for r in rows if r.id in held]


def few_shot(rows: Sequence[Row], k: int, seed: int) -> list[Row]:
    """K rows of each intent (all of an intent with fewer), chosen by a seeded shuffle; the
    file's order kept. The K-row choice is a prefix of the (K+1)-row one.

    >>> rows = [Row(f"r{i}", "intent", "intent", "", {"intent": "ab"[i % 2]}) for i in range(10)]
    >>> sorted(r.expected_output["intent"] for r in few_shot(rows, 2, seed=0))
    ['a', 'a', 'b', 'b']
    >>> {r.id for r in few_shot(rows, 1, 0)} <= {r.id for r in few_shot(rows, 3, 0)}
    True
    """
    if k < 1:
        raise SlmbenchError(f"--shots must be at least 1, got {k}")
    chosen: set[str] = set()
    for label, group in sorted(by_label(rows).items()):
        ids = [row.id for row in group]
        random.Random(f"{seed}:shots:{label}").shuffle(ids)
        chosen.update(ids[:k])
    return [r for r in rows if r.id in chosen]


def by_label(rows: Sequence[Row]) -> dict[str, list[Row]]:
    """Rows grouped by their gold intent."""
    groups: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        groups[row.expected_output["intent"]].append(row)
    return dict(groups)


def build_intent_data(options: Any) -> dict:
    """`slmbench data build --task edgeintent` (`options`: `slmbench.data.api.BuildDataOptions`):
    `train.jsonl` (the training part), `test.jsonl` (the held-out validation part, stratified
    by intent), `train_<K>shot.jsonl` per `--shots` K, `labels.json` and `manifest.json`."""
    if options.source is None:
        raise SlmbenchError(
            "--task edgeintent needs --source FILE (e.g. ../shared/banking77/train.csv)"
        )
    source = Path(options.source)
    rows, schemas = read_intents(source, labels=options.labels)
    labels = schemas[INTENT_SCHEMA_ID].schema["properties"]["intent"]["enum"]
    train, val = stratified_split(rows, options.val_fraction, options.seed)
    splits = {"train": train, "test": val}
    shots = sorted(set(options.shots))
    for k in shots:
        splits[f"train_{k}shot"] = few_shot(train, k, options.seed)
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "labels.json").write_text(json.dumps(labels, indent=1) + "\n", encoding="utf-8")
    files = {}
    for split, split_rows in splits.items():
        path = out / f"{split}.jsonl"
        write_rows(split_rows, path)
        files[path.name] = {
            "rows": len(split_rows),
            "sha256": file_sha256(path),
            "per_intent": _count_range(split_rows),
        }
    manifest = {
        "dataset": "edgeintent",
        "task": "edgeintent",
        "generator": "slmbench.data.intent",
        "slmbench_version": slmbench.__version__,
        "source": {"path": str(source), "sha256": file_sha256(source), "rows": len(rows)},
        "labels": {"file": "labels.json", "n": len(labels)},
        "seed": options.seed,
        "settings": {"val_fraction": options.val_fraction, "shots": shots},
        "splits": {
            "train.jsonl": "the source minus the held-out part",
            "test.jsonl": "the held-out validation part (stratified by intent), not the "
            "dataset's official test split",
            **{f"train_{k}shot.jsonl": f"{k} rows per intent of train.jsonl" for k in shots},
        },
        "files": files,
        "counts": {"train": {"total": len(train)}, "test": {"total": len(val)}},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _count_range(rows: Sequence[Row]) -> dict[str, int]:
    counts = Counter(row.expected_output["intent"] for row in rows)
    return {"intents": len(counts), "min": min(counts.values()), "max": max(counts.values())}
