"""Chat message: the username is the display name's; the text names the mentioned users
(and a message without mentions has none)."""

from __future__ import annotations


def adjust(gold: dict, g, tables: dict) -> None:
    name = g.full_name()
    sender = gold["sender"]
    sender["username"] = g.username(name)
    if "display_name" in sender:
        sender["display_name"] = name
    mentions = [g.username() for _ in range(g.randint(1, 2))] if g.chance(0.6) else []
    if mentions:
        gold["text"] = g.pick(tables["chat_texts"]).format(m=" ".join(f"@{m}" for m in mentions))
        gold["mentions"] = mentions
    else:
        gold["text"] = g.pick(tables["plain_texts"])
        gold.pop("mentions", None)
