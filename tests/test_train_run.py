"""`slmbench train` end to end on the tiny random Llama (fast) and, marked slow, on the embedded
model: learning, saved outputs, resumption, and the refusals (exit 2)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
import torch
from conftest import write_tiny_dataset

from slmbench.cli import main
from slmbench.train.recipe import apply_overrides, load_recipe
from slmbench.train.trainer import TrainRequest, read_log, train

NAMES = ["Ada", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal"]
CITIES = ["Paris", "Oslo", "Rome", "Lima"]
TINY_FLAGS = shlex.split(
    "--recipe paper --prompt-style chat --target-modules all-linear --lora-r 8 "
    "--learning-rate 2e-2 --grad-accum-steps 1 --logging-steps 1 --bf16 false"
)


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    """16 rows of two schemas (a schema folder written here: independent of packaged ones)."""
    root = tmp_path_factory.mktemp("tiny-data")
    rows = []
    for i, name in enumerate(NAMES):
        city = CITIES[i % 4]
        rows.append(
            {
                "id": f"c{i}",
                "schema_id": "contact",
                "prompt": f"Name: {name}\nCity: {city}",
                "expected_output": {"name": name, "city": city},
            }
        )
        rows.append(
            {
                "id": f"o{i}",
                "schema_id": "order",
                "prompt": f"Order X{i}: pen, cup",
                "expected_output": {"order_id": f"X{i}", "items": ["pen", "cup"]},
            }
        )
    return write_tiny_dataset(root, rows)


def _args(model: Path, data: Path, out: Path, *extra: str) -> list[str]:
    paths = ["--model", str(model), "--data", str(data / "train.jsonl")]
    paths += ["--schemas", str(data / "schemas"), "--out", str(out)]
    return ["train", *paths, *TINY_FLAGS, *extra]


@pytest.fixture(scope="module")
def lora_run(tiny_model_dir, tiny_data, tmp_path_factory) -> tuple[Path, list[str]]:
    out = tmp_path_factory.mktemp("runs") / "lora"
    extra = shlex.split(
        "--max-steps 8 --save-every-steps 4 --val-fraction 0.25 --eval-every-steps 4 "
        "--val-generate-rows 3 --val-max-new-tokens 6 --merge"
    )
    argv = _args(tiny_model_dir, tiny_data, out, *extra)
    assert main(argv) == 0
    return out, argv


def _answer_loss(model, run_dir: Path, tiny_data: Path) -> float:
    """Mean answer-token loss over the run's training rows (the same encoding as training)."""
    from transformers import AutoTokenizer

    from slmbench.data import load_schemas, read_rows
    from slmbench.train.dataset import PaddingCollator, encode_rows

    tokenizer = AutoTokenizer.from_pretrained(run_dir)
    val_ids = set(json.loads((run_dir / "val_ids.json").read_text())["ids"])
    rows = [
        r
        for r in read_rows(tiny_data / "train.jsonl", load_schemas(tiny_data / "schemas"))
        if r.id not in val_ids
    ]
    encoded = encode_rows(rows, tokenizer, "chat", None, 512, "truncate")
    batch = PaddingCollator(tokenizer.pad_token_id)(
        [{"input_ids": e.input_ids, "labels": e.labels} for e in encoded.examples]
    )
    with torch.no_grad():
        return model(**batch).loss.item()


def test_lora_run_learns_and_saves_a_loadable_adapter(lora_run, tiny_model_dir, tiny_data):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    out, _ = lora_run
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir).eval()
    before = _answer_loss(base, out, tiny_data)
    tuned = PeftModel.from_pretrained(base, out / "adapter").eval()
    after = _answer_loss(tuned, out, tiny_data)
    assert after < before - 0.1, (before, after)

    # merged/ is a plain model folder giving the adapter's logits.
    merged = AutoModelForCausalLM.from_pretrained(out / "merged").eval()
    ids = torch.tensor([[1, 200, 300, 400, 2]])
    with torch.no_grad():
        assert torch.allclose(tuned(ids).logits, merged(ids).logits, atol=1e-4)


def test_adapter_reload_gives_the_trained_logits(tmp_path, tiny_model_dir, tiny_data):
    """Logits of the in-memory trained model equal those of base + saved adapter."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, TrainerCallback

    captured = {}

    class Capture(TrainerCallback):
        def on_train_end(self, args, state, control, model=None, **kwargs):
            ids = torch.tensor([[1, 17, 99, 512, 2]])
            model.eval()
            with torch.no_grad():
                captured["logits"] = model(ids).logits.clone()

    recipe = _tiny_recipe(max_steps="2")
    train(_request(tiny_model_dir, tiny_data, tmp_path / "run", recipe), callbacks=[Capture()])
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    reloaded = PeftModel.from_pretrained(base, tmp_path / "run" / "adapter").eval()
    with torch.no_grad():
        logits = reloaded(torch.tensor([[1, 17, 99, 512, 2]])).logits
    assert torch.allclose(logits, captured["logits"], atol=1e-5)


def test_run_folder_records(lora_run):
    out, _ = lora_run
    recipe = json.loads((out / "recipe.json").read_text())
    assert recipe["prompt_style"] == "chat" and recipe["method"] == "lora"
    assert recipe["base_model"] and recipe["learning_rate"] == 2e-2
    meta = json.loads((out / "train_meta.json").read_text())
    assert meta["status"] == "complete" and meta["global_step"] == 8
    assert meta["data"]["n_rows"] == 16 and len(meta["data"]["sha256"]) == 64
    assert meta["n_train_examples"] == 12 and meta["n_truncated"] == 0
    val_ids = json.loads((out / "val_ids.json").read_text())["ids"]
    assert len(val_ids) == 4 and {i[0] for i in val_ids} == {"c", "o"}
    assert (out / "tokenizer.json").is_file()
    assert (out / "adapter" / "adapter_config.json").is_file()
    log = read_log(out / "train_log.jsonl")
    train_rows = [r for r in log if r["kind"] == "train"]
    assert [r["step"] for r in train_rows] == list(range(1, 9))
    assert all(r["tokens_per_s"] > 0 and r["learning_rate"] is not None for r in train_rows)
    val_rows = [r for r in log if r["kind"] == "val"]
    assert [r["step"] for r in val_rows] == [4, 8]
    assert all(
        "val_loss" in r and 0 <= r["val_json_exact"] <= 1 and r["val_n"] == 3 for r in val_rows
    )
    checkpoints = sorted(p.name for p in (out / "checkpoints").iterdir())
    assert checkpoints == ["checkpoint-4", "checkpoint-8"]


def test_rerunning_a_finished_run_does_nothing(lora_run, capsys):
    out, argv = lora_run
    before = (out / "train_log.jsonl").read_text()
    assert main(argv) == 0
    assert "nothing to train" in capsys.readouterr().out
    assert (out / "train_log.jsonl").read_text() == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (["--learning-rate", "1e-3"], "learning_rate: 0.02 there, 0.001 now"),
        (["--val-fraction", "0.5"], "validation"),
    ],
)
def test_a_folder_holding_another_run_is_refused(lora_run, capsys, change, message):
    out, argv = lora_run
    i = argv.index(change[0])
    argv = argv[:i] + change + argv[i + 2 :] if change[0] in argv else argv + change
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "holds another run" in err and message in err


def test_other_training_data_is_refused(lora_run, tiny_data, tmp_path, capsys):
    out, argv = lora_run
    other = tmp_path / "train.jsonl"
    other.write_text((tiny_data / "train.jsonl").read_text().replace("Paris", "Nice"))
    argv = [str(other) if a == str(tiny_data / "train.jsonl") else a for a in argv]
    assert main(argv) == 2
    assert "training data sha256 differs" in capsys.readouterr().err


def test_row_loss_average_trains_and_is_recorded(tmp_path, tiny_model_dir, tiny_data, capsys):
    """`--loss-average row` through `slmbench train` (left padding on the CPU, micro-batches of
    2 accumulated in pairs): recorded in recipe.json and train_meta.json, resumable, and a
    `token` run is refused on its folder."""
    out = tmp_path / "row"
    flags = shlex.split(
        "--max-steps 2 --per-device-batch-size 2 --grad-accum-steps 2 --loss-average row"
    )
    argv = _args(tiny_model_dir, tiny_data, out, *flags)
    assert main(argv) == 0
    assert json.loads((out / "recipe.json").read_text())["loss_average"] == "row"
    meta = json.loads((out / "train_meta.json").read_text())
    assert meta["loss_average"] == "row" and meta["status"] == "complete"
    losses = [r["loss"] for r in read_log(out / "train_log.jsonl") if r["kind"] == "train"]
    assert len(losses) == 2 and all(0 < loss < 20 for loss in losses), losses
    capsys.readouterr()
    assert main(argv) == 0
    assert "nothing to train" in capsys.readouterr().out
    assert main([*argv, "--loss-average", "token"]) == 2
    assert "loss_average: 'row' there, 'token' now" in capsys.readouterr().err


def test_a_run_recorded_before_loss_average_existed_still_resumes(lora_run, tmp_path, capsys):
    """A recipe.json without a field added since (loss_average) trained with its default."""
    import shutil

    out, argv = lora_run
    old = tmp_path / "old"
    shutil.copytree(out, old)
    recipe = json.loads((old / "recipe.json").read_text())
    assert recipe.pop("loss_average") == "token"
    (old / "recipe.json").write_text(json.dumps(recipe))
    argv = [str(old) if a == str(out) else a for a in argv]
    assert main(argv) == 0
    assert "nothing to train" in capsys.readouterr().out
    assert main([*argv, "--loss-average", "row"]) == 2
    assert "loss_average: 'token' there, 'row' now" in capsys.readouterr().err


def _tiny_recipe(**overrides: str):
    recipe, _ = load_recipe("paper")
    flags = dict(zip(TINY_FLAGS[2::2], TINY_FLAGS[3::2], strict=True))
    values = {flag[2:].replace("-", "_"): value for flag, value in flags.items()}
    return apply_overrides(recipe, {**values, **overrides}, "test")


def _request(model: Path, data: Path, out: Path, recipe) -> TrainRequest:
    return TrainRequest(
        model=str(model),
        data=data / "train.jsonl",
        out=out,
        recipe=recipe,
        recipe_source="paper",
        schemas=data / "schemas",
    )


def test_interrupted_run_resumes_to_the_same_weights(tmp_path, tiny_model_dir, tiny_data):
    """Interrupted mid-epoch right after its checkpoint at step 3, then rerun: same weights as
    an uninterrupted run, and the log has each step exactly once."""
    from safetensors.torch import load_file
    from transformers import TrainerCallback

    class Interrupt(TrainerCallback):
        def on_save(self, args, state, control, **kwargs):
            if state.global_step == 3:
                raise KeyboardInterrupt

    recipe = _tiny_recipe(max_steps="6", save_every_steps="3", lora_dropout="0.1")
    train(_request(tiny_model_dir, tiny_data, tmp_path / "straight", recipe))
    resumed = _request(tiny_model_dir, tiny_data, tmp_path / "resumed", recipe)
    with pytest.raises(KeyboardInterrupt):
        train(resumed, callbacks=[Interrupt()])
    assert not (tmp_path / "resumed" / "adapter").exists()
    meta = train(resumed)
    assert meta["sessions"] == 2 and meta["resumed_from"] == "checkpoint-3"

    straight = load_file(tmp_path / "straight" / "adapter" / "adapter_model.safetensors")
    again = load_file(tmp_path / "resumed" / "adapter" / "adapter_model.safetensors")
    assert straight.keys() == again.keys()
    for key in straight:
        assert torch.allclose(straight[key], again[key], atol=1e-6), key
    steps = [
        r["step"]
        for r in read_log(tmp_path / "resumed" / "train_log.jsonl")
        if r["kind"] == "train"
    ]
    assert steps == list(range(1, 7))


def test_full_fine_tune_writes_a_whole_model(tmp_path, tiny_model_dir, tiny_data):
    from transformers import AutoModelForCausalLM

    out = tmp_path / "full"
    extra = shlex.split("--method full --max-steps 2 --learning-rate 1e-3 --token-budget 256")
    extra += ["--val", str(tiny_data / "train.jsonl"), "--val-generate-rows", "0"]
    assert main(_args(tiny_model_dir, tiny_data, out, *extra)) == 0
    assert not (out / "adapter").exists()
    # --val FILE without eval_every_steps: one validation at the end, no generation.
    val_rows = [r for r in read_log(out / "train_log.jsonl") if r["kind"] == "val"]
    assert [r["step"] for r in val_rows] == [2] and "val_json_exact" not in val_rows[0]
    val_ids = json.loads((out / "val_ids.json").read_text())
    assert val_ids["source"] == "file" and len(val_ids["ids"]) == 16
    tuned = AutoModelForCausalLM.from_pretrained(out / "model")
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    changed = [
        name
        for name, p in tuned.named_parameters()
        if not torch.equal(p, dict(base.named_parameters())[name])
    ]
    assert changed
    assert json.loads((out / "train_meta.json").read_text())["trainable_params"] == sum(
        p.numel() for p in base.parameters()
    )


def test_init_adapter_continues_the_given_adapter(
    lora_run, tmp_path, tiny_model_dir, tiny_data, capsys
):
    """With a learning rate of 0 a continued run saves exactly the adapter it started from;
    with training, its first loss is the trained adapter's, far below a fresh adapter's."""
    from safetensors.torch import load_file

    trained, _ = lora_run
    still = tmp_path / "still"
    flags = ["--init-adapter", str(trained), "--max-steps", "1", "--lora-dropout", "0"]
    assert main(_args(tiny_model_dir, tiny_data, still, *flags, "--learning-rate", "0")) == 0
    before = load_file(trained / "adapter" / "adapter_model.safetensors")
    after = load_file(still / "adapter" / "adapter_model.safetensors")
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before)
    recipe = json.loads((still / "recipe.json").read_text())
    assert len(recipe["init_adapter_sha256"]) == 64

    fresh, continued = tmp_path / "fresh", tmp_path / "continued"
    assert main(_args(tiny_model_dir, tiny_data, fresh, "--max-steps", "1")) == 0
    assert main(_args(tiny_model_dir, tiny_data, continued, *flags)) == 0
    first = [
        [r["loss"] for r in read_log(run / "train_log.jsonl") if r["kind"] == "train"][0]
        for run in (fresh, continued)
    ]
    assert first[1] < first[0] - 0.1, first

    # Retraining a continued run from its recipe.json needs the adapter it started from.
    base_args = ["train", "--model", str(tiny_model_dir), "--data", str(tiny_data / "train.jsonl")]
    again = [*base_args, "--schemas", str(tiny_data / "schemas"), "--out", str(tmp_path / "again")]
    again += ["--config", str(still / "recipe.json")]
    assert main(again) == 2
    assert "give it with --init-adapter" in capsys.readouterr().err
    assert main([*again, "--init-adapter", str(fresh)]) == 2
    assert f"but {still / 'recipe.json'} continued" in capsys.readouterr().err
    assert not (tmp_path / "again").exists()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--lora-r", "4"], "recipe field 'lora_r' is 4 but the adapter"),
        (["--method", "full"], "it needs --method lora"),
    ],
)
def test_init_adapter_that_does_not_fit_exits_2(
    lora_run, tmp_path, tiny_model_dir, tiny_data, capsys, flags, message
):
    trained, _ = lora_run
    out = tmp_path / "run"
    assert main(_args(tiny_model_dir, tiny_data, out, "--init-adapter", str(trained), *flags)) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "dataset is empty"),
        (
            '{"id": "a", "schema_id": "contact", "prompt": "x", "expected_output": {}}\n{oops\n',
            "train.jsonl:2: malformed JSON",
        ),
        ('{"id": "a", "schema_id": "nope", "prompt": "x", "expected_output": {}}\n', "nope"),
    ],
)
def test_bad_training_files_exit_2(tmp_path, tiny_model_dir, tiny_data, capsys, content, message):
    data = tmp_path / "data"
    data.mkdir()
    (data / "train.jsonl").write_text(content)
    (data / "schemas").symlink_to(tiny_data / "schemas")
    assert main(_args(tiny_model_dir, data, tmp_path / "run")) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_everything_too_long_is_an_error(tmp_path, tiny_model_dir, tiny_data, capsys):
    argv = _args(
        tiny_model_dir, tiny_data, tmp_path / "run", "--max-length", "8", "--truncation", "drop"
    )
    assert main(argv) == 2
    assert "no training example fits in max_length 8" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_a_diverging_run_stops_without_saving_an_adapter(
    tmp_path, tiny_model_dir, tiny_data, capsys
):
    """A learning rate of 1e12 makes the weights inf within a few steps: the run stops at the
    first non-finite loss or gradient norm, exits 1, and leaves no adapter."""
    out = tmp_path / "run"
    argv = _args(tiny_model_dir, tiny_data, out, "--learning-rate", "1e12", "--max-steps", "20")
    assert main(argv) == 1
    assert "training diverged at step" in capsys.readouterr().err
    assert not (out / "adapter").exists()
    meta = json.loads((out / "train_meta.json").read_text())
    assert meta["status"] == "diverged" and meta["diverged"]["step"] < 20
    logged = [r for r in read_log(out / "train_log.jsonl") if r["kind"] == "train"]
    assert logged[-1]["step"] == meta["diverged"]["step"]


def test_a_folder_that_is_not_a_run_is_refused(tmp_path, tiny_model_dir, tiny_data, capsys):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "notes.txt").write_text("mine")
    assert main(_args(tiny_model_dir, tiny_data, tmp_path / "run")) == 2
    assert "not a train run folder" in capsys.readouterr().err


@pytest.mark.slow
def test_embedded_model_trains_a_few_steps(tmp_path, embedded_dir, tiny_data):
    out = tmp_path / "run"
    data = ["--data", str(tiny_data / "train.jsonl"), "--schemas", str(tiny_data / "schemas")]
    flags = shlex.split(
        "--recipe quick --method lora --max-steps 2 --per-device-batch-size 2 "
        "--grad-accum-steps 1 --max-length 128 --logging-steps 1 --bf16 false"
    )
    argv = ["train", "--model", "smollm2-135m-instruct", *data, "--out", str(out), *flags]
    assert main(argv) == 0
    log = [r for r in read_log(out / "train_log.jsonl") if r["kind"] == "train"]
    assert [r["step"] for r in log] == [1, 2]
    # The instruct model already writes JSON: its answer loss is far below chance (ln 49152).
    assert all(0 < r["loss"] < 3 for r in log)
    assert (out / "adapter" / "adapter_model.safetensors").is_file()
