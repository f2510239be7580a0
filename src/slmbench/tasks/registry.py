"""The task registry: what each benchmark task brings to the shared pipeline.

Every task is "text -> JSON under a schema": one prompt module (`slmbench.prompts`), one eval
loop, constrained decoding under each row's schema and LoRA training on prompt/completion serve
them all. A task adds only its readers, its instruction text (in `slmbench.prompts`), the schema
of each row and its metrics. The registry names them as "module:function" strings, imported
only when used (`TaskSpec.load`), so that this package imports no stage.

The functions a spec names:
- `reader(path, *, schemas=None, require_gold=True, **options) -> (rows, schemas)`: rows are
  `slmbench.data.rows.Row`s, `schemas` maps every `row.schema_id` to a
  `slmbench.data.schemas.SchemaInfo` (per-row schemas: each row may have its own id). `schemas`
  is the `--schemas` path; `options` are the task's reader flags that were given (`labels`,
  `answers`, `category`; `TASK_READER_OPTIONS`); a reader ignores the ones it does not know.
- `scorer(predictions, rows) -> metrics`: the `metrics` of results.json, laid out
  `{"overall": {metric: {"value", "ci_low", "ci_high"}}, "<breakdown>": {...}, ...}`;
  `predictions` are the run's `predictions.jsonl` rows (in the order of `rows`).
- `row_scorer(prediction, row) -> dict` (optional): task fields added to each
  `predictions.jsonl` row (e.g. `correct`, `predicted`, an error class).
- `builder(options: slmbench.data.api.BuildDataOptions) -> manifest` (optional): `data build`.
- `summary(results) -> str` (optional): the text printed at the end of `slmbench eval`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slmbench.errors import SlmbenchError

TASK_READER_OPTIONS = ("labels", "answers", "category")
"""Reader flags a task may take (eval/train/data build pass those given, as keyword arguments)."""


@dataclass(frozen=True)
class TaskSpec:
    """One benchmark task."""

    name: str
    """`edgejson`, `edgeintent` or `edgefunccall`."""
    reader: str
    """"module:function" reading a dataset file into (rows, schemas by id)."""
    scorer: str
    """"module:function" from (predictions, rows) to results.json's `metrics`."""
    breakdown: str
    """The metrics' breakdown key: `by_tier`, `by_label` or `by_category`."""
    headline_metric: str
    """The metric under `metrics.overall` that reports and claims lead with."""
    default_prompt_style: str
    """The prompt style of a zero-shot run (a trained model's comes from its recipe)."""
    description: str = ""
    """One line for --help and reports."""
    row_scorer: str | None = None
    """"module:function" adding task fields to each prediction row, or None."""
    builder: str | None = None
    """"module:function" behind `slmbench data build --task NAME`, or None."""
    summary: str | None = None
    """"module:function" rendering the end-of-eval summary, or None (EdgeJSON's table)."""

    def load(self, part: str) -> Callable[..., Any]:
        """The function a field names, imported now (`part`: reader, scorer, row_scorer,
        builder, summary); a task without it is a `SlmbenchError`."""
        ref = getattr(self, part)
        if not ref:
            raise SlmbenchError(f"task {self.name!r} has no {part.replace('_', ' ')}")
        return resolve(ref)


def resolve(ref: str) -> Callable[..., Any]:
    """The object a "module:function" string names.

    >>> resolve("slmbench.errors:SlmbenchError").__name__
    'SlmbenchError'
    """
    module_name, _, attr = ref.partition(":")
    if not attr:
        raise ValueError(f"expected 'module:function', got {ref!r}")
    return getattr(importlib.import_module(module_name), attr)


TASKS: dict[str, TaskSpec] = {
    spec.name: spec
    for spec in (
        TaskSpec(
            name="edgejson",
            reader="slmbench.data.api:read_edgejson",
            scorer="slmbench.eval.aggregate:edgejson_metrics",
            breakdown="by_tier",
            headline_metric="json_exact",
            default_prompt_style="chat",
            description="structured JSON extraction under 24 schemas (EdgeJSON)",
            builder="slmbench.data.api:build_edgejson",
        ),
        TaskSpec(
            name="edgeintent",
            reader="slmbench.data.intent:read_intents",
            scorer="slmbench.eval.intent_metrics:intent_metrics",
            breakdown="by_label",
            headline_metric="accuracy",
            default_prompt_style="chat-schema",
            description='intent detection, {"intent": <label>} (BANKING77)',
            row_scorer="slmbench.eval.intent_metrics:score_intent_row",
            builder="slmbench.data.intent:build_intent_data",
            summary="slmbench.eval.intent_metrics:intent_summary",
        ),
        TaskSpec(
            name="edgefunccall",
            reader="slmbench.data.bfcl:read_bfcl",
            scorer="slmbench.eval.funccall_scoring:funccall_metrics",
            breakdown="by_category",
            headline_metric="accuracy",
            default_prompt_style="chat-schema",
            description="function calling, a JSON list of calls (BFCL format)",
            row_scorer="slmbench.eval.funccall_scoring:score_funccall_row",
            builder="slmbench.data.funccall_gen:build_funccall_data",
            summary="slmbench.eval.funccall_scoring:funccall_summary",
        ),
    )
}
"""Every task by name, in --help order."""
TASK_NAMES = tuple(TASKS)


def get_task(name: str | None) -> TaskSpec:
    """The task of this name (None: `edgejson`, `slmbench.results_contract.DEFAULT_TASK`).

    >>> get_task("edgeintent").headline_metric
    'accuracy'
    >>> get_task("nope")
    Traceback (most recent call last):
    ...
    slmbench.errors.SlmbenchError: unknown task 'nope' (known: edgejson, edgeintent, edgefunccall)
    """
    from slmbench.results_contract import DEFAULT_TASK

    try:
        return TASKS[name or DEFAULT_TASK]
    except KeyError:
        raise SlmbenchError(f"unknown task {name!r} (known: {', '.join(TASKS)})") from None
