"""Purchase invoice: the due date follows the issue date, the vendor's email is at its domain,
tax is a rate of the subtotal and the total is subtotal plus tax (line totals and the
subtotal are the engine's `make_consistent`)."""

from __future__ import annotations

from datetime import date, timedelta


def adjust(gold: dict, g, tables: dict) -> None:
    issued = date.fromisoformat(gold["issue_date"])
    if g.chance(1 / 3):
        gold["invoice_id"] = f"INV-{issued.year}-{g.digits(4)}"
    if "due_date" in gold:
        gold["due_date"] = (issued + timedelta(days=g.pick(tables["due_days"]))).isoformat()
    vendor = gold["vendor"]
    if "email" in vendor:
        mailbox = g.pick(["billing", "accounts", "invoices"])
        vendor["email"] = f"{mailbox}@{g.company_domain(vendor['name'])}"
    if "tax" in gold:
        gold["tax"] = round(gold["subtotal"] * g.pick(tables["tax_rates"]), 2)
    gold["total"] = round(gold["subtotal"] + gold.get("tax", 0.0), 2)
