"""`results.json` of an eval run (its keys: `slmbench.results_contract`) and its printed
summary table."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from slmbench.eval.aggregate import aggregate_errors, aggregate_metrics, quantiles
from slmbench.provenance import (
    git_provenance,
    hardware,
    now_iso,
    package_versions,
    peak_rss_mb,
)
from slmbench.results_contract import (
    DEFAULT_TASK,
    RESULTS_SCHEMA_VERSION,
    EvalConfig,
    ResultsJson,
)

CONFIG_KEYS = tuple(EvalConfig.__annotations__)
"""The run config keys that results.json repeats (`slmbench.results_contract.EvalConfig`)."""
SUMMARY_COLUMNS = (
    ("json_exact", "JSONExact"),
    ("json_exact_normalized", "normalized"),
    ("field_f1", "field F1"),
    ("schema_valid", "schema valid"),
    ("valid_json", "valid JSON"),
)


def latency_summary(predictions: Sequence[dict], session_wall_s: float) -> dict[str, Any]:
    """Per-example latency quantiles and run totals. `wall_s` is the generation wall time
    summed over every session of a resumed run (each example carries its batch share)."""
    wall_s = sum(p.get("wall_ms_share", p["total_ms"]) for p in predictions) / 1000
    generated = sum(p["generated_tokens"] for p in predictions)
    decoding = [p["decode_tok_s"] for p in predictions if p["generated_tokens"] > 1]
    return {
        "ttft_ms": quantiles([p["ttft_ms"] for p in predictions]),
        "decode_tok_s": quantiles(decoding),
        "ms_per_example": quantiles([p["total_ms"] for p in predictions]),
        "prompt_tokens": quantiles([p["prompt_tokens"] for p in predictions]),
        "generated_tokens": quantiles([p["generated_tokens"] for p in predictions]),
        "generated_tokens_total": generated,
        "throughput_tok_s": round(generated / wall_s, 3) if wall_s > 0 else None,
        "hit_limit": sum(1 for p in predictions if p["hit_limit"]),
        "closed": sum(1 for p in predictions if p.get("stop") == "closed"),
        "peak_rss_mb": peak_rss_mb(),
        "wall_s": round(wall_s, 3),
        "session_wall_s": round(session_wall_s, 3),
    }


def build_results(
    config: dict,
    predictions: Sequence[dict],
    backend_info: dict,
    trained_from: dict | None,
    session_wall_s: float,
    grammar_relaxations: dict[str, list[dict[str, str]]] | None = None,
    metrics: dict | None = None,
) -> ResultsJson:
    """The whole `results.json` of a finished run; `metrics`: the task's (default: EdgeJSON's
    `aggregate_metrics` of the predictions)."""
    host = hardware()
    model = {
        "name": backend_info.get("name", config["model"]),
        "params": backend_info.get("params"),
        "size_on_disk_bytes": backend_info.get("size_on_disk_bytes"),
        "dtype": backend_info.get("dtype", config.get("dtype")),
        "device": backend_info.get("device", "cpu"),
        "hardware": backend_info.get("hardware") or host["cpu"],
        "threads": backend_info.get("threads", config.get("threads")),
        "trained_from": backend_info.get("trained_from") or trained_from,
        "backend_info": {k: v for k, v in backend_info.items() if k != "trained_from"},
    }
    return {
        "schema_version": RESULTS_SCHEMA_VERSION,
        "kind": "eval",
        "name": config.get("name"),
        "task": config.get("task", DEFAULT_TASK),
        "created": now_iso(),
        **git_provenance(),
        "versions": package_versions(),
        "config": {key: config.get(key) for key in CONFIG_KEYS},
        "model": model,
        "host": host,
        "dataset": {
            "path": config["data"],
            "sha256": config.get("selection_sha256") or config["data_sha256"],
            "file_sha256": config["data_sha256"],
            "ids": config.get("ids"),
            "n_rows": len(predictions),
        },
        "metrics": aggregate_metrics(predictions) if metrics is None else metrics,
        "errors": aggregate_errors(predictions),
        "parse_paths": _count(p["parse_path"] for p in predictions),
        "constrained_status": _count(p["constrained"] for p in predictions),
        "grammar_relaxations": grammar_relaxations or {},
        "latency": latency_summary(predictions, session_wall_s),
        "n": len(predictions),
        "n_by_tier": _count(p["complexity"] for p in predictions),
        "n_by_schema": _count(p["schema_id"] for p in predictions),
    }


def _count(values) -> dict[str, int]:
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return dict(sorted(counts.items()))


def format_rate(stat: dict) -> str:
    """A metric as `41.1 [33.5, 48.7]` (percent with its 95% interval).

    >>> format_rate({"value": 0.411, "ci_low": 0.335, "ci_high": 0.487})
    '41.1 [33.5, 48.7]'
    >>> format_rate({"value": None, "ci_low": None, "ci_high": None})
    '-'
    """
    if stat.get("value") is None:
        return "-"
    return f"{100 * stat['value']:.1f} [{100 * stat['ci_low']:.1f}, {100 * stat['ci_high']:.1f}]"


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned text columns.

    >>> print(format_table(["a", "bb"], [["xyz", "1"]]))
    a    bb
    xyz  1
    """
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]
    lines = [header, *rows]
    return "\n".join(
        "  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def summary_text(results: dict) -> str:
    """The table printed at the end of `slmbench eval`."""
    cfg, metrics = results["config"], results["metrics"]
    header = ["", "n", *(label + " %" for _, label in SUMMARY_COLUMNS)]
    groups = [("overall", results["n"], metrics["overall"])]
    groups += [
        (tier, results["n_by_tier"].get(tier, 0), table)
        for tier, table in metrics["by_tier"].items()
    ]
    rows = [
        [name, str(n), *(format_rate(table[m]) for m, _ in SUMMARY_COLUMNS)]
        for name, n, table in groups
    ]
    adapter = f" + {cfg['adapter']}" if cfg.get("adapter") else ""
    return "\n".join(
        [
            f"model {cfg['model']}{adapter} | backend {cfg['backend']} | prompt "
            f"{cfg['prompt_style']} | constrained {cfg.get('constrained') or 'off'} | "
            f"data {cfg['data']} ({results['n']} rows)",
            format_table(header, rows),
            "(percent, 95% bootstrap interval in brackets)",
            _latency_line(results["latency"]),
        ]
    )


def _latency_line(lat: dict) -> str:
    def fmt(q: dict, unit: str) -> str:
        if q["median"] is None:
            return "-"
        return f"{q['median']:.0f}{unit} (p90 {q['p90']:.0f})"

    return (
        f"latency: TTFT {fmt(lat['ttft_ms'], ' ms')}, decode {fmt(lat['decode_tok_s'], ' tok/s')}"
        f", {fmt(lat['ms_per_example'], ' ms')} per example; {lat['generated_tokens_total']} "
        f"tokens in {lat['wall_s']:.1f} s ({lat['throughput_tok_s'] or 0:.1f} tok/s); "
        f"{lat['hit_limit']} hit the token limit; peak RSS {lat['peak_rss_mb']:.0f} MB"
    )


def print_summary(results: dict, echo: Callable[[str], None] = print) -> None:
    echo(summary_text(results))
