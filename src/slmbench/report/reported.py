"""Figures published in the EdgeJSON v3 paper, kept as data and always labelled "reported".

These numbers were NOT measured by this toolkit: they come from the paper's results on the
original EdgeJSON v3 test split (158 rows). The report shows them as a separate
"reported (paper)" group, next to but never mixed with measured runs, and without intervals
because the paper gives none.
"""

from __future__ import annotations

from dataclasses import dataclass, field

STATUS = "reported"
GROUP_LABEL = "reported (paper)"
SOURCE = "EdgeJSON v3 paper (CycleCore Technologies), original test split, 158 rows"
DATASET = "EdgeJSON v3 test"
DATASET_ROWS = 158


@dataclass(frozen=True)
class ReportedResult:
    """One published result; fractions 0..1 like the measured metrics."""

    label: str
    base_model: str
    params: int
    training: str
    json_exact: float
    json_exact_by_tier: dict[str, float] = field(default_factory=dict)
    status: str = STATUS
    source: str = SOURCE

    @property
    def display_label(self) -> str:
        """The label used in tables and plots, which says the number is the paper's.

        >>> REPORTED[0].display_label
        'SmolLM2-135M FT (paper)'
        """
        return f"{self.label} (paper)"

    def metric(self, path: str) -> float | None:
        """The published value at a results.json-style metric path, None where the paper
        gives none (only JSONExact, overall and by tier, is published).

        >>> paper = REPORTED[0]
        >>> paper.metric("metrics.overall.json_exact"), paper.metric("metrics.overall.field_f1")
        (0.247, None)
        >>> paper.metric("metrics.by_tier.complex.json_exact")
        0.0
        """
        parts = path.removesuffix(".value").split(".")
        if parts == ["metrics", "overall", "json_exact"]:
            return self.json_exact
        if len(parts) == 4 and parts[:2] == ["metrics", "by_tier"] and parts[3] == "json_exact":
            return self.json_exact_by_tier.get(parts[2])
        return None


REPORTED: tuple[ReportedResult, ...] = (
    ReportedResult(
        label="SmolLM2-135M FT",
        base_model="HuggingFaceTB/SmolLM2-135M",
        params=134_515_008,
        training="fine-tuned (paper recipe)",
        json_exact=0.247,
        json_exact_by_tier={"complex": 0.0},
    ),
    ReportedResult(
        label="SmolLM2-360M FT",
        base_model="HuggingFaceTB/SmolLM2-360M",
        params=361_821_120,
        training="fine-tuned (paper recipe)",
        json_exact=0.551,
    ),
    ReportedResult(
        label="Qwen2.5-0.5B",
        base_model="Qwen/Qwen2.5-0.5B-Instruct",
        params=494_032_768,
        training="zero-shot",
        json_exact=0.146,
    ),
)


def reported_result(label: str) -> ReportedResult | None:
    """The published result with this label (`ReportedResult.label`), None if there is none.

    >>> reported_result("Qwen2.5-0.5B").json_exact, reported_result("GPT-5")
    (0.146, None)
    """
    return next((r for r in REPORTED if r.label == label), None)
