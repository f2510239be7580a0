"""Options dataclasses and the command line generated from them.

Each stage command takes one dataclass of options (`slmbench.eval.api.EvalOptions`, ...), and
the Python API function of that stage takes the same object. The `slmbench` command is generated
from those dataclasses (CONTRIBUTING.md, "Layers"), so a flag, its type, default, choices and
help are written once, in the dataclass:

- the docstring under a field (as under `slmbench.train.recipe.Recipe`'s) is the flag's --help;
- the type gives the parsing: `int`, `float`, `str`, `Path`, `X | None` (optional), `bool`
  (default False: `--flag`; default True: `--flag/--no-flag`), `list[X]` (a repeatable flag,
  or a positional taking several values), `Literal[...]` (choices);
- a field without a default is required;
- `option(...)` adds what types do not say: another flag name, more names for the same flag
  (`aliases`, listed in --help), choices from a constant,
  positional, a bare-flag value (`const`), a metavar, a mutually exclusive group, a
  comma-separated list, or one text flag per field of another dataclass (`flags_from`, the
  recipe overrides of `slmbench train`).

Imports nothing of slmbench but its errors: every stage may use it.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import types
import typing
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Literal

from slmbench.errors import SlmbenchError

_MISSING = dataclasses.MISSING
_NONE = type(None)


def option(
    default: Any = _MISSING,
    *,
    default_factory: Any = _MISSING,
    flag: str | None = None,
    aliases: Sequence[str] = (),
    choices: Sequence[Any] | None = None,
    positional: bool = False,
    const: Any = None,
    metavar: str | None = None,
    exclusive: str | None = None,
    comma: bool = False,
    flags_from: type | None = None,
    title: str | None = None,
) -> Any:
    """A dataclass field with command-line metadata (see the module docstring).

    `aliases`: more option strings of the flag (`--prompt` for `--prompt-style`): they parse to
    the same field, and `command_line` writes the flag itself. `exclusive`: fields sharing this
    name form a mutually exclusive group. `comma`: a list given as one comma-separated value.
    `flags_from`: a `dict[str, str]` field collecting one text flag per field of that dataclass
    (None: not given), in an argument group named `title`; its fields' `aliases` are kept.
    """
    metadata = {
        key: value
        for key, value in {
            "flag": flag,
            "aliases": tuple(aliases),
            "choices": tuple(choices) if choices is not None else None,
            "positional": positional,
            "const": const,
            "metavar": metavar,
            "exclusive": exclusive,
            "comma": comma,
            "flags_from": flags_from,
            "title": title,
        }.items()
        if value not in (None, False, ())
    }
    return dataclasses.field(default=default, default_factory=default_factory, metadata=metadata)


@cache
def field_docs(cls: type) -> dict[str, str]:
    """The docstring under each field of dataclass (or TypedDict) `cls` and of its bases, one
    line each.

    >>> from slmbench.train.recipe import Recipe
    >>> field_docs(Recipe)["lora_r"]
    'LoRA rank (ignored by `full`).'
    """
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not (dataclasses.is_dataclass(klass) or typing.is_typeddict(klass)):
            continue
        body = ast.parse(inspect.getsource(klass).strip()).body[0].body
        for node, following in zip(body, body[1:], strict=False):
            if (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                docs[node.target.id] = " ".join(following.value.value.split())
    return docs


@cache
def field_types(cls: type) -> dict[str, Any]:
    """The evaluated type of each field of dataclass `cls`."""
    return typing.get_type_hints(cls)


def cli_flag(name: str) -> str:
    """The command-line flag of a field.

    >>> cli_flag("per_device_batch_size")
    '--per-device-batch-size'
    """
    return "--" + name.replace("_", "-")


def type_metavar(kind: Any) -> str:
    """A short description of the values a type accepts, for --help.

    >>> type_metavar(Literal["lora", "full"]), type_metavar(int | None), type_metavar(float)
    ('{lora,full}', 'INT|none', 'FLOAT')
    >>> type_metavar(str | list[str]), type_metavar(bool)
    ('NAME[,NAME...]', 'true|false')
    """
    origin = typing.get_origin(kind)
    if origin is Literal:
        return "{" + ",".join(map(str, typing.get_args(kind))) + "}"
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(kind)
        if list[str] in args:
            return "NAME[,NAME...]"
        inner = [a for a in args if a is not _NONE][0]
        return f"{type_metavar(inner)}|none"
    if kind is bool:
        return "true|false"
    return {int: "INT", float: "FLOAT", str: "TEXT", Path: "PATH"}[kind]


def _unwrap_optional(kind: Any) -> Any:
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(kind) if a is not _NONE]
        if len(inner) != 1:
            raise TypeError(f"no command-line form for {kind}")  # extend this module
        return inner[0]
    return kind


def _choices(f: dataclasses.Field, kind: Any) -> tuple | None:
    if "choices" in f.metadata:
        return f.metadata["choices"]
    if typing.get_origin(kind) is Literal:
        return typing.get_args(kind)
    return None


def _default(f: dataclasses.Field) -> Any:
    if f.default is not _MISSING:
        return f.default
    if f.default_factory is not _MISSING:
        return f.default_factory()
    return _MISSING


def _comma_list(convert: Callable[[str], Any]) -> Callable[[str], list]:
    def parse(text: str) -> list:
        return [convert(part.strip()) for part in text.split(",") if part.strip()]

    parse.__name__ = "comma-separated list"  # argparse names the type in its error
    return parse


def add_arguments(parser: argparse.ArgumentParser, cls: type) -> None:
    """One argument per field of options dataclass `cls` (bases' fields first)."""
    docs, hints = field_docs(cls), field_types(cls)
    exclusive: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        meta = f.metadata
        if "flags_from" in meta:
            _add_flags_from(parser, f, meta["flags_from"])
            continue
        target: Any = parser
        if "exclusive" in meta:
            if meta["exclusive"] not in exclusive:
                exclusive[meta["exclusive"]] = parser.add_mutually_exclusive_group()
            target = exclusive[meta["exclusive"]]
        kwargs = _argument(f, _unwrap_optional(hints[f.name]), docs.get(f.name, ""))
        if meta.get("positional"):
            if "aliases" in meta:
                raise TypeError(f"{cls.__name__}.{f.name}: a positional takes no aliases")
            target.add_argument(f.name, **kwargs)
        else:
            flags = [meta.get("flag", cli_flag(f.name)), *meta.get("aliases", ())]
            # argparse refuses a name another flag already has (ArgumentError) here, at build time.
            target.add_argument(*flags, dest=f.name, **kwargs)


def _argument(f: dataclasses.Field, kind: Any, doc: str) -> dict[str, Any]:
    """The `add_argument` keywords of one field."""
    meta, default = f.metadata, _default(f)
    required = default is _MISSING
    kwargs: dict[str, Any] = {"help": doc.replace("%", "%%")}
    if default is not _MISSING and default is not None and not isinstance(default, bool | list):
        kwargs["help"] += f" (default: {default})".replace("%", "%%")
    if kind is bool:
        action = argparse.BooleanOptionalAction if default else "store_true"
        return {**kwargs, "action": action, "default": bool(default)}
    if typing.get_origin(kind) is list:
        convert = _convert(typing.get_args(kind)[0])
        if meta.get("comma"):
            convert = _comma_list(convert)
        elif meta.get("positional"):
            kwargs["nargs"] = "+" if required else "*"
        else:
            kwargs["action"] = "append"
    else:
        convert = _convert(kind)
    kwargs["type"] = convert
    if _choices(f, kind) is not None:
        kwargs["choices"] = _choices(f, kind)
    if "const" in meta:
        kwargs.update(nargs="?", const=meta["const"])
    if "metavar" in meta:
        kwargs["metavar"] = meta["metavar"]
    if meta.get("positional"):
        kwargs.setdefault("metavar", f.name.upper())
        if not required and "nargs" not in kwargs:
            kwargs["nargs"] = "?"
        return kwargs
    if required:
        kwargs["required"] = True
    # None stands for "not given": `from_args` then leaves the dataclass default.
    return {**kwargs, "default": None}


def _convert(kind: Any) -> Callable[[str], Any]:
    if typing.get_origin(kind) is Literal:
        return type(typing.get_args(kind)[0])
    if kind in (int, float, str, Path):
        return kind
    raise TypeError(f"no command-line form for {kind}")  # extend this module


def _add_flags_from(parser: argparse.ArgumentParser, f: dataclasses.Field, source: type) -> None:
    group = parser.add_argument_group(f.metadata.get("title"))
    docs, hints = field_docs(source), field_types(source)
    for sub in dataclasses.fields(source):
        # Text here; the owner of `source` types and checks it, so that errors name the field.
        group.add_argument(
            cli_flag(sub.name),
            *sub.metadata.get("aliases", ()),
            dest=f"{f.name}:{sub.name}",
            metavar=type_metavar(hints[sub.name]),
            help=docs.get(sub.name, "").replace("%", "%%"),
        )


def from_args(cls: type, args: argparse.Namespace) -> Any:
    """The options object of parsed command-line `args` (fields not given keep defaults)."""
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if "flags_from" in f.metadata:
            prefix = f"{f.name}:"
            values[f.name] = {
                key.removeprefix(prefix): value
                for key, value in vars(args).items()
                if key.startswith(prefix) and value is not None
            }
            continue
        value = getattr(args, f.name)
        if value is None and _default(f) is not _MISSING:
            continue
        values[f.name] = value
    return cls(**values)


def command_line(options: Any) -> list[str]:
    """The arguments that `from_args` turns back into `options` (only what differs from the
    defaults): how `slmbench pipeline` shows each step as the command a user would type.

    >>> from slmbench.eval.api import EvalOptions
    >>> command_line(EvalOptions(data="t.jsonl", out="runs/x", batch_size=4, constrained="strict"))
    ['--constrained', 'strict', '--data', 't.jsonl', '--out', 'runs/x', '--batch-size', '4']
    """
    argv: list[str] = []
    for f in dataclasses.fields(options):
        value, meta = getattr(options, f.name), f.metadata
        if "flags_from" in meta:
            for key, text in value.items():
                argv += [cli_flag(key), _text(text)]
            continue
        if value == _default(f):
            continue
        flag = meta.get("flag", cli_flag(f.name))
        items = value if isinstance(value, list) else [value]
        if meta.get("positional"):
            argv += [str(v) for v in items]
        elif isinstance(value, bool):
            argv.append(flag if value else "--no-" + flag.removeprefix("--"))
        elif isinstance(value, list) and meta.get("comma"):
            argv += [flag, ",".join(map(str, value))]
        elif value is not None:
            for item in items:
                argv += [flag, str(item)]
    return argv


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(map(str, value))
    return "none" if value is None else str(value)


def check_choices(options: Any) -> None:
    """Raise `SlmbenchError` naming the field when a value is not one of its choices (the
    command line checks this itself; API callers get the same one-line error).

    >>> from slmbench.eval.api import EvalOptions
    >>> check_choices(EvalOptions(data="d", out="o", backend="vllm"))
    Traceback (most recent call last):
    slmbench.errors.SlmbenchError: backend: 'vllm' is not one of transformers, openai, llamacpp
    """
    hints = field_types(type(options))
    for f in dataclasses.fields(options):
        choices = _choices(f, _unwrap_optional(hints[f.name]))
        value = getattr(options, f.name)
        if choices is None or value is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            if item not in choices:
                known = ", ".join(map(str, choices))
                raise SlmbenchError(f"{f.name}: {item!r} is not one of {known}")


def add_command(
    sub: argparse._SubParsersAction,
    name: str,
    cls: type,
    run: Callable[[Any], int | None],
    **parser_kwargs: Any,
) -> argparse.ArgumentParser:
    """A subcommand whose arguments are the fields of `cls`; it calls `run(options)`."""
    parser_kwargs.setdefault("description", parser_kwargs.get("help"))
    parser = sub.add_parser(name, **parser_kwargs)
    add_arguments(parser, cls)
    parser.set_defaults(func=lambda args: run(from_args(cls, args)), options_class=cls)
    return parser


@dataclasses.dataclass(frozen=True)
class Command:
    """One generated subcommand: its name, options dataclass, what runs it, and its help."""

    name: str
    options: type
    run: Callable[[Any], int | None]
    help: str
    description: str | None = None


def add_group(
    sub: argparse._SubParsersAction, name: str, help: str, commands: Sequence[Command]
) -> argparse.ArgumentParser:
    """`slmbench NAME ACTION ...`: a command group with one generated subcommand per entry."""
    group = sub.add_parser(name, help=help, description=help)
    group.actions = group.add_subparsers(  # type: ignore[attr-defined]
        dest=f"{name}_command", metavar="ACTION", required=True
    )
    add_to_group(sub, name, commands)
    return group


def add_to_group(sub: argparse._SubParsersAction, name: str, commands: Sequence[Command]) -> None:
    """More subcommands for the group `name` that `add_group` made: how a layer above a stage
    adds an action to that stage's group (`slmbench data synth` comes from `slmbench.teacher`,
    which may call a model; `data` may not)."""
    actions = sub.choices[name].actions
    for command in commands:
        add_command(
            actions,
            command.name,
            command.options,
            command.run,
            help=command.help,
            description=command.description or command.help,
        )


class CallableModule(types.ModuleType):
    """A module that is also its stage's API function: `slmbench.train` is both the package
    and `train(options)`, since a package attribute cannot be the two otherwise. A module sets
    `sys.modules[__name__].__class__` to a subclass that defines `__call__` (the documented
    way to customise a module's behaviour)."""
