"""Answer tokens seen in training, per schema and per tier, for the LoRA runs of the logs, next
to what each run scored: the numbers `slmbench specialize` sizes its plan by
(`slmbench.specialize_plan.ANSWER_TOKENS_PER_SCHEMA`, `ANSWER_TOKENS_TOTAL`).

Answer tokens are counted as training counts them (`prompts.build_training_text`: the compact
JSON answer and EOS, with the `chat-schema` style's prefix) with the embedded model's tokenizer;
"seen" is tokens x epochs. A run that held out a validation part (`--val-fraction 0.1`) trained
on `n_train_examples` of its file's rows: its counts are the file's scaled by that share. Runs
continued from an adapter add the adapter's counts. Reads files only; runs no model.

    nice -n 19 .venv/bin/python experiments/data-scaling/answer_tokens.py \
        > experiments/data-scaling/answer_tokens.txt
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from transformers import AutoTokenizer

from slmbench.data.rows import iter_jsonl
from slmbench.models.registry import resolve_model
from slmbench.prompts import answer_prefix, format_answer

ROOT = Path(__file__).resolve().parents[2]
TRAIN, EVAL = ROOT / "results/runs/train", ROOT / "results/runs/eval"
# (train run, the run it continued or None, eval run of its test split)
RUNS = (
    ("edgejson-lora-r16", None, "edgejson-lora-r16.on-edgejson-test"),
    ("edgejson-lora-r16-e6", None, "edgejson-lora-r16-e6.on-edgejson-test"),
    ("edgejson-x2-lora-r16-e6", None, "edgejson-x2-lora-r16-e6.on-edgejson-test"),
    ("edgejson-x4-lora-r16-e3", None, "edgejson-x4-lora-r16-e3.on-edgejson-test"),
    (
        "edgejson-x4-lora-r16-e3-x8half",
        "edgejson-x4-lora-r16-e3",
        "edgejson-x4-lora-r16-e3-x8half.on-edgejson-test",
    ),
    ("v3-lora-r16-e6", None, "v3-lora-r16-e6.on-v3-heldout"),
)
SPECIALIZE = ROOT / "experiments/specialize-shipping/specialize.json"
SHIPPING_DATA = ROOT / "runs/specialize-shipping/data/train.jsonl"  # not in git: recounted if here


def answer_counts(path: Path, tokenizer) -> tuple[dict[str, list[int]], dict[str, str]]:
    """Answer tokens of every row of a data file, by schema; and each schema's tier."""
    by_schema: dict[str, list[int]] = defaultdict(list)
    tiers: dict[str, str] = {}
    prefix = answer_prefix("chat-schema")
    for _, obj in iter_jsonl(path, "data file"):
        schema = obj.get("schema_id") or obj.get("schema_name")
        gold = obj.get("expected_output", obj.get("output"))
        text = prefix + format_answer(gold) + tokenizer.eos_token
        by_schema[schema].append(len(tokenizer(text, add_special_tokens=False)["input_ids"]))
        tiers[schema] = obj.get("complexity") or obj.get("tier") or "?"
    return by_schema, tiers


def seen(run: str, tokenizer) -> tuple[dict[str, float], dict[str, str], dict]:
    meta = json.loads((TRAIN / run / "train_meta.json").read_text())
    data = Path(meta["data"]["path"])
    path = data if data.is_absolute() else (ROOT / data).resolve()
    by_schema, tiers = answer_counts(path, tokenizer)
    share = meta["n_train_examples"] / meta["data"]["n_rows"]
    epochs = meta["epochs_done"]
    return {s: sum(c) * share * epochs for s, c in by_schema.items()}, tiers, meta


def main() -> None:
    tokenizer = AutoTokenizer.from_pretrained(resolve_model("smollm2-135m-instruct"))
    done: dict[str, dict[str, float]] = {}
    print(
        "run | schemas | answer tokens seen: total | per schema: median, complex-tier mean | "
        "JSONExact % overall | complex"
    )
    for run, parent, eval_run in RUNS:
        tokens, tiers, meta = seen(run, tokenizer)
        if parent:
            tokens = {s: tokens.get(s, 0) + done[parent].get(s, 0) for s in tokens | done[parent]}
        done[run] = tokens
        per = sorted(tokens.values())
        complex_ = [v for s, v in tokens.items() if tiers.get(s) == "complex"]
        res = json.loads((EVAL / eval_run / "results.json").read_text())["metrics"]
        overall = 100 * res["overall"]["json_exact"]["value"]
        cx = res["by_tier"].get("complex", {}).get("json_exact", {}).get("value")
        print(
            f"{run} | {len(tokens)} | {sum(per):,.0f} | {per[len(per) // 2]:,.0f}, "
            f"{sum(complex_) / max(1, len(complex_)):,.0f} | {overall:.1f} | "
            f"{'-' if cx is None else f'{100 * cx:.1f}'}"
        )
    spec = json.loads(SPECIALIZE.read_text())
    plan, train = spec["recipe"], spec["steps"]["train"]
    if SHIPPING_DATA.is_file():
        by_schema, _ = answer_counts(SHIPPING_DATA, tokenizer)
        total = sum(sum(c) for c in by_schema.values()) * plan["epochs"]
        how = "recounted from its data"
    else:
        total = plan["rows"] * plan["epochs"] * plan["answer_tokens_per_row"]
        how = "its plan's rows x epochs x answer tokens per row"
    print(
        f"specialize-shipping ({how}) | 1 | {total:,.0f} | {total:,.0f}, {total:,.0f} | "
        f"{100 * spec['steps']['eval-synthetic']['json_exact']:.1f} | (one complex schema; "
        f"tokens_seen {train['tokens_seen']:,})"
    )


if __name__ == "__main__":
    main()
