"""The order episodes are compared in: by CHILD, then DECOM, then return, then line.

Sorting a million rows costs more than checking that they are already in order, and the
episodes `reconcile` returns are: `in_order` lets a later step skip the sort.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

__all__ = ["ORDER", "in_order"]

ORDER = ["child", "decom", "_return", "_row"]
"""The sort keys, most significant first."""


def in_order(df: pl.DataFrame, keys: Sequence[str] = ORDER) -> bool:
    """Whether ``df`` is already sorted by ``keys`` (ties allowed), with no null key.

    Args:
        df: Episodes with the ``keys`` columns.
        keys: The sort keys, most significant first (`ORDER` by default).

    Returns:
        ``True`` if a stable sort by ``keys`` would leave ``df`` as it is.
    """
    if df.height < 2:
        return True
    last = pl.col(keys[-1])
    ok = last.shift(1) <= last
    for key in reversed(keys[:-1]):
        value, before = pl.col(key), pl.col(key).shift(1)
        ok = (before < value) | ((before == value) & ok)
    no_null = pl.all_horizontal(pl.col(k).is_not_null().all() for k in keys)
    return bool(df.select(no_null & ok.slice(1).fill_null(False).all()).item())
