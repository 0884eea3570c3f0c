"""The fold: a case is what its events make it.

``replay(events)`` rebuilds a case from its stored events alone: the state, version and
deadlines come from each event's envelope, and the records (concerns, meetings, the ending)
from the procedure's recorders. No state machine and no calendar is needed, so replaying a
million stored events is a loop over plain data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import attrs

from disruption.core.system import BOOKKEEPING, IMPORTED, MIGRATED
from disruption.domain.chain import appended, replaced
from disruption.domain.clock import shared_date
from disruption.domain.events import DeadlineChange, Event
from disruption.domain.model import (
    Case,
    CaseFile,
    Deadline,
    DeadlineStatus,
    Placement,
    ProcedureRef,
    Role,
    filled,
)
from disruption.procedure.definition import FileRecorder, Recorder

__all__ = [
    "decided",
    "evolve",
    "opened",
    "replay",
]


_CLOSING = {
    "met": DeadlineStatus.MET,
    "late": DeadlineStatus.LATE,
    "cancelled": DeadlineStatus.CANCELLED,
}


_REFS: dict[tuple[str, int], ProcedureRef] = {}
"""One shared reference per definition cases are opened under (a few at most)."""
_REFS_LIMIT = 256


def _procedure_ref(name: str, version: int) -> ProcedureRef:
    key = (name, version)
    found = _REFS.get(key)
    if found is None:
        found = ProcedureRef(name, version)
        if len(_REFS) < _REFS_LIMIT:
            _REFS[key] = found
    return found


_ONES: dict[str, tuple[str]] = {}
"""One shared ``(social worker,)`` per social worker who opened cases (bounded)."""


def _one(actor_id: str) -> tuple[str]:
    found = _ONES.get(actor_id) if type(actor_id) is str else None
    if found is None:
        found = (actor_id,)
        if len(_ONES) < _REFS_LIMIT * 16 and type(actor_id) is str:
            _ONES[actor_id] = found
    return found


_NEW_CASE = filled(Case)
_NEW_DEADLINE = filled(Deadline)
_OPEN = DeadlineStatus.OPEN
if [f.name for f in attrs.fields(Deadline)] != [
    *("id", "name", "opened_on", "due", "earliest", "status", "closed_on", "missed_recorded")
]:  # pragma: no cover - a field moved: _new_deadline and _apply must follow
    raise ImportError("Deadline's fields moved: update fold._new_deadline and fold._apply")
"""``Deadline`` is built by position (:func:`_new_deadline`, :func:`_apply`)."""
_NEW_OPENED_FILE = filled(
    CaseFile, "procedure", "child", "placement", "social_workers", "imported", "open_deadlines"
)
"""A new case's file: what the opening gives, every other field its default (nothing
recorded yet)."""


def _opened(event: Event, placement: Placement | None = None) -> Case:
    data = event.data
    procedure = data["procedure"]
    if placement is None:
        p = data["placement"]
        placement = Placement(
            id=p["id"],
            start=shared_date(date.fromisoformat(p["start"])),
            type=p["type"],
            provider=p["provider"],
            location=p["location"],
            carer=p.get("carer"),
        )
    file = _NEW_OPENED_FILE(
        _procedure_ref(procedure["name"], procedure["version"]),
        data["child"],
        placement,
        _one(event.actor.id) if event.actor.role is Role.SOCIAL_WORKER else (),
        IMPORTED in data,
        (),  # no deadline open
    )
    return _NEW_CASE(event.case, event.to_state, event.seq, event.at, file)


def _index(deadlines: Sequence[Deadline], deadline_id: str) -> int:
    """Where a deadline is, looked for from the latest: the ones still open are mostly recent."""
    for index in range(len(deadlines) - 1, -1, -1):
        if deadlines[index].id == deadline_id:
            return index
    raise ValueError(f"no deadline {deadline_id}")


def _new_deadline(change: DeadlineChange) -> Deadline:
    """The deadline an ``open`` change starts."""
    assert change.due is not None
    assert change.on is not None
    return _NEW_DEADLINE(
        change.id, change.name, change.on, change.due, change.earliest, _OPEN, None, False
    )


def _apply(
    deadlines: Sequence[Deadline],
    still_open: tuple[Deadline, ...],
    changes: tuple[DeadlineChange, ...],
) -> tuple[Sequence[Deadline], tuple[Deadline, ...]]:
    """Every deadline, and those still open, after an event's changes.

    Neither copies the case's whole record of deadlines (see :mod:`disruption.domain.chain`): a
    step costs the same on a case with a long history.
    """
    if len(changes) == 1 and changes[0].change == "open":  # the common step: one opened
        one = (_new_deadline(changes[0]),)
        return appended(deadlines, one), still_open + one
    for change in changes:  # (a loop, not all() of a generator: on most steps)
        if change.change != "open":
            break
    else:  # every change opens one
        new = tuple([_new_deadline(change) for change in changes])
        return appended(deadlines, new), still_open + new
    result = deadlines
    open_ = list(still_open)
    for change in changes:
        kind = change.change
        if kind == "open":
            opened_ = _new_deadline(change)
            result = appended(result, (opened_,))
            open_.append(opened_)
            continue
        index = _index(result, change.id)
        d = result[index]
        # Built whole by position (Deadline has no validators), not through attrs.evolve.
        if kind == "missed":
            changed = _NEW_DEADLINE(
                d.id, d.name, d.opened_on, d.due, d.earliest, d.status, d.closed_on, True
            )
        else:
            changed = _NEW_DEADLINE(
                d.id, d.name, d.opened_on, d.due, d.earliest, _CLOSING[kind], change.on,
                d.missed_recorded,
            )  # fmt: skip
        result = replaced(result, index, changed)
        if d.status is DeadlineStatus.OPEN:
            at = _index(open_, d.id)
            if changed.status is DeadlineStatus.OPEN:
                open_[at] = changed
            else:
                del open_[at]
    return result, tuple(open_)


def evolve(case: Case | None, event: Event, records: Mapping[str, Recorder]) -> Case:
    """Return the case after one event.

    Each step builds the new case once: where it stands, and, when the event changed a
    deadline or brought a new social worker, one new case file (before its recorder, if any).

    Args:
        case: The case before, or ``None`` when ``event`` opens it.
        event: The event.
        records: The procedure's recorders, by event type.

    Returns:
        The new case.
    """
    if case is None:
        return _recorded(_opened(event), event, records)
    kind = event.type
    if kind in BOOKKEEPING:
        return _recorded(case, event, records, case.state, event.seq, case.updated_at)
    if kind == MIGRATED:
        to = event.data["to"]
        case = case.moved(event.to_state, event.seq, case.updated_at).with_file(
            procedure=ProcedureRef(to["name"], to["version"])
        )
        return _recorded(case, event, records)
    return _recorded(case, event, records, event.to_state, event.seq, event.at)


def decided(case: Case, event: Event, records: Mapping[str, Recorder], payload: Any) -> Case:
    """Return the case after an event just decided from ``payload``: ``evolve``'s case.

    A recorder that reads the payload (:attr:`FileRecorder.from_payload`, for that payload's
    class) is given it instead of the event's JSON data; the case is the same (replay, which
    has only the events, checks it).
    """
    return _recorded(case, event, records, event.to_state, event.seq, event.at, payload)


def opened(event: Event, placement: Placement, records: Mapping[str, Recorder]) -> Case:
    """Return the case an opening event makes, given its placement already read and checked.

    The same case as ``evolve(None, event, records)``, which reads the placement again from
    the event's data: what the decision of ``open_case`` uses, having the payload at hand.
    """
    case = _opened(event, placement)
    if not event.deadlines and records.get(event.type) is None:
        return case  # nothing to record: its social worker is in the file already
    return _recorded(case, event, records)


def _recorded(
    case: Case,
    event: Event,
    records: Mapping[str, Recorder],
    state: str | None = None,
    version: int = 0,
    updated_at: datetime | None = None,
    payload: Any = None,
) -> Case:
    """The case moved by an event, with the event's deadlines, actor and records.

    ``case`` is the case already moved, or (given ``state``, ``version`` and ``updated_at``)
    the case before, moved here with the rest: one new case built for the whole step.
    ``payload``, when given, is what the event was decided from (see :func:`decided`).
    """
    file = case.file
    actor = event.actor
    changes: dict[str, Any] = {}
    if actor.role is Role.SOCIAL_WORKER and actor.id not in file.social_workers:
        changes["social_workers"] = tuple(sorted((*file.social_workers, actor.id)))
    if event.deadlines:
        every, still_open = _apply(file.deadlines, case.open_deadlines(), event.deadlines)
        changes["deadlines"] = every
        changes["open_deadlines"] = still_open
    recorder = records.get(event.type)
    if type(recorder) is FileRecorder:  # one new file for the recorder's changes and these
        if state is not None:
            assert updated_at is not None
            case = case.moved(state, version, updated_at)  # what the recorder sees
        typed = recorder.from_payload
        if typed is not None and payload is not None and type(payload) is recorder.payload:
            recorded = typed(case, payload, event)
        else:
            recorded = recorder.changes(case, event)
        if "deadlines" in recorded and "open_deadlines" not in recorded:
            changes.pop("open_deadlines", None)  # as with_file would: no longer known
        changes.update(recorded)
        return case.rebuilt(case.state, case.version, case.updated_at, changes)
    if state is not None:
        assert updated_at is not None
        if changes:
            case = case.rebuilt(state, version, updated_at, changes)
        else:
            case = case.moved(state, version, updated_at)
    elif changes:
        case = case.with_file(**changes)
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
