"""The options of `slmbench data synth` (light: the command line is generated from them
without importing the engine)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class SynthOptions:
    """What `slmbench data synth` makes, and from what."""

    schema: Path
    """A JSON Schema file, or a folder of them (every `*.json` under it; the file stem is the
    schema id)."""
    out: Path
    """Output folder: train.jsonl, test.jsonl, manifest.json and schemas/."""
    examples: Path | None = None
    """Labelled examples (JSONL: `text` and `output`, plus `schema_id` when there are several
    schemas); their layouts become templates."""
    n: int = 1000
    """Training rows, spread evenly over the schemas."""
    n_test: int | None = None
    """Validation rows; default a tenth of `n`, at least one per schema."""
    seed: int = 0
    """Random seed: the same seed and inputs give the same bytes."""
    template_share: float = 0.5
    """Fraction of a schema's rows made from its examples' templates (when it has any)."""
    optional_chance: float = 0.7
    """Chance that an optional property is present in a schema-rendered row (the EdgeJSON
    generator's `gen_values.OPTIONAL`)."""
