"""The `slmbench` command: a thin dispatcher. Each stage registers its own subcommands in
`slmbench/<stage>/cli.py` (`register(subparsers)`), generated from the options dataclasses of
its Python API (`slmbench/<stage>/api.py`, through `slmbench.options`); each command calls that
API function. Nothing heavy is imported until a command runs (CONTRIBUTING.md, "Layers")."""

from __future__ import annotations

import argparse
import importlib
import sys

from slmbench import __version__
from slmbench.errors import SlmbenchError

STAGE_CLIS = (
    "slmbench.data.cli",
    "slmbench.teacher",  # adds `data synth` (it may ask a teacher model to label texts)
    "slmbench.constrain.cli",
    "slmbench.models.cli",
    "slmbench.eval.cli",
    "slmbench.train.cli",
    "slmbench.eval.bench_cli",
    "slmbench.deploy.cli",
    "slmbench.report.cli",
    "slmbench.pipeline",
    "slmbench.extract",
    "slmbench.specialize",
    "slmbench.sweep",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="slmbench", description="Benchmark, fine-tune and deploy small JSON-extraction LMs."
    )
    parser.add_argument("--version", action="version", version=f"slmbench {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in STAGE_CLIS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
    except SlmbenchError as e:
        if args.debug:
            raise
        print(f"slmbench {args.command}: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print(
            f"slmbench {args.command}: interrupted (rerun the same command to resume)",
            file=sys.stderr,
        )
        return 130
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
