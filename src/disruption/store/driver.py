"""One write transaction on the database driver itself, below SQLAlchemy.

The SQL store's writes are few statements, the same every time, on the hot path of every
command and of every bulk load. Sent through SQLAlchemy they cost more in Python than the
database's own work (measured in ``benchmarks/bench_store.py``), so the write path takes the
pooled connection's driver connection (``sqlite3`` or psycopg 3) and sends fixed SQL with
positional parameters. SQLAlchemy still owns the engine, the pool, the schema, the upgrades
and every read.

On PostgreSQL the statements of a transaction are queued and sent together, as one
multi-statement query, only when a result is needed (:meth:`Tx.sync`) and at commit; psycopg
binds their parameters on the client (``ClientCursor``, with the server's own quoting
rules). ``BEGIN`` goes with the first batch and ``COMMIT`` with the last, so an append costs
two round trips whatever its number of statements: measured here, fewer than psycopg's
pipeline mode, which waits on the socket for each statement. Many rows go in with ``COPY``.
On SQLite every statement runs at once (there is no round trip to save).

Statements here are written with ``?`` placeholders; :func:`sql` renders them for psycopg.
"""

from __future__ import annotations

import functools
import hashlib
import sqlite3
from collections.abc import Sequence
from typing import Any, Final

import sqlalchemy as sa

__all__ = ["COPY_FROM", "Result", "Tx", "returning_supported", "sql", "tx_of"]

_OFF: Final = "off"
"""Marks a connection whose statements are no longer prepared."""

COPY_FROM: Final = 50
"""From how many rows a PostgreSQL insert is sent as ``COPY`` rather than ``INSERT``."""


def sql(statement: str, postgres: bool) -> str:
    """Render a statement written with ``?`` placeholders for the driver.

    Args:
        statement: The SQL, with ``?`` for each parameter and no literal ``%`` or ``?``.
        postgres: Whether it goes to psycopg (``%s`` placeholders).

    Returns:
        The statement for the driver.
    """
    return statement.replace("?", "%s") if postgres else statement


@functools.lru_cache(maxsize=128)
def _insert_sql(table: str, columns: tuple[str, ...], rows: int = 1) -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    row = f"({', '.join('?' * len(columns))})"
    return f"INSERT INTO {table} ({names}) VALUES {', '.join([row] * rows)}"


@functools.lru_cache(maxsize=64)
def _copy_sql(table: str, columns: tuple[str, ...]) -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    return f"COPY {table} ({names}) FROM STDIN"


class Result:
    """The result of one statement: its rows and how many rows it changed.

    On PostgreSQL it is filled by :meth:`Tx.sync`; read it after that.
    """

    def __init__(self, cursor: Any = None) -> None:
        self._cursor = cursor
        self._rows: list[tuple[Any, ...]] = []
        self._rowcount = -1

    @property
    def rowcount(self) -> int:
        """Rows the statement changed (``-1`` when not known)."""
        return self._rowcount if self._cursor is None else int(self._cursor.rowcount)

    def fetchall(self) -> list[tuple[Any, ...]]:
        """The rows the statement returned (all of them, so that SQLite finishes it)."""
        if self._cursor is None:
            return self._rows
        rows: list[tuple[Any, ...]] = self._cursor.fetchall()
        return rows

    def _fill(self, cursor: Any) -> None:
        self._rowcount = cursor.rowcount
        self._rows = cursor.fetchall() if cursor.description is not None else []


class Tx:
    """A write transaction on a DBAPI connection (``sqlite3`` or psycopg 3).

    Args:
        raw: The driver's connection.
        postgres: Whether it is a psycopg connection.
        begin: Begin the transaction (and let :meth:`commit` end it); ``False`` when the
            caller's transaction is already open on the connection.
        prepared: On PostgreSQL, the statements prepared on this connection (SQL to name),
            kept with the pooled connection; ``None`` prepares nothing.

    Attributes:
        postgres: Whether the connection is PostgreSQL's.
        integrity_error: The driver's ``IntegrityError``.
    """

    def __init__(
        self,
        raw: Any,
        postgres: bool,
        *,
        begin: bool = True,
        prepared: dict[str, str] | None = None,
    ) -> None:
        self._raw = raw
        # psycopg's own switch: prepare_threshold None (behind a transaction-mode pooler,
        # say) means prepared statements cannot be kept on the connection.
        keep = postgres and getattr(raw, "prepare_threshold", None) is not None
        off = prepared is None or prepared.get("") == _OFF
        self._prepared = None if off or not keep else prepared
        self._to_prepare: set[str] = set()
        self.postgres = postgres
        self.integrity_error: type[Exception] = (
            _psycopg().IntegrityError if postgres else sqlite3.IntegrityError
        )
        self._queue: list[tuple[str, Sequence[Any], Result]] = []
        self._open: list[Any] = []
        self._owned = begin
        if postgres:
            self._cursor = _psycopg().ClientCursor(raw)
            if begin:
                raw.autocommit = True  # BEGIN and COMMIT travel with the statements
                self._queue.append(("BEGIN", (), Result()))
        else:
            self._cursor = raw.cursor()
            if begin:
                raw.execute("BEGIN IMMEDIATE")

    def execute(
        self, statement: str, params: Sequence[Any] = (), *, prepare: bool = False
    ) -> Result:
        """Run one statement (on PostgreSQL, queue it until :meth:`sync`).

        Args:
            statement: The SQL, with ``?`` placeholders.
            params: Its parameters, in order.
            prepare: On PostgreSQL, keep the statement prepared on the connection (from the
                next transaction on): for the fixed statements of every command, whose
                planning would otherwise cost more than running them.

        Returns:
            Its result.
        """
        if self.postgres:
            result = Result()
            name = None if self._prepared is None else self._prepared.get(statement)
            if name is not None:
                marks = ", ".join(["%s"] * len(params))
                self._queue.append(
                    (f"EXECUTE {name}({marks})" if params else f"EXECUTE {name}", params, result)
                )
            else:
                self._queue.append((_rendered(statement), params, result))
                if prepare and self._prepared is not None:
                    self._to_prepare.add(statement)
            return result
        cursor = self._raw.cursor()
        self._open.append(cursor)
        cursor.execute(statement, params)
        return Result(cursor)

    def executemany(
        self, statement: str, rows: Sequence[Sequence[Any]], *, prepare: bool = False
    ) -> None:
        """Run one statement for each of some rows of parameters (nothing for no rows).

        Args:
            statement: The SQL, with ``?`` placeholders.
            rows: The parameters of each execution.
            prepare: As for :meth:`execute`.
        """
        if self.postgres:
            for row in rows:
                self.execute(statement, row, prepare=prepare)
        elif rows:
            self._cursor.executemany(statement, rows)

    def insert(
        self,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        prepare: bool = False,
    ) -> None:
        """Insert rows: ``COPY`` on PostgreSQL for many rows, else ``INSERT``.

        Args:
            table: The table's name.
            columns: The columns the rows give, in order.
            rows: The rows.
            prepare: As for :meth:`execute` (for an insert of few rows).
        """
        if not rows:
            return
        names = tuple(columns)
        if not self.postgres:
            statement = _insert_sql(table, names)
            if len(rows) == 1:
                self._cursor.execute(statement, rows[0])
            else:
                self._cursor.executemany(statement, rows)
        elif len(rows) < COPY_FROM:
            flat = [v for r in rows for v in r]
            self.execute(_insert_sql(table, names, len(rows)), flat, prepare=prepare)
        else:
            self.sync()
            with self._cursor.copy(_copy_sql(table, names)) as copy:
                for row in rows:
                    copy.write_row(row)

    def sync(self) -> None:
        """Send the queued statements (PostgreSQL), filling their results.

        Raises:
            The driver's error for the first statement that failed; the transaction is
            then failed, and must be rolled back.
        """
        if not self._queue:
            return
        queued, self._queue = self._queue, []
        cursor = self._cursor
        try:
            cursor.execute(
                "; ".join(s for s, _, _ in queued), [p for _, ps, _ in queued for p in ps]
            )
        except _psycopg().errors.InvalidSqlStatementName:
            # Prepared statements were dropped behind our back (DISCARD ALL by a pooler):
            # this command fails, and the connection sends statements in full from now on.
            if self._prepared is not None:
                self._prepared.clear()
                self._prepared[""] = _OFF
            raise
        for _, _, result in queued:
            result._fill(cursor)
            cursor.nextset()

    def conflict_table(self, err: Exception) -> str | None:
        """The table whose key or constraint an ``IntegrityError`` names, if it names one.

        Args:
            err: The driver's error.

        Returns:
            The table's name (``"commands"``), or ``None``.
        """
        if self.postgres:
            return getattr(getattr(err, "diag", None), "table_name", None)
        _, found, rest = str(err).partition("constraint failed: ")
        return rest.split(".", 1)[0] if found else None

    def commit(self) -> None:
        """Commit (on PostgreSQL, ``COMMIT`` goes with the statements still queued).

        A transaction the ``Tx`` did not begin is left to its owner.
        """
        if not self._owned:
            self.sync()
            return
        if self.postgres:
            self._queue.append(("COMMIT", (), Result()))
            self.sync()
        else:
            self._close_cursors()
            self._raw.commit()
        self._owned = False

    def rollback(self) -> None:
        """Roll back; every statement's result is discarded."""
        self._queue.clear()
        self._close_cursors()
        if self._owned:
            self._raw.rollback()
            self._owned = False

    def close(self) -> None:
        """Leave the connection as the pool expects it (PostgreSQL: not in autocommit).

        Statements marked to be prepared are prepared now, outside the transaction: a
        ``PREPARE`` is not undone by a rollback, but one that never ran (after a failed
        statement in its batch) would leave a name that does not exist.
        """
        self._close_cursors()
        if not self.postgres:
            return
        try:
            if self._to_prepare and self._prepared is not None and self._raw.autocommit:
                self._prepare(self._prepared)
        finally:
            self._raw.autocommit = False

    def _prepare(self, prepared: dict[str, str]) -> None:
        named = {statement: _name(statement) for statement in sorted(self._to_prepare)}
        try:
            self._cursor.execute(
                "; ".join(f"PREPARE {n} AS {_numbered(s)}" for s, n in named.items())
            )
        except _psycopg().Error:
            return  # not prepared: the statements keep being sent in full
        prepared.update(named)

    def _close_cursors(self) -> None:
        # A SQLite statement left unfinished (a result not read to the end) would keep the
        # connection busy, and make a later COMMIT on it fail.
        for cursor in self._open:
            cursor.close()
        self._open.clear()


@functools.lru_cache(maxsize=256)
def _rendered(statement: str) -> str:
    return sql(statement, True)


def _numbered(statement: str) -> str:
    """The statement with ``$1``, ``$2``... for its ``?`` placeholders, as PREPARE takes it."""
    parts = statement.split("?")
    return "".join(f"{part}${i}" for i, part in enumerate(parts[:-1], start=1)) + parts[-1]


def _name(statement: str) -> str:
    return "disruption_" + hashlib.sha1(statement.encode(), usedforsecurity=False).hexdigest()[:16]


def tx_of(conn: sa.Connection) -> Tx:
    """A :class:`Tx` in the transaction a SQLAlchemy connection has open.

    Args:
        conn: A SQLAlchemy connection in a transaction.

    Returns:
        The transaction, for this module's statements (its owner commits it).
    """
    postgres = conn.dialect.name == "postgresql"
    return Tx(conn.connection.driver_connection, postgres, begin=False)


def _psycopg() -> Any:
    import psycopg

    return psycopg


def returning_supported() -> bool:
    """Whether the SQLite library has ``UPDATE ... RETURNING`` (3.35 and later)."""
    return sqlite3.sqlite_version_info >= (3, 35)
