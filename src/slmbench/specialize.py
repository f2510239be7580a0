"""`slmbench specialize`: JSON Schemas and a few labelled examples in, a small extractor that
always returns valid JSON out (issue #18, section 2).

The steps, each recorded in OUT/specialize.json (`status`, `seconds`) as it completes:

1. `schemas`: the user's schemas copied to OUT/schemas/<id>.json; with 5 or more examples a
   fold of them is held out as OUT/examples-val.jsonl (row format, for eval) and the others go
   to OUT/examples-train.jsonl, the only ones the data engine makes templates of;
   `teacher` (with --texts and --teacher-url): a teacher model labels the texts
   (`slmbench.teacher`, into OUT/teacher/), and the labels that validate join the templates;
2. `plan`: rows and epochs aimed at a number of answer tokens per schema within the budget
   (`specialize_plan.py`), from the tokens per row of a small probe build, counted with the
   model's tokenizer, and this machine's known throughput (on a CPU, by the dtype its
   instructions train in); a warning, before training, when the budget cannot reach it;
3. `data`: `slmbench data synth` into OUT/data, then `slmbench data validate`; the built rows,
   tokenised as training encodes them, set `max_length` (the longest row, up to 4,096 tokens
   and the model's context: no row is cut below that) and the evals' max new tokens (the
   longest gold fits);
4. `train`: `slmbench train` into OUT/train (resumes on its own);
5. `eval-synthetic`, `eval-examples`: constrained `slmbench eval` of the adapter on
   OUT/data/test.jsonl and on OUT/examples-val.jsonl (resume on their own);
6. `export`: GGUF Q8_0 in OUT/gguf/ (skipped with a note when the base model cannot be
   exported); 7. `card`: OUT/model_card.md (`specialize_card.py`).

Rerunning resumes: complete steps are skipped. The inputs are checked before anything is
written, and specialize.json says `"status": "running"` until the last step is done.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slmbench.data.rows import file_sha256
from slmbench.errors import SlmbenchError
from slmbench.known_models import EMBEDDED_NAME
from slmbench.options import CallableModule, add_command, check_choices, option
from slmbench.specialize_steps import SPEC_FILE, SpecializeSteps
from slmbench.teacher import check_teacher_inputs

SCHEMA_VERSION = 1
SIZING_INPUTS = ("budget_minutes", "n", "epochs", "n_test", "device", "max_length")
"""Inputs that only size the plan: changing them is allowed until the plan step is complete."""


@dataclass(kw_only=True)
class SpecializeOptions:
    """Everything `slmbench specialize` takes."""

    schema: Path
    """A JSON Schema file, or a folder of them (the file stem is the schema id); several
    schemas make one model (the schema is in the prompt)."""
    out: Path
    """Folder to write (rerun the same command to resume): adapter, GGUF, schemas, evals, card."""
    examples: Path | None = None
    """Labelled examples (JSONL: `text`, `output`, plus `schema_id` with several schemas); with 5
    or more, a fifth is held out for evaluation and the rest become templates."""
    texts: Path | None = option(None, metavar="FILE")
    """Unlabelled texts (JSONL with `text`, or plain lines) for --teacher-url to label; the
    labels that validate become more templates (never held out). OUT/teacher/ keeps them, and
    why each other text was rejected."""
    teacher_url: str | None = option(None, metavar="URL")
    """The teacher: an OpenAI-compatible server (e.g. http://127.0.0.1:8000), asked for
    schema-constrained labels of --texts."""
    teacher_model: str | None = option(None, metavar="NAME")
    """The teacher server's model name (default: the first one it serves)."""
    model: str = EMBEDDED_NAME
    """Base model: registered name, model folder or hub id."""
    init_adapter: Path | None = option(None, metavar="DIR")
    """Start from this LoRA adapter (a train run or specialize folder, e.g. the EdgeJSON model
    of record) instead of a fresh one; its rank must match the `recommended` recipe's (16)."""
    budget_minutes: float = 30.0
    """Wall time to plan for (training gets 60% of it)."""
    seed: int = 0
    """Data, hold-out and training seed."""
    n: int | None = None
    """Training rows (default: sized from the budget)."""
    epochs: float | None = None
    """Training epochs (default: sized from the budget)."""
    n_test: int | None = None
    """Synthetic validation rows (default: sized from the budget)."""
    max_length: int | None = None
    """Longest training row in tokens (prompt + answer + end-of-sequence); longer rows are
    truncated (dropped when the prompt alone fills it), and counted. Default: the longest built
    row, rounded up to a multiple of 256, at most 4,096 and the model's context."""
    device: str | None = option(None, choices=("cpu", "cuda"))
    """Device the budget is planned for and eval runs on (default: cuda when available);
    training uses CUDA whenever it is available."""


def register(sub: argparse._SubParsersAction) -> None:
    add_command(
        sub,
        "specialize",
        SpecializeOptions,
        run_specialize,
        help="schema + a few examples -> a small fine-tuned extractor (data, train, eval, GGUF)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def run_specialize(options: SpecializeOptions) -> int:
    specialize(options)
    return 0


@dataclass
class Inputs:
    """The user's inputs, read and checked before anything is written."""

    docs: dict  # schema id -> slmbench.data.synth.schema_walk.SchemaDoc
    examples: list[tuple[int, dict]]
    """(line, object) of every example, in file order."""
    identity: dict[str, Any]


def read_inputs(opts: SpecializeOptions) -> Inputs:
    """Schemas and examples, checked (errors name the file, line and JSON path)."""
    from slmbench.data.rows import iter_jsonl
    from slmbench.data.synth.build import load_docs
    from slmbench.data.synth.examples import read_examples

    check_choices(opts)
    check_teacher_inputs(opts.texts, opts.teacher_url)
    if not opts.budget_minutes > 0:
        raise SlmbenchError(f"--budget-minutes {opts.budget_minutes}: must be positive")
    for name in ("n", "epochs", "n_test", "max_length"):
        value = getattr(opts, name)
        if value is not None and value <= 0:
            raise SlmbenchError(f"--{name.replace('_', '-')} {value}: must be positive")
    docs = load_docs(opts.schema)
    examples: list[tuple[int, dict]] = []
    if opts.examples is not None:
        read_examples(opts.examples, docs)  # every check of the data engine, on the user's file
        examples = list(iter_jsonl(opts.examples, "examples file"))
    identity = {
        "model": opts.model,
        "seed": opts.seed,
        "schemas": {s: file_sha256(d.path) for s, d in sorted(docs.items())},
        "examples_sha256": file_sha256(opts.examples) if opts.examples else None,
        "texts_sha256": file_sha256(opts.texts) if opts.texts else None,
        "teacher": [opts.teacher_url, opts.teacher_model] if opts.texts else None,
        "init_adapter": str(opts.init_adapter) if opts.init_adapter else None,
        **{name: getattr(opts, name) for name in SIZING_INPUTS},
    }
    return Inputs(docs, examples, identity)


class Record:
    """OUT/specialize.json: read, checked against the inputs, updated after every step."""

    def __init__(self, out: Path, opts: SpecializeOptions, inputs: Inputs):
        self.out, self.path = out, out / SPEC_FILE
        fresh = {
            "schema_version": SCHEMA_VERSION,
            "kind": "specialize",
            "name": out.resolve().name,
            "base_model": opts.model,
            "prompt_style": None,
            "schemas": {s: f"schemas/{s}.json" for s in sorted(inputs.docs)},
            "train_run": "train",
            "gguf": None,
            "evals": {"synthetic": "eval-synthetic", "examples": None},
            "budget_minutes": opts.budget_minutes,
            "tokens_per_s": None,
            "recipe": {},
            "status": "running",
            "created": None,
            "steps": {},
            "inputs": inputs.identity,
        }
        self.data = {}
        if self.path.is_file():
            try:
                self.data = json.loads(self.path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as e:
                raise SlmbenchError(f"{self.path}:{e.lineno}: invalid JSON ({e.msg})") from None
        if self.data:
            self._check(inputs.identity)
        else:
            from slmbench.provenance import now_iso

            self.data = {**fresh, "created": now_iso()}
        self.data.update(status="running", budget_minutes=opts.budget_minutes)
        self.data["inputs"] = inputs.identity

    def _check(self, identity: dict) -> None:
        old = self.data.get("inputs") or {}
        changed = [k for k in identity if old.get(k) != identity[k]]
        planned = self.done("plan")
        if [k for k in changed if planned or k not in SIZING_INPUTS]:
            raise SlmbenchError(
                f"{self.path}: this folder was made from other inputs ({', '.join(changed)} "
                "differ); give another --out, or delete the folder to start again"
            )

    def done(self, step: str) -> bool:
        return self.data["steps"].get(step, {}).get("status") in ("complete", "skipped")

    def write(self) -> None:
        from slmbench.provenance import write_json

        self.out.mkdir(parents=True, exist_ok=True)
        write_json(self.path, self.data)


def specialize(options: SpecializeOptions) -> Path:
    """Run (or resume) every step into `options.out`; returns that folder."""
    opts, out = options, Path(options.out)
    inputs = read_inputs(opts)
    record = Record(out, opts, inputs)
    record.write()
    work = SpecializeSteps(opts, out, inputs, record)
    steps = work.steps()
    for number, step in enumerate(steps, start=1):
        head = f"[{number}/{len(steps)}] {step.title}"
        if record.done(step.name):
            print(f"{head}: done before, skipped", flush=True)
            continue
        print(f"\n{head}", flush=True)
        record.data["steps"][step.name] = {"status": "running", "seconds": None}
        record.write()
        start = time.perf_counter()
        extra = step.run() or {}
        seconds = round(time.perf_counter() - start, 1)
        record.data["steps"][step.name] = {"status": "complete", "seconds": seconds, **extra}
        record.write()
        print(f"{head}: {record.data['steps'][step.name]['status']} in {seconds:.0f} s")
    record.data["status"] = "complete"
    record.write()
    print(f"\nAll done: {out} (use it with `slmbench extract {out} --input FILE`)")
    return out


class _SpecializeModule(CallableModule):
    def __call__(self, options: SpecializeOptions) -> Path:
        """Run a specialize job: `slmbench.specialize.specialize`."""
        return specialize(options)


sys.modules[__name__].__class__ = _SpecializeModule
