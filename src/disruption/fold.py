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

from disruption.definition import Recorder
from disruption.events import DeadlineChange, Event
from disruption.model import (
    Case,
    CaseFile,
    Deadline,
    DeadlineStatus,
    Placement,
    ProcedureRef,
    Role,
)

__all__ = ["BOOKKEEPING", "evolve", "replay"]

BOOKKEEPING = frozenset({"DeadlineMissed", "PersonalDataErased"})
"""Recorded by a sweep or an erasure: they neither change the state nor count as the case's
last step."""
_MIGRATED = "ProcedureMigrated"
"""Moves a case to another definition's state: not the case's last step either."""

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
    file = CaseFile(
        procedure=ProcedureRef(procedure["name"], procedure["version"]),
        child=data["child"],
        placement=placement,
        imported="imported" in data,
    )
    return Case(event.case, event.to_state, event.seq, event.at, file)


def _apply(
    deadlines: tuple[Deadline, ...], changes: tuple[DeadlineChange, ...]
) -> tuple[Deadline, ...]:
    if not changes:
        return deadlines
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
    elif event.type in BOOKKEEPING:
        case = case.moved(case.state, event.seq, case.updated_at)
    elif event.type == _MIGRATED:
        to = event.data["to"]
        case = case.moved(event.to_state, event.seq, case.updated_at).with_file(
            procedure=ProcedureRef(to["name"], to["version"])
        )
    else:
        case = case.moved(event.to_state, event.seq, event.at)
    social_workers = case.file.social_workers
    if event.actor.role is Role.SOCIAL_WORKER and event.actor.id not in social_workers:
        social_workers = tuple(sorted((*social_workers, event.actor.id)))
    if event.deadlines or social_workers is not case.file.social_workers:
        case = case.with_file(
            deadlines=_apply(case.deadlines, event.deadlines), social_workers=social_workers
        )
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
