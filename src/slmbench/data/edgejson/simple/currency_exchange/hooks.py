"""Currency exchange: two different currencies, and a rate near the real cross rate."""

from __future__ import annotations


def adjust(gold: dict, g, tables: dict) -> None:
    per_usd = tables["per_usd"]
    base, quote = g.sample(list(per_usd), 2)
    raw = per_usd[quote] / per_usd[base] * g.rng.uniform(0.96, 1.04)
    gold["base_currency"], gold["quote_currency"] = base, quote
    gold["rate"] = round(raw, 2 if raw > 50 else 4)
