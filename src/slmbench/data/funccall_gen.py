"""EdgeFuncCall's training and validation data: seeded requests, tools and calls in BFCL's six
categories, over the tool catalogue's 16 domains (`funccall_domains/*.yaml`).

Per row, the offered tools are written in one naming style (snake, dotted, camel...), the
request is phrased from the tools' phrases with an opener ("Could you ...?"), optional
parameters are mentioned at random, and values are written as people write them
(`funccall_values`). Categories:
- simple: one tool offered, one call;
- multiple: 2-5 tools offered (distractors from the same domain and others), one call;
- parallel: one tool, 2-4 calls; calls that differ in one listable parameter are said once as a
  list in its slot ("the weather in Paris, Oslo and Rome"), any others one clause each, every
  clause a whole request;
- parallel_multiple: 2-3 of the offered tools, 2-4 calls, no two alike;
- irrelevance: 1-4 tools, none of which can serve the request (other domains, never a
  general tool such as web search, never one that overlaps the request's): the answer is `[]`;
- relevance: 1-5 tools, one serves the request; any well-formed call is right (BFCL's rule),
  the gold is the call.
Distractors never overlap a called tool (`Tool.overlap`), so one tool is the request's. A
request writes its dates one way and its times one way, its dates within weeks of each other.
Rows are `Row`s with `tools` (BFCL's dialect), `possible_answer` (BFCL's ground-truth form:
each given argument's value, `""` and the default for an optional one left out, `""` too when
the given value is the default) and `category`, so `slmbench.data.bfcl.read_bfcl` reads them
back as it reads BFCL's files. The same seed gives the same bytes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slmbench.data.bfcl import CATEGORIES, read_bfcl
from slmbench.data.funccall_catalogue import load_catalogue
from slmbench.data.funccall_spec import NAME_STYLES, Param, Tool, bfcl_tool
from slmbench.data.funccall_values import ValueSource
from slmbench.data.gen_values import Gen
from slmbench.data.rows import Row, file_sha256, write_splits

TOOLS: tuple[Tool, ...] = load_catalogue()
DOMAINS = tuple(dict.fromkeys(t.domain for t in TOOLS))
CATEGORY_SHARES = {
    "simple": 0.22,
    "multiple": 0.20,
    "parallel": 0.16,
    "parallel_multiple": 0.16,
    "irrelevance": 0.16,
    "relevance": 0.10,
}
OPTIONAL_CHANCE = 0.4
"""Chance that a request mentions each optional parameter of its tool."""
DO_OPENERS = (
    "{x}.",
    "{x}.",
    "Please {x}.",
    "Could you {x}?",
    "Can you {x}?",
    "I need you to {x}.",
    "Would you {x}, please?",
    "Hey, {x}.",
    "{x}, please.",
    "Quick favour: {x}.",
)
ASK_OPENERS = ("{x}?", "{x}?", "Hey, {x}?", "Quick question: {x}?")
JOINERS = (", and {x}", ", and also {x}", "; then {x}", " and {x}")
SENTENCE_JOINERS = ("Also, {x}.", "Then {x}.", "After that, {x}.", "And {x}.", "Also {x}.")
ASK_JOINERS = ("{x}?", "{x}?", "Also, {x}?", "And {x}?")
"""A later sentence's openers: "Hey," and "Quick question:" open a request, not its middle."""
LISTED_CHANCE = 0.75
"""Chance that a parallel row over a tool with a listable parameter varies it as a list."""
VARY_ONE_CHANCE = 0.5
"""Otherwise, chance that its calls differ in one parameter (one clause each), not in all."""
MAX_TRIES = 50
_AN = re.compile(r"\b([Aa]) (?=[AEIOaeio](?!ne\b))")
"""'a' before a vowel sound ("a Organic Water Bottle", "a Ibis hotel"); not "a one"."""


@dataclass
class Call:
    tool: Tool
    arguments: dict[str, Any]
    """By base parameter name, in the tool's parameter order."""
    texts: dict[str, str]
    """How the request writes each argument."""


class FuncCallGenerator:
    """Rows of every category from one seed."""

    def __init__(self, seed: int):
        self.g = Gen(seed)
        self.values = ValueSource(self.g)

    # -- calls and their words ----------------------------------------------------------------
    def call(
        self, tool: Tool, fixed: dict[str, tuple[Any, str]] | None = None, only_fixed: bool = False
    ) -> Call:
        """A call of `tool`: its required parameters and some optional ones (`fixed` values as
        given; `only_fixed`: no other optional parameter). Parameters of one kind (origin and
        destination, two currencies) get different values."""
        arguments, texts = {}, {}
        for p in tool.params:
            if fixed and p.name in fixed:
                value, text = fixed[p.name]
            elif p.required or (not only_fixed and self.g.chance(OPTIONAL_CHANCE)):
                value, text = self.draw(p, arguments)
                for _ in range(5):
                    if not _clashes(tool, p, value, arguments):
                        break
                    value, text = self.draw(p, arguments)
            else:
                continue
            arguments[p.name], texts[p.name] = value, text
        return Call(tool, arguments, texts)

    def draw(self, p: Param, arguments: dict[str, Any] | None = None) -> tuple[Any, str]:
        """A value of `p` for a call that has `arguments` so far (a date `after` another falls
        after it)."""
        if p.type == "boolean":
            value = not p.say_no or self.g.chance(0.5)
            return value, self.g.pick(p.say if value else p.say_no)
        if p.after and arguments and p.after in arguments:
            return self.values.date(after=arguments[p.after])
        return self.values.draw(p)

    def clause(self, call: Call, phrase: str, listed: dict[str, str] | None = None) -> str:
        """The call's request without opener or final punctuation."""
        texts = {**call.texts, **(listed or {})}
        text = phrase.format(**{p.name: texts[p.name] for p in call.tool.required})
        fragments = []
        for p in call.tool.optional:
            if p.name not in call.arguments:
                continue
            if p.type == "boolean":
                fragments.append(texts[p.name])
            else:
                fragments.append(self.g.pick(p.say).format(v=texts[p.name]))
        self.g.rng.shuffle(fragments)
        return _AN.sub(r"\1n ", " ".join([text, *fragments]))

    def phrase(self, tool: Tool) -> tuple[str, bool]:
        """A phrase of the tool and whether it is a question."""
        if tool.ask and self.g.chance(0.35):
            return self.g.pick(tool.ask), True
        return self.g.pick(tool.do), False

    def sentence(self, clause: str, question: bool, first: bool = True) -> str:
        """The clause with an opener (`first`: of the request, else of a later sentence) and its
        final mark (never a second full stop after "p.m.")."""
        if first:
            template = self.g.pick(ASK_OPENERS if question else DO_OPENERS)
        else:
            template = self.g.pick(ASK_JOINERS if question else SENTENCE_JOINERS)
        text = _capitalise(template.format(x=clause))
        return text[:-1] if text.endswith("..") else text

    def request(self, calls: list[Call]) -> str:
        """One clause per call, joined into one sentence or several."""
        parts = [(self.clause(c, p), q) for c in calls for p, q in [self.phrase(c.tool)]]
        if len(parts) == 1:
            return self.sentence(*parts[0])
        if not any(q for _, q in parts) and self.g.chance(0.5):
            head = parts[0][0]
            for clause, _ in parts[1:-1]:
                head += f", {clause}"
            head += self.g.pick(JOINERS).format(x=parts[-1][0])
            return self.sentence(head, False)
        sentences = [self.sentence(*parts[0])]
        sentences += [self.sentence(c, q, first=False) for c, q in parts[1:]]
        return " ".join(sentences)

    def listed_request(self, calls: list[Call], param: Param) -> str:
        """Calls that differ in one listable parameter, said once as a list ("in A, B and C")."""
        phrase, question = self.phrase(calls[0].tool)
        if param.kind == "date":
            texts = [self.values.say_date(c.arguments[param.name], listing=True) for c in calls]
        else:
            texts = [c.texts[param.name] for c in calls]
        listed = {param.name: self.g.say_list(texts)}
        return self.sentence(self.clause(calls[0], phrase, listed), question)

    # -- rows of each category ----------------------------------------------------------------
    def row(self, category: str, row_id: str) -> Row:
        g = self.g
        self.values.begin_row()
        if category == "simple":
            tools = [g.pick(TOOLS)]
            calls = [self.call(tools[0])]
            text = self.request(calls)
        elif category in ("multiple", "relevance"):
            target = g.pick(TOOLS)
            lo = 2 if category == "multiple" else 1
            tools = [target, *self.distractors([target], g.randint(lo, 5) - 1)]
            calls = [self.call(target)]
            text = self.request(calls)
        elif category == "parallel":
            tools = [g.pick([t for t in TOOLS if t.required])]
            calls, text = self.parallel(tools[0], g.randint(2, 4))
        elif category == "parallel_multiple":
            targets = self.apart(g.randint(2, 3))
            n_calls = g.randint(len(targets), 4)
            chosen = targets + [g.pick(targets) for _ in range(n_calls - len(targets))]
            g.rng.shuffle(chosen)
            calls = self.distinct_calls(chosen)
            text = self.request(calls)
            tools = targets + self.distractors(targets, g.randint(0, 2))
        elif category == "irrelevance":
            asked = g.pick(TOOLS)
            text = self.request([self.call(asked)])
            tools = self.unrelated(asked, g.randint(1, 4))
            calls = []
        else:
            raise ValueError(f"unknown category {category!r}")
        g.rng.shuffle(tools)
        return self.assemble(row_id, category, text, tools, calls)

    def parallel(self, tool: Tool, n: int) -> tuple[list[Call], str]:
        """`n` calls of `tool` (fewer if it has too few values) and their request: differing in
        one listable parameter, said as a list; in one other parameter, or in all, one clause
        per call."""
        g = self.g
        scalars = [p for p in tool.required if p.type in ("string", "integer", "float")]
        listable = [p for p in scalars if p.listable]
        if listable and g.chance(LISTED_CHANCE):
            varying = g.pick(listable)
            calls = self.varied_calls(tool, varying, n)
            if len(calls) >= 2:
                return calls, self.listed_request(calls, varying)
        free = [p for p in scalars if p.vary and not p.after]
        if free and g.chance(VARY_ONE_CHANCE):
            calls = self.varied_calls(tool, g.pick(free), n)
            if len(calls) >= 2:
                return calls, self.request(calls)
        calls = self.distinct_calls([tool] * n)
        return calls, self.request(calls)

    def varied_calls(self, tool: Tool, varying: Param, n: int) -> list[Call]:
        """Up to `n` calls alike but in `varying` (dates and times in order); a date after the
        varied one is drawn again for each call."""
        first = self.call(tool)
        kept = [k for k in first.arguments if tool.param(k).after != varying.name]
        fixed = {k: (first.arguments[k], first.texts[k]) for k in kept}
        values = [(first.arguments[varying.name], first.texts[varying.name])]
        for _ in range(n * 5):
            value = self.draw(varying, first.arguments)
            clash = _clashes(tool, varying, value[0], first.arguments)
            if not clash and value[0] not in [v for v, _ in values]:
                values.append(value)
            if len(values) == n:
                break
        if varying.kind in ("date", "time"):
            values.sort()
        return [self.call(tool, {**fixed, varying.name: v}, True) for v in values]

    def distinct_calls(self, tools: list[Tool]) -> list[Call]:
        """A call of each tool (fewer if some tool has too few values), no two of a tool
        alike in their required arguments, nor in all the parameters that may vary (not one
        thermostat set to two temperatures)."""
        calls: list[Call] = []
        for tool in tools:
            for _ in range(10):
                call = self.call(tool)
                if not any(c.tool == tool and _alike(c, call) for c in calls):
                    calls.append(call)
                    break
        return calls

    def apart(self, n: int) -> list[Tool]:
        """`n` tools, none of which overlaps another (each clause has one tool to call)."""
        picked: list[Tool] = []
        for _ in range(n):
            pool = [t for t in TOOLS if t not in picked and not any(t.overlaps(q) for q in picked)]
            picked.append(self.g.pick(pool))
        return picked

    def distractors(self, targets: list[Tool], n: int) -> list[Tool]:
        """`n` other tools, each from the targets' domains or from any other at even odds."""
        taken = {t.name for t in targets}
        domains = {t.domain for t in targets}
        usable = [t for t in TOOLS if not any(t.overlaps(target) for target in targets)]
        picked: list[Tool] = []
        for _ in range(n):
            same = self.g.chance(0.5)
            pool = [t for t in usable if t.name not in taken and (t.domain in domains) == same]
            pool = pool or [t for t in usable if t.name not in taken]
            if pool:
                picked.append(self.g.pick(pool))
                taken.add(picked[-1].name)
        return picked

    def unrelated(self, asked: Tool, n: int) -> list[Tool]:
        pool = [
            t for t in TOOLS if t.domain != asked.domain and not t.general and not t.overlaps(asked)
        ]
        return self.g.sample(pool, n)

    def assemble(
        self, row_id: str, category: str, text: str, tools: list[Tool], calls: list[Call]
    ) -> Row:
        style = self.g.pick(NAME_STYLES)
        camel = style in ("camel", "pascal_dotted") and self.g.chance(0.7)
        definitions, names = {}, {}
        for tool in tools:
            definitions[tool.name], names[tool.name] = bfcl_tool(tool, style, camel)
        gold, truth = [], []
        for call in calls:
            pnames = names[call.tool.name]
            fname = definitions[call.tool.name]["name"]
            gold.append(
                {
                    "name": fname,
                    "arguments": {pnames[k]: v for k, v in call.arguments.items()},
                }
            )
            truth.append({fname: possible_values(call, pnames)})
        no_answer = category in ("irrelevance", "relevance")
        return Row(
            id=row_id,
            schema_id=f"bfcl:{row_id}",
            complexity=category,
            prompt=text,
            expected_output=gold,
            extra={
                "category": category,
                "tools": [definitions[t.name] for t in tools],
                "possible_answer": None if no_answer else truth,
            },
        )


def possible_values(call: Call, names: dict[str, str]) -> dict[str, list]:
    """A call's BFCL ground truth: `{param: [acceptable values]}`."""
    truth: dict[str, list] = {}
    for p in call.tool.params:
        if p.name in call.arguments:
            value = call.arguments[p.name]
            optional_default = not p.required and p.default is not None and value == p.default
            truth[names[p.name]] = [value, ""] if optional_default else [value]
        elif p.default is not None:
            truth[names[p.name]] = ["", p.default]
    return truth


def _same_kind(p: Param, q: Param) -> bool:
    return p.name != q.name and p.kind == q.kind and p.enum == q.enum and p.type == q.type


def _clashes(tool: Tool, p: Param, value: Any, arguments: dict[str, Any]) -> bool:
    """Whether `value` of `p` equals the call's value of another parameter of its kind (origin
    and destination, two currencies, two units)."""
    return any(_same_kind(p, q) and arguments.get(q.name) == value for q in tool.params)


def _alike(a: Call, b: Call) -> bool:
    """Whether two calls of a tool agree in every required argument (a tool with none: in
    every argument), or in every parameter that may vary (`Param.vary`)."""
    if a.arguments == b.arguments:
        return True
    if a.tool.required and all(a.arguments[p.name] == b.arguments[p.name] for p in a.tool.required):
        return True
    varying = [p.name for p in a.tool.params if p.vary]
    return all(a.arguments.get(k) == b.arguments.get(k) for k in varying)


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def category_counts(n: int) -> dict[str, int]:
    """Rows per category for `n` rows (largest remainders of `CATEGORY_SHARES`).

    >>> list(category_counts(100).values()), sum(category_counts(7).values())
    ([22, 20, 16, 16, 16, 10], 7)
    """
    exact = {c: n * CATEGORY_SHARES[c] for c in CATEGORIES}
    counts = {c: int(v) for c, v in exact.items()}
    left = n - sum(counts.values())
    for c in sorted(CATEGORIES, key=lambda c: (counts[c] - exact[c], CATEGORIES.index(c)))[:left]:
        counts[c] += 1
    return counts


def build_rows(
    seed: int, n_train: int, n_test: int, exclude: list[Row] | None = None
) -> dict[str, list[Row]]:
    """`{"train": rows, "test": rows}`, no prompt in two rows, none from `exclude`."""
    gen = FuncCallGenerator(seed)
    seen = {row.prompt for row in exclude or []}
    splits: dict[str, list[Row]] = {}
    for split, n in (("test", n_test), ("train", n_train)):
        plan = [c for c, k in category_counts(n).items() for _ in range(k)]
        gen.g.rng.shuffle(plan)
        rows = []
        for i, category in enumerate(plan):
            row_id = f"fc-{split}-{i:06d}"
            for _ in range(MAX_TRIES):
                row = gen.row(category, row_id)
                if row.prompt not in seen:
                    break
            else:
                raise RuntimeError(f"no new {category} request after {MAX_TRIES} tries")
            seen.add(row.prompt)
            rows.append(row)
        splits[split] = rows
    return {"train": splits["train"], "test": splits["test"]}


def build_funccall(
    out: str | Path, n_train: int, n_test: int, seed: int = 0, exclude: list[Path] | None = None
) -> dict:
    """Write `out/train.jsonl`, `out/test.jsonl` and `out/manifest.json`; return the manifest."""
    out = Path(out)
    excluded = [row for path in exclude or [] for row in read_bfcl(path, require_gold=False)[0]]
    splits = build_rows(seed, n_train, n_test, excluded)
    files = write_splits(splits, out)
    manifest = {
        "dataset": "edgefunccall-slmbench",
        "task": "edgefunccall",
        "generator": "slmbench.data.funccall_gen",
        "seed": seed,
        "settings": {
            "n_train": n_train,
            "n_test": n_test,
            "category_shares": CATEGORY_SHARES,
            "optional_chance": OPTIONAL_CHANCE,
            "domains": list(DOMAINS),
            "tools": len(TOOLS),
        },
        "counts": {
            split: {c: sum(r.extra["category"] == c for r in rows) for c in CATEGORIES}
            for split, rows in splits.items()
        },
        "files": files,
    }
    if exclude:
        manifest["settings"]["excluded"] = [
            {"path": str(p), "sha256": file_sha256(p)} for p in exclude
        ]
    (out / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return manifest


def build_funccall_data(options: Any) -> dict:
    """`slmbench data build --task edgefunccall` (the task registry's `builder`)."""
    return build_funccall(
        options.out, options.train, options.test, options.seed, list(options.exclude or [])
    )
