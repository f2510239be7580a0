"""Known models, resolving a model or adapter argument to a local folder, and loading a backend.

Nothing here imports torch or transformers at module level: `slmbench models` stays fast.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import os
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slmbench.errors import SlmbenchError
from slmbench.known_models import MODELS, ModelSpec, format_params  # noqa: F401 (re-exported)
from slmbench.models import gemma
from slmbench.models.base import BACKENDS
from slmbench.models.embedded import EMBEDDED_PACKAGE, embedded_model_dir

if TYPE_CHECKING:
    from slmbench.models.base import Backend

HUB_PROBE_TIMEOUT_S = 5.0
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
# What a model snapshot needs; skips the ONNX/GGUF/pickle copies some repositories also hold.
HUB_DOWNLOAD_PATTERNS = ["*.json", "*.safetensors", "*.txt", "*.model", "*.jinja", "*.tiktoken"]
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf")


def known_names() -> str:
    """The registered names, for error messages.

    >>> known_names()
    'smollm2-135m-instruct, smollm2-360m-instruct, qwen2.5-0.5b-instruct, gemma3-270m'
    """
    return ", ".join(MODELS)


# --- models --------------------------------------------------------------------------------


def resolve_model(name_or_path: str | Path, hub_cache: str | Path | None = None) -> Path:
    """A local transformers folder for: a registered name; a model folder; a train run folder
    of `slmbench train` (its `model/`, else `merged/`); or a hub id `org/name` (from the local
    HF cache; downloaded only if the hub answers one quick probe). `hub_cache` overrides the
    HF cache folder."""
    text = str(name_or_path)
    spec = MODELS.get(text.lower())
    if spec is not None:
        if spec.source == "embedded":
            return embedded_model_dir()
        if spec.source == "package":
            return package_model_dir(spec)
        return _hub_snapshot(spec.hub_id, hub_cache)
    path = Path(text).expanduser()
    if path.is_dir():
        return _model_folder(path)
    if path.exists():
        raise SlmbenchError(f"model {text!r} is a file, not a transformers model folder")
    if HUB_ID.match(text) and not text.startswith((".", "/", "~")):
        return _hub_snapshot(text, hub_cache)
    raise SlmbenchError(
        f"unknown model {text!r}: not a registered name ({known_names()}), "
        "not an existing folder, not a hub id (org/name)"
    )


def _model_folder(path: Path) -> Path:
    if (path / "config.json").is_file():
        return path
    for run_model in ("model", "merged"):  # a full fine-tune, or an adapter merged after training
        if (path / run_model / "config.json").is_file():
            return path / run_model
    if (path / "adapter" / "adapter_config.json").is_file() or (
        path / "adapter_config.json"
    ).is_file():
        raise SlmbenchError(
            f"{path} holds a LoRA adapter, not a full model: pass it as --adapter "
            "(the base model is taken from its recipe)"
        )
    raise SlmbenchError(
        f"{path} is not a model folder: no config.json, nor model/ or merged/ of a "
        "`slmbench train` run"
    )


def hub_cached_snapshot(hub_id: str, hub_cache: str | Path | None = None) -> Path | None:
    """The cached snapshot folder of `hub_id` if it holds a config and weights, else None."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        folder = Path(snapshot_download(hub_id, local_files_only=True, cache_dir=hub_cache))
    except (LocalEntryNotFoundError, FileNotFoundError, ValueError):
        return None
    has_weights = any(p.suffix in WEIGHT_SUFFIXES for p in folder.iterdir())
    return folder if (folder / "config.json").is_file() and has_weights else None


def hub_offline() -> bool:
    """Whether the user asked for no hub traffic (HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE)."""
    flags = (os.environ.get("HF_HUB_OFFLINE"), os.environ.get("TRANSFORMERS_OFFLINE"))
    return any(str(f).strip().lower() in ("1", "true", "yes", "on") for f in flags if f)


def hub_endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def _hub_snapshot(hub_id: str, hub_cache: str | Path | None) -> Path:
    cached = hub_cached_snapshot(hub_id, hub_cache)
    if cached is not None:
        return cached
    not_cached = f"model {hub_id} is not cached locally"
    if hub_offline():
        raise SlmbenchError(f"{not_cached} and HF_HUB_OFFLINE is set; download it while online")
    url = f"{hub_endpoint()}/api/models/{hub_id}"
    try:  # one quick probe, so that an offline machine fails at once instead of retrying
        with urllib.request.urlopen(url, timeout=HUB_PROBE_TIMEOUT_S):
            pass
    except urllib.error.HTTPError as e:
        raise SlmbenchError(
            f"{not_cached} and the hub answered HTTP {e.code} for it (misspelt, private or gated?)"
        ) from None
    except (OSError, ValueError) as e:
        raise SlmbenchError(
            f"{not_cached} and the hub is unreachable ({hub_endpoint()}: {e}); "
            "download it on a connected machine or pass a local model folder"
        ) from None
    from huggingface_hub import snapshot_download

    try:
        folder = snapshot_download(
            hub_id, cache_dir=hub_cache, allow_patterns=HUB_DOWNLOAD_PATTERNS
        )
    except Exception as e:  # noqa: BLE001 - any hub failure is the user's to fix, in one line
        raise SlmbenchError(f"downloading {hub_id} failed: {e}") from e
    return Path(folder)


def model_available_offline(spec: ModelSpec, hub_cache: str | Path | None = None) -> bool:
    """Whether `spec` can be loaded now without network (no model is loaded)."""
    if spec.source == "embedded":
        return importlib.util.find_spec(EMBEDDED_PACKAGE) is not None
    if spec.source == "package":
        return package_installed(spec)
    return hub_cached_snapshot(spec.hub_id, hub_cache) is not None


# The models of optional install steps, by registry key: modules with `installed()`,
# `model_dir()` (transformers folder) and `gguf_path()` (for llama.cpp).
PACKAGED = {gemma.GEMMA_NAME: gemma}


def package_installed(spec: ModelSpec) -> bool:
    """Whether the package of a `package` model is installed (nothing is imported)."""
    return PACKAGED[spec.name].installed()


def package_model_dir(spec: ModelSpec) -> Path:
    """The transformers folder of a `package` model (converted once); a one-line error with
    the install step when its package is not installed."""
    return PACKAGED[spec.name].model_dir()


def package_gguf(name: str) -> tuple[Path, Path] | None:
    """(GGUF file, transformers folder with its tokenizer) of a `package` model named `name`
    (any case), None for any other name: what the llamacpp backend runs."""
    spec = MODELS.get(str(name).lower())
    if spec is None or spec.source != "package":
        return None
    module = PACKAGED[spec.name]
    return module.gguf_path(), module.model_dir()


# --- adapters and train runs ---------------------------------------------------------------


def resolve_adapter(path: str | Path) -> tuple[Path, dict | None]:
    """(adapter folder, train recipe or None) for a PEFT adapter folder, a train run folder
    (`RUN/adapter/` + `RUN/recipe.json`) or a `slmbench specialize` folder (its `train/` run).
    The recipe carries `base_model` and `prompt_style`."""
    path = Path(path).expanduser()
    if not path.exists():
        raise SlmbenchError(f"adapter {path} does not exist")
    if (path / "specialize.json").is_file():
        path = path / "train"
    if (path / "adapter_config.json").is_file():
        return path, read_recipe(path.parent)
    if (path / "adapter" / "adapter_config.json").is_file():
        return path / "adapter", read_recipe(path)
    if (path / "model" / "config.json").is_file():
        raise SlmbenchError(
            f"{path} is a full fine-tune run, not an adapter: pass it as --model instead"
        )
    raise SlmbenchError(
        f"{path} is not a PEFT adapter: no adapter_config.json in it or in {path / 'adapter'}"
    )


def read_recipe(run_dir: str | Path) -> dict | None:
    """`RUN/recipe.json` of a train run folder (also given its `model/` or `adapter/`
    subfolder), or None when there is none."""
    run_dir = Path(run_dir)
    for folder in (run_dir, run_dir.parent):
        recipe = folder / "recipe.json"
        if recipe.is_file():
            try:
                return json.loads(recipe.read_text(encoding="utf-8"))
            except json.JSONDecodeError as e:
                raise SlmbenchError(f"{recipe}:{e.lineno}: invalid JSON ({e.msg})") from None
    return None


def model_recipe(model: str | Path) -> dict | None:
    """The train recipe behind a model path: a full fine-tune's run folder (RUN or RUN/model), or
    a GGUF written by `slmbench export` (which stores the recipe in it); None for anything else."""
    path = Path(model).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        from slmbench.models.gguf_files import gguf_recipe

        return gguf_recipe(path)
    return read_recipe(path) if path.is_dir() else None


def adapter_base_model(adapter_dir: Path, recipe: dict | None) -> str:
    """The base model an adapter was trained on: the recipe's `base_model`, else the PEFT
    config's `base_model_name_or_path`."""
    if recipe and recipe.get("base_model"):
        return str(recipe["base_model"])
    config = json.loads((adapter_dir / "adapter_config.json").read_text(encoding="utf-8"))
    base = config.get("base_model_name_or_path")
    if not base:
        raise SlmbenchError(f"{adapter_dir}: no base model recorded; pass --model")
    return str(base)


# --- backends ------------------------------------------------------------------------------


def load_backend(
    backend: str, model: str | Path | None, adapter: str | Path | None = None, **options: Any
) -> Backend:
    """A loaded backend. `model` may be None when `adapter` records its base model. Options
    that are None are dropped (backend defaults apply); an option the backend does not take is
    an error naming the ones it does."""
    if backend not in BACKENDS:
        raise SlmbenchError(f"unknown backend {backend!r} (known: {', '.join(BACKENDS)})")
    module_name, class_name = BACKENDS[backend]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        raise SlmbenchError(f"backend {backend!r} is not available: {e}") from e
    cls = getattr(module, class_name)
    accepted = [
        p.name
        for p in inspect.signature(cls).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    ]
    given = {key: value for key, value in options.items() if value is not None}
    unknown = sorted(set(given) - set(accepted))
    if unknown:
        raise SlmbenchError(
            f"option(s) {', '.join(unknown)} do not apply to the {backend} backend "
            f"(it takes: {', '.join(accepted) or 'none'})"
        )
    return cls(model, adapter, **given)
