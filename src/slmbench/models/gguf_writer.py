"""Writing a transformers causal LM (a train run's model, its LoRA adapter merged in) as one GGUF
file that llama.cpp loads: what `slmbench export` writes, and what the llamacpp backend converts
an `--adapter` run to (`slmbench.models.adapter_gguf`). Models-level, so that both may use it.

The run's LoRA adapter is merged into its base model (PEFT `merge_and_unload`), or its full
fine-tune (`model/`) or an already merged folder (`merged/`) is taken as it is, and the weights
are written with the `gguf` package's `GGUFWriter`: Llama-architecture tensor names via
`gguf.TensorNameMap`, GPT-2-style byte-level BPE tokenizer metadata (tokens, types, merges,
special ids, chat template). This is the same recipe as llama.cpp's `convert_hf_to_gguf.py`,
which the installed packages do not ship, restricted to the architectures small JSON
extractors use (Llama/SmolLM2, Mistral, Qwen2).

Quantisation: `f32` and `f16` are written directly, `q8_0` through `gguf.quants` (bit-exact with
ggml's reference), `q4_k_m` through llama.cpp's own quantizer (`llama_cpp.llama_model_quantize`).
The HF tokenizer is saved beside the GGUF (`<name>.tokenizer/`): the llamacpp backend formats
prompts with its chat template, exactly as the transformers backend does.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from pathlib import Path
from typing import Any

from slmbench.errors import SlmbenchError
from slmbench.models.gguf_files import tokenizer_dir_for
from slmbench.models.llamacpp_backend import LLAMA_CPP_INSTALL, captured_stderr

# HF architecture -> (gguf.MODEL_ARCH member, whether q/k rows are permuted to llama.cpp's
# RoPE layout).
# llama.cpp's `llama` arch rotates interleaved pairs while HF Llama rotates halves; `qwen2` uses
# the NeoX (halves) layout natively, so its weights are written unchanged.
ARCHITECTURES = {
    "LlamaForCausalLM": ("LLAMA", True),
    "MistralForCausalLM": ("LLAMA", True),
    "Qwen2ForCausalLM": ("QWEN2", False),
}

# llama.cpp picks its pre-tokenizer (the regex splitting text before BPE) from
# `tokenizer.ggml.pre`; convert_hf_to_gguf.py identifies it by hashing the token ids of this
# text. Hashes below are those of llama.cpp's table for the families we support.
PRE_TOKENIZER_PROBE = (
    "\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n🚀 (normal) 😶\u200d🌫️ (multiple emojis "
    "concatenated) ✅ 🦙🦙 3 33 333 3333 33333 333333 3333333 33333333 3.3 3..3 3...3 "
    "កាន់តែពិសេសអាច😁 ?我想在apple工作1314151天～ ------======= нещо на Български "
    "''''''```````\"\"\"\"......!!!!!!?????? I've been 'told he's there, 'RE you sure? 'M not "
    "sure I'll make it, 'D you like some tea? We'Ve a'lL"
)
PRE_TOKENIZERS = {
    "855059429035d75a914d1eda9f10a876752e281a054a7a3d421ef0533e5b6249": "smollm",
    "e636dc30a262dcc0d8c323492e32ae2b70728f4df7dfe9737d9f920a282b8aea": "qwen2",
    "d4540891389ea895b53b399da6ac824becc30f2fba0e9ddbb98f92e55ca0e97c": "qwen2",
    "0ef9807a4087ebef797fc749390439009c3b9eda9ad1a097abbe738f486c01e5": "llama-bpe",
}


def write_run_gguf(
    run_dir: Path, out_path: Path, quant: str, progress: bool = True
) -> tuple[str, str | None]:
    """Merge and write the model of train run `run_dir` as `out_path` (`quant`: f32, f16, q8_0
    or q4_k_m), its HF tokenizer beside it; returns (what was exported, llama.cpp's
    quantisation note or None)."""
    model, tokenizer, source, recipe = load_run_model(run_dir)
    tokenizer_dir = tokenizer_dir_for(out_path)
    tokenizer.save_pretrained(tokenizer_dir)
    meta = {"source_run": str(run_dir.resolve()), "source": source}
    if recipe:
        meta["recipe"] = json.dumps(recipe, sort_keys=True)

    if quant == "q4_k_m":
        with tempfile.TemporaryDirectory(dir=out_path.parent) as tmp:
            full = Path(tmp) / "model-f32.gguf"
            write_gguf(model, tokenizer, tokenizer_dir, full, "f32", meta, progress)
            return source, quantize_with_llama_cpp(full, out_path, "q4_k_m")
    write_gguf(model, tokenizer, tokenizer_dir, out_path, quant, meta, progress)
    return source, None


def load_run_model(run_dir: Path) -> tuple[Any, Any, str, dict | None]:
    """(fp32 causal LM with any adapter merged in, HF tokenizer, description, recipe) of a
    train run folder: `merged/`, `adapter/` + recipe's `base_model`, or `model/`."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from slmbench.models.registry import (
        adapter_base_model,
        read_recipe,
        resolve_adapter,
        resolve_model,
    )

    recipe = read_recipe(run_dir)
    if (run_dir / "merged" / "config.json").is_file():
        model_dir, adapter_dir = run_dir / "merged", None
    elif (run_dir / "adapter" / "adapter_config.json").is_file() or (
        run_dir / "adapter_config.json"
    ).is_file():
        adapter_dir, recipe = resolve_adapter(run_dir)
        model_dir = resolve_model(adapter_base_model(adapter_dir, recipe))
    else:
        model_dir, adapter_dir = resolve_model(run_dir), None

    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    if adapter_dir is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, adapter_dir).merge_and_unload()
        source = f"adapter merged into {model_dir}"
    else:
        source = "merged model" if model_dir.name == "merged" else f"full model {model_dir}"
    model.eval()

    # The run's own tokenizer first (training may have set pad/eos or a chat template).
    tokenizer_source = run_dir if (run_dir / "tokenizer_config.json").is_file() else model_dir
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_source)
    return model, tokenizer, source, recipe


def write_gguf(
    model: Any,
    tokenizer: Any,
    tokenizer_dir: Path,
    out_path: Path,
    quant: str,
    meta: dict[str, str] | None = None,
    progress: bool = True,
) -> None:
    """Write a transformers causal LM as a GGUF file (`quant`: f32, f16 or q8_0).
    `tokenizer_dir` is a folder where `tokenizer` was saved (merges, special tokens, chat
    template are read from its files)."""
    import gguf

    config = model.config
    arch_name = (config.architectures or [type(model).__name__])[0]
    if arch_name not in ARCHITECTURES:
        raise SlmbenchError(
            f"cannot export architecture {arch_name} to GGUF "
            f"(supported: {', '.join(ARCHITECTURES)})"
        )
    arch_key, permute_qk = ARCHITECTURES[arch_name]
    gguf_arch = gguf.MODEL_ARCH[arch_key]
    rope_theta, rope_type = _rope(config)
    if rope_type not in ("default", None):
        raise SlmbenchError(f"cannot export RoPE scaling {rope_type!r} to GGUF (only default)")
    n_head, n_kv = (
        config.num_attention_heads,
        config.num_key_value_heads or config.num_attention_heads,
    )
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // n_head
    file_type = {
        "f32": gguf.LlamaFileType.ALL_F32,
        "f16": gguf.LlamaFileType.MOSTLY_F16,
        "q8_0": gguf.LlamaFileType.MOSTLY_Q8_0,
    }[quant]

    writer = gguf.GGUFWriter(out_path, gguf.MODEL_ARCH_NAMES[gguf_arch])
    writer.add_type(gguf.GGUFType.MODEL)
    writer.add_name(str(getattr(config, "_name_or_path", "") or "slmbench export"))
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_kv)
    writer.add_rope_freq_base(float(rope_theta))
    writer.add_layer_norm_rms_eps(float(config.rms_norm_eps))
    writer.add_rope_dimension_count(head_dim)
    if head_dim != config.hidden_size // n_head:
        writer.add_key_length(head_dim)
        writer.add_value_length(head_dim)
    writer.add_vocab_size(config.vocab_size)
    writer.add_file_type(file_type)
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    for key, value in (meta or {}).items():
        writer.add_string(f"slmbench.{key}", value)
    add_tokenizer(writer, tokenizer, tokenizer_dir, config.vocab_size)

    names = gguf.get_tensor_name_map(gguf_arch, config.num_hidden_layers)
    tied = bool(getattr(config, "tie_word_embeddings", False))
    for hf_name, tensor in model.state_dict().items():
        if tied and hf_name == "lm_head.weight":
            continue  # llama.cpp reuses token_embd when output.weight is absent
        name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if name is None:
            raise SlmbenchError(f"no GGUF name for tensor {hf_name} of {arch_name}")
        data = tensor.detach().to("cpu").float().numpy()
        if permute_qk and hf_name.endswith(("q_proj.weight", "q_proj.bias")):
            data = permute_rope_rows(data, n_head)
        elif permute_qk and hf_name.endswith(("k_proj.weight", "k_proj.bias")):
            data = permute_rope_rows(data, n_kv)
        data, qtype = _encode(data, quant)
        writer.add_tensor(name, data, raw_dtype=qtype)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file(progress=progress)
    writer.close()


def add_tokenizer(writer: Any, tokenizer: Any, tokenizer_dir: Path, vocab_size: int) -> None:
    """GPT-2-style BPE vocabulary, as convert_hf_to_gguf.py's `_set_vocab_gpt2` writes it."""
    import gguf

    backend = getattr(tokenizer, "backend_tokenizer", None)
    model_type = json.loads(backend.to_str())["model"]["type"] if backend is not None else None
    if model_type != "BPE":
        raise SlmbenchError(f"cannot export tokenizer type {model_type!r} (only byte-level BPE)")
    vocab = tokenizer.get_vocab()
    if max(vocab.values()) >= vocab_size:
        raise SlmbenchError(f"tokenizer has ids beyond the model's vocab_size {vocab_size}")
    reverse = {i: token for token, i in vocab.items()}
    added = tokenizer.get_added_vocab()
    added_decoder = tokenizer.added_tokens_decoder
    tokens, types = [], []
    for i in range(vocab_size):
        token = reverse.get(i)
        if token is None:
            tokens.append(f"[PAD{i}]")
            types.append(gguf.TokenType.UNUSED)
        elif token in added:
            special = added_decoder[i].special or (token.startswith("<|") and token.endswith("|>"))
            types.append(gguf.TokenType.CONTROL if special else gguf.TokenType.USER_DEFINED)
            tokens.append(token)
        else:
            types.append(gguf.TokenType.NORMAL)
            tokens.append(token)

    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(pre_tokenizer_name(tokenizer))
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    special = gguf.SpecialVocab(tokenizer_dir, load_merges=True, n_vocab=vocab_size)
    # Written explicitly: llama.cpp assumes a BOS for BPE vocabularies when the key is absent.
    with_special = tokenizer.encode("a")
    without = tokenizer.encode("a", add_special_tokens=False)
    special.add_special_token = {
        "bos": len(with_special) > len(without) and with_special[0] == tokenizer.bos_token_id,
        "eos": len(with_special) > len(without) and with_special[-1] == tokenizer.eos_token_id,
    }
    if special.chat_template is None and getattr(tokenizer, "chat_template", None):
        special.chat_template = tokenizer.chat_template
    special.add_to_gguf(writer, quiet=True)


def pre_tokenizer_name(tokenizer: Any) -> str:
    """llama.cpp's name for the tokenizer's pre-tokenizer, identified as convert_hf_to_gguf.py
    does (hash of the probe text's token ids)."""
    ids = tokenizer.encode(PRE_TOKENIZER_PROBE)
    digest = hashlib.sha256(str(ids).encode()).hexdigest()
    if digest not in PRE_TOKENIZERS:
        raise SlmbenchError(
            "cannot export this tokenizer: its pre-tokenizer is not one llama.cpp is known to "
            f"share (supported families: {', '.join(sorted(set(PRE_TOKENIZERS.values())))})"
        )
    return PRE_TOKENIZERS[digest]


def permute_rope_rows(weights: Any, n_head: int) -> Any:
    """Reorder each head's rows from HF's rotate-half RoPE layout to llama.cpp's interleaved
    one (convert_hf_to_gguf.py's `permute`).

    >>> import numpy as np
    >>> permute_rope_rows(np.arange(8), 2).tolist()
    [0, 2, 1, 3, 4, 6, 5, 7]
    """
    rows = weights.shape[0]
    return (
        weights.reshape(n_head, 2, rows // n_head // 2, *weights.shape[1:])
        .swapaxes(1, 2)
        .reshape(weights.shape)
    )


def _encode(data: Any, quant: str) -> tuple[Any, Any]:
    """(array to write, its GGML type): 1-D tensors (norms, biases) stay f32, as in llama.cpp;
    rows that Q8_0 blocks do not divide fall back to f16."""
    import gguf
    import numpy as np

    if quant == "f32" or data.ndim == 1:
        return data.astype(np.float32), gguf.GGMLQuantizationType.F32
    if quant == "q8_0":
        qtype = gguf.GGMLQuantizationType.Q8_0
        block = gguf.GGML_QUANT_SIZES[qtype][0]
        if data.shape[-1] % block == 0:
            return gguf.quants.quantize(data.astype(np.float32), qtype), qtype
    return data.astype(np.float16), gguf.GGMLQuantizationType.F16


def _rope(config: Any) -> tuple[float, str | None]:
    params = getattr(config, "rope_parameters", None) or {}
    scaling = getattr(config, "rope_scaling", None) or {}
    theta = params.get("rope_theta") or getattr(config, "rope_theta", None) or 10000.0
    rope_type = params.get("rope_type") or scaling.get("rope_type") or scaling.get("type")
    return theta, rope_type


def quantize_with_llama_cpp(source: Path, target: Path, quant: str) -> str | None:
    """Re-quantise a GGUF with llama.cpp's quantizer (K-quants need its mixing rules); returns
    its fallback summary, if any (rows not divisible by 256 get 5/8-bit blocks instead)."""
    try:
        import llama_cpp
    except ImportError:
        raise SlmbenchError(
            f"--quant {quant} needs llama-cpp-python: {LLAMA_CPP_INSTALL}"
        ) from None
    # llama.cpp logs every tensor through this logger; keep errors only.
    logging.getLogger("llama-cpp-python").setLevel(logging.ERROR)
    ftype = {"q4_k_m": llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_K_M}[quant]
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftype
    params.nthread = 0
    # Its per-tensor notes (e.g. K-quant fallbacks for rows not divisible by 256) are kept
    # aside, and shown only if quantisation fails.
    with captured_stderr() as log:
        status = llama_cpp.llama_model_quantize(
            str(source).encode(), str(target).encode(), llama_cpp.byref(params)
        )
    notes = [line for line in log.lines if line.strip()]
    if status != 0:
        raise SlmbenchError(
            f"llama.cpp failed to quantise {source} to {quant} (status {status}): "
            + " | ".join(notes[-3:])
        )
    fallback = [line for line in notes if "fallback" in line]
    return fallback[-1].split("WARNING:", 1)[-1].strip() if fallback else None
