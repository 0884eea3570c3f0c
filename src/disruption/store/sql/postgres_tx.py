"""A write transaction on psycopg 3: statements queued, sent together, prepared once.

The statements of a transaction are queued and sent as one multi-statement query only when
a result is needed (:meth:`PostgresTx.sync`) and at commit; psycopg binds their parameters on
the client (``ClientCursor``, with the server's quoting rules). ``BEGIN`` goes with the first
batch and ``COMMIT`` with the last, so an append is one or two round trips whatever its
number of statements (:mod:`disruption.store.sql.writes`): measured here, fewer and cheaper than
psycopg's pipeline mode, which waits on the socket for each statement. A transaction sent
whole at commit goes without them: the server runs the statements of one message as one
implicit transaction, all or nothing.

Statements marked ``prepare`` are prepared on the connection after the transaction that
first sent them (``PREPARE`` outside any transaction: one that never ran, after a failed
statement in its batch, would leave a name that does not exist), and sent as ``EXECUTE``
from then on: planning them each time cost more than running them. The names prepared on a
connection are kept with the pooled connection. A connection whose prepared statements are
lost (``DISCARD ALL``) fails the one command that meets the gap and sends statements in full
from then on; ``prepared=None`` (``prepare_threshold=none`` in the store's URL) turns
preparing off.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from typing import Any, Final

import psycopg

from disruption.store.sql.driver import COPY_FROM, Result, Tx, insert_sql

__all__ = ["PostgresTx", "read_rows"]

_OFF: Final = "off"
"""Marks, under the key ``""``, a connection whose statements are no longer prepared."""


@functools.lru_cache(maxsize=256)
def _rendered(statement: str) -> str:
    return statement.replace("?", "%s")


def _numbered(statement: str) -> str:
    """The statement with ``$1``, ``$2``... for its ``?`` placeholders, as PREPARE takes it."""
    parts = statement.split("?")
    return "".join(f"{part}${i}" for i, part in enumerate(parts[:-1], start=1)) + parts[-1]


def _name(statement: str) -> str:
    return "disruption_" + hashlib.sha1(statement.encode(), usedforsecurity=False).hexdigest()[:16]


@functools.lru_cache(maxsize=64)
def _copy_sql(table: str, columns: tuple[str, ...]) -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    return f"COPY {table} ({names}) FROM STDIN"


def read_rows(
    raw: psycopg.Connection[Any],
    statement: str,
    params: Sequence[Any],
    prepared: dict[str, str] | None,
) -> list[tuple[Any, ...]]:
    """The rows of one read, on a connection in autocommit, prepared after its first use.

    The reads of every command (the command id and the case's snapshot) cost more to plan
    than to run: after it first runs on a connection, the statement is prepared there and
    sent as ``EXECUTE`` (in the names kept with the pooled connection, as :class:`PostgresTx`
    keeps them). A prepared statement gone from the connection (``DISCARD ALL``) is not an
    error for a read: it is run in full, and the connection prepares nothing more.

    Args:
        raw: The connection, in autocommit mode.
        statement: One ``SELECT`` with ``?`` placeholders.
        params: Its parameters.
        prepared: The statements prepared on this connection; ``None`` prepares nothing.

    Returns:
        The rows.
    """
    usable = prepared is not None and prepared.get("") != _OFF
    cursor = psycopg.ClientCursor(raw)
    name = prepared.get(statement) if usable and prepared is not None else None
    if name is not None:
        marks = ", ".join(["%s"] * len(params))
        try:
            return cursor.execute(f"EXECUTE {name}({marks})", params).fetchall()
        except psycopg.errors.InvalidSqlStatementName:
            assert prepared is not None
            prepared.clear()
            prepared[""] = _OFF
            usable = False
    rows = cursor.execute(_rendered(statement), params).fetchall()
    if usable and prepared is not None:
        name = _name(statement)
        try:
            cursor.execute(f"PREPARE {name} AS {_numbered(statement)}")
        except psycopg.Error:
            prepared[""] = _OFF
        else:
            prepared[statement] = name
    return rows


class PostgresTx(Tx):
    """A :class:`~disruption.store.sql.driver.Tx` on a psycopg 3 connection.

    Args:
        raw: The connection.
        begin: Begin the transaction (in autocommit mode, ``BEGIN`` and ``COMMIT`` travel
            with the statements); ``False`` when the caller's transaction is open.
        prepared: The statements prepared on this connection (SQL to name); ``None``
            prepares nothing.
    """

    postgres = True
    integrity_error = psycopg.IntegrityError

    def __init__(
        self, raw: psycopg.Connection[Any], *, begin: bool = True, prepared: dict[str, str] | None
    ) -> None:
        super().__init__(raw, begin=begin)
        usable = prepared is not None and prepared.get("") != _OFF
        self._prepared = prepared if usable else None
        self._to_prepare: set[str] = set()
        self._queue: list[tuple[str, Sequence[Any], Result]] = []
        self._cursor = psycopg.ClientCursor(raw)
        self._begun = not begin
        """Whether ``BEGIN`` was sent (or the caller's transaction is open)."""
        if begin:
            raw.autocommit = True

    def execute(
        self, statement: str, params: Sequence[Any] = (), *, prepare: bool = False
    ) -> Result:
        """See :meth:`disruption.store.sql.driver.Tx.execute`."""
        result = Result()
        name = None if self._prepared is None else self._prepared.get(statement)
        if name is not None:
            marks = f"({', '.join(['%s'] * len(params))})" if params else ""
            self._queue.append((f"EXECUTE {name}{marks}", params, result))
            return result
        self._queue.append((_rendered(statement), params, result))
        if prepare and self._prepared is not None:
            self._to_prepare.add(statement)
        return result

    def executemany(
        self, statement: str, rows: Sequence[Sequence[Any]], *, prepare: bool = False
    ) -> None:
        """See :meth:`disruption.store.sql.driver.Tx.executemany`."""
        for row in rows:
            self.execute(statement, row, prepare=prepare)

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
        names = tuple(columns)
        if len(rows) < COPY_FROM:
            flat = [v for r in rows for v in r]
            self.execute(insert_sql(table, names, len(rows)), flat, prepare=prepare)
            return
        self.sync()
        with self._cursor.copy(_copy_sql(table, names)) as copy:
            for row in rows:
                copy.write_row(row)

    def sync(self) -> None:
        """See :meth:`disruption.store.sql.driver.Tx.sync`."""
        if not self._queue:
            return
        if not self._begun:  # a result wanted before the end: an explicit transaction
            self._queue.insert(0, ("BEGIN", (), Result()))
            self._begun = True
        self._send()

    def _send(self) -> None:
        queued, self._queue = self._queue, []
        cursor = self._cursor
        params = [p for _, ps, _ in queued for p in ps]
        try:
            cursor.execute("; ".join(s for s, _, _ in queued), params)
        except psycopg.errors.InvalidSqlStatementName:
            self._forget_prepared()
            raise
        for _, _, result in queued:
            result.fill(cursor)
            cursor.nextset()

    def conflict_table(self, err: Exception) -> str | None:
        """See :meth:`disruption.store.sql.driver.Tx.conflict_table`."""
        diag = getattr(err, "diag", None)
        return None if diag is None else diag.table_name

    def commit(self) -> None:
        """See :meth:`disruption.store.sql.driver.Tx.commit`."""
        if not self._owned:
            self.sync()
            return
        if self._begun:
            self._queue.append(("COMMIT", (), Result()))
        # Else nothing was sent yet: the statements go as one message, which the server runs
        # as one implicit transaction (all or nothing, committed at the end), without a
        # BEGIN and a COMMIT to run as statements of their own.
        self._send()  # if it fails, the transaction is still ours to roll back
        self._owned = False

    def rollback(self) -> None:
        """See :meth:`disruption.store.sql.driver.Tx.rollback`."""
        self._queue.clear()
        if self._owned:
            self._raw.rollback()
            self._owned = False

    def close(self) -> None:
        """Prepare the statements marked for it, and leave autocommit mode.

        A connection that cannot be left as the pool expects (broken, or still in a failed
        transaction) is marked :attr:`broken`, for its owner to discard.
        """
        try:
            if self._to_prepare and self._prepared is not None and self._raw.autocommit:
                self._prepare(self._prepared)
            self._raw.autocommit = False
        except psycopg.Error:
            self.broken = True

    def _prepare(self, prepared: dict[str, str]) -> None:
        named = {statement: _name(statement) for statement in sorted(self._to_prepare)}
        statements = (f"PREPARE {n} AS {_numbered(s)}" for s, n in named.items())
        try:
            self._cursor.execute("; ".join(statements))
        except psycopg.Error:
            prepared[""] = _OFF  # this connection sends every statement in full
            return
        prepared.update(named)

    def _forget_prepared(self) -> None:
        # Dropped behind our back: this command fails, and the connection sends statements
        # in full from now on.
        if self._prepared is not None:
            self._prepared.clear()
            self._prepared[""] = _OFF
