"""GGUF files as model artifacts, read without llama.cpp: is it a decoder LM, which recipe did
`slmbench export` store in it, where is its tokenizer. Used by the registry and by eval to find a
GGUF model's prompt style without loading a backend."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from slmbench.errors import SlmbenchError

NOT_CAUSAL_LM = {
    "bert", "nomic-bert", "nomic-bert-moe", "neo-bert", "jina-bert-v2", "jina-bert-v3",
    "modern-bert", "eurobert", "t5", "t5encoder", "clip", "wavtokenizer-dec",
}  # fmt: skip


def tokenizer_dir_for(gguf_path: str | Path) -> Path:
    """The HF tokenizer folder that `slmbench export` saves beside a GGUF file.

    >>> tokenizer_dir_for("runs/a/gguf/model-q8_0.gguf").as_posix()
    'runs/a/gguf/model-q8_0.tokenizer'
    """
    return Path(gguf_path).with_suffix(".tokenizer")


def check_gguf_causal_lm(path: Path) -> dict[str, Any]:
    """Metadata (`architecture`, `file_type`, `recipe`) of a GGUF file that holds a decoder LM;
    a clear error for anything else."""
    with path.open("rb") as f:
        magic = f.read(4)
    if magic != b"GGUF":
        raise SlmbenchError(f"{path} is not a GGUF file (the llamacpp backend runs .gguf models)")
    from gguf import GGUFReader

    try:
        reader = GGUFReader(path)
    except Exception as e:  # noqa: BLE001 - a corrupt file is the user's to fix, in one line
        raise SlmbenchError(f"{path}: unreadable GGUF ({e})") from None

    def field(key: str) -> Any:
        value = reader.fields.get(key)
        return value.contents() if value is not None else None

    arch, kind = field("general.architecture"), field("general.type")
    if not arch:
        raise SlmbenchError(f"{path}: GGUF without general.architecture: not a model")
    if kind not in (None, "model"):
        raise SlmbenchError(f"{path}: GGUF of type {kind!r}, not a model (LoRA or projector?)")
    if arch in NOT_CAUSAL_LM:
        raise SlmbenchError(f"{path}: architecture {arch!r} is not a causal (text-generating) LM")
    if not any(t.name == "token_embd.weight" for t in reader.tensors):
        raise SlmbenchError(f"{path}: no token embedding tensor: not a causal LM")
    return {
        "architecture": arch,
        "file_type": field("general.file_type"),
        "recipe": field("slmbench.recipe"),
    }


def gguf_recipe(path: str | Path) -> dict | None:
    """The train recipe that `slmbench export` stored in a GGUF (`slmbench.recipe`), if any:
    how eval finds the prompt style a GGUF model was trained with."""
    recipe = check_gguf_causal_lm(Path(path)).get("recipe")
    return json.loads(recipe) if recipe else None


def file_type_name(code: int | None) -> str:
    """`general.file_type` as a dtype label.

    >>> file_type_name(3), file_type_name(0), file_type_name(None)
    ('q4_1', 'f32', 'unknown')
    """
    if code is None:
        return "unknown"
    from gguf import LlamaFileType

    try:
        name = LlamaFileType(code).name
    except ValueError:
        return f"type{code}"
    return name.removeprefix("MOSTLY_").removeprefix("ALL_").lower()
