"""Find each gold leaf of a labelled example in its text: exact first, then normalised (case,
spacing and separators, a value spread over several lines, number and date layouts, enum and
boolean words), then approximate (a few character edits, as OCR makes them).

Several candidates per leaf are scored: how exact the match is, whether a label that names the
field stands before it (on its line, the line above, or as a table column header), and, for
array items, whether it sits on the line of the item's other values. Leaves are then assigned
greedily, most specific first (long strings, dates, enums, short strings, numbers, booleans),
so that a number is never taken from inside an invoice number or a date.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any

from slmbench.data.synth import forms, normalised
from slmbench.data.synth.forms import EnumForm, Found, TextForm, case_of
from slmbench.data.synth.render import Field
from slmbench.data.synth.values import key_words

MAX_FUZZY_CHARS = 120
MIN_FUZZY_CHARS = 5
FUZZY_RATE = 0.2
"""At most one edit per five characters counts as the same value."""
ALL_OCCURRENCES_CHARS = 4
"""String values at least this long are replaced at every place they occur."""
LABEL_ALIASES = {
    "quantity": ("qty",),
    "number": ("no", "#", "nr"),
    "identifier": ("id",),
    "telephone": ("tel",),
    "phone": ("tel", "ph"),
    "amount": ("amt",),
    "address": ("addr",),
    "reference": ("ref",),
    "description": ("desc",),
}
STOP_WORDS = frozenset(("the", "of", "a", "an", "to", "in", "at", "on", "is", "and"))


@dataclass
class Leaf:
    """One leaf of a gold record, with its schema node."""

    path: tuple
    value: Any
    node: dict
    key: str
    parent: str

    @property
    def field_path(self) -> str:
        """The path with array indices dropped, e.g. `items[].sku` (how reports name a field)."""
        out = ""
        for part in self.path:
            out += "[]" if isinstance(part, int) else (f".{part}" if out else part)
        return out


@dataclass
class Located:
    leaf: Leaf
    start: int
    end: int
    form: object
    exactness: int


def leaves_of(root: Field) -> list[Leaf]:
    """Every scalar leaf of a field tree, in document order."""
    out: list[Leaf] = []

    def walk(f: Field, path: tuple, parent: str) -> None:
        if f.is_object:
            for c in f.children:
                walk(c, (*path, c.key), f.key)
        elif f.is_array:
            for i, item in enumerate(f.items):
                walk(item, (*path, i), f.key)
        else:
            out.append(Leaf(path, f.value, f.node, f.key, parent))

    walk(root, (), "")
    return out


def fuzzy_find(pattern: str, text: str, k: int) -> list[tuple[int, int, int]]:
    """`(start, end, edits)` of the best approximate occurrences of `pattern` in `text` with at
    most `k` edits (Myers' bit-vector search, then the start by a small dynamic programme).

    >>> fuzzy_find("invoice", "see lnvoice 42", 1)
    [(4, 11, 1)]
    """
    m = len(pattern)
    if not m or m > MAX_FUZZY_CHARS:
        return []
    peq: dict[str, int] = {}
    for i, c in enumerate(pattern):
        peq[c] = peq.get(c, 0) | (1 << i)
    full, high = (1 << m) - 1, 1 << (m - 1)
    pv, mv, score = full, 0, m
    ends: list[tuple[int, int]] = []
    for j, c in enumerate(text):
        eq = peq.get(c, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = mv | (~(xh | pv) & full)
        mh = pv & xh
        if ph & high:
            score += 1
        elif mh & high:
            score -= 1
        ph = (ph << 1) & full
        mh = (mh << 1) & full
        pv = mh | (~(xv | ph) & full)
        mv = ph & xv
        if score <= k:
            ends.append((j, score))
    out = []
    i = 0
    while i < len(ends):  # one match per run of adjacent end positions: its best end
        run = [ends[i]]
        while i + 1 < len(ends) and ends[i + 1][0] == ends[i][0] + 1:
            i += 1
            run.append(ends[i])
        i += 1
        end, edits = min(run, key=lambda e: e[1])
        start = min(
            range(max(0, end - m - k + 1), end - m + k + 2),
            key=lambda s: (_levenshtein(pattern, text[s : end + 1]), abs(end + 1 - s - m)),
        )
        out.append((start, end + 1, edits))
    return out


def _levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def detect_strings(text: str, value: str) -> list[Found]:
    out = [Found(m.start(), m.end(), TextForm(), 0) for m in re.finditer(re.escape(value), text)]
    if out:
        return out
    lowered = [m for m in re.finditer(re.escape(value), text, re.IGNORECASE)]
    out = [Found(m.start(), m.end(), TextForm(case_of(m.group(0), value)), 1) for m in lowered]
    if out:
        return out
    words = re.findall(r"\w+", value)
    if len(words) > 1 and "".join(words):
        gold_seps = re.findall(r"\w+(\W+)(?=\w)", value)
        pattern = r"(\W{1,6})".join(re.escape(w) for w in words)
        for m in re.finditer(r"(?<!\w)" + pattern + r"(?!\w)", text, re.IGNORECASE):
            written = m.groups()
            seps = tuple(
                dict.fromkeys((g, t) for g, t in zip(gold_seps, written, strict=False) if g != t)
            )
            squashed = re.sub(r"\W+", " ", m.group(0))
            case = case_of(squashed, re.sub(r"\W+", " ", value))
            out.append(Found(m.start(), m.end(), TextForm(case, seps), 1))
    if out:
        return out
    out = normalised.detect_layout(text, value) + normalised.detect_last_first(text, value)
    if out or len(value) < MIN_FUZZY_CHARS:
        return out
    k = max(1, int(len(value) * FUZZY_RATE))
    for start, end, edits in fuzzy_find(value.lower(), text.lower(), k):
        written = text[start:end]
        case = case_of(written, value) if written.lower() == value.lower() else _rough_case(written)
        out.append(Found(start, end, TextForm(case, (), round(edits / len(value), 3)), 3))
    return out


def _rough_case(written: str) -> str:
    letters = [c for c in written if c.isalpha()]
    if letters and all(c.isupper() for c in letters):
        return "upper"
    if letters and all(c.islower() for c in letters):
        return "lower"
    return "same"


def detect_enum(text: str, value: str) -> list[Found]:
    parts = [re.escape(p) for p in re.split(r"[_\s-]+", value) if p]
    if not parts:
        return []
    out = []
    for m in re.finditer(r"(?<!\w)" + r"([_\s-]?)".join(parts) + r"(?!\w)", text, re.IGNORECASE):
        sep = next((g for g in m.groups() if g), "_") if len(parts) > 1 else "_"
        canonical = value.replace("_", sep if sep.strip() or sep == " " else " ")
        out.append(
            Found(
                m.start(),
                m.end(),
                EnumForm(case_of(m.group(0), canonical), sep),
                0 if m.group(0) == value else 1,
            )
        )
    return out


def candidates(text: str, leaf: Leaf) -> list[Found]:
    value, node = leaf.value, leaf.node
    if isinstance(value, bool):
        return forms.detect_bools(text, value)
    if isinstance(value, int | float):
        return forms.detect_numbers(text, value) + normalised.detect_percent(text, value)
    if not isinstance(value, str) or not value.strip():
        return []
    table = normalised.code_table(value, leaf.key, leaf.parent, str(node.get("description", "")))
    if table:  # a code: as itself (a word of its own), or as its name
        own = [f for f in detect_strings(text, value) if f.exactness < 3 and _standalone(text, f)]
        return own + normalised.detect_code_names(text, value, table)
    if node.get("format") in ("date", "date-time") or re.fullmatch(
        r"\d{4}-\d{2}-\d{2}(T.*)?", value
    ):
        found = forms.detect_dates(text, value)
        if found:
            return found
    if node.get("format") == "time" or re.fullmatch(r"\d{2}:\d{2}(:\d{2}(\.\d+)?)?", value):
        found = forms.detect_times(text, value)
        if found:
            return found
    if "enum" in node:
        return detect_enum(text, value) or detect_strings(text, value)
    return detect_strings(text, value)


def _standalone(text: str, f: Found) -> bool:
    """No letter or digit right before or after the find ("GB" in "GB", not in "GBP")."""
    before = text[f.start - 1 : f.start] if f.start else ""
    return not before.isalnum() and not text[f.end : f.end + 1].isalnum()


class TextIndex:
    """Line and label lookups over one text."""

    def __init__(self, text: str):
        self.text = text
        self.lower = text.lower()
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_of(self, pos: int) -> int:
        return bisect.bisect_right(self.line_starts, pos) - 1

    def line_text(self, n: int) -> str:
        start = self.line_starts[n]
        end = self.line_starts[n + 1] - 1 if n + 1 < len(self.line_starts) else len(self.text)
        return self.text[start:end]

    def label_score(self, start: int, end: int, leaf: Leaf) -> float:
        """1.0 when words naming the field stand before the value (its line, the line above
        when its line has no other text, or the table column above); else the fraction."""
        words = [w for w in key_words(leaf.key) if w not in STOP_WORDS]
        if not words:
            return 0.0
        n = self.line_of(start)
        before = self.lower[self.line_starts[n] : start]
        if not re.search(r"[a-z]", before) and n > 0:
            before = self.line_text(n - 1).lower()
        score = _words_in(words, before[-48:])
        if score < 1.0:
            score = max(score, self._column_score(start, end, n, words))
        return score

    def _column_score(self, start: int, end: int, n: int, words: list[str]) -> float:
        line = self.line_text(n)
        col0, col1 = start - self.line_starts[n], end - self.line_starts[n]
        if "|" in line:
            cell = line[:col0].count("|")
            for above in range(n - 1, max(-1, n - 12), -1):
                cells = self.line_text(above).split("|")
                header = (
                    len(cells) > cell
                    and re.search(r"[A-Za-z]", cells[cell])
                    and "---" not in cells[cell]
                    and line.count("|") == len(cells) - 1
                )
                if header:
                    return _words_in(words, cells[cell].lower())
            return 0.0
        for above in range(n - 1, max(-1, n - 12), -1):
            header = self.line_text(above).lower()
            window = header[max(0, col0 - 4) : col1 + 4]
            if re.search(r"[a-z]{2}", window) and not re.search(r"\d", window):
                return _words_in(words, window)
        return 0.0


def _words_in(words: list[str], context: str) -> float:
    hits = 0
    for w in words:
        aliases = (w, *LABEL_ALIASES.get(w, ()))
        if any(re.search(rf"(?<![a-z]){re.escape(a)}", context) for a in aliases):
            hits += 1
    return hits / len(words)


def _priority(leaf: Leaf) -> tuple:
    value = leaf.value
    if isinstance(value, bool):
        return (5, 0)
    if isinstance(value, int | float):
        return (4, -len(str(value)))
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}(T.*)?", value):
        return (1, -len(value))
    if "enum" in leaf.node:
        return (2, -len(value))
    return (0 if len(value) >= ALL_OCCURRENCES_CHARS else 3, -len(value))


def locate(text: str, leaves: list[Leaf]) -> tuple[list[Located], list[Leaf]]:
    """`(located spans, leaves not found)`; spans never overlap, except that leaves with
    equal values may share one occurrence. Null and empty values are neither."""
    index = TextIndex(text)
    taken: list[Located] = []
    missing: list[Leaf] = []
    item_lines: dict[tuple, set[int]] = {}
    for leaf in sorted(leaves, key=_priority):
        if leaf.value is None or leaf.value == "":
            continue
        found = candidates(text, leaf)
        lines = item_lines.get(leaf.path[:-1], set())

        def score(f: Found, leaf: Leaf = leaf, lines: set = lines) -> float:
            near = index.label_score(f.start, f.end, leaf)
            same_item = 0.7 if index.line_of(f.start) in lines else 0.0
            shared = 0.5 if any((t.start, t.end) == (f.start, f.end) for t in taken) else 0.0
            return near * 2.0 + same_item - shared - f.exactness - f.start * 1e-6

        free = [f for f in found if not _overlaps(taken, f.start, f.end, leaf)]
        if not free:
            missing.append(leaf)
            continue
        free.sort(key=score, reverse=True)
        chosen = [free[0]]
        if isinstance(leaf.value, str) and (
            len(leaf.value) >= ALL_OCCURRENCES_CHARS
            or isinstance(free[0].form, normalised.CodeNameForm)
        ):
            chosen += [
                f
                for f in free[1:]
                if f.exactness == free[0].exactness and not any(_clash(c, f) for c in chosen)
            ]
        for f in chosen:
            taken.append(Located(leaf, f.start, f.end, f.form, f.exactness))
            item_lines.setdefault(leaf.path[:-1], set()).add(index.line_of(f.start))
    taken.sort(key=lambda loc: (loc.start, loc.end))
    return taken, missing


def _clash(a: Found, b: Found) -> bool:
    return a.start < b.end and b.start < a.end


def _overlaps(taken: list[Located], start: int, end: int, leaf: Leaf) -> bool:
    for loc in taken:
        if loc.start < end and start < loc.end:
            same_span = (loc.start, loc.end) == (start, end) and loc.leaf.value == leaf.value
            if not same_span:
                return True
    return False
