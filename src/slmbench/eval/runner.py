"""The eval loop: rows -> prompts -> length-sorted batches -> backend -> scored predictions,
appended per batch to `RUN_DIR/predictions.jsonl` (so that rerunning resumes), then
`results.json` with intervals, errors, latency and provenance."""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slmbench.data.rows import Row, file_sha256
from slmbench.data.schemas import SchemaInfo
from slmbench.errors import DataError, SlmbenchError
from slmbench.eval.api import EvalOptions
from slmbench.eval.results import PREDICTIONS, RUN_CONFIG, check_run_config, read_predictions
from slmbench.eval.scoring import score_output
from slmbench.eval.summary import build_results, print_summary
from slmbench.prompts import PROMPT_STYLES, format_answer, request_prompt
from slmbench.provenance import write_json
from slmbench.results_contract import DEFAULT_TASK
from slmbench.tasks import get_task

ANSWER_TOKEN_FACTOR = 1.5
ANSWER_TOKEN_MARGIN = 16
CHARS_PER_TOKEN_ESTIMATE = 3
"""Without a tokenizer (remote backends) gold answers are counted as ceil(chars / 3) tokens."""
GRAMMAR_BACKENDS = ("transformers", "llamacpp")
"""The backends whose constrained decoding compiles `slmbench.constrain.grammar` (llguidance;
the llamacpp backend unless its grammar engine is llama.cpp's), hence whose rows may decode
under a relaxed grammar (`grammar_relaxations`)."""


@dataclass
class Example:
    row: Row
    schema: SchemaInfo
    prompt: str
    messages: list[dict] | None
    prompt_length: int
    max_new_tokens: int


BackendFactory = Callable[[EvalOptions, str, str | None], Any]


def max_new_tokens_for(answer_tokens: int, cap: int) -> int:
    """The generation budget of one example, from its gold answer's length.

    >>> max_new_tokens_for(100, 1024), max_new_tokens_for(2000, 1024)
    (166, 1024)
    """
    return min(cap, math.ceil(ANSWER_TOKEN_FACTOR * answer_tokens) + ANSWER_TOKEN_MARGIN)


def example_budget(gold: Any, answer_tokens: int, cap: int) -> int:
    """The budget of one row: from its gold's length, except where the gold says nothing about
    the length of a wrong answer. A row without gold (BFCL relevance: any call is right) and a
    row whose right answer is no call (`[]`, irrelevance) get the cap: a budget of 19 tokens would
    cut a wrong call short, leave it unparseable, and count it as no call.

    >>> example_budget({"a": 1}, 100, 1024), example_budget([], 2, 1024)
    (166, 1024)
    >>> example_budget(None, 0, 512)
    512
    """
    if gold is None or gold == []:
        return cap
    return max_new_tokens_for(answer_tokens, cap)


def token_policy(cap: int, has_tokenizer: bool) -> str:
    counted = (
        "tokens of the formatted gold answer (model tokenizer)"
        if has_tokenizer
        else f"ceil(chars / {CHARS_PER_TOKEN_ESTIMATE}) of the formatted gold answer (no tokenizer)"
    )
    return (
        f"per example: min({cap}, ceil({ANSWER_TOKEN_FACTOR} * gold_tokens) + "
        f"{ANSWER_TOKEN_MARGIN}), gold_tokens = {counted}; {cap} for a row without gold or "
        "whose gold is no call ([]); greedy, stop at the first "
        "complete JSON value or end of sequence"
    )


def schemas_sha256(schemas: dict[str, SchemaInfo]) -> str:
    """A hash of the schema set (ids, tiers, contents), independent of file formatting."""
    canonical = json.dumps(
        {sid: [info.tier, info.schema] for sid, info in sorted(schemas.items())}, sort_keys=True
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def run_eval(
    opts: EvalOptions,
    backend_factory: BackendFactory | None = None,
    echo: Callable[[str], None] = print,
) -> dict:
    """Evaluate, resuming from `opts.out` if it holds the same run; returns results.json."""
    _check_numbers(opts)
    adapter_dir, recipe = _resolve_adapter(opts.adapter)
    model = opts.model or _base_model(adapter_dir, recipe)
    if recipe is None and adapter_dir is None:
        recipe = _model_recipe(model)
    task = get_task(task_name(opts.task, recipe))
    style, style_source = _prompt_style(opts.prompt_style, recipe, task.default_prompt_style)

    rows, schemas = task.load("reader")(opts.data, schemas=opts.schemas, **opts.reader_options())
    selection_sha = None
    if opts.ids:
        rows, selection_sha = select_ids(rows, opts.ids, opts.data)
    if opts.limit:
        rows = rows[: opts.limit]
    run_dir = Path(opts.out)
    config = {
        "name": opts.name,
        "task": task.name,
        "model": model,
        "adapter": str(adapter_dir) if adapter_dir else None,
        "backend": opts.backend,
        "base_url": opts.base_url,
        "data": str(opts.data),
        "data_sha256": file_sha256(opts.data),
        "schemas": schemas_source(opts.schemas, schemas, task.name),
        "schemas_sha256": schemas_sha256(schemas),
        "prompt_style": style,
        "prompt_style_source": style_source,
        "constrained": opts.constrained,
        "grammar_engine": grammar_engine(opts),
        "max_new_tokens": opts.max_new_tokens,
        "dtype": opts.dtype,
        "device": opts.device,
        "threads": opts.threads,
        "batch_size": opts.batch_size,
        "tokenizer": opts.tokenizer,
        "server_dialect": opts.server_dialect,
        "concurrency": opts.concurrency,
        "limit": opts.limit,
        "ids": opts.ids,
        "selection_sha256": selection_sha,
        **opts.reader_options(),
    }
    recorded = check_run_config(run_dir, config)  # before loading a model: fail fast
    config["name"] = run_name(opts.name, recorded, run_dir)

    backend = (backend_factory or _load_backend)(opts, model, config["adapter"])
    tokenizer = getattr(backend, "tokenizer", None)
    config["max_new_tokens_policy"] = token_policy(opts.max_new_tokens, tokenizer is not None)
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json(run_dir / RUN_CONFIG, config)

    examples = build_examples(rows, schemas, style, tokenizer, opts.max_new_tokens, task.name)
    predictions_path = run_dir / PREDICTIONS
    done = {p["id"] for p in read_predictions(predictions_path, repair=True)}
    todo = [ex for ex in examples if ex.row.id not in done]
    if done:
        echo(f"resuming {run_dir}: {len(examples) - len(todo)} of {len(examples)} done")

    session_start = time.perf_counter()
    if todo:
        row_scorer = task.load("row_scorer") if task.row_scorer else None
        _generate_all(backend, todo, opts, predictions_path, len(examples) - len(todo), row_scorer)
    session_wall = time.perf_counter() - session_start

    wanted = {ex.row.id for ex in examples}
    by_id: dict[str, dict] = {}
    for p in read_predictions(predictions_path):
        if p["id"] in wanted:
            by_id.setdefault(p["id"], p)  # the first prediction of an id counts
    predictions = list(by_id.values())
    missing = wanted - by_id.keys()
    if missing:
        raise SlmbenchError(f"{len(missing)} examples have no prediction; rerun to resume")
    rows_by_id = {row.id: row for row in rows}
    metrics = task.load("scorer")(predictions, [rows_by_id[p["id"]] for p in predictions])
    results = build_results(
        config=config,
        predictions=predictions,
        backend_info=_backend_info(backend),
        trained_from=recipe,
        session_wall_s=session_wall,
        grammar_relaxations=grammar_relaxations(predictions, schemas, opts.backend, config),
        metrics=metrics,
    )
    write_json(run_dir / "results.json", results)
    if task.summary:
        echo(task.load("summary")(results))
    else:
        print_summary(results, echo=echo)
    echo(f"wrote {run_dir / 'results.json'}")
    return results


def task_name(requested: str | None, recipe: dict | None) -> str:
    """The task of a run: --task, else the train recipe's (runs of tasks other than edgejson
    record theirs), else `DEFAULT_TASK`.

    >>> task_name(None, {"task": "edgeintent"}), task_name("edgejson", {"task": "edgeintent"})
    ('edgeintent', 'edgejson')
    >>> task_name(None, None)
    'edgejson'
    """
    return requested or (recipe or {}).get("task") or DEFAULT_TASK


def schemas_source(requested: str | None, schemas: dict[str, SchemaInfo], task: str) -> str:
    """Where the run's schemas came from, for run_config.json: --schemas, else EdgeJSON's
    packaged schemas, else the file the task's reader took them from (or how many per-row
    schemas it built)."""
    if requested:
        return str(requested)
    if task == DEFAULT_TASK:
        return "packaged"
    paths = {str(info.path) for info in schemas.values()}
    return paths.pop() if len(paths) == 1 else f"per row ({len(schemas)} schemas)"


def run_name(requested: str | None, recorded: dict | None, run_dir: Path) -> str:
    """The run's name: `--name`, else the one recorded by an earlier session, else the
    folder's basename. Not part of the run's identity: naming a run resumes it.

    >>> run_name(None, {"name": "zeroshot-chat"}, Path("runs/x")), run_name(None, None, Path("x"))
    ('zeroshot-chat', 'x')
    """
    if requested is not None:
        if not requested.strip() or "\n" in requested:
            raise SlmbenchError(f"--name {requested!r}: give a non-empty one-line name")
        return requested
    return (recorded or {}).get("name") or run_dir.resolve().name


def select_ids(rows: list, ids_path: str, data_path: str) -> tuple[list, str]:
    """Keep the rows whose id is listed in `ids_path` (a JSON list, or an object with `ids`
    such as a train run's val_ids.json): how a held-out part of a file is evaluated without
    copying it. Returns the rows and a sha256 naming the selection (file hash + ids)."""
    path = Path(ids_path)
    if not path.is_file():
        raise SlmbenchError(f"ids file not found: {path}")
    try:
        listed = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise DataError(f"not valid JSON: {e.msg}", str(path), e.lineno) from None
    if isinstance(listed, dict):
        listed = listed.get("ids")
    if not isinstance(listed, list) or not listed:
        raise DataError(
            "expected a non-empty JSON list of ids (or an object with 'ids')", str(path)
        )
    wanted = set(map(str, listed))
    kept = [row for row in rows if row.id in wanted]
    missing = wanted - {row.id for row in kept}
    if missing:
        raise DataError(
            f"{len(missing)} listed ids are not in {data_path}, e.g. {min(missing)!r}", str(path)
        )
    digest = hashlib.sha256((file_sha256(data_path) + "\n" + "\n".join(sorted(wanted))).encode())
    return kept, digest.hexdigest()


def grammar_engine(opts: EvalOptions) -> str | None:
    """The llamacpp backend's constraint engine for a constrained run (None otherwise): part of
    what a run predicts, so a run folder holds one.

    >>> grammar_engine(EvalOptions(data="d", out="o", backend="llamacpp", constrained="strict"))
    'llguidance'
    >>> grammar_engine(EvalOptions(data="d", out="o", constrained="strict")) is None
    True
    """
    if opts.backend != "llamacpp" or not opts.constrained:
        return None
    from slmbench.models.base import GRAMMAR_ENGINES

    return opts.grammar_engine or GRAMMAR_ENGINES[0]


def grammar_relaxations(
    predictions: list[dict],
    schemas: dict[str, SchemaInfo],
    backend: str,
    config: dict | None = None,
) -> dict[str, list[dict[str, str]]]:
    """Per schema id, what the decoding grammar left out of the schema, for the schemas of
    rows decoded under the llguidance grammar (status `on`); the same decision the grammar
    makes (`slmbench.constrain.schema_check.grammar_schema`, default bounds)."""
    decoded = sorted({p["schema_id"] for p in predictions if p["constrained"] == "on"})
    llama_grammar = (config or {}).get("grammar_engine") == "llama.cpp"
    if backend not in GRAMMAR_BACKENDS or llama_grammar or not decoded:
        return {}
    from dataclasses import asdict

    from slmbench.constrain.schema_check import grammar_schema

    found = {sid: grammar_schema(schemas[sid].schema)[1] for sid in decoded}
    return {sid: [asdict(r) for r in done] for sid, done in found.items() if done}


def _check_numbers(opts: EvalOptions) -> None:
    for name in ("batch_size", "max_new_tokens", "limit", "threads"):
        value = getattr(opts, name)
        if value is not None and value < 1:
            raise SlmbenchError(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    if opts.prompt_style is not None and opts.prompt_style not in PROMPT_STYLES:
        raise SlmbenchError(
            f"unknown prompt style {opts.prompt_style!r} (known: {', '.join(PROMPT_STYLES)})"
        )


def _resolve_adapter(adapter: str | None) -> tuple[Path | None, dict | None]:
    if not adapter:
        return None, None
    from slmbench.models.registry import resolve_adapter

    return resolve_adapter(adapter)


def _base_model(adapter_dir: Path | None, recipe: dict | None) -> str:
    if adapter_dir is None:
        raise SlmbenchError("no model given: pass --model (or --adapter of a train run)")
    from slmbench.models.registry import adapter_base_model

    return adapter_base_model(adapter_dir, recipe)


def _model_recipe(model: str) -> dict | None:
    """The train recipe behind a model given as --model: a full fine-tune's run folder (RUN or
    RUN/model), or a GGUF written by `slmbench export` (which stores the recipe in it)."""
    from slmbench.models.registry import model_recipe

    return model_recipe(model)


def _prompt_style(requested: str | None, recipe: dict | None, default: str) -> tuple[str, str]:
    """The prompt style and where it came from: --prompt-style (recorded as "--prompt", its
    old name, as in earlier results), else the train recipe's, else the task's zero-shot
    default."""
    if requested:
        return requested, "--prompt"
    trained = (recipe or {}).get("prompt_style")
    if trained:
        if trained not in PROMPT_STYLES:
            raise SlmbenchError(f"train recipe names unknown prompt style {trained!r}")
        return trained, "train recipe"
    return default, "default"


def _load_backend(opts: EvalOptions, model: str, adapter: str | None) -> Any:
    from slmbench.models.registry import load_backend

    options = {**opts.backend_options(), "concurrency": opts.concurrency}
    return load_backend(opts.backend, model, adapter=adapter, **options)


def _backend_info(backend: Any) -> dict:
    info = getattr(backend, "info", None)
    return dict(info()) if callable(info) else {}


def build_examples(
    rows: list[Row],
    schemas: dict[str, SchemaInfo],
    style: str,
    tokenizer: Any,
    cap: int,
    task: str = DEFAULT_TASK,
) -> list[Example]:
    """Prompts (only via `slmbench.prompts`), prompt lengths and token budgets of rows.
    Without a tokenizer, chat styles go to the backend as messages."""
    prompts, all_messages = [], []
    for row in rows:
        schema = schemas[row.schema_id].schema
        prompt, messages = request_prompt(row.prompt, style, tokenizer, schema, task)
        prompts.append(prompt)
        all_messages.append(messages)
    answers = [format_answer(row.expected_output) for row in rows]
    if tokenizer is not None:
        prompt_lengths = _token_counts(tokenizer, prompts)
        answer_tokens = _token_counts(tokenizer, answers)
    else:
        prompt_lengths = [len(p) for p in prompts]
        answer_tokens = [math.ceil(len(a) / CHARS_PER_TOKEN_ESTIMATE) for a in answers]
    return [
        Example(
            row=row,
            schema=schemas[row.schema_id],
            prompt=prompt,
            messages=messages,
            prompt_length=length,
            max_new_tokens=example_budget(row.expected_output, tokens, cap),
        )
        for row, prompt, messages, length, tokens in zip(
            rows, prompts, all_messages, prompt_lengths, answer_tokens, strict=True
        )
    ]


def _token_counts(tokenizer: Any, texts: list[str]) -> list[int]:
    encoded = tokenizer(texts, add_special_tokens=False)["input_ids"]
    return [len(ids) for ids in encoded]


def length_sorted_batches(examples: list[Example], batch_size: int) -> list[list[Example]]:
    """Batches of similar prompt length (longest first, ties by id: deterministic), so that
    padding is small and the slowest batches come first (memory peak known early)."""
    ordered = sorted(examples, key=lambda ex: (-ex.prompt_length, ex.row.id))
    return [ordered[i : i + batch_size] for i in range(0, len(ordered), batch_size)]


def _generate_all(
    backend: Any,
    todo: list[Example],
    opts: EvalOptions,
    path: Path,
    already_done: int,
    row_scorer: Callable[..., dict] | None = None,
) -> None:
    from tqdm import tqdm

    from slmbench.models.base import GenerationRequest

    warmup = getattr(backend, "warmup", None)
    if callable(warmup):
        warmup()
    total = already_done + len(todo)
    with (
        tqdm(
            total=total, initial=already_done, unit="ex", desc="eval", disable=not opts.progress
        ) as bar,
        path.open("a", encoding="utf-8") as out,
    ):
        # Every request of a batch can be in flight at once (openai backend's --concurrency).
        for batch in length_sorted_batches(todo, max(opts.batch_size, opts.concurrency or 1)):
            requests = [
                GenerationRequest(
                    prompt=ex.prompt,
                    max_new_tokens=ex.max_new_tokens,
                    schema=ex.schema.schema if opts.constrained else None,
                    stop_at_json=True,
                    messages=ex.messages,
                )
                for ex in batch
            ]
            started = time.perf_counter()
            generations = backend.generate(requests)
            batch_wall = time.perf_counter() - started
            if len(generations) != len(batch):
                raise RuntimeError(
                    f"backend returned {len(generations)} generations for {len(batch)} prompts"
                )
            for ex, gen in zip(batch, generations, strict=True):
                row = prediction_row(ex, gen, opts.constrained, batch_wall / len(batch), row_scorer)
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
            out.flush()
            bar.update(len(batch))


def prediction_row(
    ex: Example,
    gen: Any,
    constrained: str | None,
    wall_share_s: float,
    row_scorer: Callable[..., dict] | None = None,
) -> dict:
    """One `predictions.jsonl` line (fields of the saved-run contract, plus the token budget,
    this example's share of its batch's wall time and the task's own fields, `row_scorer`)."""
    scores = score_output(gen.text, ex.row.expected_output, ex.schema.validator(), gen.hit_limit)
    meta = gen.meta or {}
    row = {
        "id": ex.row.id,
        "schema_id": ex.row.schema_id,
        "complexity": ex.row.complexity,
        "raw_output": gen.text,
        **scores,
        "prompt_tokens": gen.prompt_tokens,
        "generated_tokens": gen.generated_tokens,
        "ttft_ms": round(gen.ttft_s * 1000, 3),
        "total_ms": round(gen.total_s * 1000, 3),
        "decode_tok_s": round(gen.decode_tokens_per_s, 3),
        "hit_limit": bool(gen.hit_limit),
        "constrained": meta.get("constrained") or ("on" if constrained else "off"),
        "max_new_tokens": ex.max_new_tokens,
        "wall_ms_share": round(wall_share_s * 1000, 3),
        "stop": meta.get("stop"),
    }
    if meta.get("closing"):  # closed on the client (openai backend): what was kept and added
        row["closing"] = meta["closing"]
    if row_scorer is not None:
        row.update(row_scorer(row, ex.row, ex.schema))
    return row
