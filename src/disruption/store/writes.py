"""The write transactions of the SQL store: functions of a connection in a transaction.

On PostgreSQL every transaction takes its locks in the same order, so that writers never
deadlock: the rows of cases and their deadlines first, the ``positions`` counter last. The
counter's row lock is held from taking positions until commit, which makes positions commit
in order and without gaps; nothing done after taking them waits for another writer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from disruption.decide import missed_events
from disruption.events import Event, PersonalText
from disruption.model import Case, DeadlineStatus
from disruption.store import audit, keys, rows, schema
from disruption.store.base import NewCase

__all__ = [
    "DuplicateCommand",
    "Stale",
    "append",
    "insert_events",
    "load",
    "record_missed",
    "save_consumer",
    "take_positions",
]

_IN_CHUNK = 500
"""How many values one ``IN (...)`` list holds at most."""


class Stale(Exception):
    """The case's stored version is not the expected one."""


class DuplicateCommand(Exception):
    """A command id among the events was applied already.

    Attributes:
        ids: The command ids of the events.
    """

    def __init__(self, ids: Sequence[str]) -> None:
        super().__init__(", ".join(ids))
        self.ids = tuple(ids)


def _insert(conn: sa.Connection, table: sa.Table, values: list[dict[str, Any]]) -> None:
    """Insert rows with one ``executemany`` straight to the driver.

    SQLAlchemy's own ``executemany`` processes every parameter of every row, which costs
    more than the database's work in a bulk load; the values here are plain text, numbers,
    booleans and ``None``, which both drivers take as they are.
    """
    if not values:
        return
    names = list(values[0])
    quote = conn.dialect.identifier_preparer.quote
    marks = [f":{n}" if conn.dialect.name == "sqlite" else f"%({n})s" for n in names]
    sql = (
        f"INSERT INTO {conn.dialect.identifier_preparer.format_table(table)} "
        f"({', '.join(quote(n) for n in names)}) VALUES ({', '.join(marks)})"
    )
    conn.exec_driver_sql(sql, values)


def _driver_sql(conn: sa.Connection, template: str) -> str:
    """Render a statement written with ``:name`` parameters for the connection's driver.

    Statements on the per-command path go straight to the driver: building and compiling
    SQLAlchemy constructs for every command costs more than the database's own work.
    """
    if conn.dialect.name == "sqlite":
        return template
    return _PARAM.sub(r"%(\1)s", template)


_PARAM = re.compile(r":(\w+)")

_UPDATE_CASE = "UPDATE cases SET {assignments} WHERE id = :where_id AND version = :where_version"
_DELETE_DEADLINES = "DELETE FROM deadlines WHERE case_id = :where_case"
_TAKE_POSITIONS = "UPDATE positions SET last = last + :n WHERE id = 1 RETURNING last"


def take_positions(conn: sa.Connection, n: int) -> int:
    """Take the next ``n`` positions from the counter, locking it until commit.

    Args:
        conn: A connection in a write transaction.
        n: How many positions (at least 1).

    Returns:
        The first of them.
    """
    if conn.dialect.update_returning:
        sql = _driver_sql(conn, _TAKE_POSITIONS)
        last = int(conn.exec_driver_sql(sql, {"n": n}).scalar_one())
    else:  # SQLite before 3.35: the write transaction already holds the database
        counter = schema.positions
        at = counter.c.id == 1
        conn.execute(sa.update(counter).where(at).values(last=counter.c.last + n))
        last = conn.execute(sa.select(counter.c.last).where(at)).scalar_one()
    return last - n + 1


def _chained(conn: sa.Connection, new: list[dict[str, Any]], first: int) -> list[dict[str, Any]]:
    """The rows with their ``hash``, chained to the row before the first of them."""
    previous = audit.GENESIS
    if first > 1:
        found = conn.exec_driver_sql(
            _driver_sql(conn, 'SELECT hash FROM events WHERE "position" = :p'), {"p": first - 1}
        ).scalar()
        previous = found or audit.GENESIS
    for row in new:
        previous = row["hash"] = audit.link(previous, row)
    return new


def insert_events(conn: sa.Connection, events: Sequence[Event]) -> None:
    """Insert events at the next positions, and the ``commands`` rows of their command ids.

    Args:
        conn: A connection in a write transaction.
        events: The events, in the order to append them.

    Raises:
        DuplicateCommand: When one of the events' command ids was applied already.
    """
    if not events:
        return
    first = take_positions(conn, len(events))
    _insert(conn, schema.events, _chained(conn, rows.event_rows(events, first), first))
    commands = rows.command_rows(events, first)
    if commands:
        try:
            _insert(conn, schema.commands, commands)
        except IntegrityError:
            raise DuplicateCommand([c["id"] for c in commands]) from None


def _write_case(conn: sa.Connection, case: Case, expected_version: int) -> None:
    row = rows.case_row(case)
    if expected_version == 0:
        try:
            _insert(conn, schema.cases, [row])
        except IntegrityError:
            raise Stale from None
        return
    case_id = row.pop("id")
    quote = conn.dialect.identifier_preparer.quote
    template = _UPDATE_CASE.format(assignments=", ".join(f"{quote(c)} = :{c}" for c in row))
    params = {**row, "where_id": case_id, "where_version": expected_version}
    if conn.exec_driver_sql(_driver_sql(conn, template), params).rowcount != 1:
        raise Stale


def append(
    conn: sa.Connection,
    case: Case,
    events: Sequence[Event],
    texts: Sequence[PersonalText],
    expected_version: int,
) -> None:
    """Write one command's events with the case's row, deadlines and free text.

    Args:
        conn: A connection in a write transaction.
        case: The case after the events.
        events: The events.
        texts: Free text split off the events.
        expected_version: The version the decision was based on (0 for a new case).

    Raises:
        Stale: When the stored version is not ``expected_version``.
        DuplicateCommand: When one of the events' command ids was applied already.
    """
    _write_case(conn, case, expected_version)
    conn.exec_driver_sql(_driver_sql(conn, _DELETE_DEADLINES), {"where_case": case.id})
    _insert(conn, schema.deadlines, rows.deadline_rows(case))
    _insert(conn, schema.personal_texts, keys.seal_rows(conn, rows.text_rows(texts)))
    insert_events(conn, events)


def _overdue(conn: sa.Connection, on: date, limit: int) -> Sequence[sa.RowMapping]:
    deadlines, cases = schema.deadlines, schema.cases
    query = (
        sa.select(deadlines, cases.c.version, cases.c.state)
        .join(cases, cases.c.id == deadlines.c.case_id)
        .where(
            deadlines.c.status == str(DeadlineStatus.OPEN),
            deadlines.c.due < on.isoformat(),
            deadlines.c.missed_recorded == sa.false(),
        )
        .order_by(deadlines.c.due, deadlines.c.case_id, deadlines.c.deadline_id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        # Lock the deadline and case rows taken, skipping those another sweeper or writer
        # holds: this never waits, so it cannot deadlock with an append to the same case.
        query = query.with_for_update(of=[deadlines, cases], skip_locked=True, key_share=True)
    return conn.execute(query).mappings().all()


def _record_case(
    conn: sa.Connection, taken: Sequence[sa.RowMapping], on: date, recorded_at: datetime
) -> tuple[Event, ...]:
    case, version, state = taken[0]["case_id"], taken[0]["version"], taken[0]["state"]
    overdue = sorted((rows.deadline_from_row(r) for r in taken), key=lambda d: (d.due, d.id))
    events = missed_events(case, version, state, overdue, on=on, recorded_at=recorded_at)
    cases, deadlines = schema.cases, schema.deadlines
    guard = (cases.c.id == case) & (cases.c.version == version)
    bumped = sa.update(cases).where(guard).values(version=version + len(events))
    if conn.execute(bumped).rowcount != 1:
        return ()  # changed since it was read: left for the next sweep
    ids = [d.id for d in overdue]
    recorded = deadlines.c.deadline_id.in_(ids) & (deadlines.c.case_id == case)
    conn.execute(sa.update(deadlines).where(recorded).values(missed_recorded=True))
    insert_events(conn, events)
    return events


def record_missed(
    conn: sa.Connection, on: date, recorded_at: datetime, limit: int
) -> tuple[Event, ...]:
    """Record a ``DeadlineMissed`` event for up to ``limit`` deadlines overdue on ``on``.

    Args:
        conn: A connection in a write transaction.
        on: The day to judge on.
        recorded_at: When the sweep runs.
        limit: The most deadlines taken.

    Returns:
        The events recorded, one per deadline.
    """
    by_case: dict[str, list[sa.RowMapping]] = {}
    for row in _overdue(conn, on, limit):
        by_case.setdefault(row["case_id"], []).append(row)
    return tuple(
        e for c in sorted(by_case) for e in _record_case(conn, by_case[c], on, recorded_at)
    )


def _new_cases(conn: sa.Connection, batch: Sequence[NewCase]) -> list[NewCase]:
    ids = sorted({n.case.id for n in batch})
    seen: set[str] = set()
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = ids[start : start + _IN_CHUNK]
        query = sa.select(schema.cases.c.id).where(schema.cases.c.id.in_(chunk))
        seen.update(conn.execute(query).scalars())
    new: list[NewCase] = []
    for item in batch:
        if item.case.id not in seen:
            seen.add(item.case.id)
            new.append(item)
    return new


def load(conn: sa.Connection, batch: Sequence[NewCase]) -> int:
    """Insert whole new cases, skipping those already stored.

    Args:
        conn: A connection in a write transaction.
        batch: The cases.

    Returns:
        How many were added.

    Raises:
        DuplicateCommand: When one of the events' command ids was applied already.
    """
    new = _new_cases(conn, batch)
    if not new:
        return 0
    _insert(conn, schema.cases, [rows.case_row(n.case) for n in new])
    _insert(conn, schema.deadlines, [r for n in new for r in rows.deadline_rows(n.case)])
    texts = rows.text_rows(t for n in new for t in n.texts)
    _insert(conn, schema.personal_texts, keys.seal_rows(conn, texts))
    insert_events(conn, [e for n in new for e in n.events])
    return len(new)


def save_consumer(conn: sa.Connection, name: str, position: int) -> None:
    """Insert or update a consumer's position.

    Args:
        conn: A connection in a write transaction.
        name: The consumer's name.
        position: The position it reached.
    """
    table = schema.consumers
    if conn.dialect.name == "postgresql":
        pg = postgresql.insert(table).values(name=name, position=position)
        upserted = pg.on_conflict_do_update(
            index_elements=[table.c.name], set_={"position": pg.excluded.position}
        )
        conn.execute(upserted)
        return
    lite = sqlite.insert(table).values(name=name, position=position)
    upsert = lite.on_conflict_do_update(
        index_elements=[table.c.name], set_={"position": lite.excluded.position}
    )
    conn.execute(upsert)
