"""A LoRA train run as a GGUF file for the llamacpp backend: its adapter merged into its base model
and written as `slmbench export` writes it (`slmbench.models.gguf_writer`), once, then cached.

The cache folder is `cache_dir()/adapter-gguf/<key>/`, where the key hashes everything the file
is made of: the adapter's and the run's files (weights, adapter config, recipe, tokenizer), the
base model's config and the size and modification time of its weight files, the weight type and
`CONVERTER_VERSION`. A changed adapter or base model therefore gets a new file; nothing is ever
written into the run folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from slmbench.errors import SlmbenchError
from slmbench.paths import cache_dir

ADAPTER_QUANT = "q8_0"
"""Weight type of the converted file: `slmbench export`'s default (8-bit blocks, bit-exact with
ggml's reference quantiser)."""
CONVERTER_VERSION = 1
"""Bump when `gguf_writer` writes different bytes for the same model: old cache entries then
stop matching."""
CACHE_FOLDER = "adapter-gguf"
RUN_FILES = (
    "recipe.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "chat_template.jinja",
)
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors", "adapter_model.bin")
WEIGHT_SUFFIXES = (".safetensors", ".bin")


def adapter_gguf(adapter: str | Path, base_model: str | Path | None = None) -> Path:
    """The cached GGUF of `adapter` (a PEFT adapter folder or a `slmbench train` run) merged
    into its base model, converted on first use. `base_model`, when given, must be the base
    model that the run's recipe (or adapter config) names."""
    from slmbench.models.gguf_files import tokenizer_dir_for
    from slmbench.models.gguf_writer import write_run_gguf
    from slmbench.models.registry import adapter_base_model, resolve_adapter, resolve_model

    adapter_dir, recipe = resolve_adapter(adapter)
    base = adapter_base_model(adapter_dir, recipe)
    if base_model is not None and str(base_model) != base:
        raise SlmbenchError(
            f"adapter {adapter} was trained on {base!r}, not {str(base_model)!r}: the llamacpp "
            "backend merges it into the base model its recipe names (leave --model out)"
        )
    run_dir = _run_folder(adapter_dir)
    key = cache_key(run_dir, adapter_dir, resolve_model(base))
    folder = cache_dir() / CACHE_FOLDER / key
    target = folder / f"model-{ADAPTER_QUANT}.gguf"
    if target.is_file() and tokenizer_dir_for(target).is_dir():
        return target
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=folder.parent))
    try:
        write_run_gguf(run_dir, staging / target.name, ADAPTER_QUANT, progress=False)
        try:
            os.replace(staging, folder)
        except OSError:  # another process cached the same file first: keep theirs
            if not target.is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def cache_key(run_dir: Path, adapter_dir: Path, base_dir: Path) -> str:
    """A hex digest of what the converted file is made of (see the module docstring)."""
    digest = hashlib.sha256()
    parts: dict[str, object] = {
        "converter": CONVERTER_VERSION,
        "quant": ADAPTER_QUANT,
        "run": {name: _file_hash(run_dir / name) for name in RUN_FILES},
        "adapter": {name: _file_hash(adapter_dir / name) for name in ADAPTER_FILES},
        "base_config": _file_hash(base_dir / "config.json"),
        "base_weights": sorted(
            (p.name, p.stat().st_size, p.stat().st_mtime_ns)
            for p in base_dir.iterdir()
            if p.suffix in WEIGHT_SUFFIXES
        ),
    }
    digest.update(json.dumps(parts, sort_keys=True).encode())
    return digest.hexdigest()[:24]


def _run_folder(adapter_dir: Path) -> Path:
    """The train run holding `adapter_dir` (`RUN/adapter/`), else the adapter folder itself:
    the run folder carries the tokenizer the run trained with."""
    parent = adapter_dir.parent
    if adapter_dir.name == "adapter" and (parent / "recipe.json").is_file():
        return parent
    return adapter_dir


def _file_hash(path: Path) -> str | None:
    if not path.is_file():
        return None
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
