"""Out again: the placements the procedure ended, as Episodes rows for the next return.

Internal: import its public names from :mod:`disruption.ssda903` (``docs/api.md``); the module
itself may move or change without notice.

One row per case that the procedure ended (imported history left out), with the columns of
the DfE Episodes file and dates as ``dd/mm/YYYY``: CHILD, DECOM (the placement's start),
PLACE, PLACE_PROVIDER, URN (the carer), DEC (the end date), REC and REASON_PLACE_CHANGE. A
REASON_PLACE_CHANGE is recorded only when a placement changes, so REC is ``X1`` (a new
episode starts the same day). RNE, LS, CIN and the postcodes are not known to the
procedure and are left blank: the authority's case-management system fills them.

Example:
    >>> from disruption.ssda903.export import EXPORT_COLUMNS
    >>> EXPORT_COLUMNS[:3]
    ('CHILD', 'DECOM', 'RNE')
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

import polars as pl

from disruption.domain.model import Case
from disruption.ssda903.read import EPISODE_COLUMNS

__all__ = ["EXPORT_COLUMNS", "episodes_of", "write_episodes"]

EXPORT_COLUMNS = tuple(c.upper() for c in EPISODE_COLUMNS)
"""The Episodes columns, in the DfE's order."""


def _row(case: Case) -> dict[str, str | None]:
    placement, ending = case.placement, case.ending
    assert ending is not None
    row: dict[str, str | None] = dict.fromkeys(EXPORT_COLUMNS)
    row.update(
        CHILD=case.child,
        DECOM=f"{placement.start:%d/%m/%Y}",
        PLACE=placement.type,
        PLACE_PROVIDER=placement.provider,
        URN=placement.carer,
        DEC=f"{ending.end:%d/%m/%Y}",
        REC="X1" if ending.reason else ending.left_care,
        REASON_PLACE_CHANGE=ending.reason or None,
    )
    return row


def episodes_of(
    cases: Iterable[Case],
    *,
    start: date | None = None,
    end: date | None = None,
) -> pl.DataFrame:
    """The Episodes rows of the placements the procedure ended.

    Args:
        cases: The store's cases.
        start: Only endings on or after this day.
        end: Only endings on or before this day.

    Returns:
        One row per ended case, the columns of :data:`EXPORT_COLUMNS` as text, by CHILD and
        DECOM.
    """
    rows = [
        _row(c)
        for c in cases
        if c.ending is not None
        and not c.file.imported
        and (start is None or c.ending.end >= start)
        and (end is None or c.ending.end <= end)
    ]
    schema = dict.fromkeys(EXPORT_COLUMNS, pl.String())
    table = pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)
    order = pl.col("DECOM").str.to_date("%d/%m/%Y")
    return table.sort(["CHILD", order]) if table.height else table


def write_episodes(table: pl.DataFrame, path: str | Path) -> Path:
    """Write Episodes rows as a CSV file (UTF-8, a header line, blanks empty)."""
    out = Path(path)
    table.write_csv(out)
    return out
