"""The authority report: one self-contained ``index.html``, every table as CSV, charts as PNG.

The HTML embeds its charts (base64 PNG) and its style, so it reads offline and prints; the
tables in it and in the CSV files are suppressed for publication (counts from 1 to 4 shown
as ``c``). Everything is computed from the store's cases: codes, dates and counts only.

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

import base64
import html
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import attrs
import polars as pl

from disruption.analysis import breakdown as bd
from disruption.analysis.cases import (
    LEFT_CARE,
    case_table,
    deadline_table,
    entry_table,
    load_cases,
)
from disruption.analysis.charts import bar_chart, survival_chart
from disruption.analysis.children import current_durations, out_of_borough, placements_in_year
from disruption.analysis.stability import (
    MEASURES,
    episodes_of_cases,
    long_term_cohort,
    stability,
)
from disruption.analysis.survival import survival_curves
from disruption.definition import Procedure
from disruption.standard import STANDARD
from disruption.store.base import CaseStore

__all__ = ["ReportFiles", "write_report"]

_STYLE = """
body{font-family:Arial,Helvetica,sans-serif;max-width:60rem;margin:2rem auto;color:#0b0c0c}
h1{font-size:1.8rem}h2{font-size:1.3rem;margin-top:2.2rem;border-bottom:2px solid #1d70b8}
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}
th,td{border:1px solid #b1b4b6;padding:.25rem .6rem;text-align:right}
th:first-child,td:first-child{text-align:left}
img{max-width:100%}.note{color:#505a5f;font-size:.85rem}
@media print{h2{break-before:auto}section{break-inside:avoid}}
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


@attrs.define
class _Writer:
    out: Path
    parts: list[str] = attrs.field(factory=list)
    tables: list[Path] = attrs.field(factory=list)
    charts: list[Path] = attrs.field(factory=list)

    def heading(self, text: str, note: str = "") -> None:
        self.parts.append(f"<h2>{html.escape(text)}</h2>")
        if note:
            self.parts.append(f'<p class="note">{html.escape(note)}</p>')

    def table(self, name: str, title: str, table: pl.DataFrame, *, of_total: bool = False) -> None:
        shown = bd.suppress(table, shares_of_total=of_total)
        path = self.out / f"{name}.csv"
        shown.write_csv(path)
        self.tables.append(path)
        head = "".join(f"<th>{html.escape(c)}</th>" for c in shown.columns)
        rows = "".join(
            "<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>" for row in shown.rows()
        )
        self.parts.append(
            f"<section><h3>{html.escape(title)}</h3><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{rows}</tbody></table></section>"
        )

    def chart(self, name: str, alt: str, png: bytes) -> None:
        path = self.out / f"{name}.png"
        path.write_bytes(png)
        self.charts.append(path)
        data = base64.b64encode(png).decode("ascii")
        self.parts.append(f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">')


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return html.escape(str(value))


def _period(start: date, end: date) -> str:
    return f"{start:%-d %B %Y} to {end:%-d %B %Y}"


def write_report(
    store: CaseStore,
    out: str | Path,
    *,
    start: date,
    end: date,
    procedures: Iterable[Procedure] = (STANDARD,),
    title: str = "Placement stability and breakdown",
    dates_of_birth: pl.DataFrame | None = None,
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
        dates_of_birth: ``child`` and ``dob`` (SSDA903 Header rows, for example): the
            long-term stability measure needs them; the store keeps none.

    Returns:
        The files written.

    Raises:
        ValueError: ``start`` is after ``end``.
    """
    if start > end:
        raise ValueError(f"the period starts ({start}) after it ends ({end})")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    cases = load_cases(store, procedures)
    table, deadlines = case_table(cases), deadline_table(cases)
    writer = _Writer(folder)
    period = _period(start, end)
    _stability(writer, table, dates_of_birth, end)
    _placements(writer, table, end, _long_term(table, dates_of_birth, end))
    _endings(writer, table, start, end, period)
    _survival(writer, table, end, period)
    _procedure(writer, table, deadlines, entry_table(store), start, end)
    index = folder / "index.html"
    body = "\n".join(writer.parts)
    index.write_text(
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}"
        f"</title><style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>"
        f'<p class="note">{html.escape(period)}; {len(cases):,} placements in the store. '
        "Counts from 1 to 4 are shown as c.</p>"
        f"{body}</body></html>",
        encoding="utf-8",
    )
    return ReportFiles(index, tuple(writer.tables), tuple(writer.charts), len(cases))


def _stability(writer: _Writer, table: pl.DataFrame, dobs: pl.DataFrame | None, end: date) -> None:
    writer.heading(
        "Placement stability",
        f"The DfE measures for the year to {end:%-d %B %Y}, from the store's placements "
        "(see docs/stability.md)."
        + ("" if dobs is not None else " No dates of birth were given: no long-term measure."),
    )
    measures = stability(episodes_of_cases(table), dobs, end)
    rows = [
        (name.replace("_", "-"), m["numerator"], m["denominator"], m["percent"])
        for name in MEASURES
        for m in (measures[name],)
    ]
    frame = pl.DataFrame(
        rows,
        schema={"measure": pl.String, "children": pl.Int64, "of": pl.Int64, "percent": pl.Float64},
        orient="row",
    )
    writer.table("stability", "Placement stability measures", frame)


def _long_term(table: pl.DataFrame, dobs: pl.DataFrame | None, end: date) -> pl.DataFrame | None:
    """The long-term cohort's children (the deck's duration chart counts them), if known."""
    if dobs is None:
        return None
    return long_term_cohort(episodes_of_cases(table), dobs, end).select("child")


def _placements(
    writer: _Writer, table: pl.DataFrame, end: date, long_term: pl.DataFrame | None
) -> None:
    writer.heading("Placements", f"Open on {end:%-d %B %Y}.")
    writer.table(
        "placements_open", "Open placements by type and provider", bd.open_placements(table, end)
    )
    writer.table(
        "placements_location", "Open placements in and out of borough", out_of_borough(table, end)
    )
    whom = "children under 16 looked after for 2½ years or more"
    cohort = table if long_term is None else table.join(long_term, on="child", how="semi")
    title = "Time in the current placement" + ("" if long_term is None else f": {whom}")
    durations = current_durations(cohort, end)
    writer.table("placements_duration", title, durations)
    writer.chart(
        "placements_duration",
        title,
        bar_chart(
            durations["duration"].to_list(),
            durations["placements"].to_list(),
            title=title,
            period=f"on {end:%-d %B %Y}",
            based_on=int(durations["placements"].sum()),
            y_label="Time in placement",
        ),
    )
    moves = placements_in_year(table, end)
    writer.table(
        "children_placements_in_year", "Children by placements in the last 12 months", moves
    )
    writer.chart(
        "children_placements_in_year",
        "Children by placements in the last 12 months",
        bar_chart(
            moves["placements"].to_list(),
            moves["children"].to_list(),
            title="Placements in the last 12 months",
            period=f"12 months to {end:%-d %B %Y}",
            based_on=int(moves["children"].sum()),
            x_label="Children",
            y_label="Placements",
        ),
    )


def _endings(writer: _Writer, table: pl.DataFrame, start: date, end: date, period: str) -> None:
    writer.heading("Why placements ended", f"Placements that ended from {period}.")
    titles = {
        "reason": "Endings by reason (REASON_PLACE_CHANGE)",
        "reason_group": "Endings by group of reasons",
        "planned": "Planned and unplanned endings",
        "type_group": "Endings by placement type",
        "provider_group": "Endings by provider",
        "location": "Endings in and out of borough",
    }
    for by, counted in bd.endings_by(table, list(titles), start, end).items():
        if by == "reason":
            counted = counted.with_columns(pl.col("reason").fill_null(LEFT_CARE))
        writer.table(f"endings_by_{by}", titles[by], counted, of_total=True)
        if by in ("reason_group", "type_group"):
            writer.chart(
                f"endings_by_{by}",
                titles[by],
                bar_chart(
                    [str(v) for v in counted[by].to_list()],
                    counted["count"].to_list(),
                    title=titles[by],
                    period=period,
                    based_on=int(counted["count"].sum()),
                    x_label="Endings",
                ),
            )


def _survival(writer: _Writer, table: pl.DataFrame, end: date, period: str) -> None:
    writer.heading(
        "Time to breakdown",
        "Kaplan-Meier estimate of placements not yet ended unplanned, by placement type; "
        "planned endings and open placements are censored. Groups under 5 placements are left out.",
    )
    curves = survival_curves(table, end, min_placements=5)
    curves.write_csv(writer.out / "survival.csv")
    writer.tables.append(writer.out / "survival.csv")
    writer.chart(
        "survival",
        "Time to an unplanned ending",
        survival_chart(
            curves, title="Time to an unplanned ending", period=f"placements to {end:%-d %B %Y}"
        ),
    )


def _procedure(
    writer: _Writer,
    table: pl.DataFrame,
    deadlines: pl.DataFrame,
    entries: pl.DataFrame,
    start: date,
    end: date,
) -> None:
    writer.heading("The procedure", "Placements where a concern was raised, and its timescales.")
    writer.table("procedure_outcomes", "Outcome by support offered", bd.procedure_outcomes(table))
    in_period = deadlines.filter(pl.col("due").is_between(start, end))
    performance = bd.deadline_performance(in_period)
    writer.table("deadlines", "Deadlines due in the period, met on time", performance)
    writer.table(
        "review_factors",
        "Contributing factors agreed in learning reviews",
        bd.review_factors(table),
        of_total=True,
    )
    writer.table(
        "recording_delay",
        "How late steps were entered (working days after they happened)",
        bd.recording_delay(entries, start, end),
    )
