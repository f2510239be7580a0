"""The generic data engine: rows for any JSON Schema, from the schema alone or from a few
labelled examples (`slmbench data synth`). See `build.py` for what a build writes; nothing
heavy is imported until `synth` runs."""

from __future__ import annotations

from pathlib import Path

from slmbench.data.synth.options import SynthOptions


def synth(options: SynthOptions) -> Path:
    """Build train.jsonl, test.jsonl and manifest.json under `options.out`; returns it."""
    from slmbench.data.synth.build import synth as build

    return build(options)


__all__ = ["SynthOptions", "synth"]
