"""Records and renderings of the `complex` schemas of IoT fleets and incident management."""

from __future__ import annotations

from datetime import timedelta

from slmbench.data.gen_medium_tech import SERVICES
from slmbench.data.gen_render import Domain, paragraph
from slmbench.data.gen_values import OPTIONAL, Gen, humanize, number_text

# -- iot_site_report --------------------------------------------------------------------------
DEVICE_PREFIX = {
    "thermostat": "th",
    "smoke_detector": "sd",
    "door_sensor": "ds",
    "energy_meter": "em",
    "camera": "cam",
    "humidity_sensor": "hs",
}
MAINS_POWERED = ("energy_meter", "camera")
SITE_KINDS = ("Warehouse", "Plant", "Campus", "Distribution Center", "Office", "Data Hall")


def make_iot_site_report(g: Gen) -> dict:
    city = g.city()
    site = {"name": f"{city} {g.pick(SITE_KINDS)}", "city": city}
    if g.chance(OPTIONAL):
        site["coordinates"] = {
            "latitude": g.decimal(25.0, 48.5, 5),
            "longitude": g.decimal(-124.0, -70.0, 5),
        }
    gateways, alerts = [], []
    for n in g.sample(range(1, 40), g.randint(1, 2)):
        gateway: dict = {"gateway_id": f"gw-{n:02d}"}
        if g.chance(OPTIONAL):
            gateway["firmware"] = f"{g.randint(1, 4)}.{g.randint(0, 12)}.{g.randint(0, 9)}"
        devices = []
        for kind in [g.pick(list(DEVICE_PREFIX)) for _ in range(g.randint(1, 3))]:
            device = {"device_id": f"{DEVICE_PREFIX[kind]}-{g.digits(4)}", "kind": kind}
            if kind not in MAINS_POWERED:
                device["battery_percent"] = g.randint(3, 100)
            device["online"] = g.chance(0.8)
            if not device["online"]:
                alerts.append(f"{device['device_id']} offline")
            elif device.get("battery_percent", 100) < 15:
                alerts.append(f"{device['device_id']} battery low")
            devices.append(device)
        gateway["devices"] = devices
        gateways.append(gateway)
    all_devices = [d for gw in gateways for d in gw["devices"]]
    rec = {
        "report_id": g.code("RPT-######"),
        "generated_at": g.iso(g.moment()),
        "site": site,
        "gateways": gateways,
        "device_count": len(all_devices),
        "offline_count": sum(not d["online"] for d in all_devices),
    }
    if g.chance(OPTIONAL):
        rec["uptime_percent"] = g.decimal(90.0, 99.99, 2)
    if alerts and g.chance(0.8):
        rec["alerts"] = alerts
    return rec


def _device_text(d: dict) -> str:
    battery = f", battery {d['battery_percent']}%" if "battery_percent" in d else ""
    state = "active" if d["online"] else "not responding"
    return f"{humanize(d['kind'])} {d['device_id']} ({state}{battery})"


def prose_iot_site_report(g: Gen, rec: dict) -> str:
    site = rec["site"]
    where = site["city"]
    if "coordinates" in site:
        c = site["coordinates"]
        where += (
            f" (latitude {number_text(c['latitude'])}, longitude {number_text(c['longitude'])})"
        )
    uptime = (
        f", with uptime at {number_text(rec['uptime_percent'])}%" if "uptime_percent" in rec else ""
    )
    sentences = [
        f"Report {rec['report_id']}, generated at {rec['generated_at']}, covers "
        f"{site['name']} in {where}.",
        f"The site counts {rec['device_count']} device{'' if rec['device_count'] == 1 else 's'}, "
        f"{rec['offline_count']} of them offline{uptime}.",
    ]
    gateways = []
    for gw in rec["gateways"]:
        fw = f" on firmware {gw['firmware']}" if "firmware" in gw else ""
        devices = g.say_list([_device_text(d) for d in gw["devices"]])
        gateways.append(f"Gateway {gw['gateway_id']}{fw} connects {devices}.")
    sentences.append(" ".join(gateways))
    if "alerts" in rec:
        sentences.append("Open alerts: " + "; ".join(f'"{a}"' for a in rec["alerts"]) + ".")
    return paragraph(g, sentences, keep_first=2)


def message_iot_site_report(g: Gen, rec: dict) -> str:
    site = rec["site"]
    lines = [
        f"Site health digest - {site['name']} ({site['city']})",
        f"Report {rec['report_id']} generated {rec['generated_at']}",
    ]
    if "coordinates" in site:
        c = site["coordinates"]
        lines.append(
            f"Location: lat {number_text(c['latitude'])} / lon {number_text(c['longitude'])}"
        )
    lines.append("")
    for gw in rec["gateways"]:
        lines.append(gw["gateway_id"] + (f" fw {gw['firmware']}" if "firmware" in gw else ""))
        for d in gw["devices"]:
            battery = f" battery={d['battery_percent']}%" if "battery_percent" in d else ""
            lines.append(
                f"  - {d['device_id']} {d['kind']}{battery} online={'yes' if d['online'] else 'no'}"
            )
    uptime = f", uptime {number_text(rec['uptime_percent'])}%" if "uptime_percent" in rec else ""
    lines.append(f"\nTotals: {rec['device_count']} devices, {rec['offline_count']} offline{uptime}")
    if "alerts" in rec:
        lines.append("Alerts: " + " | ".join(rec["alerts"]))
    return "\n".join(lines)


# -- incident_report --------------------------------------------------------------------------
TEAMS = (
    "Payments Platform",
    "Identity",
    "Search Relevance",
    "Core Infrastructure",
    "Storefront",
    "Data Pipelines",
)
REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1")
INCIDENT_TITLES = (
    "Elevated error rates on {s}",
    "Latency spike in {s}",
    "Database failover affecting {s}",
    "Login failures after {s} deploy",
    "Message backlog in {s}",
)
TIMELINE = (
    "Alert fired for elevated 5xx rate",
    "On-call engineer acknowledged the page",
    "Identified a bad configuration push as the trigger",
    "Rolled back the latest deploy",
    "Scaled up the database read replicas",
    "Error rates returned to baseline",
)
ACTIONS = (
    "Add a canary stage to the deploy pipeline",
    "Alert on queue depth earlier",
    "Write a runbook for database failover",
    "Load-test the new connection pool",
    "Review config validation in CI",
)


def make_incident_report(g: Gen) -> dict:
    service = g.pick(SERVICES)
    detected = g.moment()
    status = g.pick(["investigating", "mitigated", "resolved", "resolved"])
    oncall = g.full_name()
    steps = sorted(g.sample(range(len(TIMELINE)), g.randint(2, 4)))
    moments = [detected]
    for _ in steps[1:]:
        moments.append(moments[-1] + timedelta(minutes=g.randint(3, 90)))
    rec = {
        "incident_id": g.code("INC-#####"),
        "title": g.pick(INCIDENT_TITLES).format(s=service),
        "severity": g.pick(["sev1", "sev2", "sev2", "sev3", "sev4"]),
        "status": status,
        "detected_at": g.iso(detected),
    }
    if status == "resolved":
        rec["resolved_at"] = g.iso(moments[-1] + timedelta(minutes=g.randint(5, 120)))
    rec["service"] = {
        "name": service,
        "owner_team": {
            "name": g.pick(TEAMS),
            "oncall": {"name": oncall, "email": g.email_for(oncall)},
        },
    }
    rec["impact"] = {
        "users_affected": g.randint(0, 250000),
        "regions": sorted(g.sample(REGIONS, g.randint(1, 2))),
    }
    rec["timeline"] = [
        {"at": g.iso(m), "entry": TIMELINE[i]} for m, i in zip(moments, steps, strict=True)
    ]
    if g.chance(OPTIONAL):
        rec["action_items"] = [
            {
                "task": task,
                "owner": g.full_name(),
                "due_date": g.iso(detected.date() + timedelta(days=g.randint(3, 30))),
            }
            for task in g.sample(ACTIONS, g.randint(1, 2))
        ]
    return rec


def prose_incident_report(g: Gen, rec: dict) -> str:
    svc = rec["service"]
    team, oncall = svc["owner_team"], svc["owner_team"]["oncall"]
    resolved = f" and resolved at {rec['resolved_at']}" if "resolved_at" in rec else ""
    impact = rec["impact"]
    sentences = [
        f'Incident {rec["incident_id"]}, "{rec["title"]}", is a '
        f"{rec['severity'].upper()} incident and is currently {rec['status']}.",
        f"It was detected at {rec['detected_at']}{resolved}.",
        f"The affected service is {svc['name']}, owned by the {team['name']} team; "
        f"{oncall['name']} ({oncall['email']}) was on call.",
        f"About {impact['users_affected']:,} users in {g.say_list(impact['regions'])} "
        f"were affected.",
        "Timeline: " + " ".join(f"At {t['at']}: {t['entry']}." for t in rec["timeline"]),
    ]
    if "action_items" in rec:
        actions = [
            f'Follow-up "{a["task"]}" is owned by {a["owner"]}, due {g.say_date(a["due_date"])}.'
            for a in rec["action_items"]
        ]
        sentences.append(" ".join(actions))
    return paragraph(g, sentences, keep_first=2)


def message_incident_report(g: Gen, rec: dict) -> str:
    svc = rec["service"]
    team, oncall = svc["owner_team"], svc["owner_team"]["oncall"]
    lines = [
        f"[incident-bot] {rec['incident_id']} | {rec['severity'].upper()} | "
        f"{rec['status'].capitalize()}",
        f"*{rec['title']}*",
        f"Service: {svc['name']} (team {team['name']}, on-call {oncall['name']} "
        f"<{oncall['email']}>)",
        f"Detected: {rec['detected_at']}",
    ]
    if "resolved_at" in rec:
        lines.append(f"Resolved: {rec['resolved_at']}")
    lines.append(
        f"Impact: {rec['impact']['users_affected']} users in {', '.join(rec['impact']['regions'])}"
    )
    lines.append("Timeline:")
    lines += [f"  * {t['at']} {t['entry']}" for t in rec["timeline"]]
    if "action_items" in rec:
        lines.append("Action items:")
        lines += [
            f"  [ ] {a['task']} - {a['owner']} - due {a['due_date']}" for a in rec["action_items"]
        ]
    return "\n".join(lines)


DOMAINS = (
    Domain(
        "iot_site_report",
        ("IoT Site Report", "Site Health Report", "Fleet Status"),
        make_iot_site_report,
        prose_iot_site_report,
        message_iot_site_report,
        intros=(
            "Weekly fleet report from the device management platform.",
            "Site status exported for the facilities review.",
        ),
        outros=(
            "Battery replacements are scheduled by the field team.",
            "Report generated automatically; do not reply.",
        ),
    ),
    Domain(
        "incident_report",
        ("Incident Report", "Incident Summary", "Postmortem Header"),
        make_incident_report,
        prose_incident_report,
        message_incident_report,
        intros=(
            "Incident channel summary, posted by the incident commander.",
            "Status page draft for review.",
        ),
        outros=(
            "The postmortem review is scheduled for next week.",
            "Customer communication is handled by the support lead.",
        ),
    ),
)
