"""Placement histories: each child's placements, derived from the reconciled episodes.

Internal: import its public names from :mod:`disruption.ssda903` (``docs/api.md``); the module
itself may move or change without notice.

The episodes of each child are taken in DECOM order. The rules:

1. A *gap in care* is an episode that is the child's first, or that does not start on the day the
   episode just before it ended (its DECOM differs from that episode's DEC, or that DEC is blank).
2. An episode on a temporary placement (PLACE ``T0``-``T4``) is not part of any placement: it is
   dropped from placement building (it still counts as "the episode just before" in rule 1).
3. An episode right after a temporary one *returns* when it has the same PLACE and URN (a blank
   URN matching a blank URN) as the last non-temporary episode before the temporary one, and no
   gap in care lies between that episode and the return. A return continues that episode's
   placement, whatever its RNE.
4. Any other episode starts a new placement when it is the child's first non-temporary episode,
   when its RNE is S, P, B, T or U, or when it follows a gap in care (even with RNE L); otherwise
   (RNE L, or another RNE outside that list, with no gap) it continues the current placement.

Each placement keeps the PLACE (``type``), PLACE_PROVIDER (``provider``) and URN of its first
episode; its ``start`` is that episode's DECOM and its ``end`` the DEC of its last episode (blank
while the placement is open). ``reason`` is the REASON_PLACE_CHANGE of its last episode and
``left_care`` says whether that episode closed with a REC other than X1. DEC is the authority on
whether an episode is open, so an open placement never has ``left_care``, whatever its REC.

Example:
    >>> from datetime import date
    >>> import polars as pl
    >>> from disruption.ssda903.placements import derive_placements
    >>> episodes = pl.DataFrame(
    ...     {
    ...         "child": ["1", "1", "1", "1", "1"],
    ...         "decom": [date(2020, 1, 1), date(2020, 2, 1), date(2020, 3, 1),
    ...                   date(2020, 3, 8), date(2020, 5, 1)],
    ...         "rne": ["S", "L", "T", "P", "P"],
    ...         "place": ["U1", "U1", "T2", "U1", "K2"],
    ...         "place_provider": ["PR1", "PR1", None, "PR1", "PR4"],
    ...         "dec": [date(2020, 2, 1), date(2020, 3, 1), date(2020, 3, 8),
    ...                 date(2020, 5, 1), date(2020, 9, 1)],
    ...         "rec": ["X1", "X1", "X1", "X1", "E11"],
    ...         "reason_place_change": [None, None, None, "CARPL", None],
    ...         "urn": ["SC1", "SC1", None, "SC1", "SC9"],
    ...     }
    ... )
    >>> placements = derive_placements(episodes)
    >>> placements.select("placement", "type", "start", "end", "reason", "left_care").rows()
    [(1, 'U1', datetime.date(2020, 1, 1), datetime.date(2020, 5, 1), 'CARPL', False),
     (2, 'K2', datetime.date(2020, 5, 1), datetime.date(2020, 9, 1), None, True)]
"""

from __future__ import annotations

import polars as pl

from disruption.domain.codes import CARER_CHANGE_RNE, NEW_PLACEMENT_RNE, TEMPORARY_PLACEMENTS

__all__ = [
    "PLACEMENT_COLUMNS",
    "derive_placements",
    "placement_episodes",
    "placements_with_carers",
]

PLACEMENT_COLUMNS = (
    "child",
    "placement",
    "type",
    "provider",
    "start",
    "end",
    "reason",
    "left_care",
    "urn",
)
"""The columns of `derive_placements`' result, in order."""

_NEEDED = ("child", "decom", "rne", "place", "place_provider", "dec", "rec", "reason_place_change")


def _same_child() -> pl.Expr:
    return (pl.col("child") == pl.col("child").shift(1)).fill_null(False)


def _numbered(
    episodes: pl.DataFrame,
    extra: tuple[str, ...] = (),
    *,
    indexed: bool = False,
    presorted: bool = False,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every episode sorted by child and DECOM, and the non-temporary ones numbered.

    The second frame gives each non-temporary episode ``_id``: its placement, numbered
    across all children; with ``indexed``, both carry ``_i``, the row in the first.
    """
    missing = [c for c in _NEEDED if c not in episodes.columns]
    if missing:
        raise KeyError(f"episodes lack the column(s) {', '.join(missing)}")
    df = episodes.select(
        *_NEEDED,
        pl.col("urn") if "urn" in episodes.columns else pl.lit(None, pl.String).alias("urn"),
        *extra,
    )
    if not presorted:
        df = df.sort("child", "decom", maintain_order=True)

    same_child = _same_child()
    gap = ~(same_child & (pl.col("decom") == pl.col("dec").shift(1))).fill_null(False)
    temporary = pl.col("place").is_in(list(TEMPORARY_PLACEMENTS)).fill_null(False)
    df = df.with_columns(_gap=gap, _temp=temporary).with_columns(
        # Each child's first row is a gap, so the running count numbers care periods uniquely.
        _period=pl.col("_gap").cast(pl.Int64).cum_sum(),
        _after_temp=(same_child & pl.col("_temp").shift(1)).fill_null(False),
    )
    if indexed:
        df = df.with_row_index("_i")
    kept = df.filter(~pl.col("_temp"))
    same_child = _same_child()
    returns = (
        same_child
        & pl.col("_after_temp")
        & (pl.col("place") == pl.col("place").shift(1))
        & pl.col("urn").eq_missing(pl.col("urn").shift(1))
        & (pl.col("_period") == pl.col("_period").shift(1))
    ).fill_null(False)
    new_rne = pl.col("rne").is_in(list(NEW_PLACEMENT_RNE)).fill_null(False)
    starts = ~same_child | (~returns & (new_rne | pl.col("_gap")))
    return df, kept.with_columns(_id=starts.cast(pl.Int64).cum_sum())


def derive_placements(episodes: pl.DataFrame) -> pl.DataFrame:
    """Derive each child's placements from its episodes (the rules are in the module docstring).

    Args:
        episodes: Episodes with at least the columns CHILD, DECOM, RNE, PLACE, PLACE_PROVIDER, DEC,
            REC and REASON_PLACE_CHANGE (lower case, dates as ``pl.Date``) and optionally URN, as
            returned by `reconcile`; they need not be sorted.

    Returns:
        One row per placement with the columns `PLACEMENT_COLUMNS`: ``child``, ``placement`` (1, 2,
        ... within each child), ``type``, ``provider``, ``start``, ``end`` (null while open),
        ``reason``, ``left_care`` and ``urn``, sorted by child and start.

    Raises:
        KeyError: A needed column is missing.
    """
    return _placements(_numbered(episodes)[1]).select(PLACEMENT_COLUMNS)


def _placements(df: pl.DataFrame, *, carers: bool = False) -> pl.DataFrame:
    """One row per placement from the numbered episodes (sorted, so a placement is a run).

    The first episode of each run gives the placement's start and codes, the last its end:
    two filters, no grouping. With ``carers``, ``new_carer`` says whether the first episode
    changed the carer (RNE S, P or B, or a gap in care).
    """
    first = df.filter(pl.col("_id") != pl.col("_id").shift(1).fill_null(-1))
    last = df.filter(pl.col("_id") != pl.col("_id").shift(-1).fill_null(-1))
    rec = pl.col("rec").cast(pl.String)
    ends = last.select(
        pl.col("dec").alias("end"),
        pl.col("reason_place_change").alias("reason"),
        (pl.col("dec").is_not_null() & rec.is_not_null() & (rec != "X1"))
        .fill_null(False)
        .alias("left_care"),
    )
    index = pl.int_range(pl.len(), dtype=pl.Int64)
    new_child = pl.col("child") != pl.col("child").shift(1).fill_null("")
    child_first = pl.when(new_child | (index == 0)).then(index).forward_fill()
    placements = first.select(
        "_id",
        "child",
        pl.col("place").alias("type"),
        pl.col("place_provider").alias("provider"),
        pl.col("decom").alias("start"),
        "urn",
        *(
            [
                (
                    pl.col("_gap") | pl.col("rne").is_in(list(CARER_CHANGE_RNE)).fill_null(False)
                ).alias("new_carer")
            ]
            if carers
            else []
        ),
    ).with_columns(*ends.get_columns(), (index - child_first + 1).alias("placement"))
    return placements.select(*PLACEMENT_COLUMNS, "_id", *(["new_carer"] if carers else []))


def placements_with_carers(episodes: pl.DataFrame, *, presorted: bool = False) -> pl.DataFrame:
    """:func:`derive_placements`, with ``new_carer``: whether the placement changed the carer.

    A placement changes the carer when its first episode has RNE S, P or B or follows a gap
    in care (rule 1); T and U keep the carer. For the long-term stability measure.

    Args:
        episodes: As for :func:`derive_placements`.
        presorted: The episodes are sorted by CHILD and DECOM already: not sorted again.
    """
    return _placements(_numbered(episodes, presorted=presorted)[1], carers=True).drop("_id")


def placement_episodes(episodes: pl.DataFrame, columns: tuple[str, ...]) -> pl.DataFrame:
    """Each child's placements, with the episodes each was derived from.

    A temporary episode (rule 2) belongs to the placement it interrupts: the one before it,
    or, when the child has none before it, the one after it. A child whose episodes are all
    temporary has no placement, so its episodes are in none.

    Args:
        episodes: As for :func:`derive_placements`, with ``columns`` besides.
        columns: The episode columns to keep (beyond CHILD and DECOM).

    Returns:
        The columns of :func:`derive_placements` and ``episodes``: a list of structs with
        ``decom`` and ``columns``, in DECOM order.
    """
    extra = tuple(c for c in columns if c not in (*_NEEDED, "urn"))
    df, kept = _numbered(episodes, extra, indexed=True)
    owner = pl.col("_id").forward_fill().backward_fill().over("child")
    df = df.join(kept.select("_i", "_id"), on="_i", how="left").sort("_i")
    members = (
        df.with_columns(owner.alias("_id"))
        .filter(pl.col("_id").is_not_null())
        .group_by("_id")
        .agg(pl.struct("decom", *columns).alias("episodes"))
    )
    placements = _placements(kept).join(members, on="_id", how="left")
    return placements.select(*PLACEMENT_COLUMNS, "episodes")
