"""The authority report's sections, and the writer they fill: HTML, CSV tables, PNG charts.

Each section adds a heading, its tables (suppressed for publication, each also written as a
CSV file) and its charts (each also written as a PNG file) to a :class:`Writer`;
:func:`~disruption.analysis.report.write_report` puts the page around them.
"""

from __future__ import annotations

import base64
import html
from datetime import date
from pathlib import Path

import attrs
import polars as pl

from disruption.analysis import breakdown as bd
from disruption.analysis.cases import LEFT_CARE
from disruption.analysis.charts import bar_chart, survival_chart
from disruption.analysis.children import current_durations, out_of_borough, placements_in_year
from disruption.analysis.stability import (
    MEASURES,
    episodes_of_cases,
    long_term_cohort,
    stability,
)
from disruption.analysis.survival import survival_curves

__all__ = [
    "Writer",
    "endings_section",
    "long_term_children",
    "placements_section",
    "procedure_section",
    "stability_section",
    "survival_section",
]


@attrs.define
class Writer:
    """The report being written: its HTML parts, and the CSV and PNG files written so far."""

    out: Path
    parts: list[str] = attrs.field(factory=list)
    tables: list[Path] = attrs.field(factory=list)
    charts: list[Path] = attrs.field(factory=list)

    def heading(self, text: str, note: str = "") -> None:
        """Add a section heading, and a note under it if given."""
        self.parts.append(f"<h2>{html.escape(text)}</h2>")
        if note:
            self.parts.append(f'<p class="note">{html.escape(note)}</p>')

    def table(self, name: str, title: str, table: pl.DataFrame, *, of_total: bool = False) -> None:
        """Add a table, suppressed for publication, and write it as ``<name>.csv``."""
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
        """Add a chart (embedded as base64) and write it as ``<name>.png``."""
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


def stability_section(
    writer: Writer, table: pl.DataFrame, dobs: pl.DataFrame | None, end: date
) -> None:
    """The DfE stability measures for the year to ``end``."""
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


def long_term_children(
    table: pl.DataFrame, dobs: pl.DataFrame | None, end: date
) -> pl.DataFrame | None:
    """The long-term cohort's children (the deck's duration chart counts them), if known."""
    if dobs is None:
        return None
    return long_term_cohort(episodes_of_cases(table), dobs, end).select("child")


def placements_section(
    writer: Writer, table: pl.DataFrame, end: date, long_term: pl.DataFrame | None
) -> None:
    """Open placements on ``end``: by type, by location, by duration; moves in the year."""
    writer.heading("Placements", f"Open on {end:%-d %B %Y}.")
    writer.table(
        "placements_open",
        "Open placements by type and provider",
        bd.open_placements(table, end),
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


def endings_section(
    writer: Writer, table: pl.DataFrame, start: date, end: date, period: str
) -> None:
    """Placements that ended in the period, by reason, planning, type, provider, location."""
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


def survival_section(writer: Writer, table: pl.DataFrame, end: date, period: str) -> None:
    """Time to an unplanned ending by placement type (Kaplan-Meier)."""
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


def procedure_section(
    writer: Writer,
    table: pl.DataFrame,
    deadlines: pl.DataFrame,
    entries: pl.DataFrame,
    start: date,
    end: date,
) -> None:
    """Outcomes of concerns, deadlines met, review factors and recording delays."""
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
