"""Hotel reservation: check-out is `nights` after check-in; the guest's email is theirs."""

from __future__ import annotations

from datetime import date, timedelta


def adjust(gold: dict, g, tables: dict) -> None:
    guest = gold["guest"]
    if "email" in guest:
        guest["email"] = g.email_for(guest["name"])
    nights = gold.get("nights") or g.randint(1, 14)
    arrive = date.fromisoformat(gold["check_in"])
    gold["check_out"] = (arrive + timedelta(days=nights)).isoformat()
