"""Disclosure control for the report: small counts hidden, and nothing hidden recoverable.

Internal: import its public names from :mod:`disruption.analysis` (``docs/api.md``); the module
itself may move or change without notice.

Primary suppression hides every count from 1 to ``smallest - 1`` (zero is shown, as the DfE
shows it). Secondary suppression then hides further counts until no hidden count can be
worked out from what the report still shows: its totals, the other cells of the same row or
column, and the tables the report links to it (every table of endings has the same total;
the endings by group of reasons add up the endings by reason). Whether a hidden count is
worked out is decided exactly: for each hidden count, the smallest and the largest value it
can take, over every set of whole numbers of at least 1 that agrees with everything shown
(SciPy's ``milp``), must differ. Shares are hidden only where one of the counts they are
computed from is hidden.

Example:
    >>> import polars as pl
    >>> from disruption.analysis.disclosure import Relation, Table, protect
    >>> frame = pl.DataFrame({"group": ["a", "b", "c", "Total"], "count": [2, 7, 40, 49]})
    >>> cells = [("t", i, "count") for i in range(4)]
    >>> shown = protect([Table("t", frame, ("count",))],
    ...                 [Relation(tuple(cells[:3]), cells[3])], smallest=5)
    >>> shown["t"]["count"].to_list()
    ['c', 'c', '40', '49']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import attrs
import numpy as np
import polars as pl
import structlog
from scipy.optimize import Bounds, LinearConstraint, milp

__all__ = [
    "DEFAULT_SMALLEST",
    "SUPPRESSED",
    "Cell",
    "Relation",
    "Table",
    "determined",
    "hidden_cells",
    "protect",
]

log = structlog.get_logger(__name__)

SUPPRESSED: Final = "c"
"""What a hidden count, and a share computed from one, show (the DfE's symbol)."""

DEFAULT_SMALLEST: Final = 5
"""The smallest count shown by default: counts from 1 to 4 are hidden (an authority default)."""

Cell = tuple[str, int, str]
"""A count of the report: its table's name, its row (from 0) and its column."""

_BIG: Final = 10_000_000


@attrs.frozen
class Relation:
    """What a reader knows of the report: the ``parts`` add up to the ``whole``.

    Attributes:
        parts: The cells that add up.
        whole: The cell they add up to (a total, or the same count in another table).
    """

    parts: tuple[Cell, ...]
    whole: Cell


@attrs.frozen
class Table:
    """A table for publication.

    Attributes:
        name: The table's name, as in its cells.
        frame: The table, counts as integers.
        counts: The count columns.
        shares: For each share column, the count columns of the same row it is computed
            from; it is hidden where one of them is.
        share_of: Cells every share of the table is also computed from (a total).
    """

    name: str
    frame: pl.DataFrame
    counts: tuple[str, ...]
    shares: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    share_of: tuple[Cell, ...] = ()

    def values(self) -> dict[Cell, int]:
        """Every count cell's value (a missing count is left out)."""
        return {
            (self.name, row, column): int(value)
            for column in self.counts
            for row, value in enumerate(self.frame[column].to_list())
            if value is not None
        }


def hidden_cells(
    values: Mapping[Cell, int], relations: Sequence[Relation], smallest: int | None
) -> frozenset[Cell]:
    """The cells to hide: small counts, then others until none of them is worked out.

    Args:
        values: Every count cell of the report.
        relations: What a reader knows of how the cells add up.
        smallest: The smallest count shown; ``None`` hides nothing.

    Returns:
        The hidden cells.
    """
    if smallest is None:
        return frozenset()
    hidden = {c for c, v in values.items() if 0 < v < smallest}
    known = [r for r in relations if r.whole in values and all(p in values for p in r.parts)]
    while True:
        exposed = determined(values, hidden, known)
        if not exposed:
            return frozenset(hidden)
        # a cell given away by one relation on its own first: protecting it often protects
        # the cells given away through it
        first = min(exposed, key=lambda c: (not _alone(c, hidden, known), c))
        extra = _complement(first, values, hidden, known)
        if extra is None:  # nothing shown beside it: widen to every relation with a hidden cell
            touched = [r for r in known if any(c in hidden for c in (*r.parts, r.whole))]
            shown = [
                c for r in touched for c in (*r.parts, r.whole) if c not in hidden and values[c] > 0
            ]
            extra = min(shown, key=lambda c: (values[c], c)) if shown else None
        if extra is None:
            log.warning("disclosure.unprotectable", table=first[0], column=first[2])
            return frozenset(hidden)
        hidden.add(extra)


def _alone(cell: Cell, hidden: set[Cell], relations: Sequence[Relation]) -> bool:
    """Whether ``cell`` is the only hidden cell of one of its relations."""
    return any(
        cell in members and sum(c in hidden for c in members) == 1
        for members in ((*r.parts, r.whole) for r in relations)
    )


def _complement(
    cell: Cell, values: Mapping[Cell, int], hidden: set[Cell], relations: Sequence[Relation]
) -> Cell | None:
    """The cell to hide next to protect ``cell``.

    A relation in which ``cell`` is the only hidden cell gives it away on its own: hide the
    smallest shown count of that relation (a part before a total). Otherwise hide the
    smallest shown count beside it in any of its relations.
    """
    around = [r for r in relations if cell in (*r.parts, r.whole)]
    alone = [r for r in around if sum(c in hidden for c in (*r.parts, r.whole)) == 1]
    for group in (alone, around):
        parts = [p for r in group for p in r.parts if p != cell]
        wholes = [r.whole for r in group if r.whole != cell]
        for pool in (parts, wholes):
            shown = [c for c in pool if c not in hidden and values[c] > 0]
            if shown:
                return min(shown, key=lambda c: (values[c], c))
    return None


def determined(
    values: Mapping[Cell, int], hidden: set[Cell] | frozenset[Cell], relations: Sequence[Relation]
) -> list[Cell]:
    """The hidden cells whose value can be worked out from the shown cells and the relations.

    A hidden cell is worked out when its smallest and largest value, over every assignment
    of whole numbers of at least 1 to the hidden cells that keeps every relation, are equal.

    Args:
        values: Every count cell's true value.
        hidden: The hidden cells.
        relations: What a reader knows of how the cells add up.

    Returns:
        The hidden cells that are worked out, in a stable order.
    """
    order = sorted(hidden)
    index = {c: i for i, c in enumerate(order)}
    rows: list[np.ndarray] = []
    rhs: list[float] = []
    for relation in relations:
        terms = [(p, 1.0) for p in relation.parts] + [(relation.whole, -1.0)]
        row = np.zeros(len(order))
        constant = 0.0
        for cell, sign in terms:
            if cell in index:
                row[index[cell]] += sign
            else:
                constant += sign * values[cell]
        if row.any():
            rows.append(row)
            rhs.append(-constant)
    exposed = []
    linked = {i for row in rows for i in np.flatnonzero(row)}
    for i, cell in enumerate(order):
        if i not in linked:
            continue
        low = _extreme(i, len(order), rows, rhs, 1.0)
        high = _extreme(i, len(order), rows, rhs, -1.0)
        if low is None or high is None or abs(high - low) < 0.5:
            exposed.append(cell)
    return exposed


def _extreme(
    i: int, n: int, rows: Sequence[np.ndarray], rhs: Sequence[float], sign: float
) -> float | None:
    objective = np.zeros(n)
    objective[i] = sign
    constraints = [LinearConstraint(np.vstack(rows), rhs, rhs)] if rows else []
    result = milp(
        objective,
        constraints=constraints,
        integrality=np.ones(n),
        bounds=Bounds(np.ones(n), np.full(n, float(_BIG))),
    )
    if result.x is None:
        return None
    return float(result.x[i])


def protect(
    tables: Sequence[Table], relations: Sequence[Relation], smallest: int | None
) -> dict[str, pl.DataFrame]:
    """Every table as published: hidden counts and the shares computed from them as ``c``.

    Args:
        tables: The report's tables.
        relations: How their cells add up, within and across tables.
        smallest: The smallest count shown; ``None`` hides nothing.

    Returns:
        Each table by name, every count and share column as text.
    """
    values: dict[Cell, int] = {}
    for table in tables:
        values.update(table.values())
    hidden = hidden_cells(values, relations, smallest)
    return {t.name: _shown(t, hidden) for t in tables}


def _shown(table: Table, hidden: frozenset[Cell]) -> pl.DataFrame:
    height = table.frame.height
    masks = {
        column: [(table.name, r, column) in hidden for r in range(height)]
        for column in table.counts
    }
    every = any(c in hidden for c in table.share_of)
    columns = [_masked(table.frame[column], masks[column]) for column in table.counts]
    for column, sources in table.shares.items():
        mask = [every or any(masks[s][r] for s in sources) for r in range(height)]
        columns.append(_masked(table.frame[column], mask))
    return table.frame.with_columns(columns)


def _masked(series: pl.Series, mask: list[bool]) -> pl.Series:
    text = series.cast(pl.String).to_list()
    return pl.Series(
        series.name,
        [SUPPRESSED if m else t for t, m in zip(text, mask, strict=True)],
        dtype=pl.String,
    )
