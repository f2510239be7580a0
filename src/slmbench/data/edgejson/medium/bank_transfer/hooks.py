"""Bank transfer: the payment reference names the execution date's month or year."""

from __future__ import annotations

from datetime import date


def adjust(gold: dict, g, tables: dict) -> None:
    if "reference" in gold:
        executed = date.fromisoformat(gold["execution_date"])
        gold["reference"] = g.pick(tables["references"]).format(
            month=f"{executed:%B}", year=executed.year, n=g.randint(1000, 99999)
        )
