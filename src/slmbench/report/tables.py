"""A small table model rendered three ways: Markdown, LaTeX (booktabs) and HTML.

The report's builders (`result_tables.py`) produce `Table`s; this module only renders them, so
the three outputs always carry the same numbers.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field


@dataclass
class Cell:
    """A table cell: a main text, an optional 95% interval shown smaller, optional bold."""

    text: str
    ci: str | None = None
    bold: bool = False


@dataclass
class Section:
    """A row spanning the table that opens a group of rows (e.g. 'reported (paper)')."""

    text: str


CellLike = Cell | str


@dataclass
class Table:
    key: str
    """Stable identifier: LaTeX label `tab:KEY`, HTML anchor."""
    title: str
    columns: list[str]
    rows: list[list[CellLike] | Section] = field(default_factory=list)
    align: str = ""
    """One of l/r/c per column; default: first column left, the rest right."""
    notes: list[str] = field(default_factory=list)

    def alignment(self) -> str:
        return self.align or "l" + "r" * (len(self.columns) - 1)


def _cell(c: CellLike) -> Cell:
    return c if isinstance(c, Cell) else Cell(str(c))


# ---------- Markdown ----------


def md_escape(text: str) -> str:
    """Escape what would break a Markdown table cell.

    >>> md_escape("a|b *c*")
    'a\\\\|b \\\\*c\\\\*'
    """
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*")


def _md_cell(c: CellLike) -> str:
    c = _cell(c)
    text = md_escape(c.text)
    if c.bold:
        text = f"**{text}**"
    return f"{text} {c.ci}" if c.ci else text


def to_markdown(table: Table, level: int = 3) -> str:
    """A GitHub-flavoured Markdown table with a heading and notes.

    >>> print(to_markdown(Table("t", "Demo", ["Model", "Exact (%)"],
    ...     [["A", Cell("24.7", "[18.5, 31.6]", bold=True)], Section("reported"), ["B", "14.6"]])))
    ### Demo
    <BLANKLINE>
    | Model | Exact (%) |
    |:--|--:|
    | A | **24.7** [18.5, 31.6] |
    | *reported* |  |
    | B | 14.6 |
    """
    marks = {"l": ":--", "r": "--:", "c": ":-:"}
    lines = [f"{'#' * level} {table.title}", ""]
    lines.append("| " + " | ".join(md_escape(c) for c in table.columns) + " |")
    lines.append("|" + "|".join(marks[a] for a in table.alignment()) + "|")
    for row in table.rows:
        if isinstance(row, Section):
            cells = [f"*{md_escape(row.text)}*"] + [""] * (len(table.columns) - 1)
        else:
            cells = [_md_cell(c) for c in row]
        lines.append("| " + " | ".join(cells) + " |")
    if table.notes:
        for note in table.notes:
            lines += ["", md_escape(note)]
    return "\n".join(lines)


# ---------- LaTeX ----------

_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "–": "--",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}


def latex_escape(text: str) -> str:
    r"""Escape LaTeX's special characters.

    >>> latex_escape("json_exact 50% & {x}")
    'json\\_exact 50\\% \\& \\{x\\}'
    """
    return "".join(_LATEX_SPECIALS.get(ch, ch) for ch in text)


def _latex_cell(c: CellLike) -> str:
    c = _cell(c)
    text = latex_escape(c.text)
    if c.bold:
        text = rf"\textbf{{{text}}}"
    return rf"{text}\,{{\scriptsize{latex_escape(c.ci)}}}" if c.ci else text


def to_latex(table: Table) -> str:
    r"""A booktabs `table` float (needs `\usepackage{booktabs}`); `table*` past 5 columns.

    >>> print(to_latex(Table("main", "Demo", ["Model", "Exact"], [["A_1", "24.7"]])))
    \begin{table}[t]
    \centering
    \small
    \caption{Demo}
    \label{tab:main}
    \begin{tabular}{lr}
    \toprule
    Model & Exact \\
    \midrule
    A\_1 & 24.7 \\
    \bottomrule
    \end{tabular}
    \end{table}
    """
    n = len(table.columns)
    env = "table*" if n > 5 else "table"
    lines = [
        rf"\begin{{{env}}}[t]",
        r"\centering",
        r"\small",
        rf"\caption{{{latex_escape(table.title)}}}",
        rf"\label{{tab:{table.key}}}",
        rf"\begin{{tabular}}{{{table.alignment()}}}",
        r"\toprule",
        " & ".join(latex_escape(c) for c in table.columns) + r" \\",
        r"\midrule",
    ]
    for i, row in enumerate(table.rows):
        if isinstance(row, Section):
            if i > 0:
                lines.append(r"\midrule")
            lines.append(rf"\multicolumn{{{n}}}{{l}}{{\emph{{{latex_escape(row.text)}}}}} \\")
        else:
            lines.append(" & ".join(_latex_cell(c) for c in row) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    if table.notes:
        notes = " ".join(latex_escape(n) for n in table.notes)
        lines.append(rf"\par\smallskip{{\footnotesize {notes}\par}}")
    lines.append(rf"\end{{{env}}}")
    return "\n".join(lines)


# ---------- HTML ----------


def _html_cell(c: CellLike, tag: str, align: str) -> str:
    c = _cell(c)
    text = html.escape(c.text)
    if c.bold:
        text = f"<b>{text}</b>"
    if c.ci:
        text += f' <span class="ci">{html.escape(c.ci)}</span>'
    style = {"l": "left", "r": "right", "c": "center"}[align]
    cls = ' class="num"' if align == "r" else ""
    return f'<{tag}{cls} style="text-align:{style}">{text}</{tag}>'


def to_html(table: Table) -> str:
    """An HTML table with caption and notes; escaped, no external references.

    >>> "<td" in to_html(Table("t", "T", ["a"], [["<x>"]])) and "&lt;x&gt;" in to_html(
    ...     Table("t", "T", ["a"], [["<x>"]]))
    True
    """
    align = table.alignment()
    out = [
        f'<table id="tab-{html.escape(table.key)}">',
        f"<caption>{html.escape(table.title)}</caption>",
        "<thead><tr>"
        + "".join(_html_cell(c, "th", a) for c, a in zip(table.columns, align, strict=True))
        + "</tr></thead>",
        "<tbody>",
    ]
    for row in table.rows:
        if isinstance(row, Section):
            out.append(
                f'<tr class="section"><td colspan="{len(table.columns)}">'
                f"{html.escape(row.text)}</td></tr>"
            )
        else:
            out.append(
                "<tr>"
                + "".join(_html_cell(c, "td", a) for c, a in zip(row, align, strict=True))
                + "</tr>"
            )
    out.append("</tbody></table>")
    for note in table.notes:
        out.append(f'<p class="note">{html.escape(note)}</p>')
    return "\n".join(out)
