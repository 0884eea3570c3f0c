"""A write transaction on ``sqlite3``: every statement runs at once.

Writers begin with ``BEGIN IMMEDIATE``, so that concurrent writers wait for each other
(up to the busy timeout) instead of failing at commit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from disruption.store.sql.driver import Result, Tx, insert_sql

__all__ = ["SqliteTx"]


class SqliteTx(Tx):
    """A :class:`~disruption.store.sql.driver.Tx` on a ``sqlite3`` connection in autocommit mode.

    Every statement runs on one cursor and is read to its end at once (its rows kept in its
    :class:`~disruption.store.sql.driver.Result`): no statement is left unfinished, which
    would keep the connection busy and make a later ``COMMIT`` on it fail, and no cursor is
    made for each statement (a command sends four to seven).

    Args:
        raw: The connection (``isolation_level=None``: transactions are explicit).
        begin: Begin the transaction with ``BEGIN IMMEDIATE``.
        cursor: A cursor on ``raw`` to run the statements on (the store keeps one with its
            connection); ``None`` opens one, closed by :meth:`close`.
    """

    postgres = False
    integrity_error = sqlite3.IntegrityError

    def __init__(
        self, raw: sqlite3.Connection, *, begin: bool = True, cursor: sqlite3.Cursor | None = None
    ) -> None:
        super().__init__(raw, begin=begin)
        self._own_cursor = cursor is None
        self._cursor = raw.cursor() if cursor is None else cursor
        if begin:
            self._cursor.execute("BEGIN IMMEDIATE")

    def execute(
        self, statement: str, params: Sequence[Any] = (), *, prepare: bool = False
    ) -> Result:
        """See :meth:`disruption.store.sql.driver.Tx.execute`."""
        cursor = self._cursor
        cursor.execute(statement, params)
        rows = cursor.fetchall()  # before rowcount: RETURNING counts the rows as read
        return Result(rows, cursor.rowcount)

    def executemany(
        self, statement: str, rows: Sequence[Sequence[Any]], *, prepare: bool = False
    ) -> None:
        """See :meth:`disruption.store.sql.driver.Tx.executemany`."""
        if len(rows) == 1:  # the common case of a command, without executemany's setup
            self._cursor.execute(statement, rows[0])
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
        """See :meth:`disruption.store.sql.driver.Tx.insert`."""
        if not rows:
            return
        statement = insert_sql(table, tuple(columns))
        if len(rows) == 1:
            self._cursor.execute(statement, rows[0])
        else:
            self._cursor.executemany(statement, rows)

    def conflict_table(self, err: Exception) -> str | None:
        """See :meth:`disruption.store.sql.driver.Tx.conflict_table`."""
        # "UNIQUE constraint failed: commands.id"
        _, found, rest = str(err).partition("constraint failed: ")
        return rest.split(".", 1)[0] if found else None

    def commit(self) -> None:
        """See :meth:`disruption.store.sql.driver.Tx.commit`."""
        if self._owned:
            # The cursor's COMMIT is prepared once (the statement cache); the connection's
            # commit() prepares it again every time.
            self._cursor.execute("COMMIT")
            self._owned = False

    def rollback(self) -> None:
        """See :meth:`disruption.store.sql.driver.Tx.rollback`."""
        if self._owned:
            self._raw.rollback()
            self._owned = False

    def close(self) -> None:
        """See :meth:`disruption.store.sql.driver.Tx.close`."""
        if self._own_cursor:
            self._cursor.close()
