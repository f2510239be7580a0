"""The licence a model comes under through its base model, and the NOTICE its derivatives carry.

The facts are the `Licence` of each `known_models` entry; this module finds the registered base
model behind a model argument (a name, a hub id, or a run folder whose `recipe.json` names its
base, followed through runs trained from runs) and writes the `NOTICE` file that a fine-tune, an
export or a specialize folder made from a model under notice-requiring terms (the Gemma Terms of
Use) must carry, with a copy of the terms when an installed package ships one. Train, export,
specialize and the model cards all use it, so the rule lives here once.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

from slmbench.known_models import ModelSpec, spec_of

NOTICE_FILE = "NOTICE"
MAX_CHAIN = 8
"""Most run folders followed from a model to its registered base (runs trained from runs)."""


def registered_spec(model: str) -> ModelSpec | None:
    """The registered model `model` names (registry key or hub id), else None. The one lookup
    `base_spec` makes per step: tests mark a tiny model as Gemma by replacing it."""
    return spec_of(model)


def base_spec(model: str | Path | None) -> ModelSpec | None:
    """The registered model that `model` is or was trained from, else None: a registry key or
    hub id; a train run folder (its `recipe.json`'s `base_model`), its `model/`, `merged/` or
    `adapter/` subfolder, or a `slmbench specialize` folder (its `train/` run).

    >>> base_spec("gemma3-270m").license.name, base_spec("someone/unknown")
    ('Gemma Terms of Use', None)
    """
    current = model
    for _ in range(MAX_CHAIN):
        if current is None or not str(current).strip():
            return None
        spec = registered_spec(str(current))
        if spec is not None:
            return spec
        recipe = _recipe_of(Path(str(current)).expanduser())
        current = recipe.get("base_model") if recipe else None
    return None


def _recipe_of(path: Path) -> dict | None:
    if not path.is_dir():
        return None
    for candidate in (path / "recipe.json", path / "train" / "recipe.json"):
        if candidate.is_file():
            return _read_json(candidate)
    if (path.parent / "recipe.json").is_file():  # RUN/model, RUN/merged, RUN/adapter
        return _read_json(path.parent / "recipe.json")
    return None


def _read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def notice_text(spec: ModelSpec, what: str, terms_copy: str | None = None) -> str:
    """The NOTICE of a derivative of `spec`, `what` saying what it is ("This fine-tune").

    >>> from slmbench.known_models import MODELS
    >>> print(notice_text(MODELS["gemma3-270m"], "This GGUF export").splitlines()[0])
    Gemma is provided under and subject to the Gemma Terms of Use found at ai.google.dev/gemma/terms
    """
    licence = spec.license
    lines = [
        licence.notice or f"{spec.name} is provided under the {licence.name} ({licence.url}).",
        "",
        f"{what} is a derivative of {spec.name} ({spec.hub_id}): its weights were modified by "
        "SLMBench (fine-tuning, adapter merging or conversion to GGUF).",
        f"It is distributed under, and its use is subject to, the {licence.name} "
        f"({licence.url}). Give these terms and this notice to anyone you pass it on to.",
    ]
    if licence.use_policy:
        lines.append(
            f"The use restrictions of those terms apply to it and to every model made from it: "
            f"{licence.use_policy}."
        )
    if terms_copy:
        lines.append(f"A copy of the terms: {terms_copy}.")
    return "\n".join(lines) + "\n"


def write_notice(folder: str | Path, base_model: str | Path | None, what: str) -> Path | None:
    """Write `folder/NOTICE` (and a copy of the terms beside it, when the package that ships
    them is installed) if `base_model` comes under terms that require a notice; returns the
    NOTICE's path, or None when none is required."""
    spec = base_spec(base_model)
    if spec is None or spec.license.notice is None:
        return None
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    terms = terms_file(spec)
    if terms is not None:
        shutil.copyfile(terms, folder / terms.name)
    path = folder / NOTICE_FILE
    path.write_text(notice_text(spec, what, terms.name if terms else None), encoding="utf-8")
    return path


def terms_file(spec: ModelSpec) -> Path | None:
    """The copy of the model's terms inside its installed package, if there is one (found
    without importing the package)."""
    if spec.license.terms_file is None:
        return None
    package, relative = spec.license.terms_file
    try:
        found = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if found is None or not found.submodule_search_locations:
        return None
    path = Path(next(iter(found.submodule_search_locations))) / relative
    return path if path.is_file() else None
