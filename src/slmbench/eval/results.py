"""The files of an eval run folder and their provenance: `run_config.json` (what the run is,
written at start and checked on resume), `predictions.jsonl` (appended per batch) and
`results.json` (written at the end; its keys: `slmbench.results_contract`)."""

from __future__ import annotations

import json
from pathlib import Path

from slmbench.errors import DataError, SlmbenchError

RUN_CONFIG = "run_config.json"
PREDICTIONS = "predictions.jsonl"
RESULTS = "results.json"
IDENTITY_KEYS = (
    "model",
    "adapter",
    "backend",
    "base_url",
    "data_sha256",
    "selection_sha256",
    "schemas_sha256",
    "prompt_style",
    "constrained",
    "grammar_engine",
    "max_new_tokens",
    "dtype",
    "tokenizer",
)
"""Config keys that change what a run predicts: a folder holds one value of each. The run's
`name` is not one: naming (or renaming) a run resumes it."""


def check_run_config(run_dir: Path, config: dict) -> dict | None:
    """Refuse to mix runs: raise (naming the differing keys) if `run_dir` already holds a run
    whose identity differs from `config`; returns that run's config (None for a new run).
    Writes nothing."""
    if run_dir.exists() and not run_dir.is_dir():
        raise SlmbenchError(f"--out {run_dir} is a file, not a run folder")
    path = run_dir / RUN_CONFIG
    if path.is_file():
        try:
            existing = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise DataError(f"unreadable run config: {e.msg}", str(path)) from None
        differing = [k for k in IDENTITY_KEYS if existing.get(k) != config.get(k)]
        if differing:
            details = "; ".join(
                f"{k}: {existing.get(k)!r} there, {config.get(k)!r} now" for k in differing
            )
            raise SlmbenchError(
                f"{run_dir} holds a different run ({details}); "
                "use another --out folder or delete that one"
            )
        return existing
    if (run_dir / PREDICTIONS).exists():
        raise SlmbenchError(
            f"{run_dir} holds predictions but no {RUN_CONFIG}: not a resumable eval run"
        )
    return None


def read_predictions(path: Path, repair: bool = False) -> list[dict]:
    """Rows of a `predictions.jsonl`. A last line cut short by an interruption is dropped
    (and, with `repair`, cut from the file so that appending continues cleanly); any other
    malformed line is an error naming it."""
    if not path.is_file():
        return []
    data = path.read_bytes()
    complete = data.rfind(b"\n") + 1
    if complete < len(data) and repair:
        with path.open("r+b") as f:
            f.truncate(complete)
    rows = []
    for lineno, line in enumerate(data[:complete].decode("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as e:
            raise DataError(f"malformed prediction line: {e.msg}", str(path), lineno) from None
    return rows


def load_run(run_dir: str | Path) -> tuple[dict, list[dict]]:
    """(results.json, or run_config.json for an unfinished run; predictions) of a run folder."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise SlmbenchError(f"run folder not found: {run_dir}")
    predictions = read_predictions(run_dir / PREDICTIONS)
    if not predictions:
        raise SlmbenchError(f"no predictions in {run_dir} (expected {PREDICTIONS})")
    for name in (RESULTS, RUN_CONFIG):
        path = run_dir / name
        if path.is_file():
            try:
                return json.loads(path.read_text(encoding="utf-8")), predictions
            except json.JSONDecodeError as e:
                raise DataError(f"not valid JSON: {e.msg}", str(path), e.lineno) from None
    raise SlmbenchError(f"{run_dir} has neither {RESULTS} nor {RUN_CONFIG}")


def dataset_sha256(meta: dict) -> str | None:
    """The dataset hash recorded in a results.json or run_config.json."""
    return (meta.get("dataset") or {}).get("sha256") or meta.get("data_sha256")
