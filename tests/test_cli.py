"""The `slmbench` command generated from the options dataclasses (`slmbench.options`): every
command keeps its flags, names and defaults; the help is the fields' docstrings; choices come
from the constants; `slmbench --help` imports nothing heavy."""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from slmbench.cli import build_parser, main
from slmbench.data.api import BuildDataOptions
from slmbench.deploy.api import QUANTS, ExportOptions
from slmbench.eval.api import BenchOptions, EvalOptions, ModelOptions
from slmbench.eval.cli import CompareCommand
from slmbench.models.base import BACKEND_NAMES, CONSTRAINED_MODES, DEVICE_NAMES, DTYPE_NAMES
from slmbench.options import (
    add_arguments,
    check_choices,
    command_line,
    field_docs,
    from_args,
    option,
)
from slmbench.pipeline import PipelineOptions
from slmbench.prompts import PROMPT_STYLES
from slmbench.report.api import ReportOptions
from slmbench.train.api import TrainOptions
from slmbench.train.recipe import RECIPE_FIELDS

HEAVY = ("torch", "transformers", "peft", "accelerate", "llama_cpp", "matplotlib", "faker")
COMMANDS = (
    [],
    ["data", "build"],
    ["data", "validate"],
    ["data", "stats"],
    ["models"],
    ["eval"],
    ["compare"],
    ["bench"],
    ["train"],
    ["export"],
    ["report"],
    ["pipeline"],
    ["specialize"],
    ["extract"],
    ["data", "synth"],
    ["schema", "check"],
)


def parse(argv: list[str]):
    """The options object `slmbench ARGV` hands to its API function."""
    args = build_parser().parse_args(argv)
    return from_args(args.options_class, args)


def test_help_imports_nothing_heavy():
    probe = (
        "import contextlib, io, json, sys\n"
        "from slmbench.cli import main\n"
        f"for argv in {COMMANDS!r}:\n"
        "    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "        main([*argv, '--help'])\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    loaded = json.loads(done.stdout)
    assert [m for m in loaded if m.split(".")[0] in HEAVY] == []
    # and no stage's implementation either: only the API modules (options) and CLIs
    assert "slmbench.eval.runner" not in loaded and "slmbench.train.trainer" not in loaded


def test_eval_flags_keep_their_names_and_defaults():
    assert parse(["eval", "--data", "d.jsonl", "--out", "run"]) == EvalOptions(
        data="d.jsonl", out="run"
    )
    defaults = EvalOptions(data="d", out="o")
    assert (defaults.batch_size, defaults.max_new_tokens, defaults.backend) == (
        8,
        1024,
        "transformers",
    )
    assert defaults.progress and defaults.constrained is None and defaults.name is None
    given = [  # (what is typed, the field, its value): every flag `slmbench eval` always took
        (["--model", "m"], "model", "m"),
        (["--adapter", "a"], "adapter", "a"),
        (["--data", "d"], "data", "d"),
        (["--schemas", "s"], "schemas", "s"),
        (["--prompt", "paper"], "prompt_style", "paper"),
        (["--limit", "3"], "limit", 3),
        (["--ids", "ids.json"], "ids", "ids.json"),
        (["--batch-size", "4"], "batch_size", 4),
        (["--max-new-tokens", "9"], "max_new_tokens", 9),
        (["--backend", "openai"], "backend", "openai"),
        (["--base-url", "http://x"], "base_url", "http://x"),
        (["--dtype", "bfloat16"], "dtype", "bfloat16"),
        (["--device", "cpu"], "device", "cpu"),
        (["--threads", "2"], "threads", 2),
        (["--constrained"], "constrained", "strict"),
        (["--no-progress"], "progress", False),
        (["--out", "o"], "out", "o"),
        (["--name", "n"], "name", "n"),
    ]
    argv = ["eval", *(text for typed, _, _ in given for text in typed)]
    assert parse(argv) == EvalOptions(**{name: value for _, name, value in given})
    assert parse(["eval", "--data", "d", "--out", "o", "--constrained", "lenient"]).constrained


def test_other_commands_keep_their_flags_and_defaults():
    assert parse(["bench", "--out", "b.json"]) == BenchOptions(out="b.json")
    assert (BenchOptions(out="x").rows, BenchOptions(out="x").max_new_tokens) == (16, 1024)
    bench = parse(["bench", "--out", "b", "--rows", "2", "--markdown", "t.md", "--prompt", "chat"])
    assert (bench.rows, bench.markdown, bench.prompt_style) == (2, "t.md", "chat")
    assert parse(["compare", "A", "B", "--force"]) == CompareCommand(
        run_a="A", run_b="B", force=True
    )
    assert parse(["compare", "A", "B", "--json"]).json is True

    build = parse(["data", "build", "--out", "x", "--exclude", "a", "--exclude", "b"])
    assert build == BuildDataOptions(out=Path("x"), exclude=[Path("a"), Path("b")])
    assert (build.seed, build.train, build.test, build.tiers) == (0, 629, 158, None)
    assert parse(["data", "build", "--out", "x", "--tiers", "complex, medium"]).tiers == [
        "complex",
        "medium",
    ]
    validate = parse(["data", "validate", "f.jsonl", "--against", "t", "--max-failures", "0"])
    assert (validate.file, validate.against, validate.max_failures) == (
        Path("f.jsonl"),
        Path("t"),
        0,
    )
    assert parse(["data", "validate", "f"]).max_failures == 50
    assert parse(["data", "stats", "f", "--no-tokens"]).tokens is False
    assert parse(["models", "--json"]).json is True

    export = parse(["export", "run", "--quant", "f16", "--out", "m.gguf"])
    assert export == ExportOptions(run_dir=Path("run"), quant="f16", out=Path("m.gguf"))
    assert (ExportOptions(run_dir=Path("r")).quant, ExportOptions(run_dir=Path("r")).format) == (
        "q8_0",
        "gguf",
    )
    report = parse(["report", "r1", "r2", "--out", "o", "--no-with-reported", "--pareto-x", "size"])
    assert report.runs == [Path("r1"), Path("r2")] and not report.with_reported
    assert parse(["report", "--claims", "--check"]) == ReportOptions(claims=True, check=True)
    assert parse(["pipeline"]) == PipelineOptions()
    assert (PipelineOptions().out, PipelineOptions().recipe, PipelineOptions().train) == (
        Path("runs/main"),
        "quick",
        629,
    )
    assert parse(["pipeline", "--skip-train", "--limit", "5"]).skip_train is True


def test_train_flags_and_recipe_overrides():
    argv = ["train", "--model", "m", "--data", "t.jsonl", "--out", "run", "--recipe", "quick"]
    argv += ["--val-fraction", "0.1", "--merge", "--init-adapter", "a", "--lora-r", "8"]
    argv += ["--target-modules", "all-linear", "--name", "my-run"]
    options = parse(argv)
    assert options == TrainOptions(
        model="m",
        data=Path("t.jsonl"),
        out=Path("run"),
        recipe="quick",
        val_fraction=0.1,
        merge=True,
        init_adapter=Path("a"),
        name="my-run",
        recipe_overrides={"lora_r": "8", "target_modules": "all-linear"},
    )
    help_text = build_parser()._subparsers._group_actions[0].choices["train"].format_help()
    for name in RECIPE_FIELDS:
        assert "--" + name.replace("_", "-") in help_text


def test_prompt_style_is_one_flag_with_two_names():
    train = ["train", "--model", "m", "--data", "d", "--out", "o"]
    for head in (
        ["eval", "--data", "d", "--out", "o"],
        ["bench", "--out", "b"],
        ["extract", "m", "--input", "i"],
    ):
        styles = {
            parse([*head, flag, "paper"]).prompt_style for flag in ("--prompt-style", "--prompt")
        }
        assert styles == {"paper"}, head
    overrides = [
        parse([*train, flag, "paper"]).recipe_overrides for flag in ("--prompt-style", "--prompt")
    ]
    assert overrides == [{"prompt_style": "paper"}] * 2
    argv = command_line(EvalOptions(data="d", out="o", prompt_style="chat"))
    assert "--prompt-style" in argv and "--prompt" not in argv  # printed commands: the name


@dataclass
class Clash:
    """Two fields, one alias that is the other's flag."""

    style: str | None = option(None, aliases=["--mode"])
    """A style."""
    mode: str | None = None
    """A mode."""


def test_an_alias_that_is_another_flag_is_refused_when_the_parser_is_built():
    with pytest.raises(argparse.ArgumentError, match="conflicting option string: --mode"):
        add_arguments(argparse.ArgumentParser(prog="clash"), Clash)


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "--model", "m", "--data", "d", "--out", "o", "--recipe", "x", "--config", "c"],
        ["train", "--model", "m", "--data", "d", "--out", "o", "--val", "v", "--val-fraction", "1"],
        ["eval", "--data", "d", "--out", "o", "--backend", "vllm"],
        ["eval", "--data", "d"],
        ["export", "run", "--quant", "q2"],
        ["data", "build", "--out", "x", "--seed", "one"],
    ],
)
def test_bad_flags_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_choices_come_from_the_constants():
    sub = build_parser()._subparsers._group_actions[0].choices
    for command in ("eval", "bench"):
        actions = {a.dest: a for a in sub[command]._actions}
        assert tuple(actions["backend"].choices) == BACKEND_NAMES
        assert tuple(actions["constrained"].choices) == CONSTRAINED_MODES
        assert tuple(actions["prompt_style"].choices) == PROMPT_STYLES
        assert tuple(actions["dtype"].choices) == DTYPE_NAMES
        assert tuple(actions["device"].choices) == DEVICE_NAMES
    export = {a.dest: a for a in sub["export"]._actions}
    assert tuple(export["quant"].choices) == QUANTS


def test_eval_and_bench_share_one_definition_of_the_model_options():
    shared = {f.name for f in dataclasses.fields(ModelOptions)}
    for cls in (EvalOptions, BenchOptions):
        own = set(cls.__dataclass_fields__) - shared
        assert issubclass(cls, ModelOptions) and not own & shared
        assert not any(f in vars(cls).get("__annotations__", {}) for f in shared), cls


def test_every_option_field_has_a_docstring():
    sub = build_parser()._subparsers._group_actions[0].choices
    classes = {p.get_default("options_class") for p in sub.values()}
    data = sub["data"]._subparsers._group_actions[0].choices
    classes |= {p.get_default("options_class") for p in data.values()}
    classes.discard(None)
    assert len(classes) >= 11  # every command of `slmbench` and `slmbench data`
    for cls in classes:
        docs = field_docs(cls)
        missing = [f.name for f in dataclasses.fields(cls) if not docs.get(f.name)]
        assert missing == [], cls.__name__


@pytest.mark.parametrize(
    "options",
    [
        EvalOptions(data="d", out="o", constrained="lenient", progress=False, limit=2),
        BenchOptions(out="b.json", backend="llamacpp", rows=3, prompt_style="chat-schema"),
        BuildDataOptions(out=Path("x"), exclude=[Path("a"), Path("b")], tiers=["complex"]),
        TrainOptions(
            model="m",
            data=Path("d"),
            out=Path("o"),
            val=Path("v"),
            recipe_overrides={"epochs": "1", "token_budget": "none"},
        ),
        ReportOptions(runs=[Path("a"), Path("b")], out=Path("r"), with_reported=False),
        CompareCommand(run_a="a", run_b="b", force=True, json=True),
        PipelineOptions(skip_train=True, train=40),
    ],
)
def test_command_line_turns_back_into_the_same_options(options):
    commands = {
        EvalOptions: ["eval"],
        BenchOptions: ["bench"],
        BuildDataOptions: ["data", "build"],
        TrainOptions: ["train"],
        ReportOptions: ["report"],
        CompareCommand: ["compare"],
        PipelineOptions: ["pipeline"],
    }
    assert parse([*commands[type(options)], *command_line(options)]) == options


@dataclass(kw_only=True)
class Toy:
    """A dataclass exercising every form the generator knows."""

    path: Path = option(positional=True)
    """Where it is; 100% required."""
    count: int = 3
    """How many."""
    ratio: float | None = None
    """A fraction."""
    kind: Literal["a", "b"] = "a"
    """Which kind."""
    verbose: bool = False
    """Say more."""
    colour: bool = True
    """Use colour."""
    tags: list[str] = field(default_factory=list)
    """A tag (repeatable)."""
    mode: str | None = option(None, choices=("x", "y"), const="x", flag="--mode-flag")
    """A mode (bare flag: x)."""


def toy_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="toy")
    add_arguments(parser, Toy)
    return parser


def test_the_generator_on_every_field_form():
    parser = toy_parser()
    toy = from_args(Toy, parser.parse_args(["p"]))
    assert toy == Toy(path=Path("p"))
    argv = ["p", "--count", "5", "--ratio", "0.5", "--kind", "b", "--verbose", "--no-colour"]
    argv += ["--tags", "t1", "--tags", "t2", "--mode-flag"]
    assert from_args(Toy, parser.parse_args(argv)) == Toy(
        path=Path("p"),
        count=5,
        ratio=0.5,
        kind="b",
        verbose=True,
        colour=False,
        tags=["t1", "t2"],
        mode="x",
    )
    help_text = " ".join(parser.format_help().split())
    assert "Where it is; 100% required." in help_text and "How many. (default: 3)" in help_text
    assert "--colour, --no-colour" in help_text and "{a,b}" in help_text
    with pytest.raises(SystemExit):
        parser.parse_args([])  # the positional is required


def test_check_choices_names_the_field():
    from slmbench.errors import SlmbenchError

    check_choices(Toy(path=Path("p"), kind="b", mode="y"))
    with pytest.raises(SlmbenchError, match="^mode: 'z' is not one of x, y$"):
        check_choices(Toy(path=Path("p"), mode="z"))
    with pytest.raises(SlmbenchError, match="^kind: 'c' is not one of a, b$"):
        check_choices(Toy(path=Path("p"), kind="c"))
