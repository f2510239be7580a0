"""`slmbench report`: renders saved fixture runs (tests/fixtures/runs) into every output file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from PIL import Image

from slmbench.cli import main
from slmbench.report.build import build_report
from slmbench.report.load import EvalRun, TrainRun, assign_labels, group_by_dataset, load_runs
from slmbench.report.result_tables import training_text

FIXTURES = Path(__file__).parent / "fixtures" / "runs"
ZERO_SHOT = FIXTURES / "eval" / "smollm2-135m-zeroshot"
FINE_TUNED = FIXTURES / "eval" / "smollm2-135m-lora-r16"
TRAIN = FIXTURES / "train" / "lora-r16"
DATA = FIXTURES / "data" / "edgejson-mini"
FIGURE_STEMS = [
    "figures/ds-{sha8}/tier_jsonexact",
    "figures/ds-{sha8}/pareto_params",
    "figures/ds-{sha8}/pareto_latency",
    "figures/ds-{sha8}/error_kinds",
    "figures/training_curves",
    "figures/dataset_tiers",
    "figures/dataset_schemas",
]


def results_of(run_dir: Path) -> dict:
    return json.loads((run_dir / "results.json").read_text())


def shown(metric: dict) -> str:
    """How the report writes a metric: percent with one decimal, interval in brackets."""
    v, lo, hi = (100 * metric[k] for k in ("value", "ci_low", "ci_high"))
    return f"{v:.1f} [{lo:.1f}, {hi:.1f}]"


def section(markdown: str, heading_start: str) -> str:
    """The text of the `## ` section whose heading starts with `heading_start`."""
    parts = markdown.split("\n## ")
    matches = [p for p in parts if p.startswith(heading_start)]
    assert len(matches) == 1, f"{len(matches)} sections start with {heading_start!r}"
    return matches[0]


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    build_report([FIXTURES], out, data_dir=DATA)
    return out


def copy_runs(tmp_path: Path) -> Path:
    runs = tmp_path / "runs"
    shutil.copytree(FIXTURES / "eval", runs / "eval")
    shutil.copytree(FIXTURES / "train", runs / "train")
    return runs


def zero_shot_variant(runs: Path, name: str, **config) -> Path:
    """A copy of the zero-shot run under `runs/eval/NAME` with these config values changed."""
    variant = runs / "eval" / name
    shutil.copytree(ZERO_SHOT, variant)
    results = results_of(variant)
    results["config"].update(config)
    (variant / "results.json").write_text(json.dumps(results))
    return variant


def test_every_output_file_is_written(report_dir):
    sha8 = results_of(ZERO_SHOT)["dataset"]["sha256"][:8]
    for name in ("tables.md", "tables.tex", "index.html", "model_cards/lora-r16/model_card.md"):
        assert (report_dir / name).stat().st_size > 0, name
    for stem in FIGURE_STEMS:
        png = report_dir / (stem.format(sha8=sha8) + ".png")
        pdf = report_dir / (stem.format(sha8=sha8) + ".pdf")
        assert pdf.read_bytes()[:5] == b"%PDF-", pdf
        with Image.open(png) as image:
            width, height = image.size
            # Column width: 3.5 in at 200 dpi (tight bounding box trims a few pixels).
            assert 640 <= width <= 720, (png, width)
            assert image.convert("L").getextrema()[0] < 128, f"{png} has no dark pixel"


def test_rebuilding_the_report_writes_the_same_figure_bytes(report_dir, tmp_path):
    # A committed report then changes only where a result changed (no PDF creation dates).
    build_report([FIXTURES], tmp_path, data_dir=DATA)
    for first in report_dir.glob("figures/**/*.*"):
        second = tmp_path / first.relative_to(report_dir)
        assert second.read_bytes() == first.read_bytes(), first.relative_to(report_dir)


def test_main_table_carries_the_measured_numbers_with_intervals(report_dir):
    md = (report_dir / "tables.md").read_text()
    zero, tuned = results_of(ZERO_SHOT), results_of(FINE_TUNED)
    main = section(md, "Dataset data/edgejson-mini/test.jsonl").split("### ")[1]
    zero_row = next(line for line in main.splitlines() if line.startswith(f"| {ZERO_SHOT.name} |"))
    tuned_row = next(
        line for line in main.splitlines() if line.startswith(f"| {FINE_TUNED.name} |")
    )
    for metric in ("json_exact", "field_f1", "schema_valid", "valid_json"):
        assert shown(zero["metrics"]["overall"][metric]) in zero_row
        v = tuned["metrics"]["overall"][metric]
        # The fine-tuned run is the best measured one on every main metric: bold.
        assert f"**{100 * v['value']:.1f}**" in tuned_row
    assert "zero-shot" in zero_row
    meta = json.loads((TRAIN / "train_meta.json").read_text())
    assert f"recommended (LoRA) on edgejson-mini/train.jsonl, {meta['n_train_rows']} rows" in (
        tuned_row
    )
    assert f"| {tuned['n']} |" in tuned_row
    tex = (report_dir / "tables.tex").read_text()
    assert r"\toprule" in tex and r"\bottomrule" in tex and r"\label{tab:main-" in tex
    assert rf"\textbf{{{100 * tuned['metrics']['overall']['json_exact']['value']:.1f}}}" in tex


def test_a_continued_training_names_its_recipe_run_and_starting_adapter():
    recipe = {"recipe_source": "results/train/v3-lora/recipe.json", "method": "lora"}
    meta = {
        "init_adapter": "results/train/v3-lora/adapter",
        "data": {"path": "v3/train.jsonl", "n_rows": 629},
        "n_train_rows": 503,
    }
    train = TrainRun(Path("results/train/v3-lora-whole"), recipe, meta, [])
    run = EvalRun(Path("e"), {"config": {"adapter": "x"}}, None, train_run=train)
    assert training_text(run) == (
        "v3-lora recipe (LoRA) continuing v3-lora on v3/train.jsonl, 503 rows"
    )
    del meta["init_adapter"]
    assert training_text(run) == "v3-lora recipe (LoRA) on v3/train.jsonl, 503 rows"


def test_reported_paper_numbers_form_a_separate_labelled_group(report_dir):
    md = (report_dir / "tables.md").read_text()
    main = section(md, "Dataset data/edgejson-mini/test.jsonl").split("### ")[1]
    measured, reported = main.split("*reported (paper)")
    assert "(paper)" not in measured
    assert "| SmolLM2-135M FT (paper) |" in reported and "| 24.7 |" in reported
    assert "| 55.1 |" in reported and "| 14.6 |" in reported
    tier = section(md, "Dataset data/edgejson-mini").split("### ")[2]
    assert "SmolLM2-135M FT (paper) | – | – | 0.0 |" in tier


def test_tier_error_latency_and_schema_tables(report_dir):
    md = (report_dir / "tables.md").read_text()
    tuned = results_of(FINE_TUNED)
    assert shown(tuned["metrics"]["by_tier"]["complex"]["json_exact"]) in md
    errors = section(md, "Dataset data/edgejson-mini").split("Error taxonomy")[1]
    zero_row = next(
        line for line in errors.splitlines() if line.startswith(f"| {ZERO_SHOT.name} |")
    )
    zero_errors = results_of(ZERO_SHOT)["errors"]["overall"]
    assert f"| {zero_errors['invalid_json']} | {zero_errors['truncated']} |" in zero_row
    predictions = [json.loads(line) for line in (ZERO_SHOT / "predictions.jsonl").open()]
    hit = sum(p["hit_limit"] for p in predictions)
    extracted = sum(p["parse_path"] == "extracted" for p in predictions)
    assert zero_row.rstrip().endswith(f"| {hit} | {extracted} |")
    latency = tuned["latency"]
    assert f"| {latency['ttft_ms']['median']:.1f} | {latency['decode_tok_s']['median']:.1f} |" in md
    assert f"| {latency['ms_per_example']['median']:,.0f} |" in md
    assert "| invoice | medium | 1 |" in md  # schema table: tier and rows from predictions


def test_dataset_and_training_tables(report_dir):
    md = (report_dir / "tables.md").read_text()
    train_rows = [json.loads(line) for line in (DATA / "train.jsonl").open()]
    tiers = [sum(r["complexity"] == t for r in train_rows) for t in ("simple", "medium", "complex")]
    assert f"| train | {len(train_rows)} | {tiers[0]} | {tiers[1]} | {tiers[2]} |" in md
    assert "It is the test split of the --data folder" in md
    recipe = json.loads((TRAIN / "recipe.json").read_text())
    training = section(md, "Training runs")
    assert f"| lora_r | {recipe['lora_r']} |" in training
    assert "| recipe | recommended |" in training and "description" not in training
    meta = json.loads((TRAIN / "train_meta.json").read_text())
    assert f"| optimizer steps | {meta['global_step']} |" in training
    assert f"| final training loss | {meta['train_loss']:.3f} |" in training
    best_val = max(
        json.loads(line).get("val_json_exact", 0) for line in (TRAIN / "train_log.jsonl").open()
    )
    assert f"| best val JSONExact (%) | {100 * best_val:.1f} |" in training


def test_model_card_has_hub_metadata_and_measured_results(report_dir):
    text = (report_dir / "model_cards" / "lora-r16" / "model_card.md").read_text()
    _, front, body = text.split("---\n", 2)
    meta = yaml.safe_load(front)
    recipe = json.loads((TRAIN / "recipe.json").read_text())
    assert meta["base_model"] == recipe["base_model"]
    assert meta["license"] == "apache-2.0"
    assert meta["library_name"] == "peft" and "lora" in meta["tags"]
    assert meta["datasets"] == ["data/edgejson-mini/train.jsonl"]
    result = meta["model-index"][0]["results"][0]
    exact = results_of(FINE_TUNED)["metrics"]["overall"]["json_exact"]["value"]
    assert result["dataset"]["revision"] == results_of(FINE_TUNED)["dataset"]["sha256"]
    assert {"type": "exact_match", "name": "JSONExact", "value": round(100 * exact, 1)} in (
        result["metrics"]
    )
    assert "## Training recipe" in body and "| learning_rate | 0.0002 |" in body
    assert shown(results_of(FINE_TUNED)["metrics"]["overall"]["json_exact"]) in body


def test_partial_and_unreadable_runs_are_skipped_with_a_reason(tmp_path, capsys):
    runs = copy_runs(tmp_path)
    running = runs / "eval" / "still-running"
    running.mkdir()
    shutil.copy(ZERO_SHOT / "predictions.jsonl", running / "predictions.jsonl")
    broken = runs / "eval" / "broken"
    shutil.copytree(FINE_TUNED, broken)
    (broken / "results.json").write_text('{"kind": "eval", "metrics": ')
    unfinished = runs / "train" / "unfinished"
    unfinished.mkdir()
    shutil.copy(TRAIN / "recipe.json", unfinished / "recipe.json")
    meta = json.loads((TRAIN / "train_meta.json").read_text())
    (unfinished / "train_meta.json").write_text(json.dumps({**meta, "status": "running"}))
    (unfinished / "train_log.jsonl").write_text('{"step": 2, "loss": 1.9}\n{"step": 4, "lo')
    started = runs / "eval" / "just-started"
    started.mkdir()
    shutil.copy(ZERO_SHOT / "run_config.json", started / "run_config.json")

    assert main(["report", str(runs), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert f"skipped {running}: predictions.jsonl (6 rows) but no results.json" in err
    assert f"skipped {broken}: results.json: unreadable JSON" in err
    assert f"skipped {unfinished}: train_meta.json status is 'running'" in err
    assert f"skipped {started}: run_config.json but no predictions or results.json" in err
    md = (tmp_path / "out" / "tables.md").read_text()
    assert "## Skipped run folders" in md and "still-running" in md and "broken" in md
    assert "<code>" in (tmp_path / "out" / "index.html").read_text()


def test_no_usable_run_exits_2_with_a_clear_error(tmp_path, capsys):
    running = tmp_path / "runs" / "eval-in-progress"
    running.mkdir(parents=True)
    shutil.copy(ZERO_SHOT / "predictions.jsonl", running / "predictions.jsonl")
    assert main(["report", str(tmp_path / "runs"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("slmbench report: error: no usable run folder")
    assert "no results.json" in err and len(err.splitlines()) == 1
    assert main(["report", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]) == 2


def test_runs_on_different_datasets_are_grouped_separately(tmp_path):
    runs = copy_runs(tmp_path)
    other = runs / "eval" / "other-dataset"
    shutil.copytree(ZERO_SHOT, other)
    results = results_of(other)
    results["dataset"] = {"path": "data/edgejson-seed1/test.jsonl", "sha256": "f" * 64, "n_rows": 6}
    (other / "results.json").write_text(json.dumps(results))
    (other / "predictions.jsonl").unlink()  # counts then come from results.json alone

    report = build_report([runs], tmp_path / "out", with_reported=False)
    assert [len(g.runs) for g in report.groups] == [2, 1]
    md = (tmp_path / "out" / "tables.md").read_text()
    assert "scored on 2 different datasets" in md
    first = section(md, "Dataset data/edgejson-mini/test.jsonl")
    second = section(md, "Dataset data/edgejson-seed1/test.jsonl (sha256 ffffffff")
    assert FINE_TUNED.name in first and FINE_TUNED.name not in second
    n_simple = results["n_by_tier"]["simple"]
    assert f"| Model | simple (n={n_simple}) |" in second
    assert report.groups[1].runs[0].notes == ["no predictions.jsonl: counts from results.json only"]
    assert "(paper)" not in md
    assert (tmp_path / "out" / "figures" / "ds-ffffffff" / "tier_jsonexact.png").is_file()


def test_labels_are_the_recorded_names_else_the_folder_names(tmp_path):
    """Never a guessed label: `name` from results.json, else run_config.json, else the folder."""
    runs = copy_runs(tmp_path)
    named = zero_shot_variant(runs, "zeroshot-llamacpp", backend="llamacpp")
    results = results_of(named)
    results["name"] = "zeroshot-chat-schema.on-edgejson-test.llamacpp-q4_1"
    (named / "results.json").write_text(json.dumps(results))
    configured = zero_shot_variant(runs, "from-run-config")
    config = json.loads((configured / "run_config.json").read_text())
    (configured / "run_config.json").write_text(json.dumps({**config, "name": "zeroshot-chat"}))
    twin = runs / "elsewhere" / FINE_TUNED.name  # same folder name, another place
    shutil.copytree(FINE_TUNED, twin)

    loaded = load_runs([runs])
    assign_labels(loaded.evals)
    tuned = next(r for r in loaded.evals if r.path == (runs / "eval" / FINE_TUNED.name).resolve())
    assert tuned.train_run is not None and tuned.train_run.path.name == "lora-r16"
    assert sorted(r.label for r in group_by_dataset(loaded.evals)[0].runs) == [
        f"{FINE_TUNED.name} (elsewhere/{FINE_TUNED.name})",
        f"{FINE_TUNED.name} (eval/{FINE_TUNED.name})",
        ZERO_SHOT.name,
        "zeroshot-chat",
        "zeroshot-chat-schema.on-edgejson-test.llamacpp-q4_1",
    ]


def test_train_runs_and_their_cards_are_named_by_the_recorded_name(tmp_path):
    runs = copy_runs(tmp_path)
    train = runs / "train" / "lora-r16"
    meta = json.loads((train / "train_meta.json").read_text())
    (train / "train_meta.json").write_text(json.dumps({**meta, "name": "edgejson-lora-r16-e6"}))
    report = build_report([runs], tmp_path / "out", with_reported=False)
    assert [t.name for t in report.runs.trains] == ["edgejson-lora-r16-e6"]
    assert [p.parent.name for p in report.model_cards] == ["edgejson-lora-r16-e6"]
    # The recipe keeps its own name: `name` in a recipe.json is the run's.
    assert report.runs.trains[0].recipe_name == "recommended"


def test_partial_last_line_of_a_train_log_is_a_note_not_a_skip(tmp_path):
    train = tmp_path / "lora-r16"
    shutil.copytree(TRAIN, train)
    with (train / "train_log.jsonl").open("a") as f:
        f.write('{"step": 32, "epo')
    loaded = load_runs([train])
    assert len(loaded.trains) == 1 and not loaded.skipped
    assert loaded.trains[0].notes == ["train_log.jsonl: partial last line, ignored"]
    assert max(r["step"] for r in loaded.trains[0].loss_rows) == 30


def test_model_cards_link_the_base_models_hub_id_and_say_if_of_record(tmp_path):
    runs = copy_runs(tmp_path)
    train = runs / "train" / "lora-r16"
    recipe = json.loads((train / "recipe.json").read_text())
    # Runs of record name the base model by its registry key, which is not a hub id.
    (train / "recipe.json").write_text(
        json.dumps({**recipe, "base_model": "smollm2-135m-instruct"})
    )
    other = runs / "train" / "quick-x2"
    shutil.copytree(train, other)
    record = tmp_path / "results" / "record.json"
    record.parent.mkdir()
    entry = {
        "name": "lora-r16",
        "task": "edgejson",
        "setting": 2,
        "trained_on": "EdgeJSON generated rows",
        "base_model": "smollm2-135m-instruct",
        "adapter": "runs/train/lora-r16",
        "evals": [f"runs/eval/{FINE_TUNED.name}"],
    }
    record.write_text(json.dumps({"schema_version": 1, "models": [entry]}))

    out = tmp_path / "out"
    assert main(["report", str(runs), "--out", str(out), "--root", str(tmp_path)]) == 0
    card = (out / "model_cards" / "lora-r16" / "model_card.md").read_text()
    front = yaml.safe_load(card.split("---\n", 2)[1])
    assert front["base_model"] == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert "(https://huggingface.co/HuggingFaceTB/SmolLM2-135M-Instruct)" in card
    assert "huggingface.co/smollm2-135m-instruct" not in card
    assert "**The model of record for edgejson (setting 2), trained on EdgeJSON generated" in card
    other_card = (out / "model_cards" / "quick-x2" / "model_card.md").read_text()
    assert "Not a model of record" in other_card and "`lora-r16`" in other_card
