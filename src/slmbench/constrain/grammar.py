"""JSON Schema -> llguidance grammar describing the exact text a fine-tuned model writes.

Answers are `json.dumps(gold, ensure_ascii=False)` (see `slmbench.prompts.format_answer`): the
grammar therefore fixes the separators to `", "` and `": "`, allows no other whitespace, and
keeps object properties in schema order (llguidance's rule, and the order our golds use).

Rewrites applied before compiling (`bounded_schema`), all documented here because each changes
what decoding can produce:
- `format: date-time` / `time` become patterns with an OPTIONAL timezone: the data's timestamps
  (`2005-07-03T17:42:53.545351`) have none, and llguidance's built-in formats demand one;
  `format: date` becomes a calendar-exact pattern (the engine's own admits `0000-02-31`,
  which the validator's format check rejects);
- objects with `properties` but no `additionalProperties` get `additionalProperties: false`
  (golds carry exactly the schema's keys; an extra key can only be an error, and free-form
  extras would let decoding wander); a key that `required` names but `properties` does not
  is first added to `properties` with any value (`{}`), else the object could not be written;
- arrays without `maxItems` get `maxItems` (default 50), strings without `maxLength`, enum or
  const get `maxLength` (default 1000 characters), and numbers without bounds get
  `|x| <= 1e15` and (non-integers) `multipleOf: 1e-10`, i.e. at most 10 decimals: a looping
  model ends its list, string or digit run instead of spinning until the token cap.
  Cost: a float that `json.dumps` writes in exponent form (|x| < 1e-4, e.g. `5e-05`) cannot
  be produced.
The one spelling freedom left is in numbers: the engine admits trailing zeros (`0.50`) where
`json.dumps` writes exactly one spelling (`0.5`); strings admit only the escapes
`json.dumps(ensure_ascii=False)` writes (no escaped slash, no unicode escape of a printable
character).

An optional single leading space is allowed before the JSON: the `paper` prompt style's answer
starts with one (`slmbench.prompts.answer_prefix`).

A schema whose grammar does not compile as it is (`not`, `uniqueItems`, a look-around
`pattern`, ...) is compiled relaxed instead (`slmbench.constrain.schema_check.grammar_schema`):
the keywords the grammar cannot express are dropped from it, and `CompiledGrammar.relaxations`
lists them; outputs must still be validated against the full schema. A schema that compiles
as it is gets exactly its own grammar.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

from slmbench.errors import SlmbenchError

DEFAULT_MAX_ITEMS = 50
DEFAULT_MAX_STRING_CHARS = 1000
NUMBER_LIMIT = 10**15
NUMBER_STEP = 1e-10
"""Numbers get |x| <= 1e15 and at most 10 decimals: bounded digits, and no exponent notation
(which `json.dumps` only writes for |x| < 1e-4 or >= 1e16)."""
_YEAR = r"([0-9]{3}[1-9]|[0-9]{2}[1-9]0|[0-9][1-9]00|[1-9]000)"
_MONTH_DAY = (
    r"((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)"
    r"|02-(0[1-9]|1[0-9]|2[0-8]))"
)
_LEAP_DAY = r"([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)-02-29"
_DATE = f"({_YEAR}-{_MONTH_DAY}|{_LEAP_DAY})"
_TIME = r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?"
_ZONE = r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?"
DATE_PATTERN = f"^{_DATE}$"
"""Calendar-valid dates only (years 0001-9999, leap days): what Python's `date.fromisoformat`,
hence jsonschema's `date` check, accepts; llguidance's own `date` lets `0000-02-31` through."""
DATE_TIME_PATTERN = f"^{_DATE}T{_TIME}{_ZONE}$"
TIME_PATTERN = f"^{_TIME}{_ZONE}$"
FORMAT_PATTERNS = {"date": DATE_PATTERN, "date-time": DATE_TIME_PATTERN, "time": TIME_PATTERN}
"""Formats decoded as these patterns (timezone optional) instead of the engine's built-ins."""
FIXED_LENGTH_FORMATS = ("uuid", "ipv4", "ipv6")
"""Formats whose own grammar is bounded: no `maxLength` added."""
OUTPUT_FORMAT = {"item_separator": ", ", "key_separator": ": ", "whitespace_flexible": False}
"""llguidance `x-guidance` options matching `json.dumps` defaults (separators are regexes)."""

_SCHEMA_MAPS = ("properties", "patternProperties", "definitions", "$defs", "dependentSchemas")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_VALUES = ("additionalProperties", "items", "additionalItems", "not", "if", "then", "else")


class GrammarError(SlmbenchError):
    """A JSON Schema the decoding engine cannot compile; names the schema and the reason."""

    def __init__(self, schema: dict, reason: str):
        self.schema_label = schema_label(schema)
        self.reason = reason
        super().__init__(
            f"cannot constrain decoding to schema {self.schema_label}: {reason} "
            "(use lenient constrained decoding to fall back to unconstrained for such schemas)"
        )


def schema_label(schema: dict) -> str:
    """How errors name a schema: its title, else `$id`, else its top-level keys.

    >>> schema_label({"title": "Invoice", "type": "object"})
    "'Invoice'"
    >>> schema_label({"type": "object", "properties": {"a": {}, "b": {}}})
    'with properties [a, b]'
    """
    for key in ("title", "$id", "id"):
        if isinstance(schema.get(key), str):
            return repr(schema[key])
    return f"with properties [{', '.join(schema.get('properties', {}))}]"


def canonical_schema_json(schema: dict) -> str:
    """Cache key of a schema: compact JSON that KEEPS key order (property order is part of
    the grammar, so two schemas differing only in order must not share a grammar).

    >>> canonical_schema_json({"b": 1, "a": [1, 2]})
    '{"b":1,"a":[1,2]}'
    """
    return json.dumps(schema, ensure_ascii=False, separators=(",", ":"))


def bounded_schema(
    schema: dict,
    max_items: int = DEFAULT_MAX_ITEMS,
    max_string_chars: int = DEFAULT_MAX_STRING_CHARS,
) -> dict:
    """A copy of `schema` rewritten for decoding (see the module docstring), with the exact
    output format set in its top-level `x-guidance`.

    >>> s = bounded_schema({"type": "object", "properties": {
    ...     "at": {"type": "string", "format": "date-time"},
    ...     "tags": {"type": "array", "items": {"type": "string"}}}}, max_items=5)
    >>> s["properties"]["tags"]["maxItems"], s["properties"]["tags"]["items"]["maxLength"]
    (5, 1000)
    >>> "format" in s["properties"]["at"], s["additionalProperties"]
    (False, False)
    >>> s["x-guidance"]["item_separator"]
    ', '
    """
    out = _bound(copy.deepcopy(schema), max_items, max_string_chars)
    out.pop("$schema", None)
    out["x-guidance"] = dict(OUTPUT_FORMAT)
    return out


def _bound(node: Any, max_items: int, max_string_chars: int) -> Any:
    if not isinstance(node, dict):
        return node
    for key in _SCHEMA_MAPS:
        if isinstance(node.get(key), dict):
            node[key] = {k: _bound(v, max_items, max_string_chars) for k, v in node[key].items()}
    for key in _SCHEMA_LISTS:
        if isinstance(node.get(key), list):
            node[key] = [_bound(v, max_items, max_string_chars) for v in node[key]]
    for key in _SCHEMA_VALUES:
        if isinstance(node.get(key), dict):
            node[key] = _bound(node[key], max_items, max_string_chars)
    types = node.get("type")
    types = set(types) if isinstance(types, list) else {types}
    if node.get("format") in FORMAT_PATTERNS and "pattern" not in node:
        node["pattern"] = FORMAT_PATTERNS[node.pop("format")]
    if "properties" in node and "additionalProperties" not in node:
        # A required key that `properties` does not list is still allowed, with any value:
        # closing the object without it would make the schema unsatisfiable.
        for key in node.get("required", []):
            listed = key in node["properties"] or _pattern_covers(node, key)
            if isinstance(key, str) and not listed:
                node["properties"] = {**node["properties"], key: {}}
        node["additionalProperties"] = False
    if "array" in types and "maxItems" not in node:
        node["maxItems"] = max(max_items, node.get("minItems", 0))
    fixed_length = (
        node.get("format") in FIXED_LENGTH_FORMATS
        or node.get("pattern") in FORMAT_PATTERNS.values()
    )
    if (
        "string" in types
        and not fixed_length
        and not any(k in node for k in ("maxLength", "enum", "const"))
    ):
        node["maxLength"] = max(max_string_chars, node.get("minLength", 0))
    if types & {"number", "integer"} and not any(k in node for k in ("enum", "const")):
        if "minimum" not in node and "exclusiveMinimum" not in node:
            node["minimum"] = -NUMBER_LIMIT
        if "maximum" not in node and "exclusiveMaximum" not in node:
            node["maximum"] = NUMBER_LIMIT
        if "number" in types and "multipleOf" not in node:
            node["multipleOf"] = NUMBER_STEP
    return node


def _pattern_covers(node: dict, key: str) -> bool:
    for pattern in node.get("patternProperties") or {}:
        try:
            if re.search(pattern, key):
                return True
        except re.error:
            continue
    return False


def grammar_text(schema: dict, **bounds: int) -> str:
    """The llguidance grammar (Lark with an embedded `%json` schema) for one schema.

    >>> print(grammar_text({"type": "object"}).splitlines()[0])
    start: " "? answer
    """
    body = json.dumps(bounded_schema(schema, **bounds), ensure_ascii=False)
    return f'start: " "? answer\nanswer: %json {body}\n'


@dataclass(frozen=True)
class CompiledGrammar:
    """A schema compiled against one tokenizer: copy `matcher` for each generation."""

    schema_label: str
    grammar: str
    matcher: Any
    """A fresh `llguidance.LLMatcher`; never advance it, `deep_copy()` it."""
    compile_s: float
    """Seconds spent building the matcher (lexer and token trie work)."""
    relaxations: tuple[Any, ...] = ()
    """What the grammar leaves out of the schema (`schema_check.Relaxation`: pointer, keyword,
    action); empty when the schema compiled as it is."""

    def new_matcher(self) -> Any:
        return self.matcher.deep_copy()


_lock = threading.Lock()
_tokenizers: dict[int, tuple[Any, Any]] = {}
_compiled: dict[tuple[int, str, int, int], CompiledGrammar | GrammarError] = {}


def llg_tokenizer(hf_tokenizer: Any) -> Any:
    """The llguidance tokenizer for a transformers fast tokenizer (built once, ~1 s)."""
    key = id(hf_tokenizer)
    with _lock:
        cached = _tokenizers.get(key)
        if cached is not None and cached[0] is hf_tokenizer:
            return cached[1]
    from llguidance import LLTokenizer

    backend = getattr(hf_tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise SlmbenchError(
            f"constrained decoding needs a fast tokenizer, not {type(hf_tokenizer).__name__}"
        )
    backend = copy.copy(backend)
    backend.no_padding()
    backend.no_truncation()
    spec = byte_level_spec(json.loads(backend.to_str()))
    built = LLTokenizer(json.dumps(spec), eos_token=hf_tokenizer.eos_token_id)
    with _lock:
        # The tokenizer object is kept alive with its entry so that its id cannot be reused.
        _tokenizers[key] = (hf_tokenizer, built)
    return built


def byte_level_spec(spec: dict) -> dict:
    """A tokenizer.json spec as llguidance must read it to map tokens to bytes.

    transformers 5.17 converts SmolLM2's GGUF into a byte-level BPE that ALSO claims
    `byte_fallback` and decodes through `ByteFallback` + `▁` replacement before `ByteLevel`
    (encoding is unchanged). llguidance then reads the vocabulary as SentencePiece pieces, so
    `Ġ` is not a space and the masks go wrong (the grammar forces " " and the mask offers
    ":"). A byte-level BPE is given back its plain `ByteLevel` decoder and no byte fallback.

    >>> byte_level = {"type": "ByteLevel", "add_prefix_space": True}
    >>> gpu = {"model": {"type": "BPE", "byte_fallback": True}, "decoder": {"type": "Sequence",
    ...     "decoders": [{"type": "ByteFallback"}, byte_level]}}
    >>> fixed = byte_level_spec(gpu)
    >>> fixed["model"]["byte_fallback"], fixed["decoder"]
    (False, {'type': 'ByteLevel', 'add_prefix_space': True})
    >>> sentencepiece = {"model": {"type": "BPE", "byte_fallback": True},
    ...                  "decoder": {"type": "Sequence", "decoders": [{"type": "ByteFallback"}]}}
    >>> byte_level_spec(sentencepiece) == sentencepiece
    True
    """
    decoder = spec.get("decoder") or {}
    parts = decoder.get("decoders", []) if decoder.get("type") == "Sequence" else [decoder]
    byte_level = [d for d in parts if isinstance(d, dict) and d.get("type") == "ByteLevel"]
    model = spec.get("model") or {}
    if not byte_level or model.get("type") != "BPE":
        return spec
    fixed = {**spec, "decoder": byte_level[0]}
    fixed["model"] = {**model, "byte_fallback": False}
    return fixed


def compile_schema(
    schema: dict,
    hf_tokenizer: Any,
    max_items: int = DEFAULT_MAX_ITEMS,
    max_string_chars: int = DEFAULT_MAX_STRING_CHARS,
) -> CompiledGrammar:
    """Compile a schema for a tokenizer, once per (tokenizer, schema, bounds), relaxed when it
    does not compile as it is (see the module docstring); raises `GrammarError` (also cached)
    when the engine cannot handle even the relaxed schema."""
    from llguidance import LLMatcher

    from slmbench.constrain.schema_check import grammar_schema

    tokenizer = llg_tokenizer(hf_tokenizer)
    bounds = {"max_items": max_items, "max_string_chars": max_string_chars}
    key = (id(hf_tokenizer), canonical_schema_json(schema), max_items, max_string_chars)
    with _lock:
        cached = _compiled.get(key)
    if cached is None:
        start = time.perf_counter()
        try:
            compiled_schema, relaxations = grammar_schema(schema, **bounds)
            grammar = grammar_text(compiled_schema, **bounds)
        except (TypeError, ValueError) as e:
            cached = GrammarError(schema, f"not serialisable as JSON ({e})")
        else:
            is_error, messages = LLMatcher.validate_grammar_with_warnings(grammar, tokenizer)
            if is_error:
                cached = GrammarError(schema, _reason(messages))
            else:
                matcher = LLMatcher(tokenizer, grammar, log_level=0)
                if matcher.is_error():
                    cached = GrammarError(schema, _reason([matcher.get_error()]))
                else:
                    elapsed = time.perf_counter() - start
                    cached = CompiledGrammar(
                        schema_label(schema), grammar, matcher, elapsed, tuple(relaxations)
                    )
        with _lock:
            _compiled[key] = cached
    if isinstance(cached, GrammarError):
        raise cached
    return cached


def _reason(messages: list[str]) -> str:
    """The engine's error on one line, without its grammar listing, e.g.
    `Unimplemented keys: ["not"]`.

    >>> _reason(['at 2(9): failed to compile JSON schema: Unknown format: phone\\n'
    ...          '   1 | start: " "? answer\\n   2 | answer: %json {}'])
    'Unknown format: phone'
    >>> _reason(['regex parse error:\\n    (?=a)b\\n    ^^^\\nerror: look-around'])
    'regex parse error: (?=a)b ^^^ error: look-around'
    """
    text = "\n".join(messages)
    text = re.split(r"\n\s*1 \| ", text, maxsplit=1)[0]
    text = re.sub(r"^at \d+\(\d+\): (failed to compile JSON schema: )?", "", text)
    text = " ".join(line.strip() for line in text.splitlines() if line.strip())
    return text or "unknown engine error"


def clear_cache() -> None:
    """Forget compiled grammars (benchmarks measuring cold compile times)."""
    with _lock:
        _compiled.clear()
