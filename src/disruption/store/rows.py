"""Conversions between the SQL store's rows and domain objects.

Events are read back through :func:`~disruption.store.upcast.upcast`, so an event written
with an older event schema version comes back in the current one.
"""

from __future__ import annotations

import hashlib
import json
import operator
from collections.abc import Container, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Final

import orjson

from disruption.events import JSON, DeadlineChange, Event, PersonalText, event_from_record
from disruption.model import Case, Deadline, DeadlineStatus, Role
from disruption.store import audit, upcast

__all__ = [
    "CASE_COLUMNS",
    "COMMAND_COLUMNS",
    "DEADLINE_COLUMNS",
    "EVENT_COLUMNS",
    "TEXT_COLUMNS",
    "case_row",
    "case_values",
    "chained",
    "command_rows",
    "command_values",
    "deadline_from_row",
    "deadline_rows",
    "deadline_values",
    "event_from_row",
    "event_rows",
    "event_values",
    "text_rows",
]


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _json(value: JSON) -> str:
    """JSON text of a value, compact, non-ASCII kept (orjson; ``json`` for what it refuses).

    Dates are written as ISO 8601.
    """
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_isoformat)


def _isoformat(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


EVENT_COLUMNS: Final = (
    "position", "case_id", "seq", "type", "command", "command_id", "at", "recorded_at",
    "actor_id", "actor_role", "from_state", "to_state", "data", "deadlines", "schema_version",
)  # fmt: skip
"""The columns of an ``events`` row but ``hash``, in the order the value tuples give them."""

CASE_COLUMNS: Final = (
    "id", "procedure", "procedure_version", "state", "version", "child", "placement_type",
    "placement_provider", "placement_start", "location", "updated_at",
)  # fmt: skip
DEADLINE_COLUMNS: Final = (
    "case_id", "deadline_id", "name", "due", "earliest", "status", "opened_on", "closed_on",
    "missed_recorded",
)  # fmt: skip
COMMAND_COLUMNS: Final = ("id", "case_id", "first_position", "last_position")
TEXT_COLUMNS: Final = ("ref", "child", "case_id", "field", "text")


def case_values(case: Case) -> tuple[Any, ...]:
    """Return the ``cases`` row of a case, in :data:`CASE_COLUMNS` order."""
    placement = case.placement
    return (
        case.id, case.procedure.name, case.procedure.version, case.state, case.version,
        case.child, placement.type, placement.provider, placement.start.isoformat(),
        str(placement.location), case.updated_at.isoformat(),
    )  # fmt: skip


def case_row(case: Case) -> dict[str, Any]:
    """Return the ``cases`` row of a case.

    Args:
        case: The case.

    Returns:
        The row's values by column name.
    """
    return dict(zip(CASE_COLUMNS, case_values(case), strict=True))


def _deadline_change(d: DeadlineChange) -> dict[str, Any]:
    # Dates as they are: the JSON encoder writes them as ISO 8601 (YYYY-MM-DD).
    return {"id": d.id, "name": d.name, "change": d.change, "due": d.due,
            "earliest": d.earliest, "on": d.on}  # fmt: skip


_ROLES: Final = {role: role.value for role in Role}


def event_values(events: Iterable[Event], first: int) -> list[tuple[Any, ...]]:
    """Return the ``events`` rows of events, at positions from ``first`` on, without ``hash``.

    The same instants recur across the events of a load (the time of an import, the days
    of a history), so each is turned into text once.

    Args:
        events: The events, in the order appended.
        first: The position of the first.

    Returns:
        One tuple per event, in :data:`EVENT_COLUMNS` order.
    """
    texts: dict[datetime, str] = {}
    built = []
    for position, e in enumerate(events, start=first):
        at, recorded = e.at, e.recorded_at
        at_text = texts.get(at)
        if at_text is None:
            at_text = texts[at] = at.isoformat()
        recorded_text = texts.get(recorded)
        if recorded_text is None:
            recorded_text = texts[recorded] = recorded.isoformat()
        data = e.data if type(e.data) is dict else dict(e.data)
        changes = e.deadlines
        built.append((
            position, e.case, e.seq, e.type, e.command, e.command_id, at_text, recorded_text,
            e.actor.id, _ROLES[e.actor.role], e.from_state, e.to_state, _json(data),
            _json([_deadline_change(d) for d in changes]) if changes else "[]",
            e.schema_version,
        ))  # fmt: skip
    return built


_SORTED_NAMES: Final = tuple(sorted(EVENT_COLUMNS))
_SORTED_PICK: Final = operator.itemgetter(*(EVENT_COLUMNS.index(n) for n in _SORTED_NAMES))


def chained(values: Iterable[tuple[Any, ...]], previous: str) -> list[tuple[Any, ...]]:
    """Return event rows with their ``hash`` appended, chained from ``previous``.

    The same hashes as :func:`audit.link` of each row, computed without it: the row's JSON
    is written with its keys already in sorted order.

    Args:
        values: Rows from :func:`event_values`.
        previous: The hash of the row before the first (:data:`~audit.GENESIS` for none).

    Returns:
        The rows, each with its hash as the last value.
    """
    sha256, dumps, names, pick = hashlib.sha256, orjson.dumps, _SORTED_NAMES, _SORTED_PICK
    rows = []
    for row in values:
        try:
            body = dumps(dict(zip(names, pick(row), strict=True)))
        except TypeError:  # what orjson refuses (an integer beyond 64 bits): as audit does it
            previous = audit.link(previous, dict(zip(EVENT_COLUMNS, row, strict=True)))
        else:
            previous = sha256(previous.encode() + b"\n" + body).hexdigest()
        rows.append((*row, previous))
    return rows


def event_rows(events: Iterable[Event], first: int) -> list[dict[str, Any]]:
    """Return the ``events`` rows of events, at positions from ``first`` on.

    Args:
        events: The events, in the order appended.
        first: The position of the first.

    Returns:
        One row per event, by column name (without ``hash``).
    """
    return [dict(zip(EVENT_COLUMNS, v, strict=True)) for v in event_values(events, first)]


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


def command_values(events: Sequence[Event], first: int) -> list[tuple[Any, ...]]:
    """Return the ``commands`` rows of events appended at positions from ``first`` on.

    Args:
        events: The events, in the order appended.
        first: The position of the first.

    Returns:
        One row per command id and case among the events, in :data:`COMMAND_COLUMNS` order,
        with the positions of its first and last event (so a command id given to two cases
        makes two rows with one key).
    """
    found: dict[tuple[str, str], list[Any]] = {}
    for position, e in enumerate(events, start=first):
        if e.command_id is None:
            continue
        row = found.get((e.command_id, e.case))
        if row is None:
            found[e.command_id, e.case] = [e.command_id, e.case, position, position]
        else:
            row[3] = position
    return [tuple(r) for r in found.values()]


def command_rows(events: Sequence[Event], first: int) -> list[dict[str, Any]]:
    """Return the ``commands`` rows of events appended at positions from ``first`` on.

    Args:
        events: The events, in the order appended.
        first: The position of the first.

    Returns:
        The rows of :func:`command_values`, by column name.
    """
    return [dict(zip(COMMAND_COLUMNS, v, strict=True)) for v in command_values(events, first)]


def deadline_values(case: Case, ids: Container[str] | None = None) -> list[tuple[Any, ...]]:
    """Return the ``deadlines`` rows of a case's open deadlines.

    The table holds open deadlines only: what the sweep and ``overdue`` look for. A
    deadline met, late or cancelled is in the case's events.

    Args:
        case: The case.
        ids: Only these deadlines (all when ``None``).

    Returns:
        One tuple per open deadline, in :data:`DEADLINE_COLUMNS` order.
    """
    open_ = DeadlineStatus.OPEN
    return [
        (
            case.id,
            d.id,
            d.name,
            d.due.isoformat(),
            _iso(d.earliest),
            open_.value,
            d.opened_on.isoformat(),
            None,
            d.missed_recorded,
        )
        for d in case.deadlines
        if d.status is open_ and (ids is None or d.id in ids)
    ]


def deadline_rows(case: Case) -> list[dict[str, Any]]:
    """Return the ``deadlines`` rows of a case's open deadlines.

    Args:
        case: The case.

    Returns:
        One row per open deadline, by column name.
    """
    return [dict(zip(DEADLINE_COLUMNS, v, strict=True)) for v in deadline_values(case)]


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
