"""Records and renderings of the `complex` trip itinerary schema (traveler with loyalty
details, transport legs, lodging and budget)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from slmbench.data.gen_render import Domain, paragraph
from slmbench.data.gen_values import OPTIONAL, UTC, Gen, money_text

# -- trip_itinerary ---------------------------------------------------------------------------
CONTINENTS = {
    "na": ("New York", "Chicago", "Boston", "Seattle", "Toronto", "Vancouver", "Denver"),
    "eu": ("London", "Paris", "Berlin", "Amsterdam", "Madrid", "Lisbon", "Vienna"),
}
TRIP_CITIES = CONTINENTS["na"] + CONTINENTS["eu"]
CARRIERS = {
    ("flight", "na"): ("Delta", "United", "Air Canada", "Alaska Airlines"),
    ("flight", "eu"): ("Lufthansa", "Air France", "KLM", "British Airways", "Iberia"),
    ("train", "na"): ("Amtrak", "Via Rail"),
    ("train", "eu"): ("Eurostar", "Deutsche Bahn", "SNCF", "OBB Nightjet"),
    ("bus", "na"): ("Greyhound", "Megabus"),
    ("bus", "eu"): ("FlixBus", "BlaBlaCar Bus"),
}
FERRIES = (("Seattle", "Vancouver", "BC Ferries"), ("London", "Amsterdam", "Stena Line"))


def _continent(city: str) -> str:
    return "na" if city in CONTINENTS["na"] else "eu"


def _transport(g: Gen, origin: str, destination: str) -> tuple[str, str]:
    """A plausible (mode, carrier) between two cities: flights across the Atlantic, trains and
    buses too within a continent, a ferry where one runs."""
    for a, b, ferry in FERRIES:
        if {origin, destination} == {a, b} and g.chance(0.6):
            return "ferry", ferry
    here = _continent(origin)
    if here != _continent(destination):
        return "flight", g.pick(CARRIERS[("flight", "na")] + CARRIERS[("flight", "eu")])
    mode = g.pick(["flight", "train", "train", "bus"])
    return mode, g.pick(CARRIERS[(mode, here)])


LOYALTY = ("SkyMiles", "Flying Blue", "Miles & More", "MileagePlus", "Marriott Bonvoy")
HOTELS = ("Hotel {c}", "{c} Central Suites", "The Grand {c}", "{c} Riverside Inn")


def _departure(g: Gen, day: date) -> str:
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return g.iso(moment + timedelta(minutes=g.randint(24, 86) * 15))


def make_trip_itinerary(g: Gen) -> dict:
    start = g.day()
    end = start + timedelta(days=g.randint(2, 12))
    name = g.full_name()
    traveler = {"name": name, "email": g.email_for(name)}
    if g.chance(OPTIONAL):
        traveler["loyalty"] = {"program": g.pick(LOYALTY), "member_number": g.digits(9)}
    stops = g.sample(TRIP_CITIES, 3 if g.chance(0.4) else 2)
    if g.chance(0.1):  # ferry routes are rare among random city pairs
        a, b, _ = g.pick(FERRIES)
        stops[:2] = [a, b] if g.chance(0.5) else [b, a]
        stops = list(dict.fromkeys(stops))
    mid = start + (end - start) // 2
    days = [start, mid, end] if len(stops) == 3 else [start, end]
    route = [*stops, stops[0]]
    legs = []
    for i, day in enumerate(days):
        mode, carrier = _transport(g, route[i], route[i + 1])
        legs.append(
            {
                "mode": mode,
                "carrier": carrier,
                "from_city": route[i],
                "to_city": route[i + 1],
                "departure": _departure(g, day),
            }
        )
    rec = {
        "trip_id": g.code("TRP-######"),
        "purpose": g.pick(["business", "leisure", "conference"]),
        "traveler": traveler,
        "start_date": g.iso(start),
        "end_date": g.iso(end),
        "legs": legs,
    }
    if g.chance(OPTIONAL):
        rec["lodging"] = [
            {
                "hotel": g.pick(HOTELS).format(c=route[i + 1]),
                "city": route[i + 1],
                "check_in": g.iso(days[i]),
                "check_out": g.iso(days[i + 1]),
            }
            for i in range(len(days) - 1)
        ]
    if g.chance(OPTIONAL):
        rec["budget"] = {
            "amount": float(g.randint(8, 120) * 50),
            "currency": g.pick(["USD", "EUR", "GBP", "CAD"]),
        }
    return rec


def _article(word: str) -> str:
    return "an" if word[0] in "AEIOU" else "a"


def prose_trip_itinerary(g: Gen, rec: dict) -> str:
    t = rec["traveler"]
    sentences = [
        f"{t['name']} ({t['email']}) is going on a {rec['purpose']} trip, reference "
        f"{rec['trip_id']}, from {g.say_date(rec['start_date'])} to "
        f"{g.say_date(rec['end_date'])}."
    ]
    legs = [
        f"At {leg['departure']} they take {_article(leg['carrier'])} {leg['carrier']} "
        f"{leg['mode']} from {leg['from_city']} to {leg['to_city']}."
        for leg in rec["legs"]
    ]
    sentences.append(" ".join(legs))
    if "lodging" in rec:
        stays = [
            f"In {h['city']} they stay at {h['hotel']}, checking in on "
            f"{g.say_date(h['check_in'])} and out on {g.say_date(h['check_out'])}."
            for h in rec["lodging"]
        ]
        sentences.append(" ".join(stays))
    if "budget" in rec:
        b = rec["budget"]
        sentences.append(f"The approved budget is {g.say_money(b['amount'], b['currency'])}.")
    if "loyalty" in t:
        sentences.append(
            f"Bookings carry {t['loyalty']['program']} membership number "
            f"{t['loyalty']['member_number']}."
        )
    return paragraph(g, sentences)


def message_trip_itinerary(g: Gen, rec: dict) -> str:
    t = rec["traveler"]
    lines = [
        f"To: {t['email']}",
        f"Subject: Your itinerary {rec['trip_id']}",
        "",
        f"Hi {t['name']},",
        "",
        f"here is the plan for your {g.say_enum(rec['purpose'])} trip "
        f"({g.say_date(rec['start_date'])} to {g.say_date(rec['end_date'])}):",
        "",
    ]
    for i, leg in enumerate(rec["legs"], start=1):
        lines.append(
            f"{i}. {leg['mode'].upper()} {leg['carrier']}: {leg['from_city']} -> "
            f"{leg['to_city']}, departs {leg['departure']}"
        )
    if "lodging" in rec:
        lines.append("\nHotels:")
        for h in rec["lodging"]:
            lines.append(
                f"- {h['hotel']}, {h['city']}: check-in {g.say_date(h['check_in'])}, "
                f"check-out {g.say_date(h['check_out'])}"
            )
    if "budget" in rec:
        b = rec["budget"]
        lines.append(f"\nBudget approved: {money_text(b['amount'], b['currency'], 1)}")
    if "loyalty" in t:
        lines.append(
            f"We added your {t['loyalty']['program']} number "
            f"{t['loyalty']['member_number']} to every booking."
        )
    lines += ["", "Safe travels,", "Corporate Travel Desk"]
    return "\n".join(lines)


DOMAINS = (
    Domain(
        "trip_itinerary",
        ("Trip Itinerary", "Travel Plan"),
        make_trip_itinerary,
        prose_trip_itinerary,
        message_trip_itinerary,
        intros=(
            "Itinerary from the corporate travel tool.",
            "Trip summary prepared by the travel agency.",
        ),
        outros=(
            "Keep travel receipts for the expense report.",
            "Check entry requirements before departure.",
        ),
    ),
)
