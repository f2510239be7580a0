"""The steps of one `slmbench specialize` run (`slmbench.specialize`): each reads the user's
inputs and the earlier steps' files in OUT and writes its own, and returns what specialize.json
records beside its status."""

from __future__ import annotations

import json
import random
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slmbench.errors import SlmbenchError
from slmbench.options import command_line
from slmbench.specialize_plan import (
    RECIPE,
    cpu_flags,
    cpu_train_rate,
    fit_to_rows,
    length_cap,
    plan_budget,
    probe_lengths,
)
from slmbench.teacher import TEACHER_DIR

if TYPE_CHECKING:
    from slmbench.specialize import Inputs, Record, SpecializeOptions

SPEC_FILE = "specialize.json"
HOLDOUT_MIN_EXAMPLES = 5
HOLDOUT_FRACTION = 0.2


@dataclass
class Step:
    name: str
    title: str
    run: Callable[[], dict | None]
    """Does the step; returns what to record beside its status (a `"status": "skipped"` too)."""


class SpecializeSteps:
    """The steps of one specialize run, reading and writing OUT."""

    def __init__(self, opts: SpecializeOptions, out: Path, inputs: Inputs, record: Record):
        self.opts, self.out, self.inputs, self.record = opts, out, inputs, record
        self.data_dir, self.schema_dir = out / "data", out / "schemas"
        self.train_examples, self.val_examples = (
            out / "examples-train.jsonl",
            out / "examples-val.jsonl",
        )
        self.device = resolved_device(opts.device)

    def steps(self) -> list[Step]:
        return [
            Step("schemas", "copy the schemas, hold out examples", self.copy_inputs),
            *(
                [Step("teacher", "label the texts with the teacher", self.label_texts)]
                if self.opts.texts
                else []
            ),
            Step("plan", "size the training to the budget", self.plan),
            Step("data", "synthesise and validate the data", self.synthesise),
            Step("train", f"fine-tune ({RECIPE} recipe, sized)", self.train),
            Step("eval-synthetic", "evaluate on the synthetic validation rows", self.eval_synth),
            Step("eval-examples", "evaluate on the held-out examples", self.eval_examples),
            Step("export", "export GGUF Q8_0", self.export),
            Step("card", "write the model card", self.card),
        ]

    @property
    def examples_for_synth(self) -> Path | None:
        """The examples that become templates: the user's kept ones and the teacher's labels."""
        merged = self.out / TEACHER_DIR / "examples.jsonl"
        if self.opts.texts and merged.is_file():
            return merged
        return self.train_examples if self.train_examples.is_file() else None

    def label_texts(self) -> dict:
        from slmbench.teacher import Teacher, label_texts, merged_examples

        folder = self.out / TEACHER_DIR
        teacher = Teacher(str(self.opts.teacher_url), self.opts.teacher_model)
        report = label_texts(Path(self.opts.texts), self.inputs.docs, teacher, folder)
        print("\n".join(report.lines(Path(self.opts.texts))))
        user = self.train_examples if self.train_examples.is_file() else None
        if not report.kept and user is None:
            raise SlmbenchError(
                f"{self.opts.texts}: the teacher's labels of none of the texts were kept "
                f"(why, per line: {report.log})"
            )
        merged_examples(user, report.labels, folder / "examples.jsonl")
        return {k: v for k, v in report.summary().items() if k in ("texts", "kept", "rejected")}

    def copy_inputs(self) -> dict:
        from slmbench.data.rows import Row, write_rows
        from slmbench.data.synth.build import schema_tier

        docs = self.inputs.docs
        self.schema_dir.mkdir(parents=True, exist_ok=True)
        for schema_id, doc in docs.items():
            shutil.copyfile(doc.path, self.schema_dir / f"{schema_id}.json")
        examples = self.inputs.examples
        held = holdout(examples, list(docs), self.opts.seed)
        for path in (self.train_examples, self.val_examples):
            path.unlink(missing_ok=True)
        if examples:
            kept = [
                json.dumps(o, ensure_ascii=False)
                for i, (_, o) in enumerate(examples)
                if i not in held
            ]
            self.train_examples.write_text("\n".join(kept) + "\n", encoding="utf-8")
        if held:
            rows = []
            for i in sorted(held):
                line, obj = examples[i]
                schema_id = schema_of(obj, list(docs))
                rows.append(
                    Row(
                        id=str(obj.get("id", f"example-{line}")),
                        schema_id=schema_id,
                        complexity=schema_tier(docs[schema_id]),
                        prompt=obj.get("text", obj.get("prompt")),
                        expected_output=obj.get("output", obj.get("expected_output")),
                        style="example",
                        extra={"source": f"{Path(self.opts.examples).name}:{line}"},
                    )
                )
            write_rows(rows, self.val_examples)
            self.record.data["evals"]["examples"] = "eval-examples"
        return {"examples": len(examples), "held_out": len(held)}

    def plan(self) -> dict:
        from slmbench.train.recipe import load_recipe

        recipe, _ = load_recipe(RECIPE)
        cap, cap_source = length_cap(self.opts)
        with tempfile.TemporaryDirectory(dir=self.out) as tmp:
            tokens, answer = probe_lengths(
                self.opts, recipe, self.schema_dir, self.examples_for_synth, Path(tmp), cap
            )
        n_val = sum(1 for _ in self.val_examples.open()) if self.val_examples.is_file() else 0
        n_schemas = len(self.inputs.docs)
        rate = cpu_train_rate(recipe.bf16, cpu_flags())
        plan = plan_budget(
            self.opts, self.device, n_schemas, n_val, tokens, answer, recipe.epochs, rate
        )
        plan.update(max_length_cap=cap, max_length_cap_source=cap_source)
        self.record.data.update(
            tokens_per_s=plan["train_tokens_per_s"],
            recipe=plan,
            prompt_style=recipe.prompt_style,
            warnings=[plan["warning"]] if plan["warning"] else [],
        )
        print(
            f"~{tokens:.0f} tokens per row ({answer:.0f} of them answer) at "
            f"{plan['train_tokens_per_s']:.0f} tokens/s ({self.device}; "
            f"{plan['train_rate_source']}): {plan['rows']} rows x "
            f"{plan['epochs']} epochs (~{plan['estimated_train_minutes']} min, "
            f"{plan['answer_tokens_planned']:,} answer tokens of a target of "
            f"{plan['answer_tokens_target']:,}), {plan['test_rows']} validation rows "
            f"(~{plan['estimated_eval_minutes']} min of eval)"
        )
        warn(plan["warning"])
        return {"rows": plan["rows"], "epochs": plan["epochs"], "test_rows": plan["test_rows"]}

    def synthesise(self) -> dict:
        from slmbench.data.api import ValidateOptions, validate
        from slmbench.data.synth import SynthOptions, synth

        plan = self.record.data["recipe"]
        build = SynthOptions(
            schema=self.schema_dir,
            out=self.data_dir,
            examples=self.examples_for_synth,
            n=plan["rows"],
            n_test=plan["test_rows"],
            seed=self.opts.seed,
        )
        synth(shown("data synth", build))
        train, test = self.data_dir / "train.jsonl", self.data_dir / "test.jsonl"
        check = ValidateOptions(file=train, against=test, schemas=self.data_dir / "schemas")
        report = validate(shown("data validate", check))
        # Template rows write values as the user's documents do, which the grounding contract
        # does not always cover (the data engine's manifest counts them): reported, not fatal.
        hard = [c for c in report.failed_checks() if c != "grounding"]
        if hard:
            print(report.render())
            raise SlmbenchError(f"{train}: the synthesised rows failed {', '.join(hard)}")
        fit = self.fit_lengths(train, test)
        return {
            "grounding_ratio": round(report.grounding_ratio(), 4),
            **{k: fit[k] for k in ("max_length", "rows_truncated", "rows_dropped")},
        }

    def fit_lengths(self, train: Path, test: Path) -> dict:
        """max_length and the evals' new-token cap from the built rows, into the plan."""
        from slmbench.train.recipe import load_recipe

        plan = self.record.data["recipe"]
        fit = fit_to_rows(
            self.opts,
            load_recipe(RECIPE)[0],
            plan,
            train,
            [test, self.val_examples],
            self.data_dir / "schemas",
        )
        warning = fit.pop("fit_warning")
        plan.setdefault("estimated_train_minutes_from_probe", plan["estimated_train_minutes"])
        plan.update(fit)
        warnings = self.record.data.setdefault("warnings", [])
        if warning and warning not in warnings:  # a data step redone says it once
            warnings.append(warning)
        cut = fit["rows_truncated"] + fit["rows_dropped"]
        print(
            f"max_length {fit['max_length']} ({fit['max_length_rule']}): "
            + (
                f"{fit['rows_truncated']} rows truncated, {fit['rows_dropped']} dropped"
                if cut
                else "no row truncated"
            )
            + f"; {fit['train_tokens_per_epoch']:,} training tokens an epoch, "
            f"~{fit['estimated_train_minutes']} min; evals generate up to "
            f"{fit['eval_max_new_tokens']} tokens (longest gold: {fit['longest_gold_tokens']})"
        )
        warn(warning)
        return fit

    def train(self) -> dict:
        from slmbench.train.api import TrainOptions, train

        plan = self.record.data["recipe"]
        warn(plan.get("warning"))  # again, right before the long step
        meta = train(
            shown(
                "train",
                TrainOptions(
                    model=self.opts.model,
                    data=self.data_dir / "train.jsonl",
                    out=self.out / "train",
                    name=f"{self.record.data['name']}-train",
                    schemas=self.data_dir / "schemas",
                    recipe=RECIPE,
                    init_adapter=self._init_adapter(),
                    recipe_overrides={
                        "epochs": plan["epochs"],
                        "seed": self.opts.seed,
                        "eval_every_steps": 0,
                        "val_generate_rows": 0,
                        **self._length_overrides(plan),
                    },
                ),
            )
        )
        kept = ("tokens_seen", "wall_s", "max_length", "n_truncated", "n_dropped")
        return {k: meta.get(k) for k in kept}

    @staticmethod
    def _length_overrides(plan: dict) -> dict:
        """max_length (and a token budget) from the data step; none in a folder whose data step
        ran before specialize sized them, which keeps training that run's recipe."""
        if "max_length" not in plan:
            return {}
        budget = {"token_budget": plan["token_budget"]} if plan.get("token_budget") else {}
        return {"max_length": plan["max_length"], **budget}

    def _init_adapter(self) -> Path | None:
        start = self.opts.init_adapter
        if start is not None and (Path(start) / SPEC_FILE).is_file():
            return Path(start) / "train"
        return start

    def _evaluate(self, data: Path, folder: str) -> dict:
        from slmbench.eval.api import DEFAULT_MAX_NEW_TOKENS, EvalOptions, evaluate

        # The data step's cap, which the longest gold fits (the default in older folders).
        cap = self.record.data["recipe"].get("eval_max_new_tokens", DEFAULT_MAX_NEW_TOKENS)

        results = evaluate(
            shown(
                "eval",
                EvalOptions(
                    model=self.opts.model,
                    adapter=str(self.out / "train"),
                    data=str(data),
                    out=str(self.out / folder),
                    name=f"{self.record.data['name']}-{folder}",
                    constrained="strict",
                    schemas=str(self.data_dir / "schemas"),
                    device=self.device,
                    max_new_tokens=cap,
                ),
            )
        )
        return {"json_exact": results["metrics"]["overall"]["json_exact"]["value"]}

    def eval_synth(self) -> dict:
        return self._evaluate(self.data_dir / "test.jsonl", "eval-synthetic")

    def eval_examples(self) -> dict:
        if not self.val_examples.is_file():
            return {"status": "skipped", "note": f"fewer than {HOLDOUT_MIN_EXAMPLES} examples"}
        return self._evaluate(self.val_examples, "eval-examples")

    def export(self) -> dict:
        from slmbench.deploy.api import ExportOptions, export

        target = self.out / "gguf" / "model-q8_0.gguf"
        try:
            export(
                shown("export", ExportOptions(run_dir=self.out / "train", out=target, quant="q8_0"))
            )
        except SlmbenchError as e:  # the base model's architecture or tokenizer: not the user's
            print(f"no GGUF export: {e}")
            self.record.data["gguf"] = None
            return {"status": "skipped", "note": str(e)}
        self.record.data["gguf"] = target.relative_to(self.out).as_posix()
        return {}

    def card(self) -> dict:
        from slmbench.specialize_card import write_card

        write_card(self.out, self.record.data)
        return {}


def warn(text: str | None) -> None:
    """A plan's warning, on standard error so that a pipe of the output still shows it."""
    if text:
        print(f"warning: {text}", file=sys.stderr, flush=True)


def shown(command: str, options: Any) -> Any:
    """Print the `slmbench` command a step's options are, as `slmbench pipeline` does."""
    print(" ".join(["slmbench", command, *command_line(options)]), flush=True)
    return options


def schema_of(obj: dict, schema_ids: list[str]) -> str:
    """An example's schema id (the only schema when it names none: `read_examples` checked)."""
    return str(obj.get("schema_id") or obj.get("schema_name") or schema_ids[0])


def holdout(examples: list[tuple[int, dict]], schema_ids: list[str], seed: int) -> set[int]:
    """Indices of the held-out fold: a fifth of the examples (at least one) when there are 5 or
    more, drawn by `seed`, never a schema's last example (each keeps a template).

    >>> rows = [(i, {"schema_id": "a" if i < 6 else "b"}) for i in range(7)]
    >>> len(holdout(rows, ["a", "b"], 0)), 6 in holdout(rows, ["a", "b"], 0)
    (1, False)
    >>> holdout(rows[:4], ["a"], 0)
    set()
    """
    if len(examples) < HOLDOUT_MIN_EXAMPLES:
        return set()
    want = max(1, round(len(examples) * HOLDOUT_FRACTION))
    left = Counter(schema_of(obj, schema_ids) for _, obj in examples)
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    chosen: set[int] = set()
    for i in order:
        schema_id = schema_of(examples[i][1], schema_ids)
        if len(chosen) < want and left[schema_id] > 1:
            chosen.add(i)
            left[schema_id] -= 1
    return chosen


def resolved_device(device: str | None) -> str:
    if device is not None:
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
