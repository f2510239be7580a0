"""A schema's content file: what its documents say besides the values, and how its values are
chosen, as data beside `schema.json` (a `content.yaml`), plus an optional `hooks.py`.

Keys of `content.yaml` (all optional):

- `titles`, `intros`, `outros`: headings of the `kv` style and the forms; opening and closing
  lines any style may get (they carry no field value);
- `fields`: per field, by path (`vendor.name`, `line_items[].quantity`, `tags[]` for the items
  of an array, `line_items` for the array itself):
  - wording: `labels` (more label variants), `say` (how `kv` and the forms write a number:
    `number`, `money`, `percent` or `plain`);
  - presence: `chance` (of an optional property);
  - `hook: true`: the hook sets the value (nothing is drawn; a value it leaves unset is an
    error naming the field);
  - one value source: `pool` (a list to pick from, with `weights` if not uniform), `code`
    (`Gen.code` patterns: `#` digit, `?` letter, `*` letter or digit, `h` hex), `pattern` (a
    regex), `range` ([lo, hi], with `places` or `step`), `dates` ([first, last] ISO dates),
    `faker` (a `Gen` helper such as `full_name`, or any Faker provider, drawn into a pool),
    `template` (a Jinja template over the helpers and tables);
  - arrays: `count` ([lo, hi] items, or `{pool, weights}`), `sample` (distinct items from this
    list; `sort`);
  - objects and array items: `rows` (a table to take one row of, whose values are literals
    or value sources as above), `distinct` (items of one array take different rows);
- `tables`: named data that templates and hooks read (catalogues, phrase maps);
- `let`: named templates rendered first for each text (values every later template sees);
- `prose`: `sentences` (each a template or a list of alternatives; empty ones are dropped)
  and `keep_first` (how many stay in front; the rest are shuffled; a list to pick from);
- `message`: alternative templates of a message or document form of the record;
- `engine_prose_share`, `engine_message_share`: the share of prose and message texts left
  to the engine's own prose and forms (email, ticket, form printout, log line).

Templates are Jinja: the record's top-level fields (and `rec`, the whole record), the tables,
the `let` values and the helpers of `TemplateHelpers` (`money`, `date`, `num`, `pick`...). An
absent optional field is false in a test (`{% if tax %}`) and an error when written out.

`hooks.py` may define `adjust(gold, g, tables)`: the cross-field rules (totals, date order,
ages, counts), applied in place after the values are drawn and before the text is written.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from slmbench.data.gen_values import Gen, humanize, money_text, number_text
from slmbench.data.synth.schema_walk import SchemaDoc, join_pointer
from slmbench.data.yaml_data import read_yaml
from slmbench.errors import DataError

CONTENT_FILE = "content.yaml"
HOOKS_FILE = "hooks.py"
TOP_KEYS = frozenset(
    ("titles", "intros", "outros", "fields", "tables", "let", "prose", "message")
    + ("engine_prose_share", "engine_message_share")
)
SOURCE_KEYS = ("pool", "code", "pattern", "range", "dates", "faker", "template")
FIELD_KEYS = frozenset(
    [*SOURCE_KEYS, "weights", "labels", "say", "chance", "places", "step", "count", "sample"]
    + ["sort", "rows", "distinct", "hook"]
)
SAY_MODES = ("number", "money", "percent", "plain")
DEFAULT_PROSE_SHARE = 0.0
DEFAULT_MESSAGE_SHARE = 0.2


class Absent(jinja2.Undefined):
    """An absent optional field in a template: false in a test, an error when written out."""

    __slots__ = ()
    __str__ = __iter__ = __len__ = jinja2.Undefined._fail_with_undefined_error  # type: ignore


ENV = jinja2.Environment(
    undefined=Absent, trim_blocks=True, lstrip_blocks=True, autoescape=False, cache_size=0
)


@dataclass
class Template:
    """One compiled template and where it was written (for error messages)."""

    source: str
    where: str
    compiled: jinja2.Template

    def render(self, context: dict, strip: bool = True) -> str:
        try:
            text = self.compiled.render(context)
            return text.strip() if strip else text
        except jinja2.UndefinedError as e:
            raise DataError(f"template {self.where}: {e.message}") from None
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as e:
            raise DataError(f"template {self.where}: {type(e).__name__}: {e}") from None


def compile_template(source: Any, where: str) -> Template:
    if not isinstance(source, str):
        raise DataError(f"{where}: a template must be a string, not {type(source).__name__}")
    try:
        return Template(source, where, ENV.from_string(source))
    except jinja2.TemplateSyntaxError as e:
        raise DataError(f"{where}: template line {e.lineno}: {e.message}") from None


@dataclass
class FieldSpec:
    """What a content file says about one field."""

    path: str
    pointer: str
    """The JSON pointer `GoldMaker.value` is called with for this field."""
    node: dict
    labels: tuple[str, ...] = ()
    say: str | None = None
    chance: float | None = None
    source: tuple[str, Any] | None = None
    """(kind, argument) of its value source: one of `SOURCE_KEYS`."""
    weights: list[float] | None = None
    places: int = 2
    step: float | None = None
    count: tuple[int, int] | FieldSpec | None = None
    """An item count range, or a value source (a `pool`) of counts."""
    sample: list | None = None
    sort: bool = False
    rows: list[dict[str, Any]] | None = None
    """Values per row: a literal, or a `FieldSpec` (a value source) for that key."""
    distinct: bool = False
    hook: bool = False
    """The hook sets this field's value: the engine only decides whether it is present."""


@dataclass
class Content:
    """A schema's content file, parsed and checked against the schema."""

    schema_id: str
    path: Path | None = None
    titles: list[str] = field(default_factory=list)
    intros: list[str] = field(default_factory=list)
    outros: list[str] = field(default_factory=list)
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    """By JSON pointer."""
    by_node: dict[int, FieldSpec] = field(default_factory=dict)
    """By `id()` of the schema node (what rendering sees)."""
    tables: dict[str, Any] = field(default_factory=dict)
    let: list[tuple[str, Template]] = field(default_factory=list)
    sentences: list[list[Template]] = field(default_factory=list)
    keep_first: list[int] = field(default_factory=lambda: [1])
    messages: list[Template] = field(default_factory=list)
    engine_prose_share: float = DEFAULT_PROSE_SHARE
    engine_message_share: float = DEFAULT_MESSAGE_SHARE
    hook: Any = None
    """`adjust(gold, g, tables)` of the folder's `hooks.py`, or None."""

    @property
    def where(self) -> str:
        return str(self.path) if self.path else f"content of {self.schema_id!r}"


def content_path(schema_path: Path | None) -> Path | None:
    """The content file beside a `schema.json`, when there is one."""
    if schema_path is None:
        return None
    candidate = Path(schema_path).parent / CONTENT_FILE
    return candidate if Path(schema_path).name == "schema.json" and candidate.is_file() else None


def load_content(path: Path | None, doc: SchemaDoc) -> Content:
    """Parse a content file (None: an empty one) and its hooks; errors name the file and key."""
    content = Content(doc.schema_id, path)
    if path is None:
        return content
    data = read_yaml(Path(path)) or {}
    if not isinstance(data, dict):
        raise DataError("a content file is a mapping of keys", str(path))
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        raise DataError(f"unknown key(s) {unknown} (known: {sorted(TOP_KEYS)})", str(path))
    for key in ("titles", "intros", "outros"):
        setattr(content, key, _strings(data.get(key, []), f"{path}: {key}"))
    content.tables = dict(data.get("tables") or {})
    for raw_path, raw in (data.get("fields") or {}).items():
        spec = _field_spec(doc, str(raw_path), raw, f"{path}: fields.{raw_path}")
        content.fields[spec.pointer] = spec
        content.by_node[id(spec.node)] = spec
    for name, source in (data.get("let") or {}).items():
        content.let.append((str(name), compile_template(source, f"{path}: let.{name}")))
    _prose(content, data.get("prose"), path)
    messages = data.get("message") or []
    messages = [messages] if isinstance(messages, str) else messages
    content.messages = [
        compile_template(m, f"{path}: message[{i}]") for i, m in enumerate(messages)
    ]
    for key in ("engine_prose_share", "engine_message_share"):
        if key in data:
            share = data[key]
            if not isinstance(share, int | float) or not 0 <= share <= 1:
                raise DataError(f"{key} must be a number between 0 and 1", str(path))
            setattr(content, key, float(share))
    _check_names(content, doc)
    hooks = Path(path).parent / HOOKS_FILE
    if hooks.is_file():
        content.hook = _load_hook(hooks, doc.schema_id)
    return content


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DataError(f"{where}: a list of strings is needed")
    return list(value)


def _prose(content: Content, prose: Any, path: Path) -> None:
    if prose is None:
        return
    if isinstance(prose, list):
        prose = {"sentences": prose}
    if not isinstance(prose, dict) or not isinstance(prose.get("sentences"), list):
        raise DataError("prose: a list of sentences, or {sentences, keep_first}", str(path))
    for i, sentence in enumerate(prose["sentences"]):
        choices = sentence if isinstance(sentence, list) else [sentence]
        content.sentences.append(
            [compile_template(c, f"{path}: prose.sentences[{i}]") for c in choices]
        )
    keep = prose.get("keep_first", 1)
    keep = keep if isinstance(keep, list) else [keep]
    if not keep or not all(isinstance(k, int) and k >= 0 for k in keep):
        raise DataError("prose.keep_first: a whole number or a list of them", str(path))
    content.keep_first = keep


def resolve_path(doc: SchemaDoc, path: str, where: str) -> tuple[str, dict]:
    """`(pointer, node)` of a field path such as `line_items[].unit_price`: the pointer
    `GoldMaker.value` gets for that field (its parent normalised, the field itself not).

    >>> doc = SchemaDoc("x", {"properties": {"a": {"type": "array", "items": {
    ...     "properties": {"b": {"type": "string"}}}}}})
    >>> resolve_path(doc, "a[].b", "here")
    ('/properties/a/items/properties/b', {'type': 'string'})
    """
    pointer, node = "", doc.root
    tokens = path.replace("[]", ".[]").split(".")
    for token in (t for t in tokens if t):
        parent_pointer, parent = doc.normalise(node, pointer)
        if token == "[]":
            items = parent.get("items")
            if not isinstance(items, dict):
                raise DataError(f"{where}: {path!r} is not an array of the schema")
            pointer, node = join_pointer(parent_pointer, "items"), items
            continue
        props = parent.get("properties") or {}
        if token not in props:
            raise DataError(f"{where}: the schema has no field {path!r} ({token!r} unknown)")
        pointer, node = join_pointer(parent_pointer, "properties", token), props[token]
    return pointer, node


def _field_spec(doc: SchemaDoc, path: str, raw: Any, where: str) -> FieldSpec:
    if not isinstance(raw, dict):
        raise DataError(f"{where}: a mapping of field settings is needed")
    unknown = sorted(set(raw) - FIELD_KEYS)
    if unknown:
        raise DataError(f"{where}: unknown setting(s) {unknown} (known: {sorted(FIELD_KEYS)})")
    pointer, node = resolve_path(doc, path, where)
    spec = FieldSpec(path, pointer, node)
    _source(spec, raw, where)
    if raw.get("hook"):
        if spec.source is not None or "rows" in raw or "count" in raw or "sample" in raw:
            raise DataError(f"{where}: a field the hook sets has no value source")
        spec.hook = True
    if "labels" in raw:
        spec.labels = tuple(_strings(raw["labels"], f"{where}.labels"))
    if "say" in raw:
        if raw["say"] not in SAY_MODES:
            raise DataError(f"{where}.say: one of {', '.join(SAY_MODES)}")
        spec.say = raw["say"]
    if "chance" in raw:
        spec.chance = _share(raw["chance"], f"{where}.chance")
    if isinstance(raw.get("count"), dict):
        spec.count = FieldSpec(f"{path} count", pointer, {"type": "integer"})
        _source(spec.count, raw["count"], f"{where}.count")
        if spec.count.source is None or spec.count.source[0] != "pool":
            raise DataError(f"{where}.count: [lo, hi] or a pool of counts is needed")
    elif "count" in raw:
        spec.count = _pair(raw["count"], f"{where}.count", integer=True)
    if "sample" in raw:
        if not isinstance(raw["sample"], list) or not raw["sample"]:
            raise DataError(f"{where}.sample: a non-empty list is needed")
        spec.sample, spec.sort = list(raw["sample"]), bool(raw.get("sort", False))
    if "rows" in raw:
        rows = raw["rows"]
        if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
            raise DataError(f"{where}.rows: a non-empty list of mappings is needed")
        parent_pointer, parent = doc.normalise(node, pointer)
        props = parent.get("properties") or {}
        spec.rows = []
        for i, row in enumerate(rows):
            out: dict[str, Any] = {}
            for key, value in row.items():
                if key not in props:
                    raise DataError(f"{where}.rows[{i}]: the schema has no field {key!r} here")
                if isinstance(value, dict):
                    sub_pointer = join_pointer(parent_pointer, "properties", key)
                    sub = FieldSpec(f"{path}.{key}", sub_pointer, props[key])
                    _source(sub, value, f"{where}.rows[{i}].{key}")
                    value = sub
                out[key] = value
            spec.rows.append(out)
        spec.distinct = bool(raw.get("distinct", False))
    return spec


def _source(spec: FieldSpec, raw: dict, where: str) -> None:
    sources = [k for k in SOURCE_KEYS if k in raw]
    if len(sources) > 1:
        raise DataError(f"{where}: one value source only, not {', '.join(sources)}")
    if not sources:
        return
    kind, arg = sources[0], raw[sources[0]]
    if kind == "pool" and (not isinstance(arg, list) or not arg):
        raise DataError(f"{where}.pool: a non-empty list is needed")
    if kind == "code":
        arg = [arg] if isinstance(arg, str) else _strings(arg, f"{where}.code")
    if kind in ("pattern", "faker") and not isinstance(arg, str):
        raise DataError(f"{where}.{kind}: a string is needed")
    if kind == "range":
        arg = _pair(arg, f"{where}.range")
    if kind == "dates":
        try:
            arg = tuple(dt.date.fromisoformat(d) for d in _strings(arg, f"{where}.dates"))
        except ValueError as e:
            raise DataError(f"{where}.dates: {e}") from None
        if len(arg) != 2 or arg[0] > arg[1]:
            raise DataError(f"{where}.dates: [first, last] ISO dates are needed")
    if kind == "template":
        arg = compile_template(arg, f"{where}.template")
    spec.source = (kind, arg)
    if "weights" in raw:
        weights = raw["weights"]
        ok = isinstance(weights, list) and all(isinstance(w, int | float) for w in weights)
        if kind != "pool" or not ok or len(weights) != len(arg) or sum(weights) <= 0:
            raise DataError(f"{where}.weights: one non-negative number per pool entry is needed")
        spec.weights = [float(w) for w in weights]
    if "places" in raw:
        spec.places = int(raw["places"])
    if "step" in raw:
        spec.step = float(raw["step"])


def _pair(value: Any, where: str, integer: bool = False) -> tuple:
    ok = (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        and value[0] <= value[1]
        and (not integer or all(isinstance(v, int) for v in value))
    )
    if not ok:
        raise DataError(f"{where}: [lo, hi] with lo <= hi is needed")
    return tuple(value)


def _share(value: Any, where: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
        raise DataError(f"{where}: a number between 0 and 1 is needed")
    return float(value)


def _check_names(content: Content, doc: SchemaDoc) -> None:
    """Template names must not shadow one another: fields, tables, `let` values, helpers."""
    fields = set((doc.root.get("properties") or {}).keys()) | {"rec"}
    helpers = set(TemplateHelpers.NAMES)
    seen: dict[str, str] = {}
    for kind, names in (
        ("helper", helpers),
        ("field", fields),
        ("table", set(content.tables)),
        ("let value", {name for name, _ in content.let}),
    ):
        for name in sorted(names):
            if name in seen:
                raise DataError(f"{kind} {name!r} has the name of a {seen[name]}", content.where)
            seen[name] = kind


def _load_hook(path: Path, schema_id: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"slmbench_content_hooks.{schema_id}", path)
    if spec is None or spec.loader is None:
        raise DataError("cannot load hooks", str(path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    hook = getattr(module, "adjust", None)
    if not callable(hook):
        raise DataError("hooks.py defines no adjust(gold, g, tables)", str(path))
    return hook


class TemplateHelpers:
    """The functions templates call; every random choice comes from the build's `Gen`, which
    is `fake` in a template: `fake.full_name()`, `fake.company()`, `fake.city()`..."""

    NAMES = (
        "money",
        "money_text",
        "date",
        "num",
        "enum",
        "words",
        "series",
        "pick",
        "chance",
        "randint",
        "digits",
        "letters",
        "code",
        "grouped",
        "sep",
        "fake",
    )

    def __init__(self, g: Gen):
        self.g = g
        self.functions: dict[str, Any] = {
            "money": g.say_money,
            "money_text": money_text,
            "date": g.say_date,
            "num": number_text,
            "enum": g.say_enum,
            "words": humanize,
            "series": self.series,
            "pick": self.pick,
            "chance": g.chance,
            "randint": g.randint,
            "digits": g.digits,
            "letters": g.letters,
            "code": g.code,
            "grouped": self.grouped,
            "sep": self.sep,
            "fake": g,
        }
        assert tuple(self.functions) == self.NAMES

    def pick(self, *options: Any) -> Any:
        """One of the arguments, or of the one list given."""
        if len(options) == 1 and isinstance(options[0], list | tuple):
            options = tuple(options[0])
        return self.g.pick(options)

    def series(self, items: Any, conj: str = "and") -> str:
        """ "a", "a and b", "a, b and c"."""
        return self.g.say_list([str(i) for i in items], conj)

    @staticmethod
    def sep(loop: Any, conj: str = "and") -> str:
        """What follows an item in a loop written "a, b and c": `{{ sep(loop) }}`."""
        return ", " if loop.revindex > 2 else f" {conj} " if loop.revindex == 2 else ""

    @staticmethod
    def grouped(value: int | float) -> str:
        """A number with thousands separators: 12,500."""
        return f"{value:,}"
