"""Seeded builder of the EdgeJSON train/test splits on the data engine: `slmbench data build`.

Each of the 24 packaged schemas is a folder `slmbench/data/edgejson/<tier>/<schema_id>/`:
`schema.json`, `content.yaml` (titles, label variants, value pools and catalogues, prose and
message templates: `slmbench.data.synth.content`) and, where it has cross-field rules (line
totals, subtotals and totals; end dates after start dates; ages from birth dates; device counts
from the device lists), a `hooks.py`. The engine draws each gold record from the schema and the
content file (`synth.content_gold`), applies the hook, validates the record against the schema
and writes it in one of three styles (`synth.content_render`):

- `kv`: "Label: value" lines with varied labels, separators and layouts (tables for arrays);
- `prose`: sentences giving the values in a varying order (array items keep their order);
- `message`: an email, chat message, ticket, SMS, report printout or log line, as suits the
  schema (now and then one of the engine's generic forms).

Any style may get an opening and a closing context line that carries no field value (likelier
for the short simple-tier texts). Optional fields are present with probability 0.7 unless the
content file says otherwise, and are then absent from the gold too. Every gold value can be
read from the text under the grounding contract of `slmbench.data.grounding`: each text is
checked as it is made, and one that breaks it is made again (the manifest counts them).

Split: rows are stratified by schema. Each split gives the tiers these shares of its rows:
simple 50%, medium 30%, complex 20% (the original v3 training split has roughly 56/30/14; the
complex tier gets a little more here because it is the hardest to learn), then divides a
tier's rows evenly over its schemas, so every schema appears in both splits. Within a
(schema, split) the three styles take turns. No prompt appears twice in the dataset, and no
test gold also appears in train: a collision is regenerated from the same random stream.

Determinism: one `random.Random(seed)` and one `Faker('en_US')` seeded with `seed_instance`
drive everything; no clock, no global random state, no set iteration. Same seed, same bytes.
The manifest names the generator version (`GENERATOR`) and hashes the content folders.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import faker

import slmbench
from slmbench.data.gen_values import OPTIONAL, Gen
from slmbench.data.grounding import ungrounded_leaves
from slmbench.data.rows import Row, file_sha256, read_rows, write_splits
from slmbench.data.schemas import TIERS, SchemaInfo, load_schemas
from slmbench.data.synth.content import (
    HOOKS_FILE,
    Content,
    TemplateHelpers,
    content_path,
    load_content,
)
from slmbench.data.synth.content_gold import ContentGoldMaker, FakerPools
from slmbench.data.synth.content_render import STYLES, ContentRenderer
from slmbench.data.synth.schema_walk import SchemaDoc
from slmbench.data.synth.values import ValueMaker
from slmbench.errors import SlmbenchError

GENERATOR = "engine-1"
"""The generator version a manifest names; bumped whenever the same seed may give other bytes
(the engine or a content folder changed). Builds before the engine said
`slmbench.data.generate` (the per-schema Python generators; results/data/ holds them)."""
TIER_SHARES = {"simple": 0.5, "medium": 0.3, "complex": 0.2}
SOURCE = "slmbench-engine"
MAX_ATTEMPTS = 200
"""Regenerations allowed for one row whose prompt (or test gold) was already used."""
CONTEXT_CHANCE = {"simple": 0.8, "medium": 0.35, "complex": 0.2}
"""Chance of an opening (and, separately, a closing) context line: short texts get more."""


class SchemaRows:
    """Gold records and texts of one schema: its content file on the engine."""

    def __init__(self, info: SchemaInfo, g: Gen, maker: ValueMaker, helpers, fakers):
        doc, content = _doc_and_content(info)
        self.info = info
        self.gold = ContentGoldMaker(doc, maker, content, helpers, fakers, OPTIONAL)
        self.renderer = ContentRenderer(g, doc, content, helpers)
        self.ungrounded = 0
        self.last_ungrounded: tuple[str, str, object] | None = None

    def make(self, style: str, avoid_golds: set[str]) -> tuple[dict, str] | None:
        """A record and its text, or None when the record is one to avoid or the text breaks
        the grounding contract (the caller draws again)."""
        record = self.gold.make()
        if _gold_key(record) in avoid_golds:
            return None
        text = self.renderer.text(record, style, CONTEXT_CHANCE.get(self.info.tier, 0.3))
        missing = ungrounded_leaves(record, text, self.info.schema)[1]
        if missing:
            self.ungrounded += 1
            self.last_ungrounded = (style, *missing[0])
            return None
        return record, text


_LOADED: dict[tuple[Path, int], tuple[SchemaDoc, Content]] = {}


def _doc_and_content(info: SchemaInfo) -> tuple[SchemaDoc, Content]:
    """The engine's view of a schema and its content file (none: the engine's defaults),
    read once per process."""
    key = (info.path, id(info.schema))
    if key not in _LOADED:
        doc = SchemaDoc(info.schema_id, info.schema, info.path)
        _LOADED[key] = (doc, load_content(content_path(info.path), doc))
    return _LOADED[key]


def content_digest(schemas: dict[str, SchemaInfo]) -> str:
    """sha256 over the schema, content and hook files of these schemas (their folders)."""
    h = hashlib.sha256()
    for schema_id in sorted(schemas):
        path = schemas[schema_id].path
        files = [path]
        if content_path(path):
            files += [p for p in (content_path(path), path.parent / HOOKS_FILE) if p.is_file()]
        for file in files:
            h.update(f"{schema_id}/{file.name}\n".encode())
            h.update(file.read_bytes())
    return h.hexdigest()


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


def build_rows(
    seed: int,
    n_train: int,
    n_test: int,
    schemas: dict[str, SchemaInfo] | None = None,
    exclude: list[Row] | None = None,
    tiers: Sequence[str] = TIERS,
    stats: dict | None = None,
) -> dict[str, list[Row]]:
    """The rows of both splits, in file order (shuffled), without writing anything. No row
    repeats a prompt or a gold answer of `exclude` (e.g. another build's test split, so that
    extra training data never contains a test row). `tiers`: the tiers to make rows of (all
    by default; e.g. only `complex` for extra rows of the hardest tier). `stats`, when given,
    gets `ungrounded_redraws`: texts made again because they broke the grounding contract."""
    schemas = schemas or load_schemas()
    unknown = sorted(set(tiers) - set(TIERS))
    if unknown or not tiers:
        raise SlmbenchError(
            f"--tiers: unknown tier(s) {unknown or tiers} (known: {', '.join(TIERS)})"
        )
    by_tier = {t: sorted(s for s in schemas if schemas[s].tier == t) for t in TIERS if t in tiers}
    by_tier = {t: ids for t, ids in by_tier.items() if ids}
    g = Gen(seed)
    maker, helpers, fakers = ValueMaker(g), TemplateHelpers(g), FakerPools(g)
    sources = {s: SchemaRows(schemas[s], g, maker, helpers, fakers) for s in sorted(schemas)}
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
            info, source = schemas[schema_id], sources[schema_id]
            offset = g.randint(0, len(STYLES) - 1)
            styles = [STYLES[(i + offset) % len(STYLES)] for i in range(counts[schema_id])]
            g.rng.shuffle(styles)
            for k, style in enumerate(styles):
                avoid = train_golds if split == "test" else excluded_golds
                record, prompt = _fresh_example(source, style, seen_prompts, avoid)
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
    if stats is not None:
        stats["ungrounded_redraws"] = sum(src.ungrounded for src in sources.values())
    return splits


def _gold_key(record: dict) -> str:
    return json.dumps(record, sort_keys=True, ensure_ascii=False)


def _fresh_example(
    source: SchemaRows, style: str, seen_prompts: set[str], avoid_golds: set[str]
) -> tuple[dict, str]:
    ungrounded_before = source.ungrounded
    for _ in range(MAX_ATTEMPTS):
        made = source.make(style, avoid_golds)
        if made and made[1] not in seen_prompts:
            seen_prompts.add(made[1])
            return made
    if source.ungrounded - ungrounded_before > MAX_ATTEMPTS // 2 and source.last_ungrounded:
        style, path, value = source.last_ungrounded
        raise SlmbenchError(
            f"{source.info.schema_id}: its {style} texts keep breaking the grounding contract "
            f"(last: {path} = {value!r} not found in the text); check how the content file "
            "writes that field"
        )
    raise SlmbenchError(
        f"{source.info.schema_id}: could not make a new distinct example after "
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
    schemas = load_schemas()
    stats: dict = {}
    splits = build_rows(seed, n_train, n_test, schemas, excluded or None, tiers, stats)
    files = write_splits(splits, out)
    manifest = {
        "dataset": "edgejson-slmbench",
        "generator": GENERATOR,
        "content_sha256": content_digest(schemas),
        "slmbench_version": slmbench.__version__,
        "seed": seed,
        "settings": {
            "n_train": n_train,
            "n_test": n_test,
            "tier_shares": TIER_SHARES,
            "styles": list(STYLES),
            "optional_field_chance": OPTIONAL,
            "context_chance": CONTEXT_CHANCE,
            "faker_locale": "en_US",
            "faker_version": faker.VERSION,
        },
        "counts": {split: split_counts(rows) for split, rows in splits.items()},
        "rows": stats,
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
