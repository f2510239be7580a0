"""Hugging Face model cards (`model_card.md`) for the fine-tuned models found among the runs.

One card per fine-tuned model: a train run (with the eval runs that scored its adapter/model),
or a fine-tuned eval run whose train run folder was not given. The YAML metadata block is built
with huggingface_hub's `ModelCardData`/`EvalResult`, so it has the Hub's `model-index` layout.
A card is named by the run's recorded name (else its folder), names and links the base model
by its hub id (`slmbench.known_models`), and says whether `results/record.json` lists it as a
model of record. Its licence is the base model's (`slmbench.licences`): a fine-tune of Gemma says
that it is under the Gemma Terms of Use and carries their notice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from slmbench.known_models import ModelSpec, hub_id_of
from slmbench.licences import NOTICE_FILE, base_spec
from slmbench.report.formatting import MISSING, ci_text, num, pct, short_sha, slug
from slmbench.report.load import EvalRun, RunSet, TrainRun, recipe_name
from slmbench.report.record import Record, RecordModel
from slmbench.report.result_tables import (
    MAIN_METRICS,
    NOT_HYPERPARAMETERS,
    flatten_recipe,
    tiers_of,
    train_data_facts,
    value_text,
)

# (contract metric, Hub metric type, display name)
CARD_METRICS = (
    ("json_exact", "exact_match", "JSONExact"),
    ("field_f1", "f1", "Field F1"),
    ("schema_valid", "schema_compliance", "Schema compliance"),
    ("valid_json", "valid_json", "Valid JSON"),
)
LICENSE = "apache-2.0"
"""The card's `license:` when the base model is not a registered one."""
TAGS = ["slmbench", "json-extraction", "structured-output", "information-extraction", "edgejson"]


@dataclass
class FineTunedModel:
    name: str
    train_run: TrainRun | None
    evals: list[EvalRun] = field(default_factory=list)
    of_record: RecordModel | None = None

    @property
    def recipe(self) -> dict:
        if self.train_run is not None:
            return self.train_run.recipe
        return next((e.recipe for e in self.evals if e.recipe), {}) or {}

    @property
    def base_model(self) -> str:
        if self.recipe.get("base_model"):
            return str(self.recipe["base_model"])
        return self.evals[0].base_model if self.evals else "unknown"

    @property
    def base_hub_id(self) -> str | None:
        """The base model's hub id (a registry key such as `smollm2-135m-instruct` is not
        one), None when the base is not a registered model."""
        return hub_id_of(self.base_model)

    @property
    def base_spec(self) -> ModelSpec | None:
        """The registered model this one was trained from (through runs trained from runs)."""
        return base_spec(self.base_model)

    @property
    def is_adapter(self) -> bool:
        method = str(self.recipe.get("method") or "").lower()
        if self.train_run is not None:
            return (self.train_run.path / "adapter").is_dir() or "lora" in method
        return any(e.config.get("adapter") for e in self.evals) or "lora" in method


def fine_tuned_models(runs: RunSet) -> list[FineTunedModel]:
    """Each train run, plus fine-tuned eval runs not linked to one (grouped by adapter path)."""
    models = {id(t): FineTunedModel(t.name, t) for t in runs.trains}
    unlinked: dict[str, FineTunedModel] = {}
    for run in runs.evals:
        if run.train_run is not None:
            models[id(run.train_run)].evals.append(run)
        elif run.is_fine_tuned:
            where = str(run.config.get("adapter") or run.config.get("model") or run.path)
            name = run.model_tag or Path(where).name
            unlinked.setdefault(where, FineTunedModel(name, None)).evals.append(run)
    return list(models.values()) + list(unlinked.values())


def _eval_results(model: FineTunedModel) -> list:
    from huggingface_hub import EvalResult

    out = []
    for run in model.evals:
        ds = run.dataset
        for contract, hub_type, display in CARD_METRICS:
            value = run.value(contract)
            if value is None:
                continue
            out.append(
                EvalResult(
                    task_type="text-generation",
                    task_name="Structured JSON extraction",
                    dataset_type="json",
                    dataset_name=f"EdgeJSON ({ds.get('path')})",
                    dataset_split="test",
                    dataset_revision=run.sha256,
                    metric_type=hub_type,
                    metric_name=display,
                    metric_value=round(100 * value, 1),
                )
            )
    return out


def card_metadata(model: FineTunedModel) -> str:
    """The YAML front matter (without the `---` fences)."""
    from huggingface_hub import ModelCardData

    facts = train_data_facts(model.train_run.meta) if model.train_run else {}
    data = facts.get("path") or model.recipe.get("data")
    data_card = ModelCardData(
        model_name=model.name,
        base_model=model.base_hub_id,
        license=card_license(model.base_spec),
        language=["en"],
        library_name="peft" if model.is_adapter else "transformers",
        pipeline_tag="text-generation",
        datasets=[str(data)] if data else ["edgejson"],
        metrics=[m[1] for m in CARD_METRICS],
        tags=TAGS + (["lora", "peft"] if model.is_adapter else ["full-fine-tune"]),
        eval_results=_eval_results(model) or None,
    )
    return data_card.to_yaml()


def _results_section(model: FineTunedModel) -> list[str]:
    if not model.evals:
        return ["No eval run of this model was given to the report: no measured results."]
    header = ["Dataset", "n", "Backend"] + [t for _, t in MAIN_METRICS]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for run in model.evals:
        cells = [
            f"`{run.dataset.get('path')}` ({short_sha(run.sha256)})",
            num(run.n),
            str(run.config.get("backend") or MISSING),
        ]
        for name, _ in MAIN_METRICS:
            m = run.metric(name)
            ci = ci_text(m.get("ci_low"), m.get("ci_high"))
            cells.append(pct(m.get("value")) + (f" {ci}" if ci else ""))
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Percentages; brackets: 95% interval. Measured by `slmbench eval`."]
    for run in model.evals:
        tiers = tiers_of([run])
        if tiers:
            by_tier = ", ".join(f"{t} {pct(run.value('json_exact', t))}" for t in tiers)
            lines += ["", f"JSONExact by tier on `{run.dataset.get('path')}`: {by_tier}."]
    return lines


def _training_section(model: FineTunedModel) -> list[str]:
    recipe = flatten_recipe(model.recipe)
    lines = [f"Recipe `{recipe_name(model.recipe)}`."]
    if model.recipe.get("description"):
        lines[0] += f" {model.recipe['description']}"
    lines += ["", "| Hyperparameter | Value |", "|---|---|"]
    lines += [
        f"| {k} | {value_text(v)} |" for k, v in recipe.items() if k not in NOT_HYPERPARAMETERS
    ]
    if model.train_run is not None:
        meta = model.train_run.meta
        facts = train_data_facts(meta)
        wall = f"{facts['wall_s'] / 60:.1f} min" if facts.get("wall_s") else MISSING
        hardware = meta.get("hardware")
        if isinstance(hardware, dict):
            hardware = hardware.get("cpu")
        rows = facts.get("n_train_rows") or facts.get("n_rows")
        lines += [
            "",
            f"- Training data: `{facts.get('path') or MISSING}` "
            f"(sha256 `{facts.get('sha256') or MISSING}`), {num(rows)} training rows; "
            f"{num(facts.get('truncated'))} truncated and {num(facts.get('dropped'))} dropped "
            "at the maximum length.",
            f"- {num(facts.get('global_step'))} optimizer steps, final training loss "
            f"{num(facts.get('train_loss'), 3)}, wall time {wall} on {hardware or MISSING}.",
            f"- Git commit: `{meta.get('git_hash') or MISSING}`.",
        ]
        versions = meta.get("versions")
        if isinstance(versions, dict) and versions:
            lines.append("- Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()) + ".")
    return lines


def card_license(spec: ModelSpec | None) -> str:
    """The Hub's `license:` value for a fine-tune of `spec`."""
    return spec.license.hub_id if spec is not None else LICENSE


def licence_section(spec: ModelSpec | None) -> list[str]:
    """The card's licence paragraph: the base model's terms, and their notice when they ask
    for one (written to a NOTICE file beside the weights by train and export)."""
    if spec is None:
        return [
            "The base model is not one SLMBench knows: this fine-tune comes under its licence, "
            "which you must check."
        ]
    licence = spec.license
    kind = "an open-source licence" if licence.open_source else "not an open-source licence"
    lines = [
        f"This model is a derivative of {spec.name} and comes under its licence, the "
        f"[{licence.name}]({licence.url}) ({kind})."
    ]
    if licence.notice:
        lines += [
            "",
            f"> {licence.notice}",
            "",
            f"The `{NOTICE_FILE}` file beside its weights carries this notice; give it, and the "
            "terms, to anyone you pass the model on to.",
        ]
    if licence.use_policy:
        lines[-1] += f" The terms' use restrictions apply to every use of it: {licence.use_policy}."
    return lines


def _usage_section(model: FineTunedModel) -> list[str]:
    style = model.recipe.get("prompt_style") or "chat"
    if model.is_adapter:
        load = [
            "from peft import AutoPeftModelForCausalLM",
            'model = AutoPeftModelForCausalLM.from_pretrained("PATH/TO/adapter")',
        ]
    else:
        load = [
            "from transformers import AutoModelForCausalLM",
            'model = AutoModelForCausalLM.from_pretrained("PATH/TO/model")',
        ]
    return [
        "```python",
        load[0],
        "from transformers import AutoTokenizer",
        "",
        "from slmbench.prompts import build_prompt",
        "",
        load[1],
        'tokenizer = AutoTokenizer.from_pretrained("PATH/TO/run")',
        f'prompt = build_prompt(text, style="{style}", tokenizer=tokenizer, schema=schema)',
        "```",
        "",
        f"The model was trained with SLMBench's `{style}` prompt style; other prompt formats "
        "lower its accuracy. `slmbench eval` reproduces the results above.",
    ]


def base_model_text(model: FineTunedModel) -> str:
    """The base model, linked on the Hub by its hub id when it is a registered model."""
    hub_id = model.base_hub_id
    if hub_id is None:
        return f"`{model.base_model}`"
    link = f"[{hub_id}](https://huggingface.co/{hub_id})"
    return link if hub_id == model.base_model else f"{link} (`{model.base_model}` in SLMBench)"


def record_text(model: FineTunedModel, record: Record | None) -> list[str]:
    if record is None:
        return []
    if model.of_record is not None:
        entry = model.of_record
        where = f" (`{entry.experiment}`)" if entry.experiment else ""
        return ["", f"**The {entry.summary}**, as listed in `{record.path}`{where}."]
    listed = ", ".join(f"`{m.name}`" for m in record.models if m.trained_in) or "none"
    return ["", f"Not a model of record (`{record.path}` lists {listed})."]


def render_model_card(model: FineTunedModel, record: Record | None = None) -> str:
    method = str(model.recipe.get("method") or ("lora" if model.is_adapter else "full"))
    method = {"lora": "LoRA", "qlora": "QLoRA", "full": "full-parameter"}.get(
        method.lower(), method
    )
    parts = [
        "---",
        card_metadata(model).rstrip("\n"),
        "---",
        "",
        f"# {model.name}",
        "",
        f"A {method} fine-tune of {base_model_text(model)} that extracts a JSON object "
        "following a given schema from text (EdgeJSON task), trained and evaluated with "
        "SLMBench.",
        *record_text(model, record),
        "",
        "## Results",
        "",
        *_results_section(model),
        "",
        "## Training recipe",
        "",
        *_training_section(model),
        "",
        "## How to use",
        "",
        *_usage_section(model),
        "",
        "## Limitations",
        "",
        "Results hold for the datasets above (synthetic EdgeJSON-style texts in English). Long, "
        "nested outputs (complex tier) are the hardest: check outputs against the schema "
        "before use.",
        "",
        "## Licence",
        "",
        *licence_section(model.base_spec),
        "",
        "## Provenance",
        "",
        f"Generated by `slmbench report` from {_sources(model)}.",
    ]
    return "\n".join(parts) + "\n"


def _sources(model: FineTunedModel) -> str:
    folders = ([model.train_run.path] if model.train_run else []) + [e.path for e in model.evals]
    return ", ".join(f"`{p}`" for p in folders)


def write_model_cards(
    runs: RunSet, out_dir: Path, record: Record | None = None, root: Path = Path(".")
) -> list[Path]:
    """`out_dir/<model name>/model_card.md` for each fine-tuned model; returns the paths.
    Two models of the same name (folders of the same name in different places) get `-2`,
    `-3`... in the order found."""
    written = []
    used: set[str] = set()
    for model in fine_tuned_models(runs):
        if record is not None:
            train_dir = model.train_run.path if model.train_run else None
            model.of_record = record.find(model.name, train_dir, root)
        base = slug(model.name)
        name, k = base, 1
        while name in used:
            k += 1
            name = f"{base}-{k}"
        used.add(name)
        path = out_dir / name / "model_card.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_model_card(model, record), encoding="utf-8")
        written.append(path)
    return written
