"""JSON Schemas of the benchmark, grouped by tier (the folder a schema file sits in).

Two layouts: `<tier>/<id>.json` (the original EdgeJSON v3 files, `data synth` output) and
`<tier>/<id>/schema.json` (the packaged EdgeJSON schemas, each folder with its content file
for the data engine: `slmbench.data.synth.content`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jsonschema

from slmbench.errors import DataError

TIERS = ("simple", "medium", "complex")
PACKAGE_SCHEMA_DIR = Path(__file__).parent / "edgejson"
SCHEMA_FILE = "schema.json"
"""The schema file of a schema folder, whose name is the schema id."""


@dataclass(frozen=True)
class SchemaInfo:
    """One schema of the benchmark."""

    schema_id: str
    """File stem, e.g. `invoice`, or the folder's name for a `schema.json`; rows refer to it
    by `schema_id` (v3: `schema_name`)."""
    tier: str
    """`simple`, `medium` or `complex`: the name of the folder holding the file."""
    schema: dict
    """The parsed JSON Schema (draft-07)."""
    path: Path
    """The file it was read from."""

    def validator(self) -> jsonschema.protocols.Validator:
        """A validator of the schema's declared draft (`$schema`; draft-07 when undeclared, as
        the benchmark's schemas are) that also checks `format` (date, date-time, email, uuid...).
        """
        return _validator(self.path, json.dumps(self.schema, sort_keys=True))


@cache
def _validator(path: Path, schema_json: str) -> jsonschema.protocols.Validator:
    schema = json.loads(schema_json)
    cls = _validator_class(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _validator_class(schema: dict) -> type:
    """The validator class of a schema's `$schema`, draft-07 when it has none.

    >>> _validator_class({}).__name__, _validator_class(
    ...     {"$schema": "https://json-schema.org/draft/2020-12/schema"}).__name__
    ('Draft7Validator', 'Draft202012Validator')
    """
    return jsonschema.validators.validator_for(schema, jsonschema.Draft7Validator)


def load_schema_file(path: Path, tier: str, schema_id: str | None = None) -> SchemaInfo:
    """Read and check one schema file (its id: `schema_id`, else the file stem); errors name
    the file."""
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise DataError(f"not valid JSON: {e.msg}", str(path), e.lineno) from None
    try:
        _validator_class(schema).check_schema(schema)
    except jsonschema.SchemaError as e:
        pointer = "/" + "/".join(str(p) for p in e.absolute_path)
        raise DataError(f"not a valid JSON Schema at {pointer}: {e.message}", str(path)) from None
    if schema.get("type") != "object":
        raise DataError("top-level schema type must be 'object'", str(path))
    return SchemaInfo(schema_id or path.stem, tier, schema, path)


def load_schemas(schema_dir: str | Path | None = None) -> dict[str, SchemaInfo]:
    """Schemas under `schema_dir/{simple,medium,complex}/`, as `*.json` or `*/schema.json`
    (default: the packaged 24).

    >>> schemas = load_schemas()
    >>> len(schemas), sorted({s.tier for s in schemas.values()})
    (24, ['complex', 'medium', 'simple'])
    """
    root = Path(schema_dir) if schema_dir else PACKAGE_SCHEMA_DIR
    return _load_schemas_cached(root.resolve())


@cache
def _load_schemas_cached(root: Path) -> dict[str, SchemaInfo]:
    if not root.is_dir():
        raise DataError("schema folder not found", str(root))
    found: dict[str, SchemaInfo] = {}
    for tier in TIERS:
        files = [(p, p.stem) for p in (root / tier).glob("*.json")]
        files += [(p, p.parent.name) for p in (root / tier).glob(f"*/{SCHEMA_FILE}")]
        for path, schema_id in sorted(files):
            info = load_schema_file(path, tier, schema_id)
            if info.schema_id in found:
                raise DataError(f"schema id {info.schema_id!r} appears in two tiers", str(path))
            found[info.schema_id] = info
    if not found:
        raise DataError(f"no schemas in {'/'.join(TIERS)} subfolders", str(root))
    return found


def get_schema(schemas: dict[str, SchemaInfo], schema_id: str, where: str = "") -> SchemaInfo:
    """Look up a schema id, or fail with the list of known ids."""
    try:
        return schemas[schema_id]
    except KeyError:
        known = ", ".join(sorted(schemas))
        prefix = f"{where}: " if where else ""
        raise DataError(
            f"{prefix}unknown schema id {schema_id!r} (known: {known}); rows of other schemas "
            "need --schemas DIR (EdgeJSON v3's: ../shared/edgejson_v3/schemas)"
        ) from None


def schema_files(path: str | Path) -> dict[str, Path]:
    """Schema id -> file for a user's schemas: one file (its stem is the id) or every `*.json`
    under a folder; errors name the path (a missing one, an empty folder, an id used twice)."""
    path = Path(path).expanduser()
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.json") if p.is_file())
        if not files:
            raise DataError("no *.json schema files in this folder", str(path))
    elif path.is_file():
        files = [path]
    else:
        raise DataError("schema file or folder not found", str(path))
    found: dict[str, Path] = {}
    for file in files:
        if file.stem in found:
            raise DataError(f"schema id {file.stem!r} also names {found[file.stem]}", str(file))
        found[file.stem] = file
    return found
