"""Conversions between the SQL store's rows and domain objects.

Events are read back through :func:`~disruption.store.upcast.upcast`, so an event written
with an older event schema version comes back in the current one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from disruption.events import JSON, DeadlineChange, Event, PersonalText, event_from_record
from disruption.model import Case, Deadline, DeadlineStatus
from disruption.store import upcast

__all__ = [
    "case_row",
    "command_rows",
    "deadline_from_row",
    "deadline_rows",
    "event_from_row",
    "event_rows",
    "text_rows",
]


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
"""JSON text of a value, as ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``."""


def case_row(case: Case) -> dict[str, Any]:
    """Return the ``cases`` row of a case.

    Args:
        case: The case.

    Returns:
        The row's values by column name.
    """
    return {
        "id": case.id,
        "procedure": case.procedure.name,
        "procedure_version": case.procedure.version,
        "state": case.state,
        "version": case.version,
        "child": case.child,
        "placement_type": case.placement.type,
        "placement_provider": case.placement.provider,
        "placement_start": case.placement.start.isoformat(),
        "location": str(case.placement.location),
        "updated_at": case.updated_at.isoformat(),
    }


def _deadline_change(d: DeadlineChange) -> dict[str, JSON]:
    due, earliest, on = d.due, d.earliest, d.on
    return {
        "id": d.id,
        "name": d.name,
        "change": d.change,
        "due": None if due is None else due.isoformat(),
        "earliest": None if earliest is None else earliest.isoformat(),
        "on": None if on is None else on.isoformat(),
    }


def _event_row(e: Event, position: int) -> dict[str, Any]:
    # The fields of event_to_record, built directly: bulk loads convert many events.
    data = e.data if type(e.data) is dict else dict(e.data)
    changes = [_deadline_change(d) for d in e.deadlines]
    return {
        "position": position,
        "case_id": e.case,
        "seq": e.seq,
        "type": e.type,
        "command": e.command,
        "command_id": e.command_id,
        "at": e.at.isoformat(),
        "recorded_at": e.recorded_at.isoformat(),
        "actor_id": e.actor.id,
        "actor_role": e.actor.role.value,
        "from_state": e.from_state,
        "to_state": e.to_state,
        "data": _json(data),
        "deadlines": _json(changes) if changes else "[]",
        "schema_version": e.schema_version,
    }


def event_rows(events: Iterable[Event], first: int) -> list[dict[str, Any]]:
    """Return the ``events`` rows of events, at positions from ``first`` on.

    Args:
        events: The events, in the order appended.
        first: The position of the first.

    Returns:
        One row per event, by column name.
    """
    return [_event_row(e, position) for position, e in enumerate(events, start=first)]


def event_from_row(row: Mapping[Any, Any]) -> Event:
    """Rebuild an event from its ``events`` row, upcast to the current event schema version.

    Args:
        row: The row, by column name.

    Returns:
        The event, equal to the one stored (when stored by this version).

    Raises:
        SchemaError: When the event was written by a newer version of disruption.
    """
    record = {
        "case": row["case_id"],
        "seq": row["seq"],
        "type": row["type"],
        "command": row["command"],
        "at": row["at"],
        "recorded_at": row["recorded_at"],
        "actor": {"id": row["actor_id"], "role": row["actor_role"]},
        "data": json.loads(row["data"]),
        "from_state": row["from_state"],
        "to_state": row["to_state"],
        "deadlines": json.loads(row["deadlines"]),
        "command_id": row["command_id"],
        "schema_version": row["schema_version"],
    }
    return event_from_record(upcast.upcast(record))


def command_rows(events: Sequence[Event], first: int) -> list[dict[str, Any]]:
    """Return the ``commands`` rows of events appended at positions from ``first`` on.

    Args:
        events: The events, in the order appended.
        first: The position of the first.

    Returns:
        One row per command id and case among the events, with the positions of its first
        and last event (so a command id given to two cases makes two rows with one key).
    """
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for position, e in enumerate(events, start=first):
        if e.command_id is None:
            continue
        row = found.setdefault(
            (e.command_id, e.case),
            {"id": e.command_id, "case_id": e.case, "first_position": position},
        )
        row["last_position"] = position
    return list(found.values())


def deadline_rows(case: Case) -> list[dict[str, Any]]:
    """Return the ``deadlines`` rows of a case's deadlines.

    Args:
        case: The case.

    Returns:
        One row per deadline, by column name.
    """
    return [
        {
            "case_id": case.id,
            "deadline_id": d.id,
            "name": d.name,
            "due": d.due.isoformat(),
            "earliest": _iso(d.earliest),
            "status": str(d.status),
            "opened_on": d.opened_on.isoformat(),
            "closed_on": _iso(d.closed_on),
            "missed_recorded": d.missed_recorded,
        }
        for d in case.deadlines
    ]


def deadline_from_row(row: Mapping[Any, Any]) -> Deadline:
    """Rebuild a deadline from its ``deadlines`` row.

    Args:
        row: The row, by column name.

    Returns:
        The deadline.
    """
    return Deadline(
        id=row["deadline_id"],
        name=row["name"],
        opened_on=date.fromisoformat(row["opened_on"]),
        due=date.fromisoformat(row["due"]),
        earliest=_date(row["earliest"]),
        status=DeadlineStatus(row["status"]),
        closed_on=_date(row["closed_on"]),
        missed_recorded=bool(row["missed_recorded"]),
    )


def text_rows(texts: Iterable[PersonalText]) -> list[dict[str, Any]]:
    """Return the ``personal_texts`` rows of pieces of free text.

    Args:
        texts: The free text split off events.

    Returns:
        One row per piece, by column name.
    """
    return [
        {"ref": t.ref, "child": t.child, "case_id": t.case, "field": t.field, "text": t.text}
        for t in texts
    ]
