"""The OpenAI-compatible HTTP backend (vLLM, llama-server, llama-cpp-python, Ollama): streamed
greedy completions over the standard library's HTTP client, timed from the client's side.

Requests are retried with backoff on connection errors and HTTP 429/503, each under one
deadline (`timeout_s`, connect to last token); `concurrency` of them are in flight at once.
How the server takes a JSON Schema is its dialect (`slmbench.models.openai_dialects`); a
constrained answer the server cut at its budget is closed on the client
(`slmbench.models.openai_closing`)."""

from __future__ import annotations

import contextlib
import http.client
import json
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from slmbench.errors import SlmbenchError
from slmbench.models.base import Generation, GenerationRequest, constrained_mode
from slmbench.models.openai_closing import ServerClosing
from slmbench.models.openai_dialects import (
    DIALECTS,
    PROBE_MAX_TOKENS,
    PROBE_SCHEMA,
    PROBE_TEXT,
    check_dialect,
    constraint_fields,
    greedy_fields,
    names_constraint,
    one_line,
    probe_result,
)
from slmbench.models.openai_stream import DeadlineReader, InterruptedStream, read_stream

DEFAULT_TIMEOUT_S = 300.0
DEFAULT_RETRIES = 4
RETRY_STATUSES = (429, 503)
RETRY_BACKOFF_S = 0.5
"""First wait before a retry; doubled after each failed attempt, up to `RETRY_BACKOFF_CAP_S`."""
RETRY_BACKOFF_CAP_S = 8.0
RETRY_AFTER_CAP_S = 60.0
"""Longest `Retry-After` honoured."""
ERROR_DETAIL_BYTES = 2000


class OpenAIBackend:
    """Completions from a running OpenAI-compatible server. Prompts without chat messages
    (`paper` style) go to `/v1/completions`; chat styles send `request.messages` to
    `/v1/chat/completions`, and the server applies its own chat template."""

    name = "openai"

    def __init__(
        self,
        model: str | Path | None,
        adapter: str | Path | None = None,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        constrained: str | None = None,
        concurrency: int = 1,
        server_dialect: str | None = None,
        retries: int = DEFAULT_RETRIES,
        tokenizer: str | Path | None = None,
    ) -> None:
        """model: the server's model name. base_url: `http://host:port` (with or without
        `/v1`). timeout_s: deadline of one request. concurrency: requests in flight at once.
        server_dialect: `auto` (None) or one of `DIALECTS`. retries: further attempts after a
        connection error or HTTP 429/503. tokenizer: a HF tokenizer (folder, registered name or
        hub id) to count tokens with, so that token budgets equal those of a local run of the
        same model (without one they are estimated from characters), and whose tokens close a
        constrained answer cut at its budget (without one: the model's tokenizer where it is
        known here, else bytes; `slmbench.models.openai_closing`)."""
        if adapter is not None:
            raise SlmbenchError(
                "the openai backend cannot apply an adapter: serve the merged model instead"
            )
        if not model:
            raise SlmbenchError("the openai backend needs --model (the server's model name)")
        if not base_url:
            raise SlmbenchError("the openai backend needs --base-url (e.g. http://127.0.0.1:8000)")
        self.constrained = constrained_mode(constrained)
        self.server_dialect = check_dialect(server_dialect)
        for flag, value, least in (
            ("--timeout-s", timeout_s, 1e-3),
            ("--retries", retries, 0),
            ("--concurrency", concurrency, 1),
        ):
            if value < least:
                raise SlmbenchError(f"{flag} must be at least {least:g}, got {value:g}")
        self.model = str(model)
        self.base_url = base_url.rstrip("/")
        parsed = urllib.parse.urlsplit(self.base_url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise SlmbenchError(f"--base-url {base_url!r} is not an http(s) URL")
        self._scheme, self._host, self._port = parsed.scheme, parsed.hostname, parsed.port
        path = parsed.path.rstrip("/")
        self._api_path = path if path.endswith("/v1") else f"{path}/v1"
        self.api_key = api_key
        self.timeout_s = float(timeout_s)
        self.concurrency = concurrency
        self.retries = retries
        self.backoff_s = RETRY_BACKOFF_S
        self.tokenizer_source = str(tokenizer) if tokenizer else None
        self.tokenizer = _load_tokenizer(tokenizer) if tokenizer else None
        self.closing = ServerClosing(self.model, self.tokenizer, self.tokenizer_source)
        # Per endpoint (True: chat): the dialect used, and how it was chosen.
        self._dialects: dict[bool, str | None] = {}
        self._dialect_sources: dict[bool, str] = {}
        self._lock = threading.Lock()  # held while a dialect is probed
        self._count_lock = threading.Lock()
        self.retried = 0
        self.served_models: list[str] | None = None

    def endpoint_url(self, chat: bool) -> str:
        """The full URL a request goes to.

        >>> OpenAIBackend("m", base_url="http://h:8000/v1").endpoint_url(chat=True)
        'http://h:8000/v1/chat/completions'
        >>> OpenAIBackend("m", base_url="http://h:8000").endpoint_url(chat=False)
        'http://h:8000/v1/completions'
        """
        return self._url(self._endpoint_path(chat))

    def _url(self, path: str) -> str:
        netloc = self._host if self._port is None else f"{self._host}:{self._port}"
        return f"{self._scheme}://{netloc}{path}"

    def _endpoint_path(self, chat: bool) -> str:
        return f"{self._api_path}/{'chat/completions' if chat else 'completions'}"

    # --- generation ------------------------------------------------------------------------

    def generate(self, requests: list[GenerationRequest]) -> list[Generation]:
        """One streamed request per prompt (`concurrency` at a time, in order of results)."""
        for chat in sorted({r.messages is not None for r in requests}):
            self.dialect_for(chat)  # probed once, before any timed request
        if self.concurrency == 1 or len(requests) < 2:
            return [self._generate_one(r) for r in requests]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(requests))) as pool:
            return list(pool.map(self._generate_one, requests))

    def warmup(self) -> None:
        """Fails early, with the URL, if the server is not there: `GET /v1/models` (its answer,
        the served model ids, goes into `info()`)."""
        path = f"{self._api_path}/models"
        answer = self._with_retries(lambda: self._get(path), self._url(path))
        if isinstance(answer, dict):
            ids = [m.get("id") for m in answer.get("data") or [] if isinstance(m, dict)]
            self.served_models = [str(i) for i in ids if i]

    def request_body(
        self, request: GenerationRequest, constrain: bool, dialect: str | None = None
    ) -> dict[str, Any]:
        """The JSON body sent for `request` (greedy, streamed, usage requested), with the
        fields of `dialect` (None: plain OpenAI) for greedy decoding and, if `constrain`, for
        decoding under `request.schema`.

        >>> b = OpenAIBackend("m", base_url="http://h")
        >>> body = b.request_body(GenerationRequest("Input: x", 8), constrain=False)
        >>> body["prompt"], body["temperature"], body["max_tokens"], "messages" in body
        ('Input: x', 0, 8, False)
        """
        chat = request.messages is not None
        body: dict[str, Any] = {
            "model": self.model,
            "temperature": 0,
            "max_tokens": request.max_new_tokens,
            "stream": True,
            "stream_options": {"include_usage": True},
            **greedy_fields(dialect),
        }
        if chat:
            body["messages"] = request.messages
        else:
            body["prompt"] = request.prompt
        if constrain:
            body.update(constraint_fields(dialect or DIALECTS[0], request.schema, chat))
        return body

    def _generate_one(self, request: GenerationRequest) -> Generation:
        if request.max_new_tokens < 1:
            raise SlmbenchError(f"max_new_tokens must be at least 1, got {request.max_new_tokens}")
        dialect = self.dialect_for(request.messages is not None)
        constrain = self.constrained is not None and request.schema is not None
        try:
            generation = self._request(request, constrain, dialect)
        except _Rejected as e:
            if not (constrain and self.constrained == "lenient"):
                raise SlmbenchError(str(e)) from None
            generation = self._request(request, False, dialect)
            generation.meta["constrained"] = "fallback"
            generation.meta["fallback_reason"] = str(e)
            return generation
        generation.meta["constrained"] = "on" if constrain else "off"
        if constrain:
            self.closing.close_if_cut(generation, request)
        return generation

    # --- the server's dialect --------------------------------------------------------------

    def dialect_for(self, chat: bool) -> str | None:
        """The dialect of requests to the chat (or completions) endpoint, probed on first use
        when `auto`; None: plain OpenAI requests (no dialect made the server follow a schema,
        in an unconstrained run)."""
        with self._lock:
            if chat not in self._dialects:
                self._dialects[chat], self._dialect_sources[chat] = self._choose_dialect(chat)
            return self._dialects[chat]

    def _choose_dialect(self, chat: bool) -> tuple[str | None, str]:
        if self.server_dialect != "auto" and self.constrained is None:
            return self.server_dialect, "--server-dialect"
        candidates = DIALECTS if self.server_dialect == "auto" else (self.server_dialect,)
        probe = GenerationRequest(
            PROBE_TEXT,
            PROBE_MAX_TOKENS,
            schema=PROBE_SCHEMA,
            messages=[{"role": "user", "content": PROBE_TEXT}] if chat else None,
        )
        answers = []
        for dialect in candidates:
            try:
                body = self.request_body(probe, True, dialect)
            except SlmbenchError as e:  # a form this client cannot send (no llama-cpp-python)
                if len(candidates) == 1:
                    raise
                answers.append(f"{dialect}: {e}")
                continue
            try:
                generation = self._send(body, probe)
            except _Rejected as e:
                if len(candidates) > 1 and names_constraint(e.answer):
                    answers.append(f"{dialect}: HTTP {e.status}: {one_line(e.answer, 200)}")
                    continue
                raise SlmbenchError(f"{e} (probing the {dialect!r} server dialect)") from None
            why = probe_result(generation.text)
            if why is None:
                source = "probe" if len(candidates) > 1 else "--server-dialect, probed"
                return dialect, source
            answers.append(f"{dialect}: {why}")
        url = self.endpoint_url(chat)
        if self.constrained is None:
            return None, "probe: no dialect followed a schema, plain requests (" + (
                "; ".join(answers) + ")"
            )
        raise SlmbenchError(
            f"{url} did not decode under a JSON Schema in the "
            f"{'dialects' if len(candidates) > 1 else 'dialect'} tried ({'; '.join(answers)}); "
            "pick another --server-dialect or run without --constrained"
        )

    # --- HTTP ------------------------------------------------------------------------------

    def _request(self, request: GenerationRequest, constrain: bool, dialect: str | None):
        return self._send(self.request_body(request, constrain, dialect), request)

    def _send(self, body: dict, request: GenerationRequest) -> Generation:
        chat = request.messages is not None
        data = json.dumps(body).encode("utf-8")
        return self._with_retries(
            lambda: self._stream(data, request, chat), self.endpoint_url(chat)
        )

    def _with_retries(self, attempt, url: str) -> Any:
        """`attempt()`, again after a backoff while it fails with a transient error."""
        for tries in range(self.retries + 1):
            try:
                return attempt()
            except _Transient as e:
                if tries == self.retries:
                    attempts = f"{tries + 1} attempt{'s' if tries else ''}"
                    raise SlmbenchError(f"{e} ({attempts})") from None
                wait = e.retry_after
                if wait is None:
                    wait = min(RETRY_BACKOFF_CAP_S, self.backoff_s * 2**tries)
                with self._count_lock:
                    self.retried += 1
                time.sleep(wait)
        raise AssertionError("unreachable")

    def _headers(self, accept: str) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": accept}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def _connection(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
        return cls(self._host, self._port, timeout=self.timeout_s)

    def _get(self, path: str) -> Any:
        """A JSON answer of `GET path`; None when the server has no such route."""
        url = self._url(path)
        connection = self._connection()
        try:
            connection.request("GET", path, headers=self._headers("application/json"))
            response = connection.getresponse()
            _check_status(response, url)
            if response.status >= 400:
                return None
            return json.loads(response.read() or b"null")
        except json.JSONDecodeError:
            return None
        except (OSError, http.client.HTTPException) as e:
            raise _connection_error(e, url, self.timeout_s) from None
        finally:
            connection.close()

    def _stream(self, body: bytes, request: GenerationRequest, chat: bool) -> Generation:
        path = self._endpoint_path(chat)
        url = self._url(path)
        connection = self._connection()
        start = time.perf_counter()
        deadline = start + self.timeout_s
        try:
            connection.request("POST", path, body=body, headers=self._headers("text/event-stream"))
            response = connection.getresponse()
            _check_status(response, url)
            if response.status >= 400:
                answer = response.read(ERROR_DETAIL_BYTES).decode("utf-8", "replace").strip()
                raise _Rejected(url, response.status, answer)
            reader = DeadlineReader(response, connection, deadline)
            generation = read_stream(reader, request, chat, start, url)
        except InterruptedStream as e:
            raise _Transient(f"{url}: {e}") from None
        except (OSError, http.client.HTTPException) as e:
            raise _connection_error(e, url, self.timeout_s) from None
        finally:
            connection.close()  # early close also tells the server to stop generating
        if self.tokenizer is not None and generation.meta["prompt_tokens"] == "unknown":
            generation.prompt_tokens = len(self._count_ids(request.prompt))
            generation.meta["prompt_tokens"] = "tokenizer"
        return generation

    def _count_ids(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    # --- facts -----------------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """What the client knows: the model runs elsewhere, so size and hardware are unknown.
        `server_dialect` is the dialect used (per endpoint if both were used)."""
        used = {("chat" if chat else "completions"): d for chat, d in self._dialects.items()}
        sources = {
            ("chat" if chat else "completions"): s for chat, s in self._dialect_sources.items()
        }
        single = len(set(used.values())) <= 1 and len(set(sources.values())) <= 1
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
            "server_dialect": next(iter(used.values()), None) if single else used,
            "server_dialect_source": next(iter(sources.values()), None) if single else sources,
            "server_dialect_requested": self.server_dialect,
            "served_models": self.served_models,
            "concurrency": self.concurrency,
            "timeout_s": self.timeout_s,
            "retries": self.retries,
            "retried_requests": self.retried,
            "tokenizer": self.tokenizer_source,
            **(self.closing.info() if self.constrained else {}),
        }


class _Rejected(Exception):
    """The server answered the request with an HTTP error status."""

    def __init__(self, url: str, status: int, answer: str) -> None:
        super().__init__(f"{url} answered HTTP {status}: {one_line(answer)}")
        self.status, self.answer = status, answer


class _Transient(Exception):
    """A failure worth retrying: no connection, a dropped or interrupted stream, HTTP 429 or
    503."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _check_status(response: http.client.HTTPResponse, url: str) -> None:
    """Raise `_Transient` for a status that says "try again later"."""
    if response.status not in RETRY_STATUSES:
        return
    answer = response.read(ERROR_DETAIL_BYTES).decode("utf-8", "replace").strip()
    retry_after = None
    with contextlib.suppress(TypeError, ValueError):
        retry_after = min(RETRY_AFTER_CAP_S, max(0.0, float(response.getheader("Retry-After"))))
    raise _Transient(f"{url} answered HTTP {response.status}: {one_line(answer)}", retry_after)


def _connection_error(error: Exception, url: str, timeout_s: float) -> Exception:
    """The error to raise for a failed connection or read: timeouts are final, the rest of the
    connection failures transient."""
    if isinstance(error, TimeoutError):
        return SlmbenchError(f"{url} did not answer within {timeout_s:g} s")
    if isinstance(error, ConnectionError | http.client.HTTPException):
        return _Transient(f"cannot reach the OpenAI-compatible server at {url}: {error}")
    return SlmbenchError(f"cannot reach the OpenAI-compatible server at {url}: {error}")


def _load_tokenizer(name_or_path: str | Path) -> Any:
    from transformers import AutoTokenizer

    path = Path(name_or_path).expanduser()
    if not path.is_dir():
        from slmbench.models.registry import resolve_model

        path = resolve_model(str(name_or_path))
    try:
        return AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError) as e:
        raise SlmbenchError(f"--tokenizer {name_or_path}: no HF tokenizer there ({e})") from None
