"""The DfE placement-stability measures, computed exactly as defined here.

For a year ending on a date Y (normally 31 March), with placements as derived from the
episodes (:func:`~disruption.ssda903.derive_placements`), a placement occupying the days
from its start up to, not including, its end:

- **Cohort**: children with an episode open on Y (DECOM on or before Y, DEC blank or after
  Y), less those whose episode open on Y has legal status V3 or V4 (short breaks).
- **Continuous care**: a chain of episodes, each starting on the day the one before ended;
  the chain containing Y gives the date the child has been looked after continuously since.
- **Short-term**: of the cohort, those with 3 or more placements occupying at least one day
  from Y minus 1 year plus 1 day to Y.
- **Two-year**: of the cohort looked after continuously since Y minus 2 years or earlier,
  those with 3 or more placements occupying at least one day from Y minus 2 years plus 1 day
  to Y.
- **Long-term**: of the cohort aged under 16 on Y (their 16th birthday after Y) and looked
  after continuously since Y minus 2 years 6 months or earlier, those living with the same
  carer since Y minus 2 years or earlier. The carer changes where a placement starts with
  RNE S, P or B or after a gap in care; T and U keep the carer; temporary placements are
  skipped, as in the placement histories.

Each measure is a numerator, a denominator and a percentage (one decimal; ``None`` when the
denominator is 0). Dates move by calendar months (a year from 29 February is 28 February).

Example:
    >>> from datetime import date, timedelta
    >>> import polars as pl
    >>> from disruption.analysis.stability import stability
    >>> episodes = pl.DataFrame({
    ...     "child": ["1", "1", "1"], "rne": ["S", "P", "P"], "ls": ["C2"] * 3,
    ...     "decom": [date(2024, 5, 1), date(2024, 8, 1), date(2024, 12, 1)],
    ...     "dec": [date(2024, 8, 1), date(2024, 12, 1), None],
    ...     "place": ["U4"] * 3, "place_provider": ["PR1"] * 3, "urn": ["A", "B", "C"],
    ...     "rec": ["X1", "X1", None], "reason_place_change": ["CREQB", "CARPL", None],
    ... })
    >>> header = pl.DataFrame({"child": ["1"], "dob": [date(2012, 1, 1)]})
    >>> stability(episodes, header, date(2025, 3, 31))["short_term"]
    {'numerator': 1, 'denominator': 1, 'percent': 100.0}
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Final

import polars as pl

from disruption.codes import CARER_CHANGE_RNE, SHORT_BREAK_LEGAL_STATUSES
from disruption.ssda903.placements import derive_placements

__all__ = ["MEASURES", "episodes_of_cases", "long_term_cohort", "months_before", "stability"]

MEASURES: Final = ("short_term", "two_year", "long_term")
"""The measures, in the order they are reported."""
_DAY: Final = timedelta(days=1)


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the month's last day when shorter).

    >>> months_before(date(2024, 2, 29), 12), months_before(date(2025, 3, 31), 30)
    (datetime.date(2023, 2, 28), datetime.date(2022, 9, 30))
    """
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    for dom in range(day.day, 27, -1):
        try:
            return date(year, month, dom)
        except ValueError:
            continue
    return date(year, month, min(day.day, 28))


def _measure(numerator: int, denominator: int) -> dict[str, Any]:
    percent = round(100 * numerator / denominator, 1) if denominator else None
    return {"numerator": numerator, "denominator": denominator, "percent": percent}


def _chains(episodes: pl.DataFrame) -> pl.DataFrame:
    """Each episode with whether it follows a gap in care, and the date its chain began.

    Sorted by child and start, so that a chain is a run of rows: no window per child.
    """
    ordered = episodes.sort("child", "decom")
    new_child = pl.col("child") != pl.col("child").shift()
    gap = (new_child | (pl.col("decom") != pl.col("dec").shift())).fill_null(True)
    since = pl.when(pl.col("gap")).then(pl.col("decom")).forward_fill()
    return ordered.with_columns(gap.alias("gap")).with_columns(since.alias("since"))


def _cohort(chained: pl.DataFrame, header: pl.DataFrame | None, y: date) -> pl.DataFrame:
    open_on_y = chained.filter(
        (pl.col("decom") <= y) & (pl.col("dec").is_null() | (pl.col("dec") > y))
    )
    latest = open_on_y.sort("decom").unique("child", keep="last")
    cohort = latest.filter(~pl.col("ls").is_in(list(SHORT_BREAK_LEGAL_STATUSES)).fill_null(True))
    cohort = cohort.select("child", "since")
    if header is None or header.height == 0:
        return cohort.with_columns(pl.lit(None, pl.Date).alias("dob"))
    dobs = header.filter(pl.col("dob").is_not_null()).unique("child", keep="last")
    return cohort.join(dobs.select("child", "dob"), on="child", how="left")


def _placements_in(placements: pl.DataFrame, first: date, y: date) -> pl.DataFrame:
    """Per child, the placements occupying at least one day from ``first`` to ``y``."""
    occupying = placements.filter(
        (pl.col("start") <= y)
        & (pl.col("end").is_null() | (pl.col("end") > first))
        & (pl.col("end").is_null() | (pl.col("end") > pl.col("start")))
    )
    return occupying.group_by("child").agg(pl.len().alias("placements"))


def _carer_since(placements: pl.DataFrame, chained: pl.DataFrame, y: date) -> pl.DataFrame:
    """Per child, the start of the latest placement (on or before Y) that changed the carer."""
    starts = chained.select("child", pl.col("decom").alias("start"), "rne", "gap").unique(
        ["child", "start"], keep="last"
    )
    changed = (
        placements.filter(pl.col("start") <= y)
        .join(starts, on=["child", "start"], how="left")
        .filter(pl.col("gap").fill_null(True) | pl.col("rne").is_in(list(CARER_CHANGE_RNE)))
    )
    return changed.group_by("child").agg(pl.col("start").max().alias("carer_since"))


def _under_16_since(y: date) -> pl.Expr:
    """In the long-term cohort: under 16 on Y, looked after continuously for 2.5 years."""
    under_16 = pl.col("dob").is_not_null() & (pl.col("dob") > months_before(y, 16 * 12))
    return under_16 & (pl.col("since") <= months_before(y, 30))


def long_term_cohort(
    episodes: pl.DataFrame, header: pl.DataFrame | None, year_end: date
) -> pl.DataFrame:
    """The children of the long-term measure's denominator (see the module's definitions).

    Args:
        episodes: Reconciled episodes.
        header: Header rows with ``child`` and ``dob``.
        year_end: Y.

    Returns:
        One row per child: ``child`` and ``since`` (looked after continuously since).
    """
    cohort = _cohort(_chains(episodes), header, year_end)
    return cohort.filter(_under_16_since(year_end)).select("child", "since")


def stability(
    episodes: pl.DataFrame, header: pl.DataFrame | None, year_end: date
) -> dict[str, Any]:
    """The three measures for a year end, from reconciled episodes and header rows.

    Args:
        episodes: Reconciled episodes (``child``, ``decom``, ``dec``, ``rne``, ``ls`` and
            what ``derive_placements`` needs).
        header: Header rows with ``child`` and ``dob``; without them (``None``), no child
            is known to be under 16, so the long-term measure's cohort is empty.
        year_end: Y.

    Returns:
        ``{"year_end": "YYYY-MM-DD", "short_term": {...}, "two_year": {...},
        "long_term": {...}}``, each measure ``{"numerator", "denominator", "percent"}``.
    """
    y = year_end
    chained = _chains(episodes)
    cohort = _cohort(chained, header, y)
    placements = derive_placements(episodes)
    year = _placements_in(placements, months_before(y, 12) + _DAY, y)
    two = _placements_in(placements, months_before(y, 24) + _DAY, y)
    counted = (
        cohort.join(year, on="child", how="left")
        .join(two.rename({"placements": "placements_2y"}), on="child", how="left")
        .join(_carer_since(placements, chained, y), on="child", how="left")
    )
    counted = counted.with_columns(pl.col("placements", "placements_2y").fill_null(0))
    short = counted.filter(pl.col("placements") >= 3).height
    two_year = counted.filter(pl.col("since") <= months_before(y, 24))
    long_term = counted.filter(_under_16_since(y))
    same_carer = long_term.filter(pl.col("carer_since") <= months_before(y, 24)).height
    return {
        "year_end": y.isoformat(),
        "short_term": _measure(short, counted.height),
        "two_year": _measure(two_year.filter(pl.col("placements_2y") >= 3).height, two_year.height),
        "long_term": _measure(same_carer, long_term.height),
    }


def episodes_of_cases(table: pl.DataFrame) -> pl.DataFrame:
    """Episodes, one per placement, from the store's case table, for :func:`stability`.

    The store keeps placements, not episodes: each case becomes one episode. A child's first
    placement, and one after a gap in care, starts with RNE ``S``; a later one ``T`` when it
    has the same carer reference as the one before, ``P`` otherwise. The store holds no
    legal status, so no child can be recognised as on short breaks (V3/V4) and none is left
    out of the cohort for it.

    Args:
        table: The case table (:func:`disruption.analysis.case_table`).

    Returns:
        Episodes with the columns :func:`stability` reads.
    """
    ordered = table.sort("child", "start")
    previous_end = pl.col("end").shift().over("child")
    previous_carer = pl.col("carer").shift().over("child")
    gap = previous_end.is_null() | (previous_end != pl.col("start"))
    same_carer = pl.col("carer").is_not_null() & (pl.col("carer") == previous_carer)
    rne = pl.when(gap).then(pl.lit("S")).when(same_carer).then(pl.lit("T")).otherwise(pl.lit("P"))
    return ordered.select(
        "child",
        pl.col("start").alias("decom"),
        pl.col("end").alias("dec"),
        rne.alias("rne"),
        pl.lit("C2").alias("ls"),
        pl.col("placement_type").alias("place"),
        pl.col("provider").alias("place_provider"),
        pl.col("carer").alias("urn"),
        pl.when(pl.col("end").is_null()).then(None).otherwise(pl.lit("X1")).alias("rec"),
        pl.col("reason").alias("reason_place_change"),
    )
