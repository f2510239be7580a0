"""The report stage's Python API: `report(ReportOptions)`. `slmbench report` is generated from
`ReportOptions` (`slmbench.options`) and calls `report`. Reads saved runs; runs no model.
Nothing heavy is imported until it runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from slmbench.errors import SlmbenchError
from slmbench.options import option
from slmbench.tasks.registry import TASK_NAMES

if TYPE_CHECKING:
    from slmbench.report.build import Report
    from slmbench.report.publish import Published

PARETO_AXES = ("params", "size")
"""x axes of the size Pareto plot: parameters, or size on disk."""


@dataclass(kw_only=True)
class ReportOptions:
    """Everything `slmbench report` takes."""

    runs: list[Path] = option(default_factory=list, positional=True, metavar="RUN_DIR")
    """A run folder, or a folder searched recursively for run folders."""
    out: Path | None = option(None, metavar="REPORT_DIR")
    """Output folder (created); needs RUN_DIR."""
    claims: bool = False
    """Check the claims, then write README.md's headline table (between
    <!-- headline:start --> and <!-- headline:end -->), its figure and docs/record.md."""
    check: bool = False
    """With --claims: write nothing; exit 1 with a diff when README.md or docs/record.md is not
    what the claims give."""
    root: Path = option(Path("."), metavar="DIR")
    """Repository root holding README.md, experiments/ and results/."""
    record: Path | None = option(None, metavar="FILE")
    """Models of record for the model cards (default: ROOT/results/record.json if it
    exists)."""
    task: str | None = option(None, choices=TASK_NAMES)
    """Report only the eval runs of this task (default: every run; each dataset gets the
    tables of its runs' task: EdgeJSON's tiers, EdgeIntent's accuracy, macro-F1 and confused
    intents...)."""
    data: Path | None = option(None, metavar="DIR")
    """Dataset folder (train.jsonl/test.jsonl/manifest.json) to describe."""
    with_reported: bool = True
    """Show the paper's published numbers as a separate 'reported' group."""
    pareto_x: str = option("params", choices=PARETO_AXES)
    """x axis of the size Pareto plot: parameters or size on disk."""


@dataclass
class ReportDone:
    """What `report` did: the report it built and the claims it published (None: not asked)."""

    report: Report | None = None
    published: Published | None = None


def report(options: ReportOptions) -> ReportDone:
    """Build the report of `options.runs` into `options.out` (tables, figures, index.html,
    model cards), and/or with `options.claims` check the claims and write what they give."""
    from slmbench.options import check_choices

    check_choices(options)
    if options.check and not options.claims:
        raise SlmbenchError("--check goes with --claims")
    if bool(options.runs) != bool(options.out):
        raise SlmbenchError("give RUN_DIR... and --out REPORT_DIR together (or only --claims)")
    if not options.runs and not options.claims:
        raise SlmbenchError("give RUN_DIR... --out REPORT_DIR, or --claims")
    done = ReportDone()
    if options.claims:
        from slmbench.report.publish import publish_claims

        done.published = publish_claims(options.root, check=options.check)
        if options.check and done.published.stale:
            return done
    if options.runs:
        from slmbench.report.build import build_report
        from slmbench.report.record import RECORD_PATH

        record = options.record
        if record is None and (options.root / RECORD_PATH).is_file():
            record = options.root / RECORD_PATH
        done.report = build_report(
            options.runs,
            options.out,
            data_dir=options.data,
            with_reported=options.with_reported,
            pareto_x=options.pareto_x,
            record=record,
            root=options.root,
            task=options.task,
        )
    return done
