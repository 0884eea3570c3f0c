"""The authority report: one self-contained ``index.html``, every table as CSV, charts as PNG.

Internal: import its public names from :mod:`disruption.analysis` (``docs/api.md``); the module
itself may move or change without notice.

The HTML embeds its charts (base64 PNG) and its style, so it reads offline and prints; the
tables in it and in the CSV files go through disclosure control
(:mod:`disruption.analysis.disclosure`): counts under the threshold are shown as ``c``, and so
is any further count that would let a hidden one be worked out. Everything is computed from
the store's cases: codes, dates and counts only. Its sections are written by
:mod:`disruption.analysis.report_sections`.

Example:
    >>> from datetime import date
    >>> from disruption.analysis.report import write_report
    >>> from disruption.store.memory import MemoryStore
    >>> written = write_report(MemoryStore(), "report", start=date(2025, 4, 1),
    ...                        end=date(2026, 3, 31))  # doctest: +SKIP
    >>> written.index.name  # doctest: +SKIP
    'index.html'
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

import attrs
import pendulum
import polars as pl

from disruption.analysis.cases import (
    case_table,
    deadline_table,
    entry_table,
    meeting_table,
    recommendation_table,
    replayed_cases,
    required_table,
    sibling_table,
)
from disruption.analysis.children import DURATION_BANDS
from disruption.analysis.disclosure import DEFAULT_SMALLEST
from disruption.analysis.report_sections import (
    Progress,
    Writer,
    endings_section,
    long_term_children,
    placements_section,
    procedure_section,
    stability_section,
    survival_section,
    trend_section,
)
from disruption.analysis.stability import inputs_of, months_of_birth_suffice
from disruption.engine.ports import EventFeed
from disruption.procedure.definition import Procedure
from disruption.procedure.standard import STANDARD

__all__ = ["ReportFiles", "period_length", "write_report"]

_STYLE = """
body{font-family:Arial,Helvetica,sans-serif;max-width:60rem;margin:2rem auto;color:#0b0c0c}
h1{font-size:1.8rem}h2{font-size:1.3rem;margin-top:2.2rem;border-bottom:2px solid #1d70b8}
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}
th,td{border:1px solid #b1b4b6;padding:.25rem .6rem;text-align:right}td.t{text-align:left}
th:first-child,td:first-child{text-align:left}
img{max-width:100%}.note{color:#505a5f;font-size:.85rem}
.sdc{font-size:.8rem;border-left:4px solid #1d70b8;padding-left:.5rem}
.internal{color:#d4351c;font-weight:bold;border-left-color:#d4351c}
footer{font-size:.8rem;margin-top:2rem}
@media print{h2{break-before:auto}section{break-inside:avoid}
footer{position:fixed;bottom:0;left:0;right:0;background:#fff}}
"""


@attrs.frozen
class ReportFiles:
    """What :func:`write_report` wrote.

    Attributes:
        index: The HTML report.
        tables: The CSV files, one per table.
        charts: The PNG files, one per chart.
        cases: How many cases the report was computed from.
    """

    index: Path
    tables: tuple[Path, ...]
    charts: tuple[Path, ...]
    cases: int


def _quiet(what: str, done: int, total: int | None) -> None:
    return None


def _period(start: date, end: date) -> str:
    return f"{start:%-d %B %Y} to {end:%-d %B %Y}"


def period_length(start: date, end: date) -> str:
    """How long a period is, both days counted, in words (English, by ``pendulum``).

    >>> period_length(date(2025, 4, 1), date(2026, 3, 31)), period_length(date(2025, 1, 1),
    ...     date(2025, 2, 14))
    ('1 year', '1 month 2 weeks')
    """
    first = pendulum.Date(start.year, start.month, start.day)
    after = pendulum.Date(end.year, end.month, end.day).add(days=1)
    return first.diff(after).in_words(locale="en")


SUPPRESSION_SOURCE = (
    'The DfE marks suppressed cells "c" and applies secondary suppression where needed '
    '(DfE methodology, "Children looked after: a focus on placement location", section '
    '"Rounding, suppression and grossing"); the DfE states no threshold there, so the '
    "threshold is the authority's choice."
)


def disclosure_notice(smallest: int | None) -> str:
    """The sentence every section of the report carries about its disclosure control.

    Args:
        smallest: The smallest count shown; ``None`` when nothing is suppressed.

    Returns:
        The notice.
    """
    if smallest is None:
        return (
            "NOT FOR PUBLICATION: small numbers are not suppressed (--suppress none); "
            "for internal use only"
        )
    hidden = "1" if smallest == 2 else f"1 to {smallest - 1}"
    return (
        f"Counts from {hidden} are shown as c; further counts are shown as c where they "
        "would let a hidden count be worked out from the totals or from another table "
        f"(secondary suppression); shares are hidden where their count is. {SUPPRESSION_SOURCE}"
    )


def write_report(
    store: EventFeed,
    out: str | Path,
    *,
    start: date,
    end: date,
    procedures: Iterable[Procedure] = (STANDARD,),
    title: str = "Placement stability and breakdown",
    dates_of_birth: pl.DataFrame | None = None,
    suppress: int | None = DEFAULT_SMALLEST,
    progress: Progress | None = None,
) -> ReportFiles:
    """Compute every table and chart from a store and write the report.

    Args:
        store: The store to read.
        out: The folder to write into (created if missing; files of an earlier report in it
            are replaced).
        start: The first day of the period.
        end: The last day of the period: open placements are counted on it.
        procedures: The definitions the store's cases were opened under.
        title: The report's title.
        dates_of_birth: ``child`` and ``dob`` (SSDA903 Header rows, for example) for the
            long-term stability measure; by default the months of birth an SSDA903 import
            kept, when they decide the under-16 test on ``end`` (a 31 March).
        suppress: The smallest count published (counts from 1 to ``suppress - 1`` are
            hidden, with secondary suppression); ``None`` publishes every count, and every
            section then says the report is for internal use only.
        progress: Called as the work goes (a step's description, units done, of how many):
            reading the store, each case rebuilt, each section computed, protecting small
            numbers, each table and chart written.

    Returns:
        The files written.

    Raises:
        ValueError: ``start`` is after ``end``, or ``suppress`` is under 2.
    """
    if start > end:
        raise ValueError(f"the period starts ({start}) after it ends ({end})")
    if suppress is not None and suppress < 2:
        raise ValueError(f"the suppression threshold must be 2 or more, not {suppress}")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    step: Progress = progress or _quiet
    step("Reading the store", 0, None)

    def rebuilding(done: int, total: int) -> None:
        step("Rebuilding the cases", done, total)

    # Read and rebuilt once for every section.
    replayed = replayed_cases(store, procedures, progress=rebuilding)
    cases = [case for case, _ in replayed]
    table, deadlines = case_table(cases), deadline_table(cases)
    notice = disclosure_notice(suppress)
    writer = Writer(folder, suppress, notice.split("; further")[0] + ".")
    period = _period(start, end)
    episodes, months = inputs_of(replayed)
    dobs = dates_of_birth
    if dobs is None and not months.is_empty() and months_of_birth_suffice(end):
        dobs = months  # the months of birth an import kept decide the under-16 test
    sections: tuple[Callable[[], None], ...] = (
        lambda: stability_section(writer, episodes, dobs, end),
        lambda: trend_section(writer, table, episodes, dobs, end),
        lambda: placements_section(writer, table, end, long_term_children(episodes, dobs, end)),
        lambda: endings_section(writer, table, start, end, period),
        lambda: survival_section(writer, table, end, period),
        lambda: procedure_section(
            writer,
            table,
            deadlines,
            entry_table(store),
            start,
            end,
            recommendation_table(cases),
            sibling_table(cases),
            meeting_table(cases),
            required_table(cases),
        ),
    )
    for done, section in enumerate(sections):
        step("Computing the sections", done, len(sections))
        section()
    step("Computing the sections", len(sections), len(sections))
    moves, durations = "children_placements_in_year", "placements_duration"
    writer.same((moves, 2, "children"), ("stability", 0, "children"))
    writer.same((moves, 3, "children"), ("stability", 0, "of"))
    writer.same((durations, len(DURATION_BANDS), "placements"), ("stability", 2, "of"))
    index = folder / "index.html"
    body = writer.finish(step)
    warning = folder / "NOT-FOR-PUBLICATION.txt"
    if suppress is None:  # the CSV files cannot carry it: say it beside them
        listed = "\n".join(p.name for p in (*writer.tables, *writer.charts))
        warning.write_text(f"{notice}.\nFiles of this report:\n{listed}\n", encoding="utf-8")
    else:
        warning.unlink(missing_ok=True)
    kind = "sdc internal" if suppress is None else "sdc"
    index.write_text(
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}"
        f"</title><style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>"
        f'<p class="note">{html.escape(period)} ({period_length(start, end)}); '
        f"{len(cases):,} placements in the store.</p>"
        f'<p class="{kind}">{html.escape(notice)}</p>'
        f'{body}<footer class="{kind}">{html.escape(notice)}</footer></body></html>',
        encoding="utf-8",
    )
    return ReportFiles(index, tuple(writer.tables), tuple(writer.charts), len(cases))
