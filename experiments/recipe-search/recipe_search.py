"""Recipe search on validation data: train each candidate recipe, evaluate it with the harness on
the run's held-out validation rows (never a test split), and keep one row per candidate in
`OUT/search.jsonl`. Rerunning the same command skips finished candidates (and each train/eval
run resumes on its own), so an interrupted search loses nothing.

    .venv/bin/python experiments/recipe-search/recipe_search.py \
        --grid experiments/recipe-search/search_grid.json \
        --data results/data/edgejson-seed0/train.jsonl --val-fraction 0.1 --out runs/search

A candidate is a name and recipe overrides on top of `--base` (default `recommended`; a
candidate's `_base` key names another recipe). Keys of the grid starting with `_` are comments.
`--budget-s` stops starting new candidates once that many seconds have passed (GPU leases are
short); `--only` runs the named candidates. The best candidate by validation JSONExact (ties:
field F1) is written to `OUT/best.json`; `--returnable-max-mb` restricts that choice to LoRA
adapters small enough to ship.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from slmbench.eval.runner import EvalOptions, run_eval
from slmbench.train.recipe import load_recipe, recipe_from_dict
from slmbench.train.trainer import TrainRequest, train


def candidate_row(name: str, overrides: dict, run: Path, meta: dict, results: dict) -> dict:
    """One line of search.jsonl: what was trained, how long it took, how it scored."""
    overall = results["metrics"]["overall"]
    tiers = results["metrics"].get("by_tier", {})
    adapter = run / "adapter" / "adapter_model.safetensors"
    return {
        "name": name,
        "overrides": overrides,
        "run": str(run),
        "device": meta.get("device"),
        "bf16": meta.get("bf16"),
        "train_wall_s": meta.get("wall_s"),
        "tokens_seen": meta.get("tokens_seen"),
        "train_loss": meta.get("train_loss"),
        "val_loss": (meta.get("final_val") or {}).get("loss"),
        "val_rows": results["n"],
        "val_json_exact": overall["json_exact"]["value"],
        "val_json_exact_ci": [overall["json_exact"]["ci_low"], overall["json_exact"]["ci_high"]],
        "val_field_f1": overall["field_f1"]["value"],
        "val_schema_valid": overall["schema_valid"]["value"],
        "val_json_exact_by_tier": {t: m["json_exact"]["value"] for t, m in tiers.items()},
        "adapter_mb": round(adapter.stat().st_size / 1e6, 1) if adapter.is_file() else None,
    }


def run_candidate(args: argparse.Namespace, name: str, overrides: dict) -> dict:
    overrides = dict(overrides)
    base, source = load_recipe(overrides.pop("_base", args.base))
    recipe = recipe_from_dict(overrides, f"{args.grid} candidate {name}", base=base)
    run = Path(args.out) / name
    meta = train(
        TrainRequest(
            model=args.model,
            data=Path(args.data),
            out=run,
            recipe=recipe,
            recipe_source=f"{source} + search candidate {name}",
            schemas=Path(args.schemas) if args.schemas else None,
            val_fraction=args.val_fraction,
        )
    )
    evaluated = run / "model" if recipe.method == "full" else None
    results = run_eval(
        EvalOptions(
            data=args.data,
            out=str(run / "val-eval"),
            model=str(evaluated) if evaluated else None,
            adapter=None if evaluated else str(run),
            schemas=args.schemas,
            ids=str(run / "val_ids.json"),
            batch_size=args.eval_batch_size,
            device=args.device,
            threads=args.threads,
            progress=False,
        )
    )
    return candidate_row(name, overrides, run, meta, results)


def pick_best(rows: list[dict], max_mb: float | None) -> dict | None:
    """The row with the best validation JSONExact (then field F1) among shippable runs.

    >>> rows = [{"name": "a", "val_json_exact": 0.5, "val_field_f1": 0.9, "adapter_mb": 9},
    ...         {"name": "b", "val_json_exact": 0.7, "val_field_f1": 0.8, "adapter_mb": None},
    ...         {"name": "c", "val_json_exact": 0.5, "val_field_f1": 0.95, "adapter_mb": 9}]
    >>> pick_best(rows, None)["name"], pick_best(rows, 10)["name"]
    ('b', 'c')
    """
    usable = [
        r
        for r in rows
        if max_mb is None or (r["adapter_mb"] is not None and r["adapter_mb"] <= max_mb)
    ]
    if not usable:
        return None
    return max(usable, key=lambda r: (r["val_json_exact"], r["val_field_f1"]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grid", required=True, help="JSON object: name -> recipe overrides")
    parser.add_argument("--data", required=True)
    parser.add_argument("--schemas")
    parser.add_argument("--val-fraction", type=float, default=0.1)
    parser.add_argument("--out", required=True)
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--base", default="recommended", help="recipe the overrides apply to")
    parser.add_argument("--only", nargs="+", help="run only these candidates")
    parser.add_argument("--budget-s", type=float, help="start no candidate after this long")
    parser.add_argument("--device", choices=("cpu", "cuda", "auto"), default="auto")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--eval-batch-size", type=int, default=16)
    parser.add_argument("--returnable-max-mb", type=float, help="best.json: adapters this small")
    args = parser.parse_args()

    grid = json.loads(Path(args.grid).read_text(encoding="utf-8"))
    grid = {k: v for k, v in grid.items() if not k.startswith("_")}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log = out / "search.jsonl"
    rows = [json.loads(line) for line in log.read_text().splitlines()] if log.is_file() else []
    done = {r["name"] for r in rows}
    started = time.perf_counter()
    for name, overrides in grid.items():
        if name in done or (args.only and name not in args.only):
            continue
        if args.budget_s and time.perf_counter() - started > args.budget_s:
            print(f"budget of {args.budget_s:.0f} s spent: {name} and later candidates not run")
            break
        print(f"=== candidate {name}: {overrides}", flush=True)
        row = run_candidate(args, name, overrides)
        rows.append(row)
        with log.open("a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
        print(
            f"=== {name}: val JSONExact {100 * row['val_json_exact']:.1f}% "
            f"(by tier {row['val_json_exact_by_tier']}), field F1 {row['val_field_f1']:.3f}, "
            f"train {row['train_wall_s']} s",
            flush=True,
        )
    best = pick_best(rows, args.returnable_max_mb)
    if best:
        (out / "best.json").write_text(json.dumps(best, indent=2) + "\n", encoding="utf-8")
        print(f"best: {best['name']} ({100 * best['val_json_exact']:.1f}% val JSONExact)")
    print(f"{'candidate':<28} {'val JSONExact':>13} {'field F1':>8} {'train s':>8}")
    for r in sorted(rows, key=lambda r: -r["val_json_exact"]):
        print(
            f"{r['name']:<28} {100 * r['val_json_exact']:>12.1f}% {r['val_field_f1']:>8.3f} "
            f"{r['train_wall_s']:>8}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
