"""Token lengths (chat-schema prompt + answer, embedded model's tokenizer) of the v3 rows, per
tier, and of the held-out complex rows' gold answers: the figures behind setting 1's notes.

Usage: .venv/bin/python experiments/v3-whole-rows/v3_token_lengths.py [V3_DIR] [HELD_OUT_IDS]
(V3_DIR: the original EdgeJSON v3 training split and schemas, Apache-2.0.)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from transformers import AutoTokenizer

from slmbench.data.rows import read_rows
from slmbench.data.schemas import load_schemas
from slmbench.models.embedded import EMBEDDED_NAME
from slmbench.models.registry import resolve_model
from slmbench.train.dataset import IGNORE_INDEX, encode_row

HELD_OUT_IDS = Path("results/runs/train/v3-lora-r16-e6/val_ids.json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("v3", nargs="?", type=Path, default=Path("../shared/edgejson_v3"))
    parser.add_argument(
        "held_out_ids",
        nargs="?",
        type=Path,
        default=HELD_OUT_IDS,
        help="a train run's val_ids.json",
    )
    args = parser.parse_args()
    v3 = args.v3
    held = set(json.loads(args.held_out_ids.read_text())["ids"])
    tokenizer = AutoTokenizer.from_pretrained(resolve_model(EMBEDDED_NAME))
    schemas = load_schemas(v3 / "schemas")
    by_tier: dict[str, list[tuple[str, int, int]]] = {}
    for row in read_rows(v3 / "train.jsonl", schemas):
        example = encode_row(row, tokenizer, "chat-schema", schemas)
        answer = sum(label != IGNORE_INDEX for label in example.labels)
        by_tier.setdefault(row.complexity, []).append((row.id, len(example), answer))
    for tier, items in by_tier.items():
        totals = [t for _, t, _ in items]
        train = [t for i, t, _ in items if i not in held]
        print(
            f"{tier}: {len(items)} rows, prompt + answer max {max(totals)} tokens; "
            f"training rows (not held out): {len(train)}, over 1536 tokens: "
            f"{sum(t > 1536 for t in train)}"
        )
    print("held-out complex rows: gold answer tokens (with EOS)")
    for row_id, _, answer in sorted(by_tier.get("complex", [])):
        if row_id in held:
            print(f"  {row_id} {answer}{'  > 1024' if answer > 1024 else ''}")


if __name__ == "__main__":
    main()
