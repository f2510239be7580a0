"""The model card of a `slmbench specialize` folder (OUT/model_card.md): base model and hub id,
schemas, data, recipe and plan, the eval numbers read from the two eval runs' results.json, and
how to use it. Reads saved files only, like the report's cards (`report/model_card.py`, whose
metric names, licence section and Hub metadata layout it shares). A folder made from a model whose
terms require a notice (Gemma) gets its NOTICE file here too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from slmbench.known_models import hub_id_of
from slmbench.licences import base_spec, write_notice
from slmbench.report.formatting import MISSING, ci_text, num, pct
from slmbench.report.model_card import CARD_METRICS, TAGS, card_license, licence_section

EVAL_TITLES = {"synthetic": "synthetic validation rows", "examples": "held-out user examples"}


def _read(path: Path) -> dict | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def write_card(out: Path, spec: dict) -> Path:
    """Write OUT/model_card.md from OUT's files and the specialize record `spec`."""
    evals = {
        kind: results
        for kind, folder in spec["evals"].items()
        if folder and (results := _read(out / folder / "results.json"))
    }
    text = render_card(
        spec,
        evals,
        manifest=_read(out / "data" / "manifest.json") or {},
        meta=_read(out / "train" / "train_meta.json") or {},
        schemas={s: _read(out / p) or {} for s, p in spec["schemas"].items()},
    )
    path = out / "model_card.md"
    path.write_text(text, encoding="utf-8")
    write_notice(out, spec["base_model"], "This specialised extractor")
    return path


def card_metadata(spec: dict, evals: dict[str, dict]) -> str:
    """The YAML front matter (Hub `model-index` layout), without its fences."""
    from huggingface_hub import EvalResult, ModelCardData

    results = [
        EvalResult(
            task_type="text-generation",
            task_name="Structured JSON extraction",
            dataset_type="json",
            dataset_name=f"{spec['name']} {EVAL_TITLES[kind]}",
            dataset_split="validation",
            dataset_revision=res["dataset"]["sha256"],
            metric_type=hub_type,
            metric_name=display,
            metric_value=round(100 * res["metrics"]["overall"][metric]["value"], 1),
        )
        for kind, res in evals.items()
        for metric, hub_type, display in CARD_METRICS
        if res["metrics"]["overall"].get(metric, {}).get("value") is not None
    ]
    data = ModelCardData(
        model_name=spec["name"],
        base_model=hub_id_of(spec["base_model"]),
        license=card_license(base_spec(spec["base_model"])),
        language=["en"],
        library_name="peft",
        pipeline_tag="text-generation",
        metrics=[m[1] for m in CARD_METRICS],
        tags=[t for t in TAGS if t != "edgejson"] + ["lora", "peft", "slmbench-specialize"],
        eval_results=results or None,
    )
    return data.to_yaml()


def base_text(base: str) -> str:
    hub_id = hub_id_of(base)
    if hub_id is None:
        return f"`{base}`"
    link = f"[{hub_id}](https://huggingface.co/{hub_id})"
    return link if hub_id == base else f"{link} (`{base}` in SLMBench)"


def render_card(
    spec: dict, evals: dict[str, dict], manifest: dict, meta: dict, schemas: dict[str, dict]
) -> str:
    name, plan = spec["name"], spec.get("recipe") or {}
    lines = [
        "---",
        card_metadata(spec, evals).rstrip("\n"),
        "---",
        "",
        f"# {name}",
        "",
        f"A LoRA adapter on {base_text(spec['base_model'])} that extracts a JSON object following "
        f"{'one of ' if len(schemas) > 1 else ''}the schema{'s' if len(schemas) > 1 else ''} "
        "below from text, made by `slmbench specialize`. Decoding is constrained by the schema, "
        "so every output is valid JSON that follows it.",
        "",
        "## Schemas",
        "",
        "| id | title | file |",
        "|---|---|---|",
        *(
            f"| `{s}` | {schema.get('title') or MISSING} | `{spec['schemas'][s]}` |"
            for s, schema in schemas.items()
        ),
        "",
        "## Results",
        "",
        *_results(evals),
        "",
        "## Data",
        "",
        *_data(spec, manifest),
        "",
        "## Training",
        "",
        *_training(spec, plan, meta),
        "",
        "## How to use",
        "",
        *_usage(spec),
        "",
        "## Licence",
        "",
        *licence_section(base_spec(spec["base_model"])),
    ]
    return "\n".join(lines) + "\n"


def _results(evals: dict[str, dict]) -> list[str]:
    if not evals:
        return ["No eval results in this folder."]
    header = ["Eval set", "Rows"] + [display for _, _, display in CARD_METRICS]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for kind, res in evals.items():
        cells = [f"{EVAL_TITLES[kind]} (`{res['dataset']['path']}`)", num(res.get("n"))]
        for metric, _, _ in CARD_METRICS:
            m: dict[str, Any] = res["metrics"]["overall"].get(metric, {})
            ci = ci_text(m.get("ci_low"), m.get("ci_high"))
            cells.append(pct(m.get("value")) + (f" {ci}" if ci else ""))
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "Percentages; brackets: 95% interval. Constrained decoding (`slmbench eval --constrained "
        "strict`), from each eval folder's results.json.",
    ]
    return lines


def _data(spec: dict, manifest: dict) -> list[str]:
    files = manifest.get("files", {})
    rows = manifest.get("rows", {})
    steps = spec.get("steps", {})
    held = steps.get("schemas", {}).get("held_out", 0)
    given = steps.get("schemas", {}).get("examples", 0)
    lines = [
        f"- `data/train.jsonl`: {num(files.get('train.jsonl', {}).get('rows'))} rows, "
        f"`data/test.jsonl`: {num(files.get('test.jsonl', {}).get('rows'))} rows, made by "
        f"`slmbench data synth` (generator version {manifest.get('generator_version', MISSING)}, "
        f"seed {manifest.get('seed', MISSING)}): {num(rows.get('template_rows'))} training and "
        f"validation rows from the examples' templates, {num(rows.get('rendered_rows'))} "
        "rendered from the schema.",
        f"- Labelled examples: {given} given"
        + (
            f", {held} held out as `examples-val.jsonl` (never used as templates)."
            if held
            else " (fewer than 5: none held out)."
        ),
    ]
    ratio = steps.get("data", {}).get("grounding_ratio")
    if ratio is not None:
        lines.append(
            f"- Gold values found verbatim in their texts (grounding): {pct(ratio)}% of the "
            "training leaves (template rows write values as the examples do)."
        )
    return lines


def _training(spec: dict, plan: dict, meta: dict) -> list[str]:
    wall = meta.get("wall_s")
    return [
        f"Recipe `{plan.get('name', MISSING)}` with {num(plan.get('rows'))} rows x "
        f"{plan.get('epochs', MISSING)} epochs, planned for a budget of "
        f"{spec.get('budget_minutes')} minutes on {plan.get('device', MISSING)}: "
        f"~{num(plan.get('tokens_per_row'))} tokens per row at "
        f"{num(plan.get('train_tokens_per_s'))} tokens/s ("
        + (f"{plan['train_rate_source']}; " if plan.get("train_rate_source") else "")
        + f"{plan.get('throughput_source')}), "
        f"estimated {plan.get('estimated_train_minutes', MISSING)} min of training.",
        "",
        f"- Measured: {num(meta.get('global_step'))} optimizer steps, "
        f"{num(meta.get('tokens_seen'))} tokens, "
        f"{f'{wall / 60:.1f} min' if wall else MISSING}, final training loss "
        f"{num(meta.get('train_loss'), 3)} (`train/train_meta.json`).",
        *_lengths(plan, meta),
        f"- Prompt style `{spec.get('prompt_style') or MISSING}` (the schema is in the prompt).",
        *_target(plan),
    ]


def _lengths(plan: dict, meta: dict) -> list[str]:
    """max_length and the rows it cut: as training counted them (train_meta.json), else as
    the data step planned them."""
    length = meta.get("max_length", plan.get("max_length"))
    if length is None:
        return []
    truncated = meta.get("n_truncated", plan.get("rows_truncated"))
    dropped = meta.get("n_dropped", plan.get("rows_dropped"))
    same = length == plan.get("max_length")  # else a run older than the data step's sizing
    rule = f" ({plan['max_length_rule']})" if same and plan.get("max_length_rule") else ""
    line = (
        f"- Max length {num(length)} tokens{rule}: {num(truncated)} training rows truncated, "
        f"{num(dropped)} dropped."
    )
    if plan.get("eval_max_new_tokens"):
        line += (
            f" Evals generate up to {num(plan['eval_max_new_tokens'])} new tokens "
            f"(longest gold answer: {num(plan.get('longest_gold_tokens'))} tokens)."
        )
    return [line]


def _target(plan: dict) -> list[str]:
    """The plan's answer tokens against its target (`specialize_plan.answer_token_target`)."""
    if plan.get("answer_tokens_target") is None:
        return []
    lines = [
        f"- Answer tokens seen in training (planned): {num(plan.get('answer_tokens_planned'))} "
        f"of a target of {num(plan.get('answer_tokens_target'))} "
        f"({num(plan.get('answer_tokens_target_per_schema'))} per schema; "
        f"{plan.get('target_source')})."
    ]
    if plan.get("warning"):
        lines += ["", f"**Below the target.** {plan['warning']}"]
    return lines


def _usage(spec: dict) -> list[str]:
    lines = [
        "```sh",
        "slmbench extract THIS_FOLDER --input documents.jsonl --output extracted.jsonl",
        "slmbench eval --adapter THIS_FOLDER --schemas THIS_FOLDER/data/schemas \\",
        "    --data rows.jsonl --out runs/check --constrained",
        "```",
        "",
        "```python",
        "from slmbench import Extractor",
        "",
        'extractor = Extractor.load("THIS_FOLDER")',
        "record = extractor.extract(text)  # a dict that follows the schema",
        "```",
    ]
    if spec.get("gguf"):
        lines += [
            "",
            f"`{spec['gguf']}` is the model with the adapter merged, for llama.cpp "
            "(`slmbench extract THIS_FOLDER --backend llamacpp`).",
        ]
    else:
        note = spec.get("steps", {}).get("export", {}).get("note")
        lines += ["", f"No GGUF export{f': {note}' if note else ''}."]
    return lines
