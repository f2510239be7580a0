"""Print a JSONL of rows without those whose request text is also in another file (held-out).

Usage: python drop_overlap.py TRAIN HELD_OUT > OUT
"""

import json
import sys
from pathlib import Path


def main(train: str, held_out: str) -> None:
    lines = Path(held_out).read_text(encoding="utf-8").splitlines()
    held = {json.loads(line)["prompt"] for line in lines if line.strip()}
    kept = dropped = 0
    for line in Path(train).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        if json.loads(line)["prompt"] in held:
            dropped += 1
            continue
        print(line)
        kept += 1
    print(f"kept {kept} rows of {train}, dropped {dropped} held-out requests", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:3])
