"""The deadline sweep's transaction: ``DeadlineMissed`` once per missed deadline.

On PostgreSQL the sweep locks the deadline and case rows it takes and skips rows another
sweeper or writer holds (``FOR NO KEY UPDATE ... SKIP LOCKED``): it never waits, so it cannot
deadlock with an append to the same case, and two sweepers never take the same deadline.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa

from disruption.domain.events import Event
from disruption.domain.model import DeadlineStatus
from disruption.engine.ports import MissedEvents
from disruption.store.sql import rows, schema
from disruption.store.sql.connection import tx_of
from disruption.store.sql.writes import insert_events

__all__ = ["record_missed"]


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
        query = query.with_for_update(of=[deadlines, cases], skip_locked=True, key_share=True)
    return conn.execute(query).mappings().all()


def _record_case(
    conn: sa.Connection,
    taken: Sequence[sa.RowMapping],
    on: date,
    recorded_at: datetime,
    build: MissedEvents,
) -> tuple[Event, ...]:
    case, version, state = taken[0]["case_id"], taken[0]["version"], taken[0]["state"]
    overdue = sorted((rows.deadline_from_row(r) for r in taken), key=lambda d: (d.due, d.id))
    events = build(case, version, state, overdue, on=on, recorded_at=recorded_at)
    cases, deadlines = schema.cases, schema.deadlines
    guard = (cases.c.id == case) & (cases.c.version == version)
    bumped = sa.update(cases).where(guard).values(version=version + len(events))
    if conn.execute(bumped).rowcount != 1:
        return ()  # changed since it was read: left for the next sweep
    ids = [d.id for d in overdue]
    recorded = deadlines.c.deadline_id.in_(ids) & (deadlines.c.case_id == case)
    conn.execute(sa.update(deadlines).where(recorded).values(missed_recorded=True))
    tx = tx_of(conn)
    insert_events(tx, events)
    tx.sync()
    return events


def record_missed(
    conn: sa.Connection, on: date, recorded_at: datetime, limit: int, build: MissedEvents
) -> tuple[Event, ...]:
    """Record a ``DeadlineMissed`` event for up to ``limit`` deadlines overdue on ``on``.

    Args:
        conn: A connection in a write transaction.
        on: The day to judge on.
        recorded_at: When the sweep runs.
        limit: The most deadlines taken.
        build: Builds a case's events (the core's): the sweep only claims the deadlines.

    Returns:
        The events recorded, one per deadline.
    """
    by_case: dict[str, list[sa.RowMapping]] = {}
    for row in _overdue(conn, on, limit):
        by_case.setdefault(row["case_id"], []).append(row)
    return tuple(
        e for c in sorted(by_case) for e in _record_case(conn, by_case[c], on, recorded_at, build)
    )
