"""`slmbench export`: write a train run's model as a GGUF file for llama.cpp."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    from slmbench.deploy.export import DEFAULT_QUANT, QUANTS

    parser = sub.add_parser(
        "export",
        help="export a train run (adapter merged into its base) as a GGUF file for llama.cpp",
        description=(
            "Merge a `slmbench train` run's LoRA adapter into its base model (or take its full "
            "fine-tune) and write one GGUF file that llama.cpp loads, with the HF tokenizer "
            "saved beside it. Run it with: slmbench eval --backend llamacpp --model FILE.gguf"
        ),
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a `slmbench train` run folder")
    parser.add_argument("--format", choices=["gguf"], default="gguf", help="output format")
    parser.add_argument(
        "--quant",
        choices=QUANTS,
        default=DEFAULT_QUANT,
        help=f"weight type (default {DEFAULT_QUANT}; q4_k_m needs llama-cpp-python)",
    )
    parser.add_argument(
        "--out", metavar="FILE", help="output .gguf (default RUN_DIR/gguf/model-QUANT.gguf)"
    )
    parser.set_defaults(func=run_export)


def run_export(args: argparse.Namespace) -> int:
    from slmbench.deploy.export import export_gguf

    result = export_gguf(args.run_dir, args.out, args.quant)
    size_mb = result.size_bytes / 1e6
    print(f"wrote {result.path} ({result.quant}, {size_mb:.1f} MB) from {result.source}")
    if result.note:
        print(f"llama.cpp: {result.note}")
    print(f"tokenizer: {result.tokenizer_dir}")
    print(f"run it: slmbench eval --backend llamacpp --model {result.path}")
    return 0
