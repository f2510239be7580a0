"""Rebuild `tests/assets/tiny-tokenizer/`: a 1024-token byte-level BPE for the fast tests.

It is SmolLM2's tokenizer in miniature: the same special tokens at the same ids
(`<|endoftext|>` 0, `<|im_start|>` 1, `<|im_end|>` 2), the same pre-tokenizer (digits one by
one, then GPT-2's byte-level regex: what llama.cpp's `smollm` pre-tokenizer does), the same
chat template, EOS and padding `<|im_end|>`. Trained on `tiny-tokenizer-corpus.txt`: generated
EdgeJSON rows (prompt, gold answer and compact schema), committed so that training needs only
that file.

    .venv/bin/python tests/assets/make_tiny_tokenizer.py             # retrain from the corpus
    .venv/bin/python tests/assets/make_tiny_tokenizer.py --corpus    # also regenerate the corpus

The chat template is copied from the embedded model's tokenizer (converted on first use) when
that is installed, else kept from the asset already here.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ASSETS = Path(__file__).resolve().parent
OUT = ASSETS / "tiny-tokenizer"
CORPUS = ASSETS / "tiny-tokenizer-corpus.txt"
VOCAB_SIZE = 1024
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CORPUS_SEED, CORPUS_ROWS = 0, 160


def write_corpus(path: Path = CORPUS) -> None:
    """Generated rows as training text: each row's prompt, answer and the compact schema."""
    from slmbench.data.generate import build_rows
    from slmbench.data.schemas import load_schemas
    from slmbench.prompts import INSTRUCTION, compact_schema, format_answer

    schemas = load_schemas()
    rows = build_rows(seed=CORPUS_SEED, n_train=CORPUS_ROWS, n_test=40, schemas=schemas)["train"]
    lines = [INSTRUCTION, "You are a helpful AI assistant named SmolLM, trained by Hugging Face"]
    for row in rows:
        lines += [row.prompt, format_answer(row.expected_output)]
    lines += [compact_schema(schemas[s].schema) for s in sorted(schemas)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def chat_template() -> str:
    try:
        from slmbench.models.embedded import embedded_model_dir

        folder = embedded_model_dir()
    except Exception as e:  # the embedded model missing or not convertible: keep ours
        print(f"embedded tokenizer unavailable ({e}); keeping the asset's chat template")
        folder = OUT
    jinja = folder / "chat_template.jinja"
    if jinja.is_file():
        return jinja.read_text(encoding="utf-8")
    return json.loads((folder / "tokenizer_config.json").read_text())["chat_template"]


def train(out: Path = OUT) -> None:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    template = chat_template()
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        min_frequency=2,
        show_progress=False,
    )
    tokenizer.train([str(CORPUS)], trainer)
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<|im_end|>",
        unk_token="<|endoftext|>",
        model_max_length=8192,
    )
    wrapped.chat_template = template
    wrapped.save_pretrained(out)
    print(f"wrote {out} ({len(wrapped)} tokens)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", action="store_true", help="regenerate the corpus first")
    args = parser.parse_args()
    if args.corpus or not CORPUS.is_file():
        write_corpus()
    train()


if __name__ == "__main__":
    main()
