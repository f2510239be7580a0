"""The OpenAI-compatible backend against a streaming HTTP server on 127.0.0.1 that mimics the
servers people run: the first part of the URL path picks which one it behaves as (OpenAI,
llama-cpp-python, vLLM, or one that ignores every constraint field). The real server is
tested in test_openai_real_server.py."""

from __future__ import annotations

import http.server
import importlib.util
import json
import socket
import threading
import time
from collections import Counter

import pytest

from slmbench.errors import SlmbenchError
from slmbench.models import openai_dialects
from slmbench.models.base import GenerationRequest
from slmbench.models.openai_backend import OpenAIBackend
from slmbench.models.openai_dialects import (
    PROBE_SCHEMA,
    PROBE_TEXT,
    constraint_fields,
    schema_gbnf,
)
from slmbench.models.registry import load_backend

FIRST_CHUNK_DELAY_S = 0.05
CHUNK_DELAY_S = 0.005
CANNED = {
    "json": ["Here", " is", ' {"name"', ': "Ada"', "}", " and", " more", " text"],
    "long": ["word "] * 100,
    "hello": ["Hello", " world"],
    "slowstream": ["tick "] * 40,
    "truncated": ['{"name"', ': "Ada', ' Lovelace"', "}"],
}
PROBE_ANSWER = ['{"answer"', ': "yes"}']
SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
FLAVORS = ("openai", "llama-cpp-python", "vllm", "ignores-all")


def follows_schema(flavor: str, body: dict, chat: bool) -> str | None:
    """None if `flavor` decodes `body` under its schema; else an error answer (status, text),
    or "" when it silently ignores the constraint fields."""
    kind = (body.get("response_format") or {}).get("type")
    if flavor == "openai":
        return None if kind == "json_schema" else ""
    if flavor == "llama-cpp-python":
        if kind not in (None, "text", "json_object"):
            return "500 'loc': ('body', 'response_format', 'type'), 'msg': \"Input should be "
        if "grammar" in body:
            return None
        schema_given = kind == "json_object" and "schema" in body["response_format"]
        return None if chat and schema_given else ""  # its completions take no response_format
    if flavor == "vllm":
        if kind is not None:
            return "400 response_format is not supported by this server"
        return None if "guided_json" in body else ""
    return ""


class FakeServer(http.server.BaseHTTPRequestHandler):
    """Streams canned completions: the text is chosen by a keyword of the prompt (or of the
    last chat message) and cut at `max_tokens` with finish_reason "length". Keywords also ask
    for failures: `flaky-N` answers HTTP 503 N times, `busy` answers 429 once, `drop` closes
    the first stream after one chunk, `interrupt-N` ends N streams after one chunk with
    `[DONE]` but no finish_reason, `slow` waits a second before answering."""

    received: list[dict] = []
    attempts: Counter = Counter()
    in_flight: Counter = Counter()  # per flavor: tests of concurrency use their own
    max_in_flight: Counter = Counter()
    lock = threading.Lock()

    def do_GET(self):
        flavor, path = self._split()
        if path != "/v1/models":
            return self.send_error(404)
        self._reply(200, json.dumps({"data": [{"id": "served-model"}]}).encode())

    def do_POST(self):
        flavor, path = self._split()
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        chat = path == "/v1/chat/completions"
        self.received.append({"path": path, "headers": dict(self.headers), "body": body})
        if path not in ("/v1/completions", "/v1/chat/completions"):
            return self.send_error(404)
        prompt = body["messages"][-1]["content"] if chat else body["prompt"]
        if body["model"] == "missing":
            return self._reply(404, b'{"error": {"message": "model missing not found"}}')
        constrained = any(k in body for k in ("response_format", "guided_json", "grammar"))
        refusal = follows_schema(flavor.partition("~")[0], body, chat) if constrained else ""
        if refusal:
            status, text = refusal.split(" ", 1)
            return self._reply(int(status), json.dumps({"error": {"message": text}}).encode())
        if "reject-schema" in prompt and constrained:
            return self._reply(400, b'{"error": {"message": "response_format not supported"}}')
        with self.lock:
            self.attempts[prompt] += 1
            attempt = self.attempts[prompt]
        if "flaky-" in prompt and attempt <= int(prompt.split("flaky-")[1].split()[0]):
            return self._reply(503, b"overloaded", {"Retry-After": "0"})
        if "busy" in prompt and attempt == 1:
            return self._reply(429, b"rate limited", {"Retry-After": "0"})
        if "slow" in prompt and "slowstream" not in prompt:
            time.sleep(1.0)
        if PROBE_TEXT in prompt:
            pieces = PROBE_ANSWER if refusal is None else ["Sure", "!"]
        else:
            pieces = next((v for k, v in CANNED.items() if k in prompt), ["?"])
        if PROBE_TEXT in prompt:
            flavor += "~probes"  # rows in flight are counted apart from probes
        with self.lock:
            self.in_flight[flavor] += 1
            self.max_in_flight[flavor] = max(self.max_in_flight[flavor], self.in_flight[flavor])
        try:
            interrupt = "interrupt-" in prompt and attempt <= int(
                prompt.split("interrupt-")[1].split()[0]
            )
            drop = "drop" in prompt and attempt == 1
            self._stream(body, prompt, chat, pieces, drop, interrupt)
        finally:
            with self.lock:
                self.in_flight[flavor] -= 1

    def _stream(self, body, prompt, chat, pieces, drop, interrupt=False):
        cut = pieces[: body["max_tokens"]]
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        time.sleep(FIRST_CHUNK_DELAY_S)
        delay = 0.1 if "slowstream" in prompt else CHUNK_DELAY_S
        try:
            if chat:
                self._event({"choices": [{"index": 0, "delta": {"role": "assistant"}}]})
            for i, piece in enumerate(cut):
                payload = {"delta": {"content": piece}} if chat else {"text": piece}
                self._event({"choices": [{"index": 0, **payload, "finish_reason": None}]})
                if drop and i == 0:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if interrupt:  # as llama-cpp-python's server when another request waits
                    self.wfile.write(b"data: [DONE]\n\n")
                    return
                time.sleep(delay)
            finish = "length" if len(cut) < len(pieces) else "stop"
            end = {"delta": {}} if chat else {"text": ""}
            self._event({"choices": [{"index": 0, **end, "finish_reason": finish}]})
            if body.get("stream_options", {}).get("include_usage"):
                usage = {"prompt_tokens": len(prompt.split()), "completion_tokens": len(cut)}
                self._event({"choices": [], "usage": usage})
            self.wfile.write(b"data: [DONE]\n\n")
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass  # the client closed the stream early (stop at JSON, deadline)

    def _split(self) -> tuple[str, str]:
        """(flavor, path): `/FLAVOR[~TAG]/v1/...`; a tag keeps a test's in-flight count its own."""
        first, _, rest = self.path.lstrip("/").partition("/")
        if first.partition("~")[0] in FLAVORS:
            return first, "/" + rest
        return "openai", self.path

    def _event(self, chunk: dict) -> None:
        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.wfile.flush()

    def _reply(self, status: int, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeServer)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def received():
    FakeServer.received.clear()
    FakeServer.attempts.clear()
    FakeServer.max_in_flight.clear()
    return FakeServer.received


def rows(received) -> list[dict]:
    """The requests of rows, without the dialect probes."""
    return [c for c in received if PROBE_TEXT not in json.dumps(c["body"])]


def probes(received) -> list[dict]:
    return [c for c in received if PROBE_TEXT in json.dumps(c["body"])]


def chat_request(content: str, cap: int = 50, **kwargs) -> GenerationRequest:
    messages = [{"role": "user", "content": content}]
    return GenerationRequest(f"<templated>{content}", cap, messages=messages, **kwargs)


def openai(server: str, **kwargs) -> OpenAIBackend:
    """A backend told its dialect: no probe when unconstrained."""
    return OpenAIBackend("served-model", base_url=server, server_dialect="openai", **kwargs)


# --- requests and streams -------------------------------------------------------------------


def test_paper_prompt_goes_to_completions(server, received):
    backend = openai(server)
    (result,) = backend.generate([GenerationRequest("say hello", 16, stop_at_json=False)])
    assert result.text == "Hello world"
    assert (result.prompt_tokens, result.generated_tokens, result.hit_limit) == (2, 2, False)
    assert result.meta == {
        "stop": "stop",
        "token_count": "usage",
        "prompt_tokens": "usage",
        "constrained": "off",
    }
    assert FIRST_CHUNK_DELAY_S <= result.ttft_s <= result.total_s
    (call,) = received
    assert call["path"] == "/v1/completions"
    assert call["body"] == {
        "model": "served-model",
        "temperature": 0,
        "max_tokens": 16,
        "stream": True,
        "stream_options": {"include_usage": True},
        "prompt": "say hello",
    }


def test_chat_messages_go_to_chat_completions(server, received):
    backend = OpenAIBackend("m", base_url=server + "/v1/", server_dialect="openai")
    (result,) = backend.generate([chat_request("hello", stop_at_json=False)])
    assert result.text == "Hello world" and result.generated_tokens == 2
    (call,) = received
    assert call["path"] == "/v1/chat/completions"
    assert call["body"]["messages"] == [{"role": "user", "content": "hello"}]
    assert "prompt" not in call["body"] and call["body"]["temperature"] == 0


def test_stream_is_closed_once_the_json_is_complete(server, received):
    backend = openai(server)
    stopped, full = backend.generate(
        [chat_request("json", stop_at_json=True), chat_request("json", stop_at_json=False)]
    )
    assert stopped.text == 'Here is {"name": "Ada"}'
    assert (stopped.generated_tokens, stopped.hit_limit) == (5, False)
    assert stopped.meta["stop"] == "json" and stopped.meta["token_count"] == "chunks"
    assert full.text == "".join(CANNED["json"]) and full.generated_tokens == 8
    assert stopped.total_s < full.total_s


def test_length_cut_sets_hit_limit(server, received):
    backend = openai(server)
    (result,) = backend.generate([GenerationRequest("long story", 5, stop_at_json=False)])
    assert result.text == "word " * 5
    assert (result.generated_tokens, result.hit_limit) == (5, True)
    assert result.meta["stop"] == "length"
    assert received[0]["body"]["max_tokens"] == 5


# --- closing mode ---------------------------------------------------------------------------


def test_a_constrained_answer_cut_at_its_budget_is_closed_on_the_client(server, received):
    """Without a tokenizer closing appends bytes; with one (--tokenizer), model tokens. The
    server's text is kept; the row says it was closed; an answer that is no JSON at all (the
    server ignored the schema) is left as it is, not made up."""
    from conftest import TINY_TOKENIZER

    for tokenizer, unit in ((None, "bytes"), (str(TINY_TOKENIZER), "tokens")):
        backend = OpenAIBackend(
            "m", base_url=f"{server}/openai", constrained="strict", tokenizer=tokenizer
        )
        cut, whole, not_json = backend.generate(
            [
                chat_request("truncated", 2, schema=SCHEMA),
                chat_request("truncated", 50, schema=SCHEMA),
                chat_request("hello", 1, schema=SCHEMA),
            ]
        )
        assert cut.text == '{"name": "Ada"}' and cut.hit_limit
        assert cut.meta["stop"] == "closed" and cut.generated_tokens == 2  # the server's count
        closing = cut.meta["closing"]
        assert (closing["kept_chars"], closing["added"], closing["dropped_chars"]) == (13, '"}', 0)
        assert (closing["unit"], closing["complete"]) == (unit, True)
        assert whole.text == '{"name": "Ada Lovelace"}' and "closing" not in whole.meta
        assert not_json.text == "Hello" and not_json.meta["stop"] == "length"
        info = backend.info()
        assert info["closing"] == "client" and info["closing_unit"] == unit
        assert info["closing_tokenizer"] == ("bytes" if tokenizer is None else tokenizer)


# --- dialects -------------------------------------------------------------------------------


@pytest.mark.parametrize("flavor", ["openai", "llama-cpp-python", "vllm"])
def test_auto_finds_the_dialect_that_constrains_and_records_it(flavor, server, received):
    backend = OpenAIBackend("m", base_url=f"{server}/{flavor}", constrained="strict")
    constrained, free = backend.generate(
        [chat_request("json", schema=SCHEMA), chat_request("json", schema=None)]
    )
    assert (constrained.meta["constrained"], free.meta["constrained"]) == ("on", "off")
    tried = ["openai", "llama-cpp-python", "vllm"]
    assert len(probes(received)) == tried.index(flavor) + 1  # in order, until one worked
    info = backend.info()
    assert (info["server_dialect"], info["server_dialect_source"]) == (flavor, "probe")
    sent, plain = (c["body"] for c in rows(received))
    assert "response_format" not in plain and "guided_json" not in plain
    if flavor == "openai":
        assert sent["response_format"] == {
            "type": "json_schema",
            "json_schema": {"name": "row", "schema": SCHEMA, "strict": True},
        }
    elif flavor == "llama-cpp-python":
        if importlib.util.find_spec("llama_cpp"):  # the llamacpp backend's own grammar
            assert sent["grammar"] == schema_gbnf(SCHEMA) and "response_format" not in sent
        else:
            assert sent["response_format"]["type"] == "json_object"
        assert sent["repeat_penalty"] == plain["repeat_penalty"] == 1.0  # its default is 1.1
    else:
        assert sent["guided_json"] == SCHEMA and "repeat_penalty" not in sent
    backend.generate([chat_request("hello", schema=SCHEMA)])
    assert len(probes(received)) == tried.index(flavor) + 1  # probed once


def test_llama_cpp_python_completions_get_a_grammar(server, received):
    pytest.importorskip("llama_cpp")
    backend = OpenAIBackend("m", base_url=f"{server}/llama-cpp-python", constrained="strict")
    (result,) = backend.generate([GenerationRequest("json", 20, schema=SCHEMA)])
    assert backend.info()["server_dialect"] == "llama-cpp-python"
    (call,) = rows(received)
    assert call["path"] == "/v1/completions" and "response_format" not in call["body"]
    assert 'root ::= " "? root-value' in call["body"]["grammar"]
    assert result.meta["constrained"] == "on"


def test_llama_cpp_python_without_llama_cpp_here_sends_the_schema(server, received, monkeypatch):
    monkeypatch.setattr(openai_dialects, "schema_gbnf", lambda schema: None)
    backend = OpenAIBackend("m", base_url=f"{server}/llama-cpp-python", constrained="strict")
    (result,) = backend.generate([chat_request("json", schema=SCHEMA)])
    assert backend.info()["server_dialect"] == "llama-cpp-python"
    (call,) = rows(received)
    assert call["body"]["response_format"] == {"type": "json_object", "schema": SCHEMA}
    assert "grammar" not in call["body"] and result.meta["constrained"] == "on"
    with pytest.raises(SlmbenchError, match="only with a GBNF grammar"):
        constraint_fields("llama-cpp-python", SCHEMA, chat=False)
    completions = OpenAIBackend("m", base_url=f"{server}/llama-cpp-python", constrained="strict")
    with pytest.raises(SlmbenchError, match="llama-cpp-python: llama-cpp-python's server"):
        completions.generate([GenerationRequest("json", 20, schema=SCHEMA)])  # all tried


def test_grammar_is_the_llamacpp_backends():
    """What the llamacpp backend compiles for a schema (its leading space, its bounds)."""
    pytest.importorskip("llama_cpp")
    gbnf = schema_gbnf({"type": "object", "properties": {"tags": {"type": "array"}}})
    assert gbnf.endswith('root ::= " "? root-value\n') and "root-value ::= " in gbnf
    patterned = {"type": "string", "pattern": "^[a-z]+$"}
    assert "[a-z]" in schema_gbnf(patterned)


def test_no_dialect_constrains_error_names_each_answer(server, received):
    backend = OpenAIBackend("m", base_url=f"{server}/ignores-all", constrained="strict")
    with pytest.raises(SlmbenchError) as e:
        backend.generate([chat_request("json", schema=SCHEMA)])
    message = str(e.value)
    assert "\n" not in message and "/ignores-all/v1/chat/completions" in message
    for dialect in ("openai", "llama-cpp-python", "vllm"):
        assert f"{dialect}: answered without following the schema: 'Sure!'" in message
    assert rows(received) == []


def test_rejections_are_named_when_the_one_dialect_given_fails(server, received):
    backend = OpenAIBackend(
        "m", base_url=f"{server}/vllm", constrained="strict", server_dialect="openai"
    )
    with pytest.raises(SlmbenchError, match="HTTP 400: .*response_format is not supported"):
        backend.generate([chat_request("json", schema=SCHEMA)])
    assert len(received) == 1


def test_unconstrained_auto_run_without_a_dialect_sends_plain_requests(server, received):
    backend = OpenAIBackend("m", base_url=f"{server}/ignores-all")
    (result,) = backend.generate([chat_request("hello", stop_at_json=False)])
    assert result.text == "Hello world"
    info = backend.info()
    assert info["server_dialect"] is None
    assert info["server_dialect_source"].startswith("probe: no dialect followed a schema")
    (call,) = rows(received)
    assert set(call["body"]) == {
        "model", "temperature", "max_tokens", "stream", "stream_options", "messages"
    }  # fmt: skip


def test_an_error_not_about_the_schema_stops_the_probe_at_once(server, received):
    backend = OpenAIBackend("missing", base_url=f"{server}/vllm", constrained="strict")
    with pytest.raises(SlmbenchError, match="HTTP 404: .*model missing not found"):
        backend.generate([chat_request("json", schema=SCHEMA)])
    assert len(received) == 1


def test_explicit_dialect_is_not_probed_when_unconstrained(server, received):
    backend = OpenAIBackend("m", base_url=server, server_dialect="llama-cpp-python")
    backend.generate([chat_request("hello")])
    (call,) = received
    assert call["body"]["repeat_penalty"] == 1.0
    assert backend.info()["server_dialect_source"] == "--server-dialect"


def test_rejected_schema_fails_strict_and_falls_back_when_lenient(server, received):
    strict = openai(server, constrained="strict")
    with pytest.raises(SlmbenchError, match="HTTP 400: .*response_format not supported"):
        strict.generate([GenerationRequest("reject-schema hello", 8, schema=SCHEMA)])
    received.clear()
    lenient = openai(server, constrained="lenient")
    (result,) = lenient.generate([GenerationRequest("reject-schema hello", 8, schema=SCHEMA)])
    assert result.text == "Hello world" and result.meta["constrained"] == "fallback"
    assert ["response_format" in call["body"] for call in rows(received)] == [True, False]


def test_probe_schema_is_accepted_by_openai_strict_mode():
    """OpenAI's strict mode needs every property required and no additional ones."""
    assert PROBE_SCHEMA["additionalProperties"] is False
    assert set(PROBE_SCHEMA["required"]) == set(PROBE_SCHEMA["properties"])


# --- retries, deadline, concurrency ---------------------------------------------------------


def test_503_and_429_are_retried_with_backoff(server, received):
    backend = openai(server, retries=3)
    backend.backoff_s = 0.01
    flaky, busy = backend.generate(
        [GenerationRequest("flaky-2 hello", 8), GenerationRequest("busy hello", 8)]
    )
    assert flaky.text == busy.text == "Hello world"
    assert backend.info()["retried_requests"] == 3
    impatient = openai(server, retries=1)
    impatient.backoff_s = 0.01
    with pytest.raises(SlmbenchError, match=r"HTTP 503: overloaded \(2 attempts\)"):
        impatient.generate([GenerationRequest("flaky-5 again", 8)])


def test_an_interrupted_stream_is_retried_then_named(server, received):
    """llama-cpp-python's server (`--interrupt_requests True`, its default) ends a stream with
    [DONE] and no finish_reason when another request arrives: not an answer."""
    backend = openai(server, retries=2)
    backend.backoff_s = 0.01
    (result,) = backend.generate([GenerationRequest("interrupt-1 hello", 8)])
    assert result.text == "Hello world" and backend.retried == 1
    with pytest.raises(SlmbenchError, match="without a finish_reason.*--interrupt_requests False"):
        backend.generate([GenerationRequest("interrupt-9 hello", 8)])


def test_a_dropped_stream_is_retried_from_the_start(server, received):
    backend = openai(server)
    backend.backoff_s = 0.01
    (result,) = backend.generate([GenerationRequest("drop long", 6, stop_at_json=False)])
    assert result.text == "word " * 6 and backend.retried == 1


def test_dead_port_is_retried_then_names_the_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    backend = OpenAIBackend("m", base_url=f"http://127.0.0.1:{port}", retries=2)
    backend.backoff_s = 0.01
    with pytest.raises(SlmbenchError, match=rf"127.0.0.1:{port}/v1/models.*\(3 attempts\)"):
        backend.warmup()


def test_warmup_lists_the_served_models(server, received):
    backend = openai(server)
    backend.warmup()
    assert backend.info()["served_models"] == ["served-model"] and received == []


def test_timeout_is_one_deadline_for_the_whole_request(server):
    backend = openai(server, timeout_s=0.2)
    with pytest.raises(SlmbenchError, match="did not answer within 0.2 s"):
        backend.generate([GenerationRequest("slow", 4)])
    streaming = openai(server, timeout_s=0.5)  # answers at once, then a chunk per 0.1 s
    started = time.perf_counter()
    with pytest.raises(SlmbenchError, match="did not answer within 0.5 s"):
        streaming.generate([GenerationRequest("slowstream", 40, stop_at_json=False)])
    assert time.perf_counter() - started < 1.5


def test_api_key_and_concurrency_keep_order(server, received):
    backend = openai(server, api_key="sk-test", concurrency=3)
    prompts = ["long", "hello", "json"]
    results = backend.generate([GenerationRequest(p, 3, stop_at_json=False) for p in prompts])
    assert [r.text for r in results] == ["word " * 3, "Hello world", 'Here is {"name"']
    assert {call["headers"]["Authorization"] for call in received} == {"Bearer sk-test"}


def test_concurrency_puts_that_many_requests_in_flight(server, received):
    url = f"{server}/ignores-all~concurrency"
    backend = openai(url, concurrency=4)
    requests = [GenerationRequest(f"long {i}", 30, stop_at_json=False) for i in range(4)]
    backend.generate(requests)
    assert FakeServer.max_in_flight["ignores-all~concurrency"] == 4
    FakeServer.max_in_flight.clear()
    openai(url).generate(requests[:2])
    assert FakeServer.max_in_flight["ignores-all~concurrency"] == 1


def test_construction_errors_and_info(server):
    with pytest.raises(SlmbenchError, match="--base-url"):
        OpenAIBackend("m")
    with pytest.raises(SlmbenchError, match="not an http"):
        OpenAIBackend("m", base_url="ftp://host")
    with pytest.raises(SlmbenchError, match="unknown server dialect 'tgi'"):
        OpenAIBackend("m", base_url=server, server_dialect="tgi")
    with pytest.raises(SlmbenchError, match="--concurrency must be at least 1, got 0"):
        OpenAIBackend("m", base_url=server, concurrency=0)
    with pytest.raises(SlmbenchError, match="cannot apply an adapter"):
        load_backend("openai", "m", adapter="runs/x", base_url=server)
    backend = load_backend("openai", "qwen2.5:0.5b", base_url=server, constrained="off")
    assert backend.tokenizer is None and backend.constrained is None
    info = backend.info()
    assert (info["name"], info["device"], info["base_url"]) == ("qwen2.5:0.5b", "remote", server)
    assert (info["server_dialect_requested"], info["concurrency"], info["retries"]) == (
        "auto",
        1,
        4,
    )


# --- through the eval runner ----------------------------------------------------------------


def test_eval_records_the_dialect_and_resumes(server, received, tmp_path):
    from slmbench.data.generate import build_dataset
    from slmbench.eval.api import EvalOptions
    from slmbench.eval.runner import run_eval

    build_dataset(tmp_path / "data", seed=0, n_train=40, n_test=40)
    options = dict(
        data=str(tmp_path / "data" / "test.jsonl"),
        out=str(tmp_path / "run"),
        model="m",
        backend="openai",
        base_url=f"{server}/llama-cpp-python~runner",  # no other test's stream lingers there
        constrained="strict",
        concurrency=3,
        batch_size=2,
        limit=3,
        progress=False,
    )
    results = run_eval(EvalOptions(**options), echo=lambda _: None)
    info = results["model"]["backend_info"]
    assert (info["server_dialect"], info["concurrency"]) == ("llama-cpp-python", 3)
    assert results["n"] == 3 and results["constrained_status"] == {"on": 3}
    # Batches of 3 rows, not of --batch-size 2: all three were requested at once.
    assert FakeServer.max_in_flight["llama-cpp-python~runner"] == 3
    received.clear()
    again = run_eval(EvalOptions(**{**options, "limit": 4}), echo=lambda _: None)
    assert again["n"] == 4 and len(rows(received)) == 1  # only the new row was requested
