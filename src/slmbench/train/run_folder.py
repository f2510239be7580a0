"""The folder a training run writes, and the rules for reusing one.

    RUN_DIR/
      recipe.json       name, base_model, resolved recipe, recipe_source (written first)
      train_meta.json   provenance, data sha256, length-policy counts, status, wall time
      train_log.jsonl   one row per logging step / validation (see callbacks.py)
      val_ids.json      the held-out validation ids (when validating)
      checkpoints/      Trainer checkpoints (the last `save_total_limit`)
      adapter/          LoRA: PEFT adapter (`PeftModel.from_pretrained(base, RUN_DIR/adapter)`)
      model/            full fine-tune: a whole transformers model folder
      merged/           with --merge: base + adapter folded into one model folder
      tokenizer files   the tokenizer trained with

Rerunning the same command on the folder resumes from its last checkpoint (or reports a finished
run); a folder holding a different run (another recipe, base model, data or validation set) is
refused, naming what differs.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from slmbench.errors import SlmbenchError
from slmbench.results_contract import DEFAULT_TASK
from slmbench.train.recipe import Recipe

RECIPE = "recipe.json"
META = "train_meta.json"
LOG = "train_log.jsonl"
VAL_IDS = "val_ids.json"
NOT_IDENTITY = ("name", "description", "recipe_source")
"""recipe.json keys that do not change what is trained (a copied recipe file may resume, and
naming or renaming a run with `--name` resumes it)."""


def is_main_process() -> bool:
    """False on the non-zero ranks of a multi-process (accelerate/torchrun) launch."""
    return int(os.environ.get("RANK", "0")) == 0


class RunFolder:
    """Paths and bookkeeping files of one run folder."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.adapter_dir = self.path / "adapter"
        self.model_dir = self.path / "model"
        self.merged_dir = self.path / "merged"
        self.checkpoints_dir = self.path / "checkpoints"
        self.log_path = self.path / LOG
        self.recipe_path = self.path / RECIPE
        self.meta_path = self.path / META

    @staticmethod
    def identity(
        model: str,
        recipe: Recipe,
        source: str,
        data_sha: str | None,
        val_spec: dict,
        init_adapter_sha: str | None = None,
        name: str | None = None,
        task: str = DEFAULT_TASK,
    ) -> dict[str, Any]:
        """What makes a run this run: recipe.json's content (with the weights hash of the adapter
        it continued, if any, and the task unless edgejson), the data hash, the validation. The
        run's `name` is recorded in recipe.json but is not part of it."""
        run_recipe = {"base_model": model, **recipe.to_dict(), "recipe_source": source}
        if task != DEFAULT_TASK:
            run_recipe["task"] = task
        if name:
            run_recipe = {"name": name, **run_recipe}
        if init_adapter_sha:
            run_recipe["init_adapter_sha256"] = init_adapter_sha
        return {"recipe": run_recipe, "data_sha256": data_sha, "val": val_spec}

    def claim(self, identity: dict[str, Any]) -> str:
        """`new` (fresh folder, recipe.json written), `resume` (the same run, unfinished) or
        `complete` (the same run, finished). Raises for a folder holding anything else."""
        if self.recipe_path.is_file():
            self._check_same(identity)
            self._record_name(identity["recipe"].get("name"))
            meta = self.read_meta()
            return "complete" if meta.get("status") == "complete" else "resume"
        if self.path.exists() and (not self.path.is_dir() or any(self.path.iterdir())):
            raise SlmbenchError(
                f"{self.path} exists and is not a train run folder (no {RECIPE}); "
                "choose another --out"
            )
        if is_main_process():
            self.path.mkdir(parents=True, exist_ok=True)
            _write_json(self.recipe_path, identity["recipe"])
        return "new"

    def run_name(self, requested: str | None) -> str:
        """The run's name: `--name`, else the one an earlier session recorded, else the
        folder's basename."""
        if requested is not None:
            if not requested.strip() or "\n" in requested:
                raise SlmbenchError(f"--name {requested!r}: give a non-empty one-line name")
            return requested
        return self._recipe_json().get("name") or self.path.resolve().name

    def _recipe_json(self) -> dict[str, Any]:
        if not self.recipe_path.is_file():
            return {}
        try:
            return json.loads(self.recipe_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise SlmbenchError(f"{self.recipe_path}:{e.lineno}: not valid JSON") from None

    def _record_name(self, name: str | None) -> None:
        """Name (or rename) an existing run in recipe.json and train_meta.json."""
        recorded = self._recipe_json()
        if not name or recorded.get("name") == name or not is_main_process():
            return
        if recorded.get("name"):
            print(f"{self.path}: renamed from {recorded['name']!r} to {name!r}")
        rest = {key: value for key, value in recorded.items() if key != "name"}
        _write_json(self.recipe_path, {"name": name, **rest})
        if self.meta_path.is_file():
            self.update_meta(name=name)

    def _check_same(self, identity: dict[str, Any]) -> None:
        # A recipe.json written before a recipe field existed trained with its default (a new
        # field's default keeps the earlier behaviour), so that run still resumes.
        existing = {**Recipe().to_dict(), **self._recipe_json()}
        wanted = identity["recipe"]
        differing = [
            f"{key}: {existing.get(key)!r} there, {wanted.get(key)!r} now"
            for key in sorted(set(existing) | set(wanted))
            if key not in NOT_IDENTITY and existing.get(key) != wanted.get(key)
        ]
        meta = self.read_meta()
        if meta.get("data", {}).get("sha256") not in (None, identity["data_sha256"]):
            differing.append("training data sha256 differs")
        if meta.get("val") not in (None, identity["val"]):
            differing.append(f"validation: {meta['val']} there, {identity['val']} now")
        if differing:
            raise SlmbenchError(
                f"{self.path} holds another run ({'; '.join(differing)}); "
                "choose another --out or delete that folder"
            )

    def read_meta(self) -> dict[str, Any]:
        if not self.meta_path.is_file():
            return {}
        try:
            return json.loads(self.meta_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise SlmbenchError(f"{self.meta_path}:{e.lineno}: not valid JSON") from None

    def start_meta(
        self,
        request: Any,
        model_dir: Path,
        data_sha: str | None,
        n_rows_file: int,
        train_set: Any,
        val_set: Any,
        val_spec: dict,
        extra: dict[str, Any],
    ) -> dict[str, Any]:
        """Write train_meta.json for a starting (or resuming) session; keeps the earlier
        sessions' creation date and wall time."""
        from slmbench.provenance import git_provenance, hardware, now_iso, package_versions

        previous = self.read_meta()
        recipe = request.recipe
        meta = {
            "schema_version": 1,
            "kind": "train",
            "status": "running",
            "created": previous.get("created") or now_iso(),
            **git_provenance(),
            "versions": package_versions(),
            "hardware": hardware(),
            "base_model": request.model,
            "base_model_path": str(model_dir),
            "method": recipe.method,
            "prompt_style": recipe.prompt_style,
            "loss_average": recipe.loss_average,
            "recipe_source": request.recipe_source,
            "data": {"path": str(request.data), "sha256": data_sha, "n_rows": n_rows_file},
            "schemas": str(request.schemas) if request.schemas else "packaged",
            "val": val_spec,
            "n_train_rows": train_set.n_rows,
            "n_train_examples": len(train_set.examples),
            "max_length": recipe.max_length,
            "truncation": recipe.truncation,
            "n_truncated": len(train_set.truncated_ids),
            "n_dropped": len(train_set.dropped_ids),
            "truncated_ids": train_set.truncated_ids,
            "dropped_ids": train_set.dropped_ids,
            "train_tokens": sum(len(e) for e in train_set.examples),
            "n_val_rows": val_set.n_rows if val_set else 0,
            "n_val_truncated": len(val_set.truncated_ids) if val_set else 0,
            "n_val_dropped": len(val_set.dropped_ids) if val_set else 0,
            "wall_s": previous.get("wall_s", 0.0),
            "sessions": previous.get("sessions", 0) + 1,
            **extra,
        }
        if is_main_process():
            _write_json(self.meta_path, meta)
        return meta

    def update_meta(self, **changes: Any) -> dict[str, Any]:
        meta = {**self.read_meta(), **changes}
        if is_main_process():
            _write_json(self.meta_path, meta)
        return meta

    def write_val_ids(self, val_rows: list, val_spec: dict) -> None:
        """`val_ids.json`: the held-out rows, so that evaluation can use exactly them."""
        if is_main_process():
            _write_json(self.path / VAL_IDS, {**val_spec, "ids": [row.id for row in val_rows]})

    def last_checkpoint(self) -> Path | None:
        """The newest complete Trainer checkpoint (one with its trainer_state.json)."""
        if not self.checkpoints_dir.is_dir():
            return None
        found = [
            p
            for p in self.checkpoints_dir.glob("checkpoint-*")
            if p.name.rsplit("-", 1)[1].isdigit() and (p / "trainer_state.json").is_file()
        ]
        return max(found, key=lambda p: int(p.name.rsplit("-", 1)[1])) if found else None

    def trim_log(self, step: int) -> None:
        """Drop log rows after `step` (written after the checkpoint being resumed), so that the
        resumed run neither loses nor repeats steps."""
        if not is_main_process() or not self.log_path.is_file():
            return
        kept = []
        for line in self.log_path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by the interruption
            if row.get("step", 0) <= step and row.get("kind") != "summary":
                kept.append(line + "\n")
        self.log_path.write_text("".join(kept), encoding="utf-8")

    def reset_log(self) -> None:
        """A fresh start: no log rows and no checkpoints of an earlier aborted attempt."""
        if not is_main_process():
            return
        self.log_path.unlink(missing_ok=True)
        if self.checkpoints_dir.is_dir():
            shutil.rmtree(self.checkpoints_dir)


def _write_json(path: Path, obj: Any) -> None:
    from slmbench.provenance import write_json

    write_json(path, obj)
