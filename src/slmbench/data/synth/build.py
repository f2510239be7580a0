"""`slmbench data synth`: train/validation rows for any JSON Schema, from the schema alone or
from a few labelled examples as well.

Writes `train.jsonl`, `test.jsonl` (validation) and `manifest.json` in the row format of
`slmbench.data.rows`, plus `schemas/<tier>/<id>.json` so that `slmbench data validate FILE
--schemas OUT/schemas` checks them. Rows are spread evenly over the schemas. A schema with
examples gets `template_share` of its rows from their templates and the rest rendered from
the schema (styles in turn: `documents.STYLES`); without examples every row is rendered.
No prompt appears twice, no validation gold is also a training gold.

Schema-rendered rows hold the grounding contract (`slmbench.data.grounding`), checked on
every row as it is made. Template rows write values the way the user's examples do (upper
case, "05/03/2024", "1.299,00", OCR noise), which the contract does not always cover: the
manifest counts their leaves outside it, and `data validate` reports them.

Same seed, same bytes: one `random.Random` and one seeded `Faker` (`gen_values.Gen`) drive
everything; no clock, no set iteration. Files are written under temporary names and renamed,
the manifest last, so an interrupted build never looks complete.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import faker

import slmbench
from slmbench.data.gen_values import Gen
from slmbench.data.grounding import ungrounded_leaves
from slmbench.data.rows import Row, file_sha256, write_rows
from slmbench.data.schemas import schema_files
from slmbench.data.synth.documents import STYLES, DocumentRenderer
from slmbench.data.synth.examples import ExampleSet, read_examples
from slmbench.data.synth.gold import GoldMaker
from slmbench.data.synth.options import SynthOptions
from slmbench.data.synth.render import build_field
from slmbench.data.synth.schema_walk import SchemaDoc, load_schema_doc
from slmbench.data.synth.substitute import Substituter
from slmbench.data.synth.values import ValueMaker
from slmbench.data.synth.wording import Wording
from slmbench.errors import SlmbenchError

GENERATOR_VERSION = 2
"""Bumped whenever the same seed and inputs may give other bytes (2: the form printout lists
the items of an array of scalars)."""
SOURCE = "slmbench-synth"
MAX_ATTEMPTS = 60


def load_docs(path: Path) -> dict[str, SchemaDoc]:
    """The schemas of a file or a folder, by id; errors name the file."""
    docs: dict[str, SchemaDoc] = {}
    for schema_id, file in schema_files(path).items():
        doc = load_schema_doc(file, schema_id)
        doc.check()
        docs[doc.schema_id] = doc
    return docs


def schema_tier(doc: SchemaDoc) -> str:
    """simple (flat, at most 6 properties), complex (arrays of objects, or 3+ levels, or 20+
    properties) or medium: the folder `data validate` reads it from. `$ref`s are followed.

    >>> schema_tier(SchemaDoc("a", {"properties": {"x": {}, "y": {"type": "object"}}}))
    'simple'
    >>> schema_tier(SchemaDoc("b", {"properties": {"lines": {"items": {"$ref": "#/$defs/l"}}},
    ...     "$defs": {"l": {"properties": {"sku": {}}}}}))
    'complex'
    """
    tally = {"props": 0, "depth": 0, "object_arrays": False}

    def walk(node: Any, pointer: str, depth: int, in_array: bool, seen: tuple) -> None:
        if depth > 6 or pointer in seen:
            return
        pointer, node = doc.normalise(node, pointer)
        branches = [node] + [b for k in ("anyOf", "oneOf") for b in node.get(k) or []]
        for branch in branches:
            b_pointer, branch = doc.normalise(branch, pointer)
            props = branch.get("properties") or {}
            if props:
                tally["props"] += len(props)
                tally["depth"] = max(tally["depth"], depth + 1)
                tally["object_arrays"] |= in_array
            for name, sub in props.items():
                walk(sub, f"{b_pointer}/properties/{name}", depth + 1, False, (*seen, pointer))
            items = branch.get("items")
            if isinstance(items, dict):
                walk(items, f"{b_pointer}/items", depth, True, (*seen, pointer))

    walk(doc.root, "", 0, False, ())
    if tally["depth"] <= 1 and tally["props"] <= 6 and not tally["object_arrays"]:
        return "simple"
    if tally["object_arrays"] or tally["depth"] >= 3 or tally["props"] >= 20:
        return "complex"
    return "medium"


def split_counts(n: int, ids: list[str]) -> dict[str, int]:
    """Example:

    >>> split_counts(7, ["a", "b", "c"])
    {'a': 3, 'b': 2, 'c': 2}
    """
    base, extra = divmod(n, len(ids))
    return {s: base + (1 if i < extra else 0) for i, s in enumerate(ids)}


class SchemaSource:
    """Rows of one schema: gold and text, rendered or from a template."""

    def __init__(
        self,
        doc: SchemaDoc,
        g: Gen,
        maker: ValueMaker,
        renderer: DocumentRenderer,
        examples: ExampleSet | None,
        optional: float,
    ):
        self.doc, self.g, self.renderer = doc, g, renderer
        self.gold = GoldMaker(doc, maker, optional)
        self.title = str(
            doc.root.get("title") or doc.schema_id.replace("_", " ").replace("-", " ").title()
        )
        self.templates = examples.templates if examples else []
        self.substituter = Substituter(doc, maker, self.templates) if self.templates else None
        self.rejected_ungrounded = 0
        self.rendered_leaves = 0

    def rendered(self, style: str) -> tuple[dict, str]:
        for _ in range(MAX_ATTEMPTS):
            gold = self.gold.make()
            self.renderer.begin(gold)
            root = build_field(self.doc, "", gold, self.doc.root, "")
            text = self.renderer.render(style, root, self.title)
            n_leaves, missing = ungrounded_leaves(gold, text, self.doc.root)
            if not missing:
                self.rendered_leaves += n_leaves
                return gold, text
            self.rejected_ungrounded += 1
        raise SlmbenchError(f"{self.doc.where}: could not render a grounded {style} text")

    def templated(self) -> tuple[dict, str, str] | None:
        assert self.substituter is not None
        order = list(range(len(self.templates)))
        self.g.rng.shuffle(order)
        for i in order:
            made = self.substituter.fill(self.templates[i])
            if made:
                return made[0], made[1], self.templates[i].source
        return None


def make_splits(
    opts: SynthOptions, docs: dict[str, SchemaDoc], examples: dict[str, ExampleSet], g: Gen
) -> tuple[dict[str, list[Row]], dict]:
    maker = ValueMaker(g)
    renderer = DocumentRenderer(g, Wording(g))
    sources = {
        s: SchemaSource(docs[s], g, maker, renderer, examples.get(s), opts.optional_chance)
        for s in sorted(docs)
    }
    tiers = {s: schema_tier(docs[s]) for s in sorted(docs)}
    n_test = opts.n_test if opts.n_test is not None else max(len(docs), opts.n // 10)
    seen_prompts: set[str] = set()
    train_golds: set[str] = set()
    stats: dict[str, Any] = {"template_rows": 0, "rendered_rows": 0, "template_fallbacks": 0}
    splits: dict[str, list[Row]] = {}
    for split, n in (("train", opts.n), ("test", n_test)):
        if n < len(docs):
            raise SlmbenchError(f"{n} {split} rows cannot cover the {len(docs)} schemas")
        rows: list[Row] = []
        for schema_id, count in split_counts(n, sorted(docs)).items():
            src = sources[schema_id]
            n_templates = round(count * opts.template_share) if src.templates else 0
            kinds = ["template"] * n_templates + [
                STYLES[(i + g.randint(0, 5)) % len(STYLES)] for i in range(count - n_templates)
            ]
            g.rng.shuffle(kinds)
            for k, style in enumerate(kinds):
                gold, text, origin, style = _fresh(
                    src, style, seen_prompts, train_golds, split, stats
                )
                extra = {"source": SOURCE} | ({"template": origin} if origin else {})
                rows.append(
                    Row(
                        f"{split}-{schema_id}-{k:05d}",
                        schema_id,
                        tiers[schema_id],
                        text,
                        gold,
                        style,
                        extra,
                    )
                )
        g.rng.shuffle(rows)
        splits[split] = rows
    stats["ungrounded_redraws"] = sum(s.rejected_ungrounded for s in sources.values())
    stats["rendered_leaves"] = sum(s.rendered_leaves for s in sources.values())
    return splits, {"tiers": tiers, **stats}


def _fresh(
    src: SchemaSource, style: str, seen: set[str], train_golds: set[str], split: str, stats: dict
) -> tuple[dict, str, str | None, str]:
    for _ in range(MAX_ATTEMPTS):
        origin = None
        made = src.templated() if style == "template" else None
        if made:
            gold, text, origin = made
        else:
            if style == "template":
                stats["template_fallbacks"] += 1
                style = STYLES[src.g.randint(0, len(STYLES) - 1)]
            gold, text = src.rendered(style)
        key = json.dumps(gold, sort_keys=True, ensure_ascii=False)
        if text in seen or (split == "test" and key in train_golds):
            continue
        seen.add(text)
        if split == "train":
            train_golds.add(key)
        stats["template_rows" if origin else "rendered_rows"] += 1
        return gold, text, origin, style
    raise SlmbenchError(
        f"{src.doc.where}: no new distinct row after {MAX_ATTEMPTS} attempts "
        "(too many rows for what this schema can vary?)"
    )


def _write_atomic(path: Path, write) -> None:
    tmp = path.with_name(path.name + ".partial")
    write(tmp)
    os.replace(tmp, path)


def synth(options: SynthOptions) -> Path:
    """Build the dataset (see the module docstring); returns the output folder."""
    opts = options
    if opts.n < 1:
        raise SlmbenchError(f"--n {opts.n}: at least one training row is needed")
    if not 0.0 <= opts.template_share <= 1.0:
        raise SlmbenchError(f"template share {opts.template_share} is not between 0 and 1")
    docs = load_docs(opts.schema)
    g = Gen(opts.seed)
    examples = read_examples(opts.examples, docs) if opts.examples else {}
    splits, stats = make_splits(opts, docs, examples, g)
    out = Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / "manifest.json"
    if manifest_path.exists():
        manifest_path.unlink()
    schema_files = {}
    for schema_id, doc in docs.items():
        target = out / "schemas" / stats["tiers"][schema_id] / f"{schema_id}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        root = doc.root if "type" in doc.root else {"type": "object", **doc.root}
        text = json.dumps(root, indent=2, ensure_ascii=False) + "\n"
        _write_atomic(target, lambda p, text=text: p.write_text(text, encoding="utf-8"))
        schema_files[schema_id] = {
            "path": str(doc.path),
            "tier": stats["tiers"][schema_id],
            "sha256": file_sha256(doc.path),
        }
    files = {}
    for split, rows in splits.items():
        path = out / f"{split}.jsonl"
        _write_atomic(path, lambda p, rows=rows: write_rows(rows, p))
        files[path.name] = {"rows": len(rows), "sha256": file_sha256(path)}
    manifest = {
        "dataset": "slmbench-synth",
        "generator": "slmbench.data.synth",
        "generator_version": GENERATOR_VERSION,
        "slmbench_version": slmbench.__version__,
        "seed": opts.seed,
        "settings": {
            "n_train": opts.n,
            "n_test": files["test.jsonl"]["rows"],
            "styles": [*STYLES, "template"],
            "template_share": opts.template_share,
            "optional_field_chance": opts.optional_chance,
            "faker_locale": "en_US",
            "faker_version": faker.VERSION,
        },
        "schemas": schema_files,
        "rows": {k: v for k, v in stats.items() if k not in ("tiers", "rendered_leaves")},
        "grounding": grounding_summary(splits, docs, stats["rendered_leaves"]),
        "examples": {s: e.report() for s, e in examples.items()},
        "files": files,
    }
    if opts.examples:
        manifest["settings"]["examples"] = {
            "path": str(opts.examples),
            "sha256": file_sha256(opts.examples),
        }
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    _write_atomic(manifest_path, lambda p: p.write_text(text, encoding="utf-8"))
    return out


def grounding_summary(
    splits: dict[str, list[Row]], docs: dict[str, SchemaDoc], rendered: int
) -> dict:
    """Leaves, and leaves outside the grounding contract, of rendered rows (none: each is
    checked as it is made) and of template rows (counted here)."""
    leaves = outside = 0
    for rows in splits.values():
        for row in rows:
            if row.style == "template":
                n, missing = ungrounded_leaves(
                    row.expected_output, row.prompt, docs[row.schema_id].root
                )
                leaves += n
                outside += len(missing)
    return {
        "rendered": {"leaves": rendered, "outside_contract": 0},
        "template": {"leaves": leaves, "outside_contract": outside},
    }
