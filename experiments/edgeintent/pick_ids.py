"""The first K row ids of each intent, in file order: a stratified subset of a validation file.

python experiments/edgeintent/pick_ids.py runs/banking77/test.jsonl 4 > val-4-per-intent.json
"""

import json
import sys
from collections import defaultdict
from pathlib import Path


def main() -> None:
    path, k = sys.argv[1], int(sys.argv[2])
    by_label = defaultdict(list)
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        by_label[row["expected_output"]["intent"]].append(row["id"])
    print(json.dumps({"ids": [i for label in sorted(by_label) for i in by_label[label][:k]]}))


if __name__ == "__main__":
    main()
