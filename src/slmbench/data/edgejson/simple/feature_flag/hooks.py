"""Feature flag: a disabled flag is rolled out to nobody."""

from __future__ import annotations


def adjust(gold: dict, g, tables: dict) -> None:
    if not gold["enabled"] and "rollout_percent" in gold:
        gold["rollout_percent"] = 0
