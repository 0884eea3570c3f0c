"""Why placements end: the breakdown tables, from the case and deadline tables.

Internal: import its public names from :mod:`disruption.analysis` (``docs/api.md``); the module
itself may move or change without notice.

Every function takes the tables of :mod:`disruption.analysis.cases` and returns a polars
table with a ``count`` column (and ``percent`` where a share is meaningful). Tables meant for
publication go through :func:`suppress` first: counts from 1 to 4 are shown as ``c``, as the
DfE does.

Example:
    >>> from datetime import date
    >>> import polars as pl
    >>> from disruption.analysis.breakdown import endings, suppress
    >>> table = pl.DataFrame(
    ...     {"end": [date(2025, 5, 1)] * 6 + [date(2025, 6, 1)],
    ...      "reason_group": ["carer-initiated"] * 6 + ["child-initiated"]},
    ... )
    >>> endings(table, "reason_group", date(2025, 4, 1), date(2026, 3, 31)).rows()
    [('carer-initiated', 6, 85.7), ('child-initiated', 1, 14.3)]
    >>> counted = endings(table, "reason_group", date(2025, 4, 1), date(2026, 3, 31))
    >>> suppress(counted, shares_of_total=True).rows()
    [('carer-initiated', '6', 'c'), ('child-initiated', 'c', 'c')]
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Final

import polars as pl

from disruption.domain.codes import PLACEMENT_TYPE_GROUPS, PROVIDER_GROUPS

__all__ = [
    "BREAKDOWNS",
    "SUPPRESSED",
    "deadline_performance",
    "endings",
    "endings_by",
    "meeting_voices",
    "open_placements",
    "procedure_outcomes",
    "recommendations",
    "recording_delay",
    "required_meetings",
    "review_factors",
    "sibling_groups",
    "sibling_summary",
    "suppress",
]

BREAKDOWNS: Final = (
    "reason",
    "reason_group",
    "planned",
    "type_group",
    "provider_group",
    "location",
)
"""The case-table columns that :func:`endings` is broken down by in the report."""

SUPPRESSED: Final = "c"
"""What a suppressed count (1 to 4) and any share computed from it show."""

TOTAL: Final = "Total"


def _percent(count: pl.Expr, total: pl.Expr) -> pl.Expr:
    return pl.when(total > 0).then((100 * count / total).round(1)).otherwise(None)


def _endings_plan(ended: pl.LazyFrame, by: str) -> pl.LazyFrame:
    counted = ended.group_by(by).agg(pl.len().cast(pl.Int64).alias("count"))
    return counted.with_columns(
        _percent(pl.col("count"), pl.col("count").sum()).alias("percent")
    ).sort(["count", by], descending=[True, False], nulls_last=True)


def _ended(table: pl.DataFrame, start: date, end: date) -> pl.LazyFrame:
    return table.lazy().filter(pl.col("end").is_between(start, end))


def endings(table: pl.DataFrame, by: str, start: date, end: date) -> pl.DataFrame:
    """Placements that ended in a period, counted by one column of the case table.

    Args:
        table: The case table (at least ``end`` and ``by``).
        by: The column to break down by, for example ``reason_group`` or ``planned``.
        start: The first day of the period.
        end: The last day of the period (inclusive).

    Returns:
        ``by``, ``count`` and ``percent`` (of the period's endings, one decimal), largest first,
        ties in the column's order.
    """
    return _endings_plan(_ended(table, start, end), by).collect()


def endings_by(
    table: pl.DataFrame, columns: Sequence[str], start: date, end: date
) -> dict[str, pl.DataFrame]:
    """:func:`endings` by several columns at once, filtering the period's endings once.

    Args:
        table: The case table.
        columns: The columns to break down by.
        start: The first day of the period.
        end: The last day of the period (inclusive).

    Returns:
        Each column's table, by column.
    """
    ended = _ended(table, start, end).cache()
    tables = pl.collect_all([_endings_plan(ended, by) for by in columns])
    return dict(zip(columns, tables, strict=True))


def open_placements(table: pl.DataFrame, on: date) -> pl.DataFrame:
    """The deck's placement table: placements open on a day, by type group and provider group.

    A placement is open on ``on`` when it started on or before it and had not ended by it.

    Args:
        table: The case table.
        on: The day.

    Returns:
        One row per placement type group (in the order of ``PLACEMENT_TYPE_GROUPS``, groups
        with no placement left out) and a ``Total`` row; one column per provider group and
        a ``Total`` column.
    """
    providers = list(PROVIDER_GROUPS)
    open_on = table.filter(
        (pl.col("start") <= on) & (pl.col("end").is_null() | (pl.col("end") > on))
    )
    counts = {
        (row[0], row[1]): row[2]
        for row in open_on.group_by("type_group", "provider_group").len().iter_rows()
    }
    labelled: list[tuple[str, list[int]]] = []
    for group in (*PLACEMENT_TYPE_GROUPS, None):
        cells = [counts.get((group, p), 0) for p in providers]
        if sum(cells):
            labelled.append((group if group is not None else "Unknown", [*cells, sum(cells)]))
    totals = [sum(cells[i] for _, cells in labelled) for i in range(len(providers) + 1)]
    labelled.append((TOTAL, totals))
    rows = [[label, *cells] for label, cells in labelled]
    schema = {"placement_type": pl.String, **dict.fromkeys([*providers, TOTAL], pl.Int64)}
    return pl.DataFrame(rows, schema=schema, orient="row")


def procedure_outcomes(table: pl.DataFrame) -> pl.DataFrame:
    """For cases that entered the procedure: how many stabilised or ended, by support offered.

    Args:
        table: The case table. A case entered the procedure when a concern was raised on it;
            its outcome is its state now (``stabilised``, ``ended``, otherwise ``open``).

    Returns:
        ``support`` (a support type of the latest offer, or ``none``), ``stabilised``,
        ``ended``, ``open``, ``count`` and ``percent_stabilised`` (of those stabilised or ended).
    """
    entered = table.filter(pl.col("concerns") > 0).with_columns(
        pl.when(pl.col("support").list.len() > 0)
        .then(pl.col("support"))
        .otherwise(pl.lit(["none"]))
        .alias("support")
    )
    exploded = entered.explode("support", empty_as_null=False)  # none is empty: see above
    counted = exploded.group_by("support").agg(
        (pl.col("state") == "stabilised").sum().cast(pl.Int64).alias("stabilised"),
        (pl.col("state") == "ended").sum().cast(pl.Int64).alias("ended"),
        (~pl.col("state").is_in(["stabilised", "ended"])).sum().cast(pl.Int64).alias("open"),
        pl.len().cast(pl.Int64).alias("count"),
    )
    settled = pl.col("stabilised") + pl.col("ended")
    return counted.with_columns(
        _percent(pl.col("stabilised"), settled).alias("percent_stabilised")
    ).sort(["count", "support"], descending=[True, False])


def deadline_performance(deadlines: pl.DataFrame, on: date | None = None) -> pl.DataFrame:
    """How many deadlines of each kind were met on time, counting the overdue ones as not met.

    Args:
        deadlines: The deadline table.
        on: The day the performance is judged on: a deadline still open and due before it
            is past due, and counts as not met. ``None`` counts every open deadline as not
            yet due (the old reading, which overstates performance).

    Returns:
        ``deadline``, ``met`` (on time), ``late`` (met after the due date),
        ``open_past_due``, ``open_not_yet_due``, ``cancelled``, ``count`` and
        ``percent_on_time``: met on time of those met, met late or still open past due.
    """
    is_open = pl.col("status") == "open"
    past_due = is_open & (pl.col("due") < on) if on is not None else pl.lit(False)
    counted = deadlines.group_by("deadline").agg(
        (pl.col("status") == "met").sum().cast(pl.Int64).alias("met"),
        (pl.col("status") == "late").sum().cast(pl.Int64).alias("late"),
        past_due.sum().cast(pl.Int64).alias("open_past_due"),
        (is_open & ~past_due).sum().cast(pl.Int64).alias("open_not_yet_due"),
        (pl.col("status") == "cancelled").sum().cast(pl.Int64).alias("cancelled"),
        pl.len().cast(pl.Int64).alias("count"),
    )
    due = pl.col("met") + pl.col("late") + pl.col("open_past_due")
    return counted.with_columns(_percent(pl.col("met"), due).alias("percent_on_time")).sort(
        "deadline"
    )


def recording_delay(entries: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    """How late steps that happened in a period were entered, by command.

    Args:
        entries: The entry table (:func:`disruption.analysis.cases.entry_table`).
        start: The first day of the period.
        end: The last day of the period (inclusive).

    Returns:
        ``command``, ``count``, ``same_day`` (entered the day it happened or before),
        ``over_5`` (more than 5 working days late), ``flagged`` (beyond the backdating limit)
        and ``median_working_days``, by command.
    """
    happened = entries.filter(pl.col("happened").is_between(start, end))
    late = pl.col("working_days_late")
    return (
        happened.group_by("command")
        .agg(
            pl.len().cast(pl.Int64).alias("count"),
            (late == 0).sum().cast(pl.Int64).alias("same_day"),
            (late > 5).sum().cast(pl.Int64).alias("over_5"),
            pl.col("flagged").sum().cast(pl.Int64).alias("flagged"),
            late.median().cast(pl.Float64).alias("median_working_days"),
        )
        .sort("command")
    )


def recommendations(table: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    """Recommendations of chairs' reports agreed in a period, by owner role.

    As they stood on the period's last day.

    Args:
        table: The recommendation table
            (:func:`disruption.analysis.cases.recommendation_table`).
        start: The first day of the period.
        end: The last day of the period (inclusive): what was completed by it, and what was
            overdue on it (open and due before it).

    Returns:
        ``owner``, ``agreed``, ``completed``, ``completed_late`` (of those completed, after
        their due date), ``overdue`` and ``open_not_yet_due``; ``completed``, ``overdue`` and
        ``open_not_yet_due`` add up to ``agreed``.
    """
    agreed = table.filter(pl.col("agreed_on").is_between(start, end))
    done = pl.col("completed_on").is_not_null() & (pl.col("completed_on") <= end)
    overdue = ~done & (pl.col("due") < end)
    return (
        agreed.group_by("owner")
        .agg(
            pl.len().cast(pl.Int64).alias("agreed"),
            done.sum().cast(pl.Int64).alias("completed"),
            (done & (pl.col("completed_on") > pl.col("due")))
            .sum()
            .cast(pl.Int64)
            .alias("completed_late"),
            overdue.sum().cast(pl.Int64).alias("overdue"),
            (~done & ~overdue).sum().cast(pl.Int64).alias("open_not_yet_due"),
        )
        .sort("owner")
    )


def meeting_voices(meetings: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    """Stability meetings held in a period: the IRO invited and attending, whose views.

    Args:
        meetings: The meeting table (:func:`disruption.analysis.cases.meeting_table`).
        start: The first day of the period.
        end: The last day (inclusive).

    Returns:
        One row: ``meetings``, ``iro_invited``, ``iro_attended``, ``child_views`` and
        ``carer_views`` (meetings where each holds; each at most ``meetings``).
    """
    held = meetings.filter(pl.col("held_on").is_between(start, end))
    return held.select(
        pl.len().cast(pl.Int64).alias("meetings"),
        *(
            pl.col(column).fill_null(value=False).sum().cast(pl.Int64).alias(column)
            for column in ("iro_invited", "iro_attended", "child_views", "carer_views")
        ),
    )


def required_meetings(required: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    """Endings in a period that required a meeting by the placement history, by trigger.

    Args:
        required: The table of :func:`disruption.analysis.cases.required_table`.
        start: The first day of the period.
        end: The last day (inclusive).

    Returns:
        ``trigger`` and ``endings`` (an ending fired by two triggers counts under each).
    """
    return (
        required.filter(pl.col("end").is_between(start, end))
        .group_by("trigger")
        .agg(pl.len().cast(pl.Int64).alias("endings"))
        .sort("trigger")
    )


def sibling_groups(siblings: pl.DataFrame, table: pl.DataFrame, on: date) -> pl.DataFrame:
    """Each sibling group on a day: its children, how many are placed, and where.

    A child is placed on ``on`` when one of their placements started on or before it and had
    not ended by it. Two children are placed together when their placements have the same
    carer (the same placement when no carer is recorded). A group is *placed apart* when its
    children placed that day live in more than one placement.

    Args:
        siblings: The sibling table (:func:`disruption.analysis.cases.sibling_table`).
        table: The case table (:func:`disruption.analysis.cases.case_table`).
        on: The day.

    Returns:
        ``group``, ``children``, ``placed``, ``placements`` and ``placed_apart``, by group.
    """
    open_on = table.filter(
        (pl.col("start") <= on) & (pl.col("end").is_null() | (pl.col("end") > on))
    ).select("child", pl.coalesce("carer", "case").alias("placement"))
    joined = siblings.join(open_on, on="child", how="left")
    return (
        joined.group_by("group")
        .agg(
            pl.col("child").n_unique().cast(pl.Int64).alias("children"),
            pl.col("child")
            .filter(pl.col("placement").is_not_null())
            .n_unique()
            .cast(pl.Int64)
            .alias("placed"),
            pl.col("placement").drop_nulls().n_unique().cast(pl.Int64).alias("placements"),
        )
        .with_columns((pl.col("placements") > 1).alias("placed_apart"))
        .sort("group")
    )


def sibling_summary(groups: pl.DataFrame) -> pl.DataFrame:
    """Sibling groups placed together and apart (from :func:`sibling_groups`).

    Returns:
        One row: ``groups``, ``placed_together`` (every placed child in one placement),
        ``placed_apart``, ``none_placed``; the last three add up to ``groups``.
    """
    together = (pl.col("placements") == 1).sum().cast(pl.Int64)
    return groups.select(
        pl.len().cast(pl.Int64).alias("groups"),
        together.alias("placed_together"),
        pl.col("placed_apart").sum().cast(pl.Int64).alias("placed_apart"),
        (pl.col("placements") == 0).sum().cast(pl.Int64).alias("none_placed"),
    )


def review_factors(table: pl.DataFrame) -> pl.DataFrame:
    """Contributing factors agreed in learning reviews, by how many reviews named each.

    Args:
        table: The case table (``review_factors``).

    Returns:
        ``factor``, ``count`` and ``percent`` (of reviews held, waivers excluded).
    """
    held = table.filter(pl.col("review_factors").list.len() > 0)
    counted = (
        held.select(pl.col("review_factors").alias("factor"))
        .explode("factor", empty_as_null=False)
        .group_by("factor")
        .agg(pl.len().cast(pl.Int64).alias("count"))
    )
    return counted.with_columns(
        _percent(pl.col("count"), pl.lit(held.height)).alias("percent")
    ).sort(["count", "factor"], descending=[True, False])


def suppress(
    table: pl.DataFrame,
    counts: Sequence[str] | None = None,
    threshold: int = 5,
    *,
    shares_of_total: bool = False,
) -> pl.DataFrame:
    """Hide small numbers for publication: counts from 1 to ``threshold - 1`` become ``c``.

    A share computed from a hidden count would reveal it, so on a row with a hidden count
    every share (float column) is hidden too. When the shares are of the whole table
    (``shares_of_total``: each row's share of all rows), a visible share reveals the total,
    and with it a hidden count: then every share of the table is hidden. Zero is shown.
    This is primary suppression only: a total row or column is kept, so an authority that
    publishes a table with a single hidden cell in a row should hide a second one itself.

    Args:
        table: A table from this module.
        counts: The count columns; every integer column by default.
        threshold: The smallest count shown (5, as the DfE publishes).
        shares_of_total: Whether the float columns are shares of the whole table.

    Returns:
        The table with every count and share column as text.
    """
    names = (
        list(counts)
        if counts is not None
        else [c for c, t in table.schema.items() if t.is_integer()]
    )
    shares = [c for c, t in table.schema.items() if t.is_float()]

    def small(c: str) -> pl.Expr:
        return (pl.col(c) > 0) & (pl.col(c) < threshold)

    on_row = pl.any_horizontal([small(c) for c in names]) if names else pl.lit(False)
    hidden = on_row.any() if shares_of_total else on_row
    return table.with_columns(
        *(
            pl.when(small(c)).then(pl.lit(SUPPRESSED)).otherwise(pl.col(c).cast(pl.String)).alias(c)
            for c in names
        ),
        *(
            pl.when(hidden).then(pl.lit(SUPPRESSED)).otherwise(pl.col(c).cast(pl.String)).alias(c)
            for c in shares
        ),
    )
