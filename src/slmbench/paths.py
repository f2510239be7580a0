"""Where SLMBench keeps converted models and other caches."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """`$SLMBENCH_CACHE`, else `~/.cache/slmbench`; created on first use."""
    root = Path(os.environ.get("SLMBENCH_CACHE") or Path.home() / ".cache" / "slmbench")
    root.mkdir(parents=True, exist_ok=True)
    return root
