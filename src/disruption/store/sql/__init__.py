"""The SQL store, SQLite or PostgreSQL through SQLAlchemy Core.

Internal: this package and its modules are not part of the public API (``docs/api.md``); they
may change without notice.

The store is :class:`disruption.store.sql.store.SqlStore`.
"""
