"""`--name` on `slmbench eval` and `slmbench train`: recorded in the run (run_config.json and
results.json; recipe.json and train_meta.json), by default the run folder's basename, and not
part of the run's identity: naming or renaming a run resumes it instead of refusing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slmbench.cli import main
from slmbench.models.base import Generation
from slmbench.train.recipe import Recipe, load_recipe
from slmbench.train.run_folder import RunFolder

SCHEMA = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"type": "string"}, "city": {"type": "string"}},
}


@pytest.fixture
def workspace(tmp_path) -> Path:
    (tmp_path / "schemas" / "simple").mkdir(parents=True)
    (tmp_path / "schemas" / "simple" / "contact.json").write_text(json.dumps(SCHEMA))
    rows = [
        {
            "id": f"r{i}",
            "schema_id": "contact",
            "prompt": f"ID r{i}. Name: P{i}\nCity: Oslo",
            "expected_output": {"name": f"P{i}", "city": "Oslo"},
        }
        for i in range(8)
    ]
    (tmp_path / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return tmp_path


class EchoBackend:
    """Answers every row with its gold object (no tokenizer: chat prompts come as messages)."""

    name = "echo"
    tokenizer = None

    def generate(self, requests):
        out = []
        for r in requests:
            i = r.prompt.split("ID r", 1)[1].split(".", 1)[0]
            text = json.dumps({"name": f"P{i}", "city": "Oslo"})
            out.append(Generation(text, 10, 5, 0.01, 0.02, False, {}))
        return out

    def info(self):
        return {"name": "echo"}


def _eval(ws: Path, *extra: str) -> int:
    argv = ["eval", "--model", "echo", "--data", str(ws / "data.jsonl")]
    argv += ["--schemas", str(ws / "schemas"), "--out", str(ws / "zs-run"), "--no-progress"]
    return main([*argv, *extra])


def _names(run: Path) -> tuple[str, str]:
    config = json.loads((run / "run_config.json").read_text())
    results = json.loads((run / "results.json").read_text())
    return config["name"], results["name"]


def test_eval_records_a_name_and_renaming_resumes(workspace, monkeypatch, capsys):
    monkeypatch.setattr("slmbench.eval.runner._load_backend", lambda *a: EchoBackend())
    run = workspace / "zs-run"
    assert _eval(workspace, "--limit", "4") == 0
    assert _names(run) == ("zs-run", "zs-run")  # default: the folder's basename
    assert _eval(workspace, "--limit", "4", "--name", "zeroshot-chat") == 0
    assert "different run" not in capsys.readouterr().err
    assert _names(run) == ("zeroshot-chat", "zeroshot-chat")
    assert _eval(workspace, "--limit", "4") == 0  # no --name: the recorded one stays
    assert _names(run) == ("zeroshot-chat", "zeroshot-chat")
    assert len((run / "predictions.jsonl").read_text().splitlines()) == 4  # nothing redone
    assert _eval(workspace, "--limit", "4", "--prompt", "paper") == 2  # identity still holds
    assert "different run" in capsys.readouterr().err
    assert _eval(workspace, "--limit", "4", "--name", " ") == 2
    assert "--name" in capsys.readouterr().err


def test_a_train_run_folder_records_its_name_outside_its_identity(tmp_path, capsys):
    folder = RunFolder(tmp_path / "lora-r8")
    name = folder.run_name(None)
    assert name == "lora-r8"
    identity = folder.identity("m", Recipe(), "paper", "sha", {"source": "none"}, None, name)
    assert folder.claim(identity) == "new"
    recipe = json.loads(folder.recipe_path.read_text())
    assert recipe["name"] == "lora-r8" and list(recipe)[:2] == ["name", "base_model"]
    folder.update_meta(status="running", name=name)

    renamed = folder.run_name("edgejson-lora-r8")
    identity = folder.identity("m", Recipe(), "paper", "sha", {"source": "none"}, None, renamed)
    assert folder.claim(identity) == "resume"  # not refused as another run
    assert "renamed from 'lora-r8' to 'edgejson-lora-r8'" in capsys.readouterr().out
    assert json.loads(folder.recipe_path.read_text())["name"] == "edgejson-lora-r8"
    assert folder.read_meta()["name"] == "edgejson-lora-r8"
    assert folder.run_name(None) == "edgejson-lora-r8"  # kept when --name is not given
    # The recipe.json of a named run still retrains it (`--config RUN/recipe.json`).
    assert load_recipe(config=folder.recipe_path)[0] == Recipe()


def test_train_names_the_run_and_a_finished_run_can_be_renamed(
    tmp_path, tiny_model_dir, workspace, capsys
):
    out = tmp_path / "quick-x1"
    argv = ["train", "--model", str(tiny_model_dir), "--data", str(workspace / "data.jsonl")]
    argv += ["--schemas", str(workspace / "schemas"), "--out", str(out), "--recipe", "paper"]
    argv += ["--max-steps", "1", "--bf16", "false", "--prompt-style", "chat"]
    assert main(argv) == 0
    recorded = (
        json.loads((out / "recipe.json").read_text()),
        json.loads((out / "train_meta.json").read_text()),
    )
    assert [r["name"] for r in recorded] == ["quick-x1", "quick-x1"]
    capsys.readouterr()
    assert main([*argv, "--name", "edgejson-quick"]) == 0
    assert "nothing to train" in capsys.readouterr().out
    recorded = (
        json.loads((out / "recipe.json").read_text()),
        json.loads((out / "train_meta.json").read_text()),
    )
    assert [r["name"] for r in recorded] == ["edgejson-quick", "edgejson-quick"]
