"""Sensor alert: the reading is in the metric's range, with its number of decimals."""

from __future__ import annotations


def adjust(gold: dict, g, tables: dict) -> None:
    lo, hi, places, _ = tables["sensor_ranges"][gold["metric"]]
    gold["value"] = g.randint(int(lo), int(hi)) if places == 0 else g.decimal(lo, hi, places)
