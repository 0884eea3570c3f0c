"""Reconcile the episodes of several returns into one history per child.

Internal: import its public names from :mod:`disruption.ssda903` (``docs/api.md``); the module
itself may move or change without notice.

The steps, in this order, each change reported as a finding on the row it changes:

a. ``reconcile-duplicate``: rows with the same CHILD and DECOM: the one from the latest return is
   kept (within one return, the later line); the others are dropped. A row repeated unchanged
   (an episode open across a year end is in both returns) is dropped without a finding: it
   changes nothing.
b. ``reconcile-open-closed``: an open episode (blank DEC) followed by a later episode of the same
   child is closed at the later episode's DECOM.
c. ``reconcile-overlap``: an episode whose DEC is after the next episode's DECOM is cut back to
   that DECOM.

DEC is the authority on whether an episode is open: an episode still open after these steps that
carries a REC is reported (``rec-without-dec``) and stays open; REC is left as given.
"""

from __future__ import annotations

import polars as pl

from disruption.ssda903._order import ORDER, in_order
from disruption.ssda903.findings import Finding

__all__ = ["reconcile", "reconciled"]


def _next_decom() -> pl.Expr:
    same_child = pl.col("child") == pl.col("child").shift(-1)
    return pl.when(same_child).then(pl.col("decom").shift(-1)).otherwise(None)


def _day_text(days: pl.Series) -> pl.Series:
    """Each date as Python writes ``f"{day:%d/%m/%Y}"`` (a year below 1000 is not padded)."""
    if bool((days.dt.year() >= 1000).all()):
        return days.dt.strftime("%d/%m/%Y")
    return pl.Series([f"{d:%d/%m/%Y}" for d in days.to_list()], dtype=pl.String)


def reconcile(episodes: pl.DataFrame) -> tuple[pl.DataFrame, list[Finding]]:
    """Reconcile episodes read from one or several returns (see the module docstring).

    Args:
        episodes: Episodes as returned by `read_episodes`.

    Returns:
        The reconciled episodes, same columns, sorted by CHILD and DECOM, and the findings in
        step order.
    """
    return reconciled(episodes, sorted_already=False)


def reconciled(
    episodes: pl.DataFrame, *, sorted_already: bool
) -> tuple[pl.DataFrame, list[Finding]]:
    """`reconcile`, told whether ``episodes`` is known to be in `ORDER` already.

    Args:
        episodes: As for `reconcile`.
        sorted_already: ``True`` when ``episodes`` is known to be in `ORDER` with no null
            key (as `check_files` knows of one return's rows); else it is checked.

    Returns:
        As `reconcile`.
    """
    kept, findings = _without_duplicates(episodes, sorted_already=sorted_already)
    df, noted = _closed_and_cut(kept)
    return df.select(episodes.columns), findings + _step_findings(noted)


def _without_duplicates(
    episodes: pl.DataFrame, *, sorted_already: bool = False
) -> tuple[pl.DataFrame, list[Finding]]:
    """Step a: the rows kept, in `ORDER`, and a finding for each row dropped that differs.

    Of rows with the same CHILD and DECOM, the last in (return, line) order wins; the row
    kept for a dropped one is the next row kept, in sorted order. Rows already in order are
    filtered, not gathered (a gather of every column costs more).
    """
    duplicate = (
        (pl.col("child") == pl.col("child").shift(-1))
        & (pl.col("decom") == pl.col("decom").shift(-1))
    ).fill_null(False)
    if sorted_already or in_order(episodes):  # as `check_files` passes one return: no sort
        order = pl.int_range(episodes.height, dtype=pl.UInt32, eager=True)
        keys = episodes.select(duplicate.alias("_dropped"), pl.lit(order).alias("_at"))
        if not keys["_dropped"].any():
            return episodes, []
        kept = episodes.filter(~keys["_dropped"])
    else:
        order = episodes.select(pl.arg_sort_by(ORDER, maintain_order=True)).to_series()
        keys = episodes.select(pl.col("child", "decom").gather(order)).select(
            duplicate.alias("_dropped"), pl.lit(order).alias("_at")
        )
        kept = episodes[keys.filter(~pl.col("_dropped"))["_at"]]
        if kept.height == episodes.height:
            return kept, []
    pairs = keys.select(
        pl.col("_at").filter("_dropped"),
        pl.when(~pl.col("_dropped"))
        .then(pl.col("_at"))
        .backward_fill()
        .filter("_dropped")
        .alias("_kept_at"),
    )
    return kept, _duplicate_findings(episodes, pairs)


def _duplicate_findings(episodes: pl.DataFrame, pairs: pl.DataFrame) -> list[Finding]:
    """A finding for each dropped row (``_at``) that differs from the row kept (``_kept_at``).

    A row repeated unchanged (an episode open across a year end is in both returns) changes
    nothing and is dropped without a finding; one that differs names how.
    """
    data = [c for c in episodes.columns if not c.startswith("_")]
    changed = [
        pl.when(pl.col(c).gather(pairs["_at"]).ne_missing(pl.col(c).gather(pairs["_kept_at"])))
        .then(pl.lit(c.upper()))
        .alias(f"_changed_{c}")
        for c in data
    ]
    dropped = (
        episodes.select(
            pl.col("_file", "_row", "_return", "child", "decom").gather(pairs["_at"]),
            pl.col("_file", "_row", "_return").gather(pairs["_kept_at"]).name.prefix("_kept"),
            pl.concat_str(changed, separator=", ", ignore_nulls=True).alias("_changed"),
        )
        .filter(pl.col("_changed") != "")
        .sort("_file", "_row")
    )
    # Rows are dropped only when CHILD and DECOM are given, so the message has no blank.
    days = dropped["decom"].unique()
    where = (
        pl.when(pl.col("_kept_return") == pl.col("_return"))
        .then(pl.format("line {} of the same return", "_kept_row"))
        .otherwise(pl.format("{} line {} (a later return)", "_kept_file", "_kept_row"))
    )
    message = pl.format(
        "episode of CHILD {} starting {} is given again at {}, with another {}; "
        "this row is dropped",
        "child",
        pl.col("decom").replace_strict(days, _day_text(days)),
        where,
        "_changed",
    ).alias("_message")
    return [
        Finding(file, row, "DECOM", "reconcile-duplicate", text, child)
        for file, row, text, child in dropped.select("_file", "_row", message, "child").rows()
    ]


def _closed_and_cut(df: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Steps b and c, and open episodes with a REC: the episodes, and the rows to report.

    An open episode followed by a later one is closed at the later one's DECOM; a DEC after
    the next episode's DECOM is cut back to it. DEC is the authority: REC on an episode still
    open is reported, the episode stays open.
    """
    dec, after = pl.col("dec"), pl.col("_next")
    df = (
        df.lazy()
        .with_columns(_next_decom().alias("_next"))
        .with_columns((dec.is_null() & after.is_not_null()).alias("_closed"))
        .with_columns(pl.when("_closed").then(after).otherwise(dec).alias("_closed_dec"))
        .with_columns((pl.col("_closed_dec") > after).fill_null(False).alias("_overlap"))
        .with_columns(pl.when("_overlap").then(after).otherwise("_closed_dec").alias("dec"))
        .with_columns((dec.is_null() & pl.col("rec").is_not_null()).alias("_open_rec"))
        .collect(engine="in-memory")
    )
    noted = df.filter(pl.any_horizontal("_closed", "_overlap", "_open_rec")).select(
        "_file", "_row", "child", "_next", "_closed_dec", "rec", "_closed", "_overlap", "_open_rec"
    )
    return df, noted


def _step_findings(noted: pl.DataFrame) -> list[Finding]:
    """The findings of steps b and c and of open episodes with a REC, in that order."""
    closed = noted.filter("_closed").select("_file", "_row", "child", "_next")
    cut = noted.filter("_overlap").select("_file", "_row", "child", "_closed_dec", "_next")
    open_rec = noted.filter("_open_rec").select("_file", "_row", "child", "rec")
    return [
        *(
            Finding(
                file,
                row,
                "DEC",
                "reconcile-open-closed",
                f"open episode (blank DEC) is followed by an episode starting {after:%d/%m/%Y};"
                " DEC set to that date",
                child,
            )
            for file, row, child, after in closed.rows()
        ),
        *(
            Finding(
                file,
                row,
                "DEC",
                "reconcile-overlap",
                f"DEC {given:%d/%m/%Y} is after the next episode's DECOM {after:%d/%m/%Y};"
                " DEC cut back to that date",
                child,
            )
            for file, row, child, given, after in cut.rows()
        ),
        *(
            Finding(
                file,
                row,
                "REC",
                "rec-without-dec",
                f"REC {rec!r} is given but DEC is blank; the episode is kept open",
                child,
            )
            for file, row, child, rec in open_rec.rows()
        ),
    ]
