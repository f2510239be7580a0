"""llama.cpp's own throughput on a GGUF model (default: the embedded SmolLM2-135M Q4_1), batch 1.

Prints prompt processing (tokens/s over a prompt of --prompt-tokens), generation (greedy tokens/s
after that prompt) and, through `LlamaCppBackend`, TTFT and decode speed on a real chat prompt.

    .venv/bin/python benchmarks/bench_llamacpp.py [--model FILE.gguf] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="a .gguf file (default: embedded model)")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--prompt-tokens", type=int, default=256)
    parser.add_argument("--gen-tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from slmbench.models.base import GenerationRequest
    from slmbench.models.llamacpp_backend import LlamaCppBackend
    from slmbench.prompts import build_prompt

    backend = LlamaCppBackend(args.model, threads=args.threads)
    llm, info = backend.llm, backend.info()
    print(
        f"model {info['name']} ({info['dtype']}, {info['params'] / 1e6:.1f}M params), "
        f"llama-cpp-python {info['llama_cpp_version']}, {info['threads']} threads"
    )

    # A prompt of exactly --prompt-tokens ordinary tokens (no specials).
    filler = llm.tokenize(b" the quick brown fox jumps over the lazy dog", add_bos=False)
    prompt = (filler * (args.prompt_tokens // len(filler) + 1))[: args.prompt_tokens]
    prompt_rates, gen_rates = [], []
    for _ in range(args.repeats):
        llm.reset()
        start, n = time.perf_counter(), 0
        for _token in llm.generate(prompt, temp=0.0, repeat_penalty=1.0):
            n += 1
            if n == 1:  # the prompt is evaluated before the first token comes out
                first = time.perf_counter()
            if n == args.gen_tokens:
                break
        end = time.perf_counter()
        prompt_rates.append(len(prompt) / (first - start))
        gen_rates.append((n - 1) / (end - first))
    prompt_rate, gen_rate = statistics.median(prompt_rates), statistics.median(gen_rates)
    print(f"prompt processing: {prompt_rate:7.1f} tok/s  ({len(prompt)} tokens)")
    print(f"generation:        {gen_rate:7.1f} tok/s  ({args.gen_tokens} tokens)")

    text = "Invoice INV-2291 from Northwind Traders, issued 2024-05-02, total 1,250.00 USD."
    request = GenerationRequest(
        build_prompt(text, "chat", backend.tokenizer), max_new_tokens=args.gen_tokens
    )
    gens = [backend.generate([request])[0] for _ in range(args.repeats)]
    ttft = statistics.median(g.ttft_s for g in gens) * 1000
    decode = statistics.median(g.decode_tokens_per_s for g in gens)
    print(
        f"backend, chat prompt of {gens[0].prompt_tokens} tokens: TTFT {ttft:.0f} ms, "
        f"decode {decode:.1f} tok/s, {gens[0].generated_tokens} tokens generated"
    )


if __name__ == "__main__":
    main()
