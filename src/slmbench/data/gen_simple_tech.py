"""Records and renderings of the `simple` schemas of IoT, configuration, security and the web."""

from __future__ import annotations

import math

from slmbench.data.gen_render import Domain, paragraph
from slmbench.data.gen_values import OPTIONAL, Gen, number_text

# -- sensor_alert -----------------------------------------------------------------------------
SENSOR_RANGES = {
    "temperature": (-25.0, 95.0, 1, "°C"),
    "humidity": (5.0, 99.0, 1, "%"),
    "pressure": (950.0, 1060.0, 1, "hPa"),
    "co2": (400, 5000, 0, "ppm"),
    "vibration": (0.1, 25.0, 2, "mm/s"),
}


def make_sensor_alert(g: Gen) -> dict:
    metric = g.pick(list(SENSOR_RANGES))
    lo, hi, places, _ = SENSOR_RANGES[metric]
    value = g.randint(int(lo), int(hi)) if places == 0 else g.decimal(lo, hi, places)
    rec = {
        "device_id": g.code(g.pick(["TH-####", "SN-??##-###", "node-##", "env-hhhhhh"])),
        "metric": metric,
        "value": value,
    }
    if g.chance(OPTIONAL):
        rec["raised_at"] = g.iso(g.moment())
    return rec


def _reading(rec: dict) -> str:
    unit = SENSOR_RANGES[rec["metric"]][3]
    return f"{number_text(rec['value'])}{'' if unit == '%' else ' '}{unit}"


def _metric_name(g: Gen, metric: str) -> str:
    return "CO2" if metric == "co2" and g.chance(0.5) else metric


def prose_sensor_alert(g: Gen, rec: dict) -> str:
    first = g.pick(
        [
            f"Sensor {rec['device_id']} raised an alert.",
            f"An alert came in from device {rec['device_id']}.",
            f"Device {rec['device_id']} reported a value outside its limits.",
        ]
    )
    metric = _metric_name(g, rec["metric"])
    sentences = [
        first,
        g.pick(
            [
                f"The {metric} reading was {_reading(rec)}.",
                f"It measured {_reading(rec)} of {metric}.",
                f"Its {metric} had reached {_reading(rec)}.",
            ]
        ),
    ]
    if "raised_at" in rec:
        sentences.append(f"The alert was logged at {rec['raised_at']}.")
    text = paragraph(g, sentences, keep_first=0 if g.chance(0.3) else 1)
    return text


def message_sensor_alert(g: Gen, rec: dict) -> str:
    metric = _metric_name(g, rec["metric"])
    when = rec.get("raised_at", "")
    if g.chance(0.5):
        line = (
            f"{when} WARN threshold-monitor: device={rec['device_id']} metric={metric} "
            f"value={number_text(rec['value'])} unit={SENSOR_RANGES[rec['metric']][3]}"
        )
        return f"Alert log excerpt:\n{line.strip()}\nstatus=open escalation=pending"
    stamp = f" at {when}" if when else ""
    return (
        f"[PAGER] Threshold exceeded{stamp}\nDevice {rec['device_id']} reports "
        f"{metric.upper()} = {_reading(rec)}.\nAcknowledge in the monitoring console."
    )


# -- feature_flag -----------------------------------------------------------------------------
FLAG_AREAS = ("checkout", "search", "billing", "onboarding", "profile", "cart", "reports")
FLAG_FEATURES = (
    "new_payment_flow",
    "dark_mode",
    "smart_suggestions",
    "express_shipping",
    "beta_dashboard",
    "bulk_export",
    "one_click_signup",
    "v2_api",
    "live_chat",
)


def make_feature_flag(g: Gen) -> dict:
    enabled = g.chance(0.6)
    rec = {
        "flag_key": f"{g.pick(FLAG_AREAS)}.{g.pick(FLAG_FEATURES)}",
        "enabled": enabled,
        "environment": g.pick(["development", "staging", "production"]),
    }
    if g.chance(OPTIONAL):
        rec["rollout_percent"] = g.pick([5, 10, 25, 50, 75, 100]) if enabled else 0
    return rec


def prose_feature_flag(g: Gen, rec: dict) -> str:
    state = (
        g.pick(["enabled", "switched on"])
        if rec["enabled"]
        else g.pick(["disabled", "switched off"])
    )
    sentences = [
        f"The flag {rec['flag_key']} is {state} in {rec['environment']}.",
        g.pick(
            [
                "The change was approved by the release manager.",
                "It was last edited during the Tuesday release window.",
                "The product owner asked to keep an eye on the conversion metrics.",
            ]
        ),
    ]
    if "rollout_percent" in rec:
        sentences.append(f"It is rolled out to {rec['rollout_percent']}% of users.")
    return paragraph(g, sentences)


def message_feature_flag(g: Gen, rec: dict) -> str:
    if g.chance(0.5):
        rollout = f" rollout={rec['rollout_percent']}%" if "rollout_percent" in rec else ""
        return (
            f"flagd[audit]: env={rec['environment']} key={rec['flag_key']} "
            f"enabled={'true' if rec['enabled'] else 'false'}{rollout} by=release-bot"
        )
    state = "on" if rec["enabled"] else "off"
    rollout = f" for {rec['rollout_percent']}% of traffic" if "rollout_percent" in rec else ""
    return (
        f"Heads up: {rec['flag_key']} is now {state} in {rec['environment']}{rollout}. "
        f"Ping me if you see anything odd in the dashboards."
    )


# -- weather_observation ----------------------------------------------------------------------
SKY = {
    "clear": "clear skies",
    "partly_cloudy": "partly cloudy skies",
    "overcast": "overcast",
    "rain": "rain",
    "snow": "snow",
    "fog": "fog",
    "thunderstorm": "a thunderstorm",
}


def make_weather_observation(g: Gen) -> dict:
    observed = g.day()
    # Seasonal mean of a mid-latitude northern station: about -2 °C in January, 26 °C in July.
    mean = 12.0 - 14.0 * math.cos(2 * math.pi * (observed.month - 1) / 12)
    temp = round(mean + g.rng.uniform(-9.0, 9.0), 1) or 0.0  # never -0.0
    rec = {
        "station_code": "K" + g.letters(3),
        "observed_on": g.iso(observed),
        "temperature_c": temp,
    }
    if g.chance(OPTIONAL):
        options = [
            c for c in SKY if (c != "snow" or temp < 3) and (c != "thunderstorm" or temp > 8)
        ]
        rec["conditions"] = g.pick(options)
    return rec


def prose_weather_observation(g: Gen, rec: dict) -> str:
    when = g.say_date(rec["observed_on"])
    temp = number_text(rec["temperature_c"])
    wind = f"{g.randint(0, 45)} km/h from the {g.pick(['north', 'south', 'east', 'west'])}"
    sentences = [
        f"On {when}, station {rec['station_code']} recorded {temp} °C.",
        f"Winds were {wind}.",
    ]
    if "conditions" in rec:
        sentences.append(f"Observers reported {SKY[rec['conditions']]}.")
    return paragraph(g, sentences)


def message_weather_observation(g: Gen, rec: dict) -> str:
    wx = f" WX {rec['conditions'].upper()}" if "conditions" in rec else ""
    return (
        f"OBS {rec['station_code']} {rec['observed_on']} TEMP "
        f"{number_text(rec['temperature_c'])} C{wx}\nFeed: daily summary, "
        f"station network {g.pick(['east', 'central', 'west'])}"
    )


# -- login_attempt ----------------------------------------------------------------------------
def make_login_attempt(g: Gen) -> dict:
    ip = f"{g.randint(11, 223)}.{g.randint(0, 255)}.{g.randint(0, 255)}.{g.randint(1, 254)}"
    return {
        "username": g.username(),
        "ip_address": ip,
        "succeeded": g.chance(0.6),
        "attempted_at": g.iso(g.moment()),
    }


def prose_login_attempt(g: Gen, rec: dict) -> str:
    outcome = (
        g.pick(["The sign-in was verified and succeeded.", "Access was confirmed."])
        if rec["succeeded"]
        else g.pick(["The attempt did not succeed.", "The password was not accepted."])
    )
    sentences = [
        f"User {rec['username']} tried to sign in from {rec['ip_address']} at "
        f"{rec['attempted_at']}.",
        outcome,
    ]
    client = g.pick(["Firefox on Windows", "Chrome on macOS", "Safari on iOS", "the mobile app"])
    sentences.append(f"The client was {client}.")
    return paragraph(g, sentences, keep_first=2)


def message_login_attempt(g: Gen, rec: dict) -> str:
    return (
        f"{rec['attempted_at']} auth[{g.randint(1000, 9999)}]: login user={rec['username']} "
        f"src={rec['ip_address']} method=password success="
        f"{'true' if rec['succeeded'] else 'false'}"
    )


# -- bookmark ---------------------------------------------------------------------------------
TOPICS = (
    "python",
    "devops",
    "cooking",
    "travel",
    "finance",
    "design",
    "databases",
    "hiking",
    "productivity",
    "security",
    "gardening",
    "photography",
)
TITLE_TEMPLATES = (
    "How to get started with {t}",
    "10 lessons I learned about {t}",
    "A practical guide to {t}",
    "Why {t} matters more than you think",
    "The {c} guide to {t}",
)


def make_bookmark(g: Gen) -> dict:
    topics = g.sample(TOPICS, g.randint(1, 3))
    company = g.company()
    title = g.pick(TITLE_TEMPLATES).format(t=topics[0], c=company.split()[0].rstrip(","))
    path = "-".join(title.lower().replace(",", "").split()[:5])
    rec = {
        "url": f"https://{g.pick(['www.', 'blog.', ''])}{g.company_domain(company)}/{path}",
        "title": title,
    }
    if g.chance(OPTIONAL):
        rec["tags"] = topics
    if g.chance(OPTIONAL):
        rec["saved_on"] = g.iso(g.day())
    return rec


def prose_bookmark(g: Gen, rec: dict) -> str:
    sentences = [f'I saved the article "{rec["title"]}" from {rec["url"]}.']
    if "saved_on" in rec:
        sentences.append(f"I added it to my reading list on {g.say_date(rec['saved_on'])}.")
    if "tags" in rec:
        sentences.append(f"It is tagged {g.say_list(rec['tags'])}.")
    return paragraph(g, sentences)


def message_bookmark(g: Gen, rec: dict) -> str:
    tags = " ".join(f"#{t}" for t in rec.get("tags", []))
    when = f"(saved {rec['saved_on']}) " if "saved_on" in rec else ""
    return f'check this out {when}-> {rec["url"]}\n"{rec["title"]}"\n{tags}'.rstrip()


DOMAINS = (
    Domain(
        "sensor_alert",
        ("Sensor Alert", "Threshold Alert", "Monitoring Alert"),
        make_sensor_alert,
        prose_sensor_alert,
        message_sensor_alert,
        intros=(
            "Forwarded from the building monitoring system.",
            "Facilities team, please see the alert below.",
            "Automated notification from the sensor gateway.",
        ),
        outros=(
            "Please check the unit during the next maintenance round.",
            "No action has been taken yet; the ticket is unassigned.",
            "Thresholds are configured in the monitoring console.",
        ),
    ),
    Domain(
        "feature_flag",
        ("Feature Flag", "Flag Configuration", "Flag State"),
        make_feature_flag,
        prose_feature_flag,
        message_feature_flag,
        intros=(
            "Release checklist, item 4: confirm the flag settings.",
            "Snapshot taken from the flag management service.",
            "From the release team's weekly changes summary.",
        ),
        outros=(
            "Changes take effect within five minutes of saving.",
            "Contact the release manager before changing this flag.",
            "All flag changes are recorded in the audit log.",
        ),
    ),
    Domain(
        "weather_observation",
        ("Weather Observation", "Station Report", "Daily Observation"),
        make_weather_observation,
        prose_weather_observation,
        message_weather_observation,
        intros=(
            "Daily climate summary for the regional network.",
            "Observation received from the automated station feed.",
            "Entry from the volunteer observer logbook.",
        ),
        outros=(
            "Data are provisional until quality control is complete.",
            "Readings are taken at the standard observation hour.",
            "Report sent to the national archive each month.",
        ),
    ),
    Domain(
        "login_attempt",
        ("Login Attempt", "Authentication Event", "Sign-in Record"),
        make_login_attempt,
        prose_login_attempt,
        message_login_attempt,
        intros=(
            "Security digest from the identity provider.",
            "Excerpt from the authentication audit trail.",
            "Forwarded by the security operations center for review.",
        ),
        outros=(
            "Later attempts from that address are listed in the full report.",
            "Rules for blocking addresses are reviewed every quarter.",
            "Escalate to the security team if this looks suspicious.",
        ),
    ),
    Domain(
        "bookmark",
        ("Bookmark", "Saved Link", "Reading List Entry"),
        make_bookmark,
        prose_bookmark,
        message_bookmark,
        intros=(
            "From my reading list export.",
            "Something to read over the weekend.",
            "Sharing a link from the team knowledge base.",
        ),
        outros=(
            "Worth a look before the next team meeting.",
            "Archived copy kept in the shared drive as well.",
            "Let me know what you think of it.",
        ),
    ),
)
