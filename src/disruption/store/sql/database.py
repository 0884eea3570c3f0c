"""The SQL database behind a :class:`~disruption.store.sql.store.SqlStore`.

:class:`Database` opens a SQLite file or a PostgreSQL server through SQLAlchemy, checks,
creates or upgrades the store's schema, hands out reading and writing connections, and turns
database errors into :class:`~disruption.exceptions.StoreError` without showing passwords.
On SQLite every connection runs with ``synchronous=FULL``, foreign keys on and a 10 s busy
timeout, a file store is in write-ahead-log mode (from schema version 6), and writes begin
with ``BEGIN IMMEDIATE`` so that concurrent writers wait for each other instead of failing
at commit.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from disruption.exceptions import SchemaError, StoreError
from disruption.store.sql import migrations, schema
from disruption.store.sql.connection import create_private, open_tx, sqlalchemy_url
from disruption.store.sql.driver import Tx
from disruption.store.sql.positions import Head
from disruption.store.sql.schema import SCHEMA_VERSION
from disruption.store.sql.sqlite_tx import SqliteTx

__all__ = ["Database"]

P = ParamSpec("P")
T = TypeVar("T")

_MODE_WAIT = 5.0
"""Seconds a store opening waits for the file to itself to put it in write-ahead-log mode."""

_IMMEDIATE = "disruption_begin_immediate"
"""Execution option that makes a SQLite transaction begin with ``BEGIN IMMEDIATE``."""

_PREPARED = "disruption_prepared"
"""Where a pooled PostgreSQL connection keeps the statements the store prepared on it."""

_SQLITE_PRAGMAS = ("PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=10000")


def _sqlite_file(target: URL) -> Path | None:
    memory = target.database in (None, "", ":memory:") or target.query.get("uri")
    return None if memory or target.database is None else Path(target.database)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event emits BEGIN
    cursor = dbapi_connection.cursor()
    for pragma in _SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def _on_sqlite_begin(conn: sa.Connection) -> None:
    immediate = conn.get_execution_options().get(_IMMEDIATE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _postgres_arguments(target: URL) -> tuple[URL, dict[str, Any], bool]:
    """The URL without the store's option, psycopg's arguments, whether to prepare statements.

    ``prepare_threshold=none`` in the URL turns the store's prepared statements off (behind a
    pooler in transaction mode); libpq would refuse it as a connection parameter. psycopg's
    own automatic preparing is always off on the store's connections: when psycopg rolls back
    a transaction after preparing statements of its own, it deallocates every prepared
    statement of the connection, the store's too (seen with SQLAlchemy 2.0).
    """
    arguments: dict[str, Any] = {} if "connect_timeout" in target.query else {"connect_timeout": 10}
    arguments["prepare_threshold"] = None
    threshold, prepare = target.query.get("prepare_threshold"), True
    if threshold is not None:
        value = threshold if isinstance(threshold, str) else threshold[-1]
        if value.lower() not in ("none", "") and not value.isdigit():
            raise StoreError(f"prepare_threshold must be a number or none, not {value!r}")
        prepare = value.isdigit()
        target = target.difference_update_query(["prepare_threshold"])
    return target, arguments, prepare


def _option(target: URL, name: str) -> str | None:
    value = target.query.get(name)
    return value if value is None or isinstance(value, str) else value[-1]


def _cache_options(target: URL) -> tuple[URL, int | None, bool | None]:
    """The URL without the store's cache options, and their values (``None``: not given).

    ``snapshot_cache=N`` and ``trust_cache=true`` (or ``false``) in a store's URL, as
    :class:`~disruption.store.sql.store.SqlStore` takes them; neither database would take
    them as its own.

    Raises:
        StoreError: When a value is not a count, or not ``true`` or ``false``.
    """
    size, trust = _option(target, "snapshot_cache"), _option(target, "trust_cache")
    if size is not None and not size.isdigit():
        raise StoreError(f"snapshot_cache must be a count, not {size!r}")
    if trust is not None and trust.lower() not in ("true", "false"):
        raise StoreError(f"trust_cache must be true or false, not {trust!r}")
    if size is None and trust is None:
        return target, None, None
    target = target.difference_update_query(["snapshot_cache", "trust_cache"])
    return (
        target,
        None if size is None else int(size),
        None if trust is None else trust.lower() == "true",
    )


def _create_engine(target: URL) -> tuple[sa.Engine, bool]:
    """The engine, and whether the store keeps statements prepared on its connections."""
    if target.get_backend_name() != "sqlite":
        target, arguments, prepare = _postgres_arguments(target)
        return sa.create_engine(target, hide_parameters=True, connect_args=arguments), prepare
    pool = {"poolclass": StaticPool} if _sqlite_file(target) is None else {}
    engine = sa.create_engine(
        target, hide_parameters=True, connect_args={"check_same_thread": False}, **pool
    )
    sa.event.listen(engine, "connect", _on_sqlite_connect)
    sa.event.listen(engine, "begin", _on_sqlite_begin)
    return engine, False


class Database:
    """A database holding a store, opened and checked.

    Args:
        url: A database URL, a SQLite path or ``:memory:``.
        create: Create the tables in an empty or missing database.
        upgrade: Upgrade a store of an older schema version instead of refusing it.

    Raises:
        StoreError: When the database cannot be reached, or there is no store and ``create``
            is ``False``.
        SchemaError: When the database is not a disruption store, not a SQLite file, was
            written by a newer version of disruption, or by an older one and ``upgrade`` is
            ``False``.

    Attributes:
        url: The path or URL of the database, without its password.
        engine: The SQLAlchemy engine.
        opened: The schema versions before and after opening (``0`` before when created).
        postgres: Whether the database is PostgreSQL.
        snapshot_cache: ``snapshot_cache`` from the URL (``None``: not given).
        trust_cache: ``trust_cache`` from the URL (``None``: not given).
        head: On PostgreSQL, where the position counter stood after this store's last append
            (the last position and its event's hash): a guess, checked by the next append
            (:mod:`disruption.store.sql.writes`), ``None`` before the first.
    """

    def __init__(self, url: str, *, create: bool, upgrade: bool) -> None:
        try:
            target = sqlalchemy_url(url)
        except ArgumentError:
            raise StoreError("not a database URL or path") from None
        target, self.snapshot_cache, self.trust_cache = _cache_options(target)
        self.url = url if "://" not in url else make_url(url).render_as_string(hide_password=True)
        self._password = target.password
        file = _sqlite_file(target) if target.get_backend_name() == "sqlite" else None
        self._file = file
        if not create and file is not None and not file.exists():
            raise StoreError(f"no store at {self.url}")
        if file is not None:
            create_private(file)
        try:
            self.engine, self._prepare = _create_engine(target)
        except (ArgumentError, ImportError) as err:
            raise StoreError(f"cannot open the store at {self.url}: {err}") from None
        self._writer = self.engine.execution_options(**{_IMMEDIATE: True})
        self.postgres = self.engine.dialect.name == "postgresql"
        self._errors = (SQLAlchemyError, self.engine.dialect.loaded_dbapi.Error)
        self.head: Head | None = None
        self._pinned: Any = None
        self._pinned_driver: Any = None
        self._pinned_cursor: Any = None
        self._pinned_lock = threading.Lock()
        self._kept: Any = None
        self._kept_lock = threading.Lock()
        try:
            self.opened = self._open(create, upgrade)
        except BaseException:
            self.engine.dispose()
            raise

    def _open(self, create: bool, upgrade: bool) -> tuple[int, int]:
        with self._failures("open the store"):
            found = self._found_version()
        if found is None and not create:
            raise StoreError(f"no store at {self.url}")
        if found is not None and found < SCHEMA_VERSION and not upgrade:
            raise SchemaError(
                f"store schema version {found} is older than this library's {SCHEMA_VERSION}: "
                f"run `disruption db upgrade --db {self.url}`"
            )
        opened = (found, found) if found == SCHEMA_VERSION else self.upgrade()
        self._write_ahead_log()
        return opened

    def _write_ahead_log(self) -> None:
        """Put a SQLite file store in write-ahead-log mode (once: the mode is kept in the file).

        With ``synchronous=FULL`` a commit is then one sync of the log, where the rollback
        journal synced the journal and the database file each time: as durable, and readers
        do not wait for the writer. Done after the schema is current, never on a store
        refused (an older one is left untouched until it is upgraded).
        """
        if self.engine.dialect.name != "sqlite" or self._file is None:
            return
        with self._failures("open the store"):
            pooled = self.engine.raw_connection()  # in autocommit: the mode cannot change
            try:  # inside a transaction
                sqlite: Any = pooled.driver_connection
                # Changing the mode needs the file to itself, and SQLite answers "database is
                # locked" at once, without its busy handler, while another connection (a
                # store opening or upgrading at the same time) reads it: tried again for up
                # to _MODE_WAIT seconds.
                waited = 0.0
                while str(sqlite.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                    try:
                        sqlite.execute("PRAGMA journal_mode=WAL").fetchall()
                    except sqlite3.OperationalError as err:
                        if "locked" not in str(err) or waited >= _MODE_WAIT:
                            raise
                        time.sleep(0.02)
                        waited += 0.02
            finally:
                pooled.close()

    def _found_version(self) -> int | None:
        try:
            with self.engine.connect() as conn:
                return schema.stored_version(conn, self.url)
        except DatabaseError as err:
            # Exactly DatabaseError (not a subclass) is SQLite's "file is not a database".
            if self.engine.dialect.name == "sqlite" and type(err) is DatabaseError:
                raise SchemaError(f"{self.url} is not a SQLite database") from err
            raise

    @contextmanager
    def _failures(self, what: str) -> Iterator[None]:
        try:
            yield
        except self._errors as err:
            raise self._failure(what, err) from err

    def _failure(self, what: str, err: Exception) -> StoreError:
        """The :class:`StoreError` for a database error, without the password."""
        orig = getattr(err, "orig", None)
        reason = " ".join(str(orig if orig is not None else err).split())
        if self._password:
            reason = reason.replace(self._password, "***")
        return StoreError(f"cannot {what} at {self.url}: {reason}")

    @contextmanager
    def reading(self, what: str) -> Iterator[sa.Connection]:
        """Lend a connection for reading.

        Args:
            what: What is done, for errors ("read events").

        Yields:
            The connection.

        Raises:
            StoreError: When the database fails.
        """
        with self._failures(what), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def writing(self, what: str) -> Iterator[sa.Connection]:
        """Lend a connection in a write transaction, committed when the block ends.

        An exception leaving the block rolls the transaction back.

        Args:
            what: What is done, for errors ("append to case P-1").

        Yields:
            The connection, in its transaction (``BEGIN IMMEDIATE`` on SQLite).

        Raises:
            StoreError: When the database fails.
        """
        with self._failures(what), self._writer.begin() as conn:
            yield conn

    @contextmanager
    def transaction(self, what: str) -> Iterator[Tx]:
        """Lend a write transaction on the driver's own connection, committed at the end.

        The write path of :mod:`disruption.store.sql.writes` runs on it (see
        :mod:`disruption.store.sql.driver` for why). An exception leaving the block rolls the
        transaction back; the block may commit early (:meth:`Tx.commit`).

        Args:
            what: What is done, for errors ("append to case P-1").

        Yields:
            The transaction (``BEGIN IMMEDIATE`` on SQLite).

        Raises:
            StoreError: When the database fails.
        """
        with self._failures(what), self._driver_connection() as pooled:
            tx = self._begin(pooled)
            try:
                yield tx
                tx.commit()
            except BaseException:
                tx.rollback()
                raise
            finally:
                tx.close()
                if tx.broken:
                    pooled.invalidate()

    def run(
        self,
        what: str,
        write: Callable[Concatenate[Tx, P], T],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Run ``write(tx, *args, **kwargs)`` in a write transaction, as :meth:`transaction` lends.

        The same transaction without the context managers around it: the write path of every
        command, where their bookkeeping cost a few microseconds a command.

        Args:
            what: What is done, for errors ("append to case P-1").
            write: What writes; it may commit early (:meth:`Tx.commit`).
            *args: Its arguments after the transaction.
            **kwargs: Its keyword arguments.

        Returns:
            What ``write`` returns, after the commit.

        Raises:
            StoreError: When the database fails.
        """
        try:
            if self.postgres:
                with self._server_connection() as pooled:
                    return self._run(pooled, write, args, kwargs)
            with self._pinned_lock:
                return self._run(
                    self._pin() if self._pinned is None else self._pinned, write, args, kwargs
                )
        except self._errors as err:
            raise self._failure(what, err) from err

    def _run(self, pooled: Any, write: Callable[..., T], args: Any, kwargs: dict[str, Any]) -> T:
        tx = self._begin(pooled)
        try:
            done = write(tx, *args, **kwargs)
            tx.commit()
            return done
        except BaseException:
            tx.rollback()
            raise
        finally:
            tx.close()
            if tx.broken:
                pooled.invalidate()

    def _begin(self, pooled: Any) -> Tx:
        if not self.postgres:
            return SqliteTx(self._pinned_driver, cursor=self._pinned_cursor)
        prepared = pooled.info.setdefault(_PREPARED, {}) if self._prepare else None
        return open_tx(pooled.driver_connection, True, prepared=prepared)

    def driver_row(self, what: str, sql: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """The first row of :meth:`driver_rows`, or ``None``.

        Raises:
            StoreError: When the database fails.
        """
        rows = self.driver_rows(what, sql, params)
        return rows[0] if rows else None

    def driver_rows(self, what: str, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """Read through the driver itself, in autocommit: one statement, one round trip.

        One statement reads a consistent state. This skips SQLAlchemy's transaction around
        a read (on PostgreSQL a ``BEGIN`` and a ``ROLLBACK`` beside the query), which cost more
        than the read itself on the hot path of every command. On SQLite it runs on the
        store's own connection, on PostgreSQL on a pooled one, switched to autocommit for the
        statement and back, and prepared there after its first use
        (:func:`~disruption.store.sql.postgres_tx.read_rows`).

        Args:
            what: What is done, for errors ("read a case").
            sql: One ``SELECT`` with ``?`` placeholders.
            params: Its parameters.

        Returns:
            The rows.

        Raises:
            StoreError: When the database fails.
        """
        rows: list[tuple[Any, ...]]
        try:
            if not self.postgres:
                with self._pinned_lock:
                    if self._pinned is None:
                        self._pin()
                    rows = self._pinned_cursor.execute(sql, params).fetchall()
                return rows
            from disruption.store.sql.postgres_tx import read_rows

            with self._server_connection() as pooled:
                try:
                    driver: Any = pooled.driver_connection
                    driver.autocommit = True
                    prepared = pooled.info.setdefault(_PREPARED, {}) if self._prepare else None
                    try:
                        rows = read_rows(driver, sql, params, prepared)
                    finally:
                        driver.autocommit = False
                except BaseException:
                    pooled.invalidate()
                    raise
            return rows
        except self._errors as err:
            raise self._failure(what, err) from err

    @contextmanager
    def _server_connection(self) -> Iterator[Any]:
        """On PostgreSQL, a pooled connection for a command's read or append.

        The one the store keeps checked out when no other thread holds it (checking a
        connection out of the pool and back cost about 20 us of CPU, twice a command), else
        one from the pool. A kept connection found invalidated after its use (broken, see
        :meth:`run`) is let go, and the next use checks out another.
        """
        if not self._kept_lock.acquire(blocking=False):
            pooled = self.engine.raw_connection()
            try:
                yield pooled
            finally:
                pooled.close()
            return
        try:
            if self._kept is None:
                self._kept = self.engine.raw_connection()
            kept = self._kept
            try:
                yield kept
            finally:
                if not kept.is_valid:
                    self._kept = None
                    kept.close()
        finally:
            self._kept_lock.release()

    def data_version(self) -> int:
        """On SQLite, the store's connection's ``PRAGMA data_version``.

        It changes when any other connection (of this process or another) commits to the
        database, never for the connection's own commits: the store's appends. Read from the
        connection's memory, no file is read.

        Raises:
            StoreError: When the database fails.
        """
        try:
            with self._pinned_lock:
                if self._pinned is None:
                    self._pin()
                found = self._pinned_cursor.execute("PRAGMA data_version").fetchall()
            version: int = found[0][0]
            return version
        except self._errors as err:
            raise self._failure("read the data version", err) from err

    def _pin(self) -> Any:
        """On SQLite, check out the connection kept for the store's writes (under the lock).

        With it one cursor, for every statement the store sends on it (reads, the data
        version and write transactions, one at a time under the lock): a cursor made for
        each cost more than the lookup of a cached statement.
        """
        self._pinned = self.engine.raw_connection()
        self._pinned_driver = self._pinned.driver_connection
        self._pinned_cursor = self._pinned_driver.cursor()
        return self._pinned

    @contextmanager
    def _driver_connection(self) -> Iterator[Any]:
        """A pooled connection for one write transaction.

        On SQLite, one connection kept for the store's writes, lent to one transaction at a
        time (SQLite runs one writer at a time anyway): checking a connection out of the pool
        and back for every command cost about 5 % of a durable command. On PostgreSQL, the
        connection :meth:`_server_connection` lends.
        """
        if self.postgres:
            with self._server_connection() as pooled:
                yield pooled
            return
        with self._pinned_lock:
            yield self._pin() if self._pinned is None else self._pinned

    def upgrade(self) -> tuple[int, int]:
        """Create the tables, or upgrade the schema to this library's version.

        Returns:
            The schema versions before and after (``0`` before when the tables were created).

        Raises:
            StoreError: When the database fails; nothing is changed.
            SchemaError: When the database is not a disruption store, or a newer one.
        """
        with self.writing("upgrade the store") as conn:
            return migrations.upgrade(conn, shown=self.url)

    def scrub(self, table: str) -> None:
        """Leave no copy of a table's deleted rows in the database's files, after deleting them.

        PostgreSQL: the table is rewritten with its live rows only
        (:func:`~disruption.store.sql.key_store.rewrite_without`; ``VACUUM`` can leave deleted
        bytes in a page's free space, or copy them). A SQLite file store: a
        ``TRUNCATE`` checkpoint of the write-ahead log, whose frames hold pages as they were
        (the rows themselves are zeroed by ``secure_delete``, set by the deleting transaction).

        Args:
            table: The table (one of the schema's).

        Raises:
            StoreError: When the database fails.
        """
        with self._failures(f"scrub {table}"):
            if self.postgres:
                from disruption.store.sql.key_store import rewrite_without

                with self.writing(f"scrub {table}") as conn:
                    rewrite_without(conn, schema.metadata.tables[table])
            elif self._file is not None:
                pooled = self.engine.raw_connection()
                try:
                    sqlite: Any = pooled.driver_connection
                    sqlite.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
                finally:
                    pooled.close()

    def close(self) -> None:
        """Close the connections."""
        with self._pinned_lock:
            pinned, self._pinned, self._pinned_driver = self._pinned, None, None
            cursor, self._pinned_cursor = self._pinned_cursor, None
        if cursor is not None:
            cursor.close()
        if pinned is not None:
            pinned.close()
        with self._kept_lock:
            kept, self._kept = self._kept, None
        if kept is not None:
            kept.close()
        self.engine.dispose()
