"""IoT site report: the site is named after its city; gateway ids are distinct; device ids
carry their kind's prefix; mains-powered devices have no battery; the device counts and
the alerts are those of the device lists."""

from __future__ import annotations


def adjust(gold: dict, g, tables: dict) -> None:
    site = gold["site"]
    site["name"] = f"{site['city']} {g.pick(tables['site_kinds'])}"
    alerts = []
    numbers = g.sample(range(1, 40), len(gold["gateways"]))
    for gateway, n in zip(gold["gateways"], numbers, strict=True):
        gateway["gateway_id"] = f"gw-{n:02d}"
        for device in gateway["devices"]:
            device["device_id"] = f"{tables['device_prefix'][device['kind']]}-{g.digits(4)}"
            if device["kind"] in tables["mains_powered"]:
                device.pop("battery_percent", None)
            else:
                device["battery_percent"] = g.randint(3, 100)
            if not device["online"]:
                alerts.append(f"{device['device_id']} offline")
            elif device.get("battery_percent", 100) < 15:
                alerts.append(f"{device['device_id']} battery low")
    devices = [d for gateway in gold["gateways"] for d in gateway["devices"]]
    gold["device_count"] = len(devices)
    gold["offline_count"] = sum(not d["online"] for d in devices)
    if alerts and "alerts" in gold:
        gold["alerts"] = alerts
    else:
        gold.pop("alerts", None)
