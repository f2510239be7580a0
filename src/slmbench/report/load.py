"""Find saved eval and train run folders, read them, and group eval runs by dataset.

Nothing here runs a model: it reads `results.json`, `predictions.jsonl`, `recipe.json`,
`train_meta.json` and `train_log.jsonl`. A folder whose files are missing or unreadable (an eval
still running, a training interrupted before it wrote its metadata) becomes a `Skipped` entry
with the reason, never an exception.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EVAL_MARKERS = ("results.json", "predictions.jsonl", "run_config.json")
TRAIN_MARKERS = ("recipe.json", "train_meta.json", "train_log.jsonl")
# Sub-folders of a run that hold weights, never other runs: not worth walking.
PRUNED_DIRS = {"checkpoints", "adapter", "model", ".git", "__pycache__", "node_modules"}


class UnreadableFile(Exception):
    """A run file that is missing or not valid JSON; the message says which and where."""


@dataclass
class TrainRun:
    """A training run folder: the recipe, its metadata and the logged curve."""

    path: Path
    recipe: dict
    meta: dict
    log: list[dict]
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The recorded name (`slmbench train --name`: train_meta.json, recipe.json `name`),
        else the run folder's name."""
        return recorded_name(self.meta, self.recipe) or self.path.name

    @property
    def recipe_name(self) -> str:
        return recipe_name(self.recipe)

    @property
    def loss_rows(self) -> list[dict]:
        """`kind: train` rows (older logs without `kind`: rows with a `loss`)."""
        return [
            r for r in self.log if "step" in r and "loss" in r and r.get("kind", "train") == "train"
        ]

    @property
    def val_rows(self) -> list[dict]:
        return [
            r
            for r in self.log
            if "step" in r
            and r.get("kind", "val") == "val"
            and ("val_loss" in r or "val_json_exact" in r)
        ]


def recorded_name(*files: dict | None) -> str | None:
    """The run name recorded by `--name` in the first of these run files that has one.

    >>> recorded_name({"name": ""}, None, {"name": "quick-x2"}), recorded_name({})
    ('quick-x2', None)
    """
    for data in files:
        if isinstance(data, dict) and isinstance(data.get("name"), str) and data["name"]:
            return data["name"]
    return None


def recipe_name(recipe: dict | None) -> str:
    """What a recipe is called: the packaged recipe or file it came from (a recipe.json's
    `name` is the run's name, not the recipe's).

    A run folder's resolved `recipe.json` (`--config RUN/recipe.json`) is named by its run.

    >>> recipe_name({"recipe_source": "paper", "name": "quick-x2"})
    'paper'
    >>> recipe_name({"recipe_source": "cfg/my.json"})
    'my'
    >>> recipe_name({"recipe_source": "results/train/v3-lora/recipe.json"})
    'v3-lora recipe'
    >>> recipe_name({})
    'custom recipe'
    """
    recipe = recipe or {}
    source = Path(str(recipe.get("recipe_source") or ""))
    if source.name == "recipe.json" and source.parent.name:
        return f"{source.parent.name} recipe"
    return source.stem if source.name else "custom recipe"


@dataclass
class EvalRun:
    """An eval run folder whose `results.json` was written (the eval finished)."""

    path: Path
    results: dict
    predictions: list[dict] | None
    notes: list[str] = field(default_factory=list)
    train_run: TrainRun | None = None
    label: str = ""
    run_config: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The recorded name (`slmbench eval --name`: results.json, run_config.json `name`),
        else the run folder's name."""
        return recorded_name(self.results, self.run_config) or self.path.name

    @property
    def config(self) -> dict:
        return self.results.get("config") or {}

    @property
    def model(self) -> dict:
        return self.results.get("model") or {}

    @property
    def dataset(self) -> dict:
        return self.results.get("dataset") or {}

    @property
    def sha256(self) -> str:
        return str(self.dataset.get("sha256") or "")

    @property
    def n(self) -> int | None:
        return self.results.get("n")

    @property
    def recipe(self) -> dict | None:
        """The recipe of the training that produced this model, None for a zero-shot run."""
        if self.train_run is not None:
            return self.train_run.recipe
        return self.model.get("trained_from") or None

    @property
    def is_fine_tuned(self) -> bool:
        return bool(self.config.get("adapter") or self.recipe or self.train_run)

    @property
    def base_model(self) -> str:
        recipe = self.recipe or {}
        return str(recipe.get("base_model") or self.model.get("name") or self.config.get("model"))

    @property
    def model_tag(self) -> str | None:
        """Which fine-tune this is: its train run's name (when that folder was not given to
        the report: the name recorded in the recipe results.json carries, else the folder of
        the adapter/model path), None for a zero-shot run."""
        if self.train_run is not None:
            return self.train_run.name
        if not self.is_fine_tuned:
            return None
        paths = _weight_paths(self)
        fallback = run_folder_name(paths[0]) if paths else recipe_name(self.recipe)
        return recorded_name(self.model.get("trained_from")) or fallback

    def metric(self, name: str, tier: str | None = None, schema: str | None = None) -> dict:
        """`{"value", "ci_low", "ci_high"}` of one metric, `{}` when the run lacks it."""
        metrics = self.results.get("metrics") or {}
        if tier is not None:
            scope = (metrics.get("by_tier") or {}).get(tier) or {}
        elif schema is not None:
            scope = (metrics.get("by_schema") or {}).get(schema) or {}
        else:
            scope = metrics.get("overall") or {}
        entry = scope.get(name)
        if isinstance(entry, (int, float)):
            return {"value": float(entry)}
        return entry or {}

    def value(self, name: str, tier: str | None = None, schema: str | None = None) -> float | None:
        return self.metric(name, tier, schema).get("value")


@dataclass
class Skipped:
    path: Path
    reason: str


@dataclass
class RunSet:
    evals: list[EvalRun] = field(default_factory=list)
    trains: list[TrainRun] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


@dataclass
class DatasetGroup:
    """Eval runs that were scored on the same dataset file (same sha256)."""

    sha256: str
    path: str
    n_rows: int | None
    runs: list[EvalRun]


def discover_run_dirs(paths: Iterable[str | Path]) -> tuple[list[Path], list[Skipped]]:
    """Run folders at or below each path (a folder holding any run file), in a stable order."""
    found: list[Path] = []
    missing: list[Skipped] = []
    for given in paths:
        root = Path(given)
        if root.is_file():
            root = root.parent
        if not root.is_dir():
            missing.append(Skipped(Path(given), "no such folder"))
            continue
        before = len(found)
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if d not in PRUNED_DIRS)
            if any(m in filenames for m in EVAL_MARKERS + TRAIN_MARKERS):
                found.append(Path(dirpath))
        if len(found) == before:
            missing.append(Skipped(root, "no run files (results.json, recipe.json...) in it"))
    unique = list(dict.fromkeys(p.resolve() for p in found))
    return unique, missing


def read_json(path: Path) -> Any:
    if not path.is_file():
        raise UnreadableFile(f"{path.name} missing")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise UnreadableFile(f"{path.name}: unreadable JSON ({e.msg}, line {e.lineno})") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UnreadableFile(f"{path.name}: cannot read ({e})") from None


def read_jsonl(path: Path) -> tuple[list[dict], list[str]]:
    """Rows of a JSONL file and notes about lines that could not be read.

    An unreadable last line is a line still being written (the file is appended as a run goes).
    """
    rows: list[dict] = []
    notes: list[str] = []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    for lineno, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            what = "partial last line" if lineno == len(lines) else f"line {lineno}: {e.msg}"
            notes.append(f"{path.name}: {what}, ignored")
            continue
        if isinstance(obj, dict):
            rows.append(obj)
        else:
            notes.append(f"{path.name}: line {lineno} is not a JSON object, ignored")
    return rows, notes


def load_eval_run(path: Path) -> EvalRun | Skipped:
    results_path = path / "results.json"
    predictions_path = path / "predictions.jsonl"
    if not results_path.is_file():
        if not predictions_path.is_file():
            return Skipped(
                path,
                "run_config.json but no predictions or results.json: eval "
                "started, nothing scored yet",
            )
        n = 0
        if predictions_path.is_file():
            n = sum(
                1
                for line in predictions_path.open(encoding="utf-8", errors="replace")
                if line.strip()
            )
        return Skipped(
            path,
            f"predictions.jsonl ({n} rows) but no results.json: eval still running or interrupted",
        )
    try:
        results = read_json(results_path)
    except UnreadableFile as e:
        return Skipped(path, str(e))
    if not isinstance(results, dict):
        return Skipped(path, "results.json: not a JSON object")
    if results.get("kind", "eval") != "eval":
        return Skipped(path, f"results.json: kind is {results.get('kind')!r}, not 'eval'")
    overall = (results.get("metrics") or {}).get("overall") or {}
    headline = _headline_metric(results.get("task"))
    if headline is None:
        return Skipped(path, f"results.json: unknown task {results.get('task')!r}")
    if headline not in overall:
        return Skipped(path, f"results.json: no metrics.overall.{headline}")
    if not (results.get("dataset") or {}).get("sha256"):
        return Skipped(path, "results.json: no dataset.sha256")
    notes: list[str] = []
    if results.get("schema_version", 1) != 1:
        notes.append(f"results.json schema_version {results.get('schema_version')} (expected 1)")
    predictions = None
    if predictions_path.is_file():
        predictions, bad = read_jsonl(predictions_path)
        notes += bad
        n = results.get("n")
        if n is not None and len(predictions) != n:
            notes.append(f"predictions.jsonl has {len(predictions)} rows, results.json n={n}")
    else:
        notes.append("no predictions.jsonl: counts from results.json only")
    run_config: dict = {}
    if (path / "run_config.json").is_file():
        try:
            loaded = read_json(path / "run_config.json")
            run_config = loaded if isinstance(loaded, dict) else {}
        except UnreadableFile as e:
            notes.append(str(e))
    return EvalRun(path, results, predictions, notes, run_config=run_config)


def _headline_metric(task: str | None) -> str | None:
    """The metric every run of a task has (`slmbench.tasks`), None for an unknown task."""
    from slmbench.errors import SlmbenchError
    from slmbench.tasks import get_task

    try:
        return get_task(task).headline_metric
    except SlmbenchError:
        return None


def load_train_run(path: Path) -> TrainRun | Skipped:
    try:
        recipe = read_json(path / "recipe.json")
    except UnreadableFile as e:
        return Skipped(path, str(e))
    if not (path / "train_meta.json").is_file():
        return Skipped(path, "no train_meta.json: training never started or was interrupted")
    try:
        meta = read_json(path / "train_meta.json")
    except UnreadableFile as e:
        return Skipped(path, str(e))
    if not isinstance(recipe, dict) or not isinstance(meta, dict):
        return Skipped(path, "recipe.json or train_meta.json is not a JSON object")
    status = meta.get("status", "complete")
    if status != "complete":
        return Skipped(
            path,
            f"train_meta.json status is {status!r}: training still running "
            "or interrupted (rerun the train command to resume)",
        )
    notes: list[str] = []
    log: list[dict] = []
    if (path / "train_log.jsonl").is_file():
        log, notes = read_jsonl(path / "train_log.jsonl")
    else:
        notes.append("no train_log.jsonl: no training curve")
    return TrainRun(path, recipe, meta, log, notes)


def load_runs(paths: Iterable[str | Path]) -> RunSet:
    """Read every run folder at or below `paths`; partial folders land in `skipped`."""
    dirs, skipped = discover_run_dirs(paths)
    runs = RunSet(skipped=skipped)
    for path in dirs:
        files = {p.name for p in path.iterdir()}
        if files & set(TRAIN_MARKERS):
            loaded = load_train_run(path)
            (runs.skipped if isinstance(loaded, Skipped) else runs.trains).append(loaded)
        if files & set(EVAL_MARKERS):
            loaded = load_eval_run(path)
            (runs.skipped if isinstance(loaded, Skipped) else runs.evals).append(loaded)
    link_train_runs(runs.evals, runs.trains)
    return runs


WEIGHT_DIRS = ("adapter", "model", "merged")


def _weight_paths(run: EvalRun) -> list[Path]:
    """The adapter and model paths an eval run loaded (as written in its results.json)."""
    values = (run.config.get("adapter"), run.config.get("model"))
    return [Path(v) for v in values if isinstance(v, str) and v]


def run_folder_name(path: Path) -> str:
    """The train run folder a weights path points into.

    >>> run_folder_name(Path("runs/train/lora-r16/adapter")), run_folder_name(Path("x/ft"))
    ('lora-r16', 'ft')
    """
    return (path.parent if path.name in WEIGHT_DIRS else path).name


def link_train_runs(evals: list[EvalRun], trains: list[TrainRun]) -> None:
    """Attach to each fine-tuned eval run the train run whose adapter/model it evaluated.

    Paths in results.json may be relative to wherever the eval was started (or the run may
    have moved since), so an exact match of resolved paths is tried first, then the model the
    run's name names (`<model>.on-<split>...`, the naming scheme of CONTRIBUTING.md), then a
    unique match on the train run's folder name.
    """
    for run in evals:
        paths = _weight_paths(run)
        match = None
        for train in trains:
            root = train.path.resolve()
            if any(p.resolve() == root or root in p.resolve().parents for p in paths):
                match = train
                break
        if match is None and run.is_fine_tuned and ".on-" in run.name:
            model = run.name.split(".on-", 1)[0]
            by_model = [t for t in trains if t.name == model]
            match = by_model[0] if len(by_model) == 1 else None
        if match is None:
            names = {run_folder_name(p) for p in paths}
            by_name = [t for t in trains if t.path.name in names]
            match = by_name[0] if len(by_name) == 1 else None
        run.train_run = match


def group_by_dataset(evals: list[EvalRun]) -> list[DatasetGroup]:
    """Eval runs grouped by dataset sha256, the group with most runs first; within a group,
    zero-shot runs first, then fine-tuned ones, each by size."""
    groups: dict[str, DatasetGroup] = {}
    for run in evals:
        group = groups.get(run.sha256)
        if group is None:
            ds = run.dataset
            group = DatasetGroup(run.sha256, str(ds.get("path") or "?"), ds.get("n_rows"), [])
            groups[run.sha256] = group
        group.runs.append(run)
    for group in groups.values():
        group.runs.sort(
            key=lambda r: (r.is_fine_tuned, r.model.get("params") or 0, r.label, str(r.path))
        )
    return sorted(groups.values(), key=lambda g: (-len(g.runs), g.path, g.sha256))


def assign_labels(evals: list[EvalRun]) -> None:
    """Label each run by its recorded name, else its folder's name (never a guessed label).

    Two runs of one dataset group with the same name (folders of the same name in different
    places) are told apart by their parent folder.
    """
    for run in evals:
        run.label = run.name
    for group in group_by_dataset(evals):
        by_label: dict[str, list[EvalRun]] = {}
        for run in group.runs:
            by_label.setdefault(run.label, []).append(run)
        for same in by_label.values():
            if len(same) > 1:
                for run in same:
                    run.label += f" ({run.path.parent.name}/{run.path.name})"
