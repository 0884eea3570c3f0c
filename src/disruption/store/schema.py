"""The tables of the SQL store, and the conversions between rows and domain objects.

Dates and instants are stored as ISO 8601 text: portable across SQLite and PostgreSQL, and
read back exactly, offsets included. Event ``data`` and ``deadlines`` are JSON text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa

from disruption.events import JSON, Event, PersonalText, event_from_record, event_to_record
from disruption.exceptions import SchemaError
from disruption.model import Case, Deadline, DeadlineStatus

__all__ = [
    "SCHEMA_VERSION",
    "case_row",
    "cases",
    "create",
    "deadline_from_row",
    "deadline_rows",
    "deadlines",
    "event_from_row",
    "event_row",
    "events",
    "meta",
    "metadata",
    "personal_texts",
    "stored_version",
    "text_rows",
]

SCHEMA_VERSION = 1
"""The version of the tables below, kept in ``disruption_meta`` under ``schema_version``."""

metadata = sa.MetaData()

meta = sa.Table(
    "disruption_meta",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("procedure", sa.Text, nullable=False),
    sa.Column("procedure_version", sa.Integer, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("child", sa.Text, nullable=False),
    sa.Column("placement_type", sa.Text, nullable=False),
    sa.Column("placement_provider", sa.Text, nullable=False),
    sa.Column("placement_start", sa.Text, nullable=False),
    sa.Column("location", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Text, nullable=False),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("position", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.Text, sa.ForeignKey("cases.id"), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("command", sa.Text, nullable=False),
    sa.Column("command_id", sa.Text, nullable=True),
    sa.Column("at", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.Text, nullable=False),
    sa.Column("actor_id", sa.Text, nullable=False),
    sa.Column("actor_role", sa.Text, nullable=False),
    sa.Column("from_state", sa.Text, nullable=True),
    sa.Column("to_state", sa.Text, nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("deadlines", sa.Text, nullable=False),
    sa.Column("schema_version", sa.Integer, nullable=False),
    sa.UniqueConstraint("case_id", "seq", name="events_case_seq"),
    sa.Index("events_command_id", "command_id"),
    sqlite_autoincrement=True,
)

deadlines = sa.Table(
    "deadlines",
    metadata,
    sa.Column("case_id", sa.Text, sa.ForeignKey("cases.id"), nullable=False),
    sa.Column("deadline_id", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("due", sa.Text, nullable=False),
    sa.Column("earliest", sa.Text, nullable=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("opened_on", sa.Text, nullable=False),
    sa.Column("closed_on", sa.Text, nullable=True),
    sa.Column("missed_recorded", sa.Boolean, nullable=False),
    sa.PrimaryKeyConstraint("case_id", "deadline_id", name="deadlines_pk"),
    sa.Index("deadlines_status_due", "status", "due"),
)

personal_texts = sa.Table(
    "personal_texts",
    metadata,
    sa.Column("ref", sa.Text, primary_key=True),
    sa.Column("child", sa.Text, nullable=False),
    sa.Column("case_id", sa.Text, sa.ForeignKey("cases.id"), nullable=False),
    sa.Column("field", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Index("personal_texts_child", "child"),
)


def stored_version(conn: sa.Connection, shown: str) -> int | None:
    """Return the schema version of the store a connection reaches.

    Args:
        conn: A connection to the database.
        shown: How to name the database in errors (never with its password).

    Returns:
        The version, or ``None`` when the database has no tables at all.

    Raises:
        SchemaError: When the database holds other tables, an incomplete store, or a store
            written by a newer version of disruption.
    """
    tables = set(sa.inspect(conn).get_table_names())
    if not tables:
        return None
    if meta.name not in tables:
        raise SchemaError(f"{shown} is not a disruption store (it holds other tables)")
    query = sa.select(meta.c.value).where(meta.c.key == "schema_version")
    value = conn.execute(query).scalar()
    if value is None or not value.isdigit():
        raise SchemaError(f"{shown} is not a disruption store (no valid schema version)")
    if int(value) > SCHEMA_VERSION:
        raise SchemaError(
            f"{shown} was written by a newer version of disruption (schema version {value}; "
            f"this version reads up to {SCHEMA_VERSION}): upgrade disruption"
        )
    missing = sorted(set(metadata.tables) - tables)
    if missing:
        raise SchemaError(f"{shown} is an incomplete disruption store (no {', '.join(missing)})")
    return int(value)


def create(conn: sa.Connection) -> None:
    """Create the tables and record the schema version, in the connection's transaction.

    Args:
        conn: A connection to an empty database, in a transaction.
    """
    metadata.create_all(conn)
    conn.execute(sa.insert(meta).values(key="schema_version", value=str(SCHEMA_VERSION)))


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _json(value: JSON) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


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


def event_row(event: Event) -> dict[str, Any]:
    """Return the ``events`` row of an event (its ``position`` is left to the database).

    Args:
        event: The event.

    Returns:
        The row's values by column name.
    """
    record = event_to_record(event)
    return {
        "case_id": record["case"],
        "seq": record["seq"],
        "type": record["type"],
        "command": record["command"],
        "command_id": record["command_id"],
        "at": record["at"],
        "recorded_at": record["recorded_at"],
        "actor_id": record["actor"]["id"],
        "actor_role": record["actor"]["role"],
        "from_state": record["from_state"],
        "to_state": record["to_state"],
        "data": _json(record["data"]),
        "deadlines": _json(record["deadlines"]),
        "schema_version": record["schema_version"],
    }


def event_from_row(row: Mapping[Any, Any]) -> Event:
    """Rebuild an event from its ``events`` row (the inverse of :func:`event_row`).

    Args:
        row: The row, by column name.

    Returns:
        The event, equal to the one stored.
    """
    return event_from_record(
        {
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
    )


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
