"""Variety and realism figures of EdgeJSON dataset files, side by side (no model involved).

    .venv/bin/python experiments/edgejson-engine/compare_data.py OLD.jsonl NEW.jsonl [--json OUT]

Per file: rows by style and tier; text and gold lengths per tier (characters, median/p90);
distinct "Label: value" labels; distinct text skeletons (the text with every gold value
replaced by a placeholder, so two rows of one template and layout share a skeleton) per
schema and style; distinct lines of skeleton; word types; distinct golds; the share of
optional properties absent.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
from collections import Counter, defaultdict
from pathlib import Path

from slmbench.data.grounding import date_spellings, schema_leaves
from slmbench.data.rows import read_rows
from slmbench.data.schemas import TIERS, load_schemas

LABEL = re.compile(
    r"^\s*(?:[-*]\s+|\d+\.\s+)?([A-Za-z][A-Za-z0-9 ()%#./'?-]{0,40}?)\s*(?::\s|\s-\s|\s\.{3,}\s)"
)
WORD = re.compile(r"[A-Za-z]+")


def skeleton(text: str, gold: dict, schema: dict) -> str:
    """The text with each gold leaf written out replaced by `<v>` (longest values first)."""
    spellings: list[str] = []
    for _, value, node in schema_leaves(gold, schema):
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, str):
            spellings += date_spellings(value) if node.get("format") == "date" else [value]
        elif isinstance(value, int | float):
            spellings += {str(value), f"{value:,}", f"{value:,.2f}", f"{value:.2f}"}
    for s in sorted(set(spellings), key=len, reverse=True):
        if len(s) > 1:
            text = text.replace(s, "<v>")
    return re.sub(r"\d", "9", text)


def describe(path: Path) -> dict:
    schemas = load_schemas()
    rows = read_rows(path, schemas)
    by_tier = defaultdict(list)
    skeletons: dict[tuple, set] = defaultdict(set)
    lines: set[str] = set()
    labels: Counter = Counter()
    words: Counter = Counter()
    optional_present = optional_absent = 0
    for row in rows:
        schema = schemas[row.schema_id].schema
        by_tier[row.complexity].append(row)
        sk = skeleton(row.prompt, row.expected_output, schema)
        skeletons[(row.schema_id, row.style)].add(sk)
        lines.update(line.strip() for line in sk.splitlines() if line.strip())
        for line in row.prompt.splitlines():
            m = LABEL.match(line)
            if m:
                labels[m.group(1).strip()] += 1
        words.update(w.lower() for w in WORD.findall(row.prompt))
        optional = set(schema["properties"]) - set(schema.get("required", []))
        optional_present += sum(k in row.expected_output for k in optional)
        optional_absent += sum(k not in row.expected_output for k in optional)

    def lengths(values: list[int]) -> str:
        ordered = sorted(values)
        return f"{statistics.median(ordered):g}/{ordered[int(0.9 * (len(ordered) - 1))]}"

    per_cell = [len(s) for s in skeletons.values()]
    return {
        "path": str(path),
        "rows": len(rows),
        "by_style": dict(sorted(Counter(r.style for r in rows).items())),
        "by_tier": {t: len(by_tier[t]) for t in TIERS},
        "text_chars_median_p90": {t: lengths([len(r.prompt) for r in by_tier[t]]) for t in TIERS},
        "gold_chars_median_p90": {
            t: lengths([len(json.dumps(r.expected_output)) for r in by_tier[t]]) for t in TIERS
        },
        "distinct_labels": len(labels),
        "distinct_skeletons": sum(per_cell),
        "skeletons_per_schema_style_median": statistics.median(per_cell),
        "distinct_skeleton_lines": len(lines),
        "word_types": len(words),
        "distinct_golds": len({json.dumps(r.expected_output, sort_keys=True) for r in rows}),
        "optional_absent_share": round(optional_absent / (optional_present + optional_absent), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", type=Path, nargs="+")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    results = [describe(f) for f in args.files]
    keys = [k for k in results[0] if k != "path"]
    width = max(len(k) for k in keys) + 2
    print(f"{'':<{width}}" + "".join(f"{r['path'][-40:]:>44}" for r in results))
    for key in keys:
        cells = "".join(
            f"{json.dumps(r[key]) if isinstance(r[key], dict) else r[key]!s:>44}" for r in results
        )
        print(f"{key:<{width}}{cells}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
