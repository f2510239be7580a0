"""Texts of a schema with a content file: the `kv`, `prose` and `message` styles.

- `kv`: the engine's labelled lines (`render.Renderer.kv`), with the content file's titles,
  label variants and number spellings;
- `prose`: the content file's sentences (first `keep_first` in place, the rest shuffled), or,
  for `engine_prose_share` of the texts and for schemas without sentences, the engine's prose;
- `message`: one of the content file's message templates, or, for `engine_message_share` of
  the texts and for schemas without templates, one of the engine's forms (email, ticket, form
  printout, log line: `documents.DocumentRenderer`).

Any style may then get one of the content's opening and closing lines (`context_chance`).
Amounts are written in the currency of the nearest object that names one.
"""

from __future__ import annotations

from typing import Any

from slmbench.data.gen_values import Gen, number_text
from slmbench.data.synth.content import Content, TemplateHelpers
from slmbench.data.synth.documents import INTROS, OUTROS, DocumentRenderer
from slmbench.data.synth.render import Field, build_field
from slmbench.data.synth.schema_walk import SchemaDoc
from slmbench.data.synth.wording import Wording, currency_of, label_variants

STYLES = ("kv", "prose", "message")
FORMS = ("email", "ticket", "form", "log")
TITLE_CHANCE = 0.7


class ContentWording(Wording):
    """The engine's labels plus the content file's label variants for a field."""

    def __init__(self, g: Gen, content: Content):
        super().__init__(g)
        self.content = content
        self._variants: dict[int, list[str]] = {}

    def label(self, key: str, node: dict) -> str:
        spec = self.content.by_node.get(id(node))
        if spec is None or not spec.labels:
            return super().label(key, node)
        variants = self._variants.get(id(node))
        if variants is None:
            variants = list(dict.fromkeys([*label_variants(key, node), *spec.labels]))
            self._variants[id(node)] = variants
        if self.g.chance(0.4):
            return variants[0]
        return self.g.pick(variants[1:])


class ContentRenderer(DocumentRenderer):
    """The three styles of one schema with a content file (see the module docstring)."""

    def __init__(self, g: Gen, doc: SchemaDoc, content: Content, helpers: TemplateHelpers):
        super().__init__(g, ContentWording(g, content))
        self.doc, self.content, self.helpers = doc, content, helpers
        default = str(doc.root.get("title") or doc.schema_id.replace("_", " ").title())
        self.titles = content.titles or [default]
        self._currencies: dict[int, str | None] = {}

    def text(self, gold: dict, style: str, context_chance: float) -> str:
        """One text of the record in one style, with context lines now and then."""
        g = self.g
        self.begin(gold)
        root = build_field(self.doc, "", gold, self.doc.root, "")
        self._currencies = {}
        self._note_currencies(root, self.currency)
        title = g.pick(self.titles)
        c = self.content
        if style == "kv":
            text = self.kv(root, title if g.chance(TITLE_CHANCE) else None)
        elif style == "prose":
            if c.sentences and not g.chance(c.engine_prose_share):
                text = self.content_prose(self.context(gold))
            else:
                text = self.prose(root, title if g.chance(TITLE_CHANCE) else None)
        elif c.messages and not g.chance(c.engine_message_share):
            text = g.pick(c.messages).render(self.context(gold))
        else:
            text = getattr(self, g.pick(FORMS))(root, title)
        intros, outros = c.intros or list(INTROS), c.outros or list(OUTROS)
        if g.chance(context_chance):
            text = f"{g.pick(intros)}\n\n{text}"
        if g.chance(context_chance):
            text = f"{text}\n\n{g.pick(outros)}"
        return text

    def context(self, gold: dict) -> dict[str, Any]:
        """What templates see: helpers, tables, the record's fields, `rec`, the `let` values."""
        ctx = {**self.helpers.functions, **self.content.tables, **gold, "rec": gold}
        for name, template in self.content.let:
            ctx[name] = template.render(ctx, strip=False)
        return ctx

    def content_prose(self, ctx: dict) -> str:
        g = self.g
        sentences = [g.pick(choices).render(ctx) for choices in self.content.sentences]
        sentences = [s for s in sentences if s]
        keep = g.pick(self.content.keep_first)
        head, tail = sentences[:keep], sentences[keep:]
        g.rng.shuffle(tail)
        return " ".join(head + tail)

    # -- values as the kv style and the forms write them -------------------------------------
    def _note_currencies(self, f: Field, current: str | None) -> None:
        if f.is_object:
            current = currency_of(f.value) or current
        self._currencies[id(f)] = current
        for sub in (*f.children, *f.items):
            self._note_currencies(sub, current)

    def say(self, f: Field) -> str:
        currency = self._currencies.get(id(f), self.currency)
        spec = self.content.by_node.get(id(f.node))
        mode = spec.say if spec is not None else None
        value = f.value
        if mode is None or isinstance(value, bool) or not isinstance(value, int | float):
            return self.w.spell(value, f.node, f.key, currency)
        if mode == "money":
            return self.g.say_money(float(value), currency)
        if mode == "percent":
            return number_text(value) + "%"
        if mode == "number" and isinstance(value, int) and value >= 10000 and self.g.chance(0.5):
            return f"{value:,}"
        return number_text(value)
