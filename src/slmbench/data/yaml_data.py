"""Reading the package's YAML data files (the function-calling catalogue, `funccall_*.yaml`,
and EdgeJSON's `content.yaml` files): YAML without the surprises of 1.1, and errors that name
the file and line."""

from __future__ import annotations

from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

from slmbench.errors import DataError


class YamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's: 6x faster
    """`no`, `on`, `NO` stay strings (only true/false are booleans), `2024-03-05` stays a
    string, and a key given twice in one mapping is an error rather than the last one winning."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: list = []  # a list: a key may be unhashable (the base class reports it)
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} given twice", key_node.start_mark
                )
            seen.append(key)
        return super().construct_mapping(node, deep)


YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _first in "yYnNoO":  # yes/no/on/off; true/false start with other letters
    YamlLoader.yaml_implicit_resolvers[_first] = [
        (tag, regex)
        for tag, regex in YamlLoader.yaml_implicit_resolvers.get(_first, [])
        if tag != "tag:yaml.org,2002:bool"
    ]


def read_yaml(source: Path | Traversable) -> Any:
    """The data of a YAML file (a path or a package resource); bad YAML: a `DataError` with
    the file and line."""
    try:
        return yaml.load(source.read_text(encoding="utf-8"), Loader=YamlLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        line = mark.line + 1 if mark else None
        raise DataError(f"not valid YAML: {problem}", str(source), line) from None
