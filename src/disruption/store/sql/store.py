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
from disruption.exceptions import ConcurrencyError, DuplicateCommand, SchemaError
from disruption.store.key_store import KeyStore
from disruption.store.sql import schema, sweep, writes
from disruption.store.sql.database import Database
from disruption.store.sql.private import PrivateRecords
from disruption.store.sql.reads import RECENT, Reads, at_least_one
from disruption.store.sql.schema import SCHEMA_VERSION
from disruption.store.sql.snapshots import snapshot_of

__all__ = ["SCHEMA_VERSION", "SqlStore", "upgrade_store"]


def upgrade_store(url: str, *, keys: KeyStore | None = None) -> tuple[int, int]:
    """Create a store, or upgrade its schema to this library's version, in one transaction.

    What ``disruption db upgrade --db URL`` runs. Upgrading a current store does nothing.

    Args:
        url: A database URL or SQLite path, as for :class:`SqlStore`.
        keys: A key store to move the store's keys to (from ``child_keys``, deleted there
            without a copy left in the case database's files).

    Returns:
        The schema versions before and after: ``(1, 2)`` for an upgrade from version 1,
        ``(2, 2)`` when already current, ``(0, 2)`` when the store was created.

    Raises:
        StoreError: When the database cannot be reached or the upgrade fails (nothing is
            changed).
        SchemaError: When the database is not a disruption store, or a newer one.
    """
    with SqlStore(url, upgrade=True, keys=keys) as store:
        return store._db.opened


_KEYS_MARK = "keys"
"""The ``disruption_meta`` row saying that the keys were moved to a key store."""


class SqlStore(Reads, PrivateRecords):
    """A :class:`~disruption.engine.ports.CaseStore` in SQLite or PostgreSQL.

    Args:
        url: A database URL (``postgresql://...`` is opened with psycopg 3, ``sqlite:///...``),
            or a plain path to a SQLite file, or ``:memory:``.
        create: Create the tables in an empty or missing database. When ``False``, a
            missing SQLite file is not created.
        upgrade: Upgrade a store of an older schema version (as ``disruption db upgrade``
            does) instead of refusing it; with ``keys``, move keys kept in the case store
            to the key store.
        keys: Where the children's keys are kept (a database or file of its own, see
            :mod:`disruption.store.key_store`); ``None`` keeps them in the case store's
            ``child_keys`` table, as before, unless they were moved out (then free text can
            be neither written, read nor erased without the key store). The key store is
            closed with the store.
        snapshot_cache: How many cases the store keeps in memory as it last wrote or read
            them, least recently used dropped first (0: none); ``None``: as the URL's
            ``snapshot_cache=N`` says, else :data:`~disruption.store.sql.reads.RECENT`. A
            case whose stored snapshot is the text kept is not parsed again; with
            ``trust_cache``, not read at all.
        trust_cache: Let :meth:`snapshot_unless_applied` (what ``Engine.handle`` reads
            before each command) answer from the cases kept, without a read, marked
            ``Snapshot.cached``: on PostgreSQL one round trip fewer a command (about 1.3x
            the commands per second measured), on SQLite no gain measured. On by default;
            ``False`` reads every time. Safe with other writers: an append on a case
            another store object or process changed meanwhile is refused by the case's
            version (and decided again on a fresh read), a command id stored already is
            refused by the append (and answered with the earlier outcome), and a command
            refused on a kept case is decided again on the case as stored before the
            refusal stands (``Engine.handle``). On SQLite a commit by any other connection
            drops every case kept (``PRAGMA data_version``); a sweep, an erasure, an
            upgrade or a failed append through this store drops them too. ``None``: as the
            URL's ``trust_cache=true`` (or ``false``) says, else on.

    Raises:
        ValueError: When ``snapshot_cache`` is negative.
        StoreError: When the database cannot be reached, or there is no store and ``create``
            is ``False``; when the URL's ``snapshot_cache`` or ``trust_cache`` is not a
            count, or not ``true`` or ``false``.
        SchemaError: When the database is not a disruption store, not a SQLite file, was
            written by a newer version of disruption, or by an older one and ``upgrade`` is
            ``False``; given ``keys`` while keys are still in the case store and ``upgrade``
            is ``False``.

    Attributes:
        url: The path or URL of the database, without its password.
    """

    def __init__(
        self,
        url: str,
        *,
        create: bool = True,
        upgrade: bool = False,
        keys: KeyStore | None = None,
        snapshot_cache: int | None = None,
        trust_cache: bool | None = None,
    ) -> None:
        if snapshot_cache is not None and snapshot_cache < 0:
            raise ValueError(f"snapshot_cache is never negative, not {snapshot_cache}")
        self._db = Database(url, create=create, upgrade=upgrade)
        self._recent: dict[str, tuple[str, Case]] = {}
        self._recent_lock = threading.Lock()
        size = snapshot_cache if snapshot_cache is not None else self._db.snapshot_cache
        trust = trust_cache if trust_cache is not None else self._db.trust_cache
        if trust is None:
            trust = True
        self._cache_size = RECENT if size is None else size
        self._trusted = bool(trust) and self._cache_size > 0
        self._seen: int | None = None
        self.url = self._db.url
        self._keys = keys
        try:
            self._moved = self._keys_moved(upgrade)
        except BaseException:
            self._db.close()
            raise

    @property
    def keys_apart(self) -> bool:
        """Whether the children's keys are in a key store (given, or moved there before)."""
        return self._keys is not None or self._moved

    def _keys_moved(self, upgrade: bool) -> bool:
        """Whether the keys are in a key store; with one given, move them there (``upgrade``)."""
        marked = schema.meta.c.key == _KEYS_MARK
        with self._db.reading("read where the keys are") as conn:
            moved = conn.execute(sa.select(schema.meta.c.value).where(marked)).scalar()
            held = conn.execute(sa.select(sa.func.count()).select_from(schema.child_keys)).scalar()
        if self._keys is None or (moved is not None and not held):
            return moved is not None
        if self._keys.url == self.url:
            raise SchemaError("the key store must be a database or file apart from the case store")
        if held and not upgrade:
            raise SchemaError(
                f"{self.url} keeps its keys in the case store: move them to the key store with "
                f"`disruption db upgrade --db {self.url} --keys {self._keys.url}`"
            )
        self._move_keys()
        return True

    def _move_keys(self) -> None:
        """Copy ``child_keys`` to the key store, then delete it here leaving no copy.

        In one write transaction of the case store (on PostgreSQL with ``child_keys`` locked),
        so that no writer adds a key between the copy and the delete; the key store commits
        first, so a failure leaves the keys in both, and the move can be run again.
        """
        assert self._keys is not None
        held, meta = schema.child_keys, schema.meta
        sqlite = not self._db.postgres
        with self._db.writing("move the keys") as conn:
            if sqlite:
                conn.exec_driver_sql("PRAGMA secure_delete=ON")
            else:
                conn.exec_driver_sql("LOCK TABLE child_keys IN EXCLUSIVE MODE")
            found = {c: k for c, k in conn.execute(sa.select(held.c.child, held.c.key)).all()}
            self._keys.put(found)
            conn.execute(sa.delete(held))
            if (
                conn.execute(sa.select(meta.c.value).where(meta.c.key == _KEYS_MARK)).first()
                is None
            ):
                conn.execute(sa.insert(meta).values(key=_KEYS_MARK, value="key store"))
            if sqlite:
                conn.exec_driver_sql("PRAGMA secure_delete=OFF")
        if found:
            self._db.scrub(held.name)

    def _held(self, texts: Sequence[PersonalText]) -> dict[str, str] | None:
        """The keys of the texts' children from the key store (``None``: in the case store)."""
        if not texts:
            return None
        if self._keys is not None:
            return self._keys.keys_for(t.child for t in texts)
        self._no_key_store()
        return None

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
        try:
            return self._db.upgrade()
        finally:
            self._forget()

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
        try:
            self._append(case, events, texts, expected_version)
        except BaseException:
            self._forget(case.id)  # read again by the next command: it may have changed
            raise

    def _append(
        self,
        case: Case,
        events: Sequence[Event],
        texts: Sequence[PersonalText],
        expected_version: int,
    ) -> None:
        what = f"append to case {case.id}"
        held = self._held(texts) if texts else None
        text = snapshot_of(case)
        db, write, expected = self._db, writes.append, expected_version
        try:
            try:  # positionally: keywords would cost a dict a command through run()
                head = db.run(what, write, case, events, texts, expected, db.head, text, held)
            except writes.Moved:  # another writer moved the counter: two round trips
                head = db.run(what, write, case, events, texts, expected, None, text, held)
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
        try:
            with self._db.writing("record missed deadlines") as conn:
                return sweep.record_missed(conn, on, recorded_at, limit, build)
        finally:
            self._forget()  # the cases swept are at later versions

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
                held = self._held([t for n in batch for t in n.texts])
                with self._db.transaction("bulk-load cases") as tx:
                    added += writes.load(tx, batch, held)
            except writes.DuplicateCommand as err:
                raise DuplicateCommand(err.ids, expected=0) from None
            handled += len(batch)
            if progress is not None:
                progress(handled)
        return added

    def close(self) -> None:
        """Close the store's connections (and its key store's)."""
        self._db.close()
        if self._keys is not None:
            self._keys.close()
