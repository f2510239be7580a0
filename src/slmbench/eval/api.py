"""The eval stage's Python API: `evaluate`, `bench` and `compare`, each taking its options
dataclass. `slmbench eval`, `slmbench bench` and `slmbench compare` are generated from these
dataclasses (`slmbench.options`) and call these functions. Nothing heavy is imported until one
runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slmbench.models.base import (
    BACKEND_NAMES,
    CONSTRAINED_MODES,
    DEVICE_NAMES,
    DTYPE_NAMES,
    GRAMMAR_ENGINES,
)
from slmbench.models.openai_dialects import SERVER_DIALECT_CHOICES
from slmbench.options import check_choices, option
from slmbench.prompts import PROMPT_STYLES
from slmbench.tasks.registry import TASK_NAMES, TASK_READER_OPTIONS

DEFAULT_MAX_NEW_TOKENS = 1024
DEFAULT_BATCH_SIZE = 8
DEFAULT_BENCH_ROWS = 16


@dataclass(kw_only=True)
class ModelOptions:
    """Which model to run, on which backend, with which prompt and decoding: the options that
    eval and bench share."""

    model: str | None = None
    """Registered name, model folder, full fine-tune run, hub id, or GGUF file (llamacpp);
    optional with an --adapter whose train recipe names its base model."""
    adapter: str | None = None
    """PEFT adapter folder or `slmbench train` run folder."""
    backend: str = option("transformers", choices=BACKEND_NAMES)
    """Generation backend."""
    base_url: str | None = None
    """Server URL (openai backend)."""
    dtype: str | None = option(None, choices=DTYPE_NAMES)
    """Weights dtype (backend default); int8-dynamic: torch's dynamic int8 on the CPU, about 2x
    faster but inaccurate on SmolLM2."""
    device: str | None = option(None, choices=DEVICE_NAMES)
    """Device (transformers backend; default: cpu)."""
    threads: int | None = None
    """CPU threads (default: all available cores)."""
    constrained: str | None = option(None, choices=CONSTRAINED_MODES, const="strict")
    """Schema-constrained decoding (bare flag: strict)."""
    grammar_engine: str | None = option(None, choices=GRAMMAR_ENGINES)
    """How the llamacpp backend constrains: llguidance (default: the transformers backend's
    grammar and closing mode, batched) or llama.cpp (its own GBNF grammar, one row at a time, as
    llama-cpp-python's server decodes)."""
    prompt_style: str | None = option(None, aliases=["--prompt"], choices=PROMPT_STYLES)
    """Prompt style (default: the adapter's train recipe's, else chat)."""
    schemas: str | None = None
    """Schema folder (default: the packaged EdgeJSON schemas). For rows of the original EdgeJSON
    v3 training split (the v3 paper's rows and 25 schemas, Apache-2.0, in `../shared/edgejson_v3`
    beside the checkout): `../shared/edgejson_v3/schemas`."""
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS
    """Cap on the per-row token budget ceil(1.5 * gold tokens) + 16."""
    tokenizer: str | None = None
    """HF tokenizer folder of the model (openai backend: also a registered name or hub id): the
    openai backend counts token budgets with it, as a local run does (default: estimated from
    characters); the llamacpp backend formats prompts with it."""
    server_dialect: str | None = option(None, choices=SERVER_DIALECT_CHOICES)
    """How the server takes a JSON Schema (openai backend): openai `response_format` json_schema
    (OpenAI, vLLM, llama-server, Ollama), llama-cpp-python `json_object` + schema, vllm
    `guided_json`; auto (default) probes the server once, and results.json records the dialect
    used (model.backend_info.server_dialect)."""
    timeout_s: float | None = None
    """Deadline of one request in seconds, from connecting to its last token (openai backend;
    default 300)."""
    retries: int | None = None
    """Further attempts, with backoff, after a connection error or HTTP 429/503 (openai backend;
    default 4)."""

    def backend_options(self) -> dict[str, Any]:
        """The keyword arguments of `slmbench.models.registry.load_backend` these options give
        (model and adapter apart: eval may resolve them from a train run first)."""
        names = ("dtype", "device", "threads", "base_url", "constrained", "tokenizer")
        names += ("server_dialect", "timeout_s", "retries", "grammar_engine")
        return {name: getattr(self, name) for name in names}


@dataclass(kw_only=True)
class TaskDataOptions:
    """Which task's reader reads --data, with its reader flags: the options that eval and
    bench share."""

    task: str | None = option(None, choices=TASK_NAMES)
    """The benchmark task of --data (default: the --adapter's train run's task, else edgejson)."""
    labels: str | None = None
    """edgeintent: the label set, a JSON list (default: labels.json or categories.json beside
    --data, else the labels found in it)."""
    answers: str | None = None
    """edgefunccall: the possible-answer file (default: possible_answer/<same name> beside
    --data, as BFCL lays them out)."""
    category: str | None = None
    """edgefunccall: the BFCL category of --data (default: from its file name)."""

    def reader_options(self) -> dict[str, Any]:
        """The task reader's options that were given (`slmbench.tasks.TASK_READER_OPTIONS`)."""
        given = {name: getattr(self, name) for name in TASK_READER_OPTIONS}
        return {name: value for name, value in given.items() if value is not None}


@dataclass(kw_only=True)
class EvalOptions(TaskDataOptions, ModelOptions):
    """Everything `slmbench eval` takes."""

    data: str
    """Dataset with gold answers: JSONL (edgejson, edgeintent), a BANKING77 CSV (edgeintent),
    a BFCL question file (edgefunccall)."""
    out: str
    """Run folder to create or resume."""
    name: str | None = None
    """The run's name, recorded in run_config.json and results.json (default: the name already
    recorded in --out, else the folder's basename); not part of what a resumed run must match."""
    limit: int | None = None
    """Evaluate only the first N rows."""
    ids: str | None = None
    """Evaluate only these row ids: a JSON list, or a train run's val_ids.json."""
    batch_size: int = DEFAULT_BATCH_SIZE
    """Prompts per batch."""
    concurrency: int | None = None
    """Requests in flight at once (openai backend; default 1), so that a server that batches is
    used as one; batches hold at least this many rows."""
    progress: bool = True
    """Show a progress bar."""


@dataclass(kw_only=True)
class BenchOptions(TaskDataOptions, ModelOptions):
    """Everything `slmbench bench` takes."""

    out: str
    """JSON file to write."""
    rows: int = DEFAULT_BENCH_ROWS
    """Rows to time, from the start of --data (--spread: evenly spaced over it)."""
    spread: bool = False
    """Time --rows rows evenly spaced over --data rather than its first ones (for files sorted
    by label, as BANKING77's are)."""
    data: str | None = None
    """Dataset with gold answers, read as `slmbench eval` reads it for --task (default, edgejson
    only: the generated test split, seed 0)."""
    markdown: str | None = None
    """Append a row for this configuration to this Markdown file."""


@dataclass(kw_only=True)
class CompareOptions:
    """Everything `slmbench compare` takes."""

    run_a: str = option(positional=True)
    """The first eval run folder (A)."""
    run_b: str = option(positional=True)
    """The second eval run folder (B); deltas are B - A."""
    force: bool = False
    """Compare even if the datasets' sha256 differ."""


def evaluate(
    options: EvalOptions,
    backend_factory: Callable[..., Any] | None = None,
    echo: Callable[[str], None] = print,
) -> dict:
    """Evaluate a model on a dataset into the run folder `options.out` (resuming it if it
    holds the same run); returns the run's results.json (`slmbench.results_contract`)."""
    from slmbench.eval.runner import run_eval

    check_choices(options)
    return run_eval(options, backend_factory=backend_factory, echo=echo)


def bench(
    options: BenchOptions,
    backend_factory: Callable[..., Any] | None = None,
    echo: Callable[[str], None] = print,
) -> dict:
    """Batch-1 latency of one model configuration; writes and returns the bench JSON."""
    from slmbench.eval.bench import run_bench

    check_choices(options)
    return run_bench(options, backend_factory=backend_factory, echo=echo)


def compare(options: CompareOptions) -> dict:
    """The paired comparison (McNemar, per-tier deltas) of two eval runs."""
    from slmbench.eval.compare import compare_runs

    return compare_runs(options.run_a, options.run_b, force=options.force)
