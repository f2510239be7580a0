"""`slmbench extract MODEL --input FILE|-`: read documents with a trained extractor.

MODEL is a `slmbench specialize` folder (its `specialize.json` names the schemas, the train run
and the GGUF), a `slmbench train` run folder (LoRA or full fine-tune; schemas from --schema), or
a GGUF written by `slmbench export` (the llamacpp backend; schemas from --schema). The prompt
style is the one the model was trained with (specialize.json, else the train recipe, also the
one stored in an exported GGUF), else chat-schema.

Input: one document per line, either a JSONL row `{"text": ..., "id": ..., "schema_id": ...}`
(`id` and `schema_id` optional; `schema_id` is needed when the model has several schemas) or,
for a line that is not a JSON object, the line itself as plain text. A row without an `id` gets
its line number. Blank lines are skipped.

Output: one JSONL row per document, in input order: `{"id", "output": {...}, "schema_valid",
"ms"}`, where `schema_valid` checks the output against the full schema (jsonschema, formats
included) and `ms` is the backend's measured time for the row; a bad input row, or an output
that is not JSON, gets `{"id", "error": ...}` instead and the rest is still processed.
Decoding is schema-constrained unless --no-constrained, so every output is JSON of its schema.

With --output FILE the rows go to `FILE.partial`, appended per batch, and the file is renamed
to FILE when every row is written; rerunning after an interruption resumes from the partial
file (its rows must be the first rows of the same input, matched by id; the model is not
checked; delete the partial file to start over). Without --output the rows go to standard
output, with no progress bar.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slmbench.errors import SlmbenchError
from slmbench.eval.api import DEFAULT_BATCH_SIZE, DEFAULT_MAX_NEW_TOKENS
from slmbench.extract_documents import (
    Document,
    batches,
    count_documents,
    open_input,
    partial_path,
    read_documents,
    resume_ids,
    skip_done,
)
from slmbench.models.base import DEVICE_NAMES
from slmbench.options import add_command, option
from slmbench.prompts import PROMPT_STYLES

if TYPE_CHECKING:
    from slmbench.data.schemas import SchemaInfo

EXTRACT_BACKENDS = ("transformers", "llamacpp")
FALLBACK_STYLE = "chat-schema"
"""The prompt style of a model whose training recorded none: the schema is in the prompt."""
SPECIALIZE_FILE = "specialize.json"


@dataclass(kw_only=True)
class ExtractOptions:
    """Everything `slmbench extract` takes."""

    model: str = option(positional=True)
    """A `slmbench specialize` folder, a `slmbench train` run folder, or a GGUF file of
    `slmbench export`."""
    input: str
    """JSONL rows with `text` (optional `id`, `schema_id`), or plain text, one document per
    line; `-` reads standard input."""
    output: Path | None = option(None, metavar="FILE")
    """Output JSONL, written as FILE.partial and renamed when complete; rerunning resumes
    (default: standard output)."""
    schema: Path | None = option(None, metavar="FILE|DIR")
    """Schema file (its stem is the schema id) or folder of *.json schemas (default: the
    specialize folder's schemas)."""
    backend: str | None = option(None, choices=EXTRACT_BACKENDS)
    """Generation backend (default: llamacpp for a GGUF, else transformers; llamacpp on a
    specialize folder runs its GGUF)."""
    constrained: bool = True
    """Schema-constrained decoding (strict), so that every output is JSON of its schema."""
    batch_size: int = DEFAULT_BATCH_SIZE
    """Documents per generation batch."""
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS
    """Token budget of one output (a constrained output that reaches it is closed, on both
    backends)."""
    prompt_style: str | None = option(None, aliases=["--prompt"], choices=PROMPT_STYLES)
    """Prompt style (default: the one the model was trained with, else chat-schema)."""
    threads: int | None = None
    """CPU threads (default: all available cores)."""
    device: str | None = option(None, choices=DEVICE_NAMES)
    """Device (transformers backend; default: cpu)."""


@dataclass(frozen=True)
class ModelSource:
    """What MODEL resolves to: how to load it and what its training recorded."""

    backend: str
    model: str | None
    adapter: str | None
    recipe: dict | None
    schemas: dict[str, Path] | None = None
    """Schema id -> file, as a specialize folder lists them."""
    prompt_style: str | None = None
    """The prompt style a specialize folder records."""


class Extractor:
    """A loaded model, its schemas and prompt style: `Extractor.load(path).extract(text)`."""

    def __init__(
        self,
        backend: Any,
        schemas: dict[str, SchemaInfo],
        prompt_style: str,
        constrained: bool = True,
        max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
    ):
        if not schemas:
            raise SlmbenchError("an extractor needs at least one schema")
        self.backend = backend
        self.schemas = schemas
        self.prompt_style = prompt_style
        self.constrained = constrained
        self.max_new_tokens = max_new_tokens

    @classmethod
    def load(
        cls,
        path: str | Path,
        backend: str | None = None,
        schema: str | Path | None = None,
        constrained: bool = True,
        threads: int | None = None,
        *,
        device: str | None = None,
        prompt_style: str | None = None,
        max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
    ) -> Extractor:
        """Load MODEL (see the module docstring) with its schemas: `schema` (a file or a
        folder of *.json) overrides the ones a specialize folder lists."""
        if backend is not None and backend not in EXTRACT_BACKENDS:
            raise SlmbenchError(f"backend: {backend!r} is not one of {', '.join(EXTRACT_BACKENDS)}")
        if prompt_style is not None and prompt_style not in PROMPT_STYLES:
            raise SlmbenchError(f"prompt style: {prompt_style!r} is not one of {PROMPT_STYLES}")
        for name, value in (("max_new_tokens", max_new_tokens), ("threads", threads)):
            if value is not None and value < 1:
                raise SlmbenchError(f"{name} must be at least 1, got {value}")
        source = locate_model(path, backend)
        if schema is not None:
            schemas = load_schema_set(schema)
        elif source.schemas is not None:
            schemas = schema_infos(source.schemas)
        else:
            raise SlmbenchError(f"{path}: give the schemas it extracts (--schema FILE|DIR)")
        style = prompt_style or source.prompt_style or (source.recipe or {}).get("prompt_style")
        style = style or FALLBACK_STYLE
        if style not in PROMPT_STYLES:
            raise SlmbenchError(f"{path}: its training records unknown prompt style {style!r}")
        from slmbench.models.registry import load_backend

        loaded = load_backend(
            source.backend,
            source.model,
            adapter=source.adapter,
            constrained="strict" if constrained else None,
            threads=threads,
            device=device,
        )
        warmup = getattr(loaded, "warmup", None)
        if callable(warmup):
            warmup()  # so that the first row's `ms` is not the model's start-up
        return cls(loaded, schemas, style, constrained, max_new_tokens)

    @property
    def schema_ids(self) -> list[str]:
        return sorted(self.schemas)

    def extract(self, text: str, schema_id: str | None = None) -> Any:
        """The JSON the model reads from `text`; SlmbenchError when its output is not JSON."""
        (record,) = self.records([Document(0, text, schema_id)])
        if "error" in record:
            raise SlmbenchError(record["error"])
        return record["output"]

    def extract_many(
        self,
        texts: Sequence[str],
        schema_ids: Sequence[str | None] | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> list[Any]:
        """`extract` of each text, in batches; SlmbenchError naming the first text (by index)
        whose output is not JSON."""
        if schema_ids is not None and len(schema_ids) != len(texts):
            raise SlmbenchError(f"{len(texts)} texts but {len(schema_ids)} schema ids")
        ids = schema_ids if schema_ids is not None else [None] * len(texts)
        documents = [Document(i, t, s) for i, (t, s) in enumerate(zip(texts, ids, strict=True))]
        outputs = []
        for batch in batches(documents, batch_size):
            for record in self.records(batch):
                if "error" in record:
                    raise SlmbenchError(f"text {record['id']}: {record['error']}")
                outputs.append(record["output"])
        return outputs

    def records(self, documents: Sequence[Document]) -> list[dict]:
        """The output rows of `documents`, in order, generated as one batch."""
        from slmbench.models.base import GenerationRequest
        from slmbench.prompts import request_prompt

        records: list[dict | None] = []
        todo: list[tuple[int, Document, SchemaInfo]] = []
        for document in documents:
            info, error = None, document.error
            if error is None:
                info, error = self._schema(document)
            if error is not None:
                records.append({"id": document.id, "error": error})
                continue
            todo.append((len(records), document, info))
            records.append(None)
        requests = []
        for _, document, info in todo:
            tokenizer = getattr(self.backend, "tokenizer", None)
            prompt, messages = request_prompt(
                document.text, self.prompt_style, tokenizer, info.schema
            )
            requests.append(
                GenerationRequest(
                    prompt=prompt,
                    max_new_tokens=self.max_new_tokens,
                    schema=info.schema if self.constrained else None,
                    stop_at_json=True,
                    messages=messages,
                )
            )
        generations = self.backend.generate(requests) if requests else []
        if len(generations) != len(requests):
            raise RuntimeError(f"backend returned {len(generations)} of {len(requests)} rows")
        for (position, document, info), generation in zip(todo, generations, strict=True):
            records[position] = output_record(document.id, generation, info)
        return records  # type: ignore[return-value]

    def _schema(self, document: Document) -> tuple[SchemaInfo | None, str | None]:
        if document.schema_id is None:
            if len(self.schemas) == 1:
                return next(iter(self.schemas.values())), None
            known = ", ".join(self.schema_ids)
            return None, f"this model extracts several schemas ({known}): give the row a schema_id"
        info = self.schemas.get(document.schema_id)
        if info is None:
            known = ", ".join(self.schema_ids)
            return None, f"unknown schema_id {document.schema_id!r} (known: {known})"
        return info, None


def output_record(row_id: Any, generation: Any, info: SchemaInfo) -> dict:
    """One output row: the parsed output and whether it validates against the full schema, or
    the error when the output is not JSON (with the raw text, for inspection)."""
    from slmbench.eval.parsing import parse_output

    ms = round(generation.total_s * 1000, 3)
    parsed = parse_output(generation.text)
    if not parsed.ok:
        cut = " (it reached the token budget)" if generation.hit_limit else ""
        error = f"the model's output is not JSON{cut}"
        return {"id": row_id, "error": error, "raw_output": generation.text, "ms": ms}
    valid = info.validator().is_valid(parsed.value)
    return {"id": row_id, "output": parsed.value, "schema_valid": valid, "ms": ms}


# --- models and schemas ----------------------------------------------------------------------


def locate_model(path: str | Path, backend: str | None = None) -> ModelSource:
    """How to load MODEL: a specialize folder, a train run folder (LoRA or full fine-tune), a
    GGUF file (or, with the llamacpp backend, a folder holding one), else a model the
    transformers backend resolves (registered name, model folder)."""
    folder = Path(path).expanduser()
    if (folder / SPECIALIZE_FILE).is_file():
        return _specialize_source(folder, backend)
    is_gguf = folder.is_file() and folder.suffix == ".gguf"
    if backend == "llamacpp" or (is_gguf and backend is None):
        return ModelSource("llamacpp", str(folder), None, _gguf_recipe(folder))
    if is_gguf:
        raise SlmbenchError(f"{path} is a GGUF file: run it with --backend llamacpp")
    return _transformers_source(folder, str(path))


def _transformers_source(folder: Path, name: str) -> ModelSource:
    from slmbench.models.registry import adapter_base_model, model_recipe, resolve_adapter

    if (folder / "adapter_config.json").is_file() or (folder / "adapter").is_dir():
        adapter_dir, recipe = resolve_adapter(folder)
        base = adapter_base_model(adapter_dir, recipe)
        return ModelSource("transformers", base, str(adapter_dir), recipe)
    return ModelSource("transformers", name, None, model_recipe(folder))


def _gguf_recipe(path: Path) -> dict | None:
    from slmbench.models.registry import model_recipe

    return model_recipe(path) if path.is_file() else None


def _specialize_source(folder: Path, backend: str | None) -> ModelSource:
    spec_path = folder / SPECIALIZE_FILE
    try:
        spec = json.loads(spec_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise SlmbenchError(f"{spec_path}:{e.lineno}: invalid JSON ({e.msg})") from None
    listed = spec.get("schemas") if isinstance(spec, dict) else None
    if not isinstance(listed, dict) or not listed:
        raise SlmbenchError(f"{spec_path}: no `schemas` listed")
    schemas = {str(sid): folder / str(rel) for sid, rel in listed.items()}
    style = spec.get("prompt_style")
    if backend == "llamacpp":
        gguf = spec.get("gguf")
        if not gguf or not (folder / gguf).is_file():
            raise SlmbenchError(
                f"{folder}: no GGUF yet (specialize.json `gguf`: {gguf!r}); rerun "
                "`slmbench specialize` to finish its export, or use --backend transformers"
            )
        path = folder / gguf
        return ModelSource("llamacpp", str(path), None, _gguf_recipe(path), schemas, style)
    run = folder / str(spec.get("train_run") or "train")
    if not ((run / "adapter").is_dir() or (run / "model").is_dir()):
        raise SlmbenchError(
            f"{folder}: its train run {run} holds no adapter/ or model/ yet (status "
            f"{spec.get('status')!r}); rerun `slmbench specialize` to finish it"
        )
    source = _transformers_source(run, str(run))
    return ModelSource(source.backend, source.model, source.adapter, source.recipe, schemas, style)


def load_schema_set(path: str | Path) -> dict[str, SchemaInfo]:
    """The schemas of a file (its stem is the schema id) or of every *.json under a folder."""
    from slmbench.data.schemas import schema_files

    return schema_infos(schema_files(path))


def schema_infos(files: dict[str, Path]) -> dict[str, SchemaInfo]:
    """Schema id -> SchemaInfo (its validator checks the declared draft, with formats); a
    file that is not a JSON Schema is a one-line error naming it."""
    from slmbench.data.schemas import SchemaInfo
    from slmbench.data.synth.schema_walk import load_schema_doc

    infos = {}
    for schema_id, file in files.items():
        if not file.is_file():
            raise SlmbenchError(f"schema {schema_id!r}: file {file} not found")
        doc = load_schema_doc(file, schema_id)
        infos[schema_id] = SchemaInfo(schema_id, "", doc.root, file)
    return infos


# --- input and output ------------------------------------------------------------------------


def extract_file(options: ExtractOptions, echo: Callable[[str], None] | None = None) -> int:
    """Run `slmbench extract`; returns the number of rows written."""
    from tqdm import tqdm

    echo = echo or (lambda message: print(message, file=sys.stderr))
    if options.input != "-" and not Path(options.input).is_file():
        raise SlmbenchError(f"input file not found: {options.input}")
    if options.batch_size < 1:
        raise SlmbenchError(f"--batch-size must be at least 1, got {options.batch_size}")
    extractor = Extractor.load(
        options.model,
        backend=options.backend,
        schema=options.schema,
        constrained=options.constrained,
        threads=options.threads,
        device=options.device,
        prompt_style=options.prompt_style,
        max_new_tokens=options.max_new_tokens,
    )
    with open_input(options.input) as source:
        documents = read_documents(source)
        if options.output is None:
            return _write(extractor, documents, sys.stdout, options.batch_size, None)
        output = Path(options.output)
        partial = partial_path(output)
        done = resume_ids(partial)
        documents = skip_done(documents, done, partial)
        total = count_documents(options.input)
        if done:
            echo(f"resuming {partial}: {len(done)} rows already written")
        output.parent.mkdir(parents=True, exist_ok=True)
        bar = tqdm(total=total, initial=len(done), unit="doc", desc="extract", file=sys.stderr)
        with bar, partial.open("a", encoding="utf-8") as out:
            written = _write(extractor, documents, out, options.batch_size, bar)
    partial.replace(output)
    echo(f"wrote {len(done) + written} rows to {output}")
    return len(done) + written


def _write(extractor: Extractor, documents, out, batch_size: int, bar: Any) -> int:
    written = 0
    for batch in batches(documents, batch_size):
        for record in extractor.records(batch):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
        written += len(batch)
        if bar is not None:
            bar.update(len(batch))
    return written


def run_extract(options: ExtractOptions) -> int:
    extract_file(options)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    add_command(
        sub,
        "extract",
        ExtractOptions,
        run_extract,
        help="read documents into JSON with a specialized (or trained) model",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
