"""Events: what happened to a case, in the past tense, and their stored form.

An event records the decision whole: the state it moved the case from and to, and every
deadline it opened, cleared or cancelled, with due dates already worked out. Replay therefore
needs neither the state machine nor the calendar: it is a fold (see :mod:`disruption.core.fold`).

Events carry pseudonymous references only. Free text (a child's views, reasons written in
words) is split off by the decision into :class:`PersonalText` items for the personal-data
store; the event keeps a ``{"ref": ...}`` in its place.

>>> from datetime import date, datetime, timezone
>>> from disruption.domain.model import Actor
>>> at = datetime(2025, 12, 23, 10, tzinfo=timezone.utc)
>>> e = Event(case="P-1", seq=2, type="ConcernRaised", command="raise_concern", at=at,
...           recorded_at=at, actor=Actor("sw-17", "social_worker"),
...           data={"category": "carer_difficulty", "raised_by": "carer"},
...           from_state="placed", to_state="concern_raised",
...           deadlines=(DeadlineChange("screening-2", "screening", "open",
...                                     due=date(2025, 12, 29), on=date(2025, 12, 23)),))
>>> event_from_record(event_to_record(e)) == e
True
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Literal

import attrs

from disruption.domain.model import Actor

__all__ = [
    "EVENT_SCHEMA_VERSION",
    "JSON",
    "DeadlineChange",
    "Event",
    "PersonalText",
    "event_from_record",
    "event_to_record",
]

EVENT_SCHEMA_VERSION = 1
"""The schema version written with every new event; older ones are upcast when read."""

JSON = Any
"""A JSON-ready value: str, int, float, bool, None, lists and string-keyed dicts of them."""

Change = Literal["open", "met", "late", "cancelled", "missed"]


@attrs.frozen
class DeadlineChange:
    """What an event did to one deadline.

    ``open`` starts it (with ``due`` and perhaps ``earliest``); ``met`` and ``late`` clear it
    on ``on``; ``cancelled`` closes it unmet and never overdue; ``missed`` records that a
    sweep found it overdue.
    """

    id: str
    name: str
    change: Change
    due: date | None = None
    earliest: date | None = None
    on: date | None = None


@attrs.frozen(hash=False)
class Event:
    """One recorded step of a case.

    Attributes:
        seq: 1-based number of the event within its case; the case's version after it.
        type: Past-tense name, for example ``ConcernRaised``.
        command: Name of the command that produced it.
        at: When it happened (timezone-aware).
        recorded_at: When it was entered into the system.
        data: The command's data, JSON-ready, with free text replaced by references.
        from_state: The state before (``None`` for the event that opens a case).
        to_state: The state after.
        deadlines: Every deadline opened, cleared, cancelled or recorded missed.
        command_id: The idempotency key of the command, if it had one.
        schema_version: The schema version of ``data``.
    """

    case: str
    seq: int
    type: str
    command: str
    at: datetime
    recorded_at: datetime
    actor: Actor
    data: Mapping[str, JSON]
    from_state: str | None
    to_state: str
    deadlines: tuple[DeadlineChange, ...] = ()
    command_id: str | None = None
    schema_version: int = EVENT_SCHEMA_VERSION


@attrs.frozen
class PersonalText:
    """Free text split off an event, for the personal-data store.

    Attributes:
        ref: The reference left in the event's data.
        child: The child's pseudonymous reference (the key of erasure).
        case: The case it belongs to.
        field: The command field it came from.
        text: The text itself.
    """

    ref: str
    child: str
    case: str
    field: str
    text: str = attrs.field(repr=False)


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def event_to_record(event: Event) -> dict[str, JSON]:
    """Return an event as a JSON-ready dict (the stored and published form).

    Args:
        event: The event.

    Returns:
        A dict with the envelope fields, ``data`` and ``deadlines``.
    """
    return {
        "case": event.case,
        "seq": event.seq,
        "type": event.type,
        "command": event.command,
        "at": event.at.isoformat(),
        "recorded_at": event.recorded_at.isoformat(),
        "actor": {"id": event.actor.id, "role": str(event.actor.role)},
        "data": dict(event.data),
        "from_state": event.from_state,
        "to_state": event.to_state,
        "deadlines": [
            {
                "id": d.id,
                "name": d.name,
                "change": d.change,
                "due": _iso(d.due),
                "earliest": _iso(d.earliest),
                "on": _iso(d.on),
            }
            for d in event.deadlines
        ],
        "command_id": event.command_id,
        "schema_version": event.schema_version,
    }


def event_from_record(record: Mapping[str, JSON]) -> Event:
    """Rebuild an event from its stored form (the inverse of :func:`event_to_record`).

    Args:
        record: A dict as written by :func:`event_to_record`.

    Returns:
        The event.
    """
    actor = record["actor"]
    return Event(
        case=record["case"],
        seq=record["seq"],
        type=record["type"],
        command=record["command"],
        at=datetime.fromisoformat(record["at"]),
        recorded_at=datetime.fromisoformat(record["recorded_at"]),
        actor=Actor(actor["id"], actor["role"]),
        data=record["data"],
        from_state=record["from_state"],
        to_state=record["to_state"],
        deadlines=tuple(
            DeadlineChange(
                id=d["id"],
                name=d["name"],
                change=d["change"],
                due=_date(d["due"]),
                earliest=_date(d["earliest"]),
                on=_date(d["on"]),
            )
            for d in record["deadlines"]
        ),
        command_id=record.get("command_id"),
        schema_version=record.get("schema_version", EVENT_SCHEMA_VERSION),
    )
