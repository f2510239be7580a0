"""The one place where prompts and answers are formatted, for training and evaluation alike.

Styles:
- `paper`: the original harness's plain prompt, no chat template (comparable with its numbers);
- `chat`: the model's chat template around an instruction and the text;
- `chat-schema`: as `chat`, plus the target schema in a compact form.

Answers are `json.dumps(gold, ensure_ascii=False)` with the default `", "` / `": "`
separators: the exact text a fine-tuned model learns to write, and that any decoding grammar
must describe.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

PROMPT_STYLES = ("paper", "chat", "chat-schema")
DEFAULT_STYLE = "chat"
INSTRUCTION = "Extract the structured JSON data from the following text."
PAPER_TEMPLATE = INSTRUCTION + "\n\nInput: {text}\n\nOutput:"


class ChatTokenizer(Protocol):
    def apply_chat_template(self, conversation: list[dict], **kwargs: Any) -> Any: ...


def format_answer(gold: Any) -> str:
    """The target text for a gold object (without the end-of-sequence token).

    >>> format_answer({"name": "Zoë", "tags": ["a", "b"], "n": 1.5})
    '{"name": "Zoë", "tags": ["a", "b"], "n": 1.5}'
    """
    return json.dumps(gold, ensure_ascii=False)


def compact_schema(schema: dict) -> str:
    """A short, model-friendly rendering of a JSON Schema: keys, types, required (`*`).

    >>> compact_schema({"type": "object", "required": ["id"], "properties": {
    ...     "id": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}},
    ...     "level": {"enum": ["low", "high"]},
    ...     "items": {"type": "array", "items": {"type": "object", "required": ["q"],
    ...               "properties": {"q": {"type": "integer"}}}}}})
    '{id*: string, tags: [string], level: "low"|"high", items: [{q*: integer}]}'
    """
    return _compact(schema)


def _compact(node: dict) -> str:
    if "enum" in node:
        return "|".join(json.dumps(v, ensure_ascii=False) for v in node["enum"])
    kind = node.get("type", "any")
    if isinstance(kind, list):
        return "|".join(_compact({**node, "type": k}) for k in kind)
    if kind == "object":
        required = set(node.get("required", []))
        parts = [
            f"{key}{'*' if key in required else ''}: {_compact(sub)}"
            for key, sub in node.get("properties", {}).items()
        ]
        return "{" + ", ".join(parts) + "}"
    if kind == "array":
        return f"[{_compact(node.get('items', {}))}]"
    if kind == "string" and "format" in node:
        return node["format"]
    return str(kind)


def user_message(text: str, schema: dict | None = None) -> str:
    """The user turn of the chat styles; with a schema for `chat-schema`."""
    message = f"{INSTRUCTION}\n\n{text}"
    if schema is not None:
        message += f"\n\nJSON schema (* = required): {compact_schema(schema)}"
    return message


def build_prompt(
    text: str,
    style: str,
    tokenizer: ChatTokenizer | None = None,
    schema: dict | None = None,
) -> str:
    """The full prompt string a model sees, ending where its answer begins.

    >>> print(build_prompt("Name: Ada", "paper"))
    Extract the structured JSON data from the following text.
    <BLANKLINE>
    Input: Name: Ada
    <BLANKLINE>
    Output:
    """
    if style == "paper":
        return PAPER_TEMPLATE.format(text=text)
    messages = build_messages(text, style, schema)
    if tokenizer is None:
        raise ValueError(f"prompt style {style!r} needs a tokenizer with a chat template")
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def build_messages(text: str, style: str, schema: dict | None = None) -> list[dict] | None:
    """The chat messages of a chat style (None for `paper`), for backends that apply the
    chat template themselves (OpenAI-compatible servers).

    >>> build_messages("Name: Ada", "chat")[0]["role"]
    'user'
    """
    if style not in PROMPT_STYLES:
        raise ValueError(f"unknown prompt style {style!r} (known: {', '.join(PROMPT_STYLES)})")
    if style == "paper":
        return None
    if style == "chat-schema" and schema is None:
        raise ValueError("prompt style 'chat-schema' needs the row's schema")
    content = user_message(text, schema if style == "chat-schema" else None)
    return [{"role": "user", "content": content}]


def request_prompt(
    text: str, style: str, tokenizer: Any, schema: dict | None = None
) -> tuple[str, list[dict] | None]:
    """(prompt, messages) of one generation request. With a tokenizer (or the `paper` style) the
    prompt is the fully formatted text; without one, chat styles go to the backend as messages
    and the prompt is the user message alone (what servers that template themselves get).

    >>> prompt, messages = request_prompt("Name: Ada", "chat", None)
    >>> prompt == messages[-1]["content"] == user_message("Name: Ada")
    True
    """
    messages = build_messages(text, style, schema)
    if style == "paper" or tokenizer is not None:
        return build_prompt(text, style, tokenizer, schema), messages
    return messages[-1]["content"], messages


def answer_prefix(style: str) -> str:
    """Text between the prompt and the JSON: the paper prompt ends in `Output:` without a space."""
    return " " if style == "paper" else ""


def build_training_text(
    text: str,
    gold: Any,
    style: str,
    eos_token: str,
    tokenizer: ChatTokenizer | None = None,
    schema: dict | None = None,
) -> tuple[str, str]:
    """(prompt, completion) for supervised training: the loss covers the completion only,
    which ends with the end-of-sequence token so that the model learns to stop.

    >>> build_training_text("Name: Ada", {"name": "Ada"}, "paper", "<eos>")[1]
    ' {"name": "Ada"}<eos>'
    """
    prompt = build_prompt(text, style, tokenizer, schema)
    return prompt, answer_prefix(style) + format_answer(gold) + eos_token


def prompt_add_special_tokens(tokenizer: Any, prompt: str) -> bool:
    """Whether tokenising `prompt` should add the tokenizer's special tokens: chat-templated
    prompts already start with the BOS text; plain prompts get the tokenizer's usual ones.
    Training and every backend use this rule, so a model sees the same prompt ids in both."""
    bos = getattr(tokenizer, "bos_token", None)
    return not (bos and prompt.startswith(bos))
