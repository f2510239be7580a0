"""`slmbench eval --backend openai` against a real OpenAI-compatible server: llama-cpp-python's
own (`python -m llama_cpp.server`, its `[server]` extra, installed by scripts/install.sh),
started on a free 127.0.0.1 port and serving a GGUF that `--backend llamacpp` also runs.

Same weights, greedy, the same prompts (the server applies the GGUF's chat template, the
llamacpp backend the same template through the HF tokenizer), the same token budgets
(`--tokenizer`), the same grammar (llama.cpp's, from `schema_gbnf`): every row's output and
scores must be the same, constrained or not, except where a constrained row reached its budget.
The server returns such a row cut; the openai backend closes it on the client
(`slmbench.models.openai_closing`), so it must then validate against its full schema and start
with the llamacpp backend's cut text (as far as closing kept it). The auto dialect probe must
find `llama-cpp-python` (whose server refuses OpenAI's `json_schema`) and results.json must
record it.

Two things make the equality hold, and each was a measured difference before it was handled:
its server applies `repeat_penalty` 1.1 even at temperature 0 (the dialect sends 1.0), and
without a tokenizer the client estimates budgets from characters (217 vs 168 tokens on one
row), so rows cut at their budget differ in length.

The local side decodes with llama.cpp's own grammar sampler (`grammar_engine="llama.cpp"`,
where the llamacpp backend offers a choice), i.e. as the server does; rows that the llamacpp
backend closes itself are compared no further than their budget's verdict.
"""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from slmbench.constrain.llama_grammar import FORMAT_PATTERNS
from slmbench.data.schemas import load_schemas
from slmbench.models import openai_dialects
from slmbench.models.base import GenerationRequest
from slmbench.models.openai_backend import OpenAIBackend

SERVER_MODULES = ("llama_cpp", "fastapi", "uvicorn", "sse_starlette", "starlette_context")
SERVER_START_TIMEOUT_S = 120
REQUEST_TIMEOUT_S = 600  # one request's deadline: generous, for a CPU shared with other jobs
THREADS = 2  # the server's and the llamacpp backend's: the same float sums, the same argmax
SCORES = ("json_exact", "json_exact_normalized", "field_f1", "schema_valid", "valid_json")
ALIAS = "served-gguf"
NAME_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}

pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in SERVER_MODULES),
    reason="llama-cpp-python[server] not installed (scripts/install.sh installs it)",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def llama_cpp_server(gguf: Path, log_path: Path) -> Iterator[str]:
    """The server on 127.0.0.1 serving `gguf`; killed on exit, whatever happened."""
    port = free_port()
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(gguf),
        "--model_alias", ALIAS, "--host", "127.0.0.1", "--port", str(port),
        "--n_threads", str(THREADS), "--n_threads_batch", str(THREADS),
        "--n_ctx", "4096", "--verbose", "False",
        # Its default (True) ends a stream with [DONE] whenever another request arrives, which
        # --concurrency does: the client retries such a stream, but requests would keep
        # interrupting each other. False queues them.
        "--interrupt_requests", "False",
    ]  # fmt: skip
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"llama_cpp.server exited ({process.returncode}): {tail(log_path)}")
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server not up in {SERVER_START_TIMEOUT_S} s")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{url}/v1/models", timeout=2) as answer,
            ):
                if answer.status == 200:
                    break
            time.sleep(0.25)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def tail(path: Path, n: int = 800) -> str:
    return path.read_text(errors="replace")[-n:]


@pytest.fixture(scope="module")
def data_file(tmp_path_factory) -> Path:
    from slmbench.data.generate import build_dataset

    out = tmp_path_factory.mktemp("data")
    build_dataset(out, seed=0, n_train=40, n_test=40)
    return out / "test.jsonl"


def evaluate(out: Path, data: Path, factory=None, **options) -> tuple[dict, dict[str, dict]]:
    """results.json and the predictions by id of one `slmbench eval` run."""
    from slmbench.eval.api import EvalOptions
    from slmbench.eval.runner import run_eval

    results = run_eval(
        EvalOptions(data=str(data), out=str(out), prompt_style="chat", progress=False, **options),
        backend_factory=factory,
        echo=lambda _: None,
    )
    lines = (out / "predictions.jsonl").read_text().splitlines()
    return results, {p["id"]: p for p in map(json.loads, lines)}


def llamacpp_as_served(opts, model: str, adapter: str | None):
    """The llamacpp backend as the server runs the model: under llama.cpp's own grammar sampler
    (the backend's default engine is llguidance), and with the prompt tokenized by llama.cpp, as
    the server tokenizes the text it is sent (the backend feeds the HF tokenizer's ids, which
    for SmolLM2 differ where a whitespace run precedes a digit)."""
    from slmbench.models.llamacpp_backend import LlamaCppBackend
    from slmbench.models.registry import load_backend
    from slmbench.prompts import prompt_add_special_tokens

    options = opts.backend_options()
    if "grammar_engine" in inspect.signature(LlamaCppBackend).parameters:
        options["grammar_engine"] = "llama.cpp"
    backend = load_backend("llamacpp", model, adapter, **options)

    def served_prompt_ids(prompt: str) -> list[int]:
        add_bos = prompt_add_special_tokens(backend.tokenizer, prompt)
        return backend.llm.tokenize(prompt.encode("utf-8"), add_bos=add_bos, special=True)

    backend.prompt_ids = served_prompt_ids
    return backend


def check_served_equals_local(
    gguf: Path, url: str, tokenizer: str, data: Path, tmp_path: Path, limit: int, cap: int
) -> tuple[dict[str, dict[str, dict]], dict]:
    """Evaluate `gguf` with the llamacpp backend and through the server at `url`, unconstrained
    and constrained, and assert that every row came out the same, but for the constrained rows
    closed after their budget (`check_closed_row`). Returns the served predictions and the
    constrained run's results.json."""
    local = dict(model=str(gguf), backend="llamacpp", threads=THREADS, tokenizer=tokenizer)
    served: dict = dict(model=ALIAS, backend="openai", tokenizer=tokenizer)
    served["timeout_s"] = REQUEST_TIMEOUT_S
    predictions, results = {}, {}
    for constrained in (None, "strict"):
        common = dict(limit=limit, max_new_tokens=cap, constrained=constrained)
        tag = constrained or "free"
        _, by_llamacpp = evaluate(
            tmp_path / f"llamacpp-{tag}", data, llamacpp_as_served, **local, **common
        )
        results, by_server = evaluate(
            tmp_path / f"openai-{tag}", data, base_url=url, **served, **common
        )
        info = results["model"]["backend_info"]
        assert (info["server_dialect"], info["server_dialect_source"]) == (
            "llama-cpp-python",
            "probe",
        )
        assert info["served_models"] == [ALIAS] and info["retried_requests"] == 0
        assert by_server.keys() == by_llamacpp.keys() and len(by_server) == limit
        for row_id, mine in by_server.items():
            theirs = by_llamacpp[row_id]
            assert mine["max_new_tokens"] == theirs["max_new_tokens"], row_id
            assert mine["constrained"] == ("on" if constrained else "off")
            if "closed" in (mine["stop"], theirs["stop"]):
                check_closed_row(mine, theirs)
                continue
            assert mine["raw_output"] == theirs["raw_output"], (row_id, tag)
            assert [mine[k] for k in SCORES] == [theirs[k] for k in SCORES], row_id
            assert mine["hit_limit"] == theirs["hit_limit"], row_id
        closed = sum(p["stop"] == "closed" for p in by_server.values())
        assert results["latency"]["closed"] == closed
        if not constrained:
            assert closed == 0 and "closing" not in info
        predictions[tag] = by_server
    assert info["closing"] == "client" and info["closing_tokenizer"] == tokenizer
    return predictions, results


def check_closed_row(mine: dict, theirs: dict) -> None:
    """A served row closed on the client: the server cut it where the llamacpp backend did
    (unless that backend closed it itself: its own closing mode writes other tokens), and
    closing kept the cut text up to where it broke the schema's grammar, if it did."""
    assert mine["stop"] == "closed" and mine["hit_limit"] and mine["schema_valid"] == 1
    closing = mine["closing"]
    assert closing["complete"] and closing["unit"] == "tokens"
    if theirs["stop"] == "closed":
        return
    cut = theirs["raw_output"]
    assert theirs["hit_limit"] and theirs["stop"] == "limit", theirs["id"]
    assert closing["kept_chars"] + closing["dropped_chars"] == len(cut), theirs["id"]
    kept = closing["kept_chars"]
    assert mine["raw_output"] == cut[:kept] + closing["added"], theirs["id"]


def check_constrained_outputs_validate(predictions: dict[str, dict]) -> None:
    """Every constrained row is JSON of its schema's structure; a closed one is schema-valid
    (closing's grammar enforces every format, llama.cpp's those of `FORMAT_PATTERNS`)."""
    schemas = load_schemas(None)
    for p in predictions.values():
        assert p["valid_json"] == 1, p["id"]
        assert structural_errors(p["raw_output"], schemas[p["schema_id"]].schema) == [], p["id"]
        if p["stop"] == "closed":
            assert p["schema_valid"] == 1, p["id"]


def structural_errors(output: str, schema: dict) -> list[str]:
    """What llama.cpp's grammar guarantees: JSON of the schema's structure, types, required
    keys, enums, patterns and the formats of `FORMAT_PATTERNS` that the validator checks."""
    value = json.loads(output)
    checked = jsonschema.Draft7Validator.FORMAT_CHECKER.checkers
    formats = jsonschema.FormatChecker(formats=[f for f in FORMAT_PATTERNS if f in checked])
    validator = jsonschema.Draft7Validator(schema, format_checker=formats)
    return [e.message for e in validator.iter_errors(value)]


def test_tiny_gguf_served_equals_llamacpp_and_cut_rows_are_closed(
    tiny_model_dir, tiny_gguf_export, data_file, tmp_path, monkeypatch
):
    """The tiny random Llama, as exported: fast, and its random tokens (byte pieces, odd
    whitespace) test that the stream is reassembled exactly. A small budget cuts most of its
    constrained rows, which must come back closed and valid. Then the dialect's other form,
    for clients without llama-cpp-python (`json_object` + schema), closed without a tokenizer
    (bytes); then --concurrency and a resumed run."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from slmbench.deploy.export import write_gguf
    from slmbench.models.gguf_files import tokenizer_dir_for

    gguf = tmp_path / "tiny.gguf"
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    tokenizer.save_pretrained(tokenizer_dir_for(gguf))
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    write_gguf(model, tokenizer, tokenizer_dir_for(gguf), gguf, "f32", progress=False)
    with llama_cpp_server(gguf, tmp_path / "server.log") as url:
        tokenizer_dir = str(tokenizer_dir_for(gguf))
        predictions, results = check_served_equals_local(
            gguf, url, tokenizer_dir, data_file, tmp_path, limit=4, cap=24
        )
        check_constrained_outputs_validate(predictions["strict"])
        assert results["latency"]["closed"] >= 2, "too few rows cut for closing to be tested"
        check_concurrency_and_resume(url, tokenizer_dir, data_file, tmp_path)

        monkeypatch.setattr(openai_dialects, "schema_gbnf", lambda schema: None)
        backend = OpenAIBackend(ALIAS, base_url=url, constrained="strict")
        messages = [{"role": "user", "content": "Ada is 36."}]
        cut, whole = backend.generate(
            [GenerationRequest("", n, schema=NAME_SCHEMA, messages=messages) for n in (6, 200)]
        )
        # The probe's answer followed its schema through `json_object` + schema.
        assert backend.info()["server_dialect"] == "llama-cpp-python"
        assert backend.info()["closing_tokenizer"] == "bytes"
        for generation in (cut, whole):
            assert generation.meta["constrained"] == "on"
            assert "".join(generation.text.split()).startswith('{"name":"')  # the first key
        assert cut.meta["stop"] == "closed" and cut.meta["closing"]["unit"] == "bytes"
        assert jsonschema.Draft7Validator(NAME_SCHEMA).is_valid(json.loads(cut.text))


def check_concurrency_and_resume(url: str, tokenizer: str, data: Path, tmp_path: Path) -> None:
    """--concurrency 3 gives the rows of one request at a time; a run killed while writing
    (two rows and half a line on disk) resumes to the same predictions."""
    options = dict(model=ALIAS, backend="openai", tokenizer=tokenizer, base_url=url)
    options.update(limit=6, max_new_tokens=24, constrained="strict", batch_size=1)
    one_by_one, by_one = evaluate(tmp_path / "serial", data, **options)
    in_flight, by_three = evaluate(tmp_path / "concurrent", data, concurrency=3, **options)
    assert in_flight["model"]["backend_info"]["concurrency"] == 3
    assert outputs(by_three) == outputs(by_one)

    killed = tmp_path / "killed"
    killed.mkdir()
    for name in ("run_config.json",):
        (killed / name).write_bytes((tmp_path / "concurrent" / name).read_bytes())
    lines = (tmp_path / "concurrent" / "predictions.jsonl").read_text().splitlines(True)
    (killed / "predictions.jsonl").write_text("".join(lines[:2]) + lines[2][: len(lines[2]) // 2])
    resumed, by_resumed = evaluate(killed, data, concurrency=3, **options)
    assert outputs(by_resumed) == outputs(by_one) and resumed["n"] == 6
    written = (killed / "predictions.jsonl").read_text().splitlines()
    assert len(written) == 6 and [json.loads(x)["id"] for x in written[:2]] == [
        json.loads(x)["id"] for x in lines[:2]
    ]
    assert resumed["metrics"] == one_by_one["metrics"]


def outputs(predictions: dict[str, dict]) -> dict[str, tuple]:
    return {i: (p["raw_output"], p["stop"], p["schema_valid"]) for i, p in predictions.items()}


@pytest.mark.slow
def test_embedded_smollm2_served_equals_llamacpp_and_constrained_rows_validate(data_file, tmp_path):
    from slmbench.models.embedded import embedded_gguf_path, embedded_model_dir

    gguf, tokenizer = embedded_gguf_path(), str(embedded_model_dir())
    with llama_cpp_server(gguf, tmp_path / "server.log") as url:
        predictions, results = check_served_equals_local(
            gguf, url, tokenizer, data_file, tmp_path, limit=4, cap=1024
        )
    check_constrained_outputs_validate(predictions["strict"])
    finished = [p for p in predictions["strict"].values() if p["stop"] != "closed"]
    assert len(finished) >= 2, "too few constrained rows finished for the check to mean much"
