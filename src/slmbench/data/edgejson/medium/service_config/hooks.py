"""Service configuration: the image is the service's, from the registry, with a version tag."""

from __future__ import annotations


def adjust(gold: dict, g, tables: dict) -> None:
    group = g.pick(["core", "platform", "web"])
    tag = f"{g.randint(0, 5)}.{g.randint(0, 30)}.{g.randint(0, 20)}"
    gold["image"] = f"registry.example.com/{group}/{gold['service_name']}:{tag}"
