"""A case store in SQLite or PostgreSQL, on SQLAlchemy Core.

One command's events, the case's row, its deadlines and its free text are written in one
transaction, guarded by the case's version (optimistic concurrency); the events take the next
global, gap-free positions (see :mod:`disruption.store.sql.schema`). How the database is opened
and written is in :mod:`disruption.store.sql.database`, the transactions in
:mod:`disruption.store.sql.writes`. A store of an older schema version is refused until it is
upgraded (:func:`upgrade_store`, ``disruption db upgrade``).

>>> store = SqlStore(":memory:")
>>> store.case_ids(), store.last_position()
((), 0)
>>> store.close()
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from itertools import islice
from typing import Self

import sqlalchemy as sa

from disruption.domain.events import Event, PersonalText
from disruption.domain.model import Case
from disruption.engine.ports import MissedEvents, NewCase
from disruption.exceptions import ConcurrencyError, DuplicateCommand
from disruption.store.sql import schema, sweep, writes
from disruption.store.sql.database import Database
from disruption.store.sql.private import PrivateRecords
from disruption.store.sql.reads import Reads, at_least_one
from disruption.store.sql.schema import SCHEMA_VERSION
from disruption.store.sql.snapshots import snapshot_of

__all__ = ["SCHEMA_VERSION", "SqlStore", "upgrade_store"]


def upgrade_store(url: str) -> tuple[int, int]:
    """Create a store, or upgrade its schema to this library's version, in one transaction.

    What ``disruption db upgrade --db URL`` runs. Upgrading a current store does nothing.

    Args:
        url: A database URL or SQLite path, as for :class:`SqlStore`.

    Returns:
        The schema versions before and after: ``(1, 2)`` for an upgrade from version 1,
        ``(2, 2)`` when already current, ``(0, 2)`` when the store was created.

    Raises:
        StoreError: When the database cannot be reached or the upgrade fails (nothing is
            changed).
        SchemaError: When the database is not a disruption store, or a newer one.
    """
    with SqlStore(url, upgrade=True) as store:
        return store._db.opened


class SqlStore(Reads, PrivateRecords):
    """A :class:`~disruption.engine.ports.CaseStore` in SQLite or PostgreSQL.

    Args:
        url: A database URL (``postgresql://...`` is opened with psycopg 3, ``sqlite:///...``),
            or a plain path to a SQLite file, or ``:memory:``.
        create: Create the tables in an empty or missing database. When ``False``, a
            missing SQLite file is not created.
        upgrade: Upgrade a store of an older schema version (as ``disruption db upgrade``
            does) instead of refusing it.

    Raises:
        StoreError: When the database cannot be reached, or there is no store and ``create``
            is ``False``.
        SchemaError: When the database is not a disruption store, not a SQLite file, was
            written by a newer version of disruption, or by an older one and ``upgrade`` is
            ``False``.

    Attributes:
        url: The path or URL of the database, without its password.
    """

    def __init__(self, url: str, *, create: bool = True, upgrade: bool = False) -> None:
        self._db = Database(url, create=create, upgrade=upgrade)
        self._recent: dict[str, tuple[str, Case]] = {}
        self._recent_lock = threading.Lock()
        self.url = self._db.url

    def __repr__(self) -> str:
        return f"SqlStore({self.url!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def upgrade(self) -> tuple[int, int]:
        """Create the tables, or upgrade the schema to this library's version.

        Runs in one transaction: the store is upgraded whole or not at all. A current
        store is left as it is.

        Returns:
            The schema versions before and after (``0`` before when the tables were created).

        Raises:
            StoreError: When the database fails; nothing is changed.
            SchemaError: When the database is not a disruption store, or a newer one.
        """
        return self._db.upgrade()

    def save_consumer_position(self, consumer: str, position: int) -> None:
        """Save a named consumer's position.

        Args:
            consumer: The consumer's name.
            position: The last position it handled.

        Raises:
            ValueError: When ``position`` is negative.
            StoreError: When the database fails.
        """
        if position < 0:
            raise ValueError(f"a position is never negative, not {position}")
        with self._db.transaction("save a consumer's position") as tx:
            writes.save_consumer(tx, consumer, position)

    def append(
        self,
        case: Case,
        events: Sequence[Event],
        texts: Sequence[PersonalText],
        *,
        expected_version: int,
    ) -> None:
        """Append one command's events in one transaction, with the case's new read model.

        Args:
            case: The case after the events.
            events: The events, numbered from ``expected_version + 1``.
            texts: Free text split off the events, for the personal-data store.
            expected_version: The version the decision was based on (0 for a new case).

        Raises:
            ConcurrencyError: When the stored version is not ``expected_version``; nothing
                is written.
            DuplicateCommand: When the events' command id was applied already (another
                delivery of the command committed first); nothing is written.
            StoreError: When the database fails; nothing is written.
        """
        what = f"append to case {case.id}"
        text = snapshot_of(case)
        run, write = self._db.run, writes.append
        try:
            try:
                head = run(
                    what, write, case, events, texts, expected_version, self._db.head, snapshot=text
                )
            except writes.Moved:  # another writer moved the counter: two round trips
                head = run(what, write, case, events, texts, expected_version, snapshot=text)
        except writes.Stale:
            actual = self._version(case.id)
            message = f"case {case.id} is at version {actual}, not {expected_version}"
            raise ConcurrencyError(
                message, expected=expected_version, actual=actual, case=case.id
            ) from None
        except writes.DuplicateCommand as err:
            raise DuplicateCommand(
                err.ids, expected=expected_version, actual=self._version(case.id), case=case.id
            ) from None
        if self._db.postgres:
            self._db.head = head
        self._remember(case, text)

    def _version(self, case: str) -> int:
        with self._db.reading("read a case's version") as conn:
            query = sa.select(schema.cases.c.version).where(schema.cases.c.id == case)
            version = conn.execute(query).scalar()
        return 0 if version is None else int(version)

    def record_missed(
        self, on: date, *, recorded_at: datetime, build: MissedEvents, limit: int = 500
    ) -> Sequence[Event]:
        """Append one ``DeadlineMissed`` event for each open deadline due before ``on``.

        One transaction takes up to ``limit`` deadlines not yet recorded missed; on
        PostgreSQL it locks their rows and their cases' rows and skips rows another
        transaction holds, so concurrent sweepers never record a deadline twice.

        Args:
            on: The day to judge on.
            recorded_at: When the sweep runs.
            build: Builds a case's events (:func:`disruption.core.system.missed_events`).
            limit: The most deadlines handled in one transaction.

        Returns:
            The events recorded, one per deadline (call again while it returns ``limit``).

        Raises:
            ValueError: When ``limit`` is less than 1.
            StoreError: When the database fails; nothing is written.
        """
        at_least_one("limit", limit)
        with self._db.writing("record missed deadlines") as conn:
            return sweep.record_missed(conn, on, recorded_at, limit, build)

    def bulk_append(
        self,
        cases: Iterable[NewCase],
        *,
        batch_size: int = 1000,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Append whole new cases in batches: one transaction per batch, not per event.

        A case whose reference is already stored is skipped.

        Args:
            cases: The cases to load.
            batch_size: Cases per transaction.
            progress: Called with the number of cases handled after each batch.

        Returns:
            How many cases were added.

        Raises:
            ValueError: When ``batch_size`` is less than 1.
            DuplicateCommand: When a batch holds a command id applied already; that batch
                is not written (those before it are).
            StoreError: When the database fails; the failing batch is not written.
        """
        at_least_one("batch_size", batch_size)
        added = handled = 0
        remaining = iter(cases)
        while batch := list(islice(remaining, batch_size)):
            try:
                with self._db.transaction("bulk-load cases") as tx:
                    added += writes.load(tx, batch)
            except writes.DuplicateCommand as err:
                raise DuplicateCommand(err.ids, expected=0) from None
            handled += len(batch)
            if progress is not None:
                progress(handled)
        return added

    def close(self) -> None:
        """Close the store's connections."""
        self._db.close()
