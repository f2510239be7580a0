"""Contact card: the email address is the person's, at their company's domain."""

from __future__ import annotations


def adjust(gold: dict, g, tables: dict) -> None:
    company = gold.get("company") or g.company()
    gold["email"] = g.email_for(gold["full_name"], g.company_domain(company))
