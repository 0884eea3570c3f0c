"""System events: what the library records by itself, built here and only here.

Four kinds of event are not decided from a person's command: a deadline recorded missed by
the sweep (:func:`missed_events`), a case moved to another version of its procedure
(:func:`migration_event`), a child's free text erased (:func:`erasure_event`) and history
imported from SSDA903 returns (:func:`imported_event`, marked with :data:`IMPORTED`). This
module owns their type names and actors; the fold (:mod:`disruption.core.fold`) reads the
names from here, the engine and the SSDA903 import call the builders, and a store is handed
the sweep's builder by the engine (storage claims the deadlines, the core decides the events).
The sweep's, the migration's and the erasure's events are *bookkeeping* (:data:`BOOKKEEPING`,
and :data:`MIGRATED`): they do not count as the case's last step, so a late entry of what
really happened is still accepted.

>>> from datetime import date, datetime, timezone
>>> from disruption.domain.model import Deadline
>>> at = datetime(2026, 1, 5, 6, tzinfo=timezone.utc)
>>> due = Deadline("D-1", "screening", opened_on=date(2025, 12, 23), due=date(2026, 1, 2))
>>> (event,) = missed_events("P-1", 3, "concern_raised", [due], on=at.date(), recorded_at=at)
>>> event.type, event.seq, event.actor.id, event.to_state
('DeadlineMissed', 4, 'sweeper', 'concern_raised')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from disruption.domain.events import DeadlineChange, Event
from disruption.domain.model import Actor, Case, Deadline, Role
from disruption.domain.payloads import is_text_ref
from disruption.procedure.definition import Procedure

__all__ = [
    "BOOKKEEPING",
    "ERASED",
    "ERASER",
    "IMPORTED",
    "IMPORTER",
    "MIGRATED",
    "MIGRATOR",
    "MISSED",
    "SWEEPER",
    "erasure_due",
    "erasure_event",
    "imported_event",
    "migration_event",
    "missed_events",
]

MISSED = "DeadlineMissed"
"""The type of the bookkeeping event a sweep records for an overdue deadline."""
MIGRATED = "ProcedureMigrated"
"""The type of the event that moves a case to another version of its procedure."""
ERASED = "PersonalDataErased"
"""The type of the event that records, in each of a child's cases, that their text was erased."""
BOOKKEEPING = frozenset({MISSED, ERASED})
"""Recorded by a sweep or an erasure: they neither change the state nor count as the case's
last step."""
IMPORTED = "imported"
"""The key, in an imported event's data, of where it came from."""

SWEEPER = Actor("sweeper", Role.SYSTEM)
"""The actor of sweep events."""
MIGRATOR = Actor("migration", Role.SYSTEM)
"""The actor of migration events when none is given."""
ERASER = Actor("erasure", Role.SYSTEM)
"""The actor of erasure events when none is given."""
IMPORTER = Actor("ssda903-import", Role.SYSTEM)
"""The actor of events imported from SSDA903 returns."""


def missed_events(
    case: str,
    version: int,
    state: str,
    deadlines: Sequence[Deadline],
    *,
    on: date,
    recorded_at: datetime,
) -> tuple[Event, ...]:
    """Build the ``DeadlineMissed`` events a sweep records, one per overdue deadline.

    These are bookkeeping events: they keep the state and do not move the case's last step
    (``Case.updated_at``), so a late entry of what really happened is still accepted.

    Args:
        case: The case reference.
        version: The case's current version (the first event is ``version + 1``).
        state: The case's state.
        deadlines: The overdue deadlines, each still open and not yet recorded missed.
        on: The day the sweep judged on.
        recorded_at: When the sweep runs; also the events' ``at``.

    Returns:
        The events, numbered after ``version``.
    """
    return tuple(
        Event(
            case=case,
            seq=version + n,
            type=MISSED,
            command="tick",
            at=recorded_at,
            recorded_at=recorded_at,
            actor=SWEEPER,
            data={"deadline": d.name, "id": d.id, "due": d.due.isoformat(), "on": on.isoformat()},
            from_state=state,
            to_state=state,
            deadlines=(DeadlineChange(d.id, d.name, "missed", on=on),),
        )
        for n, d in enumerate(deadlines, start=1)
    )


def migration_event(
    case: Case,
    to_state: str,
    to: Procedure,
    mapping: Mapping[str, str],
    *,
    at: datetime,
    actor: Actor = MIGRATOR,
) -> Event:
    """The event that moves one case to the definition ``to`` (see :mod:`~disruption.core.migrate`).

    Its open deadlines that ``to`` also has stay as they are (their due dates are not
    recomputed); the others are cancelled.

    Args:
        case: The case.
        to_state: Its state in the new definition.
        to: The new definition.
        mapping: The migration's mapping of old states to new, recorded in the event.
        at: When the migration runs.
        actor: Who runs it.

    Returns:
        The event, numbered after the case's version.
    """
    new_deadlines = {d.name for d in to.deadlines}
    cancelled = tuple(
        DeadlineChange(d.id, d.name, "cancelled", on=at.date())
        for d in case.open_deadlines()
        if d.name not in new_deadlines
    )
    ref = case.procedure
    return Event(
        case=case.id,
        seq=case.version + 1,
        type=MIGRATED,
        command="migrate",
        at=at,
        recorded_at=at,
        actor=actor,
        data={
            "from": {"name": ref.name, "version": ref.version},
            "to": {"name": to.name, "version": to.version},
            "mapping": dict(sorted(mapping.items())),
        },
        from_state=case.state,
        to_state=to_state,
        deadlines=cancelled,
    )


def _holds_text(value: object) -> bool:
    if is_text_ref(value):
        return True
    if isinstance(value, Mapping):
        return any(_holds_text(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_text(v) for v in value)
    return False


def erasure_due(events: Sequence[Event]) -> bool:
    """Whether erasing a child records an erasure in this case of theirs.

    It does unless an erasure is recorded already and no free text was written after it:
    erasing twice records nothing new.

    Args:
        events: The case's events, in order.

    Returns:
        ``True`` when the case has no erasure yet, or free text came after the last one.
    """
    for event in reversed(events):
        if event.type == ERASED:
            return False
        if _holds_text(event.data):
            return True
    return True


def erasure_event(case: Case, child: str, *, at: datetime, actor: Actor = ERASER) -> Event:
    """The bookkeeping event that records, in one of a child's cases, that their text was erased.

    Args:
        case: The case.
        child: The child's pseudonymous reference.
        at: When the erasure runs.
        actor: Who erases.

    Returns:
        The event, numbered after the case's version; the state is unchanged.
    """
    return Event(
        case=case.id,
        seq=case.version + 1,
        type=ERASED,
        command="erase",
        at=at,
        recorded_at=at,
        actor=actor,
        data={"child": child},
        from_state=case.state,
        to_state=case.state,
    )


def imported_event(
    procedure: Procedure,
    case: str,
    seq: int,
    command: str,
    *,
    at: datetime,
    recorded_at: datetime,
    data: Mapping[str, object],
    source: Mapping[str, object],
    from_state: str | None,
    to_state: str,
) -> Event:
    """An event of history imported from elsewhere: built as it happened, not decided.

    History is not live procedure work: an imported unplanned ending opens no deadline that
    would be overdue the moment it lands. The event is the one ``command`` records in
    ``procedure``, by :data:`IMPORTER`, with ``source`` under :data:`IMPORTED` in its data.

    Args:
        procedure: The procedure the case is opened under.
        case: The case reference.
        seq: The event's number in the case.
        command: The command whose event it is (``open_case``, ``end_placement``).
        at: When it happened.
        recorded_at: When the import runs.
        data: The event's data.
        source: Where it came from (``{"from": "ssda903", "file": ..., "row": ...}``).
        from_state: The state before (``None`` for the opening).
        to_state: The state after.

    Returns:
        The event.
    """
    return Event(
        case=case,
        seq=seq,
        type=procedure.command(command).event,
        command=command,
        at=at,
        recorded_at=recorded_at,
        actor=IMPORTER,
        data={**data, IMPORTED: dict(source)},
        from_state=from_state,
        to_state=to_state,
    )
