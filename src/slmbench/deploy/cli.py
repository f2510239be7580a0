"""`slmbench export`: write a train run's model as a GGUF file for llama.cpp, generated from
`slmbench.deploy.api.ExportOptions`."""

from __future__ import annotations

import argparse

from slmbench.deploy.api import ExportOptions, export
from slmbench.options import add_command


def register(sub: argparse._SubParsersAction) -> None:
    add_command(
        sub,
        "export",
        ExportOptions,
        run_export,
        help="export a train run (adapter merged into its base) as a GGUF file for llama.cpp",
        description=(
            "Merge a `slmbench train` run's LoRA adapter into its base model (or take its full "
            "fine-tune) and write one GGUF file that llama.cpp loads, with the HF tokenizer "
            "saved beside it. Run it with: slmbench eval --backend llamacpp --model FILE.gguf"
        ),
    )


def run_export(options: ExportOptions) -> int:
    result = export(options)
    size_mb = result.size_bytes / 1e6
    print(f"wrote {result.path} ({result.quant}, {size_mb:.1f} MB) from {result.source}")
    if result.note:
        print(f"llama.cpp: {result.note}")
    print(f"tokenizer: {result.tokenizer_dir}")
    if result.notice:
        print(f"licence: {result.notice} (the base model's terms; keep it with the file)")
    print(f"run it: slmbench eval --backend llamacpp --model {result.path}")
    return 0
