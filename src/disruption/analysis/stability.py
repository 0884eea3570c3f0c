"""The DfE placement-stability measures, computed exactly as defined here.

Internal: import its public names from :mod:`disruption.analysis` (``docs/api.md``); the module
itself may move or change without notice.

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
  carer since Y minus 2 years or earlier, or placed for adoption with the adoptive placement
  and the placement before it together lasting 2 years: the placement on Y is a placement for
  adoption (PLACE A3-A6), the current carer began with one, and the carer before began on or
  before Y minus 2 years. The carer changes where a placement starts with RNE S, P or B or
  after a gap in care; T and U keep the carer; temporary placements are skipped, as in the
  placement histories.

Each measure is a numerator, a denominator and a percentage (one decimal; ``None`` when the
denominator is 0). Dates move by calendar months (a year from 29 February is 28 February),
computed once per year end with ``pendulum``
(:func:`~disruption.domain.dates.months_before`); the children's columns are then compared
with those dates by polars. A child's age is in whole years
(:func:`~disruption.domain.dates.age_on`): someone born on 29 February turns a year older on
1 March in other years, which is what comparing dates of birth with ``months_before`` gives.

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

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Final

import polars as pl

from disruption.analysis.cases import case_table, replayed_cases
from disruption.core.system import IMPORTED
from disruption.domain.codes import (
    PLACEMENT_TYPE_GROUPS,
    SHORT_BREAK_LEGAL_STATUSES,
    TEMPORARY_PLACEMENTS,
)
from disruption.domain.dates import months_before
from disruption.domain.events import Event
from disruption.domain.model import Case
from disruption.engine.ports import EventFeed
from disruption.procedure.definition import Procedure
from disruption.procedure.standard import STANDARD
from disruption.ssda903.historic import EPISODE_FIELDS
from disruption.ssda903.placements import placements_with_carers

__all__ = [
    "ADOPTION_PLACEMENTS",
    "MEASURES",
    "episodes_of_cases",
    "inputs_of",
    "long_term_cohort",
    "months_of_birth_suffice",
    "stability",
    "store_inputs",
]

MEASURES: Final = ("short_term", "two_year", "long_term")
"""The measures, in the order they are reported."""
_DAY: Final = timedelta(days=1)
ADOPTION_PLACEMENTS: Final = frozenset(PLACEMENT_TYPE_GROUPS["Placed for adoption"])
"""PLACE codes of a placement for adoption (A3-A6), for the long-term measure's clause."""


def _measure(numerator: int, denominator: int) -> dict[str, Any]:
    percent = round(100 * numerator / denominator, 1) if denominator else None
    return {"numerator": numerator, "denominator": denominator, "percent": percent}


def _chains(episodes: pl.DataFrame) -> pl.DataFrame:
    """Each episode with whether it follows a gap in care, and the date its chain began.

    The episodes are sorted by child and start, so that a chain is a run of rows: no window
    per child.
    """
    new_child = pl.col("child") != pl.col("child").shift()
    gap = (new_child | (pl.col("decom") != pl.col("dec").shift())).fill_null(True)
    since = pl.when(pl.col("gap")).then(pl.col("decom")).forward_fill()
    return episodes.with_columns(gap.alias("gap")).with_columns(since.alias("since"))


def _sorted(episodes: pl.DataFrame) -> pl.DataFrame:
    return episodes.sort("child", "decom", maintain_order=True)


def _cohort(chained: pl.DataFrame, header: pl.DataFrame | None, y: date) -> pl.DataFrame:
    open_on_y = chained.filter(
        (pl.col("decom") <= y) & (pl.col("dec").is_null() | (pl.col("dec") > y))
    )
    latest = open_on_y.sort("decom").unique("child", keep="last")
    # An unknown legal status (a live case with no episode before it) is not a short break.
    short_break = pl.col("ls").is_in(list(SHORT_BREAK_LEGAL_STATUSES)).fill_null(False)
    cohort = latest.filter(~short_break)
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


def _carers(placements: pl.DataFrame, y: date) -> pl.DataFrame:
    """Per child: when the current carer began, when the carer before began, and adoption.

    ``carer_since`` is the start of the latest placement (on or before Y) that changed the
    carer, ``previous_since`` the start of the one that changed it before that, and
    ``adoptive`` whether the placement that began the current carer and the placement on Y
    are both placements for adoption (the adoption clause of the long-term measure).
    Placements are sorted by child and start, so "latest" is "last".
    """
    adoption = pl.col("type").is_in(list(ADOPTION_PLACEMENTS)).fill_null(False)
    upto = placements.filter(pl.col("start") <= y).with_columns(adoption.alias("adoption"))
    carers = (
        upto.filter(pl.col("new_carer"))
        .group_by("child")
        .agg(
            pl.col("start").last().alias("carer_since"),
            pl.when(pl.len() > 1)
            .then(pl.col("start").slice(-2, 1).first())
            .alias("previous_since"),
            pl.col("adoption").last().alias("began_adoptive"),
        )
    )
    on_y = upto.group_by("child").agg(
        (pl.col("adoption") & (pl.col("end").is_null() | (pl.col("end") > y)))
        .last()
        .alias("adoptive_on_y")
    )
    adoptive = pl.col("began_adoptive") & pl.col("adoptive_on_y").fill_null(False)
    return carers.join(on_y, on="child", how="left").select(
        "child", "carer_since", "previous_since", adoptive.alias("adoptive")
    )


def _stable(y: date) -> pl.Expr:
    """In the long-term numerator: the same carer for 2 years, or the adoption clause."""
    two_years = months_before(y, 2 * 12)
    same_carer = (pl.col("carer_since") <= two_years).fill_null(False)
    adopted = (pl.col("adoptive") & (pl.col("previous_since") <= two_years)).fill_null(False)
    return same_carer | adopted


def _under_16_since(y: date) -> pl.Expr:
    """In the long-term cohort: under 16 on Y, looked after continuously for 2.5 years."""
    # Their 16th birthday after Y: age_on(dob, Y) < 16, compared as dates over the column.
    under_16 = pl.col("dob").is_not_null() & (pl.col("dob") > months_before(y, 16 * 12))
    return under_16 & (pl.col("since") <= months_before(y, 2 * 12 + 6))


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
    cohort = _cohort(_chains(_sorted(episodes)), header, year_end)
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
    ordered = _sorted(episodes)
    cohort = _cohort(_chains(ordered), header, y)
    placements = placements_with_carers(ordered, presorted=True)
    year = _placements_in(placements, months_before(y, 12) + _DAY, y)
    two = _placements_in(placements, months_before(y, 24) + _DAY, y)
    counted = (
        cohort.join(year, on="child", how="left")
        .join(two.rename({"placements": "placements_2y"}), on="child", how="left")
        .join(_carers(placements, y), on="child", how="left")
    )
    counted = counted.with_columns(pl.col("placements", "placements_2y").fill_null(0))
    short = counted.filter(pl.col("placements") >= 3).height
    two_year = counted.filter(pl.col("since") <= months_before(y, 24))
    long_term = counted.filter(_under_16_since(y))
    stable = long_term.filter(_stable(y)).height
    return {
        "year_end": y.isoformat(),
        "short_term": _measure(short, counted.height),
        "two_year": _measure(two_year.filter(pl.col("placements_2y") >= 3).height, two_year.height),
        "long_term": _measure(stable, long_term.height),
    }


def _synthesised(table: pl.DataFrame) -> pl.DataFrame:
    ordered = table.sort("child", "start")
    previous_end = pl.col("end").shift().over("child")
    previous_carer = pl.col("carer").shift().over("child")
    gap = previous_end.is_null() | (previous_end != pl.col("start"))
    same_carer = pl.col("carer").is_not_null() & (pl.col("carer") == previous_carer)
    rne = pl.when(gap).then(pl.lit("S")).when(same_carer).then(pl.lit("T")).otherwise(pl.lit("P"))
    return ordered.select(
        "case",
        "child",
        pl.col("start").alias("decom"),
        pl.col("end").alias("dec"),
        rne.alias("rne"),
        pl.lit(None, pl.String).alias("ls"),
        pl.col("placement_type").alias("place"),
        pl.col("provider").alias("place_provider"),
        pl.col("carer").alias("urn"),
        pl.when(pl.col("end").is_null()).then(None).otherwise(pl.lit("X1")).alias("rec"),
        pl.col("reason").alias("reason_place_change"),
    )


def episodes_of_cases(table: pl.DataFrame) -> pl.DataFrame:
    """Episodes, one per placement, from the store's case table, for :func:`stability`.

    Each case becomes one episode. A child's first placement, and one after a gap in care,
    starts with RNE ``S``; a later one ``T`` when it has the same carer reference as the one
    before, ``P`` otherwise. The case table holds no legal status: ``ls`` is ``C2``. Imported
    history keeps its episodes; :func:`store_inputs` uses them.

    Args:
        table: The case table (:func:`disruption.analysis.case_table`).

    Returns:
        Episodes with the columns :func:`stability` reads.
    """
    return _synthesised(table).drop("case").with_columns(pl.lit("C2").alias("ls"))


_STORED_SCHEMA: Final = {
    "case": pl.String,
    "child": pl.String,
    "decom": pl.String,
    "dec": pl.String,
    "rne": pl.String,
    "ls": pl.String,
    "place": pl.String,
    "urn": pl.String,
}


def _stored_cases(
    replayed: Iterable[tuple[Case, Sequence[Event]]],
) -> tuple[list[Case], list[tuple[str | None, ...]], dict[str, str]]:
    """The cases, the episodes imported cases keep, and the months of birth."""
    cases: list[Case] = []
    episodes: list[tuple[str | None, ...]] = []
    born: dict[str, str] = {}
    for case, events in replayed:
        cases.append(case)
        source = events[0].data.get(IMPORTED)
        if not isinstance(source, Mapping):
            continue
        if isinstance(month := source.get("born"), str):
            born[case.child] = month
        for e in source.get("episodes") or ():
            episodes.append((case.id, case.child, *(e.get(f) for f in EPISODE_FIELDS)))
    return cases, episodes, born


def store_inputs(
    store: EventFeed, procedures: Iterable[Procedure] = (STANDARD,)
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Episodes and months of birth from a store, for :func:`stability`.

    A case imported from SSDA903 returns keeps the episodes it was derived from (its
    opening event's ``imported.episodes``: dates, RNE, legal status, PLACE and URN) and the
    child's month of birth (``imported.born``, ``YYYY-MM``): they are used as they are, so
    the store gives the figures of the returns it was imported from. A placement ended live
    after the import ends its last episode (unless that is an open temporary one, which is
    not the placement's). Any other case (live, or imported before the episodes were kept)
    becomes one episode as in :func:`episodes_of_cases`, with the legal status of the
    child's episode before it (none for a child's first).

    Args:
        store: The store.
        procedures: The definitions the cases were opened under (as for ``load_cases``).

    Returns:
        The episodes, and header rows (``child``, ``dob``) with each date of birth the last
        day of the month of birth kept: exact for the under-16 test on a year end whose date
        16 years before is a month's last day (31 March: see :func:`months_of_birth_suffice`).
    """
    return inputs_of(replayed_cases(store, procedures))


def inputs_of(
    replayed: Iterable[tuple[Case, Sequence[Event]]],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """:func:`store_inputs` from cases already rebuilt with their events.

    Args:
        replayed: Each case and its events (:func:`~disruption.analysis.cases.replayed_cases`).

    Returns:
        As :func:`store_inputs`.
    """
    cases, stored, born = _stored_cases(replayed)
    table = case_table(cases)
    synthesised = _synthesised(table)
    kept = pl.DataFrame(stored, schema=_STORED_SCHEMA, orient="row").with_columns(
        pl.col("decom", "dec").str.to_date("%Y-%m-%d")
    )
    ends = table.select(
        "case",
        pl.col("end").alias("_end"),
        pl.col("provider").alias("place_provider"),
        pl.col("reason").alias("reason_place_change"),
    )
    last = pl.col("decom") == pl.col("decom").max().over("case")
    # An open temporary episode after a placement is not the placement's: it stays open.
    temporary = pl.col("place").is_in(list(TEMPORARY_PLACEMENTS)).fill_null(False)
    kept = (
        kept.join(ends, on="case", how="left")
        .with_columns(
            pl.when(last & pl.col("dec").is_null() & ~temporary)
            .then(pl.col("_end"))
            .otherwise(pl.col("dec"))
            .alias("dec")
        )
        .with_columns(
            pl.when(pl.col("dec").is_null()).then(None).otherwise(pl.lit("X1")).alias("rec")
        )
        .select(synthesised.columns)
    )
    live = synthesised.filter(~pl.col("case").is_in(kept["case"].unique().implode()))
    episodes = (
        pl.concat([kept, live])
        .sort("child", "decom")
        .with_columns(pl.col("ls").forward_fill().over("child"))
        .drop("case")
    )
    header = pl.DataFrame(
        {"child": list(born), "born": list(born.values())},
        schema={"child": pl.String, "born": pl.String},
    ).select("child", pl.col("born").str.to_date("%Y-%m").dt.month_end().alias("dob"))
    return episodes, header


def months_of_birth_suffice(year_end: date) -> bool:
    """Whether months of birth decide the under-16 test on a year end.

    They do when the day 16 years before it is a month's last day (31 March: 31 March).

    >>> months_of_birth_suffice(date(2025, 3, 31)), months_of_birth_suffice(date(2025, 3, 30))
    (True, False)
    """
    return (months_before(year_end, 16 * 12) + _DAY).day == 1
