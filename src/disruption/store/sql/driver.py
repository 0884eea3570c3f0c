"""One write transaction on the database driver itself, below SQLAlchemy.

The SQL store's writes are few statements, the same every time, on the hot path of every
command and of every bulk load. Sent through SQLAlchemy they cost more in Python than the
database's own work (measured in ``benchmarks/bench_store.py``), so the write path takes the
pooled connection's driver connection (``sqlite3`` or psycopg 3) and sends fixed SQL with
positional parameters. SQLAlchemy still owns the engine, the pool, the schema, the upgrades
and every read. :mod:`disruption.store.sql.connection` opens a :class:`Tx` on a connection.

:class:`Tx` is what :mod:`disruption.store.sql.writes` sees; :mod:`~disruption.store.sql.sqlite_tx`
runs each statement at once (there is no round trip to save), and
:mod:`~disruption.store.sql.postgres_tx` queues statements and sends them together, so that an
append costs one round trip, or two (see :mod:`disruption.store.sql.writes`). Statements are
written with ``?`` placeholders.
"""

from __future__ import annotations

import functools
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Final, TypeVar

__all__ = [
    "COPY_FROM",
    "IN_CHUNK",
    "Result",
    "Tx",
    "ask_in",
    "in_chunks",
    "insert_sql",
    "returning_supported",
]

T = TypeVar("T")

COPY_FROM: Final = 50
"""From how many rows a PostgreSQL insert is sent as ``COPY`` rather than ``INSERT``."""


@functools.lru_cache(maxsize=128)
def insert_sql(table: str, columns: tuple[str, ...], rows: int = 1) -> str:
    """``INSERT INTO table (columns) VALUES (?, ...)``, with ``rows`` rows of placeholders."""
    names = ", ".join(f'"{c}"' for c in columns)
    row = f"({', '.join('?' * len(columns))})"
    return f"INSERT INTO {table} ({names}) VALUES {', '.join([row] * rows)}"


class Result:
    """The result of one statement: its rows and how many rows it changed.

    Filled when the statement has run: on SQLite at once (every row read, so that the
    statement is finished), on PostgreSQL by :meth:`Tx.sync`; read it after that.

    Args:
        rows: The rows the statement returned.
        rowcount: Rows the statement changed (``-1`` when not known).
    """

    __slots__ = ("_rowcount", "_rows")

    def __init__(self, rows: list[tuple[Any, ...]] | None = None, rowcount: int = -1) -> None:
        self._rows = [] if rows is None else rows
        self._rowcount = rowcount

    @property
    def rowcount(self) -> int:
        """Rows the statement changed (``-1`` when not known)."""
        return self._rowcount

    def fetchall(self) -> list[tuple[Any, ...]]:
        """The rows the statement returned (all of them)."""
        return self._rows

    def fill(self, cursor: Any) -> None:
        """Take the current result of a cursor (its rows, if it has any, and its count)."""
        self._rowcount = cursor.rowcount
        self._rows = cursor.fetchall() if cursor.description is not None else []


class Tx(ABC):
    """A write transaction on a DBAPI connection.

    Args:
        raw: The driver's connection.
        begin: Begin the transaction (and let :meth:`commit` end it); ``False`` when the
            caller's transaction is already open on the connection.

    Attributes:
        postgres: Whether the connection is PostgreSQL's.
        integrity_error: The driver's ``IntegrityError``.
        broken: Whether :meth:`close` found the connection unfit to go back to the pool.
    """

    postgres: bool
    integrity_error: type[Exception]
    broken: bool = False

    def __init__(self, raw: Any, *, begin: bool = True) -> None:
        self._raw = raw
        self._owned = begin

    @abstractmethod
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

    @abstractmethod
    def executemany(
        self, statement: str, rows: Sequence[Sequence[Any]], *, prepare: bool = False
    ) -> None:
        """Run one statement for each of some rows of parameters (nothing for no rows).

        Args:
            statement: The SQL, with ``?`` placeholders.
            rows: The parameters of each execution.
            prepare: As for :meth:`execute`.
        """

    @abstractmethod
    def insert(
        self,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        prepare: bool = False,
    ) -> None:
        """Insert rows (on PostgreSQL, many rows with ``COPY``).

        Args:
            table: The table's name.
            columns: The columns the rows give, in order.
            rows: The rows.
            prepare: As for :meth:`execute` (for an insert of few rows).
        """

    def sync(self) -> None:  # noqa: B027 - a no-op where statements run at once
        """Send the statements queued so far, filling their results.

        Raises:
            The driver's error for the first statement that failed; the transaction has
            failed, and must be rolled back.
        """

    @abstractmethod
    def conflict_table(self, err: Exception) -> str | None:
        """The table whose key or constraint an ``IntegrityError`` names, if it names one.

        Args:
            err: The driver's error.

        Returns:
            The table's name (``"commands"``), or ``None``.
        """

    @abstractmethod
    def commit(self) -> None:
        """Commit (a transaction the ``Tx`` did not begin is left to its owner)."""

    @abstractmethod
    def rollback(self) -> None:
        """Roll back; every statement's result is discarded."""

    def close(self) -> None:  # noqa: B027 - nothing to leave behind by default
        """Leave the connection as the pool expects it."""


IN_CHUNK: Final = 500
"""How many values one ``IN (...)`` list (or one multi-row ``INSERT``) holds at most."""


def in_chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    """``values`` in slices of at most `IN_CHUNK`, for one statement each."""
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


def ask_in(
    tx: Tx, template: str, values: Sequence[Any], *, prepare_single: bool = False
) -> Callable[[], list[tuple[Any, ...]]]:
    """Ask for the rows matching some values, as ``IN`` lists of at most `IN_CHUNK` values.

    Every query is queued before any is read: on PostgreSQL they go in one round trip.

    Args:
        tx: A write transaction.
        template: The query, with ``{}`` where the list of ``?`` placeholders goes.
        values: The values.
        prepare_single: Keep the query prepared when it asks for one value (see
            :meth:`Tx.execute`).

    Returns:
        A function giving every matching row (call it after :meth:`Tx.sync`).
    """
    asked = []
    for chunk in in_chunks(values):
        marks = ", ".join("?" * len(chunk))
        asked.append(
            tx.execute(template.format(marks), chunk, prepare=prepare_single and len(chunk) == 1)
        )

    def answered() -> list[tuple[Any, ...]]:
        return [row for result in asked for row in result.fetchall()]

    return answered


def returning_supported() -> bool:
    """Whether the SQLite library has ``UPDATE ... RETURNING`` (3.35 and later)."""
    return sqlite3.sqlite_version_info >= (3, 35)
