"""Write samples.md: three rows per tier of an old build and of a new one, side by side (one
schema per style, the first row of that schema and style in each file).

    .venv/bin/python experiments/edgejson-engine/samples.py OLD.jsonl NEW.jsonl OUT.md
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from slmbench.data.rows import read_rows
from slmbench.data.schemas import TIERS, load_schemas

STYLES = ("kv", "prose", "message")


def first(rows: list, schema_id: str, style: str):
    return next(r for r in rows if r.schema_id == schema_id and r.style == style)


def block(title: str, row) -> list[str]:
    gold = json.dumps(row.expected_output, ensure_ascii=False)
    return [f"**{title}** (`{row.id}`)", "", "```text", row.prompt, "```", "", f"`{gold}`", ""]


def main(old_path: str, new_path: str, out: str) -> None:
    schemas = load_schemas()
    old, new = read_rows(old_path, schemas), read_rows(new_path, schemas)
    lines = [
        "# EdgeJSON rows: the per-schema generators and the data engine, side by side",
        "",
        f"Old: `{old_path}` (the committed 2x build, `slmbench.data.generate` before the engine).",
        f"New: `{new_path}` (the same command on the engine). Made by",
        f"`python experiments/edgejson-engine/samples.py {old_path} {new_path} {out}`: for each",
        "tier, one schema per style, the first row of that schema and style in each file.",
        "",
    ]
    for tier in TIERS:
        ids = sorted(s for s, info in schemas.items() if info.tier == tier)
        lines += [f"## {tier}", ""]
        for schema_id, style in zip(ids, STYLES, strict=False):
            lines += [f"### {schema_id}, {style}", ""]
            lines += block("old", first(old, schema_id, style))
            lines += block("new", first(new, schema_id, style))
    Path(out).write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:4])
