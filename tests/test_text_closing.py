"""Closing a cut JSON text without the model (`slmbench.constrain.text_closing`): what the openai
backend does to a constrained answer a server cut at its token budget. Every closed text must
validate against the full schema (formats included), keep what it can of the cut text, and
nothing is closed twice."""

from __future__ import annotations

import json

import jsonschema
import pytest

from slmbench.constrain.text_closing import (
    CLOSING_BYTES,
    TextCloser,
    closing_grammar,
)
from slmbench.data.schemas import load_schemas

PERSON = {
    "type": "object",
    "properties": {
        "nickname": {"type": "string"},
        "name": {"type": "string", "minLength": 2},
        "email": {"type": "string", "format": "email"},
        "born": {"type": "string", "format": "date"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "address": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "zip": {"type": "integer"}},
            "required": ["city", "zip"],
        },
        "status": {"enum": ["active", "closed"]},
    },
    "required": ["name", "email", "born", "address", "status"],
}
# A server's answer (llama.cpp's grammar: required properties first, its own spacing), whole.
ANSWER = (
    '{ "name" : "Ada Lovelace" ,"email": "ada@example.org", "born": "1815-12-10",'
    '\n  "address": {"city": "London", "zip": 1815}, "status": "active", "nickname": "A",'
    ' "tags": ["math", "poetry"]}'
)


def validator(schema: dict):
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@pytest.fixture(scope="module", params=["tiny", "bytes"])
def closer(request, tokenizer):
    """With a (tiny) model tokenizer, then with bytes (no tokenizer)."""
    return TextCloser(tokenizer if request.param == "tiny" else None)


def test_every_cut_of_an_answer_closes_to_a_valid_object_that_keeps_the_cut(closer):
    check = validator(PERSON)
    orders = set()
    for cut in range(1, len(ANSWER)):
        text = ANSWER[:cut]
        closed = closer.close(text, PERSON)
        assert closed is not None and closed.complete, text
        value = json.loads(closed.text)
        assert list(check.iter_errors(value)) == [], (text, closed.text)
        assert closed.kept_chars == len(text), (text, closed.text)  # nothing dropped
        assert closed.text == text + closed.added
        orders.add(closed.property_order)
    # The answer writes required properties first: past "nickname"'s place, only llama.cpp's
    # order accepts it.
    assert orders == {"schema", "required-first"}
    whole = closer.close(ANSWER, PERSON)
    assert (whole.text, whole.added, whole.tokens) == (ANSWER, "", 0)


def test_a_text_that_breaks_the_schema_is_kept_up_to_the_break(closer):
    """A server whose grammar ignores `format` may write a bad email: closing keeps the text
    before the break and closes from there, and says how much it dropped."""
    text = '{"name": "Ada", "email": "ada@example.", "born": "1815-12-10", "addr'
    closed = closer.close(text, PERSON)
    assert list(validator(PERSON).iter_errors(json.loads(closed.text))) == []
    assert closed.text.startswith('{"name": "Ada", "email": "ada@example.')
    assert 0 < closed.kept_chars < len(text)
    record = closed.record(text)
    assert record["dropped_chars"] == len(text) - closed.kept_chars > 0


def test_a_text_that_never_follows_the_schema_is_not_closed(closer):
    """Closing completes an answer; it does not write one from nothing."""
    assert closer.close("[1, 2", PERSON) is None
    assert closer.close("  ", PERSON) is None
    assert closer.close(' {"nick', PERSON).text.startswith(' {"nick')  # a start is enough


def test_closing_is_short_and_prefers_closing_tokens(closer):
    closed = closer.close(
        '{"name": "Ada", "email": "a@b.org", "born": "1815-12-10", "addre', PERSON
    )
    assert json.loads(closed.text)["address"] == {"city": "", "zip": 0}
    assert json.loads(closed.text)["status"] in ("active", "closed")
    assert "nickname" not in closed.text and "tags" not in closed.text  # optional: skipped
    # Inside a string that may end, the very next token ends it.
    string = closer.close('{"name": "Ada Love', {"type": "object", "properties": {
        "name": {"type": "string"}}, "required": ["name"]})  # fmt: skip
    assert string.text == '{"name": "Ada Love"}'


def test_the_packaged_schemas_close_from_their_first_characters(closer):
    """Every EdgeJSON schema, cut right after its opening brace and after its first key: the
    longest tails closing must write."""
    schemas = load_schemas(None)
    for info in schemas.values():
        first_key = next(iter(info.schema["properties"]))
        for text in ("{", f'{{"{first_key}": '):
            closed = closer.close(text, info.schema)
            assert closed is not None and closed.complete, (info.schema_id, text)
            assert closed.tokens <= closer.closing_tokens
            errors = list(info.validator().iter_errors(json.loads(closed.text)))
            assert errors == [], (info.schema_id, closed.text, errors[:1])


def test_byte_closing_counts_bytes_within_its_budget():
    closer = TextCloser(None)
    closed = closer.close('{"name": "Ad', PERSON)
    assert (closed.unit, closer.closing_tokens) == ("bytes", CLOSING_BYTES)
    assert closed.tokens == len(closed.added.encode())


def test_closing_grammar_allows_any_whitespace_and_keeps_the_bounds():
    body = json.loads(closing_grammar(PERSON).split("%json ", 1)[1])
    assert body["x-guidance"] == {"whitespace_flexible": True}
    assert body["properties"]["tags"]["maxItems"] == 50  # the transformers grammar's bounds
    assert list(body["properties"])[0] == "nickname"  # schema order unless asked
