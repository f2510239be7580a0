"""`slmbench schema check`, generated from `SchemaCheckOptions`."""

from __future__ import annotations

import argparse

from slmbench.constrain.schema_check import SchemaCheckOptions, check_schemas
from slmbench.options import Command, add_group


def run_check(options: SchemaCheckOptions) -> int:
    report = check_schemas(options)
    print(report.to_json() if options.json else report.render())
    return report.exit_code


SCHEMA_COMMANDS = [
    Command(
        "check",
        SchemaCheckOptions,
        run_check,
        "can the data engine and constrained decoding serve these schemas?",
    ),
]


def register(sub: argparse._SubParsersAction) -> None:
    add_group(sub, "schema", "check JSON Schemas before making data or decoding", SCHEMA_COMMANDS)
