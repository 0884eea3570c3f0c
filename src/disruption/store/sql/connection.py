"""A write transaction on a connection: SQLite's or PostgreSQL's :class:`~.driver.Tx`.

The transaction classes (:mod:`~disruption.store.sql.sqlite_tx`,
:mod:`~disruption.store.sql.postgres_tx`) build on :mod:`disruption.store.sql.driver`; this
module picks one for a connection. psycopg is imported only when a PostgreSQL store is used.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from disruption.store.sql.driver import Tx
from disruption.store.sql.sqlite_tx import SqliteTx

__all__ = ["create_private", "open_tx", "sqlalchemy_url", "tx_of"]


def sqlalchemy_url(url: str) -> URL:
    """Return the SQLAlchemy URL of a ``--db`` or ``--keys`` value.

    A value without ``://`` is a SQLite file path; PostgreSQL goes through psycopg 3.
    """
    if "://" not in url:
        return URL.create("sqlite+pysqlite", database=url)
    target = make_url(url)
    if target.drivername in ("postgresql", "postgres"):
        return target.set(drivername="postgresql+psycopg")
    return target


def create_private(file: Path) -> None:
    """Create a missing SQLite file empty, readable and writable by its owner only (0600).

    SQLite would create it with the process's umask (usually 0644: readable by everyone);
    created first, it is an empty database that SQLite opens as it is, and SQLite gives the
    write-ahead log and shared-memory files (``-wal``, ``-shm``) the database file's mode.
    An existing file is left as it is.
    """
    try:
        os.close(os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError:
        pass  # a folder that is missing or not writable: SQLite's own error says so


def open_tx(
    raw: Any, postgres: bool, *, begin: bool = True, prepared: dict[str, str] | None = None
) -> Tx:
    """A transaction on a driver connection.

    Args:
        raw: The driver's connection (``sqlite3`` or psycopg 3).
        postgres: Whether it is a psycopg connection.
        begin: Begin the transaction (``False``: the caller's is open already).
        prepared: On PostgreSQL, the statements prepared on this connection (SQL to name),
            kept with the pooled connection; ``None`` prepares nothing.

    Returns:
        The transaction.
    """
    if postgres:
        from disruption.store.sql.postgres_tx import PostgresTx

        return PostgresTx(raw, begin=begin, prepared=prepared)
    return SqliteTx(raw, begin=begin)


def tx_of(conn: sa.Connection) -> Tx:
    """A :class:`Tx` in the transaction a SQLAlchemy connection has open.

    Args:
        conn: A SQLAlchemy connection in a transaction.

    Returns:
        The transaction, for this module's statements (its owner commits it).
    """
    postgres = conn.dialect.name == "postgresql"
    return open_tx(conn.connection.driver_connection, postgres, begin=False)
