"""Reading a user's labelled examples and turning each into a template (`templates.py`).

Input: JSONL, one example per line, `{"text": ..., "output": {...}}` (our row format's
`prompt`/`expected_output` are read too), with `schema_id` when several schemas are given;
an `id` is kept for reports. Bad input is a one-line error naming the file and line: not JSON,
no text, an output that does not validate (with its JSON path), an unknown schema id, an
example none of whose values can be found in its text, an empty file. Values that cannot be
located are reported per field, and the rest of the example is still used.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from slmbench.data.rows import iter_jsonl
from slmbench.data.synth.schema_walk import SchemaDoc
from slmbench.data.synth.templates import Template, make_template
from slmbench.errors import DataError

MAX_LISTED = 20


@dataclass
class ExampleSet:
    """One schema's examples as templates, and what could not be located in them."""

    schema_id: str
    templates: list[Template] = field(default_factory=list)

    def report(self) -> dict:
        """Per field: examples where it was located / not located; the unlocated values."""
        located: Counter[str] = Counter()
        missing: Counter[str] = Counter()
        listed = []
        for t in self.templates:
            for path in dict.fromkeys(leaf.field_path for leaf in t.leaves.values()):
                located[path] += 1
            for leaf in t.unlocated:
                missing[leaf.field_path] += 1
                if len(listed) < MAX_LISTED:
                    listed.append(
                        {"example": t.source, "path": _dotted(leaf.path), "value": leaf.value}
                    )
        fields = sorted(set(located) | set(missing))
        return {
            "examples": len(self.templates),
            "fields": {f: {"located": located[f], "not_located": missing[f]} for f in fields},
            "not_located": listed,
        }


def _dotted(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def read_examples(path: Path, docs: dict[str, SchemaDoc]) -> dict[str, ExampleSet]:
    """Templates of every example in the file, by schema id."""
    path = Path(path)
    sets: dict[str, ExampleSet] = {}
    for lineno, obj in iter_jsonl(path, "examples file"):
        if not isinstance(obj, dict):
            raise DataError("an example must be a JSON object", str(path), lineno)
        text = obj.get("text", obj.get("prompt"))
        gold = obj.get("output", obj.get("expected_output"))
        if not isinstance(text, str) or not text.strip():
            raise DataError("missing 'text' (the document)", str(path), lineno)
        if not isinstance(gold, dict):
            raise DataError("missing 'output' (the labelled JSON object)", str(path), lineno)
        doc = _schema_for(obj, docs, str(path), lineno)
        errors = sorted(doc.validator().iter_errors(gold), key=lambda e: list(map(str, e.path)))
        if errors:
            where = "/" + "/".join(str(p) for p in errors[0].absolute_path)
            raise DataError(
                f"output does not match schema {doc.schema_id!r} at {where}: "
                f"{errors[0].message[:160]}",
                str(path),
                lineno,
            )
        source = f"{path.name}:{lineno}" + (f" id={obj['id']}" if "id" in obj else "")
        template = make_template(doc, gold, text, source)
        if not template.slots and (template.unlocated or template.leaves):
            raise DataError(
                "none of this example's output values was found in its text", str(path), lineno
            )
        sets.setdefault(doc.schema_id, ExampleSet(doc.schema_id)).templates.append(template)
    if not sets:
        raise DataError("examples file is empty", str(path))
    return sets


def _schema_for(obj: dict, docs: dict[str, SchemaDoc], path: str, line: int) -> SchemaDoc:
    schema_id = obj.get("schema_id") or obj.get("schema_name")
    if schema_id is None:
        if len(docs) == 1:
            return next(iter(docs.values()))
        raise DataError(
            f"'schema_id' is needed with several schemas (one of: {', '.join(sorted(docs))})",
            path,
            line,
        )
    if schema_id not in docs:
        raise DataError(
            f"unknown schema_id {schema_id!r} (known: {', '.join(sorted(docs))})", path, line
        )
    return docs[schema_id]
