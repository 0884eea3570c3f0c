"""Conversions between the SQL store's ``events`` rows and events, and the rows' chain.

Events are read back through :func:`~disruption.store.sql.upcast.upcast`, so an event written
with an older event schema version comes back in the current one.
"""

from __future__ import annotations

import hashlib
import json
import operator
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any, Final

import orjson

from disruption.domain.events import JSON, DeadlineChange, Event, event_from_record
from disruption.domain.model import Role
from disruption.store.sql import audit, rows, upcast

__all__ = [
    "EVENT_COLUMNS",
    "chained",
    "chained_values",
    "event_from_row",
    "event_rows",
    "event_values",
]


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


def _deadline_change(d: DeadlineChange) -> dict[str, Any]:
    # Dates as they are: the JSON encoder writes them as ISO 8601 (YYYY-MM-DD).
    return {"id": d.id, "name": d.name, "change": d.change, "due": d.due,
            "earliest": d.earliest, "on": d.on}  # fmt: skip


_ROLES: Final = {role: role.value for role in Role}


def _values(events: Iterable[Event], first: int) -> Iterator[tuple[Any, ...]]:
    """The rows of :func:`event_values`, one at a time.

    The same instants recur across the events of a load (the time of an import, the days of
    a history), so each is turned into text once; in UTC only: an instant at another offset
    is equal to the same instant in UTC, and is written with its own offset.
    """
    texts: dict[datetime, str] = {}
    roles = _ROLES
    for position, e in enumerate(events, start=first):
        at, recorded, actor = e.at, e.recorded_at, e.actor
        at_text = texts.get(at) if at.tzinfo is UTC else None
        if at_text is None:
            at_text = at.isoformat()
            if at.tzinfo is UTC:
                texts[at] = at_text
        recorded_text = texts.get(recorded) if recorded.tzinfo is UTC else None
        if recorded_text is None:
            recorded_text = recorded.isoformat()
            if recorded.tzinfo is UTC:
                texts[recorded] = recorded_text
        data = e.data if type(e.data) is dict else dict(e.data)
        changes = e.deadlines
        yield (
            position, e.case, e.seq, e.type, e.command, e.command_id, at_text, recorded_text,
            actor.id, roles[actor.role], e.from_state, e.to_state, _json(data),
            _json([_deadline_change(d) for d in changes]) if changes else "[]",
            e.schema_version,
        )  # fmt: skip


def event_values(events: Iterable[Event], first: int) -> list[tuple[Any, ...]]:
    """Return the ``events`` rows of events, at positions from ``first`` on, without ``hash``.

    Args:
        events: The events, in the order appended.
        first: The position of the first.

    Returns:
        One tuple per event, in :data:`EVENT_COLUMNS` order.
    """
    return list(_values(events, first))


def _linked(previous: str, fields: dict[str, Any], row: tuple[Any, ...]) -> str:
    """The hash of ``row`` chained to ``previous``: :func:`audit.link`'s, from ``fields``.

    ``fields`` are the row's columns by name with the keys in sorted order, so that orjson
    writes them as ``json.dumps(sort_keys=True)`` would; what orjson refuses (an integer
    beyond 64 bits) is left to :func:`audit.link`.
    """
    try:
        body = orjson.dumps(fields)
    except TypeError:
        return audit.link(previous, dict(zip(EVENT_COLUMNS, row, strict=True)))
    return hashlib.sha256(previous.encode() + b"\n" + body).hexdigest()


def chained_values(events: Iterable[Event], first: int, previous: str) -> list[tuple[Any, ...]]:
    """Return the ``events`` rows of events, at positions from ``first`` on, chained.

    The same rows as :func:`chained` of :func:`event_values`, in one pass: each row's
    values are worked out once, into the dict its hash is written from (built in sorted
    key order) and the tuple that is inserted.

    Args:
        events: The events, in the order appended.
        first: The position of the first.
        previous: The hash of the row before the first (:data:`~audit.GENESIS` for none).

    Returns:
        One tuple per event, in :data:`EVENT_COLUMNS` order with its hash last.
    """
    built = []
    texts: dict[datetime, str] = {}  # the UTC instants written, as in _values
    roles, dumps, sha256, instant = _ROLES, orjson.dumps, hashlib.sha256, rows.instant_text

    def text_of(when: datetime) -> str:
        # rows.instant_text, for a plain UTC datetime kept per call (orjson writes isoformat).
        if when.tzinfo is UTC and type(when) is datetime:
            known = texts.get(when)
            if known is None:
                known = texts[when] = dumps(when)[1:-1].decode()
            return known
        return instant(when)

    for position, e in enumerate(events, start=first):
        at, recorded, actor = e.at, e.recorded_at, e.actor
        at_text = text_of(at)
        recorded_text = at_text if recorded is at else text_of(recorded)
        data = e.data if type(e.data) is dict else dict(e.data)
        try:  # _json's, with its common case inline (orjson)
            data_text = dumps(data).decode()
        except TypeError:
            data_text = _json(data)
        changes = e.deadlines
        if changes:
            listed = [
                {"id": d.id, "name": d.name, "change": d.change, "due": d.due,
                 "earliest": d.earliest, "on": d.on}
                for d in changes
            ]  # fmt: skip
            try:
                deadlines_text = dumps(listed).decode()
            except TypeError:
                deadlines_text = _json(listed)
        else:
            deadlines_text = "[]"
        fields = {  # the keys of _SORTED_NAMES, in that order (a test holds them to it)
            "actor_id": actor.id, "actor_role": roles[actor.role], "at": at_text,
            "case_id": e.case, "command": e.command, "command_id": e.command_id,
            "data": data_text, "deadlines": deadlines_text, "from_state": e.from_state,
            "position": position, "recorded_at": recorded_text,
            "schema_version": e.schema_version, "seq": e.seq, "to_state": e.to_state,
            "type": e.type,
        }  # fmt: skip
        try:
            previous = sha256(previous.encode() + b"\n" + dumps(fields)).hexdigest()
        except TypeError:  # what orjson refuses (an integer beyond 64 bits): audit.link's
            previous = audit.link(previous, fields)
        row = (
            position, e.case, e.seq, e.type, e.command, e.command_id, at_text, recorded_text,
            actor.id, fields["actor_role"], e.from_state, e.to_state, data_text,
            deadlines_text, e.schema_version, previous,
        )  # fmt: skip
        built.append(row)
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
    names, pick = _SORTED_NAMES, _SORTED_PICK
    rows = []
    for row in values:
        previous = _linked(previous, dict(zip(names, pick(row), strict=True)), row)
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
