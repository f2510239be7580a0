"""`slmbench sweep` on the tiny random Llama: a 2x2 grid (training rows x LoRA rank or full
fine-tuning) end to end, with one cell made to fail mid-training; the rerun skips the finished
cells and resumes that one from its checkpoint; the choice is made on validation rows only and
only chosen cells are evaluated on the test rows; the table and figures are written. Bad grid
files are one-line errors naming the field (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import write_tiny_dataset

import slmbench
from slmbench.cli import main
from slmbench.errors import SlmbenchError
from slmbench.sweep import SweepOptions
from slmbench.sweep_grid import read_grid
from slmbench.sweep_runner import grouped, subset_order

NAMES = ["Ada", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal", "Ivy", "Jo", "Kai", "Lu"]
CITIES = ["Paris", "Oslo", "Rome", "Lima"]
FAILING = "t-r4-n16-e1-lr5e-3"


def _rows(prefix: str, n: int) -> list[dict]:
    rows = []
    for i in range(n):
        name, city = NAMES[i % len(NAMES)], CITIES[i % 4]
        if i % 2:
            rows.append(
                {
                    "id": f"{prefix}o{i}",
                    "schema_id": "order",
                    "prompt": f"Order X{i}: pen, cup",
                    "expected_output": {"order_id": f"X{i}", "items": ["pen", "cup"]},
                }
            )
        else:
            rows.append(
                {
                    "id": f"{prefix}c{i}",
                    "schema_id": "contact",
                    "prompt": f"Name: {name}\nCity: {city}",
                    "expected_output": {"name": name, "city": city},
                }
            )
    return rows


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture(scope="module")
def grid_file(tmp_path_factory, tiny_model_dir) -> Path:
    root = write_tiny_dataset(tmp_path_factory.mktemp("sweep-data"), _rows("t", 16))
    grid = {
        "name": "t",
        "model": str(tiny_model_dir),
        "data": {
            "train": str(root / "train.jsonl"),
            "val": str(_write_jsonl(root / "val.jsonl", _rows("v", 4))),
            "val_split": "tiny-val",
            "test": str(_write_jsonl(root / "test.jsonl", _rows("x", 4))),
            "test_split": "tiny-test",
            "schemas": str(root / "schemas"),
        },
        "recipe": "paper",
        "recipe_overrides": {
            "prompt_style": "chat",
            "target_modules": "all-linear",
            "lora_dropout": 0.0,
            "grad_accum_steps": 1,
            "logging_steps": 1,
            "save_every_steps": 2,
            "bf16": "false",
        },
        "eval": {"batch_size": 4, "max_new_tokens": 6},
        "choose": {"metric": "json_exact", "by": ["rank"]},
        "blocks": [
            {
                "name": "grid",
                "rows": [8, 16],
                "rank": [4, "full"],
                "epochs": 1,
                "learning_rate": 5e-3,
            }
        ],
    }
    path = root / "grid.json"
    path.write_text(json.dumps(grid))
    return path


@pytest.fixture(scope="module")
def failed_then_resumed(grid_file, tmp_path_factory):
    """(sweep folder, sweep.json after a first run in which one cell failed mid-training, after
    the rerun, what the rerun printed, the finished cells' files after the first run)."""
    from transformers import TrainerCallback

    import slmbench.train.api as train_api

    real_train = train_api.train

    class Fail(TrainerCallback):
        def on_save(self, args, state, control, **kwargs):
            if state.global_step == 2:
                raise RuntimeError("injected failure after checkpoint-2")

    def failing_train(options, callbacks=None):
        extra = [Fail()] if options.name == FAILING else []
        return real_train(options, callbacks=[*(callbacks or []), *extra])

    out = tmp_path_factory.mktemp("sweep") / "out"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(train_api, "train", failing_train)
        assert main(["sweep", str(grid_file), "--out", str(out)]) == 1  # a failed cell: exit 1
    first = json.loads((out / "sweep.json").read_text())
    files = {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in out.glob("*/*/*")
        if p.name in ("predictions.jsonl", "train_log.jsonl") and FAILING not in str(p)
    }
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        record = slmbench.sweep(SweepOptions(grid=grid_file, out=out))  # the Python API
    return out, first, record, printed.getvalue(), files


def _cell(record: dict, name: str) -> dict:
    return next(c for c in record["cells"] if c["name"] == name)


def test_a_failed_cell_is_recorded_and_the_others_go_on(failed_then_resumed):
    _, first, _, _, _ = failed_then_resumed
    names = [c["name"] for c in first["cells"]]
    assert names == ["t-r4-n8-e1-lr5e-3", "t-full-n8-e1-lr5e-3", FAILING, "t-full-n16-e1-lr5e-3"]
    failing = _cell(first, FAILING)
    assert failing["status"] == "failed" and failing["train"]["status"] == "failed"
    assert "injected failure after checkpoint-2" in failing["train"]["error"]
    assert failing["val"] is None and first["failed"] == [FAILING]
    others = [c for c in first["cells"] if c["name"] != FAILING]
    assert all(c["status"] == "complete" for c in others)
    # The full fine-tuning group was complete, so it was chosen and tested; rank 4 waits.
    by_group = {c["group"]["rank"]: c for c in first["choices"]}
    assert by_group[4]["status"] == "waiting" and by_group[4]["waiting_for"] == [FAILING]
    assert by_group["full"]["status"] == "chosen"
    tested = [c["name"] for c in first["cells"] if c["test"]]
    assert tested == [by_group["full"]["cell"]]


def test_the_rerun_skips_finished_cells_and_resumes_the_failed_one(failed_then_resumed):
    out, _, record, printed, files = failed_then_resumed
    assert record["status"] == "complete" and record["failed"] == []
    assert printed.count("done before, skipped") == 3
    assert "resuming from" in printed and "checkpoint-2" in printed
    meta = json.loads((out / "train" / FAILING / "train_meta.json").read_text())
    assert meta["status"] == "complete" and meta["sessions"] == 2
    assert meta["resumed_from"] == "checkpoint-2"
    for path, content in files.items():  # finished cells: not one byte redone
        assert (out / path).read_bytes() == content, path


def test_cells_are_normal_run_folders_and_only_chosen_cells_see_the_test_rows(
    failed_then_resumed,
):
    out, _, record, _, _ = failed_then_resumed
    chosen = [c["name"] for c in record["cells"] if c["chosen"]]
    assert len(chosen) == 2  # one per rank group
    for cell in record["cells"]:
        name = cell["name"]
        assert cell["train"]["run"] == f"train/{name}"
        assert (out / "train" / name / "recipe.json").is_file()
        val = json.loads((out / "eval" / f"{name}.on-tiny-val" / "results.json").read_text())
        assert val["name"] == f"{name}.on-tiny-val" and val["n"] == 4
        assert (
            cell["val"]["metrics"]["overall"]["json_exact"]
            == val["metrics"]["overall"]["json_exact"]
        )
        assert cell["train"]["wall_s"] >= 0 and cell["val"]["wall_s"] >= 0  # recorded
        tested = (out / "eval" / f"{name}.on-tiny-test").is_dir()
        assert tested == (name in chosen) == (cell["test"] is not None)
    recipe = json.loads((out / "train" / "t-r4-n8-e1-lr5e-3" / "recipe.json").read_text())
    assert (recipe["method"], recipe["lora_r"], recipe["epochs"]) == ("lora", 4, 1.0)
    full = json.loads((out / "train" / "t-full-n16-e1-lr5e-3" / "recipe.json").read_text())
    assert full["method"] == "full" and full["learning_rate"] == 5e-3
    # Subsets are nested: the 8-row file's rows are among the 16-row file's.
    small, large = (
        {json.loads(line)["id"] for line in (out / "data" / f"train-n{n}.jsonl").open()}
        for n in (8, 16)
    )
    assert len(small) == 8 and small < large


def test_table_and_figures_are_written(failed_then_resumed):
    out, _, record, _, _ = failed_then_resumed
    table = (out / "report" / "sweep.md").read_text()
    for cell in record["cells"]:
        assert cell["name"] in table
    assert "JSONExact % (tiny-val)" in table and "JSONExact % (tiny-test, chosen)" in table
    figures = sorted(p.name for p in (out / "report" / "figures").glob("*.png"))
    assert figures == [
        "sweep_pareto_latency.png",
        "sweep_pareto_params.png",
        "sweep_rank.png",
        "sweep_rows.png",
    ]
    assert all((out / "report" / "figures" / f).stat().st_size > 1000 for f in figures)


def test_plan_counts_tokens_and_writes_nothing(grid_file, tmp_path, capsys):
    out = tmp_path / "never"
    assert main(["sweep", str(grid_file), "--out", str(out), "--plan"]) == 0
    printed = capsys.readouterr().out
    assert not out.exists()
    rows = [line for line in printed.splitlines() if line.startswith("| t-")]
    assert len(rows) == 4
    tokens = {line.split("|")[1].strip(): int(line.split("|")[4].replace(",", "")) for line in rows}
    assert 0 < tokens["t-r4-n8-e1-lr5e-3"] < tokens[FAILING]
    assert tokens["t-r4-n8-e1-lr5e-3"] == tokens["t-full-n8-e1-lr5e-3"]


def test_subsets_are_nested_and_grid_cells_shared_by_blocks_run_once(grid_file, tmp_path):
    from slmbench.data.rows import Row

    rows = [Row(f"r{i}", "ab"[i % 2], "simple", "") for i in range(40)]
    order = subset_order(rows, seed=3)
    assert order == subset_order(rows, seed=3) and sorted(order) == sorted(r.id for r in rows)
    assert sum(1 for i in order[:10] if int(i[1:]) % 2) == 5  # stratified by schema
    grid = json.loads(grid_file.read_text())
    grid["blocks"] = [
        {"name": "rows", "rows": [8, 16], "rank": 4},
        {"name": "rank", "rows": 16, "rank": [4, 8]},
        {"name": "alpha", "rows": 8, "rank": 8, "alpha": "2r"},
    ]
    path = tmp_path / "grid.yaml"
    pytest.importorskip("yaml").safe_dump(grid, path.open("w"))
    from slmbench.sweep import setup

    cells = setup(SweepOptions(grid=path, out=tmp_path / "o")).cells
    assert [(c.name, c.blocks, c.alpha) for c in cells] == [  # the paper recipe: r16, alpha 32
        ("t-r4-n8-e3-lr3e-4", ("rows",), 32),
        ("t-r4-n16-e3-lr3e-4", ("rows", "rank"), 32),
        ("t-r8-n16-e3-lr3e-4", ("rank",), 32),
        ("t-r8-a16-n8-e3-lr3e-4", ("alpha",), 16),
    ]
    groups = grouped(cells, ["block"])
    assert {k[0][1]: [c.rows for c in v] for k, v in groups.items()} == {
        "rows": [8, 16],
        "rank": [16, 16],
        "alpha": [8],
    }


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda g: g.update(colour=1), "unknown field 'colour'"),
        (lambda g: g["blocks"][0].update(lr=1), "unknown field 'blocks[0].lr'"),
        (
            lambda g: g["blocks"][0].update(rank=[4, "ful"]),
            "field 'blocks[0].rank[1]' must be an integer or 'full', got 'ful'",
        ),
        (lambda g: g["blocks"][0].update(rows="8"), "field 'blocks[0].rows' must be an integer"),
        (lambda g: g["blocks"][0].update(rows=[8, 99]), "'blocks[0].rows[1]' asks for 99 rows"),
        (lambda g: g["eval"].update(batch_size=2.5), "field 'eval.batch_size' must be an integer"),
        (lambda g: g["choose"].update(by=["size"]), "field 'choose.by': 'size' is not one of"),
        (lambda g: g["data"].pop("val_split"), "missing field 'data.val_split'"),
        (lambda g: g["blocks"][0].update(alpha="two"), "'blocks[0].alpha[0]' must be a number"),
        (lambda g: g["recipe_overrides"].update(lora_rank=8), "unknown recipe field 'lora_rank'"),
        (lambda g: g.update(name="a/b"), "field 'name': 'a/b' is not a folder-name-safe name"),
    ],
)
def test_bad_grid_fields_are_one_line_errors(grid_file, tmp_path, capsys, edit, message):
    grid = json.loads(grid_file.read_text())
    edit(grid)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(grid))
    assert main(["sweep", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err and str(path) in err
    assert not (tmp_path / "o").exists()


def test_unreadable_grid_files(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x",\n  "data": }')
    assert main(["sweep", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert f"{bad}:2: not valid JSON" in capsys.readouterr().err
    assert main(["sweep", str(tmp_path / "none.json"), "--out", str(tmp_path / "o")]) == 2
    assert "grid file not found" in capsys.readouterr().err
    with pytest.raises(SlmbenchError, match="must be an object"):
        bad.write_text("[1, 2]")
        read_grid(bad)


def test_device_and_only_are_checked_before_anything_is_written(grid_file, tmp_path, capsys):
    import torch

    out = tmp_path / "o"
    assert main(["sweep", str(grid_file), "--out", str(out), "--only", "*-r99-*"]) == 2
    assert "--only *-r99-*: no cell of the grid matches" in capsys.readouterr().err
    if not torch.cuda.is_available():
        assert main(["sweep", str(grid_file), "--out", str(out), "--device", "cuda"]) == 2
        assert "--device cuda: no CUDA device" in capsys.readouterr().err
    assert not out.exists()
