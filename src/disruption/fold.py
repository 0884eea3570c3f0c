"""The fold: a case is what its events make it.

``replay(events)`` rebuilds a case from its stored events alone: the state, version and
deadlines come from each event's envelope, and the records (concerns, meetings, the ending)
from the procedure's recorders. No state machine and no calendar is needed, so replaying a
million stored events is a loop over plain data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

import attrs

from disruption.clock import london_date
from disruption.definition import Recorder
from disruption.events import DeadlineChange, Event
from disruption.model import Case, Deadline, DeadlineStatus, Placement, ProcedureRef, Role

__all__ = ["evolve", "replay"]

_CLOSING = {
    "met": DeadlineStatus.MET,
    "late": DeadlineStatus.LATE,
    "cancelled": DeadlineStatus.CANCELLED,
}


def _opened(event: Event) -> Case:
    data = event.data
    p = data["placement"]
    procedure = data["procedure"]
    placement = Placement(
        id=p["id"],
        start=date.fromisoformat(p["start"]),
        type=p["type"],
        provider=p["provider"],
        location=p["location"],
        carer=p.get("carer"),
    )
    return Case(
        id=event.case,
        procedure=ProcedureRef(procedure["name"], procedure["version"]),
        state=event.to_state,
        version=event.seq,
        child=data["child"],
        placement=placement,
        updated_at=event.at,
    )


def _apply(
    deadlines: tuple[Deadline, ...], changes: tuple[DeadlineChange, ...]
) -> tuple[Deadline, ...]:
    result = list(deadlines)
    for change in changes:
        if change.change == "open":
            assert change.due is not None
            assert change.on is not None
            result.append(
                Deadline(
                    id=change.id,
                    name=change.name,
                    opened_on=change.on,
                    due=change.due,
                    earliest=change.earliest,
                )
            )
            continue
        index = next(i for i, d in enumerate(result) if d.id == change.id)
        if change.change == "missed":
            result[index] = attrs.evolve(result[index], missed_recorded=True)
        else:
            result[index] = attrs.evolve(
                result[index], status=_CLOSING[change.change], closed_on=change.on
            )
    return tuple(result)


def evolve(case: Case | None, event: Event, records: Mapping[str, Recorder]) -> Case:
    """Return the case after one event.

    Args:
        case: The case before, or ``None`` when ``event`` opens it.
        event: The event.
        records: The procedure's recorders, by event type.

    Returns:
        The new case.
    """
    if case is None:
        case = _opened(event)
    else:
        case = attrs.evolve(case, state=event.to_state, version=event.seq, updated_at=event.at)
    if event.deadlines:
        case = attrs.evolve(case, deadlines=_apply(case.deadlines, event.deadlines))
    if event.actor.role is Role.SOCIAL_WORKER and event.actor.id not in case.social_workers:
        case = attrs.evolve(case, social_workers=case.social_workers | {event.actor.id})
    recorder = records.get(event.type)
    return case if recorder is None else recorder(case, event)


def replay(events: Iterable[Event], records: Mapping[str, Recorder]) -> Case | None:
    """Rebuild a case from its events, oldest first.

    Args:
        events: The case's events in sequence order.
        records: The procedure's recorders, by event type.

    Returns:
        The case, or ``None`` when there are no events.
    """
    case: Case | None = None
    for event in events:
        case = evolve(case, event, records)
    return case


def event_date(event: Event) -> date:
    """The date an event happened, in Europe/London."""
    return london_date(event.at)
