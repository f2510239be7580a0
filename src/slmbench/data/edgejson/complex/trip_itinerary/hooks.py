"""Trip itinerary: the legs make a round trip through two or three cities (flights across the
Atlantic, trains, buses or a ferry within a continent), on the first, middle and last days
of the trip; each hotel is in the city reached, from one leg's day to the next; the
traveler's email is theirs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta


def _transport(g, tables: dict, origin: str, destination: str) -> tuple[str, str]:
    for a, b, ferry in tables["ferries"]:
        if {origin, destination} == {a, b} and g.chance(0.6):
            return "ferry", ferry
    continents = tables["continents"]
    here = "na" if origin in continents["na"] else "eu"
    there = "na" if destination in continents["na"] else "eu"
    carriers = tables["transport_carriers"]
    if here != there:
        return "flight", g.pick(carriers["flight"]["na"] + carriers["flight"]["eu"])
    mode = g.pick(["flight", "train", "train", "bus"])
    return mode, g.pick(carriers[mode][here])


def adjust(gold: dict, g, tables: dict) -> None:
    traveler = gold["traveler"]
    traveler["email"] = g.email_for(traveler["name"])
    start = date.fromisoformat(gold["start_date"])
    end = start + timedelta(days=g.randint(2, 12))
    gold["end_date"] = end.isoformat()
    cities = tables["continents"]["na"] + tables["continents"]["eu"]
    stops = g.sample(cities, 3 if g.chance(0.4) else 2)
    if g.chance(0.1):  # ferry routes are rare among random city pairs
        a, b, _ = g.pick(tables["ferries"])
        stops[:2] = [a, b] if g.chance(0.5) else [b, a]
        stops = list(dict.fromkeys(stops))
    mid = start + (end - start) // 2
    days = [start, mid, end] if len(stops) == 3 else [start, end]
    route = [*stops, stops[0]]
    legs = []
    for i, day in enumerate(days):
        mode, carrier = _transport(g, tables, route[i], route[i + 1])
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        legs.append(
            {
                "mode": mode,
                "carrier": carrier,
                "from_city": route[i],
                "to_city": route[i + 1],
                "departure": g.iso(midnight + timedelta(minutes=g.randint(24, 86) * 15)),
            }
        )
    gold["legs"] = legs
    if "lodging" in gold:
        gold["lodging"] = [
            {
                "hotel": g.pick(tables["hotels"]).format(c=route[i + 1]),
                "city": route[i + 1],
                "check_in": days[i].isoformat(),
                "check_out": days[i + 1].isoformat(),
            }
            for i in range(len(days) - 1)
        ]
