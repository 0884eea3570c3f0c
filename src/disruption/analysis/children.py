"""Per child, from the case table: placements in the last year, time in the current one.

Internal: import its public names from :mod:`disruption.analysis` (``docs/api.md``); the module
itself may move or change without notice.

These are the source deck's two charts. A child counts on a day when one of their
placements is open on it (started on or before it, not ended by it).

Example:
    >>> from datetime import date
    >>> import polars as pl
    >>> from disruption.analysis.children import placements_in_year
    >>> table = pl.DataFrame({
    ...     "child": ["A", "A", "A", "B"],
    ...     "start": [date(2024, 1, 1), date(2025, 6, 1), date(2025, 9, 1), date(2020, 1, 1)],
    ...     "end": [date(2025, 6, 1), date(2025, 9, 1), None, None],
    ...     "location": ["in_borough"] * 4,
    ... })
    >>> placements_in_year(table, date(2026, 3, 31)).rows()
    [('1', 1), ('2', 0), ('3 or more', 1)]
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final

import polars as pl

from disruption.domain.dates import months_before

__all__ = ["DURATION_BANDS", "current_durations", "open_on", "out_of_borough", "placements_in_year"]

DURATION_BANDS: Final = (
    ("under 6 months", 0),
    ("6 months to 1 year", 6),
    ("1 to 2 years", 12),
    ("2 to 5 years", 24),
    ("5 years or more", 60),
)
"""Bands of time in the current placement: a label and the calendar months it starts at.

A placement is in a band when it started on or before the day that many calendar months
before the day counted on (:func:`~disruption.domain.dates.months_before`: 31 March
less 6 months is 30 September; a year before 29 February is 28 February)."""


def open_on(table: pl.DataFrame, on: date) -> pl.DataFrame:
    """The placements open on a day."""
    return table.filter((pl.col("start") <= on) & (pl.col("end").is_null() | (pl.col("end") > on)))


def placements_in_year(table: pl.DataFrame, on: date) -> pl.DataFrame:
    """Children with a placement open on ``on``, by their placements in the year to it.

    A placement counts when it occupies at least one day from a calendar year before ``on``
    (plus a day) to ``on``: as the short-term stability measure's window.

    Args:
        table: The case table (``child``, ``start``, ``end``).
        on: The last day of the year.

    Returns:
        ``placements`` (``1``, ``2``, ``3 or more``) and ``children``.
    """
    first = months_before(on, 12) + timedelta(days=1)
    children = open_on(table, on).select("child").unique()
    in_year = table.filter(
        (pl.col("start") <= on) & (pl.col("end").is_null() | (pl.col("end") > first))
    ).join(children, on="child")
    counts = in_year.group_by("child").len()
    band = pl.when(pl.col("len") >= 3).then(pl.lit("3 or more")).otherwise(pl.col("len").cast(str))
    banded = counts.group_by(band.alias("placements")).agg(
        pl.len().cast(pl.Int64).alias("children")
    )
    labels = pl.DataFrame({"placements": ["1", "2", "3 or more"]})
    return labels.join(banded, on="placements", how="left").fill_null(0)


def current_durations(table: pl.DataFrame, on: date) -> pl.DataFrame:
    """Placements open on ``on``, by how long they have lasted (:data:`DURATION_BANDS`).

    Args:
        table: The case table.
        on: The day.

    Returns:
        ``duration`` (a band's label) and ``placements``, every band listed.
    """
    band = pl.lit(DURATION_BANDS[0][0])
    for label, months in DURATION_BANDS[1:]:  # boundary dates by calendar, then one compare
        started_by = months_before(on, months)
        band = pl.when(pl.col("start") <= started_by).then(pl.lit(label)).otherwise(band)
    counted = (
        open_on(table, on)
        .group_by(band.alias("duration"))
        .agg(pl.len().cast(pl.Int64).alias("placements"))
    )
    labels = pl.DataFrame({"duration": [label for label, _ in DURATION_BANDS]})
    return labels.join(counted, on="duration", how="left").fill_null(0)


def out_of_borough(table: pl.DataFrame, on: date) -> pl.DataFrame:
    """Placements open on ``on`` in and out of the authority's borough.

    Args:
        table: The case table (``location``).
        on: The day.

    Returns:
        ``location`` (``in_borough``, ``out_of_borough``) and ``placements``.
    """
    counted = (
        open_on(table, on).group_by("location").agg(pl.len().cast(pl.Int64).alias("placements"))
    )
    labels = pl.DataFrame({"location": ["in_borough", "out_of_borough"]})
    return labels.join(counted, on="location", how="left").fill_null(0)
