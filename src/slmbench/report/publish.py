"""`slmbench report --claims`: check every claim, then write the README's headline table,
its figure and `docs/record.md` from them (or, with `--check`, only say what is stale)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from slmbench.errors import SlmbenchError
from slmbench.report.claims import CLAIMS_GLOB, ClaimIndex, check_claims, load_claims
from slmbench.report.headline import (
    FIGURE,
    README,
    RECORD_DOC,
    figure_rows,
    load_headline,
    render_block,
    replace_block,
)
from slmbench.report.record import find_record
from slmbench.report.record_doc import render_record_doc


@dataclass
class Published:
    n_claims: int
    written: list[Path] = field(default_factory=list)
    stale: dict[str, str] = field(default_factory=dict)
    """File -> unified diff of what `--claims` would change (filled by `--check`)."""


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def expected_texts(root: Path) -> tuple[dict[str, str], ClaimIndex]:
    """What README.md and docs/record.md should hold, from the checked claims."""
    claims = load_claims(root)
    if not claims:
        raise SlmbenchError(f"no claims under {root} ({CLAIMS_GLOB}): nothing to publish")
    check_claims(claims, root)
    index = ClaimIndex(claims)
    headline = load_headline(root)
    readme = _read(root / README)
    if not readme:
        raise SlmbenchError(f"{root / README}: missing")
    texts = {
        README: replace_block(readme, render_block(headline, index, f"{FIGURE}.png")),
        RECORD_DOC: render_record_doc(claims, find_record(root), root),
    }
    return texts, index


def publish_claims(root: str | Path = ".", check: bool = False) -> Published:
    """Write (or with `check`, compare) the outputs generated from the claims."""
    root = Path(root)
    texts, index = expected_texts(root)
    published = Published(len(index.claims))
    for rel, text in texts.items():
        path = root / rel
        current = _read(path)
        if current == text:
            continue
        if check:
            diff = difflib.unified_diff(
                current.splitlines(),
                text.splitlines(),
                f"{rel} (now)",
                f"{rel} (from claims)",
                lineterm="",
                n=1,
            )
            published.stale[rel] = "\n".join(diff)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            published.written.append(path)
    figure = root / f"{FIGURE}.png"
    if check:
        if not figure.is_file():
            published.stale[f"{FIGURE}.png"] = f"{FIGURE}.png: missing"
        return published
    from slmbench.report.headline_figure import headline_tiers

    made = headline_tiers(figure_rows(load_headline(root), root), root / FIGURE)
    published.written += [made.png, made.pdf]
    return published
