"""The SQL store's reads: events, the feed's positions, cases and overdue deadlines.

A part of :class:`~disruption.store.sql.store.SqlStore`, kept apart for size.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import date
from typing import Any, Final

import sqlalchemy as sa

from disruption.domain.events import Event
from disruption.domain.model import Case, DeadlineStatus, ProcedureRef
from disruption.engine.ports import Applied, OverdueDeadline, Snapshot, StoredEvent
from disruption.store.sql import event_rows, rows, schema
from disruption.store.sql.database import Database
from disruption.store.sql.snapshots import case_from_snapshot

__all__ = ["Reads", "at_least_one"]


def at_least_one(name: str, value: int) -> None:
    """Refuse a count below 1.

    Raises:
        ValueError: When ``value`` is less than 1.
    """
    if value < 1:
        raise ValueError(f"{name} must be at least 1, not {value}")


_SNAPSHOT = sa.select(
    schema.cases.c.version,
    schema.cases.c.procedure,
    schema.cases.c.procedure_version,
    schema.cases.c.snapshot,
).where(schema.cases.c.id == sa.bindparam("case"))
"""A case's version, procedure and snapshot (built once: SQLAlchemy caches its compiled form)."""
_DRIVER_SNAPSHOT = "SELECT version, procedure, procedure_version, snapshot FROM cases WHERE id = ?"
"""The same, on the drivers' own connections: the hot path of every command."""
_APPLIED = "SELECT 1 FROM commands WHERE id = ?"
"""Whether a command id was applied: asked before every command with an id, on the driver."""
_APPLIED_OR_SNAPSHOT = (
    "SELECT (SELECT 1 FROM commands WHERE id = ?), c.version, c.procedure, "
    "c.procedure_version, c.snapshot FROM (SELECT 1) AS o LEFT JOIN cases AS c ON c.id = ?"
)
"""Whether a command id was applied, and its case's snapshot row, in one statement (one row,
the case's columns ``NULL`` when there is no such case): what every command with an id asks
first."""
_CHILDS_CASES: Final = "SELECT id FROM cases WHERE child = ?"
_CARERS_CASES: Final = "SELECT id FROM cases WHERE carer = ?"
RECENT: Final = 1024
"""How many cases a store keeps, by default, with the snapshot text it last wrote or read for
them (``SqlStore(snapshot_cache=...)``)."""


class Reads:
    """What an SQL store reads: events by case, command and position, cases, deadlines."""

    _db: Database
    _recent: dict[str, tuple[str, Case]]
    """The cases this store wrote or read last, by reference, each with its snapshot text,
    least recently used first."""

    _recent_lock: threading.Lock
    _cache_size: int
    """The most cases kept in :attr:`_recent` (0: none)."""
    _trusted: bool
    """Whether :meth:`snapshot_unless_applied` answers from :attr:`_recent` without a read."""
    _seen: int | None
    """On SQLite, the ``data_version`` of the store's connection when it was last asked."""

    def _remember(self, case: Case, text: str) -> None:
        """Keep a case this store has just written or read, with its snapshot text.

        Under a lock: threads sharing the store must never see the oldest case dropped by
        two of them at once (an iteration over a changing dict fails).
        """
        if not self._cache_size:
            return
        recent = self._recent
        with self._recent_lock:
            recent.pop(case.id, None)
            recent[case.id] = (text, case)
            if len(recent) > self._cache_size:
                del recent[next(iter(recent))]

    def _forget(self, case: str | None = None) -> None:
        """Drop a case from :attr:`_recent` (``None``: every case), so that it is read again."""
        with self._recent_lock:
            if case is None:
                self._recent.clear()
            else:
                self._recent.pop(case, None)

    def _kept(self, case: str) -> Case | None:
        """The case as this store last wrote or read it, when that is known to be current.

        Only in a store opened with ``trust_cache=True``. On SQLite the store's connection
        tells whether any other connection (another store, process, or this store's own
        writes apart from its appends: a sweep, an erasure) committed since it was last asked
        (``PRAGMA data_version``, read in memory): when one did, every case kept is dropped.
        On PostgreSQL nothing tells without a round trip: an append on a case changed
        meanwhile is refused by its version and decided again on a fresh read.
        """
        if not self._trusted:
            return None
        if not self._db.postgres:
            version = self._db.data_version()
            if version != self._seen:
                with self._recent_lock:
                    self._recent.clear()
                    self._seen = version
                return None
        kept = self._recent.get(case)
        return None if kept is None else kept[1]

    def _from_snapshot(self, case: str, text: str | None, procedure: ProcedureRef) -> Case | None:
        """:func:`case_from_snapshot`, or the case itself when it is the one this store wrote.

        Reading a snapshot costs more than the rest of loading a case; the same text always
        reads as the same case, so a case whose row still holds the text this store wrote
        last is not read again.
        """
        kept = self._recent.get(case)
        if kept is not None and kept[0] == text and kept[1].procedure == procedure:
            return kept[1]
        return case_from_snapshot(text, procedure)

    def events(self, case: str) -> Sequence[Event]:
        """Return a case's events in sequence order.

        Args:
            case: The case reference.

        Returns:
            The events, empty if there is no such case.

        Raises:
            StoreError: When the database cannot be read.
            SchemaError: When an event was written by a newer version of disruption.
        """
        table = schema.events
        query = sa.select(table).where(table.c.case_id == case).order_by(table.c.seq)
        return tuple(s.event for s in self._read(query))

    def snapshot(self, case: str) -> Snapshot | None:
        """Return a case's snapshot and the events stored after it.

        The hot path is one statement: the case's row, with a snapshot as recent as its
        events. Otherwise the row and the events after the snapshot are read in one
        transaction.

        Args:
            case: The case reference.

        Returns:
            The snapshot (``case=None`` with every event when it cannot be trusted), or
            ``None`` when there is no such case.

        Raises:
            StoreError: When the database cannot be read.
            SchemaError: When an event was written by a newer version of disruption.
        """
        row = self._db.driver_row("read a case", _DRIVER_SNAPSHOT, (case,))
        return None if row is None else self._snapshot_of_row(case, row)

    def snapshot_unless_applied(
        self, case: str, command_id: str | None
    ) -> Snapshot | Applied | None:
        """Return :class:`Applied` when ``command_id`` is stored, else the case's snapshot.

        One statement answers both (one round trip to a server, a consistent read): on the
        hot path a command costs this and its append. A store opened with
        ``trust_cache=True`` answers a case it keeps without reading, and without looking
        the command id up (see :class:`~disruption.store.sql.store.SqlStore`).

        Args:
            case: The case reference.
            command_id: The command's idempotency key (``None``: as :meth:`snapshot`).

        Returns:
            :class:`Applied`, or the snapshot as :meth:`snapshot` returns it.

        Raises:
            StoreError: When the database cannot be read.
            SchemaError: When an event was written by a newer version of disruption.
        """
        kept = self._kept(case)
        if kept is not None:
            return Snapshot(kept, cached=True)
        if command_id is None:
            return self.snapshot(case)
        row = self._db.driver_row("read a case", _APPLIED_OR_SNAPSHOT, (command_id, case))
        assert row is not None  # one row always
        if row[0] is not None:
            return Applied(command_id)
        if row[1] is None:
            return None
        return self._snapshot_of_row(case, tuple(row[1:]))

    def _snapshot_of_row(self, case: str, row: tuple[Any, ...]) -> Snapshot | None:
        """The snapshot from a case's row, reading the events after it when it is behind."""
        version, name, procedure_version, text = row
        found = self._from_snapshot(case, text, ProcedureRef(name, procedure_version))
        if found is not None and found.version == version:
            self._remember(found, text)
            return Snapshot(found)
        # Behind its events (a sweep ran) or not to be trusted: the row again and the events
        # after it, in one read transaction.
        events = schema.events
        with self._db.reading("read a case") as conn:
            fresh = conn.execute(_SNAPSHOT, {"case": case}).one_or_none()
            if fresh is None:
                return None
            version, name, procedure_version, text = fresh
            found = case_from_snapshot(text, ProcedureRef(name, procedure_version))
            if found is not None and found.version == version:
                return Snapshot(found)
            after = 0 if found is None or found.version > version else found.version
            query = sa.select(events).where(events.c.case_id == case, events.c.seq > after)
            rows_after = conn.execute(query.order_by(events.c.seq)).mappings().all()
        later = tuple(event_rows.event_from_row(r) for r in rows_after)
        return Snapshot(found if after else None, later)

    def events_of_command(self, command_id: str) -> Sequence[Event]:
        """Return the events appended by a command, by its idempotency key.

        Args:
            command_id: The command's idempotency key.

        Returns:
            The events in the order appended, empty if no command had that key.

        Raises:
            StoreError: When the database cannot be read.
            SchemaError: When an event was written by a newer version of disruption.
        """
        # Asked before every command with an id, and almost always answered "none": one
        # lookup of the key on the driver first (through SQLAlchemy, the query below cost
        # more than a durable SQLite commit).
        if self._db.driver_row("read a command", _APPLIED, (command_id,)) is None:
            return ()
        events, commands = schema.events, schema.commands
        span = events.c.position.between(commands.c.first_position, commands.c.last_position)
        query = (
            sa.select(events)
            .join(commands, span)
            .where(commands.c.id == command_id, events.c.command_id == command_id)
            .order_by(events.c.position)
        )
        return tuple(s.event for s in self._read(query))

    def read_after(self, position: int, limit: int = 1000) -> Sequence[StoredEvent]:
        """Return up to ``limit`` committed events with positions after ``position``, in order.

        Args:
            position: The last position already handled (0 for the start).
            limit: The most events returned.

        Returns:
            The events with their positions.

        Raises:
            ValueError: When ``limit`` is less than 1.
            StoreError: When the database cannot be read.
            SchemaError: When an event was written by a newer version of disruption.
        """
        at_least_one("limit", limit)
        table = schema.events
        query = sa.select(table).where(table.c.position > position)
        return self._read(query.order_by(table.c.position).limit(limit))

    def _read(self, query: sa.Select[Any]) -> tuple[StoredEvent, ...]:
        with self._db.reading("read events") as conn:
            found = conn.execute(query).mappings().all()
        return tuple(
            StoredEvent(row["position"], event_rows.event_from_row(row), row["hash"])
            for row in found
        )

    def last_position(self) -> int:
        """Return the position of the last committed event.

        Returns:
            The position, 0 for a store without events.

        Raises:
            StoreError: When the database cannot be read.
        """
        query = sa.select(sa.func.max(schema.events.c.position))
        with self._db.reading("read the last position") as conn:
            last = conn.execute(query).scalar()
        return 0 if last is None else int(last)

    def consumer_position(self, consumer: str) -> int:
        """Return the position a named consumer saved.

        Args:
            consumer: The consumer's name.

        Returns:
            The position, 0 if it never saved one.

        Raises:
            StoreError: When the database cannot be read.
        """
        table = schema.consumers
        query = sa.select(table.c.position).where(table.c.name == consumer)
        with self._db.reading("read a consumer's position") as conn:
            position = conn.execute(query).scalar()
        return 0 if position is None else int(position)

    def case_ids(self) -> Sequence[str]:
        """Return every case's reference, sorted (by code point, as Python sorts).

        Returns:
            The references.

        Raises:
            StoreError: When the database cannot be read.
        """
        with self._db.reading("list cases") as conn:
            return tuple(sorted(conn.execute(sa.select(schema.cases.c.id)).scalars()))

    def case_ids_of(self, child: str) -> Sequence[str]:
        """Return the references of a child's cases, sorted.

        Raises:
            StoreError: When the database cannot be read.
        """
        return self._case_ids_where(_CHILDS_CASES, child, "list a child's cases")

    def case_ids_of_carer(self, carer: str) -> Sequence[str]:
        """Return the references of the cases whose placement has this carer, sorted.

        Raises:
            StoreError: When the database cannot be read.
        """
        return self._case_ids_where(_CARERS_CASES, carer, "list a carer's cases")

    def _case_ids_where(self, query: str, value: str, doing: str) -> Sequence[str]:
        """The references of the cases ``query`` (by an indexed column) finds, sorted.

        One statement on the driver (as a command's read): asked by every command that
        reads the placement history (``end_placement``), where SQLAlchemy's transaction
        around it cost two more round trips to a server.
        """
        return tuple(sorted(row[0] for row in self._db.driver_rows(doing, query, (value,))))

    def overdue(self, on: date) -> Sequence[OverdueDeadline]:
        """Return every open deadline due before ``on``, by due date, case and deadline id.

        Args:
            on: The day to judge on.

        Returns:
            The overdue deadlines with their cases' states.

        Raises:
            StoreError: When the database cannot be read.
        """
        deadlines, cases = schema.deadlines, schema.cases
        query = (
            sa.select(deadlines, cases.c.state)
            .join(cases, cases.c.id == deadlines.c.case_id)
            .where(deadlines.c.status == str(DeadlineStatus.OPEN), deadlines.c.due < on.isoformat())
        )
        with self._db.reading("read deadlines") as conn:
            found = [
                OverdueDeadline(row["case_id"], row["state"], rows.deadline_from_row(row))
                for row in conn.execute(query).mappings()
            ]
        # Sorted here, not in SQL: PostgreSQL's collation may not sort by code point.
        return sorted(found, key=lambda o: (o.deadline.due, o.case, o.deadline.id))
