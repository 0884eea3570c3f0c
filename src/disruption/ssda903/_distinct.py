"""The distinct values of text columns, computed cheaply when a column holds only a few.

Hashing every row of a million-row column costs several times more than comparing it with a
few literals. A column whose first rows hold only a few values is therefore scanned for the
rows holding none of them (usually none), and only those are hashed. The values found are
exactly the column's distinct values either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import polars as pl

__all__ = ["distinct_values"]

_SAMPLE: Final = 1000
"""How many leading rows are looked at for a column's likely values."""
_FEW: Final = 6
"""Up to this many likely values, rows are compared with them instead of being hashed."""


def _rest(column: str, likely: Sequence[str]) -> pl.Expr:
    value = pl.col(column)
    if not likely:
        return value
    return value.filter(pl.all_horizontal([value != v for v in likely]))


def distinct_values(
    df: pl.DataFrame, columns: Sequence[str], *others: pl.Expr
) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """The distinct non-null values of some text columns, in one parallel pass over ``df``.

    Args:
        df: The frame.
        columns: Text columns of ``df``.
        *others: Further expressions of one value each, computed in the same pass.

    Returns:
        Each column's distinct values (in no particular order), and the value of each of
        ``others`` by output name.
    """
    head = df.head(_SAMPLE).select(pl.col(c).unique().drop_nulls().implode() for c in columns)
    seen: dict[str, list[str]] = head.row(0, named=True) if columns else {}
    likely = {c: seen[c] if len(seen[c]) <= _FEW else [] for c in columns}
    found = df.select(
        *(_rest(c, likely[c]).unique().drop_nulls().implode().alias(c) for c in columns),
        *others,
    ).row(0, named=True)
    values = {c: likely[c] + list(found.pop(c)) for c in columns}
    return values, found
