"""The Python API at the package top level: lazy (`import slmbench` imports no stage), one typed
function per stage command taking that command's options, and the pipeline as typed calls of
them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import slmbench
from slmbench.models.base import Generation

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ("build_data", "validate", "stats", "evaluate", "bench", "compare", "train")
FUNCTIONS += ("export", "report", "pipeline")


def run_python(probe: str) -> str:
    """The stdout of `probe` run by a fresh interpreter (nothing imported by this one)."""
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout


def test_import_slmbench_is_light():
    probe = (
        "import json, sys, slmbench\n"
        "before = sorted(m for m in sys.modules if m.startswith('slmbench'))\n"
        "slmbench.EvalOptions, slmbench.TrainOptions, slmbench.evaluate, slmbench.train\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers')]\n"
        "print(json.dumps([before, heavy, 'slmbench.eval.runner' in sys.modules]))\n"
    )
    assert json.loads(run_python(probe)) == [["slmbench"], [], False]


def test_every_api_name_resolves_to_its_stage():
    for name in slmbench.__all__:
        assert getattr(slmbench, name) is not None, name
    for name in FUNCTIONS:
        assert callable(getattr(slmbench, name)), name
    assert slmbench.evaluate.__module__ == "slmbench.eval.api"
    assert slmbench.BuildDataOptions.__module__ == "slmbench.data.api"
    with pytest.raises(AttributeError):
        slmbench.no_such_thing  # noqa: B018


def test_train_and_report_are_the_function_whichever_was_imported_first():
    # `slmbench.train` is also a subpackage: it must be callable even when a submodule of it
    # was imported before anyone asked for the function.
    probe = (
        "import slmbench.train.recipe, slmbench.report.formatting, slmbench.pipeline as p\n"
        "import slmbench\n"
        "from slmbench import train, report\n"
        "print(callable(slmbench.train), callable(train), callable(report), callable(p))\n"
    )
    assert run_python(probe).split() == ["True"] * 4


class EchoGold:
    """Answers every row with its gold object, except the rows in `wrong`."""

    tokenizer = None

    def __init__(self, data: Path, wrong: int = 0):
        rows = [json.loads(line) for line in data.read_text().splitlines()]
        self.gold = {r["prompt"]: r["expected_output"] for r in rows}
        self.wrong = {r["prompt"] for r in rows[:wrong]}

    def generate(self, requests):
        out = []
        for r in requests:
            prompt = next(p for p in self.gold if p in (r.messages or [{}])[-1].get("content", ""))
            answer = {} if prompt in self.wrong else self.gold[prompt]
            out.append(Generation(json.dumps(answer), 10, 5, 0.01, 0.02, False, {}))
        return out

    def info(self):
        return {"name": "echo-gold"}


def test_the_api_end_to_end_without_a_model(tmp_path):
    data = tmp_path / "data"
    manifest = slmbench.build_data(slmbench.BuildDataOptions(out=data, train=30, test=30))
    assert manifest["counts"]["test"]["total"] == 30
    check = slmbench.validate(
        slmbench.ValidateOptions(file=data / "train.jsonl", against=data / "test.jsonl")
    )
    assert check.ok
    stats = slmbench.stats(slmbench.StatsOptions(file=data / "test.jsonl"))
    assert stats["n_rows"] == 30 and not stats["tokens"]

    test = data / "test.jsonl"
    runs = {}
    for name, wrong in (("all-right", 0), ("six-wrong", 6)):
        options = slmbench.EvalOptions(model="echo", data=str(test), out=str(tmp_path / name))
        results = slmbench.evaluate(
            options, backend_factory=lambda *_, w=wrong: EchoGold(test, w), echo=lambda _: None
        )
        runs[name] = tmp_path / name
        assert results["metrics"]["overall"]["json_exact"]["value"] == (30 - wrong) / 30
        assert results["name"] == name
    comparison = slmbench.compare(
        slmbench.CompareOptions(run_a=str(runs["six-wrong"]), run_b=str(runs["all-right"]))
    )
    assert comparison["groups"]["overall"]["mcnemar"]["c"] == 6
    done = slmbench.report(
        slmbench.ReportOptions(runs=list(runs.values()), out=tmp_path / "report", root=tmp_path)
    )
    assert (tmp_path / "report" / "index.html").is_file() and len(done.report.runs.evals) == 2


def test_api_errors_name_the_field(tmp_path):
    with pytest.raises(slmbench.errors.SlmbenchError, match="^backend: 'vllm' is not one of"):
        slmbench.evaluate(slmbench.EvalOptions(data="d", out="o", backend="vllm"))
    with pytest.raises(slmbench.errors.SlmbenchError, match="unknown recipe field 'epoch'"):
        slmbench.train(
            slmbench.TrainOptions(
                model="m", data=tmp_path / "x", out=tmp_path / "r", recipe_overrides={"epoch": 1}
            )
        )


def test_the_pipeline_is_typed_calls_of_the_api(tmp_path):
    from slmbench.pipeline import plan

    options = slmbench.PipelineOptions(out=tmp_path, limit=4)
    steps = plan(options)
    assert [s.run.__name__ for s in steps] == [
        "build_data",
        "_validate",
        "evaluate",
        "train",
        "evaluate",
        "_compare",
        "report",
    ]
    made = [s.options() for s in steps]
    assert [type(m).__name__ for m in made] == [
        "BuildDataOptions",
        "ValidateOptions",
        "EvalOptions",
        "TrainOptions",
        "EvalOptions",
        "CompareOptions",
        "ReportOptions",
    ]
    assert made[3].recipe == "quick" and made[3].recipe_overrides == {"seed": 0}
    assert made[2].limit == 4 and made[2].model == "smollm2-135m-instruct"
    # A full fine-tune is evaluated as a model, a LoRA run as an adapter on its base.
    assert (made[4].model, made[4].adapter) == (str(tmp_path / "train"), None)
    (tmp_path / "train" / "adapter").mkdir(parents=True)
    tuned = steps[4].options()
    assert (tuned.model, tuned.adapter) == ("smollm2-135m-instruct", str(tmp_path / "train"))
    short = plan(slmbench.PipelineOptions(out=tmp_path, skip_train=True))
    assert [s.command for s in short] == ["data build", "data validate", "eval", "report"]


def test_docs_point_to_sections_that_exist():
    """Docstrings and tests point to CONTRIBUTING.md sections, never to documents the repo does
    not have."""
    text = (ROOT / "CONTRIBUTING.md").read_text()
    sections = set(re.findall(r"^## (.+)$", text, re.M))
    files = [*ROOT.joinpath("src").rglob("*.py"), *ROOT.joinpath("tests").glob("*.py")]
    absent = ("DEVELOPERS" + ".md", "team " + "brief")
    cited = set()
    for path in files:
        source = path.read_text()
        assert not [doc for doc in absent if doc in source], path
        cited |= set(re.findall(r'CONTRIBUTING\.md, "([^"]+)"', source))
    assert {"Layers", "The results contract"} <= cited
    assert {"Layers", "The results contract"} <= sections
