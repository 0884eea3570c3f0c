"""A key store in a SQLite file or a PostgreSQL database of its own.

One table, ``disruption_keys`` (child, key). Erasing a key must leave no copy in the store's
files, which neither database does by itself on ``DELETE``:

- **SQLite**: every connection runs with ``secure_delete=ON`` (deleted content is overwritten
  with zeros in the file) and the rollback journal (``journal_mode=DELETE``), never the
  write-ahead log, whose old frames would keep copies of pages until overwritten; a journal
  lives only while a transaction does.
- **PostgreSQL**: a ``DELETE`` leaves the row's bytes in its page, a plain ``VACUUM`` can
  leave them in the page's free space (seen for the last row of a page), and ``VACUUM FULL``
  copies a deleted row that any open transaction of the database might still see. So an
  erasure rewrites the table (:func:`rewrite_without`): locked, its other rows read,
  truncated (a new file; the old one emptied at commit), the rows written back. The
  write-ahead log (and any WAL archive) still holds the key until its segments are recycled
  and overwritten: ``docs/privacy.md`` treats it as a backup.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from disruption.exceptions import StoreError
from disruption.store.sql.connection import create_private, sqlalchemy_url
from disruption.store.sql.keys import new_key

__all__ = ["KEY_TABLE", "SqlKeyStore", "rewrite_without"]

KEY_TABLE: Final = "disruption_keys"
_metadata = sa.MetaData()
_keys = sa.Table(
    KEY_TABLE,
    _metadata,
    sa.Column("child", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, nullable=False),
)
_CHUNK: Final = 500
_SQLITE_PRAGMAS: Final = (
    "PRAGMA secure_delete=ON",
    "PRAGMA journal_mode=DELETE",
    "PRAGMA synchronous=FULL",
    "PRAGMA busy_timeout=10000",
)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in _SQLITE_PRAGMAS:
        cursor.execute(pragma).fetchall()
    cursor.close()


def rewrite_without(
    conn: sa.Connection, table: sa.Table, gone: sa.ColumnElement[bool] | None = None
) -> int:
    """On PostgreSQL, rewrite a table without some rows, leaving no copy of them in its pages.

    In the caller's transaction: the table is locked, its other rows read, the table
    truncated (a new, empty file; the old one is emptied at commit) and the rows written back.
    Unlike ``VACUUM FULL``, which copies a deleted row that some transaction of the database
    might still see, this keeps only the rows live now.

    Args:
        conn: A connection in a transaction.
        table: A small table that no foreign key references.
        gone: Which rows to drop (``None``: none, the table is rewritten after a delete).

    Returns:
        How many rows were dropped.
    """
    name = conn.dialect.identifier_preparer.format_table(table)
    conn.exec_driver_sql(f"LOCK TABLE {name} IN ACCESS EXCLUSIVE MODE")
    dropped = 0
    query = sa.select(table)
    if gone is not None:
        counted = sa.select(sa.func.count()).select_from(table).where(gone)
        dropped = int(conn.execute(counted).scalar() or 0)
        if not dropped:
            return 0
        query = query.where(sa.not_(gone))
    kept = [dict(r) for r in conn.execute(query).mappings()]
    conn.exec_driver_sql(f"TRUNCATE {name}")
    for start in range(0, len(kept), _CHUNK):
        conn.execute(sa.insert(table), kept[start : start + _CHUNK])
    return dropped


class SqlKeyStore:
    """A :class:`~disruption.store.key_store.KeyStore` in SQLite or PostgreSQL.

    Args:
        url: A SQLite path or ``sqlite:///...``, or ``postgresql://...``: a database of its
            own, never the case store's.
        create: Create the key table when it is missing.

    Raises:
        StoreError: When the database cannot be reached or is a case store.

    Attributes:
        url: The path or URL, without its password.
    """

    def __init__(self, url: str, *, create: bool = True) -> None:
        try:
            target = sqlalchemy_url(url)
            self.url = url if "://" not in url else target.render_as_string(hide_password=True)
            self._password = target.password
            if target.get_backend_name() == "sqlite":
                if target.database not in (None, "", ":memory:") and not target.query:
                    create_private(Path(target.database))
                self.engine = sa.create_engine(target, hide_parameters=True)
                sa.event.listen(self.engine, "connect", _on_sqlite_connect)
            else:
                self.engine = sa.create_engine(
                    target, hide_parameters=True, connect_args={"connect_timeout": 10}
                )
        except (ArgumentError, ImportError, ValueError):
            raise StoreError(
                "not a key store URL: give a SQLite path, sqlite:///... or postgresql://..."
            ) from None
        self.postgres = self.engine.dialect.name == "postgresql"
        try:
            self._open(create)
        except BaseException:
            self.engine.dispose()
            raise

    def __repr__(self) -> str:
        return f"SqlKeyStore({self.url!r})"

    def _fail(self, what: str, err: Exception) -> StoreError:
        orig = getattr(err, "orig", None)
        reason = " ".join(str(orig if orig is not None else err).split())
        if self._password:
            reason = reason.replace(self._password, "***")
        return StoreError(f"cannot {what} in the key store at {self.url}: {reason}")

    def _open(self, create: bool) -> None:
        try:
            with self.engine.begin() as conn:
                tables = set(sa.inspect(conn).get_table_names())
                if "disruption_meta" in tables:
                    raise StoreError(
                        f"{self.url} is a case store: keep the keys in a database of their own"
                    )
                if KEY_TABLE not in tables:
                    if not create:
                        raise StoreError(f"no key store at {self.url}")
                    _metadata.create_all(conn)
        except SQLAlchemyError as err:
            raise self._fail("open", err) from None

    def _insert(self) -> Any:
        return (postgresql.insert if self.postgres else sqlite.insert)(_keys)

    def keys_for(self, children: Iterable[str]) -> dict[str, str]:
        """Return some children's keys, creating (and committing) those missing first.

        Raises:
            StoreError: When the database fails.
        """
        wanted = sorted(set(children))
        found: dict[str, str] = {}
        try:
            with self.engine.connect() as conn:  # usually held already: read only
                for start in range(0, len(wanted), _CHUNK):
                    chunk = wanted[start : start + _CHUNK]
                    query = sa.select(_keys.c.child, _keys.c.key).where(_keys.c.child.in_(chunk))
                    found.update((c, k) for c, k in conn.execute(query).all())
            if len(found) == len(wanted):
                return found
            wanted = [c for c in wanted if c not in found]
            with self.engine.begin() as conn:
                for start in range(0, len(wanted), _CHUNK):
                    chunk = wanted[start : start + _CHUNK]
                    rows = [{"child": c, "key": new_key()} for c in chunk]
                    conn.execute(self._insert().on_conflict_do_nothing(), rows)
                    query = sa.select(_keys.c.child, _keys.c.key).where(_keys.c.child.in_(chunk))
                    found.update((c, k) for c, k in conn.execute(query).all())
        except SQLAlchemyError as err:
            raise self._fail("make keys", err) from None
        return found

    def key(self, child: str) -> str | None:
        """Return a child's key, or ``None``.

        Raises:
            StoreError: When the database fails.
        """
        try:
            with self.engine.connect() as conn:
                found = conn.execute(sa.select(_keys.c.key).where(_keys.c.child == child)).scalar()
        except SQLAlchemyError as err:
            raise self._fail("read a key", err) from None
        return None if found is None else str(found)

    def put(self, keys: Mapping[str, str]) -> None:
        """Keep keys moved from a case store (those held already must be the same).

        Raises:
            StoreError: When another key is held for one of the children, or the database fails.
        """
        if not keys:
            return
        children = sorted(keys)
        try:
            with self.engine.begin() as conn:
                for start in range(0, len(children), _CHUNK):
                    chunk = children[start : start + _CHUNK]
                    rows = [{"child": c, "key": keys[c]} for c in chunk]
                    conn.execute(self._insert().on_conflict_do_nothing(), rows)
                    query = sa.select(_keys.c.child, _keys.c.key).where(_keys.c.child.in_(chunk))
                    clash = [c for c, k in conn.execute(query).all() if keys[c] != k]
                    if clash:
                        raise StoreError(
                            f"the key store at {self.url} holds other keys for "
                            f"{len(clash)} of these children: nothing moved"
                        )
        except SQLAlchemyError as err:
            raise self._fail("keep keys", err) from None

    def erase(self, child: str) -> bool:
        """Destroy a child's key; on PostgreSQL rewrite the table without it (see the module).

        Raises:
            StoreError: When the database fails (nothing is erased then).
        """
        try:
            with self.engine.begin() as conn:
                if self.postgres:
                    return rewrite_without(conn, _keys, _keys.c.child == child) > 0
                deleted = conn.execute(sa.delete(_keys).where(_keys.c.child == child)).rowcount
        except SQLAlchemyError as err:
            raise self._fail("erase a key", err) from None
        return bool(deleted)

    def close(self) -> None:
        """Close the connections."""
        self.engine.dispose()
