"""``disruption demo``: a synthetic authority, its history imported and a year run by the engine.

Every child, date and figure of the demo is synthetic: generated from a seed, no real child.

1. The authority's SSDA903 history (:mod:`disruption.demo.returns`) is written as yearly
   return files. It is calibrated to figures from three sources, each said where it is shown
   (:data:`CALIBRATION`): the source deck's table of 683 open placements by type and provider
   (a Middlesbrough snapshot of about autumn 2020, which the demo puts on its own year end,
   31 March 2025, and says so) and its 64% long-term figure; Middlesbrough's published 2025
   short-term (12%) and two-year (26%) figures; England's 2025 mix of reasons for a
   placement change.
2. The returns up to 31 March 2024 are imported: every placement becomes a case.
3. The year to 31 March 2025 is run through the engine (:mod:`disruption.demo.year`):
   placements open and end as the history says, the procedure runs before every unplanned
   ending, and some steady placements have a concern screened or stabilised.
4. The report is written from the store.

Everything goes through the library's own paths (the importer, the engine, the report); the
same seed gives the same store, summary and report.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import polars as pl
from rich.console import Console
from rich.table import Table

from disruption.analysis import case_table, load_cases, open_placements
from disruption.analysis.report import ReportFiles, write_report
from disruption.analysis.report_sections import Progress
from disruption.analysis.stability import stability
from disruption.demo.returns import YEAR_END, synthetic_returns
from disruption.demo.year import YEAR_START, year_commands
from disruption.engine.engine import Engine
from disruption.exceptions import CommandError
from disruption.ssda903 import check_files
from disruption.ssda903.historic import placement_rows
from disruption.ssda903.load import plan_import
from disruption.store import open_store

__all__ = [
    "CALIBRATION",
    "DECK_SOURCE",
    "YEAR_END",
    "YEAR_START",
    "DemoSummary",
    "print_summary",
    "run_demo",
]

DECK_SOURCE = (
    'Middlesbrough Children\'s Services, "Middlesbrough Monitoring Visit" presentation on the '
    'Ofsted monitoring visit of 23-24 September 2020, slides "Placement Type and Provision" '
    '(table "Placement type (open CLA)", undated, about autumn 2020) and "Placement Stability"'
)
"""The source deck, as cited wherever the demo shows one of its figures."""

_DFE = (
    'DfE, "Children looked after in England including adoptions", reporting year 2025, '
    'table "Placement stability by local authority", year ending 31 March 2025'
)

CALIBRATION = {
    "short_term": ("12% (calibrated)", f"Middlesbrough, 59 of 493: {_DFE}"),
    "two_year": ("26% (not calibrated)", f"Middlesbrough, 95 of 361: {_DFE}"),
    "long_term": (
        "64% (calibrated)",
        f"the source deck, about 2020 (Middlesbrough 2025: 57%, {_DFE})",
    ),
}
"""Each measure's published figure, whether the demo was calibrated to it, and its source.

The demo's histories are built to meet the short- and long-term figures; the two-year one is
shown for comparison only."""


@attrs.frozen(eq=False)
class DemoSummary:
    """What the demo did: where it wrote, what it imported and ran, and the figures.

    Attributes:
        db: The SQLite store.
        returns: The folders of SSDA903 returns written.
        imported: Cases imported from the returns before the live year.
        commands: Commands the engine applied in the live year.
        rejected: Commands the procedure's rules refused (none, when all is well).
        cases: The case table at the end.
        report: The report's files.
        stability: The DfE stability measures for the year end, from the returns.
        on: The year end.
    """

    db: Path
    returns: tuple[Path, ...]
    imported: int
    commands: int
    rejected: int
    cases: pl.DataFrame
    report: ReportFiles
    stability: dict[str, Any]
    on: date


class _Clock:
    """The demo's clock: each command is entered a little after it happened."""

    def __init__(self) -> None:
        self.at = datetime.combine(YEAR_START, datetime.min.time()).astimezone()

    def now(self) -> datetime:
        return self.at


def _quiet(what: str, done: int, total: int | None) -> None:
    return None


def run_demo(
    *, seed: int = 7, db: Path, out: Path, progress: Progress | None = None
) -> DemoSummary:
    """Run the demo into a fresh SQLite file and an output folder.

    Args:
        seed: The random seed.
        db: The SQLite file to create; an existing one is replaced.
        out: The folder for the returns and the report (created).
        progress: Called as the work goes (a step's description, units done, of how many):
            writing and checking the returns, each case imported, each command of the
            year, then the report's steps (see
            :func:`~disruption.analysis.report.write_report`).

    Returns:
        The summary.
    """
    step: Progress = progress or _quiet
    out.mkdir(parents=True, exist_ok=True)
    db.parent.mkdir(parents=True, exist_ok=True)
    db.unlink(missing_ok=True)
    step("Writing the SSDA903 returns", 0, None)
    returns = synthetic_returns(seed)
    folders = tuple(returns.write(out / "ssda903"))

    def checking(name: str) -> None:  # check_files's steps: read, validate, reconcile
        step(f"Checking the returns ({name})", 0, None)

    checked = check_files(folders, on_step=checking)
    history = checked.episodes
    measures = stability(history, checked.header, YEAR_END)
    clock = _Clock()
    store = open_store(str(db))
    try:
        before = [f for f in folders if int(f.name) < YEAR_END.year]
        plan = plan_import(before, recorded_at=clock.now(), on_step=checking)

        def importing(done: int, total: int) -> None:
            step("Importing the history", done, total)

        imported = plan.load(store, progress=importing).added
        rng = random.Random(seed)
        engine = Engine(store, clock=clock)
        commands = year_commands(placement_rows(history), seed)
        rejected = 0
        for done, command in enumerate(commands):
            step("Running the year through the engine", done, len(commands))
            clock.at = command.at + timedelta(minutes=rng.randint(5, 600))
            try:
                engine.handle(command)
            except CommandError:
                rejected += 1
        step("Running the year through the engine", len(commands), len(commands))
        dobs = returns.header.select(pl.col("CHILD").alias("child"), pl.col("DOB").alias("dob"))
        report = write_report(
            store,
            out / "report",
            start=YEAR_START,
            end=YEAR_END,
            dates_of_birth=dobs,
            title="Synthetic demo authority: placement stability and breakdown (synthetic data)",
            progress=step,
        )
        step("Reading the cases", 0, None)
        table = case_table(load_cases(store))
    finally:
        store.close()
    return DemoSummary(
        db, folders, imported, len(commands), rejected, table, report, measures, YEAR_END
    )


def print_summary(summary: DemoSummary, console: Console) -> None:
    """Print the demo's summary: what it did, the placement table, the year's endings."""
    table = summary.cases
    console.print(
        "[bold]disruption demo[/]: a synthetic authority; every child, date and figure below "
        "is generated (no real child)."
    )
    console.print(
        f"{len(summary.returns)} yearly SSDA903 returns written; "
        f"{summary.imported:,} historic placements imported; {summary.commands:,} commands of "
        f"the year to {summary.on:%-d %B %Y} run by the engine "
        f"({summary.rejected} refused); {table.height:,} cases in {summary.db}"
    )
    placements = open_placements(table, summary.on)
    shown = Table(
        *placements.columns,
        title=f"Synthetic authority: open placements on {summary.on:%-d %B %Y}",
        caption="Counts copied from the source deck's table of about autumn 2020 and put on "
        f"the demo's year end: {DECK_SOURCE}.",
    )
    for row in placements.rows():
        shown.add_row(*(str(v) for v in row))
    console.print(shown)
    ended = table.filter(pl.col("end").is_between(YEAR_START, summary.on))
    reasons = Table(
        "group of reasons", "endings", "planned", title="Why placements ended (synthetic)"
    )
    for group, n, planned in (
        ended.group_by("reason_group")
        .agg(pl.len(), pl.col("planned").sum())
        .sort("len", descending=True)
        .rows()
    ):
        reasons.add_row(str(group), str(n), str(planned))
    console.print(reasons)
    measures = Table(
        "measure",
        "children",
        "of",
        "%",
        "published figure",
        title=f"Placement stability of the synthetic authority, year to {summary.on:%-d %B %Y}",
    )
    for name, (target, _) in CALIBRATION.items():
        m = summary.stability[name]
        measures.add_row(
            name, str(m["numerator"]), str(m["denominator"]), f"{m['percent']}", target
        )
    console.print(measures)
    for name, (target, source) in CALIBRATION.items():
        console.print(f"  {name} {target}: {source}", markup=False)
    console.print(f"Report: {summary.report.index}")
    console.print(f"Returns: {summary.returns[-1].parent}")
