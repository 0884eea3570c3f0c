"""A case store in SQLite or PostgreSQL, on SQLAlchemy Core.

One command's events, the case's row, its deadlines and its free text are written in one
transaction, guarded by the case's version (optimistic concurrency). On SQLite every
connection runs with ``synchronous=FULL``, foreign keys on and a 10 s busy timeout, and
writes begin with ``BEGIN IMMEDIATE`` so that concurrent writers wait for each other instead
of failing at commit.

>>> store = SqlStore(":memory:")
>>> store.case_ids()
()
>>> store.close()
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, IntegrityError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from disruption.events import Event, PersonalText
from disruption.exceptions import ConcurrencyError, SchemaError, StoreError
from disruption.model import Case, DeadlineStatus
from disruption.store import schema
from disruption.store.base import OverdueDeadline
from disruption.store.schema import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "SqlStore"]

_IMMEDIATE = "disruption_begin_immediate"
"""Execution option that makes a SQLite transaction begin with ``BEGIN IMMEDIATE``."""

_SQLITE_PRAGMAS = ("PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=10000")


class _Stale(Exception):
    """The case's stored version is not the expected one (inside a transaction)."""


def _target(url: str) -> URL:
    if "://" not in url:
        return URL.create("sqlite+pysqlite", database=url)
    target = make_url(url)
    if target.drivername in ("postgresql", "postgres"):
        return target.set(drivername="postgresql+psycopg")
    return target


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


def _create_engine(target: URL) -> sa.Engine:
    if target.get_backend_name() != "sqlite":
        timeout = {} if "connect_timeout" in target.query else {"connect_timeout": 10}
        return sa.create_engine(target, hide_parameters=True, connect_args=timeout)
    pool = {"poolclass": StaticPool} if _sqlite_file(target) is None else {}
    engine = sa.create_engine(
        target, hide_parameters=True, connect_args={"check_same_thread": False}, **pool
    )
    sa.event.listen(engine, "connect", _on_sqlite_connect)
    sa.event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def _write_case(conn: sa.Connection, case: Case, expected_version: int) -> None:
    cases, row = schema.cases, schema.case_row(case)
    if expected_version == 0:
        try:
            conn.execute(sa.insert(cases), row)
        except IntegrityError:
            raise _Stale from None
        return
    guard = (cases.c.id == row.pop("id")) & (cases.c.version == expected_version)
    if conn.execute(sa.update(cases).where(guard).values(row)).rowcount != 1:
        raise _Stale


def _insert(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(sa.insert(table), rows)


class SqlStore:
    """A :class:`~disruption.store.base.CaseStore` in SQLite or PostgreSQL.

    Args:
        url: A database URL (``postgresql://...`` is opened with psycopg 3, ``sqlite:///...``),
            or a plain path to a SQLite file, or ``:memory:``.
        create: Create the tables in an empty or missing database. When ``False``, a
            missing SQLite file is not created.

    Raises:
        StoreError: When the database cannot be reached, or there is no store and ``create``
            is ``False``.
        SchemaError: When the database is not a disruption store, not a SQLite file, or was
            written by a newer version of disruption.

    Attributes:
        url: The path or URL of the database, without its password.
    """

    def __init__(self, url: str, *, create: bool = True) -> None:
        try:
            target = _target(url)
        except ArgumentError:
            raise StoreError("not a database URL or path") from None
        self.url = url if "://" not in url else make_url(url).render_as_string(hide_password=True)
        self._password = target.password
        file = _sqlite_file(target) if target.get_backend_name() == "sqlite" else None
        if not create and file is not None and not file.exists():
            raise StoreError(f"no store at {self.url}")
        try:
            self._engine = _create_engine(target)
        except (ArgumentError, ImportError) as err:
            raise StoreError(f"cannot open the store at {self.url}: {err}") from None
        self._writer = self._engine.execution_options(**{_IMMEDIATE: True})
        try:
            self._open(create)
        except BaseException:
            self._engine.dispose()
            raise

    def __repr__(self) -> str:
        return f"SqlStore({self.url!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _open(self, create: bool) -> None:
        with self._failures("open the store"):
            if self._found_version() is not None:
                return
            if not create:
                raise StoreError(f"no store at {self.url}")
            with self._writer.begin() as conn:
                if schema.stored_version(conn, self.url) is None:
                    schema.create(conn)

    def _found_version(self) -> int | None:
        try:
            with self._engine.connect() as conn:
                return schema.stored_version(conn, self.url)
        except DatabaseError as err:
            # Exactly DatabaseError (not a subclass) is SQLite's "file is not a database".
            if self._engine.dialect.name == "sqlite" and type(err) is DatabaseError:
                raise SchemaError(f"{self.url} is not a SQLite database") from err
            raise

    @contextmanager
    def _failures(self, what: str) -> Iterator[None]:
        """Turn database errors into :class:`StoreError`, never showing the password."""
        try:
            yield
        except SQLAlchemyError as err:
            orig = getattr(err, "orig", None)
            reason = " ".join(str(orig if orig is not None else err).split())
            if self._password:
                reason = reason.replace(self._password, "***")
            raise StoreError(f"cannot {what} at {self.url}: {reason}") from err

    def events(self, case: str) -> Sequence[Event]:
        """Return a case's events in sequence order.

        Args:
            case: The case reference.

        Returns:
            The events, empty if there is no such case.

        Raises:
            StoreError: When the database cannot be read.
        """
        table = schema.events
        return self._events(sa.select(table).where(table.c.case_id == case).order_by(table.c.seq))

    def events_of_command(self, command_id: str) -> Sequence[Event]:
        """Return the events appended by a command, by its idempotency key.

        Args:
            command_id: The command's idempotency key.

        Returns:
            The events in the order appended, empty if no command had that key.

        Raises:
            StoreError: When the database cannot be read.
        """
        table = schema.events
        query = sa.select(table).where(table.c.command_id == command_id)
        return self._events(query.order_by(table.c.position))

    def _events(self, query: sa.Select[Any]) -> tuple[Event, ...]:
        with self._failures("read events"), self._engine.connect() as conn:
            return tuple(schema.event_from_row(row) for row in conn.execute(query).mappings())

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
            StoreError: When the database fails; nothing is written.
        """
        try:
            with self._failures(f"append to case {case.id}"), self._writer.begin() as conn:
                _write_case(conn, case, expected_version)
                _insert(conn, schema.events, [schema.event_row(e) for e in events])
                table = schema.deadlines
                conn.execute(sa.delete(table).where(table.c.case_id == case.id))
                _insert(conn, table, schema.deadline_rows(case))
                _insert(conn, schema.personal_texts, schema.text_rows(texts))
        except _Stale:
            actual = self._version(case.id)
            raise ConcurrencyError(
                f"case {case.id} is at version {actual}, not {expected_version}",
                expected=expected_version,
                actual=actual,
                case=case.id,
            ) from None

    def _version(self, case: str) -> int:
        with self._failures("read a case's version"), self._engine.connect() as conn:
            query = sa.select(schema.cases.c.version).where(schema.cases.c.id == case)
            version = conn.execute(query).scalar()
        return 0 if version is None else int(version)

    def case_ids(self) -> Sequence[str]:
        """Return every case's reference, sorted (by code point, as Python sorts).

        Returns:
            The references.

        Raises:
            StoreError: When the database cannot be read.
        """
        with self._failures("list cases"), self._engine.connect() as conn:
            return tuple(sorted(conn.execute(sa.select(schema.cases.c.id)).scalars()))

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
        with self._failures("read deadlines"), self._engine.connect() as conn:
            found = [
                OverdueDeadline(row["case_id"], row["state"], schema.deadline_from_row(row))
                for row in conn.execute(query).mappings()
            ]
        # Sorted here, not in SQL: PostgreSQL's collation may not sort by code point.
        return sorted(found, key=lambda o: (o.deadline.due, o.case, o.deadline.id))

    def text(self, ref: str) -> str | None:
        """Return a piece of free text by its reference.

        Args:
            ref: The reference left in the event's data.

        Returns:
            The text, or ``None`` if there is none (or it was erased).

        Raises:
            StoreError: When the database cannot be read.
        """
        texts = schema.personal_texts
        query = sa.select(texts.c.text).where(texts.c.ref == ref)
        with self._failures("read text"), self._engine.connect() as conn:
            value = conn.execute(query).scalar()
        return None if value is None else str(value)

    def close(self) -> None:
        """Close the store's connections."""
        self._engine.dispose()
