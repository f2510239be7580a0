"""Constrained decoding: engines compared on our schemas, gold answers and tokenizer, and the
end-to-end per-token overhead of `SchemaLogitsProcessor` on the embedded model.

    .venv/bin/python benchmarks/bench_constrained.py [--rows 48] [--e2e-rows 4]

Measured per engine, on the packaged schemas (made bounded and date-exact by
`slmbench.constrain.grammar.bounded_schema`) and the gold answers of the seeded generated test
split (`format_answer`, exactly what a fine-tuned model writes):
- compliance: the share of gold answers the engine's grammar accepts token by token and then
  lets end (EOS); a grammar that rejects a gold answer forces an error on a perfect model;
- compile time per schema (cold, incl. building the per-tokenizer matcher or index);
- mask time per token while walking the gold tokens (compute the allowed-token mask, then
  consume the token): the engine's own cost per decoded token.
Then llguidance inside `model.generate` (batch 1, greedy): ms/token with and without the
processor, and the processor's own time per step.

Alternative engines are optional imports. Keep them out of the project venv:
    .venv/bin/pip install -c constraints.txt --no-deps --target /tmp/engines \
        xgrammar apache-tvm-ffi outlines-core
    PYTHONPATH=/tmp/engines .venv/bin/python benchmarks/bench_constrained.py
(`pip install xgrammar` alone also pulls triton, ~290 MB, a GPU compiler it does not need
on CPU; outlines-core is one 2.3 MB wheel without dependencies.)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import time
from collections import defaultdict

import numpy as np


def byte_level_decoder() -> dict[str, int]:
    """GPT-2 byte-level BPE: the printable character standing for each byte."""
    printable = (
        list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    )
    chars, extra = {}, 0
    for b in range(256):
        if b in printable:
            chars[chr(b)] = b
        else:
            chars[chr(256 + extra)] = b
            extra += 1
    return chars


class LLGuidanceEngine:
    name = "llguidance"

    def __init__(self, tokenizer):
        from slmbench.constrain.grammar import llg_tokenizer

        self.tokenizer = tokenizer
        self.llg = llg_tokenizer(tokenizer)
        self.mask = np.zeros((1, (self.llg.vocab_size + 31) // 32), dtype=np.int32)

    def compile(self, schema):
        from slmbench.constrain.grammar import clear_cache, compile_schema

        clear_cache()
        return compile_schema(schema, self.tokenizer)

    def walk(self, compiled, ids, eos):
        from llguidance.numpy import fill_next_token_bitmask

        matcher, times = compiled.new_matcher(), []
        for token in ids:
            start = time.perf_counter()
            fill_next_token_bitmask(matcher, self.mask, 0)
            ok = matcher.consume_token(token)
            times.append(time.perf_counter() - start)
            if not ok:
                return False, times
        return matcher.consume_token(eos) and matcher.is_stopped(), times


class XGrammarEngine:
    name = "xgrammar"

    def __init__(self, tokenizer):
        import xgrammar as xgr

        self.xgr = xgr
        self.info = xgr.TokenizerInfo.from_huggingface(tokenizer, vocab_size=len(tokenizer))
        self.mask = xgr.allocate_token_bitmask(1, self.info.vocab_size)

    def compile(self, schema):
        from slmbench.constrain.grammar import bounded_schema

        body = bounded_schema(schema)
        body.pop("x-guidance")
        compiler = self.xgr.GrammarCompiler(self.info, max_threads=1, cache_enabled=False)
        return compiler.compile_json_schema(
            json.dumps(body), any_whitespace=False, separators=(", ", ": ")
        )

    def walk(self, compiled, ids, eos):
        matcher, times = self.xgr.GrammarMatcher(compiled), []
        for token in ids:
            start = time.perf_counter()
            matcher.fill_next_token_bitmask(self.mask)
            ok = matcher.accept_token(token)
            times.append(time.perf_counter() - start)
            if not ok:
                return False, times
        return matcher.accept_token(eos) and matcher.is_terminated(), times


class OutlinesCoreEngine:
    """Regex-based: no separator option, so single optional spaces (` ?`) stand in for the
    exact `", "` / `": "` (a superset of our format). Gets the schemas WITHOUT our added
    string/array bounds: its DFA index build blows up on them (feature_flag: 20 s with
    `maxLength: 1000`, 0.1 s without; the next schema did not finish in 10 minutes)."""

    name = "outlines-core"

    def __init__(self, tokenizer):
        import outlines_core

        self.oc = outlines_core
        to_byte = byte_level_decoder()
        special = set(tokenizer.all_special_ids)
        vocab: dict[bytes, list[int]] = defaultdict(list)
        for token, token_id in tokenizer.get_vocab().items():
            if token_id in special:
                continue
            vocab[bytes(to_byte[c] for c in token)].append(token_id)
        self.vocabulary = outlines_core.Vocabulary(tokenizer.eos_token_id, dict(vocab))
        self.mask = np.zeros((len(tokenizer) + 31) // 32, dtype=np.int32)

    def compile(self, schema):
        from slmbench.constrain.grammar import bounded_schema

        body = _without_added_bounds(bounded_schema(schema))
        body.pop("x-guidance")
        regex = self.oc.json_schema.build_regex_from_schema(json.dumps(body), " ?")
        return self.oc.Index(regex, self.vocabulary)

    def walk(self, index, ids, eos):
        guide, times = self.oc.Guide(index), []
        for token in ids:
            start = time.perf_counter()
            guide.write_mask_into(self.mask.ctypes.data, self.mask.size, 4)
            try:
                guide.advance(token)
                ok = True
            except ValueError:
                ok = False
            times.append(time.perf_counter() - start)
            if not ok:
                return False, times
        return guide.is_finished() or eos in guide.get_tokens(), times


def _without_added_bounds(node):
    from slmbench.constrain.grammar import DEFAULT_MAX_ITEMS, DEFAULT_MAX_STRING_CHARS

    if isinstance(node, dict):
        if node.get("maxLength") == DEFAULT_MAX_STRING_CHARS:
            del node["maxLength"]
        if node.get("maxItems") == DEFAULT_MAX_ITEMS:
            del node["maxItems"]
        for value in node.values():
            _without_added_bounds(value)
    elif isinstance(node, list):
        for value in node:
            _without_added_bounds(value)
    return node


ENGINES = (LLGuidanceEngine, XGrammarEngine, OutlinesCoreEngine)


def gold_rows(n_rows: int):
    """The first rows of the seeded generated test split, round-robin over schemas."""
    from slmbench.data.generate import build_rows

    rows = build_rows(0, 48, 158)["test"]
    by_schema = defaultdict(list)
    for row in rows:
        by_schema[row.schema_id].append(row)
    picked = []
    while len(picked) < n_rows and any(by_schema.values()):
        for schema_id in sorted(by_schema):
            if by_schema[schema_id] and len(picked) < n_rows:
                picked.append(by_schema[schema_id].pop(0))
    return picked


def compare_engines(tokenizer, schemas, rows, names) -> list[dict]:
    from slmbench.prompts import format_answer

    report = []
    for engine_cls in [e for e in ENGINES if e.name in names]:
        try:
            start = time.perf_counter()
            engine = engine_cls(tokenizer)
            setup_s = time.perf_counter() - start
        except ImportError as e:
            print(f"{engine_cls.name}: not installed ({e.name}); skipped")
            continue
        compiled, compile_s, failures = {}, {}, {}
        for schema_id, info in schemas.items():
            start = time.perf_counter()
            try:
                compiled[schema_id] = engine.compile(info.schema)
            except Exception as e:  # noqa: BLE001 - any engine failure is a data point here
                failures[schema_id] = f"{type(e).__name__}: {str(e).splitlines()[0][:120]}"
                continue
            compile_s[schema_id] = time.perf_counter() - start
        accepted, rejected, first_tokens, steady = 0, [], [], []
        for row in rows:
            if row.schema_id not in compiled:
                continue
            ids = tokenizer(format_answer(row.expected_output), add_special_tokens=False)
            ok, times = engine.walk(
                compiled[row.schema_id], ids["input_ids"], tokenizer.eos_token_id
            )
            accepted += ok
            if not ok:
                rejected.append(row.schema_id)
            first_tokens.append(times[0])
            steady.extend(times[1:])
        entry = {
            "engine": engine.name,
            "setup_s": round(setup_s, 2),
            "schemas_compiled": f"{len(compiled)}/{len(schemas)}",
            "compile_failures": failures,
            "compile_ms_median": round(1000 * statistics.median(compile_s.values()), 1),
            "compile_ms_max": round(1000 * max(compile_s.values()), 1),
            "gold_accepted": f"{accepted}/{len(rows)}",
            "gold_rejected_schemas": rejected,
            "mask_ms_per_token_median": round(1000 * statistics.median(steady), 3),
            "mask_ms_per_token_mean": round(1000 * statistics.mean(steady), 3),
            "first_token_ms_median": round(1000 * statistics.median(first_tokens), 2),
        }
        report.append(entry)
        print(json.dumps(entry), flush=True)
    return report


def end_to_end(model_dir, schemas, rows, max_tokens: int) -> dict:
    """Batch-1 greedy generation on the embedded model, each row without then with the
    processor (token budget as in eval, capped at `max_tokens`; constrained rows still open at
    their budget get closing mode's extra tokens, as in eval): median time per decoding step
    (prefill excluded, so runs of different lengths compare), and the processor's own time
    per step."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, StoppingCriteria

    from slmbench.constrain.closing import CLOSING_TOKENS
    from slmbench.constrain.processor import SchemaLogitsProcessor
    from slmbench.eval.runner import max_new_tokens_for
    from slmbench.prompts import build_prompt, format_answer

    class StepClock(StoppingCriteria):
        def __init__(self):
            self.stamps = []

        def __call__(self, input_ids, scores, **kwargs):
            self.stamps.append(time.perf_counter())
            return torch.zeros(input_ids.shape[0], dtype=torch.bool)

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    steps = {"off": [], "on": []}
    processor_s, processor_calls, valid, closed = 0.0, 0, 0, 0
    for i, row in enumerate(rows):
        schema = schemas[row.schema_id].schema
        prompt = build_prompt(row.prompt, "chat", tokenizer, schema)
        encoded = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
        gold_tokens = len(tokenizer(format_answer(row.expected_output))["input_ids"])
        budget = max_new_tokens_for(gold_tokens, max_tokens)
        for mode in ("off", "on"):
            timed = _timed_processor(SchemaLogitsProcessor(tokenizer, [schema], close_at=[budget]))
            clock = StepClock()
            with torch.inference_mode():
                out = model.generate(
                    **encoded,
                    max_new_tokens=budget + (CLOSING_TOKENS if mode == "on" else 0),
                    do_sample=False,
                    logits_processor=[timed] if mode == "on" else [],
                    stopping_criteria=[clock],
                    pad_token_id=tokenizer.pad_token_id,
                )
            if i == 0:
                continue  # warm-up row: first grammar use and first-call costs
            steps[mode].extend(np.diff(clock.stamps).tolist())
            if mode == "on":
                processor_s += timed.seconds
                processor_calls += timed.calls
                new = out[0, encoded["input_ids"].shape[1] :]
                closed += len(new) > budget
                text = tokenizer.decode(new, skip_special_tokens=True)
                validator = schemas[row.schema_id].validator()
                with contextlib.suppress(json.JSONDecodeError):
                    valid += not list(validator.iter_errors(json.loads(text)))
    off_ms = 1000 * statistics.median(steps["off"])
    on_ms = 1000 * statistics.median(steps["on"])
    processor_ms = 1000 * processor_s / max(1, processor_calls)
    result = {
        "rows_timed": len(rows) - 1,
        "steps_timed": {mode: len(times) for mode, times in steps.items()},
        "unconstrained_ms_per_step_median": round(off_ms, 2),
        "constrained_ms_per_step_median": round(on_ms, 2),
        "overhead_percent_medians": round(100 * (on_ms - off_ms) / off_ms, 1),
        "processor_ms_per_step": round(processor_ms, 3),
        "processor_percent_of_constrained_step": round(100 * processor_ms / on_ms, 1),
        "constrained_outputs_schema_valid": f"{valid}/{len(rows) - 1}",
        "constrained_outputs_closed_after_budget": closed,
    }
    print(json.dumps(result), flush=True)
    return result


def _timed_processor(processor):
    class Timed:
        seconds, calls = 0.0, 0

        def __call__(self, input_ids, scores):
            start = time.perf_counter()
            out = processor(input_ids, scores)
            self.seconds += time.perf_counter() - start
            self.calls += 1
            return out

    return Timed()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=48, help="gold answers walked per engine")
    parser.add_argument(
        "--e2e-rows", type=int, default=4, help="rows generated with the model (first: warm-up)"
    )
    parser.add_argument(
        "--e2e-max-new-tokens", type=int, default=128, help="token budget cap per row (128)"
    )
    parser.add_argument(
        "--engines",
        default=",".join(e.name for e in ENGINES),
        help="comma-separated engines to compare (default: all installed)",
    )
    args = parser.parse_args()

    from transformers import AutoTokenizer

    from slmbench.data.schemas import load_schemas
    from slmbench.models.embedded import embedded_model_dir

    model_dir = embedded_model_dir()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    schemas = load_schemas()
    rows = gold_rows(args.rows)
    print(f"{len(schemas)} schemas, {len(rows)} gold answers", flush=True)
    compare_engines(tokenizer, schemas, rows, args.engines.split(","))
    if args.e2e_rows > 1:
        end_to_end(model_dir, schemas, gold_rows(args.e2e_rows), args.e2e_max_new_tokens)


if __name__ == "__main__":
    main()
