"""`slmbench export`: a train run (random LoRA on the tiny Llama) written as GGUF must compute
what the merged model computes, under transformers' GGUF loader and under llama.cpp."""

from __future__ import annotations

import json
import shutil

import pytest

from slmbench.cli import main
from slmbench.errors import SlmbenchError

PROMPT_TEXTS = [
    "Invoice 4411 from Acme Corp, total 129.50 EUR, due 2024-03-01.",
    'Name: Zoë Ängström; tags: "a", "b"; id 7',
]


@pytest.fixture(scope="module")
def lora_run(tiny_model_dir, tmp_path_factory):
    """A fake `slmbench train` run: random (non-zero) LoRA adapter on the tiny Llama."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(1)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    config = LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", init_lora_weights=False)
    peft_model = get_peft_model(model, config)
    run = tmp_path_factory.mktemp("lora-run")
    peft_model.save_pretrained(run / "adapter")
    AutoTokenizer.from_pretrained(tiny_model_dir).save_pretrained(run)
    # Not the default style: an eval of the export must find it in the GGUF.
    recipe = {"base_model": str(tiny_model_dir), "prompt_style": "chat-schema", "method": "lora"}
    (run / "recipe.json").write_text(json.dumps(recipe))
    return run


@pytest.fixture(scope="module")
def merged_model(lora_run, tiny_model_dir):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    return PeftModel.from_pretrained(base, lora_run / "adapter").merge_and_unload().eval()


@pytest.fixture(scope="module")
def exported(lora_run, tmp_path_factory, tiny_gguf_export):
    """quant -> exported GGUF path, written once per quantisation."""
    from slmbench.deploy.export import export_gguf

    out_dir = tmp_path_factory.mktemp("gguf")
    cache = {}

    def get(quant: str):
        if quant not in cache:
            path = out_dir / f"tiny-{quant}.gguf"
            cache[quant] = export_gguf(lora_run, path, quant, progress=False).path
        return cache[quant]

    return get


def prompts(tokenizer) -> list[str]:
    from slmbench.prompts import build_prompt

    return [
        build_prompt(PROMPT_TEXTS[0], "chat", tokenizer),
        build_prompt(PROMPT_TEXTS[1], "paper"),
    ]


def test_merged_adapter_changes_the_model(merged_model, tiny_model_dir):
    """Guards the parity tests below: the adapter must not be a no-op."""
    import torch
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32).eval()
    ids = torch.tensor([[1, 200, 300, 400]])
    with torch.no_grad():
        assert (base(ids).logits - merged_model(ids).logits).abs().max() > 1e-3


def test_f32_export_reloads_in_transformers_with_identical_logits(exported, merged_model):
    import torch
    from transformers import AutoModelForCausalLM

    path = exported("f32")
    reloaded = AutoModelForCausalLM.from_pretrained(
        path.parent, gguf_file=path.name, dtype=torch.float32
    ).eval()
    ids = torch.tensor([[1, 5, 200, 300, 1000, 17, 2]])
    with torch.no_grad():
        expected, got = merged_model(ids).logits, reloaded(ids).logits
    assert torch.allclose(expected, got, atol=1e-6)


def test_q8_0_export_metadata_tensor_types_and_tokenizer(exported, lora_run, tokenizer):
    from gguf import GGMLQuantizationType, GGUFReader
    from transformers import AutoTokenizer

    from slmbench.models.gguf_files import gguf_recipe

    path = exported("q8_0")
    reader = GGUFReader(path)

    def field(key):
        return reader.fields[key].contents()

    assert field("general.architecture") == "llama"
    assert field("tokenizer.ggml.model") == "gpt2"
    assert field("tokenizer.ggml.pre") == "smollm"
    assert field("tokenizer.ggml.eos_token_id") == tokenizer.eos_token_id
    assert field("tokenizer.ggml.add_bos_token") is False
    assert field("tokenizer.chat_template") == tokenizer.chat_template
    assert len(reader.fields["tokenizer.ggml.tokens"].data) == len(tokenizer)
    assert json.loads(field("slmbench.recipe"))["method"] == "lora"
    assert gguf_recipe(path)["prompt_style"] == "chat-schema"
    types = {t.name: t.tensor_type for t in reader.tensors}
    assert types["blk.0.attn_q.weight"] == GGMLQuantizationType.Q8_0
    assert types["blk.0.attn_norm.weight"] == GGMLQuantizationType.F32
    assert "output.weight" not in types  # tied embeddings: llama.cpp reuses token_embd
    saved = AutoTokenizer.from_pretrained(path.with_suffix(".tokenizer"))
    assert saved.encode(PROMPT_TEXTS[1]) == tokenizer.encode(PROMPT_TEXTS[1])


def test_export_of_full_fine_tune_run(tiny_model_dir, tmp_path, tiny_gguf_export):
    from gguf import GGUFReader

    run = tmp_path / "full-run"
    shutil.copytree(tiny_model_dir, run / "model")
    (run / "recipe.json").write_text(json.dumps({"base_model": "x", "method": "full"}))
    assert main(["export", str(run), "--quant", "f16"]) == 0
    out = run / "gguf" / "model-f16.gguf"
    assert out.is_file() and out.with_suffix(".tokenizer").is_dir()
    assert len(GGUFReader(out).tensors) == 2 * 9 + 2  # 9 tensors per layer + embd + norm


def test_export_errors_exit_2(tmp_path, capsys):
    assert main(["export", str(tmp_path / "missing")]) == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["export", str(empty)]) == 2
    assert "not a model folder" in capsys.readouterr().err


def test_unsupported_architecture_is_a_clear_error(tmp_path, tokenizer):
    from transformers import GPT2Config, GPT2LMHeadModel

    from slmbench.deploy.export import export_gguf

    model = GPT2LMHeadModel(GPT2Config(n_layer=1, n_embd=16, n_head=2, vocab_size=len(tokenizer)))
    model.save_pretrained(tmp_path / "model")
    tokenizer.save_pretrained(tmp_path)
    with pytest.raises(SlmbenchError, match="cannot export architecture GPT2LMHeadModel"):
        export_gguf(tmp_path, tmp_path / "out.gguf", "f32", progress=False)


def test_qwen2_export_keeps_biases_and_unpermuted_rope(tmp_path, tokenizer, tiny_gguf_export):
    """Qwen2 (the paper's baseline family): q/k/v biases, NeoX RoPE, untied output head."""
    import importlib.util

    import numpy as np
    import torch
    from transformers import AutoModelForCausalLM, Qwen2Config, Qwen2ForCausalLM

    from slmbench.deploy.export import write_gguf

    torch.manual_seed(2)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        tie_word_embeddings=False,
    )
    model = Qwen2ForCausalLM(config).eval()
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith("bias"):
                param.normal_(std=0.5)
    tokenizer.save_pretrained(tmp_path / "q.tokenizer")
    path = tmp_path / "q.gguf"
    write_gguf(model, tokenizer, tmp_path / "q.tokenizer", path, "f32", progress=False)
    ids = tokenizer.encode(PROMPT_TEXTS[0])
    with torch.no_grad():
        expected = model(torch.tensor([ids])).logits[0].numpy()
    reloaded = AutoModelForCausalLM.from_pretrained(tmp_path, gguf_file=path.name).eval()
    with torch.no_grad():
        assert np.allclose(reloaded(torch.tensor([ids])).logits[0].numpy(), expected, atol=1e-6)
    if importlib.util.find_spec("llama_cpp") is None:
        return
    import llama_cpp

    llm = llama_cpp.Llama(str(path), n_ctx=256, logits_all=True, n_threads=1, verbose=False)
    llm.eval(ids)
    got = np.asarray(llm.scores[: len(ids)])
    assert np.abs(got - expected).max() < 1e-3 * max(1.0, np.abs(expected).max())


# --- the exported file under llama.cpp ------------------------------------------------------


def greedy_with_margins(model, ids: list[int], steps: int) -> tuple[list[int], list[float]]:
    """Transformers greedy tokens and, per step, the gap between the top two logits."""
    import torch

    ids, tokens, margins = list(ids), [], []
    with torch.no_grad():
        for _ in range(steps):
            logits = model(torch.tensor([ids])).logits[0, -1]
            top = torch.topk(logits, 2)
            tokens.append(int(top.indices[0]))
            margins.append(float(top.values[0] - top.values[1]))
            ids.append(tokens[-1])
    return tokens, margins


@pytest.mark.parametrize("quant", ["f32", "f16"])
def test_llamacpp_greedy_tokens_match_merged_model(quant, exported, merged_model, tokenizer):
    pytest.importorskip("llama_cpp")
    from slmbench.models.llamacpp_backend import LlamaCppBackend

    backend = LlamaCppBackend(str(exported(quant)), threads=1)
    steps = 16
    for prompt in prompts(backend.tokenizer):
        ids = backend.llm.tokenize(prompt.encode(), add_bos=True, special=True)
        assert ids == tokenizer.encode(prompt)  # same pre-tokenizer, special tokens, no BOS
        expected, margins = greedy_with_margins(merged_model, ids, steps)
        backend.llm.reset()
        got = []
        for token in backend.llm.generate(ids, temp=0.0, repeat_penalty=1.0):
            got.append(token)
            if len(got) == steps:
                break
        if quant == "f32":
            assert got == expected
        else:  # f16 rounding may only flip a near-tie, after which the sequences differ freely
            first = next(
                (i for i, (a, b) in enumerate(zip(got, expected, strict=True)) if a != b), None
            )
            assert first is None or margins[first] < 0.01, (first, margins)


def test_llamacpp_f32_logits_close_to_merged_model(exported, merged_model, tokenizer):
    llama_cpp = pytest.importorskip("llama_cpp")
    import numpy as np
    import torch

    # An f32 KV cache (GGML type 0; llama.cpp's default is f16, which alone puts ~1e-3 on
    # these logits): then only the export itself can make the two differ.
    llm = llama_cpp.Llama(
        str(exported("f32")),
        n_ctx=256,
        logits_all=True,
        n_threads=1,
        verbose=False,
        type_k=0,
        type_v=0,
    )
    ids = tokenizer.encode(prompts(tokenizer)[0])
    llm.eval(ids)
    got = np.asarray(llm.scores[: len(ids)])
    with torch.no_grad():
        expected = merged_model(torch.tensor([ids])).logits[0].numpy()
    assert np.abs(got - expected).max() < 1e-4 * max(1.0, np.abs(expected).max())


def test_llamacpp_backend_text_matches_transformers_decode(exported, merged_model, tokenizer):
    pytest.importorskip("llama_cpp")
    from slmbench.models.base import GenerationRequest
    from slmbench.models.llamacpp_backend import LlamaCppBackend

    backend = LlamaCppBackend(str(exported("f32")), threads=1)
    prompt = prompts(backend.tokenizer)[0]
    (gen,) = backend.generate([GenerationRequest(prompt, max_new_tokens=10, stop_at_json=False)])
    expected, _ = greedy_with_margins(merged_model, tokenizer.encode(prompt), 10)
    eos = expected.index(tokenizer.eos_token_id) + 1 if tokenizer.eos_token_id in expected else 10
    assert gen.generated_tokens == eos
    assert gen.hit_limit == (eos == 10)
    assert gen.text == tokenizer.decode(expected[:eos], skip_special_tokens=True)
    assert gen.prompt_tokens == len(tokenizer.encode(prompt))
    assert 0 < gen.ttft_s <= gen.total_s
    assert backend.info()["trained_from"]["base_model"]


def test_q4_k_m_export_runs_under_llamacpp(exported):
    pytest.importorskip("llama_cpp")
    from gguf import GGUFReader

    from slmbench.models.base import GenerationRequest
    from slmbench.models.llamacpp_backend import LlamaCppBackend

    path = exported("q4_k_m")
    reader = GGUFReader(path)
    assert reader.fields["general.file_type"].contents() == 15  # MOSTLY_Q4_K_M
    # The tiny model's 32-wide rows are too narrow for K-quant blocks (256): llama.cpp falls
    # back to 5- and 8-bit blocks, still well under the f32 size.
    assert {t.tensor_type.name for t in reader.tensors} & {"Q4_K", "Q5_0", "Q6_K"}
    assert path.stat().st_size < exported("f32").stat().st_size / 2
    backend = LlamaCppBackend(str(path), threads=1)
    (gen,) = backend.generate([GenerationRequest("Hello", max_new_tokens=5, stop_at_json=False)])
    assert gen.generated_tokens >= 1 and backend.info()["dtype"] == "q4_k_m"


def test_eval_of_an_exported_gguf_uses_its_training_prompt_style(exported, tmp_path):
    """`slmbench eval --backend llamacpp --model FILE.gguf` prompts the way the exported run was
    trained (the recipe stored in the GGUF), not the default style."""
    pytest.importorskip("llama_cpp")
    from slmbench.data.generate import build_dataset
    from slmbench.eval.runner import EvalOptions, run_eval

    build_dataset(tmp_path / "data", seed=0, n_train=40, n_test=40)
    results = run_eval(
        EvalOptions(
            data=str(tmp_path / "data" / "test.jsonl"),
            out=str(tmp_path / "run"),
            model=str(exported("q8_0")),
            backend="llamacpp",
            limit=1,
            max_new_tokens=4,
            threads=1,
            progress=False,
        ),
        echo=lambda _: None,
    )
    assert (results["config"]["prompt_style"], results["config"]["prompt_style_source"]) == (
        "chat-schema",
        "train recipe",
    )
