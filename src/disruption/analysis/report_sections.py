"""The authority report's sections, and the writer they fill: HTML, CSV tables, PNG charts.

Internal: import its public names from :mod:`disruption.analysis` (``docs/api.md``); the module
itself may move or change without notice.

Each section adds a heading, its tables (each also written as a CSV file) and its charts
(each also written as a PNG file) to a :class:`Writer`, and says how the tables' cells add
up, within a table and across tables. :meth:`Writer.finish` then applies disclosure control
to the whole report at once (:mod:`disruption.analysis.disclosure`), so a count hidden in one
table cannot be worked back from another, and draws the charts from the published tables;
:func:`~disruption.analysis.report.write_report` puts the page around them.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Final

import attrs
import polars as pl

from disruption.analysis import breakdown as bd
from disruption.analysis.cases import LEFT_CARE
from disruption.analysis.charts import bar_chart, line_chart, stacked_bar_chart, survival_chart
from disruption.analysis.children import current_durations, out_of_borough, placements_in_year
from disruption.analysis.disclosure import Cell, Relation, Table, protect
from disruption.analysis.stability import MEASURES, long_term_cohort, stability
from disruption.analysis.survival import survival_curves
from disruption.domain.codes import PROVIDER_GROUPS, REASON_GROUPS, REASON_PLACE_CHANGE
from disruption.domain.dates import months_before

__all__ = [
    "MEASURE_LABELS",
    "Progress",
    "Writer",
    "endings_section",
    "long_term_children",
    "placements_section",
    "procedure_section",
    "published_stability",
    "stability_section",
    "survival_section",
    "trend_section",
]

TOTAL: Final = "Total"
NOT_RECORDED: Final = "not recorded"

MEASURE_LABELS: Final = {
    "short_term": "Short-term: children looked after on the day with 3 or more placements "
    "in the year",
    "two_year": "Two-year: children looked after for 2 years or more with 3 or more "
    "placements in those 2 years",
    "long_term": "Long-term: children under 16 looked after for 2½ years or more living "
    "with the same carer for 2 years or more",
}
"""Plain-English names of the DfE stability measures."""

_HEADERS: Final = {
    "placement_type": "Placement type",
    "location": "Where",
    "placements": "Placements",
    "duration": "Time in the placement",
    "children": "Children",
    "count": "Placements",
    "percent": "Share (%)",
    "reason": "Code",
    "description": "Reason placement changed (SSDA903 REASON_PLACE_CHANGE)",
    "reason_group": "Group of reasons",
    "planned": "Planned or not",
    "type_group": "Placement type",
    "provider_group": "Provider",
    "measure": "Measure",
    "of": "Of",
    "england_percent": "England (%)",
    "published_year": "England figure for",
    "year_end": "Year ending",
    "history": "Store's history",
    "support": "Support offered",
    "stabilised": "Stabilised",
    "ended": "Ended",
    "open": "Still open",
    "percent_stabilised": "Stabilised of those settled (%)",
    "deadline": "Deadline",
    "met": "Met on time",
    "late": "Met late",
    "open_past_due": "Still open, past due",
    "open_not_yet_due": "Open, not yet due",
    "cancelled": "Cancelled",
    "percent_on_time": "Met on time of those due (%)",
    "factor": "Contributing factor",
    "command": "Step",
    "same_day": "Entered the same day",
    "over_5": "Entered over 5 working days late",
    "flagged": "Beyond the backdating limit",
    "median_working_days": "Median working days late",
}

_LOCATIONS: Final = {"in_borough": "In the authority's area", "out_of_borough": "Out of borough"}


_Draw = Callable[[Mapping[str, pl.DataFrame], str], bytes]
"""Draws a chart from the published tables, with a note under it ("" for none)."""

Progress = Callable[[str, int, "int | None"], object]
"""Told what is being done: a step's description, the units done, and how many there are
(``None``: not known). Called as the units are done; what it returns is ignored."""


def _quiet(what: str, done: int, total: int | None) -> None:
    return None


@attrs.frozen
class _Pending:
    table: Table
    title: str


@attrs.frozen
class _Chart:
    name: str
    alt: str
    draw: _Draw


@attrs.define
class Writer:
    """The report being written: its parts, tables, relations, and the files written.

    Attributes:
        out: The folder written into.
        smallest: The smallest count published; ``None``: nothing is hidden.
        notice: The disclosure notice repeated under every section heading.
    """

    out: Path
    smallest: int | None = 5
    notice: str = ""
    parts: list[str | _Pending | _Chart] = attrs.field(factory=list)
    tables: list[Path] = attrs.field(factory=list)
    charts: list[Path] = attrs.field(factory=list)
    relations: list[Relation] = attrs.field(factory=list)
    _pending: list[Table] = attrs.field(factory=list)
    _same: list[tuple[Cell, Cell]] = attrs.field(factory=list)

    def heading(self, text: str, note: str = "") -> None:
        """Add a section heading, the disclosure notice, and a note under it if given."""
        self.parts.append(f"<h2>{html.escape(text)}</h2>")
        if note:
            self.parts.append(f'<p class="note">{html.escape(note)}</p>')
        if self.notice:
            kind = "sdc internal" if self.smallest is None else "sdc"
            self.parts.append(f'<p class="{kind}">{html.escape(self.notice)}</p>')

    def table(
        self,
        name: str,
        title: str,
        frame: pl.DataFrame,
        *,
        counts: Sequence[str] | None = None,
        shares: Mapping[str, Sequence[str]] | None = None,
        share_of: Sequence[Cell] = (),
    ) -> None:
        """Add a table for publication, written as ``<name>.csv`` when the report finishes.

        Args:
            name: The table's file name, without ``.csv``.
            title: Its title.
            frame: The table, counts as integers.
            counts: Its count columns (every integer column by default).
            shares: Its share columns, each with the count columns of its row it is
                computed from (every float column, from every count, by default).
            share_of: Cells every share is also computed from (a total).
        """
        columns = (
            tuple(counts)
            if counts is not None
            else tuple(c for c, t in frame.schema.items() if t.is_integer())
        )
        share_map = (
            {k: tuple(v) for k, v in shares.items()}
            if shares is not None
            else {c: columns for c, t in frame.schema.items() if t.is_float()}
        )
        table = Table(name, frame, columns, share_map, tuple(share_of))
        self._pending.append(table)
        self.parts.append(_Pending(table, title))

    def relate(self, parts: Sequence[Cell], whole: Cell) -> None:
        """Say that the ``parts`` add up to the ``whole`` (within or across tables)."""
        self.relations.append(Relation(tuple(parts), whole))

    def totals(self, name: str, frame: pl.DataFrame, columns: Sequence[str]) -> None:
        """Say that the last row of a table is the total of the rows above, column by column."""
        last = frame.height - 1
        for column in columns:
            self.relate([(name, r, column) for r in range(last)], (name, last, column))

    def row_sums(self, name: str, frame: pl.DataFrame, parts: Sequence[str], whole: str) -> None:
        """Say that on every row of a table, the ``parts`` columns add up to ``whole``."""
        for r in range(frame.height):
            self.relate([(name, r, p) for p in parts], (name, r, whole))

    def same(self, one: Cell, other: Cell) -> None:
        """Say that two cells may count the same children: linked when their values agree.

        The short-term measure's children and the children with 3 or more placements in the
        year, for example, are the same children when the store holds every placement; a
        reader who sees them equal will take them as one, so they are protected as one.
        """
        self._same.append((one, other))

    def chart(self, name: str, alt: str, draw: _Draw) -> None:
        """Add a chart, drawn from the published tables when the report finishes."""
        self.parts.append(_Chart(name, alt, draw))

    def finish(self, progress: Progress | None = None) -> str:
        """Protect every table, write the CSV and PNG files, and return the HTML body.

        Args:
            progress: Called with a step's description, the tables and charts written,
                and how many there are, as each is.
        """
        step = progress or _quiet
        step("Protecting small numbers", 0, None)
        values = {k: v for t in self._pending for k, v in t.values().items()}
        for one, other in self._same:
            if one in values and other in values and values[one] == values[other]:
                self.relate([one], other)
        shown = protect(self._pending, self.relations, self.smallest)
        body = []
        total = sum(not isinstance(part, str) for part in self.parts)
        written = 0
        step("Writing tables and charts", written, total)
        for part in self.parts:
            if isinstance(part, str):
                body.append(part)
                continue
            if isinstance(part, _Pending):
                body.append(self._write_table(part, shown[part.table.name]))
            else:
                body.append(self._write_chart(part, shown))
            written += 1
            step("Writing tables and charts", written, total)
        return "\n".join(body)

    def _write_table(self, pending: _Pending, shown: pl.DataFrame) -> str:
        path = self.out / f"{pending.table.name}.csv"
        shown.write_csv(path)
        self.tables.append(path)
        head = "".join(f"<th>{html.escape(_HEADERS.get(c, c))}</th>" for c in shown.columns)
        rows = "".join(
            "<tr>"
            + "".join(
                f"<td>{_cell(_first_up(v) if i == 0 else v)}</td>"
                if i == 0 or _numeric(v)
                else f'<td class="t">{_cell(v)}</td>'
                for i, v in enumerate(row)
            )
            + "</tr>"
            for row in shown.rows()
        )
        return (
            f"<section><h3>{html.escape(pending.title)}</h3><table><thead><tr>{head}</tr>"
            f"</thead><tbody>{rows}</tbody></table></section>"
        )

    def _write_chart(self, chart: _Chart, shown: Mapping[str, pl.DataFrame]) -> str:
        note = self.notice if self.smallest is None else ""
        png = chart.draw(shown, note)
        path = self.out / f"{chart.name}.png"
        path.write_bytes(png)
        self.charts.append(path)
        data = base64.b64encode(png).decode("ascii")
        return f'<img alt="{html.escape(chart.alt)}" src="data:image/png;base64,{data}">'


def _numeric(value: object) -> bool:
    """Whether a cell is a number or a hidden count (right-aligned); text is left-aligned."""
    if value is None or value == "c" or isinstance(value, int | float):
        return True
    try:
        float(str(value))
    except ValueError:
        return False
    return True


def _first_up(value: object) -> object:
    """A row label with a capital first letter (codes and dates are left as they are)."""
    return value[:1].upper() + value[1:] if isinstance(value, str) else value


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return html.escape(str(value))


def _number(value: object) -> int | None:
    """A published count as a number; ``None`` where it is hidden."""
    if value is None or value == "c":
        return None
    return int(str(value))


def _counts(frame: pl.DataFrame, column: str, *, total: bool = True) -> list[int | None]:
    values = [_number(v) for v in frame[column].to_list()]
    return values[:-1] if total else values


def _total(frame: pl.DataFrame, column: str) -> int | None:
    return _number(frame[column].to_list()[-1])


def _with_total(frame: pl.DataFrame, label: str, counts: Sequence[str]) -> pl.DataFrame:
    """The table with a ``Total`` row added: the sum of every count column."""
    row = pl.DataFrame(
        {label: [TOTAL], **{c: [int(frame[c].sum())] for c in counts}},
        schema={label: pl.String, **dict.fromkeys(counts, pl.Int64)},
    )
    return pl.concat([frame.with_columns(pl.col(label).cast(pl.String)), row], how="diagonal")


@cache
def published_stability() -> pl.DataFrame:
    """The DfE's published stability figures shipped with the package (see ``SOURCES.md``).

    Returns:
        ``year_end``, ``area`` (``England``, ``Middlesbrough``), ``measure`` (``short-term``,
        ``two-year``, ``long-term``), ``children``, ``of`` and ``percent`` (whole numbers, as
        published).
    """
    data = resources.files("disruption.analysis").joinpath("data/published_stability.csv")
    with data.open("rb") as stream:
        return pl.read_csv(
            stream,
            schema={
                "year_end": pl.Date,
                "area": pl.String,
                "measure": pl.String,
                "children": pl.Int64,
                "of": pl.Int64,
                "percent": pl.Int64,
            },
        )


PUBLISHED_SOURCE: Final = (
    'DfE, "Children looked after in England including adoptions", reporting year 2025, table '
    '"Placement stability by local authority" (years ending 31 March 2021 to 2025).'
)


def _england(measure: str, year_end: date) -> tuple[int | None, int | None]:
    """England's published percentage for a measure: of that year end, else the latest."""
    rows = published_stability().filter(
        (pl.col("area") == "England") & (pl.col("measure") == measure.replace("_", "-"))
    )
    if rows.is_empty():
        return None, None
    same = rows.filter(pl.col("year_end") == year_end)
    row = same if not same.is_empty() else rows.sort("year_end").tail(1)
    return int(row["percent"][0]), int(row["year_end"][0].year)


def stability_section(
    writer: Writer, episodes: pl.DataFrame, dobs: pl.DataFrame | None, end: date
) -> None:
    """The DfE stability measures for the year to ``end``, beside England's published ones.

    Args:
        writer: The report being written.
        episodes: The store's episodes (:func:`~disruption.analysis.stability.store_inputs`:
            legal status kept, so short breaks are left out as the DfE leaves them out).
        dobs: ``child`` and ``dob``, or ``None`` (no long-term measure).
        end: The year end.
    """
    writer.heading(
        "Placement stability",
        f"The DfE measures for the year to {end:%-d %B %Y}, from the store's placements "
        "(see docs/stability.md), beside England's published figures. Source of the England "
        f"figures: {PUBLISHED_SOURCE}"
        + ("" if dobs is not None else " No dates of birth were given: no long-term measure."),
    )
    measures = stability(episodes, dobs, end)
    rows = []
    for name in MEASURES:
        m = measures[name]
        england, year = _england(name, end)
        rows.append(
            (MEASURE_LABELS[name], m["numerator"], m["denominator"], m["percent"], england, year)
        )
    frame = pl.DataFrame(
        rows,
        schema={
            "measure": pl.String,
            "children": pl.Int64,
            "of": pl.Int64,
            "percent": pl.Float64,
            "england_percent": pl.Int64,
            "published_year": pl.Int64,
        },
        orient="row",
    )
    writer.table(
        "stability",
        "Placement stability measures",
        frame,
        counts=("children", "of"),
        shares={"percent": ("children", "of")},
    )


def _year_ends(table: pl.DataFrame, end: date) -> list[date]:
    """Every 31 March from the first a placement was open on, up to ``end``."""
    starts = table["start"].drop_nulls()
    if starts.is_empty():
        return []
    first: date = starts.min()  # type: ignore[assignment]
    year = first.year if first <= date(first.year, 3, 31) else first.year + 1
    last = end.year if end >= date(end.year, 3, 31) else end.year - 1
    return [date(y, 3, 31) for y in range(year, last + 1)]


def trend_section(
    writer: Writer,
    table: pl.DataFrame,
    episodes: pl.DataFrame,
    dobs: pl.DataFrame | None,
    end: date,
) -> None:
    """The stability measures for every year end the store covers, England's beside them."""
    writer.heading(
        "Stability over the years",
        "The DfE measures at every 31 March the store's placements cover. The measures look "
        "back up to 2½ years: a year end less than 2½ years after the store's first "
        "placement has a partial history (earlier placements are not in the store), is "
        "marked so and is not drawn. "
        f"England: {PUBLISHED_SOURCE}",
    )
    rows = []
    ends = _year_ends(table, end)
    for year_end in ends:
        first: date = table["start"].drop_nulls().min()  # type: ignore[assignment]
        measures = stability(episodes, dobs, year_end)
        history = "complete" if months_before(year_end, 30) >= first else "partial"
        for name in MEASURES:
            if name == "long_term" and dobs is None:
                continue
            m = measures[name]
            england, year = _england(name, year_end)
            rows.append(
                (
                    year_end,
                    history,
                    MEASURE_LABELS[name].split(":")[0],
                    m["numerator"],
                    m["denominator"],
                    m["percent"],
                    england if year == year_end.year else None,
                )
            )
    frame = pl.DataFrame(
        rows,
        schema={
            "year_end": pl.Date,
            "history": pl.String,
            "measure": pl.String,
            "children": pl.Int64,
            "of": pl.Int64,
            "percent": pl.Float64,
            "england_percent": pl.Int64,
        },
        orient="row",
    )
    writer.table(
        "stability_trend",
        "Stability measures by year",
        frame,
        counts=("children", "of"),
        shares={"percent": ("children", "of")},
    )
    for row, (year_end, measure) in enumerate(frame.select("year_end", "measure").rows()):
        if year_end == end:  # the same figures as the stability table's
            index = [MEASURE_LABELS[m].split(":")[0] for m in MEASURES].index(measure)
            for column in ("children", "of"):
                writer.relate([("stability_trend", row, column)], ("stability", index, column))
    writer.chart("stability_trend", "Stability measures by year", _trend_chart)


def _trend_chart(shown: Mapping[str, pl.DataFrame], note: str) -> bytes:
    frame = shown["stability_trend"]
    series: dict[str, list[tuple[str, float | None]]] = {}
    complete = frame.filter(pl.col("history") == "complete")
    columns = ("year_end", "measure", "percent", "england_percent")
    for year_end, measure, percent, england in complete.select(columns).rows():
        value = None if percent in (None, "c") else float(percent)
        series.setdefault(measure, []).append((str(year_end)[:4], value))
        published = None if england in (None, "") else float(england)
        series.setdefault(f"England: {measure}", []).append((str(year_end)[:4], published))
    return line_chart(
        series,
        title="Stability measures by year (%)",
        period="at each 31 March with the store's history complete",
        note=note,
    )


def long_term_children(
    episodes: pl.DataFrame, dobs: pl.DataFrame | None, end: date
) -> pl.DataFrame | None:
    """The long-term cohort's children (the deck's duration chart counts them), if known."""
    if dobs is None:
        return None
    return long_term_cohort(episodes, dobs, end).select("child")


def placements_section(
    writer: Writer, table: pl.DataFrame, end: date, long_term: pl.DataFrame | None
) -> None:
    """Open placements on ``end``: by type, by location, by duration; moves in the year."""
    on = f"on {end:%-d %B %Y}"
    writer.heading("Placements", f"Open {on}.")
    placements = bd.open_placements(table, end)
    providers = [*PROVIDER_GROUPS, TOTAL]
    writer.table("placements_open", "Open placements by type and provider", placements)
    writer.totals("placements_open", placements, providers)
    writer.row_sums("placements_open", placements, list(PROVIDER_GROUPS), TOTAL)
    grand: Cell = ("placements_open", placements.height - 1, TOTAL)

    def draw_open(shown: Mapping[str, pl.DataFrame], note: str) -> bytes:
        frame = shown["placements_open"]
        parts = {p: _counts(frame, p) for p in PROVIDER_GROUPS}
        totals = _counts(frame, TOTAL)
        rest = [
            0 if total is None else total - sum(v[i] or 0 for v in parts.values())
            for i, total in enumerate(totals)
        ]
        return stacked_bar_chart(
            frame["placement_type"].to_list()[:-1],
            parts,
            title="Open placements by type and provider",
            period=on,
            based_on=_total(frame, TOTAL),
            rest=rest,
            rest_label="provider not shown (c)",
            note=note,
        )

    writer.chart("placements_open", "Open placements by type and provider", draw_open)

    location = out_of_borough(table, end).with_columns(pl.col("location").replace(_LOCATIONS))
    location = _with_total(location, "location", ["placements"])
    writer.table("placements_location", "Open placements in and out of borough", location)
    writer.totals("placements_location", location, ["placements"])
    writer.relate([("placements_location", location.height - 1, "placements")], grand)
    writer.chart(
        "placements_location",
        "Open placements in and out of borough",
        _bars("placements_location", "location", "placements", "In and out of borough", on),
    )

    whom = "children under 16 looked after for 2½ years or more"
    cohort = table if long_term is None else table.join(long_term, on="child", how="semi")
    title = "Time in the current placement" + ("" if long_term is None else f": {whom}")
    durations = _with_total(current_durations(cohort, end), "duration", ["placements"])
    writer.table("placements_duration", title, durations)
    writer.totals("placements_duration", durations, ["placements"])
    if long_term is None:
        writer.relate([("placements_duration", durations.height - 1, "placements")], grand)
    writer.chart(
        "placements_duration",
        title,
        _bars("placements_duration", "duration", "placements", title, on, y="Time in placement"),
    )
    moves = _with_total(placements_in_year(table, end), "placements", ["children"])
    moves_title = "Children by placements in the last 12 months"
    writer.table("children_placements_in_year", moves_title, moves)
    writer.totals("children_placements_in_year", moves, ["children"])
    writer.chart(
        "children_placements_in_year",
        moves_title,
        _bars(
            "children_placements_in_year",
            "placements",
            "children",
            "Placements in the last 12 months",
            f"12 months to {end:%-d %B %Y}",
            x="Children",
            y="Placements",
            unit="children",
        ),
    )


def _bars(
    name: str,
    label: str,
    count: str,
    title: str,
    period: str,
    *,
    x: str = "Placements",
    y: str = "",
    unit: str = "placements",
) -> _Draw:
    """A bar chart of a published table with a Total row (the Total is not drawn)."""

    def draw(shown: Mapping[str, pl.DataFrame], note: str) -> bytes:
        frame = shown[name]
        return bar_chart(
            [str(v) for v in frame[label].to_list()[:-1]],
            _counts(frame, count),
            title=title,
            period=period,
            based_on=_total(frame, count),
            x_label=x,
            y_label=y,
            unit=unit,
            note=note,
        )

    return draw


def _reason_labels() -> dict[str, str]:
    """Each REASON_PLACE_CHANGE code's DfE description, and the report's own rows."""
    labels = {code: REASON_PLACE_CHANGE.describe(code) for code in REASON_PLACE_CHANGE}
    labels[LEFT_CARE] = "The child left care (no reason for a placement change)"
    labels[NOT_RECORDED] = "Not recorded"
    labels[TOTAL] = ""
    return labels


def endings_section(
    writer: Writer, table: pl.DataFrame, start: date, end: date, period: str
) -> None:
    """Placements that ended in the period, by reason, planning, type, provider, location."""
    writer.heading("Why placements ended", f"Placements that ended from {period}.")
    titles = {
        "reason": "Endings by reason",
        "reason_group": "Endings by group of reasons",
        "planned": "Planned and unplanned endings",
        "type_group": "Endings by placement type",
        "provider_group": "Endings by provider",
        "location": "Endings in and out of borough",
    }
    labelled = table.with_columns(
        pl.when(pl.col("reason").is_null() & (pl.col("reason_group") == LEFT_CARE))
        .then(pl.lit(LEFT_CARE))
        .otherwise(pl.col("reason").fill_null(NOT_RECORDED))
        .alias("reason"),
        pl.col("reason_group").fill_null(NOT_RECORDED),
        pl.when(pl.col("planned").is_null())
        .then(pl.lit(NOT_RECORDED))
        .when(pl.col("planned"))
        .then(pl.lit("Planned"))
        .otherwise(pl.lit("Unplanned"))
        .alias("planned"),
        pl.col("location").replace(_LOCATIONS),
    )
    frames = {}
    for by, counted in bd.endings_by(labelled, list(titles), start, end).items():
        frame = _with_total(counted.drop("percent"), by, ["count"])
        last = frame.height - 1
        frame = frame.with_columns(
            (100 * pl.col("count") / pl.col("count").last()).round(1).alias("percent")
            if frame["count"][last]
            else pl.lit(None, dtype=pl.Float64).alias("percent")
        )
        if by == "reason":
            frame = frame.with_columns(
                pl.col("reason")
                .replace_strict(_reason_labels(), default="Not an SSDA903 code")
                .alias("description")
            ).select("reason", "description", "count", "percent")
        name = f"endings_by_{by}"
        frames[by] = frame
        writer.table(
            name,
            titles[by],
            frame,
            counts=("count",),
            shares={"percent": ("count",)},
            share_of=((name, last, "count"),),
        )
        writer.totals(name, frame, ["count"])
        if by == "reason":
            total: Cell = (name, last, "count")
        else:
            writer.relate([(name, last, "count")], total)
        if by in ("reason", "reason_group", "type_group"):
            label = "description" if by == "reason" else by
            writer.chart(
                name,
                titles[by],
                _bars(name, label, "count", titles[by], period, x="Endings", unit="endings"),
            )
    _link_reasons(writer, frames)


def _link_reasons(writer: Writer, frames: Mapping[str, pl.DataFrame]) -> None:
    """Each group of reasons is the sum of its reasons: a reader can add them up."""
    reasons = frames["reason"]["reason"].to_list()[:-1]
    groups = frames["reason_group"]["reason_group"].to_list()[:-1]
    members = {g: set(codes) for g, codes in REASON_GROUPS.items()}
    members[LEFT_CARE] = {LEFT_CARE}
    members[NOT_RECORDED] = {NOT_RECORDED}
    for row, group in enumerate(groups):
        inside = members.get(group, set())
        parts = [("endings_by_reason", i, "count") for i, r in enumerate(reasons) if r in inside]
        writer.relate(parts, ("endings_by_reason_group", row, "count"))


def survival_section(writer: Writer, table: pl.DataFrame, end: date, period: str) -> None:
    """Time to an unplanned ending by placement type (Kaplan-Meier)."""
    smallest = writer.smallest or 1
    writer.heading(
        "Time to breakdown",
        "Kaplan-Meier estimate of placements not yet ended unplanned, by placement type; "
        "planned endings and open placements are censored. Groups under 5 placements are left "
        f"out, and each curve stops where fewer than {max(smallest, 5)} placements are still "
        "at risk.",
    )
    curves = survival_curves(table, end, min_placements=5)
    curves = curves.filter(pl.col("at_risk") >= max(smallest, 5))
    curves.write_csv(writer.out / "survival.csv")
    writer.tables.append(writer.out / "survival.csv")
    writer.chart(
        "survival",
        "Time to an unplanned ending",
        lambda _, note: survival_chart(
            curves,
            title="Time to an unplanned ending",
            period=f"placements to {end:%-d %B %Y}",
            note=note,
        ),
    )


def _plain(column: str) -> pl.Expr:
    """A snake_case name as words with a capital: ``termination_notice``, Termination notice."""
    words = pl.col(column).str.replace_all("_", " ")
    return (words.str.slice(0, 1).str.to_uppercase() + words.str.slice(1)).alias(column)


def procedure_section(
    writer: Writer,
    table: pl.DataFrame,
    deadlines: pl.DataFrame,
    entries: pl.DataFrame,
    start: date,
    end: date,
    recommendations: pl.DataFrame | None = None,
    siblings: pl.DataFrame | None = None,
    meetings: pl.DataFrame | None = None,
    required: pl.DataFrame | None = None,
) -> None:
    """Concerns' outcomes, deadlines met, review factors, recommendations, siblings, delays."""
    writer.heading("The procedure", "Placements where a concern was raised, and its timescales.")
    outcomes = bd.procedure_outcomes(table).with_columns(_plain("support"))
    writer.table(
        "procedure_outcomes",
        "Outcome by support offered",
        outcomes,
        shares={"percent_stabilised": ("stabilised", "ended")},
    )
    writer.row_sums("procedure_outcomes", outcomes, ["stabilised", "ended", "open"], "count")
    in_period = deadlines.filter(pl.col("due").is_between(start, end))
    performance = bd.deadline_performance(in_period, end).with_columns(_plain("deadline"))
    writer.table(
        "deadlines",
        "Deadlines due in the period, met on time (still open past due counts as not met)",
        performance,
        shares={"percent_on_time": ("met", "late", "open_past_due")},
    )
    writer.row_sums(
        "deadlines",
        performance,
        ["met", "late", "open_past_due", "open_not_yet_due", "cancelled"],
        "count",
    )
    writer.table(
        "review_factors",
        "Contributing factors agreed in learning reviews",
        bd.review_factors(table),
        shares={"percent": ("count",)},
    )
    if recommendations is not None:
        counts = ["agreed", "completed", "completed_late", "overdue", "open_not_yet_due"]
        agreed = _with_total(
            bd.recommendations(recommendations, start, end).with_columns(_plain("owner")),
            "owner",
            counts,
        )
        writer.table(
            "recommendations",
            "Recommendations of chairs' reports agreed in the period, by owner: completed and "
            f"overdue on {end:%-d %B %Y}",
            agreed,
        )
        writer.row_sums(
            "recommendations", agreed, ["completed", "overdue", "open_not_yet_due"], "agreed"
        )
        writer.totals("recommendations", agreed, counts)
    if required is not None:
        writer.table(
            "meetings_required",
            "Endings in the period that required a meeting by the placement history, by why",
            bd.required_meetings(required, start, end).with_columns(_plain("trigger")),
        )
    if meetings is not None:
        writer.table(
            "meeting_voices",
            "Stability meetings held in the period: the IRO invited and attending, the "
            "child's and the carer's views recorded",
            bd.meeting_voices(meetings, start, end),
        )
    if siblings is not None:
        groups = bd.sibling_summary(bd.sibling_groups(siblings, table, end))
        writer.table(
            "sibling_groups",
            f"Sibling groups on {end:%-d %B %Y}: placed together, placed apart (their children "
            "placed in more than one placement), none placed",
            groups,
        )
        writer.row_sums(
            "sibling_groups", groups, ["placed_together", "placed_apart", "none_placed"], "groups"
        )
    writer.table(
        "recording_delay",
        "How late steps were entered (working days after they happened)",
        bd.recording_delay(entries, start, end).with_columns(_plain("command")),
        shares={"median_working_days": ("count",)},
    )
