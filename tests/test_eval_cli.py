"""`slmbench eval` and `slmbench compare` through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slmbench.cli import main
from slmbench.errors import DataError
from slmbench.models.base import Generation

SCHEMA = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
}


class EchoGoldBackend:
    """Answers with the gold object of the row named in the prompt, except for the rows in
    `wrong` (a wrong age); no tokenizer, so chat prompts arrive as messages."""

    name = "fake"
    tokenizer = None

    def __init__(self, golds: dict[str, dict], wrong: set[str]):
        self.golds, self.wrong, self.constrained_seen = golds, wrong, set()

    def generate(self, requests):
        out = []
        for r in requests:
            key = r.prompt.split("ID ", 1)[1].split(".", 1)[0]
            gold = dict(self.golds[key])
            if key in self.wrong:
                gold["age"] = -1
            self.constrained_seen.add(r.schema is not None)
            text = json.dumps(gold)
            out.append(Generation(text, 20, 10, 0.02, 0.1, False, {}))
        return out

    def info(self):
        return {"name": "echo", "params": 1}


@pytest.fixture
def workspace(tmp_path) -> Path:
    (tmp_path / "schemas" / "simple").mkdir(parents=True)
    (tmp_path / "schemas" / "simple" / "person.json").write_text(json.dumps(SCHEMA))
    (tmp_path / "schemas" / "complex").mkdir()
    (tmp_path / "schemas" / "complex" / "family.json").write_text(json.dumps(SCHEMA))
    with (tmp_path / "data.jsonl").open("w") as f:
        for i in range(30):
            f.write(
                json.dumps(
                    {
                        "id": f"r{i}",
                        "schema_id": "person" if i % 2 else "family",
                        "prompt": f"ID r{i}. Name P{i}, aged {i}.",
                        "expected_output": {"name": f"P{i}", "age": i},
                    }
                )
                + "\n"
            )
    return tmp_path


def use_backend(monkeypatch, workspace: Path, wrong: set[str]) -> EchoGoldBackend:
    golds = {}
    for line in (workspace / "data.jsonl").read_text().splitlines():
        row = json.loads(line)
        golds[row["id"]] = row["expected_output"]
    backend = EchoGoldBackend(golds, wrong)
    monkeypatch.setattr("slmbench.eval.runner._load_backend", lambda *a: backend)
    return backend


def eval_args(ws: Path, out: str, *extra: str) -> list[str]:
    return [
        "eval",
        "--model",
        "echo",
        "--data",
        str(ws / "data.jsonl"),
        "--schemas",
        str(ws / "schemas"),
        "--out",
        str(ws / out),
        "--no-progress",
        *extra,
    ]


def test_eval_prints_summary_and_writes_run(workspace, monkeypatch, capsys):
    backend = use_backend(monkeypatch, workspace, wrong={"r1", "r2", "r3"})
    assert main(eval_args(workspace, "run", "--constrained", "--batch-size", "4")) == 0
    out = capsys.readouterr().out
    assert "JSONExact" in out and "overall" in out and "complex" in out
    assert "90.0 [" in out  # 27 of 30 exact
    results = json.loads((workspace / "run" / "results.json").read_text())
    assert results["config"]["constrained"] == "strict"
    assert results["config"]["batch_size"] == 4
    assert backend.constrained_seen == {True}
    assert results["metrics"]["overall"]["json_exact"]["value"] == pytest.approx(27 / 30)


def test_compare_runs(workspace, monkeypatch, capsys):
    use_backend(monkeypatch, workspace, wrong={f"r{i}" for i in range(0, 30, 2)} | {"r1"})
    assert main(eval_args(workspace, "a")) == 0
    use_backend(monkeypatch, workspace, wrong={"r1", "r3"})
    assert main(eval_args(workspace, "b")) == 0
    capsys.readouterr()
    assert main(["compare", str(workspace / "a"), str(workspace / "b")]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    # A wrong on 16 (r1 + 15 even ids), B on 2 (r1, r3): A-only right r3, B-only 15.
    assert lines["overall"].split()[1:3] == ["30", "46.7"]
    assert "+46.7" in lines["overall"] and "(exact)" in lines["overall"]
    assert set(lines) >= {"simple", "complex"}
    assert main(["compare", str(workspace / "a"), str(workspace / "b"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    mc = result["groups"]["overall"]["mcnemar"]
    assert (mc["b"], mc["c"]) == (1, 15)
    assert mc["p_value"] == pytest.approx(2 * 17 / 2**16)
    assert result["groups"]["complex"]["a"] == 0.0


def test_compare_refuses_different_datasets_unless_forced(workspace, monkeypatch, capsys):
    use_backend(monkeypatch, workspace, wrong=set())
    assert main(eval_args(workspace, "a", "--limit", "10")) == 0
    data = workspace / "data.jsonl"
    data.write_text(data.read_text() + "\n")  # same rows, different bytes
    assert main(eval_args(workspace, "b", "--limit", "10")) == 0
    capsys.readouterr()
    assert main(["compare", str(workspace / "a"), str(workspace / "b")]) == 2
    err = capsys.readouterr().err.strip()
    assert "different datasets" in err and "--force" in err and "\n" not in err
    assert main(["compare", str(workspace / "a"), str(workspace / "b"), "--force"]) == 0
    assert "WARNING" in capsys.readouterr().out


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("slmbench eval: error:"), err
    return err


def test_bad_inputs_exit_2_with_one_line(workspace, monkeypatch, capsys):
    rows = [json.loads(x) for x in (workspace / "data.jsonl").read_text().splitlines()]
    del rows[2]["expected_output"]
    (workspace / "nogold.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    args = eval_args(workspace, "r")
    args[args.index("--data") + 1] = str(workspace / "nogold.jsonl")
    assert main(args) == 2
    assert "nogold.jsonl:3" in one_line_error(capsys)

    rows[2]["expected_output"], rows[4]["schema_id"] = {"name": "x"}, "no_such_schema"
    (workspace / "badschema.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    args[args.index("--data") + 1] = str(workspace / "badschema.jsonl")
    assert main(args) == 2
    assert "unknown schema id 'no_such_schema'" in one_line_error(capsys)

    assert main(eval_args(workspace, "r", "--adapter", str(workspace / "nope"))) == 2
    assert "does not exist" in one_line_error(capsys)


def test_unknown_model_lists_known_ones(workspace, capsys):
    pytest.importorskip("slmbench.models.hf_backend")
    args = eval_args(workspace, "r")
    args[args.index("--model") + 1] = "no-such-model-xyz"
    assert main(args) == 2
    err = one_line_error(capsys)
    assert "no-such-model-xyz" in err and "smollm2-135m-instruct" in err


def test_changed_config_is_refused(workspace, monkeypatch, capsys):
    use_backend(monkeypatch, workspace, wrong=set())
    assert main(eval_args(workspace, "run", "--limit", "4")) == 0
    assert main(eval_args(workspace, "run", "--limit", "4", "--prompt", "paper")) == 2
    assert "different run" in one_line_error(capsys)


def test_ids_selects_a_held_out_part(tmp_path):
    from slmbench.data.rows import read_rows
    from slmbench.eval.runner import select_ids

    data = tmp_path / "rows.jsonl"
    data.write_text(
        "".join(
            json.dumps(
                {
                    "id": f"r{i}",
                    "schema_id": "bookmark",
                    "complexity": "simple",
                    "prompt": f"text {i}",
                    "expected_output": {"x": i},
                }
            )
            + "\n"
            for i in range(4)
        )
    )
    rows = read_rows(data)
    ids = tmp_path / "val_ids.json"
    ids.write_text(json.dumps({"ids": ["r1", "r3"]}))
    kept, sha = select_ids(rows, str(ids), str(data))
    assert [r.id for r in kept] == ["r1", "r3"]
    ids.write_text(json.dumps(["r3", "r1"]))
    assert select_ids(rows, str(ids), str(data))[1] == sha  # order of the list does not matter
    ids.write_text(json.dumps(["r1", "nope"]))
    with pytest.raises(DataError, match="not in"):
        select_ids(rows, str(ids), str(data))
