"""Reading one streamed (server-sent events) completion of an OpenAI-compatible server into a
timed `Generation`, stopping at the first complete JSON value when asked."""

from __future__ import annotations

import http.client
import json
import time
from typing import Any

from slmbench.errors import SlmbenchError
from slmbench.models.base import Generation, GenerationRequest
from slmbench.models.stopping import JsonWatcher


class InterruptedStream(Exception):
    """The server ended a stream early, as if it were done (the caller retries)."""


class DeadlineReader:
    """`readline` of a response under one deadline for the whole request: each read waits at
    most the time left."""

    def __init__(self, response, connection: http.client.HTTPConnection, deadline: float):
        self.response, self.connection, self.deadline = response, connection, deadline

    def readline(self) -> bytes:
        left = self.deadline - time.perf_counter()
        if left <= 0:
            raise TimeoutError
        if self.connection.sock is not None:
            self.connection.sock.settimeout(left)
        return self.response.readline()


def read_stream(
    response: http.client.HTTPResponse,
    request: GenerationRequest,
    chat: bool,
    start: float,
    url: str,
) -> Generation:
    pieces: list[str] = []
    chunks_with_text = 0
    first_at: float | None = None
    finished_at: float | None = None
    finish_reason: str | None = None
    usage: dict | None = None
    watcher = JsonWatcher() if request.stop_at_json else None
    stopped_at_json = done = False
    for event in iter_sse(response):
        if event == "[DONE]":
            done = True
            break
        try:
            chunk = json.loads(event)
        except json.JSONDecodeError:
            raise SlmbenchError(f"{url} sent an event that is not JSON: {event[:200]}") from None
        if "error" in chunk:
            raise SlmbenchError(f"{url} reported an error: {chunk['error']}")
        usage = chunk.get("usage") or usage
        for choice in chunk.get("choices") or []:
            text = _choice_text(choice, chat)
            if text:
                now = time.perf_counter()
                first_at = first_at or now
                finished_at = now
                pieces.append(text)
                chunks_with_text += 1
                if watcher is not None and watcher.feed(text):
                    stopped_at_json = True
            if choice.get("finish_reason"):
                finish_reason = choice["finish_reason"]
                finished_at = time.perf_counter()
        if stopped_at_json:
            break
    if not (done or stopped_at_json or finish_reason):
        # An OpenAI stream ends with `data: [DONE]`: this one was cut (the caller retries).
        raise ConnectionResetError("the stream ended before its last event")
    if not (stopped_at_json or finish_reason):
        raise InterruptedStream(
            "the stream ended ([DONE]) without a finish_reason, i.e. the server interrupted "
            "it: llama-cpp-python's server does so whenever another request arrives (start it "
            "with --interrupt_requests False, or use --concurrency 1)"
        )
    end = time.perf_counter()
    first_at = first_at or end
    finished_at = finished_at or end
    counted_by_usage = bool(usage and usage.get("completion_tokens") is not None)
    return Generation(
        text="".join(pieces),
        prompt_tokens=int(usage.get("prompt_tokens") or 0) if usage else 0,
        generated_tokens=int(usage["completion_tokens"]) if counted_by_usage else chunks_with_text,
        ttft_s=first_at - start,
        total_s=finished_at - start,
        hit_limit=finish_reason == "length" and not stopped_at_json,
        meta={
            "stop": "json" if stopped_at_json else finish_reason,
            "token_count": "usage" if counted_by_usage else "chunks",
            "prompt_tokens": "usage" if usage and "prompt_tokens" in usage else "unknown",
        },
    )


def _choice_text(choice: dict, chat: bool) -> str:
    if chat:
        return (choice.get("delta") or {}).get("content") or ""
    return choice.get("text") or ""


def iter_sse(response) -> Any:
    """The `data:` payloads of a server-sent-event stream, one per event.

    >>> import io
    >>> list(iter_sse(io.BytesIO(b'data: {"a": 1}\\n\\n: ping\\n\\ndata:[DONE]\\n\\n')))
    ['{"a": 1}', '[DONE]']
    """
    data: list[str] = []
    while True:
        raw = response.readline()
        if not raw:
            break
        line = raw.decode("utf-8").rstrip("\r\n")
        if not line:
            if data:
                yield "\n".join(data)
                data = []
            continue
        if line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    if data:
        yield "\n".join(data)
