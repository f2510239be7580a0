"""Batched decoding, transformers against llama.cpp, beside this machine's limits; then the wall
time of a constrained eval with the model of record on both backends.

1. Decode throughput (greedy, unconstrained, every row forced to --gen-tokens unless it ends)
   of the embedded SmolLM2-135M at each --batch-sizes: transformers (fp32 safetensors) and
   llama.cpp (its Q4_1 GGUF), aggregate tokens/s = generated tokens after the first, over the
   time from the batch's first token to its last. Beside them, the limits:
   - batch 1 is memory-bound: copy bandwidth (numpy, as `slmbench bench` measures it) over the
     weight bytes read per token (fp32 parameters x 4; the GGUF's size on disk);
   - batched decoding is compute-bound: FLOPs per token (2 x parameters; the tied embedding
     counted once, as the output layer) over the measured matrix-product throughput: torch's
     fp32 GEMM at the model's MLP shape with 512 rows, and llama.cpp's own prompt processing
     (512 tokens in one batch: the most its kernels do per second), as tokens/s.
2. `slmbench eval --constrained` of --rows rows of --data with the adapter --adapter, for each
   backend and --eval-batch-sizes: wall time (model loading apart), JSONExact, schema-valid rate
   and tokens, and a floor: (prompt + generated tokens) over that backend's compute ceiling
   from part 1 (measured on the embedded model's weights; the eval runs the adapter merged, in
   fp32 for transformers and as GGUF Q8_0 for llama.cpp, so the floor is approximate). The
   llamacpp backend converts the adapter to GGUF once (cached; its time is printed on first use).
On a CPU shared with other jobs, give llama.cpp no more threads than free cores: its threads
wait for each other at every operation (here, 2 threads on 2 busy cores took 7x the CPU time of
1 thread for the same tokens).

    nice -n 19 .venv/bin/python benchmarks/bench_llamacpp_batch.py --rows 158 --threads 2
    nice -n 19 .venv/bin/python benchmarks/bench_llamacpp_batch.py --rows 4 \\
        --batch-sizes 1 4 --eval-batch-sizes 4 --gen-tokens 16      # a quick check that it runs
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT / "results" / "data" / "edgejson-seed0" / "test.jsonl"
DEFAULT_ADAPTER = ROOT / "results" / "runs" / "train" / "edgejson-x4-lora-r16-e3-x8half"
BACKENDS = ("transformers", "llamacpp")
GEMM_ROWS = 512


def decode_rate(backend, prompts: list[str], batch: int, gen_tokens: int) -> tuple[float, int]:
    """(aggregate decode tokens/s, tokens generated) of one batch of `batch` prompts."""
    from slmbench.models.base import GenerationRequest

    chosen = [prompts[i % len(prompts)] for i in range(batch)]
    requests = [GenerationRequest(p, gen_tokens, stop_at_json=False) for p in chosen]
    generations = backend.generate(requests)
    first = min(g.ttft_s for g in generations)
    last = max(g.total_s for g in generations)
    steps = sum(max(g.generated_tokens - 1, 0) for g in generations)
    return (steps / (last - first) if last > first else 0.0), sum(
        g.generated_tokens for g in generations
    )


def torch_gemm_gflops(hidden: int, inner: int, threads: int) -> float:
    """fp32 GEMM throughput (GFLOP/s) of a (GEMM_ROWS x hidden) @ (hidden x inner) product."""
    import torch

    torch.set_num_threads(threads)
    a, b = torch.randn(GEMM_ROWS, hidden), torch.randn(hidden, inner)
    for _ in range(3):
        a @ b
    best = float("inf")
    for _ in range(10):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * GEMM_ROWS * hidden * inner / best / 1e9


def llama_prompt_rate(backend) -> float:
    """llama.cpp's prompt processing in tokens/s: GEMM_ROWS tokens in one batch, best of 3."""
    llm = backend.llm
    filler = llm.tokenize(b" the quick brown fox jumps over the lazy dog", add_bos=False)
    prompt = (filler * (GEMM_ROWS // len(filler) + 1))[:GEMM_ROWS]
    best = float("inf")
    for _ in range(3):
        llm.reset()
        start = time.perf_counter()
        llm.eval(prompt)
        best = min(best, time.perf_counter() - start)
    return len(prompt) / best


def bench_decoding(args, bandwidth: float) -> dict[str, float]:
    """Prints the decode table; returns each backend's compute ceiling in tokens/s."""
    from slmbench.data.rows import read_rows
    from slmbench.data.schemas import load_schemas
    from slmbench.eval.bench import decode_limit_tok_s, weight_bytes_per_token
    from slmbench.models.registry import load_backend
    from slmbench.prompts import build_prompt

    rows = read_rows(args.data, load_schemas(None))[: max(args.batch_sizes)]
    print(f"\n1. decode tokens/s, embedded model, {args.gen_tokens} tokens per row, unconstrained")
    print("| backend | weights | batch | decode tok/s | tokens | limit tok/s | limit from |")
    print("|---|---|---|---|---|---|---|")
    ceilings = {}
    for name in BACKENDS:
        backend = load_backend(name, "smollm2-135m-instruct", threads=args.threads)
        backend.warmup()
        info = backend.info()
        prompts = [build_prompt(row.prompt, "chat", backend.tokenizer) for row in rows]
        flops = 2 * info["params"]
        memory_limit = decode_limit_tok_s(bandwidth, weight_bytes_per_token(info, None))
        if name == "transformers":
            config = backend.model.config
            gflops = torch_gemm_gflops(config.hidden_size, config.intermediate_size, args.threads)
            compute_limit, compute_from = gflops * 1e9 / flops, f"torch GEMM {gflops:.0f} GFLOP/s"
        else:
            compute_limit = llama_prompt_rate(backend)
            compute_from = (
                f"llama.cpp prompt processing ({compute_limit * flops / 1e9:.0f} GFLOP/s)"
            )
        ceilings[name] = compute_limit
        for batch in args.batch_sizes:
            rate, tokens = decode_rate(backend, prompts, batch, args.gen_tokens)
            limit, source = (
                (memory_limit, f"{bandwidth:.1f} GB/s / weight bytes")
                if batch == 1
                else (compute_limit, compute_from)
            )
            print(
                f"| {name} | {info['dtype']} | {batch} | {rate:.1f} | {tokens} "
                f"| {limit or 0:.0f} | {source} |"
            )
        del backend
    return ceilings


def bench_eval(args, ceilings: dict[str, float]) -> None:
    """The eval table; `floor s` = (prompt + generated tokens) / the backend's compute ceiling
    (every token goes through the weights once, at best at prompt-processing speed)."""
    from slmbench.eval.api import EvalOptions
    from slmbench.eval.runner import run_eval

    print(f"\n2. constrained eval, {args.rows} rows of {args.data}, adapter {args.adapter}")
    if "llamacpp" in args.eval_backends:
        from slmbench.models.adapter_gguf import adapter_gguf

        start = time.perf_counter()
        path = adapter_gguf(args.adapter)
        print(f"adapter as GGUF: {path} ({time.perf_counter() - start:.1f} s, cached after)")
    print(
        "| backend | batch | wall s | JSONExact | schema valid | prompt tokens "
        "| generated tokens | generated tok/s | floor s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name in args.eval_backends:
        for batch in args.eval_batch_sizes:
            with tempfile.TemporaryDirectory() as tmp:
                options = EvalOptions(
                    data=str(args.data),
                    out=str(Path(tmp) / "run"),
                    adapter=str(args.adapter),
                    backend=name,
                    constrained="strict",
                    limit=args.rows,
                    batch_size=batch,
                    threads=args.threads,
                    progress=False,
                )
                results = run_eval(options, echo=lambda _: None)
                lines = (Path(tmp) / "run" / "predictions.jsonl").read_text().splitlines()
                prompt_tokens = sum(json.loads(line)["prompt_tokens"] for line in lines)
            metrics = results["metrics"]["overall"]
            wall = results["latency"]["session_wall_s"]
            tokens = results["latency"]["generated_tokens_total"]
            ceiling = ceilings.get(name)
            floor = f"{(prompt_tokens + tokens) / ceiling:.1f}" if ceiling else "-"
            print(
                f"| {name} | {batch} | {wall:.1f} | {100 * metrics['json_exact']['value']:.1f}% "
                f"| {100 * metrics['schema_valid']['value']:.1f}% | {prompt_tokens} | {tokens} "
                f"| {tokens / wall if wall else 0:.1f} | {floor} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8, 16])
    parser.add_argument("--gen-tokens", type=int, default=64)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--adapter", type=Path, default=DEFAULT_ADAPTER)
    parser.add_argument("--rows", type=int, default=158)
    parser.add_argument("--eval-batch-sizes", type=int, nargs="+", default=[8, 16])
    parser.add_argument("--eval-backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    parser.add_argument("--skip-decode", action="store_true")
    parser.add_argument("--skip-eval", action="store_true")
    args = parser.parse_args()

    import torch

    from slmbench.eval.bench import memory_bandwidth_gb_s
    from slmbench.models.hf_backend import hardware_name

    bandwidth = memory_bandwidth_gb_s()
    print(
        f"{hardware_name(torch.device('cpu'))}, {args.threads} threads, "
        f"copy bandwidth {bandwidth:.1f} GB/s (numpy, read + write)"
    )
    ceilings = bench_decoding(args, bandwidth) if not args.skip_decode else {}
    if not args.skip_eval:
        bench_eval(args, ceilings)


if __name__ == "__main__":
    main()
