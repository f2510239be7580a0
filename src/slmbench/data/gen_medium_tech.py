"""Records and renderings of the `medium` schemas of operations, messaging and configuration."""

from __future__ import annotations

from datetime import timedelta

from slmbench.data.gen_render import Domain, paragraph
from slmbench.data.gen_values import OPTIONAL, Gen

SERVICES = (
    "payments-api",
    "auth-service",
    "search-indexer",
    "checkout-web",
    "notification-worker",
    "inventory-sync",
    "report-generator",
    "user-profile-api",
    "media-transcoder",
)


def version(g: Gen) -> str:
    return f"{g.randint(0, 5)}.{g.randint(0, 30)}.{g.randint(0, 20)}"


# -- deployment_event -------------------------------------------------------------------------
def make_deployment_event(g: Gen) -> dict:
    started = g.moment()
    rec = {
        "deployment_id": g.code(g.pick(["deploy-#####", "dpl-hhhhhhhh"])),
        "service": g.pick(SERVICES),
        "version": version(g),
        "environment": g.pick(["development", "staging", "production", "production"]),
        "started_at": g.iso(started),
    }
    if g.chance(OPTIONAL):
        rec["finished_at"] = g.iso(started + timedelta(seconds=g.randint(40, 1800)))
    rec["status"] = g.pick(["succeeded", "succeeded", "failed", "rolled_back"])
    if g.chance(OPTIONAL):
        rec["commits"] = [
            {"sha": g.code("hhhhhhh"), "author": g.username()} for _ in range(g.randint(1, 3))
        ]
    return rec


def _outcome(status: str) -> str:
    return {"succeeded": "succeeded", "failed": "failed", "rolled_back": "was rolled back"}[status]


def prose_deployment_event(g: Gen, rec: dict) -> str:
    sentences = [
        f"Deployment {rec['deployment_id']} took {rec['service']} version "
        f"{rec['version']} to {rec['environment']}.",
        f"It started at {rec['started_at']}"
        + (f" and finished at {rec['finished_at']}." if "finished_at" in rec else "."),
        f"The rollout {_outcome(rec['status'])}.",
    ]
    if "commits" in rec:
        shipped = [f"{c['sha']} by {c['author']}" for c in rec["commits"]]
        sentences.append(
            f"It shipped commit{'s' if len(shipped) > 1 else ''} {g.say_list(shipped)}."
        )
    return paragraph(g, sentences)


def message_deployment_event(g: Gen, rec: dict) -> str:
    lines = [
        f"[{rec['started_at']}] deploy {rec['deployment_id']}: {rec['service']}@"
        f"{rec['version']} -> {rec['environment']}"
    ]
    for c in rec.get("commits", []):
        lines.append(f"[{rec['started_at']}]   including {c['sha']} ({c['author']})")
    lines.append(f"[{rec['started_at']}] health checks running")
    end = rec.get("finished_at", "--")
    lines.append(f"[{end}] result: {rec['status'].upper()}")
    return "CI/CD pipeline log\n" + "\n".join(lines)


# -- chat_message -----------------------------------------------------------------------------
CHANNELS = (
    "#ops-alerts",
    "#team-backend",
    "#general",
    "#design-review",
    "#sales-emea",
    "#incident-room",
    "#random",
    "#release-planning",
)
CHAT_TEXTS = (
    "{m} can you review the PR for the billing fix before the standup?",
    "{m} the staging database is back up, thanks for the quick help",
    "Reminder: {m} the quarterly planning doc is due Friday",
    "{m} I pushed the hotfix, please keep an eye on the error rate",
    "lunch order closes in 10 minutes {m}",
    "{m} could you share the slides from the customer call?",
)
PLAIN_TEXTS = (
    "Deploy window moved to Thursday afternoon.",
    "Who has the keys to the meeting room on the third floor?",
    "The new dashboard is live, feedback welcome.",
    "Heads up, VPN maintenance tonight from 10 pm.",
)


def make_chat_message(g: Gen) -> dict:
    name = g.full_name()
    sender = {"username": g.username(name)}
    if g.chance(OPTIONAL):
        sender["display_name"] = name
    rec = {
        "message_id": g.code(g.pick(["msg_hhhhhhhhhh", "M#########"])),
        "channel": g.pick(CHANNELS),
        "sender": sender,
        "sent_at": g.iso(g.moment()),
    }
    mentions = [g.username() for _ in range(g.randint(1, 2))] if g.chance(0.6) else []
    if mentions:
        rec["text"] = g.pick(CHAT_TEXTS).format(m=" ".join(f"@{m}" for m in mentions))
        rec["mentions"] = mentions
    else:
        rec["text"] = g.pick(PLAIN_TEXTS)
    if g.chance(OPTIONAL):
        rec["edited"] = g.chance(0.3)
    return rec


def prose_chat_message(g: Gen, rec: dict) -> str:
    s = rec["sender"]
    who = f"{s['display_name']} ({s['username']})" if "display_name" in s else s["username"]
    sentences = [
        f'{who} posted in {rec["channel"]} at {rec["sent_at"]}: "{rec["text"]}"',
        f"The message ID is {rec['message_id']}.",
    ]
    if "mentions" in rec:
        sentences.append(f"It mentions {g.say_list(rec['mentions'])}.")
    if "edited" in rec:
        sentences.append(f"Its edited flag is {'on' if rec['edited'] else 'off'}.")
    return paragraph(g, sentences)


def message_chat_message(g: Gen, rec: dict) -> str:
    s = rec["sender"]
    shown = f"{s['display_name']} <{s['username']}>" if "display_name" in s else s["username"]
    meta = [f"id={rec['message_id']}"]
    if "edited" in rec:
        meta.append(f"edited={'true' if rec['edited'] else 'false'}")
    if "mentions" in rec:
        meta.append(f"mentions={','.join(rec['mentions'])}")
    return (
        f"Chat export, channel {rec['channel']}\n---\n{rec['sent_at']} {shown}:\n"
        f"  {rec['text']}\n  ({' '.join(meta)})\n---"
    )


# -- service_config ---------------------------------------------------------------------------
ENV_VALUES = {
    "LOG_LEVEL": ("debug", "info", "warn"),
    "REGION": ("us-east-1", "eu-west-1", "ap-south-1"),
    "CACHE_TTL_SECONDS": ("60", "300", "3600"),
    "MAX_WORKERS": ("2", "4", "8", "16"),
    "DATABASE_HOST": ("db.internal", "postgres-primary.svc", "10.0.4.12"),
    "FEATURE_SET": ("stable", "beta"),
}


def make_service_config(g: Gen) -> dict:
    service = g.pick(SERVICES)
    rec = {
        "service_name": service,
        "image": f"registry.example.com/{g.pick(['core', 'platform', 'web'])}/{service}:"
        f"{version(g)}",
        "replicas": g.randint(1, 12),
    }
    if g.chance(OPTIONAL):
        rec["ports"] = sorted(g.sample([80, 443, 3000, 5000, 8080, 8443, 9090], g.randint(1, 2)))
    if g.chance(OPTIONAL):
        rec["env_vars"] = [
            {"name": n, "value": g.pick(ENV_VALUES[n])}
            for n in g.sample(list(ENV_VALUES), g.randint(1, 3))
        ]
    if g.chance(OPTIONAL):
        rec["health_check"] = {
            "path": g.pick(["/healthz", "/health", "/ready", "/status"]),
            "interval_seconds": g.pick([5, 10, 15, 30, 60]),
        }
    if g.chance(OPTIONAL):
        rec["autoscaling"] = g.chance(0.5)
    return rec


def prose_service_config(g: Gen, rec: dict) -> str:
    sentences = [
        f"The {rec['service_name']} service runs the image {rec['image']} with "
        f"{rec['replicas']} replica{'s' if rec['replicas'] > 1 else ''}."
    ]
    if "ports" in rec:
        sentences.append(
            f"It listens on port{'s' if len(rec['ports']) > 1 else ''} "
            f"{g.say_list([str(p) for p in rec['ports']])}."
        )
    if "env_vars" in rec:
        settings = [f"{e['name']} is set to {e['value']}" for e in rec["env_vars"]]
        sentences.append(f"In its environment, {g.say_list(settings)}.")
    if "health_check" in rec:
        hc = rec["health_check"]
        sentences.append(
            f"A health check calls {hc['path']} every {hc['interval_seconds']} seconds."
        )
    if "autoscaling" in rec:
        sentences.append(f"Autoscaling is {'enabled' if rec['autoscaling'] else 'disabled'}.")
    return paragraph(g, sentences)


def message_service_config(g: Gen, rec: dict) -> str:
    lines = [
        f"Change request CR-{g.digits(4)}: please deploy {rec['service_name']} using "
        f"{rec['image']} and scale it to {rec['replicas']} instances."
    ]
    if "ports" in rec:
        lines.append(f"Expose {', '.join(str(p) for p in rec['ports'])} on the load balancer.")
    if "env_vars" in rec:
        lines.append(
            "Set env " + ", ".join(f"{e['name']}={e['value']}" for e in rec["env_vars"]) + "."
        )
    if "health_check" in rec:
        hc = rec["health_check"]
        lines.append(f"Health check: GET {hc['path']} every {hc['interval_seconds']} seconds.")
    if "autoscaling" in rec:
        lines.append(f"Autoscaling: {'on' if rec['autoscaling'] else 'off'}.")
    lines.append(f"Requested by {g.full_name()}, platform team.")
    return "\n".join(lines)


DOMAINS = (
    Domain(
        "deployment_event",
        ("Deployment", "Release Event", "Deploy Summary"),
        make_deployment_event,
        prose_deployment_event,
        message_deployment_event,
        intros=(
            "Release bot summary for the engineering channel.",
            "Deployment record from the CD system.",
        ),
        outros=(
            "Dashboards for this service are linked in the runbook.",
            "Page the release manager if error rates rise.",
        ),
    ),
    Domain(
        "chat_message",
        ("Chat Message", "Message Details"),
        make_chat_message,
        prose_chat_message,
        message_chat_message,
        intros=(
            "Message pulled from the workspace for the weekly summary.",
            "Quoted from the team chat.",
        ),
        outros=(
            "Older messages are kept for 90 days.",
            "Thread replies are not included in this export.",
        ),
    ),
    Domain(
        "service_config",
        ("Service Configuration", "Deployment Settings"),
        make_service_config,
        prose_service_config,
        message_service_config,
        intros=(
            "Platform change request, awaiting review.",
            "Settings taken from the deployment manifest.",
        ),
        outros=(
            "Changes roll out during the next maintenance window.",
            "Reviewed by the platform on-call engineer.",
        ),
    ),
)
