"""`slmbench models`: the registered models, whether each can be loaded offline now, and the
install step of an optional one that is not installed."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass

from slmbench.options import add_command


@dataclass(kw_only=True)
class ModelsCommand:
    """Everything `slmbench models` takes."""

    json: bool = False
    """Print the list as JSON."""


def register(sub: argparse._SubParsersAction) -> None:
    add_command(
        sub,
        "models",
        ModelsCommand,
        run_models,
        help="list registered models and whether each is available offline",
    )


def run_models(args: ModelsCommand) -> int:
    from slmbench.models.registry import MODELS, model_available_offline

    rows = [
        {
            "name": spec.name,
            "hub_id": spec.hub_id,
            "params": spec.params,
            "license": spec.license.name,
            "license_url": spec.license.url,
            "open_source_license": spec.license.open_source,
            "source": spec.source,
            "offline": model_available_offline(spec),
            "install": spec.install,
            "description": spec.description,
        }
        for spec in MODELS.values()
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(format_table(rows))
    for spec in MODELS.values():
        row = next(r for r in rows if r["name"] == spec.name)
        if spec.install and not row["offline"]:
            print(f"\n{spec.name} is not installed: {spec.install} ({spec.install_note}).")
    print(
        "\nAlso accepted by --model: a local transformers folder, a `slmbench train` run "
        "folder, or any hub id (org/name) in the local HF cache."
    )
    return 0


def format_table(rows: list[dict]) -> str:
    """Rows as an aligned text table.

    >>> print(format_table([{"name": "m", "hub_id": "o/m", "params": 134_515_008,
    ...     "license": "MIT", "source": "hub", "offline": False, "description": "d"}]))
    name  params  license  offline  hub id  notes
    m     134.5M  MIT      no       o/m     d
    """
    from slmbench.models.registry import format_params

    header = ("name", "params", "license", "offline", "hub id", "notes")
    lines = [
        (
            row["name"],
            format_params(row["params"]),
            row["license"],
            _offline_label(row),
            row["hub_id"],
            row["description"],
        )
        for row in rows
    ]
    columns = zip(header, *lines, strict=True)
    widths = [max(len(str(cell)) for cell in column) for column in columns]
    return "\n".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in (header, *lines)
    )


def _offline_label(row: dict) -> str:
    if not row["offline"]:
        return "no"
    where = {"embedded": "embedded", "package": "installed"}.get(row["source"], "HF cache")
    return f"yes ({where})"
