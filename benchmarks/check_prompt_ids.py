"""Eval prompts tokenized by the HF tokenizer against llama.cpp's own tokenizer (no decoding).

Builds each row's prompt as `slmbench eval` does (the train run's prompt style and tokenizer),
tokenizes it as the transformers backend does and as llama.cpp's `Llama.tokenize` would
(`special=True`, the same BOS rule), on the GGUF the llamacpp backend runs for the adapter (a
vocabulary-only load), and prints the totals, each row that differs with the differing pieces,
and whether the HF tokenizer with a digit split in front of its byte-level pre-tokenizer (what
llama.cpp's `smollm` pre-tokenizer does) gives llama.cpp's ids on every row.

    nice -n 19 .venv/bin/python benchmarks/check_prompt_ids.py \\
        --data results/data/edgejson-seed0/test.jsonl \\
        --adapter results/runs/train/edgejson-x4-lora-r16-e3-x8half
"""

from __future__ import annotations

import argparse
import difflib
from collections import Counter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--adapter", required=True)
    parser.add_argument("--rows", type=int, default=0, help="first N rows (default: all)")
    args = parser.parse_args()

    import llama_cpp
    from tokenizers import pre_tokenizers
    from transformers import AutoTokenizer

    from slmbench.eval.runner import build_examples, task_name
    from slmbench.models.adapter_gguf import adapter_gguf
    from slmbench.models.gguf_files import tokenizer_dir_for
    from slmbench.models.registry import resolve_adapter
    from slmbench.prompts import prompt_add_special_tokens
    from slmbench.tasks import get_task

    _, recipe = resolve_adapter(args.adapter)
    task = get_task(task_name(None, recipe))
    style = (recipe or {}).get("prompt_style") or task.default_prompt_style
    gguf = adapter_gguf(args.adapter)
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir_for(gguf))
    rows, schemas = task.load("reader")(args.data)
    rows = rows[: args.rows] if args.rows else rows
    examples = build_examples(rows, schemas, style, tokenizer, 1, task.name)
    llm = llama_cpp.Llama(model_path=str(gguf), vocab_only=True, verbose=False)

    digit_split = AutoTokenizer.from_pretrained(tokenizer_dir_for(gguf))
    digit_split.backend_tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), digit_split.backend_tokenizer.pre_tokenizer]
    )
    print(f"{len(examples)} rows of {args.data}, prompt style {style}, GGUF {gguf}")
    print(f"HF pre-tokenizer: {tokenizer.backend_tokenizer.pre_tokenizer.__getstate__().decode()}")
    totals, differing, pieces, split_agrees = Counter(), 0, Counter(), 0
    for example in examples:
        prompt = example.prompt
        special = prompt_add_special_tokens(tokenizer, prompt)
        hf = tokenizer(prompt, add_special_tokens=special)["input_ids"]
        native = llm.tokenize(prompt.encode("utf-8"), add_bos=special, special=True)
        split_agrees += digit_split(prompt, add_special_tokens=special)["input_ids"] == native
        totals["hf"] += len(hf)
        totals["llama.cpp"] += len(native)
        if hf == native:
            continue
        differing += 1
        changes = []
        matcher = difflib.SequenceMatcher(a=hf, b=native, autojunk=False)
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op != "equal":
                change = (
                    tuple(tokenizer.decode([t]) for t in hf[i1:i2]),
                    tuple(llm.detokenize([t]).decode("utf-8", "replace") for t in native[j1:j2]),
                )
                pieces[change] += 1
                changes.append(change)
        print(f"{example.row.id}: {len(hf)} HF, {len(native)} llama.cpp tokens; {changes}")
    print(
        f"prompt tokens: {totals['hf']} HF, {totals['llama.cpp']} llama.cpp; "
        f"{differing} of {len(examples)} rows differ"
    )
    print("differing pieces (HF tokens -> llama.cpp tokens), with their counts:")
    for (hf_pieces, native_pieces), count in pieces.most_common():
        print(f"  {count} x {list(hf_pieces)} -> {list(native_pieces)}")
    print(
        f"HF tokenizer with a digit split first == llama.cpp on {split_agrees} of "
        f"{len(examples)} rows"
    )


if __name__ == "__main__":
    main()
