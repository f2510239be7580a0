"""The one place where prompts and answers are formatted, for training and evaluation alike.

Styles:
- `paper`: the original harness's plain prompt, no chat template (comparable with its numbers);
- `chat`: the model's chat template around an instruction and the text;
- `chat-schema`: as `chat`, plus the target schema in a compact form.

Each task (`slmbench.tasks`) has its instruction (`TASK_INSTRUCTIONS`); the styles are the
same for all. EdgeIntent's `chat-schema` prompt lists the labels (the schema's enum, zero-shot);
its `chat` prompt does not (a fine-tuned model knows them). EdgeFuncCall's prompts list the
offered tools in every style (`TOOL_TASKS`, `compact_tools`).

A model without a chat template (a pretrained base model) takes the `paper` style; the chat
styles need one. Gemma 3 270M's GGUF is the base model and has none: its converted tokenizer gets
`GEMMA_CHAT_TEMPLATE`, the turn format of the instruction-tuned Gemma 3 models, so that a
fine-tune of it sees the same prompts as the other models (experiments/gemma3-270m/NOTES.md).

Answers are `json.dumps(gold, ensure_ascii=False)` with the default `", "` / `": "`
separators: the exact text a fine-tuned model learns to write, and that any decoding grammar
must describe.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from slmbench.errors import SlmbenchError
from slmbench.results_contract import DEFAULT_TASK

PROMPT_STYLES = ("paper", "chat", "chat-schema")
DEFAULT_STYLE = "chat"
INSTRUCTION = "Extract the structured JSON data from the following text."
PAPER_TEMPLATE = INSTRUCTION + "\n\nInput: {text}\n\nOutput:"
TASK_INSTRUCTIONS = {
    "edgejson": INSTRUCTION,
    "edgeintent": (
        "Classify the intent of this online-banking customer query. "
        'Answer with JSON: {"intent": "<label>"}.'
    ),
    "edgefunccall": (
        "Call the functions that answer the request, as a JSON list of "
        '{"name": ..., "arguments": {...}} objects; [] when no function fits.'
    ),
}
"""The instruction that opens every prompt of a task (EdgeJSON's is the original harness's)."""
TOOL_TASKS = ("edgefunccall",)
"""Tasks whose every prompt, in every style, lists the offered tools (`compact_tools`, read
from the row's output schema): a request means nothing without them."""
GEMMA_CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{%- if messages[0]['role'] == 'system' -%}"
    "{%- set first_user_prefix = messages[0]['content'] + '\n\n' -%}"
    "{%- set loop_messages = messages[1:] -%}"
    "{%- else -%}"
    "{%- set first_user_prefix = '' -%}"
    "{%- set loop_messages = messages -%}"
    "{%- endif -%}"
    "{%- for message in loop_messages -%}"
    "{%- set role = 'model' if message['role'] == 'assistant' else message['role'] -%}"
    "{{ '<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else '') }}"
    "{{ message['content'] | trim }}"
    "{{ '<end_of_turn>\n' }}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<start_of_turn>model\n' }}{%- endif -%}"
)
"""Gemma 3's chat format for text turns (the instruction-tuned models' template without its
image branch): `<bos><start_of_turn>user\n...<end_of_turn>\n<start_of_turn>model\n`."""
GEMMA_END_OF_TURN = "<end_of_turn>"
"""The token that ends a turn in Gemma's format: the EOS its fine-tunes learn to write."""


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


def compact_tools(schema: dict) -> str:
    """The tools of a function-calling row's output schema (`slmbench.data.bfcl.calls_schema`),
    one line per tool and one per parameter (`*` = required, enums as `"a"|"b"`, defaults).

    >>> print(compact_tools({"type": "array", "items": {"type": "object",
    ...     "description": "Get the weather.", "properties": {"name": {"const": "weather"},
    ...     "arguments": {"type": "object", "required": ["city"], "properties": {
    ...         "city": {"type": "string", "description": "City name."},
    ...         "unit": {"enum": ["c", "f"], "default": "c"}}}}}}))
    - weather: Get the weather.
      city*: string - City name.
      unit: "c"|"f" = "c"
    """
    items = schema.get("items") or {}
    lines = []
    for branch in items.get("anyOf", [items] if items else []):
        properties = branch.get("properties", {})
        name = properties.get("name", {}).get("const", "?")
        description = " ".join(str(branch.get("description", "")).split())
        lines.append(f"- {name}: {description}" if description else f"- {name}")
        arguments = properties.get("arguments", {})
        required = set(arguments.get("required", []))
        for param, sub in arguments.get("properties", {}).items():
            line = f"  {param}{'*' if param in required else ''}: {_compact(sub)}"
            if "default" in sub:
                line += f" = {json.dumps(sub['default'], ensure_ascii=False)}"
            about = " ".join(str(sub.get("description", "")).split())
            lines.append(f"{line} - {about}" if about else line)
    return "\n".join(lines) or "(no functions)"


def with_tools(text: str, schema: dict | None, task: str) -> str:
    """The text of a request, followed by its tools for the tasks that need them."""
    if task not in TOOL_TASKS:
        return text
    if schema is None:
        raise ValueError(f"task {task!r} needs the row's schema (its tools) in every prompt")
    return f"{text}\n\nFunctions (* = required):\n{compact_tools(schema)}"


def instruction(task: str = DEFAULT_TASK) -> str:
    """The instruction of a task's prompts.

    >>> instruction() == INSTRUCTION
    True
    >>> instruction("nope")
    Traceback (most recent call last):
    ...
    ValueError: no instruction for task 'nope' (known: edgejson, edgeintent, edgefunccall)
    """
    try:
        return TASK_INSTRUCTIONS[task]
    except KeyError:
        known = ", ".join(TASK_INSTRUCTIONS)
        raise ValueError(f"no instruction for task {task!r} (known: {known})") from None


def user_message(text: str, schema: dict | None = None, task: str = DEFAULT_TASK) -> str:
    """The user turn of the chat styles; with a schema for `chat-schema`.

    >>> schema = {"type": "object", "required": ["intent"],
    ...           "properties": {"intent": {"enum": ["card_arrival", "pin_blocked"]}}}
    >>> message = user_message("Where is my card?", schema, task="edgeintent")
    >>> message.startswith(TASK_INSTRUCTIONS["edgeintent"])
    True
    >>> print(message.removeprefix(TASK_INSTRUCTIONS["edgeintent"]).strip())
    Where is my card?
    <BLANKLINE>
    JSON schema (* = required): {intent*: "card_arrival"|"pin_blocked"}
    """
    message = f"{instruction(task)}\n\n{with_tools(text, schema, task)}"
    if schema is not None and task not in TOOL_TASKS:
        message += f"\n\nJSON schema (* = required): {compact_schema(schema)}"
    return message


def build_prompt(
    text: str,
    style: str,
    tokenizer: ChatTokenizer | None = None,
    schema: dict | None = None,
    task: str = DEFAULT_TASK,
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
        return f"{instruction(task)}\n\nInput: {with_tools(text, schema, task)}\n\nOutput:"
    messages = build_messages(text, style, schema, task)
    if tokenizer is None:
        raise ValueError(f"prompt style {style!r} needs a tokenizer with a chat template")
    if hasattr(tokenizer, "chat_template") and not tokenizer.chat_template:
        name = getattr(tokenizer, "name_or_path", "") or "this model"
        raise SlmbenchError(
            f"prompt style {style!r} needs a chat template and the tokenizer of {name} has "
            "none (a pretrained base model?): use --prompt-style paper"
        )
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def build_messages(
    text: str, style: str, schema: dict | None = None, task: str = DEFAULT_TASK
) -> list[dict] | None:
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
    shown = schema if style == "chat-schema" or task in TOOL_TASKS else None
    content = user_message(text, shown, task)
    return [{"role": "user", "content": content}]


def request_prompt(
    text: str, style: str, tokenizer: Any, schema: dict | None = None, task: str = DEFAULT_TASK
) -> tuple[str, list[dict] | None]:
    """(prompt, messages) of one generation request. With a tokenizer (or the `paper` style) the
    prompt is the fully formatted text; without one, chat styles go to the backend as messages
    and the prompt is the user message alone (what servers that template themselves get).

    >>> prompt, messages = request_prompt("Name: Ada", "chat", None)
    >>> prompt == messages[-1]["content"] == user_message("Name: Ada")
    True
    """
    messages = build_messages(text, style, schema, task)
    if style == "paper" or tokenizer is not None:
        return build_prompt(text, style, tokenizer, schema, task), messages
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
    task: str = DEFAULT_TASK,
) -> tuple[str, str]:
    """(prompt, completion) for supervised training: the loss covers the completion only,
    which ends with the end-of-sequence token so that the model learns to stop.

    >>> build_training_text("Name: Ada", {"name": "Ada"}, "paper", "<eos>")[1]
    ' {"name": "Ada"}<eos>'
    """
    prompt = build_prompt(text, style, tokenizer, schema, task)
    return prompt, answer_prefix(style) + format_answer(gold) + eos_token


def prompt_add_special_tokens(tokenizer: Any, prompt: str) -> bool:
    """Whether tokenising `prompt` should add the tokenizer's special tokens: chat-templated
    prompts already start with the BOS text; plain prompts get the tokenizer's usual ones.
    Training and every backend use this rule, so a model sees the same prompt ids in both."""
    bos = getattr(tokenizer, "bos_token", None)
    return not (bos and prompt.startswith(bos))


TEACHER_INSTRUCTION = (
    "You label documents to train a small extraction model. Read the document and answer with "
    "the one JSON object that follows this JSON Schema and holds what the document states. "
    "Leave out optional fields the document does not state. Write each value as the schema "
    "asks (dates as YYYY-MM-DD, numbers as JSON numbers, codes as their codes), and copy "
    "names, identifiers and other text exactly as the document writes them."
)
"""`slmbench data synth --texts ... --teacher-url` (`slmbench.teacher`): a large model labels a
user's unlabelled texts under the full schema, decoding constrained by it."""


def teacher_messages(text: str, schema: dict) -> list[dict]:
    """The chat messages a teacher model labels `text` from.

    >>> [m["role"] for m in teacher_messages("Ada, 36", {"type": "object"})]
    ['system', 'user']
    """
    system = f"{TEACHER_INSTRUCTION}\n\nJSON Schema:\n{json.dumps(schema, ensure_ascii=False)}"
    return [{"role": "system", "content": system}, {"role": "user", "content": text}]
