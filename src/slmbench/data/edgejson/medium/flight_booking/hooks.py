"""Flight booking: the segments make one route (each leaves from where the last one landed)
with a connection of 3 to 13 hours; the passenger's email is theirs; the fare fits the
cabin."""

from __future__ import annotations

from datetime import timedelta


def adjust(gold: dict, g, tables: dict) -> None:
    passenger = gold["passenger"]
    if "email" in passenger:
        passenger["email"] = g.email_for(f"{passenger['first_name']} {passenger['last_name']}")
    route = g.sample(list(tables["airports"]), len(gold["segments"]) + 1)
    depart = g.moment(step=300)
    for i, segment in enumerate(gold["segments"]):
        if i:
            depart += timedelta(minutes=g.randint(9, 40) * 15 + 180)
        segment["origin"], segment["destination"] = route[i], route[i + 1]
        segment["departure"] = g.iso(depart)
    gold["fare"] = g.money(*tables["cabin_fares"][gold["cabin"]])
