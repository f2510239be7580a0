"""Incident report: the title names the service; timeline entries happen in order, the first
at detection, each 3 to 90 minutes after the last; a resolved incident (only) has a
resolution time after the last entry; the on-call's email is theirs; action items are due
3 to 30 days after detection."""

from __future__ import annotations

from datetime import datetime, timedelta


def adjust(gold: dict, g, tables: dict) -> None:
    service = gold["service"]
    gold["title"] = g.pick(tables["incident_titles"]).format(s=service["name"])
    oncall = service["owner_team"]["oncall"]
    oncall["email"] = g.email_for(oncall["name"])
    steps = tables["timeline_steps"]
    detected = datetime.fromisoformat(gold["detected_at"])
    chosen = sorted(g.sample(range(len(steps)), len(gold["timeline"])))
    moment = detected
    for i, (entry, step) in enumerate(zip(gold["timeline"], chosen, strict=True)):
        if i:
            moment += timedelta(minutes=g.randint(3, 90))
        entry["at"], entry["entry"] = g.iso(moment), steps[step]
    if gold["status"] == "resolved":
        gold["resolved_at"] = g.iso(moment + timedelta(minutes=g.randint(5, 120)))
    else:
        gold.pop("resolved_at", None)
    for item in gold.get("action_items", []):
        item["due_date"] = (detected.date() + timedelta(days=g.randint(3, 30))).isoformat()
