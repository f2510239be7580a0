"""Bookmark: the title is about the first tag, and the URL is the title's slug on a company's
site."""

from __future__ import annotations


def adjust(gold: dict, g, tables: dict) -> None:
    topics = g.sample(tables["topics"], g.randint(1, 3))
    company = g.company()
    title = g.pick(tables["title_templates"]).format(t=topics[0], c=company.split()[0].rstrip(","))
    path = "-".join(title.lower().replace(",", "").split()[:5])
    gold["url"] = f"https://{g.pick(['www.', 'blog.', ''])}{g.company_domain(company)}/{path}"
    gold["title"] = title
    if "tags" in gold:
        gold["tags"] = topics
