"""Purchase order: the contact's email is at the buyer's domain; shipping is free one time in
five; tax is a rate of the subtotal and the total is subtotal plus shipping plus tax (line
totals and the subtotal are the engine's `make_consistent`); delivery is requested 3 to 30
days after the order date."""

from __future__ import annotations

from datetime import date, timedelta


def adjust(gold: dict, g, tables: dict) -> None:
    ordered = date.fromisoformat(gold["order_date"])
    if g.chance(0.5):
        gold["po_number"] = g.code(f"PO-{ordered.year}-####")
    buyer = gold["buyer"]
    contact = buyer["contact"]
    contact["email"] = g.email_for(contact["name"], g.company_domain(buyer["company"]))
    subtotal = gold["subtotal"]
    gold["shipping"] = 0.0 if g.chance(0.2) else g.money(8, 150)
    gold["tax"] = round(subtotal * g.pick(tables["tax_rates"]), 2)
    gold["total"] = round(subtotal + gold["tax"] + gold["shipping"], 2)
    if "requested_delivery" in gold:
        gold["requested_delivery"] = (ordered + timedelta(days=g.randint(3, 30))).isoformat()
