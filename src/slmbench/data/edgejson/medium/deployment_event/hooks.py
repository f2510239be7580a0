"""Deployment event: it finishes 40 s to 30 min after it starts."""

from __future__ import annotations

from datetime import datetime, timedelta


def adjust(gold: dict, g, tables: dict) -> None:
    if "finished_at" in gold:
        started = datetime.fromisoformat(gold["started_at"])
        gold["finished_at"] = g.iso(started + timedelta(seconds=g.randint(40, 1800)))
