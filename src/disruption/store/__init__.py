"""Case stores: where events, cases and personal text are kept.

:class:`~disruption.engine.ports.CaseStore` is the narrow interface the engine needs;
:class:`~disruption.store.memory.MemoryStore` keeps everything in memory (tests, dry runs),
:class:`~disruption.store.sql.store.SqlStore` keeps it in SQLite or PostgreSQL through SQLAlchemy
Core. :func:`open_store` opens one from a ``--db`` value.

SQLAlchemy is imported only when a SQL store is opened (it takes about 0.3 s to import).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from disruption.engine.ports import CaseStore, NewCase, OverdueDeadline, Refusal, StoredEvent
from disruption.store.memory import MemoryStore

if TYPE_CHECKING:
    from disruption.store.sql.store import SqlStore

__all__ = [
    "CaseStore",
    "MemoryStore",
    "NewCase",
    "OverdueDeadline",
    "Refusal",
    "SqlStore",
    "StoredEvent",
    "open_store",
]


def open_store(db: str | None, *, must_exist: bool = False) -> CaseStore:
    """Open the store a ``--db`` value names.

    Args:
        db: A database URL or SQLite path, or ``None`` for a store in memory.
        must_exist: Refuse to create a store that is not there yet.

    Returns:
        The store.

    Raises:
        StoreError: When the store cannot be opened, or is missing and ``must_exist``.
        SchemaError: When the database is not a disruption store (or a newer one).
    """
    if db is None:
        return MemoryStore()
    from disruption.store.sql import store as sql

    return sql.SqlStore(db, create=not must_exist)


def __getattr__(name: str) -> Any:
    if name == "SqlStore":
        from disruption.store.sql import store as sql

        return sql.SqlStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
