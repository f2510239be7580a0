"""Claims: the numbers the docs print, each tied to the `results.json` it came from.

`experiments/<name>/claims.json` (and an optional top-level `experiments/claims.json`) hold a
JSON list of `{"id", "run", "metric", "value"}` (CONTRIBUTING.md, "Claims"):

- `run`: a run folder relative to the repo root; `metric`: a dotted path into its
  `results.json`; a path that ends at an object with a `value` key means its `value`;
- `value`: the number as printed. Values under `metrics.` are fractions printed as percent
  (`scale` 100); everything else is printed as it is (`scale` 1); a claim may set `scale`.
  The claim's own decimals are the printed precision, read from the file's text, so that
  `85.0` keeps its one decimal.

A claim holds when `round(results_value * scale, decimals(value)) == value`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from slmbench.errors import SlmbenchError

CLAIMS_GLOB = "experiments/*/claims.json"
TOP_LEVEL_CLAIMS = "experiments/claims.json"
CLAIM_KEYS = ("id", "run", "metric", "value")
PERCENT_PREFIX = "metrics."


class ClaimError(SlmbenchError):
    """A claims file is malformed, or a claim does not match its run's results.json."""


@dataclass(frozen=True)
class Claim:
    id: str
    run: str
    metric: str
    value: Decimal
    source: Path
    """The claims.json file, as given (relative to the repo root when loaded from one)."""
    scale: Decimal | None = None

    @property
    def where(self) -> str:
        """`FILE: claim ID` for error messages."""
        return f"{self.source}: claim {self.id}"

    @property
    def text(self) -> str:
        """The value as printed: the digits written in claims.json."""
        return printed_text(self.value)

    @property
    def key(self) -> tuple[str, str]:
        """(run, metric) with the trailing `.value` dropped, to look a claim up by."""
        return claim_key(self.run, self.metric)

    @property
    def experiment(self) -> str:
        """The experiment folder's name (`experiments/<name>/claims.json`), else the id's prefix."""
        if self.source.name == "claims.json" and self.source.parent.name != "experiments":
            return self.source.parent.name
        return self.id.split(".", 1)[0]


def claim_key(run: str, metric: str) -> tuple[str, str]:
    """How claims are looked up: the run folder without a trailing slash, the metric path
    without a trailing `.value` (both mean the same number).

    >>> claim_key("results/runs/eval/a/", "metrics.overall.json_exact.value")
    ('results/runs/eval/a', 'metrics.overall.json_exact')
    """
    metric = metric[: -len(".value")] if metric.endswith(".value") else metric
    return (run.rstrip("/"), metric)


def decimals(value: Decimal) -> int:
    """The number of decimals a printed number has.

    >>> decimals(Decimal("84.8")), decimals(Decimal("85.0")), decimals(Decimal("158"))
    (1, 1, 0)
    >>> decimals(Decimal("0.003")), decimals(Decimal("1E+1"))
    (3, 0)
    """
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def printed_text(value: Decimal) -> str:
    """A claim's value as the docs print it (fixed point, its own decimals).

    >>> printed_text(Decimal("84.8")), printed_text(Decimal("1E+1")), printed_text(Decimal("7"))
    ('84.8', '10', '7')
    """
    return f"{value:.{decimals(value)}f}"


def default_scale(metric: str) -> Decimal:
    """100 for the fractions under `metrics.` (printed as percent), else 1.

    >>> default_scale("metrics.overall.json_exact"), default_scale("latency.wall_s")
    (Decimal('100'), Decimal('1'))
    """
    return Decimal(100) if metric.startswith(PERCENT_PREFIX) else Decimal(1)


def printed(results_value: float, scale: Decimal, places: int) -> str:
    """How a results.json value prints at `places` decimals: `round(value * scale, places)`.

    >>> printed(0.848101, Decimal(100), 1), printed(0.0, Decimal(100), 1), printed(158, 1, 0)
    ('84.8', '0.0', '158')
    >>> printed(0.7911, Decimal(100), 1), printed(1454.64, Decimal(1), 0)
    ('79.1', '1455')
    """
    return f"{round(float(results_value) * float(scale), places):.{places}f}"


def half_up(results_value: float, scale: Decimal, places: int) -> str:
    """The value rounded half up from its decimal text, as a person rounds by hand; only used
    to explain a claim that `printed` (the rule) rounds the other way.

    >>> half_up(0.9055, Decimal(100), 1), printed(0.9055, Decimal(100), 1)
    ('90.6', '90.5')
    """
    exact = Decimal(repr(results_value)) * Decimal(scale)
    return str(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def resolve_metric(results: Any, path: str) -> Any:
    """The value at a dotted path in a results.json object; an object with a `value` key
    means its `value`. A key that itself holds dots is matched whole (the longest key first).
    Raises KeyError naming the first part of the path that is not there.

    >>> r = {"n": 158, "metrics": {"overall": {"json_exact": {"value": 0.8481, "ci_low": 0.79}},
    ...      "by_schema": {"v3.invoice": {"json_exact": 0.5}}}}
    >>> resolve_metric(r, "metrics.overall.json_exact"), resolve_metric(r, "n")
    (0.8481, 158)
    >>> resolve_metric(r, "metrics.overall.json_exact.ci_low")
    0.79
    >>> resolve_metric(r, "metrics.by_schema.v3.invoice.json_exact")
    0.5
    >>> resolve_metric(r, "metrics.overall.field_f1")
    Traceback (most recent call last):
    KeyError: 'metrics.overall.field_f1'
    """
    parts = path.split(".")
    node, i = results, 0
    while i < len(parts):
        if not isinstance(node, dict):
            raise KeyError(".".join(parts[: i + 1]))
        for j in range(len(parts), i, -1):
            key = ".".join(parts[i:j])
            if key in node:
                node, i = node[key], j
                break
        else:
            raise KeyError(".".join(parts[: i + 1]))
    if isinstance(node, dict) and "value" in node:
        node = node["value"]
    return node


def _claim(entry: Any, source: Path, index: int) -> Claim:
    where = f"{source}: entry {index}"
    if not isinstance(entry, dict):
        raise ClaimError(f"{where}: not a JSON object")
    missing = [k for k in CLAIM_KEYS if k not in entry]
    if missing:
        raise ClaimError(f"{where}: missing {', '.join(missing)}")
    extra = sorted(set(entry) - {*CLAIM_KEYS, "scale", "note"})
    if extra:
        raise ClaimError(f"{where} ({entry['id']}): unknown key(s) {', '.join(extra)}")
    for key in ("id", "run", "metric"):
        if not isinstance(entry[key], str) or not entry[key]:
            raise ClaimError(f"{where}: {key} must be a non-empty string")
    for key in ("value", "scale"):
        value = entry.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            raise ClaimError(f"{where} ({entry['id']}): {key} must be a number")
    scale = entry.get("scale")
    return Claim(
        id=entry["id"],
        run=entry["run"],
        metric=entry["metric"],
        value=Decimal(entry["value"]),
        source=source,
        scale=None if scale is None else Decimal(scale),
    )


def read_claims_file(path: Path, shown_as: Path | None = None) -> list[Claim]:
    """The claims of one file; numbers are read as written (decimals kept)."""
    shown = shown_as or path
    try:
        data = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except json.JSONDecodeError as e:
        raise ClaimError(f"{shown}: line {e.lineno}: not valid JSON ({e.msg})") from None
    except OSError as e:
        raise ClaimError(f"{shown}: cannot read ({e.strerror})") from None
    if not isinstance(data, list):
        raise ClaimError(f"{shown}: must hold a JSON list of claims")
    return [_claim(entry, shown, i) for i, entry in enumerate(data)]


def claim_files(root: Path) -> list[Path]:
    """Every claims file under the repo root, relative to it, in a stable order."""
    files = sorted(p.relative_to(root) for p in root.glob(CLAIMS_GLOB))
    if (root / TOP_LEVEL_CLAIMS).is_file():
        files.insert(0, Path(TOP_LEVEL_CLAIMS))
    return files


def load_claims(root: str | Path = ".") -> list[Claim]:
    """Every claim of the repo at `root`; ids must be unique across all files."""
    root = Path(root)
    claims: list[Claim] = []
    seen: dict[str, Claim] = {}
    for rel in claim_files(root):
        for claim in read_claims_file(root / rel, rel):
            if claim.id in seen:
                raise ClaimError(f"{claim.where}: id also used in {seen[claim.id].source}")
            seen[claim.id] = claim
            claims.append(claim)
    return claims


class ResultsCache:
    """results.json of each run folder, read once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._loaded: dict[str, dict] = {}

    def results(self, claim: Claim) -> dict:
        run = claim.run.rstrip("/")
        if run not in self._loaded:
            folder = self.root / run
            path = folder / "results.json"
            if not folder.is_dir():
                raise ClaimError(f"{claim.where}: run folder {run} does not exist")
            if not path.is_file():
                raise ClaimError(f"{claim.where}: {run} has no results.json")
            try:
                self._loaded[run] = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as e:
                raise ClaimError(f"{claim.where}: {path}: unreadable JSON ({e.msg})") from None
        return self._loaded[run]


def check_claim(claim: Claim, cache: ResultsCache) -> None:
    """Raise ClaimError (naming the claim, its file, run and path) unless it holds."""
    results = cache.results(claim)
    where = f"{claim.where}: {claim.run}/results.json"
    try:
        actual = resolve_metric(results, claim.metric)
    except KeyError as e:
        raise ClaimError(f"{where} has no {e.args[0]} (metric {claim.metric})") from None
    if isinstance(actual, bool) or not isinstance(actual, int | float):
        raise ClaimError(f"{where}: {claim.metric} is {actual!r}, not a number")
    if isinstance(actual, float) and not math.isfinite(actual):
        raise ClaimError(f"{where}: {claim.metric} is {actual}")
    scale = claim.scale if claim.scale is not None else default_scale(claim.metric)
    shown = printed(actual, scale, decimals(claim.value))
    if shown != claim.text:
        scaled = "" if scale == 1 else f" x {scale}"
        tie = ""
        if half_up(actual, scale, decimals(claim.value)) == claim.text:
            tie = " (a tie: round() of the binary value goes the other way)"
        raise ClaimError(
            f"{where}: {claim.metric} = {actual}{scaled} prints as {shown}, the claim says "
            f"{claim.text}{tie}"
        )


def check_claims(claims: list[Claim], root: str | Path = ".") -> None:
    """Check every claim; one ClaimError (one line) listing each that fails."""
    cache = ResultsCache(Path(root))
    failures = []
    for claim in claims:
        try:
            check_claim(claim, cache)
        except ClaimError as e:
            failures.append(str(e))
    if len(failures) == 1:
        raise ClaimError(failures[0])
    if failures:
        raise ClaimError(f"{len(failures)} claims fail: " + " | ".join(failures))


class ClaimIndex:
    """Claims looked up by (run, metric), for the tables that print them."""

    def __init__(self, claims: list[Claim]) -> None:
        self.claims = claims
        self._by_key: dict[tuple[str, str], Claim] = {}
        # A claim at the default scale (percent under `metrics.`) first: tables print those.
        for claim in sorted(claims, key=lambda c: c.scale not in (None, default_scale(c.metric))):
            self._by_key.setdefault(claim.key, claim)

    def get(self, run: str, metric: str) -> Claim | None:
        return self._by_key.get(claim_key(run, metric))

    def require(self, run: str, metric: str, what: str) -> Claim:
        """The claim, or a ClaimError saying which table cell (`what`) lacks one."""
        claim = self.get(run, metric)
        if claim is None:
            raise ClaimError(
                f"{what}: no claim for run {run} metric {metric} in {CLAIMS_GLOB} "
                "(add one to its experiment's claims.json)"
            )
        return claim
