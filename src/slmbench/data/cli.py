"""`slmbench data build|validate|stats`, generated from `slmbench.data.api`'s options
dataclasses. A new action is one more entry of `DATA_COMMANDS`."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from slmbench.data.api import (
    BuildDataOptions,
    StatsOptions,
    ValidateOptions,
    build_data,
    stats,
    validate,
)
from slmbench.data.synth import SynthOptions, synth
from slmbench.options import Command, add_group, option


@dataclass(kw_only=True)
class ValidateCommand(ValidateOptions):
    """`slmbench data validate`: the report printed as text, or as JSON."""

    max_failures: int = option(50, metavar="N")
    """Failure lines to print (0 = all)."""
    json: bool = False
    """Print the report as JSON."""


@dataclass(kw_only=True)
class StatsCommand(StatsOptions):
    """`slmbench data stats`, counting tokens with the embedded model's tokenizer."""

    tokens: bool = True
    """Lengths in tokens too (--no-tokens: characters only, without loading the embedded
    model's tokenizer)."""


def run_build(options: BuildDataOptions) -> int:
    manifest = build_data(options)
    counts, out = manifest["counts"], options.out
    if options.task != "edgejson":
        files = ", ".join(f"{name} ({f['rows']} rows)" for name, f in manifest["files"].items())
        print(f"wrote {out}/: {files}, manifest.json")
        return 0
    print(
        f"wrote {out}/train.jsonl ({counts['train']['total']} rows), "
        f"{out}/test.jsonl ({counts['test']['total']} rows), manifest.json"
    )
    return 0


def run_validate(options: ValidateCommand) -> int:
    from slmbench.data.validate import report_json

    report = validate(options)
    if options.json:
        print(report_json(report))
    else:
        print(report.render(max_failures=options.max_failures or None))
    return 0 if report.ok else 1


def embedded_token_counter():
    """Token counts in the embedded model's tokenizer (imported here: data has no model code)."""
    from transformers import AutoTokenizer

    from slmbench.models.embedded import embedded_model_dir

    tokenizer = AutoTokenizer.from_pretrained(embedded_model_dir())
    return lambda text: len(tokenizer(text, add_special_tokens=False)["input_ids"])


def run_stats(options: StatsCommand) -> int:
    from slmbench.data.stats import render_stats

    count_tokens = embedded_token_counter() if options.tokens else None
    print(render_stats(stats(options, count_tokens=count_tokens)))
    return 0


def run_synth(options: SynthOptions) -> int:
    import json

    out = synth(options)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    files, rows = manifest["files"], manifest["rows"]
    print(
        f"wrote {out}/train.jsonl ({files['train.jsonl']['rows']} rows), "
        f"{out}/test.jsonl ({files['test.jsonl']['rows']} rows), manifest.json, schemas/ "
        f"({rows['template_rows']} rows from example templates, {rows['rendered_rows']} rendered)"
    )
    for schema_id, report in manifest["examples"].items():
        missing = {f: c["not_located"] for f, c in report["fields"].items() if c["not_located"]}
        if missing:
            listed = ", ".join(f"{f} ({n} of {report['examples']})" for f, n in missing.items())
            print(f"{schema_id}: not located in the examples: {listed}")
    return 0


DATA_COMMANDS = [
    Command(
        "build",
        BuildDataOptions,
        run_build,
        "generate train/test splits with a seed (edgeintent: split --source FILE)",
    ),
    Command("validate", ValidateCommand, run_validate, "check every row of a dataset file"),
    Command("stats", StatsCommand, run_stats, "rows per tier/schema and lengths in tokens"),
]
"""The actions of `slmbench data`, in --help order. `synth` follows them: `slmbench.teacher`
adds it (with `run_synth` below), since it can ask a teacher model to label texts, and `data`
imports no model code."""


def register(sub: argparse._SubParsersAction) -> None:
    add_group(sub, "data", "build, validate and describe datasets", DATA_COMMANDS)
