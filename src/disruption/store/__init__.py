"""Case stores: where events, cases and personal text are kept.

:class:`~disruption.engine.ports.CaseStore` is what the engine needs: six small interfaces
(:class:`EventLog`, :class:`SnapshotStore`, :class:`EventFeed`, :class:`DeadlineIndex`,
:class:`PersonalDataVault`, :class:`AccessLog`), each with its contract, summed;
:class:`~disruption.store.memory.MemoryStore` keeps everything in memory (tests, dry runs),
:class:`~disruption.store.sql.store.SqlStore` keeps it in SQLite or PostgreSQL through SQLAlchemy
Core. :func:`open_store` opens one from a ``--db`` value.

SQLAlchemy is imported only when a SQL store is opened (it takes about 0.3 s to import).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from disruption.engine.ports import (
    AccessLog,
    CaseStore,
    DeadlineIndex,
    EventFeed,
    EventLog,
    NewCase,
    OverdueDeadline,
    PersonalDataVault,
    Refusal,
    SnapshotStore,
    StoredEvent,
)
from disruption.exceptions import UnsupportedDatabase
from disruption.store.key_store import KeyStore, MemoryKeyStore
from disruption.store.memory import MemoryStore

if TYPE_CHECKING:
    from disruption.store.sql.store import SqlStore

__all__ = [
    "AccessLog",
    "CaseStore",
    "DeadlineIndex",
    "EventFeed",
    "EventLog",
    "KeyStore",
    "MemoryKeyStore",
    "MemoryStore",
    "NewCase",
    "OverdueDeadline",
    "PersonalDataVault",
    "Refusal",
    "SnapshotStore",
    "SqlStore",
    "StoredEvent",
    "check_url",
    "open_key_store",
    "open_store",
]

SCHEMES = frozenset({"sqlite", "sqlite+pysqlite", "postgresql", "postgres", "postgresql+psycopg"})
"""The database URL schemes a store runs on (a path without ``://`` is a SQLite file)."""


def open_store(
    db: str | None, *, must_exist: bool = False, keys: str | KeyStore | None = None
) -> CaseStore:
    """Open the store a ``--db`` value names, with the key store a ``--keys`` value names.

    Args:
        db: A database URL or SQLite path, or ``None`` for a store in memory.
        must_exist: Refuse to create a store that is not there yet.
        keys: Where the children's keys are kept: a key store, or its URL or SQLite path
            (:func:`open_key_store`), apart from the case store. ``None`` keeps them in the
            case store, as before (so its backups can undo an erasure: see
            ``docs/privacy.md``). Not used for a store in memory.

    Returns:
        The store.

    Raises:
        StoreError: When the store cannot be opened, or is missing and ``must_exist``.
        UnsupportedDatabase: When ``db`` is a URL of a database no store runs on.
        SchemaError: When the database is not a disruption store (or a newer one).
    """
    if db is None:
        return MemoryStore()
    check_url(db)
    from disruption.store.sql import store as sql

    key_store = open_key_store(keys) if isinstance(keys, str) else keys
    try:
        return sql.SqlStore(db, create=not must_exist, keys=key_store)
    except BaseException:
        if key_store is not None and isinstance(keys, str):
            key_store.close()
        raise


def open_key_store(url: str, *, create: bool = True) -> KeyStore:
    """Open the key store a ``--keys`` value names.

    Args:
        url: A SQLite path, ``sqlite:///...``, ``postgresql://...`` (a database of its own),
            or ``:memory:``.
        create: Create the key table when it is missing.

    Returns:
        The key store.

    Raises:
        StoreError: When it cannot be opened, or the database is a case store.
    """
    if url == ":memory:":
        return MemoryKeyStore()
    from disruption.store.sql.key_store import SqlKeyStore

    return SqlKeyStore(url, create=create)


def check_url(db: str) -> str:
    """Refuse a database URL of a scheme no store runs on, before SQLAlchemy reads it.

    >>> check_url("cases.sqlite"), check_url("postgresql://user@host/db")
    ('cases.sqlite', 'postgresql://user@host/db')
    >>> check_url("mysql://user@host/db")
    Traceback (most recent call last):
    ...
    disruption.exceptions.UnsupportedDatabase: 'mysql' is not a supported database: ...

    Args:
        db: A ``--db`` value: a SQLite path (anything without ``://``) or a database URL.

    Returns:
        ``db``, unchanged.

    Raises:
        UnsupportedDatabase: When the URL's scheme is not one of :data:`SCHEMES` (the
            message names the scheme only: a URL can carry a password).
    """
    scheme, separator, _ = db.partition("://")
    if separator and scheme.strip().lower() not in SCHEMES:
        raise UnsupportedDatabase(scheme.strip().lower(), ("sqlite", "postgresql"))
    return db


def __getattr__(name: str) -> Any:
    if name == "SqlStore":
        from disruption.store.sql import store as sql

        return sql.SqlStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
