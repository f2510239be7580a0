"""Weather observation: a temperature of the season, and conditions that fit it (no snow
when warm, no thunderstorm when cold)."""

from __future__ import annotations

import math
from datetime import date


def adjust(gold: dict, g, tables: dict) -> None:
    month = date.fromisoformat(gold["observed_on"]).month
    # Seasonal mean of a mid-latitude northern station: about -2 °C in January, 26 °C in July.
    mean = 12.0 - 14.0 * math.cos(2 * math.pi * (month - 1) / 12)
    temp = round(mean + g.rng.uniform(-9.0, 9.0), 1) or 0.0  # never -0.0
    gold["temperature_c"] = temp
    if "conditions" in gold:
        gold["conditions"] = g.pick(
            [
                c
                for c in tables["sky"]
                if (c != "snow" or temp < 3) and (c != "thunderstorm" or temp > 8)
            ]
        )
