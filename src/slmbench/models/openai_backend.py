"""The OpenAI-compatible HTTP backend (vLLM, llama.cpp server, Ollama): streamed greedy
completions over the standard library's HTTP client, timed from the client's side."""

from __future__ import annotations

import http.client
import json
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from slmbench.errors import SlmbenchError
from slmbench.models.base import Generation, GenerationRequest, constrained_mode
from slmbench.models.stopping import JsonWatcher


class OpenAIBackend:
    """Completions from a running OpenAI-compatible server. Prompts without chat messages
    (`paper` style) go to `/v1/completions`; chat styles send `request.messages` to
    `/v1/chat/completions`, and the server applies its own chat template."""

    name = "openai"
    tokenizer = None

    def __init__(
        self,
        model: str | Path | None,
        adapter: str | Path | None = None,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout_s: float = 300.0,
        constrained: str | None = None,
        concurrency: int = 1,
    ) -> None:
        if adapter is not None:
            raise SlmbenchError(
                "the openai backend cannot apply an adapter: serve the merged model instead"
            )
        if not model:
            raise SlmbenchError("the openai backend needs --model (the server's model name)")
        if not base_url:
            raise SlmbenchError("the openai backend needs --base-url (e.g. http://127.0.0.1:8000)")
        constrained = constrained_mode(constrained)
        self.model = str(model)
        self.base_url = base_url.rstrip("/")
        parsed = urllib.parse.urlsplit(self.base_url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise SlmbenchError(f"--base-url {base_url!r} is not an http(s) URL")
        self._scheme, self._host, self._port = parsed.scheme, parsed.hostname, parsed.port
        path = parsed.path.rstrip("/")
        self._api_path = path if path.endswith("/v1") else f"{path}/v1"
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.constrained = None if constrained == "off" else constrained
        self.concurrency = max(1, concurrency)

    def endpoint_url(self, chat: bool) -> str:
        """The full URL a request goes to.

        >>> OpenAIBackend("m", base_url="http://h:8000/v1").endpoint_url(chat=True)
        'http://h:8000/v1/chat/completions'
        >>> OpenAIBackend("m", base_url="http://h:8000").endpoint_url(chat=False)
        'http://h:8000/v1/completions'
        """
        netloc = self._host if self._port is None else f"{self._host}:{self._port}"
        return f"{self._scheme}://{netloc}{self._endpoint_path(chat)}"

    def _endpoint_path(self, chat: bool) -> str:
        return f"{self._api_path}/{'chat/completions' if chat else 'completions'}"

    # --- generation ------------------------------------------------------------------------

    def generate(self, requests: list[GenerationRequest]) -> list[Generation]:
        """One streamed request per prompt (`concurrency` at a time, in order of results)."""
        if self.concurrency == 1 or len(requests) < 2:
            return [self._generate_one(r) for r in requests]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(requests))) as pool:
            return list(pool.map(self._generate_one, requests))

    def warmup(self) -> None:
        """One short request: fails early, with the URL, if the server is not there."""
        self.generate([GenerationRequest("Hello", max_new_tokens=2, stop_at_json=False)])

    def request_body(self, request: GenerationRequest, constrain: bool) -> dict[str, Any]:
        """The JSON body sent for `request` (greedy, streamed, usage requested).

        >>> b = OpenAIBackend("m", base_url="http://h")
        >>> body = b.request_body(GenerationRequest("Input: x", 8), constrain=False)
        >>> body["prompt"], body["temperature"], body["max_tokens"], "messages" in body
        ('Input: x', 0, 8, False)
        """
        body: dict[str, Any] = {
            "model": self.model,
            "temperature": 0,
            "max_tokens": request.max_new_tokens,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if request.messages is not None:
            body["messages"] = request.messages
        else:
            body["prompt"] = request.prompt
        if constrain:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "row", "schema": request.schema},
            }
        return body

    def _generate_one(self, request: GenerationRequest) -> Generation:
        if request.max_new_tokens < 1:
            raise SlmbenchError(f"max_new_tokens must be at least 1, got {request.max_new_tokens}")
        constrain = self.constrained is not None and request.schema is not None
        try:
            generation = self._stream(request, constrain)
        except _Rejected as e:
            if not (constrain and self.constrained == "lenient"):
                raise SlmbenchError(str(e)) from None
            generation = self._stream(request, constrain=False)
            generation.meta["constrained"] = "fallback"
            generation.meta["fallback_reason"] = str(e)
            return generation
        generation.meta["constrained"] = "on" if constrain else "off"
        return generation

    def _connection(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
        return cls(self._host, self._port, timeout=self.timeout_s)

    def _stream(self, request: GenerationRequest, constrain: bool) -> Generation:
        chat = request.messages is not None
        url = self.endpoint_url(chat)
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        body = json.dumps(self.request_body(request, constrain)).encode("utf-8")
        connection = self._connection()
        start = time.perf_counter()
        try:
            connection.request("POST", self._endpoint_path(chat), body=body, headers=headers)
            response = connection.getresponse()
            if response.status >= 400:
                detail = response.read(2000).decode("utf-8", "replace").strip()
                raise _Rejected(f"{url} answered HTTP {response.status}: {detail}")
            return _read_stream(response, request, chat, start, url)
        except TimeoutError:
            raise SlmbenchError(f"{url} did not answer within {self.timeout_s:g} s") from None
        except (OSError, http.client.HTTPException) as e:
            raise SlmbenchError(
                f"cannot reach the OpenAI-compatible server at {url}: {e}"
            ) from None
        finally:
            connection.close()  # early close also tells the server to stop generating

    # --- facts -----------------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """What the client knows: the model runs elsewhere, so size and hardware are unknown."""
        return {
            "backend": self.name,
            "name": self.model,
            "base_url": self.base_url,
            "adapter": None,
            "params": None,
            "size_on_disk_bytes": None,
            "dtype": None,
            "device": "remote",
            "hardware": f"server at {self.base_url}",
            "threads": None,
            "trained_from": None,
        }


class _Rejected(Exception):
    """The server answered the request with an HTTP error status."""


def _read_stream(
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
    stopped_at_json = False
    for event in iter_sse(response):
        if event == "[DONE]":
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
            "stop": "json" if stopped_at_json else (finish_reason or "closed"),
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
