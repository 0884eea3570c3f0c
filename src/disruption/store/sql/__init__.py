"""The SQL store, SQLite or PostgreSQL through SQLAlchemy Core.

The store is :class:`disruption.store.sql.store.SqlStore`.
"""
