"""The report's `index.html`: one self-contained page, readable offline.

Images are embedded as base64 data URIs and the style sheet is inline, so the page references
no other file and no network address; links are in-page anchors only.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import TYPE_CHECKING

from slmbench.report.tables import to_html

if TYPE_CHECKING:
    from slmbench.report.build import Report

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto;
       max-width: 1200px; padding: 1.5rem; color: #1d1d1f; line-height: 1.45; }
h1 { font-size: 1.6rem; } h2 { border-bottom: 1px solid #ddd; padding-bottom: .2rem;
     margin-top: 2.5rem; } h3 { margin-top: 1.8rem; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .85rem; }
caption { text-align: left; font-weight: 600; padding-bottom: .35rem; }
th, td { padding: .25rem .55rem; border-bottom: 1px solid #e5e5e5; vertical-align: top; }
td.num, th.num { white-space: nowrap; }
tbody td:first-child { min-width: 12em; }
thead th { border-bottom: 2px solid #333; }
tr.section td { font-style: italic; background: #f4f4f6; }
.ci { color: #777; font-size: .8em; }
.note { font-size: .8rem; color: #555; margin: .2rem 0; }
.scroll { overflow-x: auto; }
figure { display: inline-block; vertical-align: top; margin: .8rem 1.2rem .8rem 0;
         max-width: 520px; }
figure img { width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: .8rem; color: #444; }
.skipped { background: #fff6e5; border-left: 4px solid #e0a526; padding: .5rem 1rem; }
pre { background: #f6f8fa; padding: .8rem; overflow-x: auto; font-size: .78rem; }
nav ul { columns: 2; font-size: .9rem; }
"""


def data_uri(path: Path, mime: str = "image/png") -> str:
    """A file's bytes as a `data:` URI.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.png"; _ = p.write_bytes(b"abc")
    >>> data_uri(p)
    'data:image/png;base64,YWJj'
    """
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _esc(text: object) -> str:
    return html.escape(str(text))


def _figure(fig, out_dir: Path) -> str:
    pdf = fig.pdf.relative_to(out_dir) if fig.pdf.is_relative_to(out_dir) else fig.pdf
    return (
        f'<figure id="{_esc(fig.key)}"><img alt="{_esc(fig.caption)}" '
        f'src="{data_uri(fig.png)}"><figcaption>{_esc(fig.caption)} '
        f"(PDF: <code>{_esc(pdf)}</code>)</figcaption></figure>"
    )


def _run_notes(report: Report) -> list[str]:
    out = []
    for run in list(report.runs.evals) + list(report.runs.trains):
        name = getattr(run, "label", "") or run.path.name
        out += [f"{name} ({run.path}): {note}" for note in run.notes]
    return out


def render_index(report: Report) -> str:
    body = [
        "<h1>SLMBench report</h1>",
        f"<p>Generated on {_esc(report.created)} from {len(report.runs.evals)} eval run(s) "
        f"and {len(report.runs.trains)} train run(s). Percentages; brackets are 95% "
        "intervals. Rows marked <i>reported (paper)</i> are published numbers, not "
        "measured here.</p>",
    ]
    body += [f"<p><b>{_esc(note)}</b></p>" for note in report.notes]
    toc = [f'<li><a href="#{_esc(s.key)}">{_esc(s.title)}</a></li>' for s in report.sections]
    if report.model_cards:
        toc.append('<li><a href="#model-cards">Model cards</a></li>')
    body.append("<nav><ul>" + "".join(toc) + "</ul></nav>")
    if report.runs.skipped:
        items = "".join(
            f"<li><code>{_esc(s.path)}</code>: {_esc(s.reason)}</li>" for s in report.runs.skipped
        )
        body.append(f'<div class="skipped"><b>Skipped run folders</b><ul>{items}</ul></div>')
    notes = _run_notes(report)
    if notes:
        items = "".join(f"<li>{_esc(n)}</li>" for n in notes)
        body.append(
            f"<details><summary>Notes on {len(notes)} run file issue(s)</summary>"
            f"<ul>{items}</ul></details>"
        )
    for section in report.sections:
        body.append(f'<section id="{_esc(section.key)}"><h2>{_esc(section.title)}</h2>')
        body += [f"<p>{_esc(line)}</p>" for line in section.intro]
        if section.figures:
            body.append("<h3>Figures</h3><div>")
            body += [_figure(f, report.out_dir) for f in section.figures]
            body.append("</div>")
        body.append("<h3>Tables</h3>")
        body += [f'<div class="scroll">{to_html(t)}</div>' for t in section.tables]
        body.append("</section>")
    if report.model_cards:
        body.append('<section id="model-cards"><h2>Model cards</h2>')
        for path in report.model_cards:
            rel = path.relative_to(report.out_dir)
            body.append(
                f"<details><summary><code>{_esc(rel)}</code></summary>"
                f"<pre>{_esc(path.read_text(encoding='utf-8'))}</pre></details>"
            )
        body.append("</section>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>SLMBench report</title><style>{CSS}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
