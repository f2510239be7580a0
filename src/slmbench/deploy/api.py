"""The deploy stage's Python API: `export(ExportOptions)`. `slmbench export` is generated from
`ExportOptions` (`slmbench.options`) and calls `export`. Nothing heavy is imported until it
runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from slmbench.options import option

if TYPE_CHECKING:
    from slmbench.deploy.export import ExportResult

QUANTS = ("f32", "f16", "q8_0", "q4_k_m")
"""GGUF weight types `slmbench export` writes."""
DEFAULT_QUANT = "q8_0"
FORMATS = ("gguf",)


@dataclass(kw_only=True)
class ExportOptions:
    """Everything `slmbench export` takes."""

    run_dir: Path = option(positional=True, metavar="RUN_DIR")
    """A `slmbench train` run folder."""
    format: str = option("gguf", choices=FORMATS)
    """Output format."""
    quant: str = option(DEFAULT_QUANT, choices=QUANTS)
    """Weight type (q4_k_m needs llama-cpp-python)."""
    out: Path | None = option(None, metavar="FILE")
    """Output .gguf (default RUN_DIR/gguf/model-QUANT.gguf)."""


def export(options: ExportOptions) -> ExportResult:
    """Write the model of a train run (its adapter merged into its base, or its full
    fine-tune) as one GGUF file, with the HF tokenizer beside it; returns where it went."""
    from slmbench.deploy.export import export_gguf
    from slmbench.options import check_choices

    check_choices(options)
    return export_gguf(options.run_dir, options.out, options.quant)
