"""`results/record.json`: the models of record (CONTRIBUTING.md, "The record").

`{"schema_version": 1, "models": [{"name", "task", "setting", "trained_on", "base_model",
"adapter", "prompt_style", "experiment", "evals": [run folders]}]}`, paths relative to the repo
root; `adapter` is the train run folder whose adapter weights are kept, null for a zero-shot
baseline or for a full fine-tune whose train run (`train_run`) keeps no weights. Other keys
(`init_adapter`, `provenance`) are kept as they are. The README, the report and the model cards
read it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from slmbench.errors import SlmbenchError

RECORD_PATH = "results/record.json"
REQUIRED = ("name", "task", "base_model", "evals")


@dataclass(frozen=True)
class RecordModel:
    name: str
    task: str
    base_model: str
    evals: tuple[str, ...]
    adapter: str | None = None
    setting: int | str | None = None
    trained_on: str | None = None
    prompt_style: str | None = None
    experiment: str | None = None
    train_run: str | None = None

    @property
    def trained_in(self) -> str | None:
        """The train run folder: `adapter`, else `train_run`; None for a zero-shot model."""
        return self.adapter or self.train_run

    @property
    def summary(self) -> str:
        """One line: which task and setting this model is of record for, and its data.

        >>> RecordModel("m", "edgejson", "b", (), "runs/train/m", 2, "rows").summary
        'model of record for edgejson (setting 2), trained on rows'
        >>> RecordModel("zeroshot-chat-schema", "edgejson", "b", ()).summary
        'model of record for edgejson (zero-shot baseline)'
        """
        where = f"setting {self.setting}" if self.setting is not None else ""
        if self.trained_in is None:
            where = ", ".join(w for w in (where, "zero-shot baseline") if w)
        text = f"model of record for {self.task}" + (f" ({where})" if where else "")
        return text + (f", trained on {self.trained_on}" if self.trained_on else "")


@dataclass
class Record:
    path: Path
    models: list[RecordModel] = field(default_factory=list)

    def find(self, name: str, train_dir: Path | None = None, root: Path | None = None):
        """The entry named `name`, or whose adapter folder is `train_dir`; None if neither."""
        for model in self.models:
            if model.name == name:
                return model
        if train_dir is not None and root is not None:
            for model in self.models:
                folder = model.trained_in
                if folder and (root / folder).resolve() == train_dir.resolve():
                    return model
        return None


def load_record(path: str | Path) -> Record:
    """Read a record.json; a one-line SlmbenchError names the file and the bad entry."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise SlmbenchError(f"{path}: line {e.lineno}: not valid JSON ({e.msg})") from None
    except OSError as e:
        raise SlmbenchError(f"{path}: cannot read ({e.strerror})") from None
    if not isinstance(data, dict) or not isinstance(data.get("models"), list):
        raise SlmbenchError(f'{path}: must be an object with a "models" list')
    record = Record(path)
    for i, entry in enumerate(data["models"]):
        if not isinstance(entry, dict):
            raise SlmbenchError(f"{path}: models[{i}] is not an object")
        missing = [k for k in REQUIRED if k not in entry]
        if missing:
            raise SlmbenchError(f"{path}: models[{i}] misses {', '.join(missing)}")
        if not isinstance(entry["evals"], list):
            raise SlmbenchError(f"{path}: models[{i}].evals must be a list of run folders")
        record.models.append(
            RecordModel(
                name=str(entry["name"]),
                task=str(entry["task"]),
                base_model=str(entry["base_model"]),
                evals=tuple(str(e) for e in entry["evals"]),
                adapter=entry.get("adapter"),
                setting=entry.get("setting"),
                trained_on=entry.get("trained_on"),
                prompt_style=entry.get("prompt_style"),
                experiment=entry.get("experiment"),
                train_run=entry.get("train_run"),
            )
        )
    return record


def find_record(root: str | Path = ".") -> Record | None:
    """The repo's record (`results/record.json` under `root`), None when it has none yet."""
    path = Path(root) / RECORD_PATH
    return load_record(path) if path.is_file() else None
