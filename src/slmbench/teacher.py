"""A teacher model labels a user's unlabelled texts, and the labels that hold become examples for
the data engine: `slmbench data synth ... --texts FILE --teacher-url URL [--teacher-model M]`
and `slmbench specialize ... --texts FILE --teacher-url URL` (issue #18, section 1).

The teacher is any OpenAI-compatible server (vLLM, llama-server, llama-cpp-python, Ollama),
reached through slmbench's own client (`models.openai_backend`, which probes the server's
dialect for schema-constrained output); decoding is constrained by the text's schema
(`prompts.teacher_messages`). A label is kept when it is one JSON object, validates against the
full schema (`jsonschema`, formats included: the grammar does not check them all) and has at
least one value the data engine finds in its text; every other line is reported with why.

This module sits above `data` and `models` (like `specialize` and `extract`): the data engine
imports no model code, and takes the labels as examples. Texts: JSONL rows with `text` (an `id`
is kept; `schema_id` picks the schema when there are several) or plain lines, one text each
(`extract_documents.parse_line`). Work is written as it goes to `DIR/log.jsonl`, one line per
text, and a rerun labels only the texts not in it; `DIR/labels.jsonl` (the kept labels, in the
examples format) is written last.
"""

from __future__ import annotations

import argparse
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slmbench.data.synth import SynthOptions
from slmbench.errors import SlmbenchError
from slmbench.options import Command, add_to_group, option

LOG_FILE = "log.jsonl"
LABELS_FILE = "labels.jsonl"
EXAMPLES_FILE = "examples.jsonl"
TEACHER_DIR = "teacher"
DEFAULT_MAX_TOKENS = 2048
DEFAULT_TIMEOUT_S = 600.0
BATCH = 8
SHOWN_REJECTS = 10


@dataclass
class Teacher:
    """Where the teacher is and how it is asked."""

    url: str
    """The server's base URL (`http://host:port`, with or without `/v1`)."""
    model: str | None = None
    """The server's model name (default: the first model the server lists)."""
    api_key: str | None = None
    """Sent as a bearer token (default: $OPENAI_API_KEY, as OpenAI's own clients do)."""
    max_new_tokens: int = DEFAULT_MAX_TOKENS
    timeout_s: float = DEFAULT_TIMEOUT_S
    concurrency: int = 1

    def backend(self) -> Any:
        from slmbench.models.openai_backend import OpenAIBackend

        backend = OpenAIBackend(
            self.model or "default",
            base_url=self.url,
            api_key=self.api_key or os.environ.get("OPENAI_API_KEY"),
            timeout_s=self.timeout_s,
            constrained="strict",
            concurrency=self.concurrency,
        )
        backend.warmup()  # fails early, naming the URL, when no server is there
        if self.model is None:
            if not backend.served_models:
                raise SlmbenchError(f"{self.url} lists no model: give --teacher-model")
            backend.model = backend.served_models[0]
        return backend


@dataclass
class LabelReport:
    """What the teacher made of the texts."""

    labels: Path
    log: Path
    texts: int = 0
    kept: int = 0
    rejected: list[dict] = field(default_factory=list)
    """`{"line", "id", "reason"}` of every text whose label was not kept."""

    def summary(self) -> dict:
        reasons = Counter(r["reason"].split(":")[0] for r in self.rejected)
        return {
            "texts": self.texts,
            "kept": self.kept,
            "rejected": len(self.rejected),
            "reasons": dict(sorted(reasons.items())),
            "labels": str(self.labels),
            "log": str(self.log),
        }

    def lines(self, texts: Path) -> list[str]:
        """What to print: the counts, then up to `SHOWN_REJECTS` rejected lines."""
        out = [
            f"teacher: {self.kept} of {self.texts} texts labelled and kept ({self.labels}); "
            f"{len(self.rejected)} rejected"
        ]
        for r in self.rejected[:SHOWN_REJECTS]:
            out.append(f"  {texts}:{r['line']}: {r['reason']}")
        if len(self.rejected) > SHOWN_REJECTS:
            out.append(f"  ... and {len(self.rejected) - SHOWN_REJECTS} more in {self.log}")
        return out


def read_texts(path: Path) -> list[tuple[int, Any]]:
    """`(line, extract_documents.Document)` of every text of `path` (blank lines skipped)."""
    from slmbench.extract_documents import parse_line

    path = Path(path)
    if not path.is_file():
        raise SlmbenchError(f"{path}: texts file not found")
    with path.open("rb") as f:
        numbered = [(n, d) for n, raw in enumerate(f, start=1) if (d := parse_line(raw, n))]
    if not numbered:
        raise SlmbenchError(f"{path}: texts file is empty")
    return numbered


def label_texts(
    texts: Path, docs: dict, teacher: Teacher, out_dir: Path, backend: Any = None
) -> LabelReport:
    """Label every text of `texts` (resuming from `out_dir/log.jsonl`), write the kept labels
    to `out_dir/labels.jsonl` and return the report. `docs`: schema id -> `SchemaDoc`.
    `backend`: anything with `generate(requests)` (default: `teacher.backend()`)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    log_path, labels_path = out_dir / LOG_FILE, out_dir / LABELS_FILE
    numbered = read_texts(texts)
    current = {n: d.text for n, d in numbered}
    done = {n: e for n, e in _read_log(log_path).items() if current.get(n) == e.get("text")}
    todo = [(n, d) for n, d in numbered if n not in done]
    if todo:
        backend = backend or teacher.backend()
        with log_path.open("a", encoding="utf-8") as log:
            for start in range(0, len(todo), BATCH):
                batch = todo[start : start + BATCH]
                for entry in _label_batch(batch, docs, backend, teacher.max_new_tokens):
                    log.write(json.dumps(entry, ensure_ascii=False) + "\n")
                    done[entry["line"]] = entry
                log.flush()
    report = LabelReport(labels_path, log_path, texts=len(numbered))
    kept = []
    for line in sorted(n for n, _ in numbered):
        entry = done[line]
        if entry["status"] == "kept":
            kept.append({k: entry[k] for k in ("id", "schema_id", "text", "output")})
        else:
            report.rejected.append({k: entry[k] for k in ("line", "id", "reason")})
    report.kept = len(kept)
    tmp = labels_path.with_name(labels_path.name + ".partial")
    tmp.write_text("".join(json.dumps(k, ensure_ascii=False) + "\n" for k in kept), "utf-8")
    os.replace(tmp, labels_path)
    return report


def _read_log(path: Path) -> dict[int, dict]:
    """The entries an earlier run wrote, by line (a torn last line is cut off)."""
    if not path.is_file():
        return {}
    data = path.read_bytes()
    keep = data[: data.rfind(b"\n") + 1]
    if len(keep) != len(data):
        path.write_bytes(keep)
    entries = {}
    for raw in keep.splitlines():
        try:
            entry = json.loads(raw)
            entries[int(entry["line"])] = entry
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            raise SlmbenchError(f"{path}: not a teacher log; delete it to label again") from None
    return entries


def _label_batch(
    batch: list[tuple[int, Any]], docs: dict, backend: Any, max_new_tokens: int
) -> list[dict]:
    from slmbench.models.base import GenerationRequest
    from slmbench.prompts import teacher_messages

    entries: list[dict | None] = []
    asked: list[tuple[int, Any, Any]] = []
    requests = []
    for line, document in batch:
        base = {"line": line, "id": _id_of(document, line), "text": document.text}
        doc, reason = _schema_of(document, docs)
        if reason is not None:
            entries.append({**base, "schema_id": document.schema_id, "status": "rejected",
                            "reason": reason})  # fmt: skip
            continue
        messages = teacher_messages(document.text, doc.root)
        requests.append(
            GenerationRequest(
                prompt=messages[-1]["content"],
                max_new_tokens=max_new_tokens,
                schema=doc.root,
                messages=messages,
            )
        )
        asked.append((len(entries), base, doc))
        entries.append(None)
    generations = backend.generate(requests) if requests else []
    for (position, base, doc), generation in zip(asked, generations, strict=True):
        entries[position] = {**base, "schema_id": doc.schema_id, **judge(generation, doc, base)}
    return entries  # type: ignore[return-value]


def _id_of(document: Any, line: int) -> Any:
    return document.id if document.id != line else f"text-{line}"


def _schema_of(document: Any, docs: dict) -> tuple[Any, str | None]:
    if document.error is not None:
        return None, document.error.split(": ", 1)[-1]
    if document.schema_id is None:
        if len(docs) == 1:
            return next(iter(docs.values())), None
        return None, f"several schemas ({', '.join(sorted(docs))}): give the row a schema_id"
    if document.schema_id not in docs:
        return None, f"unknown schema_id {document.schema_id!r} (known: {', '.join(sorted(docs))})"
    return docs[document.schema_id], None


def judge(generation: Any, doc: Any, base: dict) -> dict:
    """`{"status": "kept", "output"}` or `{"status": "rejected", "reason"}` for one label."""
    from slmbench.data.synth.templates import make_template
    from slmbench.eval.parsing import parse_output

    parsed = parse_output(generation.text)
    if not parsed.ok or parsed.path != "strict" or not isinstance(parsed.value, dict):
        cut = " (it reached the token budget)" if getattr(generation, "hit_limit", False) else ""
        return {"status": "rejected", "reason": f"not one JSON object{cut}",
                "raw_output": generation.text[:2000]}  # fmt: skip
    gold = parsed.value
    errors = sorted(doc.validator().iter_errors(gold), key=lambda e: list(map(str, e.path)))
    if errors:
        where = "/" + "/".join(str(p) for p in errors[0].absolute_path)
        reason = f"does not match the schema at {where}: {errors[0].message[:160]}"
        return {"status": "rejected", "reason": reason, "output": gold}
    template = make_template(doc, gold, base["text"], f"teacher:{base['line']}")
    if not template.slots:
        reason = "none of its values is in the text"
        return {"status": "rejected", "reason": reason, "output": gold}
    return {"status": "kept", "output": gold}


def merged_examples(examples: Path | None, labels: Path, out: Path) -> Path:
    """One examples file: the user's examples, then the teacher's kept labels."""
    parts = [Path(examples).read_text(encoding="utf-8")] if examples else []
    parts = [p if p.endswith("\n") or not p else p + "\n" for p in parts]
    parts.append(labels.read_text(encoding="utf-8"))
    tmp = out.with_name(out.name + ".partial")
    tmp.write_text("".join(parts), encoding="utf-8")
    os.replace(tmp, out)
    return out


def check_teacher_inputs(texts: Path | None, url: str | None) -> None:
    if (texts is None) != (url is None):
        given, missing = ("--texts", "--teacher-url") if texts else ("--teacher-url", "--texts")
        raise SlmbenchError(f"{given} needs {missing} (the texts and the teacher that labels them)")
    if texts is not None and not Path(texts).is_file():
        raise SlmbenchError(f"{texts}: texts file not found")


# --- `slmbench data synth` -------------------------------------------------------------------


@dataclass(kw_only=True)
class SynthCommand(SynthOptions):
    """`slmbench data synth`, with a teacher that labels unlabelled texts into examples."""

    texts: Path | None = option(None, metavar="FILE")
    """Unlabelled texts (JSONL with `text`, or plain lines) for the teacher to label; its kept
    labels become examples (OUT/teacher/: log.jsonl, labels.jsonl, examples.jsonl)."""
    teacher_url: str | None = option(None, metavar="URL")
    """The teacher: an OpenAI-compatible server (e.g. http://127.0.0.1:8000)."""
    teacher_model: str | None = option(None, metavar="NAME")
    """The server's model name (default: the first one it serves)."""


def run_synth_command(options: SynthCommand) -> int:
    from dataclasses import fields

    from slmbench.data.cli import run_synth
    from slmbench.data.synth.build import load_docs

    check_teacher_inputs(options.texts, options.teacher_url)
    synth_options = SynthOptions(**{f.name: getattr(options, f.name) for f in fields(SynthOptions)})
    if options.texts is not None:
        docs = load_docs(options.schema)
        folder = Path(options.out) / TEACHER_DIR
        teacher = Teacher(str(options.teacher_url), options.teacher_model)
        report = label_texts(options.texts, docs, teacher, folder)
        print("\n".join(report.lines(options.texts)))
        (folder / "report.json").write_text(json.dumps(report.summary(), indent=2) + "\n")
        if not report.kept and options.examples is None:
            raise SlmbenchError(
                f"{options.texts}: the teacher's labels of none of the texts were kept "
                f"(why, per line: {report.log})"
            )
        synth_options.examples = merged_examples(
            options.examples, report.labels, folder / EXAMPLES_FILE
        )
    return run_synth(synth_options)


SYNTH = Command(
    "synth",
    SynthCommand,
    run_synth_command,
    "rows for any JSON Schema, optionally from examples or a teacher's labels of texts",
)


def register(sub: argparse._SubParsersAction) -> None:
    """`slmbench data synth` lives here, above `data`: it may call a model, as a teacher."""
    add_to_group(sub, "data", [SYNTH])
