"""`slmbench schema check SCHEMA...`: can the data engine and constrained decoding serve a schema?

For each schema file (or every `*.json` in a folder):
- `ok`: the data engine makes valid golds for it and its grammar compiles as it is;
- `relaxed`: the same, once the keywords the grammar cannot express are dropped from the
  grammar (`relax_for_grammar`); they are listed with their JSON pointers and must be checked
  after decoding with `jsonschema` (the data engine honours them: every gold is validated);
- `unsupported`: the engine cannot honour a keyword (named, with its pointer), or the relaxed
  grammar still does not compile (the engine's reason);
- `invalid`: not JSON, or not valid against its JSON Schema metaschema.

Exit 0 when every schema is ok or relaxed, 1 when one is unsupported, 2 when one is invalid.
The grammar is checked with llguidance's own validator, without a tokenizer or a model.

Relaxations: `not`, `uniqueItems`, `dependencies`/`dependentRequired`/`dependentSchemas`,
`propertyNames`, `if`/`then`/`else`, `contains`, `unevaluated*` are dropped; a `pattern` the
engine's regex dialect rejects (look-around, back-references) and a `format` it does not know
are dropped; `oneOf` becomes `anyOf` (llguidance's `coerce_one_of`) when the grammar needs it.

Constrained decoding compiles `grammar_schema(schema)`: the schema itself when its grammar
compiles, else its relaxed copy; the verdict here is made by the same function.
"""

from __future__ import annotations

import copy
import json
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from slmbench.constrain.grammar import (
    DEFAULT_MAX_ITEMS,
    DEFAULT_MAX_STRING_CHARS,
    _reason,
    grammar_text,
)
from slmbench.errors import SlmbenchError
from slmbench.options import option

GRAMMAR_DROPPED = (
    "not",
    "uniqueItems",
    "dependencies",
    "dependentRequired",
    "dependentSchemas",
    "propertyNames",
    "if",
    "then",
    "else",
    "contains",
    "minContains",
    "maxContains",
    "unevaluatedProperties",
    "unevaluatedItems",
)
STATUSES = ("ok", "relaxed", "unsupported", "invalid")
GOLDS_TRIED = 3


@dataclass
class SchemaCheckOptions:
    """What `slmbench schema check` looks at."""

    schemas: list[Path] = option(default_factory=list, positional=True, metavar="SCHEMA")
    """Schema files, or folders of them (every `*.json` under a folder)."""
    json: bool = False
    """Print the report as JSON instead of one line per schema."""
    golds: int = GOLDS_TRIED
    """Gold records the data engine must make for a schema to pass (seed 0)."""


@dataclass
class Relaxation:
    pointer: str
    keyword: str
    action: str
    """`dropped`, or what it became (`anyOf`)."""


@dataclass
class SchemaVerdict:
    path: str
    status: str
    relaxations: list[Relaxation] = field(default_factory=list)
    reason: str | None = None
    pointer: str | None = None
    keyword: str | None = None

    def render(self) -> str:
        if self.status == "relaxed":
            listed = ", ".join(f"{r.keyword} at {r.pointer}" for r in self.relaxations)
            return f"{self.path}: relaxed ({listed})"
        if self.status in ("unsupported", "invalid"):
            where = f" at {self.pointer}" if self.pointer else ""
            return f"{self.path}: {self.status}{where}: {self.reason}"
        return f"{self.path}: ok"


@dataclass
class SchemaCheckReport:
    verdicts: list[SchemaVerdict]

    @property
    def counts(self) -> dict[str, int]:
        return {s: sum(v.status == s for v in self.verdicts) for s in STATUSES}

    @property
    def exit_code(self) -> int:
        counts = self.counts
        return 2 if counts["invalid"] else 1 if counts["unsupported"] else 0

    def render(self) -> str:
        counts = self.counts
        summary = ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])
        return "\n".join(
            [v.render() for v in self.verdicts] + [f"{len(self.verdicts)} schemas: {summary}"]
        )

    def to_json(self) -> str:
        return json.dumps(
            {"counts": self.counts, "schemas": [asdict(v) for v in self.verdicts]}, indent=2
        )


@lru_cache(maxsize=4096)
def grammar_error(
    schema_json: str,
    max_items: int = DEFAULT_MAX_ITEMS,
    max_string_chars: int = DEFAULT_MAX_STRING_CHARS,
) -> str | None:
    """The engine's one-line reason a schema's grammar does not compile, or None."""
    from llguidance import LLMatcher

    bounds = {"max_items": max_items, "max_string_chars": max_string_chars}
    grammar = grammar_text(json.loads(schema_json), **bounds)
    is_error, messages = LLMatcher.validate_grammar_with_warnings(grammar, None)
    return _reason(messages) if is_error else None


def _compiles(schema: dict) -> bool:
    return grammar_error(json.dumps(schema, ensure_ascii=False)) is None


def relax_for_grammar(schema: dict) -> tuple[dict, list[Relaxation]]:
    """A copy of the schema whose grammar llguidance can compile, and what was dropped."""
    from slmbench.data.synth.schema_walk import (
        EngineUnsupported,
        SchemaDoc,
        join_pointer,
        subschemas,
    )

    out = copy.deepcopy(schema)
    done: list[Relaxation] = []
    doc = SchemaDoc("grammar", out)
    for pointer, node in subschemas(out):
        if isinstance(node.get("allOf"), list) and "$ref" not in node:
            # The grammar closes every object with properties, so `allOf` branches would
            # forbid each other's keys: give the grammar one merged object instead.
            try:
                merged = doc.normalise(node, pointer)[1]
            except EngineUnsupported:
                merged = None
            if merged is not None:
                node.clear()
                node.update(merged)
                done.append(Relaxation(join_pointer(pointer, "allOf"), "allOf", "merged"))
        for keyword in GRAMMAR_DROPPED:
            if keyword in node and not (keyword == "uniqueItems" and node[keyword] is False):
                del node[keyword]
                done.append(Relaxation(join_pointer(pointer, keyword), keyword, "dropped"))
        if isinstance(node.get("pattern"), str) and not _compiles(
            {"type": "string", "pattern": node["pattern"]}
        ):
            del node["pattern"]
            done.append(Relaxation(join_pointer(pointer, "pattern"), "pattern", "dropped"))
        if isinstance(node.get("format"), str) and not _compiles(
            {"type": "string", "format": node["format"]}
        ):
            del node["format"]
            done.append(Relaxation(join_pointer(pointer, "format"), "format", "dropped"))
        for name in list(node.get("patternProperties") or {}):
            if not _compiles({"type": "object", "patternProperties": {name: {}}}):
                del node["patternProperties"][name]
                done.append(
                    Relaxation(
                        join_pointer(pointer, "patternProperties", name),
                        "patternProperties",
                        "dropped",
                    )
                )
    if not _compiles(out) and any("oneOf" in node for _, node in subschemas(out)):
        for pointer, node in subschemas(out):
            if "oneOf" in node:
                if "anyOf" in node:
                    node["allOf"] = [*node.get("allOf", []), {"anyOf": node.pop("oneOf")}]
                else:
                    node["anyOf"] = node.pop("oneOf")
                done.append(Relaxation(join_pointer(pointer, "oneOf"), "oneOf", "anyOf"))
    return out, done


def grammar_schema(
    schema: dict,
    max_items: int = DEFAULT_MAX_ITEMS,
    max_string_chars: int = DEFAULT_MAX_STRING_CHARS,
) -> tuple[dict, list[Relaxation]]:
    """The schema constrained decoding compiles, and its relaxations: `schema` itself (no
    relaxations) when its grammar compiles, else `relax_for_grammar(schema)`.

    Relaxing only what does not compile keeps every schema that compiles as it is decoding
    exactly as before, and costs nothing on the common path. A schema the relaxation cannot
    walk is returned as it is, so that compiling it reports the engine's own reason. Raises
    `TypeError`/`ValueError` for a schema that is not JSON.

    >>> relaxed, done = grammar_schema({"type": "array", "uniqueItems": True})
    >>> relaxed, [(r.pointer, r.action) for r in done]
    ({'type': 'array'}, [('/uniqueItems', 'dropped')])
    """
    schema_json = json.dumps(schema, ensure_ascii=False)
    if grammar_error(schema_json, max_items, max_string_chars) is None:
        return schema, []
    try:
        return relax_for_grammar(schema)
    except (SlmbenchError, RecursionError):
        return schema, []


def engine_check(doc: Any, golds: int = GOLDS_TRIED) -> None:
    """Raise `EngineUnsupported` unless the data engine can make `golds` valid records of a
    `SchemaDoc`."""
    from slmbench.data.gen_values import Gen
    from slmbench.data.synth.gold import GoldMaker
    from slmbench.data.synth.values import ValueMaker

    doc.check()
    maker = GoldMaker(doc, ValueMaker(Gen(0)))
    for _ in range(golds):
        maker.make()


def check_file(path: Path, golds: int = GOLDS_TRIED) -> SchemaVerdict:
    from slmbench.data.synth.schema_walk import EngineUnsupported, SchemaFileError, load_schema_doc

    try:
        doc = load_schema_doc(path)
    except SchemaFileError as e:
        return SchemaVerdict(str(path), "invalid", reason=str(e).split(": ", 1)[-1])
    try:
        engine_check(doc, golds)
    except EngineUnsupported as e:
        return SchemaVerdict(
            str(path),
            "unsupported",
            reason=f"data engine: {e.reason}",
            pointer=e.pointer,
            keyword=e.keyword,
        )
    except RecursionError:
        return SchemaVerdict(
            str(path), "unsupported", reason="data engine: schema nests too deeply"
        )
    relaxed, done = grammar_schema(doc.root)
    error = grammar_error(json.dumps(relaxed, ensure_ascii=False))
    if error:
        return SchemaVerdict(str(path), "unsupported", done, reason=f"grammar: {error}")
    return SchemaVerdict(str(path), "relaxed" if done else "ok", done)


def schema_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.json") if p.is_file())
            if not found:
                raise SlmbenchError(f"{path}: no *.json schema files in this folder")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise SlmbenchError(f"{path}: schema file or folder not found")
    return files


def check_schemas(options: SchemaCheckOptions) -> SchemaCheckReport:
    """Check every schema named (see the module docstring)."""
    if not options.schemas:
        raise SlmbenchError("schema check: name at least one schema file or folder")
    return SchemaCheckReport([check_file(p, options.golds) for p in schema_files(options.schemas)])
