"""The raw driver writing every row the store writes: statements recorded from the store, replayed.

The third side of ``bench_store.py``. The store's transactions are recorded once on a scratch
database (nothing there is timed): each statement with its parameters, and each batch of
rows with its ``INSERT``. The raw driver then sends them plainly, one statement at a time
(sqlite3 ``execute``/``executemany``; psycopg with server-side parameters, prepared after
five uses), one transaction per recorded transaction. Its rows are the store's rows, values
already computed (positions, hashes, sealed text), so it measures what the library costs
over the driver for the same writes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from disruption.store.sql.driver import Tx, insert_sql
from disruption.store.sql.sqlite_tx import SqliteTx

try:
    from disruption.store.sql.postgres_tx import PostgresTx
except ImportError:  # psycopg is not installed: SQLite only
    KINDS: tuple[type[Tx], ...] = (SqliteTx,)
else:
    KINDS = (SqliteTx, PostgresTx)

__all__ = [
    "Statement",
    "Transaction",
    "postgres_batched",
    "postgres_replay",
    "recording",
    "sqlite_replay",
]

Statement = tuple[bool, str, Any]
"""Whether it runs for many rows, the SQL (``?`` placeholders), and its parameters."""
Transaction = list[Statement]


@contextmanager
def recording() -> Iterator[list[Transaction]]:
    """Record the statements of every store transaction started in the block.

    Yields:
        The transactions, filled as the block runs.
    """
    transactions: list[Transaction] = []
    methods = ("execute", "executemany", "insert")
    original: dict[tuple[type[Tx], str], Any] = {
        (k, n): getattr(k, n) for k in KINDS for n in methods
    }
    original_init = Tx.__init__
    quiet: set[int] = set()

    def init(self: Tx, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        transactions.append([])
        self._recorded = transactions[-1]  # type: ignore[attr-defined]

    def nested(self: Tx, name: str, many: bool, statement: str, params: Any, **kw: Any) -> Any:
        if id(self) not in quiet and (not many or params):
            self._recorded.append((many, statement, params))  # type: ignore[attr-defined]
        quiet.add(id(self))
        try:
            return original[type(self), name](self, statement, params, **kw)
        finally:
            quiet.discard(id(self))

    def execute(self: Tx, statement: str, params: Sequence[Any] = (), **kw: Any) -> Any:
        return nested(self, "execute", False, statement, tuple(params), **kw)

    def executemany(self: Tx, statement: str, rows: Sequence[Sequence[Any]], **kw: Any) -> None:
        nested(self, "executemany", True, statement, list(rows), **kw)

    def insert(
        self: Tx, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], **kw: Any
    ) -> None:
        if rows and id(self) not in quiet:
            statement = insert_sql(table, tuple(columns))
            self._recorded.append((True, statement, list(rows)))  # type: ignore[attr-defined]
        quiet.add(id(self))
        try:
            original[type(self), "insert"](self, table, columns, rows, **kw)
        finally:
            quiet.discard(id(self))

    patched: dict[str, Callable[..., Any]] = {
        "execute": execute, "executemany": executemany, "insert": insert,
    }  # fmt: skip
    Tx.__init__ = init  # type: ignore[method-assign]
    for kind in KINDS:
        for name, fn in patched.items():
            setattr(kind, name, fn)
    try:
        yield transactions
    finally:
        Tx.__init__ = original_init  # type: ignore[method-assign]
        for (kind, name), fn in original.items():
            setattr(kind, name, fn)


def sqlite_replay(conn: sqlite3.Connection, transactions: Sequence[Transaction]) -> None:
    """Replay recorded transactions with sqlite3, ``BEGIN IMMEDIATE ... COMMIT`` each."""
    for statements in transactions:
        conn.execute("BEGIN IMMEDIATE")
        for many, sql, params in statements:
            if many:
                conn.executemany(sql, params)
            else:
                conn.execute(sql, params).fetchall()
        conn.execute("COMMIT")


def postgres_replay(conn: Any, transactions: Sequence[Transaction]) -> None:
    """Replay recorded transactions with psycopg, one statement at a time, a commit each."""
    with conn.cursor() as cur:
        for statements in transactions:
            for many, statement, params in statements:
                rendered = statement.replace("?", "%s")
                if many:
                    cur.executemany(rendered, params)
                else:
                    cur.execute(rendered, params)
            conn.commit()


def postgres_batched(conn: Any, transactions: Sequence[Transaction]) -> None:
    """Replay recorded transactions with psycopg, each in one round trip.

    ``BEGIN``, every statement (a statement for many rows once per row) and ``COMMIT``, bound
    on the client (``ClientCursor``) and sent as one message on a connection in autocommit:
    the fewest round trips the rows can take, as the store sends a command's.
    """
    import psycopg

    cursor = psycopg.ClientCursor(conn)
    for statements in transactions:
        parts = ["BEGIN"]
        params: list[Any] = []
        for many, statement, values in statements:
            rendered = statement.replace("?", "%s")
            for row in values if many else [values]:
                parts.append(rendered)
                params.extend(row)
        parts.append("COMMIT")
        cursor.execute("; ".join(parts), params)
