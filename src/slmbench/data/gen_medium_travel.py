"""Records and renderings of the `medium` schemas of travel bookings."""

from __future__ import annotations

from datetime import timedelta

from slmbench.data.gen_render import Domain, paragraph
from slmbench.data.gen_values import OPTIONAL, Gen, humanize, money_text

# -- flight_booking ---------------------------------------------------------------------------
AIRPORTS = {
    "JFK": "New York",
    "LHR": "London",
    "CDG": "Paris",
    "FRA": "Frankfurt",
    "AMS": "Amsterdam",
    "ORD": "Chicago",
    "LAX": "Los Angeles",
    "SFO": "San Francisco",
    "YYZ": "Toronto",
    "MAD": "Madrid",
    "DXB": "Dubai",
    "SIN": "Singapore",
    "BOS": "Boston",
    "SEA": "Seattle",
    "ATL": "Atlanta",
    "MUC": "Munich",
    "ZRH": "Zurich",
    "DUB": "Dublin",
}
AIRLINES = ("BA", "AF", "LH", "KL", "UA", "DL", "AA", "AC", "IB", "EK", "LX", "EI")
CABIN_FARES = {
    "economy": (90, 900),
    "premium_economy": (400, 1600),
    "business": (1200, 5200),
    "first": (3000, 9800),
}


def make_flight_booking(g: Gen) -> dict:
    first, last = g.person()
    passenger = {"first_name": first, "last_name": last}
    if g.chance(OPTIONAL):
        passenger["email"] = g.email_for(f"{first} {last}")
    route = g.sample(list(AIRPORTS), 3)
    depart = g.moment(step=300)
    segments = [
        {
            "flight_number": f"{g.pick(AIRLINES)}{g.randint(10, 2999)}",
            "origin": route[0],
            "destination": route[1],
            "departure": g.iso(depart),
        }
    ]
    if g.chance(0.35):
        depart += timedelta(minutes=g.randint(9, 40) * 15 + 180)
        segments.append(
            {
                "flight_number": f"{g.pick(AIRLINES)}{g.randint(10, 2999)}",
                "origin": route[1],
                "destination": route[2],
                "departure": g.iso(depart),
            }
        )
    cabin = g.pick(["economy", "economy", "premium_economy", "business", "first"])
    return {
        "booking_reference": g.code("******"),
        "passenger": passenger,
        "segments": segments,
        "cabin": cabin,
        "fare": g.money(*CABIN_FARES[cabin]),
        "currency": g.pick(["USD", "USD", "EUR", "GBP", "CAD"]),
    }


def prose_flight_booking(g: Gen, rec: dict) -> str:
    p = rec["passenger"]
    legs = [
        f"flight {s['flight_number']} from {s['origin']} ({AIRPORTS[s['origin']]}) to "
        f"{s['destination']}, departing {s['departure']}"
        for s in rec["segments"]
    ]
    sentences = [
        f"{p['first_name']} {p['last_name']} is booked on {' and then on '.join(legs)}.",
        g.pick(
            [
                f"The booking reference is {rec['booking_reference']}.",
                f"Their record locator is {rec['booking_reference']}.",
            ]
        ),
        f"The ticket is in {humanize(rec['cabin'])} class and the fare was "
        f"{g.say_money(rec['fare'], rec['currency'])}.",
    ]
    if "email" in p:
        sentences.append(f"The e-ticket was sent to {p['email']}.")
    return paragraph(g, sentences)


def message_flight_booking(g: Gen, rec: dict) -> str:
    p = rec["passenger"]
    rows = [
        f"  {s['flight_number']}  {s['origin']} -> {s['destination']}  dep {s['departure']}"
        for s in rec["segments"]
    ]
    mail = f"\nWe sent your receipt to {p['email']}." if "email" in p else ""
    return (
        f"Your trip is confirmed!\n\nBooking reference: {rec['booking_reference']}\n"
        f"Passenger: {p['last_name']}/{p['first_name']}\n\nItinerary:\n"
        + "\n".join(rows)
        + f"\n\nCabin: {g.say_enum(rec['cabin'])}\nTotal fare paid: "
        f"{money_text(rec['fare'], rec['currency'], 1)}{mail}\n\nCheck-in opens 24 hours "
        f"before departure."
    )


# -- hotel_reservation ------------------------------------------------------------------------
HOTEL_NAMES = (
    "The {last} Hotel",
    "{city} Grand Hotel",
    "Hotel {last}",
    "{last} Inn & Suites",
    "Harborview {city}",
    "{city} Park Lodge",
)


def make_hotel_reservation(g: Gen) -> dict:
    name = g.full_name()
    guest = {"name": name}
    if g.chance(OPTIONAL):
        guest["email"] = g.email_for(name)
    if g.chance(0.5):
        guest["phone"] = g.phone()
    arrive = g.day()
    nights = g.randint(1, 14)
    rec = {
        "confirmation_number": g.code(g.pick(["H########", "RES-*****"])),
        "hotel_name": g.pick(HOTEL_NAMES).format(last=g.last_name(), city=g.city()),
        "guest": guest,
        "check_in": g.iso(arrive),
        "check_out": g.iso(arrive + timedelta(days=nights)),
    }
    if g.chance(OPTIONAL):
        rec["nights"] = nights
    rec["room_type"] = g.pick(["single", "double", "double", "twin", "suite", "family"])
    if g.chance(OPTIONAL):
        rec["rate_per_night"] = g.money(69, 650)
    return rec


def prose_hotel_reservation(g: Gen, rec: dict) -> str:
    guest = rec["guest"]
    stay = f" ({rec['nights']} nights)" if "nights" in rec else ""
    room = "a suite" if rec["room_type"] == "suite" else f"a {rec['room_type']} room"
    sentences = [
        f"{guest['name']} has a reservation at {rec['hotel_name']} from "
        f"{g.say_date(rec['check_in'])} to {g.say_date(rec['check_out'])}{stay}.",
        f"The confirmation number is {rec['confirmation_number']}.",
    ]
    rate = f" at {g.say_money(rec['rate_per_night'])} per night" if "rate_per_night" in rec else ""
    sentences.append(f"They booked {room}{rate}.")
    contact = [guest[k] for k in ("email", "phone") if k in guest]
    if contact:
        sentences.append(f"The guest can be reached at {' or '.join(contact)}.")
    return paragraph(g, sentences)


def message_hotel_reservation(g: Gen, rec: dict) -> str:
    guest = rec["guest"]
    lines = [
        f"Dear {guest['name']},",
        "",
        f"Thank you for choosing {rec['hotel_name']}. Your confirmation number is "
        f"{rec['confirmation_number']}.",
        "",
        f"Arrival: {g.say_date(rec['check_in'])}",
        f"Departure: {g.say_date(rec['check_out'])}",
    ]
    if "nights" in rec:
        lines.append(f"Nights: {rec['nights']}")
    lines.append(f"Room: {rec['room_type'].capitalize()}")
    if "rate_per_night" in rec:
        lines.append(f"Rate: {money_text(rec['rate_per_night'])} per night, taxes not included")
    for key, text in (("email", "We will send updates to"), ("phone", "Phone on file:")):
        if key in guest:
            lines.append(f"{text} {guest[key]}")
    lines += ["", "We look forward to welcoming you.", "Front Office"]
    return "\n".join(lines)


DOMAINS = (
    Domain(
        "flight_booking",
        ("Flight Booking", "Booking Confirmation", "E-Ticket"),
        make_flight_booking,
        prose_flight_booking,
        message_flight_booking,
        intros=(
            "Booking confirmation forwarded by the travel agent.",
            "Copied from the airline app.",
        ),
        outros=(
            "Baggage allowance depends on the fare conditions.",
            "Arrive at the airport at least two hours before departure.",
        ),
    ),
    Domain(
        "hotel_reservation",
        ("Hotel Reservation", "Booking Details"),
        make_hotel_reservation,
        prose_hotel_reservation,
        message_hotel_reservation,
        intros=(
            "Reservation details from the booking platform.",
            "Forwarded by the guest for expense purposes.",
        ),
        outros=(
            "Cancellation is free up to 48 hours before arrival.",
            "Breakfast is served from 7 to 10 am.",
        ),
    ),
)
