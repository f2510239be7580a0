"""The OpenAI-compatible backend against a real streaming HTTP server on 127.0.0.1."""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time

import pytest

from slmbench.errors import SlmbenchError
from slmbench.models.base import GenerationRequest
from slmbench.models.openai_backend import OpenAIBackend
from slmbench.models.registry import load_backend

FIRST_CHUNK_DELAY_S = 0.05
CHUNK_DELAY_S = 0.005
CANNED = {
    "json": ["Here", " is", ' {"name"', ': "Ada"', "}", " and", " more", " text"],
    "long": ["word "] * 100,
    "hello": ["Hello", " world"],
}
SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}


class FakeOpenAIServer(http.server.BaseHTTPRequestHandler):
    """Streams canned completions: the text is chosen by a keyword of the prompt (or of the
    last chat message) and cut at `max_tokens` with finish_reason "length"."""

    received: list[dict] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        chat = self.path == "/v1/chat/completions"
        self.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
        if self.path not in ("/v1/completions", "/v1/chat/completions"):
            return self.send_error(404)
        prompt = body["messages"][-1]["content"] if chat else body["prompt"]
        if "reject-schema" in prompt and "response_format" in body:
            return self._reply(400, b'{"error": {"message": "response_format not supported"}}')
        if "slow" in prompt:
            time.sleep(1.0)
        pieces = next((v for k, v in CANNED.items() if k in prompt), ["?"])
        cut = pieces[: body["max_tokens"]]
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        time.sleep(FIRST_CHUNK_DELAY_S)
        try:
            if chat:
                self._event({"choices": [{"index": 0, "delta": {"role": "assistant"}}]})
            for piece in cut:
                payload = {"delta": {"content": piece}} if chat else {"text": piece}
                self._event({"choices": [{"index": 0, **payload, "finish_reason": None}]})
                time.sleep(CHUNK_DELAY_S)
            finish = "length" if len(cut) < len(pieces) else "stop"
            end = {"delta": {}} if chat else {"text": ""}
            self._event({"choices": [{"index": 0, **end, "finish_reason": finish}]})
            if body.get("stream_options", {}).get("include_usage"):
                usage = {"prompt_tokens": len(prompt.split()), "completion_tokens": len(cut)}
                self._event({"choices": [], "usage": usage})
            self.wfile.write(b"data: [DONE]\n\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client closed the stream early (stop at JSON)

    def _event(self, chunk: dict) -> None:
        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.wfile.flush()

    def _reply(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAIServer)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def received():
    FakeOpenAIServer.received.clear()
    return FakeOpenAIServer.received


def chat_request(content: str, cap: int = 50, **kwargs) -> GenerationRequest:
    messages = [{"role": "user", "content": content}]
    return GenerationRequest(f"<templated>{content}", cap, messages=messages, **kwargs)


def test_paper_prompt_goes_to_completions(server, received):
    backend = OpenAIBackend("served-model", base_url=server)
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
    backend = OpenAIBackend("m", base_url=server + "/v1/")
    (result,) = backend.generate([chat_request("hello", stop_at_json=False)])
    assert result.text == "Hello world" and result.generated_tokens == 2
    (call,) = received
    assert call["path"] == "/v1/chat/completions"
    assert call["body"]["messages"] == [{"role": "user", "content": "hello"}]
    assert "prompt" not in call["body"] and call["body"]["temperature"] == 0


def test_stream_is_closed_once_the_json_is_complete(server, received):
    backend = OpenAIBackend("m", base_url=server)
    stopped, full = backend.generate(
        [chat_request("json", stop_at_json=True), chat_request("json", stop_at_json=False)]
    )
    assert stopped.text == 'Here is {"name": "Ada"}'
    assert (stopped.generated_tokens, stopped.hit_limit) == (5, False)
    assert stopped.meta["stop"] == "json" and stopped.meta["token_count"] == "chunks"
    assert full.text == "".join(CANNED["json"]) and full.generated_tokens == 8
    assert stopped.total_s < full.total_s


def test_length_cut_sets_hit_limit(server, received):
    backend = OpenAIBackend("m", base_url=server)
    (result,) = backend.generate([GenerationRequest("long story", 5, stop_at_json=False)])
    assert result.text == "word " * 5
    assert (result.generated_tokens, result.hit_limit) == (5, True)
    assert result.meta["stop"] == "length"
    assert received[0]["body"]["max_tokens"] == 5


def test_constrained_sends_response_format(server, received):
    backend = OpenAIBackend("m", base_url=server, constrained="strict")
    constrained, free = backend.generate(
        [chat_request("json", schema=SCHEMA), chat_request("json", schema=None)]
    )
    assert received[0]["body"]["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "row", "schema": SCHEMA},
    }
    assert "response_format" not in received[1]["body"]
    assert (constrained.meta["constrained"], free.meta["constrained"]) == ("on", "off")


def test_rejected_schema_fails_strict_and_falls_back_when_lenient(server, received):
    strict = OpenAIBackend("m", base_url=server, constrained="strict")
    with pytest.raises(SlmbenchError, match="HTTP 400: .*response_format not supported"):
        strict.generate([GenerationRequest("reject-schema hello", 8, schema=SCHEMA)])
    received.clear()
    lenient = OpenAIBackend("m", base_url=server, constrained="lenient")
    (result,) = lenient.generate([GenerationRequest("reject-schema hello", 8, schema=SCHEMA)])
    assert result.text == "Hello world" and result.meta["constrained"] == "fallback"
    assert ["response_format" in call["body"] for call in received] == [True, False]


def test_api_key_and_concurrency_keep_order(server, received):
    backend = OpenAIBackend("m", base_url=server, api_key="sk-test", concurrency=3)
    prompts = ["long", "hello", "json"]
    results = backend.generate([GenerationRequest(p, 3, stop_at_json=False) for p in prompts])
    assert [r.text for r in results] == ["word " * 3, "Hello world", 'Here is {"name"']
    assert {call["headers"]["Authorization"] for call in received} == {"Bearer sk-test"}


def test_dead_port_names_the_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    backend = OpenAIBackend("m", base_url=f"http://127.0.0.1:{port}")
    with pytest.raises(SlmbenchError, match=f"http://127.0.0.1:{port}/v1/completions"):
        backend.warmup()


def test_timeout_names_the_url(server):
    backend = OpenAIBackend("m", base_url=server, timeout_s=0.2)
    with pytest.raises(SlmbenchError, match="did not answer within 0.2 s"):
        backend.generate([GenerationRequest("slow", 4)])


def test_construction_errors_and_info(server):
    with pytest.raises(SlmbenchError, match="--base-url"):
        OpenAIBackend("m")
    with pytest.raises(SlmbenchError, match="not an http"):
        OpenAIBackend("m", base_url="ftp://host")
    with pytest.raises(SlmbenchError, match="cannot apply an adapter"):
        load_backend("openai", "m", adapter="runs/x", base_url=server)
    backend = load_backend("openai", "qwen2.5:0.5b", base_url=server, constrained="off")
    assert backend.tokenizer is None and backend.constrained is None
    info = backend.info()
    assert (info["name"], info["device"], info["base_url"]) == ("qwen2.5:0.5b", "remote", server)
