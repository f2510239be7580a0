"""Up to K labelled v3 rows per schema, from setting 1's training 80% only (never the held-out
126), as `slmbench specialize --examples` rows: `text`, `output`, `schema_id`.

    python experiments/specialize-v3/pick_examples.py V3_TRAIN HELD_IDS K SEED > examples.jsonl
"""

import json
import random
import sys
from collections import defaultdict
from pathlib import Path


def main() -> None:
    train, held, k, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    held_ids = set(json.loads(Path(held).read_text())["ids"])
    by_schema = defaultdict(list)
    for line in Path(train).read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["id"] in held_ids:
            continue
        by_schema[row.get("schema_id") or row["schema_name"]].append(row)
    rng = random.Random(seed)
    for schema_id in sorted(by_schema):
        rows = sorted(by_schema[schema_id], key=lambda r: r["id"])
        for row in rng.sample(rows, min(k, len(rows))):
            out = {"id": row["id"], "schema_id": schema_id, "text": row["prompt"]}
            print(json.dumps({**out, "output": row["expected_output"]}, ensure_ascii=False))


if __name__ == "__main__":
    main()
