"""`slmbench bench`: batch-1 latency of one model configuration on a fixed set of rows.

Per row (after a warm-up): time to first token, decode tokens/s, end-to-end milliseconds per
extraction (an EdgeJSON extraction, an intent query, a function-calling entry: `--task`); over
the run: medians and p90s, peak RSS, size on disk, and this machine's memory bandwidth with the
physical decode limit it implies (bandwidth / weight bytes read per token: greedy decoding at
batch 1 reads every weight once per token). Rows are read, prompted, budgeted and constrained
as `slmbench eval` does for the task (`slmbench.tasks`), and each timed output is scored as
eval scores it (valid JSON, schema-valid, correct), so that a fast wrong answer shows.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from slmbench.errors import SlmbenchError
from slmbench.eval.api import BenchOptions
from slmbench.eval.runner import build_examples, task_name
from slmbench.results_contract import DEFAULT_TASK
from slmbench.tasks import get_task

DEFAULT_SEED = 0
BANDWIDTH_ARRAY_MB = 256
DTYPE_BYTES = {"float32": 4, "bfloat16": 2, "float16": 2, "int8-dynamic": 1}
MARKDOWN_HEADER = (
    "| model | backend | dtype | constrained | threads | rows | TTFT ms (median) "
    "| decode tok/s (median) | ms/extraction (median) | ms/extraction (p90) | peak RSS MB "
    "| size MB | limit tok/s |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
)


def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100); None for no values.

    >>> percentile([1, 2, 3, 4], 50), percentile([10], 90), percentile([], 50)
    (2.5, 10.0, None)
    >>> round(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90), 2)
    9.1
    """
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (pos - low))


def summary(values: list[float]) -> dict[str, float | None]:
    """Median and p90, rounded for the record.

    >>> summary([3.0, 1.0, 2.0])
    {'median': 2.0, 'p90': 2.8}
    """
    if not values:
        return {"median": None, "p90": None}
    return {
        "median": round(statistics.median(values), 3),
        "p90": round(percentile(values, 90), 3),
    }


def memory_bandwidth_gb_s(size_mb: int = BANDWIDTH_ARRAY_MB, repeats: int = 5) -> float:
    """Copy bandwidth of this machine in GB/s (bytes read + bytes written per second, as
    STREAM counts a copy), best of `repeats` numpy copies of a `size_mb` array."""
    src = np.ones(size_mb * 2**20 // 8, dtype=np.float64)
    dst = np.empty_like(src)
    np.copyto(dst, src)  # fault the pages in before timing
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - start)
    return round(2 * src.nbytes / best / 1e9, 2)


def weight_bytes_per_token(info: dict[str, Any], dtype: str | None) -> int | None:
    """Bytes of weights read for one decoded token: parameters x element size for dense
    backends that report `params` and `dtype`, else the size on disk (GGUF: quantised bytes).

    >>> weight_bytes_per_token({"params": 1000, "dtype": "bfloat16"}, None)
    2000
    >>> weight_bytes_per_token({"size_on_disk_bytes": 123}, None)
    123
    """
    params, kind = info.get("params"), dtype or info.get("dtype")
    if params and kind in DTYPE_BYTES:
        return int(params) * DTYPE_BYTES[kind]
    size = info.get("size_on_disk_bytes")
    return int(size) if size else None


def decode_limit_tok_s(bandwidth_gb_s: float, bytes_per_token: int | None) -> float | None:
    """The memory-bound ceiling on batch-1 decoding speed.

    >>> decode_limit_tok_s(20.0, 500_000_000)
    40.0
    """
    if not bytes_per_token:
        return None
    return round(bandwidth_gb_s * 1e9 / bytes_per_token, 1)


def markdown_row(result: dict) -> str:
    """One Markdown table row summarising a bench result (columns of `MARKDOWN_HEADER`)."""
    cfg, lat = result["config"], result["latency"]

    def cell(value: Any, digits: int = 1) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    size = result["model"].get("size_on_disk_bytes")
    model = Path(str(cfg["model"])).name if cfg["model"] else str(cfg["adapter"])
    task = result.get("task") or DEFAULT_TASK
    cells = [
        model if task == DEFAULT_TASK else f"{model} ({task})",
        cfg["backend"],
        str(result["model"].get("dtype") or cfg["dtype"] or "-"),
        cfg["constrained"] or "off",
        str(result["model"].get("threads") or cfg["threads"] or "-"),
        str(result["n"]),
        cell(lat["ttft_ms"]["median"]),
        cell(lat["decode_tok_s"]["median"]),
        cell(lat["ms_per_extraction"]["median"], 0),
        cell(lat["ms_per_extraction"]["p90"], 0),
        cell(result["peak_rss_mb"], 0),
        cell(size / 1e6 if size else None, 0),
        cell(result["physical_decode_limit_tok_s"]),
    ]
    return "| " + " | ".join(cells) + " |\n"


def append_markdown(path: str | Path, result: dict) -> None:
    """Append the result's row to a Markdown table file, writing the header if it is new."""
    path = Path(path)
    fresh = not path.is_file() or not path.read_text(encoding="utf-8").strip()
    with path.open("a", encoding="utf-8") as f:
        if fresh:
            f.write(MARKDOWN_HEADER)
        f.write(markdown_row(result))


BackendFactory = Callable[[BenchOptions], Any]


def run_bench(
    opts: BenchOptions,
    backend_factory: BackendFactory | None = None,
    echo: Callable[[str], None] = print,
) -> dict:
    """Run the bench, write `opts.out` (and the Markdown row); return the result."""
    from slmbench.provenance import (
        git_provenance,
        hardware,
        now_iso,
        package_versions,
        peak_rss_mb,
        write_json,
    )

    for name in ("rows", "max_new_tokens", "threads"):
        value = getattr(opts, name)
        if value is not None and value < 1:
            raise SlmbenchError(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    out = Path(opts.out)
    if out.is_dir():
        raise SlmbenchError(f"--out {out} is a folder; give a .json file path")
    recipe = train_recipe(opts)
    task = get_task(task_name(opts.task, recipe))
    rows, schemas, dataset = bench_rows(opts, task.name)

    start = time.perf_counter()
    backend = (backend_factory or _load_backend)(opts)
    load_s = time.perf_counter() - start
    info = dict(backend.info()) if callable(getattr(backend, "info", None)) else {}
    recipe = recipe or info.get("trained_from") or {}
    style = opts.prompt_style or recipe.get("prompt_style") or task.default_prompt_style
    examples = build_examples(
        rows, schemas, style, backend.tokenizer, opts.max_new_tokens, task.name
    )
    requests = [request_for(ex, opts.constrained) for ex in examples]
    row_scorer = task.load("row_scorer") if task.row_scorer else None

    warmup = getattr(backend, "warmup", None)
    if callable(warmup):
        warmup()
    backend.generate([requests[0]])  # the first real prompt, untimed: caches, grammar, pages
    per_row = [
        _timed_row(backend, ex, request, row_scorer)
        for ex, request in zip(examples, requests, strict=True)
    ]

    bandwidth = memory_bandwidth_gb_s()
    bytes_per_token = weight_bytes_per_token(info, opts.dtype)
    limit = decode_limit_tok_s(bandwidth, bytes_per_token)
    decode = [r["decode_tok_s"] for r in per_row if r["decode_tok_s"]]

    result = {
        "schema_version": 1,
        "kind": "bench",
        "task": task.name,
        "created": now_iso(),
        **git_provenance(),
        "versions": package_versions(),
        "config": {**asdict(opts), "task": task.name, "prompt_style": style},
        "model": info,
        "hardware": {**hardware(), "memory_bandwidth_gb_s": bandwidth},
        "dataset": dataset,
        "n": len(per_row),
        "load_s": round(load_s, 3),
        "latency": {
            "ttft_ms": summary([r["ttft_ms"] for r in per_row]),
            "decode_tok_s": summary(decode),
            "ms_per_extraction": summary([r["total_ms"] for r in per_row]),
            "generated_tokens": summary([r["generated_tokens"] for r in per_row]),
        },
        "peak_rss_mb": peak_rss_mb(),
        "weight_bytes_per_token": bytes_per_token,
        "physical_decode_limit_tok_s": limit,
        "fraction_of_limit": round(statistics.median(decode) / limit, 3)
        if decode and limit
        else None,
        "valid_json": sum(r["valid_json"] for r in per_row),
        "schema_valid": sum(r["schema_valid"] for r in per_row),
        "correct": sum(r["correct"] for r in per_row),
        "rows": per_row,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json(out, result)
    if opts.markdown:
        append_markdown(opts.markdown, result)
    lat = result["latency"]
    unit = "extraction" if task.name == DEFAULT_TASK else "query"
    echo(
        f"{task.name}, {len(per_row)} rows: TTFT {lat['ttft_ms']['median']} ms, decode "
        f"{lat['decode_tok_s']['median']} tok/s (limit {limit}), "
        f"{lat['ms_per_extraction']['median']} ms/{unit} (p90 "
        f"{lat['ms_per_extraction']['p90']}), peak RSS {result['peak_rss_mb']} MB, "
        f"{result['correct']}/{len(per_row)} correct"
    )
    echo(f"wrote {out}" + (f" and a row of {opts.markdown}" if opts.markdown else ""))
    return result


def train_recipe(opts: BenchOptions) -> dict | None:
    """The train recipe behind --adapter or --model (a train run, a full fine-tune, an exported
    GGUF), None for a base model: it names the task and prompt style, as for `slmbench eval`."""
    from slmbench.models.registry import model_recipe, resolve_adapter

    if opts.adapter:
        return resolve_adapter(opts.adapter)[1]
    return model_recipe(opts.model) if opts.model else None


def bench_rows(opts: BenchOptions, task: str = DEFAULT_TASK) -> tuple[list, dict, dict]:
    """(rows, schemas by id, dataset record): the first `opts.rows` rows (`opts.spread`: evenly
    spaced ones) of `--data`, read by the task's reader; without --data (EdgeJSON only), of the
    seeded generated test split."""
    from slmbench.data.rows import file_sha256

    if opts.data:
        reader = get_task(task).load("reader")
        rows, schemas = reader(opts.data, schemas=opts.schemas, **opts.reader_options())
        dataset = {"path": str(opts.data), "sha256": file_sha256(opts.data)}
    elif task != DEFAULT_TASK:
        raise SlmbenchError(f"bench --task {task} needs --data: a dataset file of that task")
    else:
        from slmbench.data.generate import build_rows, minimum_rows
        from slmbench.data.schemas import TIERS, load_schemas

        schemas = load_schemas(opts.schemas)
        by_tier = {t: [s for s in schemas if schemas[s].tier == t] for t in TIERS}
        floor = minimum_rows({t: ids for t, ids in by_tier.items() if ids})
        rows = build_rows(DEFAULT_SEED, floor, max(opts.rows, floor), schemas)["test"]
        dataset = {"path": f"generated test split, seed {DEFAULT_SEED}", "sha256": None}
    if not rows:
        raise SlmbenchError(f"{opts.data}: no rows")
    rows = evenly_spaced(rows, opts.rows) if opts.spread else rows[: opts.rows]
    return rows, schemas, {**dataset, "n_rows": len(rows), "ids": [r.id for r in rows]}


def evenly_spaced(items: list, n: int) -> list:
    """`n` items spread evenly over `items` (all of them when there are not more), in order.

    >>> evenly_spaced(list(range(10)), 3), evenly_spaced([1, 2], 5)
    ([0, 3, 6], [1, 2])
    """
    if n >= len(items):
        return list(items)
    return [items[i * len(items) // n] for i in range(n)]


def request_for(example: Any, constrained: str | None) -> Any:
    """The generation request `slmbench eval` sends for an example (same prompt, token budget
    and schema), at batch size 1."""
    from slmbench.models.base import GenerationRequest

    return GenerationRequest(
        prompt=example.prompt,
        max_new_tokens=example.max_new_tokens,
        schema=example.schema.schema if constrained else None,
        stop_at_json=True,
        messages=example.messages,
    )


def _timed_row(backend: Any, example: Any, request: Any, row_scorer: Callable | None) -> dict:
    from slmbench.eval.scoring import score_output

    row = example.row
    start = time.perf_counter()
    gen = backend.generate([request])[0]
    wall_ms = (time.perf_counter() - start) * 1000
    scores = {
        "raw_output": gen.text,
        **score_output(gen.text, row.expected_output, example.schema.validator(), gen.hit_limit),
    }
    task_fields = row_scorer(scores, row, example.schema) if row_scorer else {}
    return {
        "id": row.id,
        "schema_id": row.schema_id,
        "complexity": row.complexity,
        "prompt_tokens": gen.prompt_tokens,
        "generated_tokens": gen.generated_tokens,
        "ttft_ms": round(gen.ttft_s * 1000, 2),
        "decode_tok_s": round(gen.decode_tokens_per_s, 2),
        "total_ms": round(wall_ms, 2),
        "hit_limit": gen.hit_limit,
        "constrained": (gen.meta or {}).get("constrained", "off"),
        "valid_json": _first_json_is(gen.text, example.schema.schema),
        "schema_valid": scores["schema_valid"],
        "correct": bool(task_fields.get("correct", scores["json_exact"])),
    }


def _first_json_is(text: str, schema: dict) -> bool:
    """Whether the output's first JSON value parses and has the schema's top-level type (an
    object; a list for a function-calling answer).

    >>> _first_json_is('x {"a": 1} y', {"type": "object"}), _first_json_is("[]", {})
    (True, False)
    >>> _first_json_is('[{"name": "f"}]', {"type": "array"}), _first_json_is("{", {})
    (True, False)
    """
    from slmbench.jsontext import first_json_span

    span = first_json_span(text)
    if span is None:
        return False
    try:
        value = json.loads(text[span[0] : span[1]])
    except json.JSONDecodeError:
        return False
    return isinstance(value, list if schema.get("type") == "array" else dict)


def _load_backend(opts: BenchOptions) -> Any:
    from slmbench.models.registry import load_backend

    return load_backend(opts.backend, opts.model, opts.adapter, **opts.backend_options())
