"""Number formatting shared by the tables, figures and model cards of the report."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

MISSING = "–"


def pct(value: float | None, digits: int = 1) -> str:
    """A fraction 0..1 as a percentage without the sign.

    >>> pct(0.247), pct(1.0), pct(None), pct(0.0)
    ('24.7', '100.0', '–', '0.0')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    return f"{100 * value:.{digits}f}"


def ci_text(low: float | None, high: float | None) -> str | None:
    """A 95% interval of fractions as `[low, high]` in percent, or None when unknown.

    >>> ci_text(0.185, 0.316)
    '[18.5, 31.6]'
    >>> ci_text(None, 0.3) is None
    True
    """
    if low is None or high is None:
        return None
    return f"[{pct(low)}, {pct(high)}]"


def params_text(n: int | float | None) -> str:
    """A parameter count, rounded the way model names round it.

    >>> params_text(134_515_008), params_text(494_032_768), params_text(1_543_714_304)
    ('135M', '494M', '1.5B')
    >>> params_text(None), params_text(52_000)
    ('–', '52K')
    """
    if not n:
        return MISSING
    if n >= 1e9:
        return f"{n / 1e9:.1f}B"
    if n >= 1e6:
        return f"{n / 1e6:.0f}M"
    return f"{n / 1e3:.0f}K"


def bytes_text(n: int | float | None) -> str:
    """A size on disk in decimal units.

    >>> bytes_text(538_090_408), bytes_text(1_610_612_736), bytes_text(None), bytes_text(9_300)
    ('538 MB', '1.61 GB', '–', '9 kB')
    """
    if not n:
        return MISSING
    if n >= 1e9:
        return f"{n / 1e9:.2f} GB"
    if n >= 1e6:
        return f"{n / 1e6:.0f} MB"
    return f"{n / 1e3:.0f} kB"


def num(value: float | None, digits: int = 0) -> str:
    """A plain number with thousands separators, or the missing mark.

    >>> num(1234.5), num(35.25, 1), num(None)
    ('1,234', '35.2', '–')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    return f"{value:,.{digits}f}"


def short_sha(sha: str | None) -> str:
    """The first 8 hex digits of a sha256, enough to tell datasets apart in a heading.

    >>> short_sha("3f2a9c0d1e2b3c4d5e6f"), short_sha(None)
    ('3f2a9c0d', 'unknown')
    """
    return sha[:8] if sha else "unknown"


def length_summary(values: Sequence[int]) -> tuple[float, float, int]:
    """(median, 90th percentile, max) of lengths; the p90 uses the inclusive method.

    >>> length_summary([10, 20, 30, 40, 100])
    (30, 76.0, 100)
    """
    if not values:
        return (math.nan, math.nan, 0)
    ordered = sorted(values)
    p90 = (
        statistics.quantiles(ordered, n=10, method="inclusive")[-1]
        if len(ordered) > 1
        else ordered[0]
    )
    return (statistics.median(ordered), p90, ordered[-1])


def slug(text: str) -> str:
    """A file-name-safe version of a label.

    >>> slug("SmolLM2-135M FT (lora r16)")
    'smollm2-135m-ft-lora-r16'
    """
    out = "".join(c.lower() if c.isalnum() else "-" for c in text)
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-") or "run"
