"""Employee record: the employee's and the manager's emails are theirs, at one company
domain; the skills are those of the department."""

from __future__ import annotations


def adjust(gold: dict, g, tables: dict) -> None:
    domain = g.company_domain(g.company())
    gold["work_email"] = g.email_for(gold["full_name"], domain)
    manager = gold.get("manager")
    if manager and "email" in manager:
        manager["email"] = g.email_for(manager["name"], domain)
    if "skills" in gold:
        pool = tables["department_skills"][gold["department"]]
        gold["skills"] = g.sample(pool, g.randint(1, 3))
