"""Retention: which children's records are due for erasure on a day.

The rule is an age: by default records are kept until the child's 75th birthday, the usual
rule for the records of looked-after children. The store keeps no dates of birth (they are
personal data), so they come from the authority's SSDA903 Header files.

Example:
    >>> from datetime import date
    >>> import polars as pl
    >>> from disruption.privacy.retention import due_for_erasure
    >>> dobs = pl.DataFrame({"child": ["C-1", "C-2"], "dob": [date(1950, 3, 1), date(2010, 1, 1)]})
    >>> due_for_erasure(["C-1", "C-2"], dobs, date(2025, 3, 1)).rows()
    [('C-1', datetime.date(2025, 3, 1))]
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import polars as pl

from disruption.domain.dates import months_before

__all__ = ["RETENTION_YEARS", "due_for_erasure"]

RETENTION_YEARS = 75
"""Records are kept until this birthday of the child, by default."""


def due_for_erasure(
    children: Iterable[str], dobs: pl.DataFrame, on: date, *, years: int = RETENTION_YEARS
) -> pl.DataFrame:
    """The children whose records are due for erasure on ``on``.

    Args:
        children: The children the store holds records of.
        dobs: ``child`` and ``dob``.
        on: The day.
        years: The birthday until which records are kept.

    Returns:
        ``child`` and ``due`` (their ``years``-th birthday, on or before ``on``), by child;
        children without a known date of birth are not listed.
    """
    held = pl.DataFrame({"child": sorted(set(children))}, schema={"child": pl.String})
    born_by = months_before(on, 12 * years)
    known = dobs.filter(pl.col("dob").is_not_null()).unique("child", keep="last")
    due = held.join(known.select("child", "dob"), on="child").filter(pl.col("dob") <= born_by)
    return due.select("child", pl.col("dob").dt.offset_by(f"{years}y").alias("due")).sort("child")
