"""The store's cases as tables: one row per case, one row per deadline.

Internal: import its public names from :mod:`disruption.analysis` (``docs/api.md``); the module
itself may move or change without notice.

Breakdown analysis works on these two polars tables, never on events or free text: every
column is a code, a date, a count or a pseudonymous reference, so an erased child's figures
stay the same.

Example:
    >>> from datetime import date
    >>> from disruption.analysis.cases import case_table
    >>> table = case_table([])
    >>> table.height, "reason_group" in table.columns
    (0, True)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

import polars as pl

from disruption.core.decide import LATE_ENTRY
from disruption.core.fold import replay
from disruption.core.system import IMPORTED, MISSED
from disruption.domain.calendar import DEFAULT_CALENDAR, WorkingCalendar
from disruption.domain.clock import london_date
from disruption.domain.codes import placement_type_group, provider_group, reason_group
from disruption.domain.events import Event
from disruption.domain.model import Case, Ending, Role
from disruption.engine.ports import EventFeed
from disruption.exceptions import UnknownCode
from disruption.procedure.definition import Procedure
from disruption.procedure.standard import STANDARD

__all__ = [
    "CASE_SCHEMA",
    "DEADLINE_SCHEMA",
    "ENTRY_SCHEMA",
    "MEETING_SCHEMA",
    "RECOMMENDATION_SCHEMA",
    "REQUIRED_SCHEMA",
    "SIBLING_SCHEMA",
    "case_table",
    "deadline_table",
    "entry_table",
    "load_cases",
    "meeting_table",
    "recommendation_table",
    "replayed_cases",
    "required_table",
    "sibling_table",
]

CASE_SCHEMA: Mapping[str, pl.DataType] = {
    "case": pl.String(),
    "child": pl.String(),
    "state": pl.String(),
    "placement_type": pl.String(),
    "type_group": pl.String(),
    "provider": pl.String(),
    "provider_group": pl.String(),
    "location": pl.String(),
    "carer": pl.String(),
    "start": pl.Date(),
    "end": pl.Date(),
    "reason": pl.String(),
    "reason_group": pl.String(),
    "planned": pl.Boolean(),
    "concerns": pl.Int32(),
    "first_concern": pl.Date(),
    "support": pl.List(pl.String()),
    "meetings": pl.Int32(),
    "review_factors": pl.List(pl.String()),
    "review_waived": pl.Boolean(),
}
"""The columns of :func:`case_table`: codes, dates and counts only."""

DEADLINE_SCHEMA: Mapping[str, pl.DataType] = {
    "case": pl.String(),
    "deadline": pl.String(),
    "opened_on": pl.Date(),
    "due": pl.Date(),
    "status": pl.String(),
    "closed_on": pl.Date(),
}
"""The columns of :func:`deadline_table`."""

RECOMMENDATION_SCHEMA: Mapping[str, pl.DataType] = {
    "case": pl.String(),
    "recommendation": pl.String(),
    "owner": pl.String(),
    "agreed_on": pl.Date(),
    "due": pl.Date(),
    "completed_on": pl.Date(),
}
"""The columns of :func:`recommendation_table` (codes and dates: never the words)."""

MEETING_SCHEMA: Mapping[str, pl.DataType] = {
    "case": pl.String(),
    "held_on": pl.Date(),
    "iro_invited": pl.Boolean(),
    "iro_attended": pl.Boolean(),
    "child_views": pl.Boolean(),
    "carer_views": pl.Boolean(),
}
"""The columns of :func:`meeting_table`: whether, never what (the views are free text)."""

REQUIRED_SCHEMA: Mapping[str, pl.DataType] = {
    "case": pl.String(),
    "end": pl.Date(),
    "trigger": pl.String(),
}
"""The columns of :func:`required_table`."""

SIBLING_SCHEMA: Mapping[str, pl.DataType] = {
    "group": pl.String(),
    "child": pl.String(),
}
"""The columns of :func:`sibling_table`: references only."""

ENTRY_SCHEMA: Mapping[str, pl.DataType] = {
    "case": pl.String(),
    "command": pl.String(),
    "happened": pl.Date(),
    "entered": pl.Date(),
    "flagged": pl.Boolean(),
}
"""The columns of :func:`entry_table`, before ``working_days_late`` is added."""

LEFT_CARE = "left care"
"""The ``reason_group`` of an ending with which the child left care (it has no reason)."""

_PAGE = 10_000


def _events_by_case(store: EventFeed) -> dict[str, list[Event]]:
    by_case: dict[str, list[Event]] = defaultdict(list)
    position = 0
    while page := store.read_after(position, _PAGE):
        for stored in page:
            by_case[stored.event.case].append(stored.event)
        position = page[-1].position
    return by_case


def entry_table(store: EventFeed, calendar: WorkingCalendar = DEFAULT_CALENDAR) -> pl.DataFrame:
    """One row per step entered: how late it was entered.

    Deadline-sweep bookkeeping and imported SSDA903 history are left out.

    Args:
        store: The store to read.
        calendar: The working days to count lateness in.

    Returns:
        The columns of :data:`ENTRY_SCHEMA` and ``working_days_late``: the working days after
        the day it happened up to and including the day it was entered (London dates; 0 when
        entered the same day or before), and ``flagged`` when it was entered beyond the
        backdating limit of its procedure.
    """
    rows = []
    position = 0
    while page := store.read_after(position, _PAGE):
        for stored in page:
            e = stored.event
            if e.type != MISSED and IMPORTED not in e.data:
                rows.append(
                    (
                        e.case,
                        e.command,
                        london_date(e.at),
                        london_date(e.recorded_at),
                        LATE_ENTRY in e.data,
                    )
                )
        position = page[-1].position
    table = pl.DataFrame(rows, schema=dict(ENTRY_SCHEMA), orient="row", infer_schema_length=0)
    if table.height == 0:
        return table.with_columns(pl.lit(0, pl.Int32).alias("working_days_late"))
    first, last = table["happened"].min(), table["entered"].max()
    years = range(min(first.year, last.year), max(first.year, last.year) + 2)  # type: ignore[union-attr]
    closed = sorted(
        {d for y in years for d, _ in calendar.bank_holidays(y)} | set(calendar.closures)
    )
    late = pl.business_day_count(
        pl.col("happened").dt.offset_by("1d"), pl.col("entered").dt.offset_by("1d"), holidays=closed
    )
    return table.with_columns(late.clip(lower_bound=0).cast(pl.Int32).alias("working_days_late"))


def load_cases(store: EventFeed, procedures: Iterable[Procedure] = (STANDARD,)) -> list[Case]:
    """Rebuild every case in a store by folding its events (no state machine involved).

    Args:
        store: The store to read, in pages of 10,000 events by global position.
        procedures: The definitions the cases were opened under; a case opened under one not
            given is folded with the first one's recorders.

    Returns:
        The cases, in the order their first events were stored.
    """
    return [case for case, _ in replayed_cases(store, procedures)]


def replayed_cases(
    store: EventFeed,
    procedures: Iterable[Procedure] = (STANDARD,),
    *,
    progress: Callable[[int, int], object] | None = None,
) -> list[tuple[Case, list[Event]]]:
    """Every case of a store rebuilt from its events, with those events.

    Args:
        store: The store, read in pages through its event feed.
        procedures: As for :func:`load_cases`.
        progress: Called with (cases rebuilt, cases in all) as each case is rebuilt.

    Returns:
        Each case and its events, in the order their first events were stored.
    """
    by_ref = {(p.name, p.version): p for p in procedures}
    fallback = next(iter(by_ref.values()))
    cases: list[tuple[Case, list[Event]]] = []
    grouped = _events_by_case(store).values()
    for done, events in enumerate(grouped, start=1):
        procedure = by_ref.get(_ref(events[0]), fallback)
        case = replay(events, procedure.records)
        if case is not None:
            cases.append((case, events))
        if progress is not None:
            progress(done, len(grouped))
    return cases


def _ref(opening: Event) -> tuple[str, int]:
    data = opening.data.get("procedure")
    if isinstance(data, Mapping):
        return str(data.get("name")), int(data.get("version", 0))
    return ("", 0)


def _group_or_none(group: Callable[[str], str], code: str | None) -> str | None:
    if code is None:
        return None
    try:
        return group(code)
    except UnknownCode:
        return None


def _ending_group(ending: Ending | None) -> str | None:
    if ending is None:
        return None
    if ending.left_care:
        return LEFT_CARE
    return _group_or_none(reason_group, ending.reason or None)


def _row(case: Case) -> tuple[object, ...]:
    placement, ending, review = case.placement, case.ending, case.review
    support = case.support
    return (
        case.id,
        case.child,
        case.state,
        placement.type,
        _group_or_none(placement_type_group, placement.type),
        placement.provider,
        _group_or_none(provider_group, placement.provider),
        placement.location.value,
        placement.carer,
        placement.start,
        ending.end if ending else None,
        (ending.reason or None) if ending else None,
        _ending_group(ending),
        ending.planned if ending else None,
        len(case.concerns),
        case.concerns[0].on if case.concerns else None,
        [s.value for s in support.support] if support else [],
        len(case.meetings),
        list(review.factors) if review else [],
        review.waived if review else None,
    )


def case_table(cases: Iterable[Case]) -> pl.DataFrame:
    """One row per case: placement, ending, and what the procedure recorded, as codes.

    Args:
        cases: The cases (for example from :func:`load_cases`).

    Returns:
        A table with the columns of :data:`CASE_SCHEMA`; ``support`` holds the types of the
        latest support offer.
    """
    return pl.DataFrame(
        (_row(c) for c in cases), schema=dict(CASE_SCHEMA), orient="row", infer_schema_length=0
    )


def _deadline_rows(cases: Iterable[Case]) -> Iterator[tuple[object, ...]]:
    for case in cases:
        for d in case.deadlines:
            yield (case.id, d.name, d.opened_on, d.due, d.status.value, d.closed_on)


def recommendation_table(cases: Iterable[Case]) -> pl.DataFrame:
    """One row per recommendation of a chair's report: its owner role and dates.

    Args:
        cases: The cases.

    Returns:
        A table with the columns of :data:`RECOMMENDATION_SCHEMA`; ``agreed_on`` is the date
        the report was issued, ``completed_on`` null while it is not completed.
    """
    rows = [
        (case.id, r.id, r.owner.value, case.report.issued_on, r.due, r.completed_on)
        for case in cases
        if case.report is not None
        for r in case.recommendations
    ]
    return pl.DataFrame(
        rows, schema=dict(RECOMMENDATION_SCHEMA), orient="row", infer_schema_length=0
    )


def meeting_table(cases: Iterable[Case]) -> pl.DataFrame:
    """One row per stability meeting held: who was invited and attended, whose views.

    Args:
        cases: The cases.

    Returns:
        A table with the columns of :data:`MEETING_SCHEMA`; ``iro_invited`` is null when the
        meeting recorded no invitations, ``carer_views`` null when it recorded neither the
        carer's views nor why not.
    """
    rows = [
        (
            case.id,
            m.held_on,
            (Role.IRO in m.invited) if m.invited else None,
            Role.IRO in m.attendees,
            m.child_views_obtained,
            m.carer_views_obtained,
        )
        for case in cases
        for m in case.meetings
        if m.held_on is not None
    ]
    return pl.DataFrame(rows, schema=dict(MEETING_SCHEMA), orient="row", infer_schema_length=0)


def required_table(cases: Iterable[Case]) -> pl.DataFrame:
    """One row per trigger of an ending that required a meeting by the placement history.

    Args:
        cases: The cases.

    Returns:
        A table with the columns of :data:`REQUIRED_SCHEMA`.
    """
    rows = [
        (case.id, case.ending.end, trigger)
        for case in cases
        if case.ending is not None
        for trigger in case.meeting_required
    ]
    return pl.DataFrame(rows, schema=dict(REQUIRED_SCHEMA), orient="row", infer_schema_length=0)


def sibling_table(cases: Iterable[Case]) -> pl.DataFrame:
    """One row per child of a sibling group: the group's and the child's references.

    A group's children are those of the cases linked to it (``link_siblings``) and of the
    cases those links name, when the store holds them; a child is in a group once, however
    many of their cases are linked.

    Args:
        cases: The cases.

    Returns:
        A table with the columns of :data:`SIBLING_SCHEMA`, sorted.
    """
    every = list(cases)
    child_of = {case.id: case.child for case in every}
    rows: set[tuple[str, str]] = set()
    for case in every:
        group = case.siblings
        if group is None:
            continue
        rows.add((group.group, case.child))
        rows.update((group.group, child_of[c]) for c in group.cases if c in child_of)
    return pl.DataFrame(
        sorted(rows), schema=dict(SIBLING_SCHEMA), orient="row", infer_schema_length=0
    )


def deadline_table(cases: Sequence[Case]) -> pl.DataFrame:
    """One row per deadline ever set: its case, name, dates and status.

    Args:
        cases: The cases.

    Returns:
        A table with the columns of :data:`DEADLINE_SCHEMA`; ``status`` is ``open``, ``met``,
        ``late`` or ``cancelled``.
    """
    return pl.DataFrame(
        list(_deadline_rows(cases)),
        schema=dict(DEADLINE_SCHEMA),
        orient="row",
        infer_schema_length=0,
    )
