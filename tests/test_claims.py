"""Claims (CONTRIBUTING.md, "Claims"): every number the docs print is a claim that matches its
run's results.json at the printed precision, and the README's headline table is made of them.

The repo-wide checks read the repository itself; the others build a small repo in tmp_path
from the fixture runs (tests/fixtures/runs), with claims typed by hand.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image

from slmbench.cli import main
from slmbench.report.claims import ClaimError, check_claims, load_claims
from slmbench.report.headline import END, HEADLINE_SPEC, START, load_headline
from slmbench.report.publish import publish_claims

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "runs" / "eval"
ZERO = "results/runs/eval/zeroshot-chat.on-edgejson-mini"
TUNED = "results/runs/eval/lora-r16.on-edgejson-mini"
JSON_EXACT = "metrics.overall.json_exact"
COMPLEX = "metrics.by_tier.complex.json_exact"

# Typed by hand from the fixtures' results.json (0.1667, [0.0301, 0.5635], ...).
CLAIMS = [
    {"id": "demo.zero.exact", "run": ZERO, "metric": JSON_EXACT, "value": 16.7},
    {"id": "demo.zero.exact.low", "run": ZERO, "metric": f"{JSON_EXACT}.ci_low", "value": 3.0},
    {"id": "demo.zero.exact.high", "run": ZERO, "metric": f"{JSON_EXACT}.ci_high", "value": 56.4},
    {"id": "demo.zero.complex", "run": ZERO, "metric": COMPLEX, "value": 0.0},
    {"id": "demo.zero.n", "run": ZERO, "metric": "n", "value": 6},
    {"id": "demo.zero.ms", "run": ZERO, "metric": "latency.ms_per_example.median", "value": 12338},
    {"id": "demo.tuned.exact", "run": TUNED, "metric": f"{JSON_EXACT}.value", "value": 66.7},
    {"id": "demo.tuned.exact.low", "run": TUNED, "metric": f"{JSON_EXACT}.ci_low", "value": 30.0},
    {"id": "demo.tuned.exact.high", "run": TUNED, "metric": f"{JSON_EXACT}.ci_high", "value": 90.3},
    {"id": "demo.tuned.complex", "run": TUNED, "metric": COMPLEX, "value": 50.0},
    {"id": "demo.tuned.f1", "run": TUNED, "metric": "metrics.overall.field_f1", "value": 95.0},
    {"id": "demo.tuned.f1.raw", "run": TUNED, "metric": "metrics.overall.field_f1", "value": 0.95,
     "scale": 1},
]  # fmt: skip
HEADLINE = {
    "columns": [
        {"label": "JSONExact % [95% CI]", "metric": JSON_EXACT, "ci": True},
        {"label": "complex %", "metric": COMPLEX},
    ],
    "rows": [
        {"label": "zero-shot (chat)", "run": ZERO},
        {"label": "LoRA r16", "run": TUNED},
        {"label": "SmolLM2-135M fine-tuned (paper)", "reported": {"result": "SmolLM2-135M FT"}},
    ],
}
EXPECTED_TABLE = """\
| Model (run folder) | JSONExact % [95% CI] | complex % |
|---|---:|---:|
| [zero-shot (chat)](results/runs/eval/zeroshot-chat.on-edgejson-mini) | 16.7 [3.0, 56.4] | 0.0 |
| [LoRA r16](results/runs/eval/lora-r16.on-edgejson-mini) | 66.7 [30.0, 90.3] | 50.0 |
| *reported by the paper, not measured here (EdgeJSON v3 test split, 158 rows)* |  |  |
| SmolLM2-135M fine-tuned (paper) | 24.7 | 0.0 |"""
README = f"# Demo\n\nIntro.\n\n{START}\nold table\n{END}\n\n## Using it\n"


def write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n")


@pytest.fixture
def repo(tmp_path) -> Path:
    """A repo of two eval runs, one experiment's claims, a headline spec and a README."""
    shutil.copytree(FIXTURES / "smollm2-135m-zeroshot", tmp_path / ZERO)
    shutil.copytree(FIXTURES / "smollm2-135m-lora-r16", tmp_path / TUNED)
    write_json(tmp_path / "experiments" / "demo" / "claims.json", CLAIMS)
    (tmp_path / "experiments" / "demo" / "PLAN.md").write_text("# Demo\n")
    write_json(tmp_path / HEADLINE_SPEC, HEADLINE)
    (tmp_path / "README.md").write_text(README)
    return tmp_path


def headline_block(readme: str) -> str:
    assert readme.count(START) == 1 and readme.count(END) == 1, "one pair of headline markers"
    return readme[readme.index(START) + len(START) : readme.index(END)]


# ---------- the repository itself ----------


def test_every_claim_in_the_repo_equals_its_results_json():
    claims = load_claims(REPO)
    if not claims:
        pytest.skip("no experiments/*/claims.json in the repo yet")
    check_claims(claims, REPO)


def table_rows(block: str) -> list[list[str]]:
    lines = [line for line in block.splitlines() if line.startswith("|")]
    return [[c.strip() for c in line.strip().strip("|").split(" | ")] for line in lines[2:]]


def test_every_number_in_the_readme_headline_table_is_a_claim():
    if not (REPO / HEADLINE_SPEC).is_file():
        pytest.skip(f"no {HEADLINE_SPEC} yet: the README has no generated headline table")
    readme = (REPO / "README.md").read_text()
    headline = load_headline(REPO)
    columns = headline.columns
    papers = {row.label: row.reported for row in headline.published}
    claimed: dict[tuple[str, str], set[str]] = {}
    for claim in load_claims(REPO):
        claimed.setdefault(claim.key, set()).add(claim.text)
    rows = table_rows(headline_block(readme))
    numbers = 0
    reported_group = False
    for cells in rows:
        label, values = cells[0], cells[1:]
        assert len(values) == len(columns), cells
        link = re.fullmatch(r"\[(.+)\]\((.+)\)", label)
        if link is None and "reported by the paper" in label:
            reported_group = True
            continue
        if link is None:
            assert reported_group, f"row {label!r} links no run folder and is not reported"
            paper = papers.get(label)
            assert paper is not None, (
                f"reported row {label!r} is no reported row of {HEADLINE_SPEC}"
            )
            for column, cell in zip(columns, values, strict=True):
                value = paper.metric(column.metric)
                assert cell == ("" if value is None else f"{100 * value:.1f}"), (label, cell)
            continue
        assert not reported_group, f"measured row {label!r} sits in the reported group"
        run = link.group(2)
        assert (REPO / run / "results.json").is_file(), f"{run} has no results.json"
        for column, cell in zip(columns, values, strict=True):
            found = re.findall(r"-?\d+(?:\.\d+)?", cell)
            metrics = [column.metric] + [f"{column.metric}.{e}" for e in ("ci_low", "ci_high")]
            for number, metric in zip(found, metrics, strict=False):
                assert number in claimed.get((run, metric), set()), (label, column.label, number)
                numbers += 1
            assert len(found) == (3 if column.ci else 1), (label, column.label, cell)
    assert numbers > 0, "the headline table holds no measured number"


def test_readme_headline_table_is_what_the_claims_give():
    if not (REPO / HEADLINE_SPEC).is_file():
        pytest.skip(f"no {HEADLINE_SPEC} yet: the README has no generated headline table")
    stale = publish_claims(REPO, check=True).stale
    assert not stale, "\n".join(stale.values())


# ---------- the checker ----------


def test_the_fixture_claims_hold_at_their_printed_precision(repo):
    claims = load_claims(repo)
    assert len(claims) == len(CLAIMS)
    check_claims(claims, repo)
    assert [c.text for c in claims[:3]] == ["16.7", "3.0", "56.4"]  # "3.0" keeps its decimal


@pytest.mark.parametrize(
    ("claim_id", "new_value", "message"),
    [
        ("demo.zero.exact", 16.8, "metrics.overall.json_exact = 0.1667 x 100 prints as 16.7, "
         "the claim says 16.8"),
        ("demo.zero.n", 7, "n = 6 prints as 6, the claim says 7"),
        ("demo.tuned.f1.raw", 0.94, "prints as 0.95, the claim says 0.94"),
    ],
)  # fmt: skip
def test_a_claim_that_disagrees_fails_naming_it(repo, claim_id, new_value, message):
    claims = [dict(c, value=new_value) if c["id"] == claim_id else c for c in CLAIMS]
    write_json(repo / "experiments" / "demo" / "claims.json", claims)
    with pytest.raises(ClaimError) as error:
        check_claims(load_claims(repo), repo)
    text = str(error.value)
    assert text.startswith(f"experiments/demo/claims.json: claim {claim_id}: ")
    assert message in text and "\n" not in text


def test_editing_a_claimed_value_in_a_results_file_makes_the_check_fail(repo):
    check_claims(load_claims(repo), repo)
    results_path = repo / TUNED / "results.json"
    results = json.loads(results_path.read_text())
    results["metrics"]["by_tier"]["complex"]["json_exact"]["value"] = 0.4  # was 0.5
    results_path.write_text(json.dumps(results))
    with pytest.raises(ClaimError, match=r"claim demo\.tuned\.complex: .* prints as 40\.0, the "):
        check_claims(load_claims(repo), repo)
    # The CLI says so too, on one line, with exit status 2.
    assert main(["report", "--claims", "--check", "--root", str(repo)]) == 2


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"run": "results/runs/eval/gone"}, "run folder results/runs/eval/gone does not exist"),
        ({"metric": "metrics.overall.f2"}, "has no metrics.overall.f2 (metric metrics.overall.f2)"),
        ({"metric": "metrics.by_tier"}, "metrics.by_tier is {"),
    ],
)
def test_a_missing_run_or_key_fails_naming_the_claim_file_and_path(repo, edit, message):
    write_json(repo / "experiments" / "demo" / "claims.json", [dict(CLAIMS[0], **edit)])
    with pytest.raises(ClaimError, match="^experiments/demo/claims.json: claim demo.zero.exact: "):
        check_claims(load_claims(repo), repo)
    with pytest.raises(ClaimError) as error:
        check_claims(load_claims(repo), repo)
    assert message in str(error.value)


def test_malformed_claims_files_and_duplicate_ids_are_one_line_errors(repo):
    path = repo / "experiments" / "demo" / "claims.json"
    path.write_text('[{"id": "a", "run": "r", "metric": "n"}]')
    with pytest.raises(ClaimError, match=r"^experiments/demo/claims.json: entry 0: missing value$"):
        load_claims(repo)
    path.write_text('[{"id": "a", "run": "r", "metric": "n", "value": "84.8"}]')
    with pytest.raises(ClaimError, match="value must be a number"):
        load_claims(repo)
    write_json(repo / "experiments" / "other" / "claims.json", CLAIMS[:1])
    write_json(path, CLAIMS[:1])
    with pytest.raises(ClaimError, match="claim demo.zero.exact: id also used in experiments/demo"):
        load_claims(repo)


# ---------- the generator ----------


def test_the_generator_writes_the_headline_table_and_is_idempotent(repo, capsys):
    assert main(["report", "--claims", "--check", "--root", str(repo)]) == 1
    err = capsys.readouterr().err
    assert "stale: README.md" in err and "-old table" in err and "+| [LoRA r16](" in err

    assert main(["report", "--claims", "--root", str(repo)]) == 0
    readme = (repo / "README.md").read_text()
    assert EXPECTED_TABLE in headline_block(readme)
    assert readme.startswith("# Demo\n\nIntro.\n\n") and readme.endswith(f"{END}\n\n## Using it\n")
    assert "![JSONExact by tier, headline rows](docs/report/figures/headline_tiers.png)" in readme
    record = (repo / "docs" / "record.md").read_text()
    assert "### demo ([PLAN.md](../experiments/demo/PLAN.md))" in record
    header = "| Run | rows (n) | JSONExact % | JSONExact, complex % | Field F1 % | Field F1 |"
    assert header + " latency.ms_per_example.median |" in record
    tuned_row = next(line for line in record.splitlines() if "lora-r16.on-edgejson-mini" in line)
    assert tuned_row.endswith("|  | 66.7 [30.0, 90.3] | 50.0 | 95.0 | 0.95 |  |")

    figure = repo / "docs" / "report" / "figures" / "headline_tiers.png"
    first = {p: p.read_bytes() for p in (repo / "README.md", repo / "docs" / "record.md", figure)}
    assert main(["report", "--claims", "--root", str(repo)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert {p: p.read_bytes() for p in first} == first
    assert main(["report", "--claims", "--check", "--root", str(repo)]) == 0
    with Image.open(figure) as image:
        assert image.size[0] > image.size[1] > 300


def test_a_headline_cell_without_a_claim_is_an_error_naming_row_and_column(repo, capsys):
    write_json(repo / "experiments" / "demo" / "claims.json", [c for c in CLAIMS if c["id"] !=
               "demo.tuned.exact.high"])  # fmt: skip
    assert main(["report", "--claims", "--root", str(repo)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "slmbench report: error: headline row 'LoRA r16', column 'JSONExact % [95% CI]' "
        f"(ci_high): no claim for run {TUNED} metric {JSON_EXACT}.ci_high in "
        "experiments/*/claims.json (add one to its experiment's claims.json)"
    )
    assert (repo / "README.md").read_text() == README  # nothing written


def test_the_headline_holds_at_most_eight_rows(repo):
    rows = [{"label": f"run {i}", "run": ZERO} for i in range(9)]
    write_json(repo / HEADLINE_SPEC, {**HEADLINE, "rows": rows})
    with pytest.raises(Exception, match="9 rows, the headline holds at most 8"):
        load_headline(repo)


def test_readme_without_markers_is_an_error(repo):
    (repo / "README.md").write_text("# Demo\n")
    assert main(["report", "--claims", "--root", str(repo)]) == 2


def test_the_record_doc_lists_the_models_of_record(repo):
    record = {
        "schema_version": 1,
        "models": [
            {"name": "lora-r16", "task": "edgejson", "setting": 2, "trained_on": "mini rows",
             "base_model": "smollm2-135m-instruct", "adapter": "results/runs/train/lora-r16",
             "evals": [TUNED], "provenance": {}},
            {"name": "quick", "task": "edgejson", "setting": 2, "base_model": "smollm2",
             "adapter": None, "train_run": "results/runs/train/quick", "evals": []},
            {"name": "zeroshot-chat", "task": "edgejson", "base_model": "smollm2-135m-instruct",
             "adapter": None, "evals": [ZERO]},
        ],
    }  # fmt: skip
    write_json(repo / "results" / "record.json", record)
    assert main(["report", "--claims", "--root", str(repo)]) == 0
    doc = (repo / "docs" / "record.md").read_text()
    models = doc.split("## Models of record\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert models[2] == (
        "| `lora-r16` | edgejson | 2 | mini rows | [lora-r16](../results/runs/train/lora-r16) | "
        "[lora-r16.on-edgejson-mini](../results/runs/eval/lora-r16.on-edgejson-mini) |"
    )
    assert models[3].startswith(
        "| `quick` | edgejson | 2 |  | [quick](../results/runs/train/quick)"
    )
    assert models[4].startswith("| `zeroshot-chat` | edgejson |  |  | zero-shot (none) |")


def test_the_record_names_runs_that_exist_and_only_its_adapters_keep_weights():
    record = json.loads((REPO / "results" / "record.json").read_text())
    kept = set()
    for model in record["models"]:
        for key in ("adapter", "init_adapter", "train_run"):
            if model.get(key):
                assert (REPO / model[key]).is_dir(), (model["name"], key, model[key])
        for key in ("adapter", "init_adapter"):
            if model.get(key):
                assert list((REPO / model[key] / "adapter").glob("*.safetensors")), model[key]
                kept.add(model[key])
        assert model["evals"], model["name"]
        for run in model["evals"]:
            assert (REPO / run / "results.json").is_file(), (model["name"], run)
    weights = {
        str(p.parent.parent.relative_to(REPO)) for p in (REPO / "results").rglob("*.safetensors")
    }
    assert weights == kept
