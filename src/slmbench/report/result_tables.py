"""Builders of the report's tables from loaded runs (see `tables.py` for the rendering)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from slmbench.data.schemas import TIERS, load_schemas
from slmbench.errors import SlmbenchError
from slmbench.eval.taxonomy import ERROR_KINDS  # pure: the kinds' order, no model code
from slmbench.report.dataset_stats import DatasetStats, manifest_facts
from slmbench.report.formatting import (
    MISSING,
    bytes_text,
    ci_text,
    num,
    params_text,
    pct,
    short_sha,
)
from slmbench.report.load import DatasetGroup, EvalRun, TrainRun, recipe_name, run_folder_name
from slmbench.report.reported import DATASET, DATASET_ROWS, GROUP_LABEL, REPORTED
from slmbench.report.tables import Cell, Section, Table

MAIN_METRICS = (
    ("json_exact", "JSONExact (%)"),
    ("field_f1", "Field F1 (%)"),
    ("schema_valid", "Schema compl. (%)"),
    ("valid_json", "Valid JSON (%)"),
)
CI_NOTE = "Percentages; brackets: 95% interval."


METHOD_NAMES = {"lora": "LoRA", "full": "full FT"}


def train_data_facts(meta: dict) -> dict:
    """Training data and run facts of a train_meta.json (written by `slmbench train`).

    >>> f = train_data_facts({"data": {"path": "d/train.jsonl", "sha256": "ab", "n_rows": 629},
    ...                       "n_truncated": 3, "wall_s": 60.0})
    >>> f["n_rows"], f["truncated"], f["global_step"]
    (629, 3, None)
    """
    data = meta.get("data") if isinstance(meta.get("data"), dict) else {}
    return {
        "path": data.get("path"),
        "sha256": data.get("sha256"),
        "n_rows": data.get("n_rows"),
        "n_train_rows": meta.get("n_train_rows"),
        "truncated": meta.get("n_truncated"),
        "dropped": meta.get("n_dropped"),
        "wall_s": meta.get("wall_s"),
        "global_step": meta.get("global_step"),
        "train_loss": meta.get("train_loss"),
    }


def training_text(run: EvalRun) -> str:
    """`zero-shot`, or the recipe, method and training data of a fine-tuned run.

    The data comes from the train run's train_meta.json when that folder was given.
    """
    if not run.is_fine_tuned:
        return "zero-shot"
    recipe = run.recipe or {}
    words = [recipe_name(recipe)]
    method = recipe.get("method")
    if method:
        words.append(f"({METHOD_NAMES.get(method, method)})")
    meta = run.train_run.meta if run.train_run else {}
    if meta.get("init_adapter"):
        words.append(f"continuing {run_folder_name(Path(str(meta['init_adapter'])))}")
    facts = train_data_facts(meta)
    if facts.get("path"):
        name = "/".join(str(facts["path"]).rstrip("/").split("/")[-2:])
        rows = facts.get("n_train_rows") or facts.get("n_rows")
        words.append(f"on {name}" + (f", {rows} rows" if rows else ""))
    return " ".join(words)


def metric_cell(
    run: EvalRun, name: str, tier: str | None = None, schema: str | None = None, bold: bool = False
) -> Cell:
    m = run.metric(name, tier, schema)
    return Cell(pct(m.get("value")), ci_text(m.get("ci_low"), m.get("ci_high")), bold)


def _best(runs: list[EvalRun], name: str, tier: str | None = None) -> float | None:
    values = [v for r in runs if (v := r.value(name, tier)) is not None]
    return max(values) if len(values) > 1 else None


def row_counts(runs: list[EvalRun], by: str) -> dict[str, int]:
    """Rows per tier (`by="tier"`) or schema of the first run that records them: results.json's
    `n_by_tier`/`n_by_schema`, else counted from predictions."""
    field = {"tier": "complexity", "schema": "schema_id"}[by]
    for run in runs:
        if run.results.get(f"n_by_{by}"):
            return dict(run.results[f"n_by_{by}"])
        if run.predictions:
            return dict(Counter(p.get(field) for p in run.predictions))
    return {}


def tiers_of(runs: list[EvalRun]) -> list[str]:
    """Tiers that the runs report metrics for, in the benchmark's order."""
    seen = {t for r in runs for t in (r.results.get("metrics") or {}).get("by_tier", {})}
    return [t for t in TIERS if t in seen] + sorted(seen - set(TIERS))


def group_tiers(group: DatasetGroup) -> list[str]:
    return tiers_of(group.runs)


def main_table(group: DatasetGroup, key: str, with_reported: bool) -> Table:
    columns = ["Model", "Params", "Size", "Training", "n"] + [t for _, t in MAIN_METRICS]
    table = Table(
        key,
        f"Main results on {group.path}",
        columns,
        align="lrrlr" + "r" * 4,
        notes=[CI_NOTE + " Best measured value in bold."],
    )
    best = {name: _best(group.runs, name) for name, _ in MAIN_METRICS}
    for run in group.runs:
        row: list = [
            run.label,
            params_text(run.model.get("params")),
            bytes_text(run.model.get("size_on_disk_bytes")),
            training_text(run),
            num(run.n),
        ]
        for name, _ in MAIN_METRICS:
            value = run.value(name)
            row.append(metric_cell(run, name, bold=value is not None and value == best[name]))
        table.rows.append(row)
    if with_reported:
        table.rows.append(Section(f"{GROUP_LABEL}: {DATASET}, not measured here"))
        for rep in REPORTED:
            table.rows.append(
                [
                    rep.display_label,
                    params_text(rep.params),
                    MISSING,
                    rep.training,
                    num(DATASET_ROWS),
                    pct(rep.json_exact),
                    MISSING,
                    MISSING,
                    MISSING,
                ]
            )
        table.notes.append(
            f"Rows under '{GROUP_LABEL}' are published numbers from the paper "
            f"on {DATASET} ({DATASET_ROWS} rows), copied, not re-measured."
        )
    return table


def tier_table(
    group: DatasetGroup, key: str, metric: str, title: str, with_reported: bool
) -> Table:
    tiers = group_tiers(group)
    counts = row_counts(group.runs, "tier")
    columns = ["Model"] + [f"{t} (n={counts[t]})" if t in counts else t for t in tiers]
    table = Table(key, f"{title} by tier on {group.path}", columns, notes=[CI_NOTE])
    best = {t: _best(group.runs, metric, t) for t in tiers}
    for run in group.runs:
        table.rows.append(
            [run.label]
            + [
                metric_cell(
                    run,
                    metric,
                    tier=t,
                    bold=best[t] is not None and run.value(metric, t) == best[t],
                )
                for t in tiers
            ]
        )
    reported = [r for r in REPORTED if r.json_exact_by_tier]
    if with_reported and metric == "json_exact" and reported:
        table.rows.append(Section(f"{GROUP_LABEL}: {DATASET}"))
        for rep in reported:
            table.rows.append(
                [rep.display_label] + [pct(rep.json_exact_by_tier.get(t)) for t in tiers]
            )
    return table


def packaged_schema_tiers() -> dict[str, str]:
    """Tier of each packaged schema, for runs saved without predictions; {} if unreadable."""
    try:
        return {sid: info.tier for sid, info in load_schemas().items()}
    except SlmbenchError:
        return {}


def schema_extremes_table(group: DatasetGroup, key: str, k: int = 5) -> Table | None:
    """The k schemas with the highest and lowest mean JSONExact over the group's runs."""
    schemas = sorted(
        {s for r in group.runs for s in (r.results.get("metrics") or {}).get("by_schema", {})}
    )
    if not schemas:
        return None
    tier_of = packaged_schema_tiers() | {
        p.get("schema_id"): p.get("complexity") for r in group.runs for p in (r.predictions or [])
    }
    n_of = row_counts(group.runs, "schema")
    means = {}
    for s in schemas:
        values = [v for r in group.runs if (v := r.value("json_exact", schema=s)) is not None]
        means[s] = sum(values) / len(values) if values else -1.0
    ordered = sorted(schemas, key=lambda s: (-means[s], s))
    columns = ["Schema", "Tier", "n", "Mean"] + [r.label for r in group.runs]
    title = (
        f"JSONExact (%) per schema on {group.path}"
        if len(ordered) <= 2 * k
        else f"Top and bottom {k} schemas by JSONExact (%) on {group.path}"
    )
    table = Table(
        key,
        title,
        columns,
        align="llrr" + "r" * len(group.runs),
        notes=["Schemas ranked by the mean JSONExact over the runs of this table."],
    )

    def row(s: str) -> list:
        return [s, tier_of.get(s) or MISSING, num(n_of.get(s)), pct(max(means[s], 0.0))] + [
            pct(r.value("json_exact", schema=s)) for r in group.runs
        ]

    if len(ordered) <= 2 * k:
        table.rows += [row(s) for s in ordered]
    else:
        table.rows.append(Section(f"top {k}"))
        table.rows += [row(s) for s in ordered[:k]]
        table.rows.append(Section(f"bottom {k}"))
        table.rows += [row(s) for s in ordered[-k:]]
    return table


def error_counts(run: EvalRun) -> dict[str, int]:
    """Error kinds of a run: from results.json, else counted from its predictions."""
    counts = (run.results.get("errors") or {}).get("overall")
    if counts:
        return {k: int(v) for k, v in counts.items()}
    return dict(Counter(e for p in run.predictions or [] for e in p.get("errors") or []))


def error_kinds(runs: list[EvalRun], nonzero: bool = False) -> list[str]:
    """Error kinds of the runs in taxonomy order; with `nonzero`, only kinds that occur."""
    seen = {k for r in runs for k, v in error_counts(r).items() if v or not nonzero}
    return [k for k in ERROR_KINDS if k in seen] + sorted(seen - set(ERROR_KINDS))


def error_table(group: DatasetGroup, key: str) -> Table:
    kinds = error_kinds(group.runs)
    columns = (
        ["Model", "n", "exact"] + [k.replace("_", " ") for k in kinds] + ["hit limit", "extracted"]
    )
    table = Table(
        key,
        f"Error taxonomy (counts) on {group.path}",
        columns,
        notes=[
            "An example can have several error kinds. 'hit limit': generation stopped at the token "
            "cap; 'extracted': JSON found inside other text (not a clean answer)."
        ],
    )
    for run in group.runs:
        counts = error_counts(run)
        preds = run.predictions
        exact = sum(bool(p.get("json_exact")) for p in preds) if preds else None
        if exact is None and run.n and run.value("json_exact") is not None:
            exact = round(run.value("json_exact") * run.n)
        hit = (run.results.get("latency") or {}).get("hit_limit")
        if hit is None and preds:
            hit = sum(bool(p.get("hit_limit")) for p in preds)
        extracted = (run.results.get("parse_paths") or {}).get("extracted")
        if extracted is None and preds:
            extracted = sum(p.get("parse_path") == "extracted" for p in preds)
        table.rows.append(
            [run.label, num(run.n), num(exact)]
            + [num(counts.get(k, 0)) for k in kinds]
            + [num(hit), num(extracted)]
        )
    return table


def latency_table(group: DatasetGroup, key: str) -> Table:
    columns = [
        "Model",
        "Backend",
        "Threads",
        "TTFT med. (ms)",
        "Decode med. (tok/s)",
        "ms/extraction med.",
        "ms/extraction p90",
        "Peak RSS (MB)",
    ]
    table = Table(key, f"Latency per backend on {group.path}", columns, align="llrrrrrr")
    hardware = set()
    for run in group.runs:
        lat = run.results.get("latency") or {}
        hardware.add(hardware_text(run))
        table.rows.append(
            [
                run.label,
                str(run.config.get("backend") or MISSING),
                num(run.config.get("threads") or run.model.get("threads")),
                num((lat.get("ttft_ms") or {}).get("median"), 1),
                num((lat.get("decode_tok_s") or {}).get("median"), 1),
                num((lat.get("ms_per_example") or {}).get("median")),
                num((lat.get("ms_per_example") or {}).get("p90")),
                num(lat.get("peak_rss_mb")),
            ]
        )
    table.notes.append("Hardware: " + "; ".join(sorted(hardware)) + ".")
    return table


def hardware_text(run: EvalRun) -> str:
    """The CPU/GPU a run's latency was measured on, with core count and memory when known."""
    host = run.results.get("host") or {}
    name = run.model.get("hardware") or host.get("cpu") or MISSING
    extra = []
    if host.get("physical_cpus"):
        extra.append(f"{host['physical_cpus']} physical cores")
    if host.get("memory_gb"):
        extra.append(f"{host['memory_gb']} GB RAM")
    return f"{name} ({', '.join(extra)})" if extra else str(name)


def constrained_text(run: EvalRun) -> str:
    """`off`, `on`, or `on (N fallback)` when the grammar had to be dropped for N rows."""
    mode = str(run.config.get("constrained") or MISSING)
    fallback = (run.results.get("constrained_status") or {}).get("fallback")
    return f"{mode} ({fallback} fallback)" if fallback else mode


def runs_table(group: DatasetGroup, key: str) -> Table:
    """Which folder each label stands for, and how it was run (provenance)."""
    columns = ["Model", "Run folder", "Prompt", "Constrained", "dtype", "Created", "Git"]
    table = Table(key, f"Runs on {group.path}", columns, align="lllllll")
    for run in group.runs:
        c = run.config
        table.rows.append(
            [
                run.label,
                run.path.name,
                str(c.get("prompt_style") or MISSING),
                constrained_text(run),
                str(c.get("dtype") or run.model.get("dtype") or MISSING),
                str(run.results.get("created") or MISSING)[:10],
                str(run.results.get("git_hash") or MISSING)[:8],
            ]
        )
    return table


def flatten_recipe(d: dict, prefix: str = "") -> dict[str, Any]:
    """Nested recipe keys as dotted names.

    >>> flatten_recipe({"lora": {"r": 16, "alpha": 32}, "lr": 2e-4})
    {'lora.r': 16, 'lora.alpha': 32, 'lr': 0.0002}
    """
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(flatten_recipe(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def value_text(v: Any) -> str:
    if isinstance(v, list | tuple):
        return ", ".join(str(x) for x in v) or "[]"
    if isinstance(v, float):
        return f"{v:g}"
    return MISSING if v is None else str(v)


# recipe.json keys that are prose or bookkeeping, not hyperparameters.
NOT_HYPERPARAMETERS = ("name", "description", "recipe_source")


def hyperparameter_table(trains: list[TrainRun], key: str = "hyperparameters") -> Table:
    recipes = [flatten_recipe(t.recipe) for t in trains]
    names = list(dict.fromkeys(k for r in recipes for k in r if k not in NOT_HYPERPARAMETERS))
    table = Table(
        key,
        "Training hyperparameters",
        ["Parameter"] + [t.name for t in trains],
        align="l" * (len(trains) + 1),
        notes=["From each train run's recipe.json, train_meta.json and train_log.jsonl."],
    )
    table.rows.append(["recipe"] + [t.recipe_name for t in trains])
    for name in names:
        table.rows.append([name] + [value_text(r.get(name)) for r in recipes])
    table.rows.append(Section("run"))
    facts = [train_data_facts(t.meta) for t in trains]
    data = ["/".join(str(f["path"]).split("/")[-2:]) if f["path"] else MISSING for f in facts]
    best_val = [
        max((r["val_json_exact"] for r in t.val_rows if "val_json_exact" in r), default=None)
        for t in trains
    ]
    steps = [
        f["global_step"] or max((r["step"] for r in t.loss_rows), default=None)
        for f, t in zip(facts, trains, strict=True)
    ]
    table.rows += [
        ["training data"] + data,
        ["data sha256"] + [short_sha(f["sha256"]) for f in facts],
        ["training rows"] + [num(f["n_train_rows"] or f["n_rows"]) for f in facts],
        ["truncated rows"] + [num(f["truncated"]) for f in facts],
        ["dropped rows"] + [num(f["dropped"]) for f in facts],
        ["optimizer steps"] + [num(s) for s in steps],
        ["final training loss"] + [num(f["train_loss"], 3) for f in facts],
        ["best val JSONExact (%)"] + [pct(v) for v in best_val],
        ["wall time (min)"] + [num(f["wall_s"] / 60, 1) if f["wall_s"] else MISSING for f in facts],
    ]
    return table


def _lengths(summary: tuple[float, float, int]) -> str:
    med, p90, top = summary
    return f"{num(med)} / {num(p90)} / {num(top)}"


def dataset_tables(stats: DatasetStats) -> list[Table]:
    """Rows per split and tier with text/gold lengths, then rows per schema and split."""
    tiers = stats.tiers
    columns = (
        ["Split", "Rows"]
        + tiers
        + ["Schemas", "Text chars (med/p90/max)", "Gold chars (med/p90/max)", "sha256"]
    )
    splits = Table(
        "dataset-splits",
        f"Dataset {stats.path}: rows per split and tier",
        columns,
        align="lr" + "r" * len(tiers) + "rrrl",
        notes=["Lengths in characters; gold = the answer JSON as the model writes it."],
    )
    for s in stats.splits:
        splits.rows.append(
            [s.name, num(s.n_rows)]
            + [num(s.by_tier.get(t, 0)) for t in tiers]
            + [
                num(len(s.by_schema)),
                _lengths(s.text_chars),
                _lengths(s.gold_chars),
                short_sha(s.sha256),
            ]
        )
    facts = manifest_facts(stats.manifest)
    if facts:
        splits.notes.append("Manifest: " + ", ".join(f"{k} = {v}" for k, v in facts) + ".")
    tier_of = stats.schema_tier
    order = sorted(
        tier_of, key=lambda s: (tiers.index(tier_of[s]) if tier_of[s] in tiers else len(tiers), s)
    )
    schemas = Table(
        "dataset-schemas",
        f"Dataset {stats.path}: rows per schema",
        ["Schema", "Tier"] + [s.name for s in stats.splits],
        align="ll" + "r" * len(stats.splits),
    )
    for name in order:
        schemas.rows.append(
            [name, tier_of[name]] + [num(s.by_schema.get(name, 0)) for s in stats.splits]
        )
    return [splits, schemas]
