"""Seeded generator of the EdgeJSON train/test splits: `slmbench data build`.

For each of the 24 packaged schemas a `Domain` (modules `gen_simple*`, `gen_medium*` and
`gen_complex*`) makes gold records that are consistent by construction (line totals, subtotals
and totals add up; end dates follow start dates; ages match birth dates; device counts match
the device lists) and renders them as text in one of three styles:

- `kv`: "Label: value" lines with varied labels and layouts (generic: `gen_render.render_kv`);
- `prose`: sentences giving the values in a varying order (array items keep their order);
- `message`: an email, chat message, ticket, SMS, report printout or log line, as suits the
  schema.

Any style may get an opening and a closing context line that carries no field value (likelier
for the short simple-tier texts). Optional fields are present with probability 0.7 and are
then absent from the gold too. Every gold value can be read from the text under the grounding
contract of `slmbench.data.grounding`.

Split: rows are stratified by schema. Each split gives the tiers these shares of its rows:
simple 50%, medium 30%, complex 20% (the original v3 training split has roughly 56/30/14; the
complex tier gets a little more here because it is the hardest to learn), then divides a
tier's rows evenly over its schemas, so every schema appears in both splits. Within a
(schema, split) the three styles take turns. No prompt appears twice in the dataset, and no
test gold also appears in train: a collision is regenerated from the same random stream.

Determinism: one `random.Random(seed)` and one `Faker('en_US')` seeded with `seed_instance`
drive everything; no clock, no global random state, no set iteration. Same seed, same bytes.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import faker

import slmbench
from slmbench.data import (
    gen_complex,
    gen_complex_ops,
    gen_complex_travel,
    gen_medium,
    gen_medium_tech,
    gen_medium_travel,
    gen_simple,
    gen_simple_tech,
)
from slmbench.data.gen_render import Domain, render_kv, with_context
from slmbench.data.gen_values import OPTIONAL, Gen
from slmbench.data.rows import Row, file_sha256, read_rows, write_rows
from slmbench.data.schemas import TIERS, SchemaInfo, load_schemas
from slmbench.errors import SlmbenchError

TIER_SHARES = {"simple": 0.5, "medium": 0.3, "complex": 0.2}
STYLES = ("kv", "prose", "message")
SOURCE = "slmbench-generator"
MAX_ATTEMPTS = 200
"""Regenerations allowed for one row whose prompt (or test gold) was already used."""
KV_TITLE_CHANCE = 0.7
CONTEXT_CHANCE = {"simple": 0.8, "medium": 0.35, "complex": 0.2}
"""Chance of an opening (and, separately, a closing) context line: short texts get more."""


def all_domains() -> dict[str, Domain]:
    """Every schema's generator, by schema id."""
    domains = (
        gen_simple.DOMAINS
        + gen_simple_tech.DOMAINS
        + gen_medium.DOMAINS
        + gen_medium_travel.DOMAINS
        + gen_medium_tech.DOMAINS
        + gen_complex.DOMAINS
        + gen_complex_ops.DOMAINS
        + gen_complex_travel.DOMAINS
    )
    return {d.schema_id: d for d in domains}


def tier_counts(n: int, shares: dict[str, float] = TIER_SHARES) -> dict[str, int]:
    """Split `n` rows over tiers by largest remainder (ties go to the earlier tier), in
    proportion to `shares` (a subset of the tiers shares all `n` rows).

    >>> tier_counts(158)
    {'simple': 79, 'medium': 47, 'complex': 32}
    >>> tier_counts(629)
    {'simple': 314, 'medium': 189, 'complex': 126}
    >>> tier_counts(10, {"medium": 0.3, "complex": 0.2})
    {'medium': 6, 'complex': 4}
    """
    total = sum(shares.values())
    quotas = {t: n * shares[t] / total for t in shares}
    counts = {t: int(q) for t, q in quotas.items()}
    order = sorted(shares, key=lambda t: (-(quotas[t] - counts[t]), list(shares).index(t)))
    for t in order[: n - sum(counts.values())]:
        counts[t] += 1
    return counts


def schema_counts(n: int, by_tier: dict[str, list[str]]) -> dict[str, int]:
    """Rows per schema: tiers by share, then evenly within a tier (remainder to the first).

    >>> schema_counts(10, {"simple": ["a", "b", "c"], "medium": ["d", "e"], "complex": ["f"]})
    {'a': 2, 'b': 2, 'c': 1, 'd': 2, 'e': 1, 'f': 2}
    >>> schema_counts(3, {"simple": ["a", "b"], "medium": ["d"], "complex": ["f"]})
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    slmbench.errors.SlmbenchError: 3 rows cannot cover every schema ... (at least 4 needed)
    """
    tiers = tier_counts(n, {t: TIER_SHARES[t] for t in by_tier})
    if any(tiers[t] < len(ids) for t, ids in by_tier.items()):
        raise SlmbenchError(
            f"{n} rows cannot cover every schema at the tier shares "
            f"(at least {minimum_rows(by_tier)} needed)"
        )
    counts: dict[str, int] = {}
    for tier, ids in by_tier.items():
        base, extra = divmod(tiers[tier], len(ids))
        for i, schema_id in enumerate(ids):
            counts[schema_id] = base + (1 if i < extra else 0)
    return counts


def minimum_rows(by_tier: dict[str, list[str]]) -> int:
    """The smallest split size that gives every schema at least one row.

    >>> minimum_rows({"simple": ["a"] * 10, "medium": ["b"] * 9, "complex": ["c"] * 5})
    29
    """
    n = sum(len(ids) for ids in by_tier.values())
    shares = {t: TIER_SHARES[t] for t in by_tier}
    while any(c < len(by_tier[t]) for t, c in tier_counts(n, shares).items()):
        n += 1
    return n


def render(g: Gen, domain: Domain, info: SchemaInfo, record: dict, style: str) -> str:
    """The text of one record in one style, with the domain's context lines now and then."""
    if style == "prose":
        text = domain.prose(g, record)
    elif style == "message":
        text = domain.message(g, record)
    else:
        title = g.pick(domain.titles) if g.chance(KV_TITLE_CHANCE) else None
        text = render_kv(g, record, info.schema, title)
    chance = CONTEXT_CHANCE[info.tier]
    return with_context(g, text, domain.intros, domain.outros, chance)


def build_rows(
    seed: int,
    n_train: int,
    n_test: int,
    schemas: dict[str, SchemaInfo] | None = None,
    exclude: list[Row] | None = None,
    tiers: Sequence[str] = TIERS,
) -> dict[str, list[Row]]:
    """The rows of both splits, in file order (shuffled), without writing anything. No row
    repeats a prompt or a gold answer of `exclude` (e.g. another build's test split, so that
    extra training data never contains a test row). `tiers`: the tiers to make rows of (all
    by default; e.g. only `complex` for extra rows of the hardest tier)."""
    schemas = schemas or load_schemas()
    domains = all_domains()
    missing = sorted(set(schemas) - set(domains))
    if missing:
        raise SlmbenchError(f"no generator for schema(s) {', '.join(missing)}")
    unknown = sorted(set(tiers) - set(TIERS))
    if unknown or not tiers:
        raise SlmbenchError(
            f"--tiers: unknown tier(s) {unknown or tiers} (known: {', '.join(TIERS)})"
        )
    by_tier = {t: sorted(s for s in schemas if schemas[s].tier == t) for t in TIERS if t in tiers}
    by_tier = {t: ids for t, ids in by_tier.items() if ids}
    g = Gen(seed)
    seen_prompts: set[str] = {row.prompt for row in exclude or []}
    excluded_golds = {_gold_key(row.expected_output) for row in exclude or []}
    train_golds: set[str] = set(excluded_golds)
    splits: dict[str, list[Row]] = {}
    for split, n in (("train", n_train), ("test", n_test)):
        try:
            counts = schema_counts(n, by_tier)
        except SlmbenchError as e:
            raise SlmbenchError(f"--{split} {n}: {e}") from None
        rows: list[Row] = []
        for schema_id in sorted(counts):
            info, domain = schemas[schema_id], domains[schema_id]
            offset = g.randint(0, len(STYLES) - 1)
            styles = [STYLES[(i + offset) % len(STYLES)] for i in range(counts[schema_id])]
            g.rng.shuffle(styles)
            for k, style in enumerate(styles):
                avoid = train_golds if split == "test" else excluded_golds
                record, prompt = _fresh_example(g, domain, info, style, seen_prompts, avoid)
                if split == "train":
                    train_golds.add(_gold_key(record))
                rows.append(
                    Row(
                        id=f"{split}-{schema_id}-{k:04d}",
                        schema_id=schema_id,
                        complexity=info.tier,
                        prompt=prompt,
                        expected_output=record,
                        style=style,
                        extra={"source": SOURCE},
                    )
                )
        g.rng.shuffle(rows)
        splits[split] = rows
    return splits


def _gold_key(record: dict) -> str:
    return json.dumps(record, sort_keys=True, ensure_ascii=False)


def _fresh_example(g, domain, info, style, seen_prompts, avoid_golds) -> tuple[dict, str]:
    for _ in range(MAX_ATTEMPTS):
        record = domain.make(g)
        if avoid_golds is not None and _gold_key(record) in avoid_golds:
            continue
        prompt = render(g, domain, info, record, style)
        if prompt not in seen_prompts:
            seen_prompts.add(prompt)
            return record, prompt
    raise SlmbenchError(
        f"{info.schema_id}: could not make a new distinct example after "
        f"{MAX_ATTEMPTS} attempts (too many rows for this schema?)"
    )


def split_counts(rows: list[Row]) -> dict:
    """Counts of one split for the manifest: total, by tier, by schema, by style."""
    return {
        "total": len(rows),
        "by_tier": dict(sorted(Counter(r.complexity for r in rows).items())),
        "by_schema": dict(sorted(Counter(r.schema_id for r in rows).items())),
        "by_style": dict(sorted(Counter(r.style for r in rows).items())),
    }


def build_dataset(
    out: Path,
    seed: int = 0,
    n_train: int = 629,
    n_test: int = 158,
    exclude: Sequence[Path] = (),
    tiers: Sequence[str] = TIERS,
) -> dict:
    """Write `out/train.jsonl`, `out/test.jsonl` and `out/manifest.json`; return the manifest.
    `exclude`: dataset files whose prompts and gold answers no new row may repeat; `tiers`: the
    tiers to make rows of."""
    out = Path(out)
    excluded_by_file = {Path(path): read_rows(path) for path in exclude}
    excluded = [row for rows in excluded_by_file.values() for row in rows]
    splits = build_rows(seed, n_train, n_test, exclude=excluded or None, tiers=tiers)
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    for split, rows in splits.items():
        path = out / f"{split}.jsonl"
        write_rows(rows, path)
        files[path.name] = {"rows": len(rows), "sha256": file_sha256(path)}
    manifest = {
        "dataset": "edgejson-slmbench",
        "generator": "slmbench.data.generate",
        "slmbench_version": slmbench.__version__,
        "seed": seed,
        "settings": {
            "n_train": n_train,
            "n_test": n_test,
            "tier_shares": TIER_SHARES,
            "styles": list(STYLES),
            "optional_field_chance": OPTIONAL,
            "faker_locale": "en_US",
            "faker_version": faker.VERSION,
        },
        "counts": {split: split_counts(rows) for split, rows in splits.items()},
        "files": files,
    }
    if tuple(tiers) != TIERS:
        manifest["settings"]["tiers"] = list(tiers)
    if excluded_by_file:
        manifest["settings"]["excluded"] = [
            {"path": str(path), "rows": len(rows), "sha256": file_sha256(path)}
            for path, rows in excluded_by_file.items()
        ]
    (out / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return manifest
