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

    Args:
        raw: The connection (``isolation_level=None``: transactions are explicit).
        begin: Begin the transaction with ``BEGIN IMMEDIATE``.
    """

    postgres = False
    integrity_error = sqlite3.IntegrityError

    def __init__(self, raw: sqlite3.Connection, *, begin: bool = True) -> None:
        super().__init__(raw, begin=begin)
        self._cursor = raw.cursor()
        self._open: list[sqlite3.Cursor] = []
        if begin:
            raw.execute("BEGIN IMMEDIATE")

    def execute(
        self, statement: str, params: Sequence[Any] = (), *, prepare: bool = False
    ) -> Result:
        """See :meth:`disruption.store.sql.driver.Tx.execute`."""
        cursor = self._raw.cursor()
        self._open.append(cursor)
        cursor.execute(statement, params)
        return Result(cursor)

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
            self._close_cursors()
            self._raw.commit()
            self._owned = False

    def rollback(self) -> None:
        """See :meth:`disruption.store.sql.driver.Tx.rollback`."""
        self._close_cursors()
        if self._owned:
            self._raw.rollback()
            self._owned = False

    def close(self) -> None:
        """See :meth:`disruption.store.sql.driver.Tx.close`."""
        self._close_cursors()

    def _close_cursors(self) -> None:
        # A statement left unfinished (a result not read to the end) would keep the
        # connection busy, and make a later COMMIT on it fail.
        for cursor in self._open:
            cursor.close()
        self._open.clear()
