"""Where a result came from: code version (git commit, and a hash of any uncommitted diff),
package versions, hardware, time; and atomic JSON writes. Shared by every stage that writes a
run folder (eval, train, bench), so none of them imports another for it."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
import os
import platform
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

VERSIONED_PACKAGES = (
    "slmbench",
    "torch",
    "transformers",
    "peft",
    "accelerate",
    "jsonschema",
    "numpy",
    "llguidance",
    "llama_cpp_python",
)


def package_versions() -> dict[str, str]:
    """Python and the installed versions of the packages that shape results."""
    versions = {"python": platform.python_version()}
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name.replace("_", "-"))
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def git_hash(start: Path | None = None) -> str:
    """`git rev-parse HEAD` of the repository holding this package (or `start`), else
    "unknown"."""
    out = _git(["rev-parse", "HEAD"], start)
    return out.strip() if out else "unknown"


def git_dirty(start: Path | None = None) -> bool | None:
    """Whether tracked files differ from HEAD (None outside a repository)."""
    out = _git(["status", "--porcelain", "--untracked-files=no"], start)
    return None if out is None else bool(out.strip())


def git_diff_sha256(start: Path | None = None) -> str | None:
    """sha256 of `git diff HEAD` (tracked files) when the tree is dirty, else None: with the
    commit, it pins the code a dirty-tree result came from."""
    if not git_dirty(start):
        return None
    out = _git(["diff", "HEAD", "--no-color", "--no-ext-diff"], start)
    return None if out is None else hashlib.sha256(out.encode("utf-8")).hexdigest()


def git_provenance(start: Path | None = None) -> dict[str, Any]:
    """The `git_hash`, `git_dirty` and `git_diff_sha256` keys of a results or meta file."""
    return {
        "git_hash": git_hash(start),
        "git_dirty": git_dirty(start),
        "git_diff_sha256": git_diff_sha256(start),
    }


def _git(args: list[str], start: Path | None) -> str | None:
    where = start or Path(__file__).resolve().parent
    try:
        done = subprocess.run(["git", *args], cwd=where, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def hardware() -> dict[str, Any]:
    """CPU model and counts, memory, OS: what latency figures depend on."""
    info: dict[str, Any] = {
        "machine": platform.machine(),
        "system": f"{platform.system()} {platform.release()}",
        "cpu": _cpu_model() or platform.processor() or "unknown",
        "logical_cpus": os.cpu_count(),
    }
    try:
        import psutil

        info["physical_cpus"] = psutil.cpu_count(logical=False)
        info["memory_gb"] = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        pass
    return info


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (MB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def write_json(path: Path, obj: Any) -> None:
    """Write JSON atomically (a crash never leaves half a file)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
