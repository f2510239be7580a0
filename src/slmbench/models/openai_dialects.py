"""How OpenAI-compatible servers take a JSON Schema to decode under (`--server-dialect`).

- `openai`: `response_format: {"type": "json_schema", "json_schema": {name, schema, strict}}`,
  the OpenAI API's own; also llama.cpp's C++ `llama-server`, vLLM and Ollama.
- `llama-cpp-python`: its `python -m llama_cpp.server` rejects that (HTTP 500 naming
  `response_format`) and takes `{"type": "json_object", "schema": ...}` on chat completions, or
  a GBNF `grammar` on both endpoints. Where llama-cpp-python is installed here too, the grammar
  sent is the llamacpp backend's for the same schema (`schema_gbnf`), so that a served and a
  local run of one GGUF decode alike; else chat requests send the schema. Its sampler also
  applies `repeat_penalty` (default 1.1) at temperature 0, so greedy requests in this dialect
  send `repeat_penalty: 1.0`.
- `vllm`: vLLM's extra body field `guided_json`.

`auto` sends one short probe per dialect, in the order of `DIALECTS`, until the server's
answer follows the probe schema (`probe_result`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from slmbench.errors import SlmbenchError
from slmbench.jsontext import json_value_end

DIALECTS = ("openai", "llama-cpp-python", "vllm")
"""The dialects, in the order `auto` tries them."""
SERVER_DIALECT_CHOICES = ("auto", *DIALECTS)
SERVER_DIALECT_HELP = (
    "how the server takes a JSON Schema (openai backend): openai `response_format` json_schema "
    "(OpenAI, vLLM, llama-server, Ollama), llama-cpp-python `json_object` + schema, vllm "
    "`guided_json`; auto (default) probes the server once and records what worked"
)
SCHEMA_NAME = "row"
PROBE_SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string", "enum": ["yes"]}},
    "required": ["answer"],
    "additionalProperties": False,
}
PROBE_EXPECTED = {"answer": "yes"}
PROBE_TEXT = "Answer yes, as a JSON object."
PROBE_MAX_TOKENS = 64  # the probe's JSON is ~8 tokens; a grammar allows some whitespace
# Words of an error answer that say the constraint fields were refused (so the next dialect may
# work), as opposed to a wrong model name, a missing key or an overloaded server.
CONSTRAINT_WORDS = re.compile(r"response_format|json_schema|json_object|guided_json|grammar")


def check_dialect(dialect: str | None) -> str:
    """A known `--server-dialect` value (None: auto).

    >>> check_dialect(None), check_dialect("vllm")
    ('auto', 'vllm')
    """
    dialect = dialect or "auto"
    if dialect not in SERVER_DIALECT_CHOICES:
        raise SlmbenchError(
            f"unknown server dialect {dialect!r} (known: {', '.join(SERVER_DIALECT_CHOICES)})"
        )
    return dialect


def constraint_fields(dialect: str, schema: dict, chat: bool) -> dict[str, Any]:
    """The request-body fields that make `dialect`'s server decode under `schema`.

    >>> s = {"type": "object"}
    >>> constraint_fields("openai", s, chat=True)["response_format"]["type"]
    'json_schema'
    >>> constraint_fields("vllm", s, chat=False)
    {'guided_json': {'type': 'object'}}
    """
    if dialect == "openai":
        spec = {"name": SCHEMA_NAME, "schema": schema, "strict": True}
        return {"response_format": {"type": "json_schema", "json_schema": spec}}
    if dialect == "llama-cpp-python":
        gbnf = schema_gbnf(schema)
        if gbnf is not None:
            return {"grammar": gbnf}
        if chat:
            # The same bounds as the llamacpp backend's: the server compiles the schema with the
            # same llama.cpp converter (formats as `llama_grammar.FORMAT_PATTERNS`).
            from slmbench.constrain.llama_grammar import grammar_schema

            return {"response_format": {"type": "json_object", "schema": grammar_schema(schema)}}
        raise SlmbenchError(
            "llama-cpp-python's server constrains /v1/completions (the `paper` prompt style) only "
            "with a GBNF grammar, which needs llama-cpp-python installed here: install it, or "
            "use a chat prompt style"
        )
    if dialect == "vllm":
        return {"guided_json": schema}
    raise SlmbenchError(f"unknown server dialect {dialect!r} (known: {', '.join(DIALECTS)})")


def greedy_fields(dialect: str | None) -> dict[str, Any]:
    """Extra fields that make `dialect`'s server decode greedily at temperature 0.

    >>> greedy_fields("llama-cpp-python"), greedy_fields("openai")
    ({'repeat_penalty': 1.0}, {})
    """
    return {"repeat_penalty": 1.0} if dialect == "llama-cpp-python" else {}


def schema_gbnf(schema: dict) -> str | None:
    """The GBNF grammar the llamacpp backend decodes `schema` under (bounded arrays, formats as
    patterns, an optional leading space for `paper` answers; without the schema's own string
    patterns if the converter refuses them), or None where llama-cpp-python is not installed."""
    try:
        import llama_cpp.llama_grammar  # noqa: F401 - only whether the converter is there
    except ImportError:
        return None
    from slmbench.constrain.llama_grammar import schema_gbnf as to_gbnf

    try:
        return to_gbnf(schema)
    except Exception:  # noqa: BLE001 - as the llamacpp backend: retry without patterns
        return to_gbnf(schema, keep_patterns=False)


def names_constraint(answer: str) -> bool:
    """Whether a server's error answer is about the constraint fields.

    >>> names_constraint("'loc': ('body', 'response_format', 'type')")
    True
    >>> names_constraint("model 'x' not found")
    False
    """
    return CONSTRAINT_WORDS.search(answer) is not None


def probe_result(text: str) -> str | None:
    """None when a probe's answer follows `PROBE_SCHEMA`, else why not (for the error).

    >>> probe_result(' { "answer": "yes" }') is None
    True
    >>> probe_result("Sure! Here it is")
    "answered without following the schema: 'Sure! Here it is'"
    """
    start = text.find("{")
    end = json_value_end(text[start:]) if start >= 0 else None
    if end is not None:
        try:
            if json.loads(text[start : start + end]) == PROBE_EXPECTED:
                return None
        except json.JSONDecodeError:
            pass
    return f"answered without following the schema: {one_line(text, 80)!r}"


def one_line(text: str, limit: int = 300) -> str:
    """A server's answer on one line, cut to `limit` characters.

    >>> one_line('{"error":\\n  "bad"}', 12)
    '{"error": "b...'
    """
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "..."
