"""Parcel status: the tracking number has its carrier's format; a delivered parcel has no
estimated delivery date."""

from __future__ import annotations


def adjust(gold: dict, g, tables: dict) -> None:
    gold["tracking_number"] = g.code(tables["carriers"][gold["carrier"]][1])
    if gold["status"] == "delivered":
        gold.pop("estimated_delivery", None)
