"""Schema upgrades: each step brings a store from one schema version to the next.

:func:`upgrade` runs in one transaction, so a store is upgraded whole or not at all, and
upgrading a current store does nothing. Steps describe the tables as they were at their
versions (from :mod:`disruption.store.sql.old_tables`, never :mod:`disruption.store.sql.schema`,
which follows the latest), so an old store is always brought up by the same path.
``disruption db upgrade --db URL`` runs this; opening an older store without it is refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import sqlalchemy as sa

from disruption.store.sql import audit, schema
from disruption.store.sql.old_tables import (
    V1_METADATA,
    V2,
    V2_COMMANDS,
    V2_CONSUMERS,
    V2_EVENTS,
    V2_POSITIONS,
    V3,
    V3_ACCESS_LOG,
    V3_CHILD_KEYS,
)
from disruption.store.sql.text_upgrades import reseal_fernet_texts, seal_clear_texts

__all__ = ["STEPS", "V1_METADATA", "upgrade"]

_LOCK = 0x64697372
"""PostgreSQL advisory lock key ("disr") that serialises concurrent upgrades."""


def _sqlite_events_v2(conn: sa.Connection) -> None:
    """Rebuild ``events`` without AUTOINCREMENT, its positions renumbered 1..n in order."""
    conn.exec_driver_sql("ALTER TABLE events RENAME TO events_v1")
    conn.exec_driver_sql("DROP INDEX events_command_id")
    V2_EVENTS.create(conn)
    names = ", ".join(c.name for c in V2_EVENTS.columns if c.name != "position")
    conn.exec_driver_sql(
        f"INSERT INTO events (position, {names}) "
        f"SELECT ROW_NUMBER() OVER (ORDER BY position), {names} FROM events_v1"
    )
    conn.exec_driver_sql("DROP TABLE events_v1")


def _postgres_events_v2(conn: sa.Connection) -> None:
    """Make ``events.position`` a BIGINT without a sequence, renumbered 1..n in order."""
    sequence = conn.exec_driver_sql("SELECT pg_get_serial_sequence('events', 'position')")
    name = sequence.scalar()
    conn.exec_driver_sql('ALTER TABLE events ALTER COLUMN "position" DROP DEFAULT')
    if name is not None:
        conn.exec_driver_sql(f"DROP SEQUENCE {name}")
    conn.exec_driver_sql('ALTER TABLE events ALTER COLUMN "position" TYPE BIGINT')
    conn.exec_driver_sql("DROP INDEX events_command_id")
    count, last = conn.exec_driver_sql('SELECT count(*), max("position") FROM events').one()
    if count == (last or 0):
        return
    # Two passes, so that no row ever takes a position another still holds.
    conn.exec_driver_sql('UPDATE events SET "position" = -"position"')
    conn.exec_driver_sql(
        'UPDATE events SET "position" = renumbered.n FROM (SELECT "position" AS old, '
        'ROW_NUMBER() OVER (ORDER BY "position" DESC) AS n FROM events) AS renumbered '
        'WHERE events."position" = renumbered.old'
    )


def _v1_to_v2(conn: sa.Connection) -> None:
    """Version 2: store-assigned gap-free positions, the commands and consumers tables."""
    if conn.dialect.name == "sqlite":
        _sqlite_events_v2(conn)
    else:
        _postgres_events_v2(conn)
    V2.create_all(conn, tables=[V2_POSITIONS, V2_COMMANDS, V2_CONSUMERS])
    events = V2_EVENTS
    last = sa.select(sa.func.coalesce(sa.func.max(events.c.position), 0)).scalar_subquery()
    conn.execute(sa.insert(V2_POSITIONS).values(id=1, last=last))
    applied = (
        sa.select(
            events.c.command_id,
            sa.func.min(events.c.case_id),
            sa.func.min(events.c.position),
            sa.func.max(events.c.position),
        )
        .where(events.c.command_id.is_not(None))
        .group_by(events.c.command_id)
    )
    columns = ["id", "case_id", "first_position", "last_position"]
    conn.execute(sa.insert(V2_COMMANDS).from_select(columns, applied))


def _v2_to_v3(conn: sa.Connection) -> None:
    """Version 3: each event row's ``hash``, chained over the history; the access log."""
    V3.create_all(conn, tables=[V3_ACCESS_LOG, V3_CHILD_KEYS])
    seal_clear_texts(conn)
    conn.exec_driver_sql("ALTER TABLE events ADD COLUMN hash TEXT")
    previous = audit.GENESIS
    rows = conn.execute(sa.select(V2_EVENTS).order_by(V2_EVENTS.c.position))  # ``hash`` aside
    hashes = []
    for row in rows.mappings():
        previous = audit.link(previous, dict(row))
        hashes.append({"p": row["position"], "h": previous})
    if hashes:
        marks = ":h, :p" if conn.dialect.name == "sqlite" else "%(h)s, %(p)s"
        first, second = marks.split(", ")
        conn.exec_driver_sql(
            f'UPDATE events SET hash = {first} WHERE "position" = {second}', hashes
        )


_CREATE_TABLE = re.compile(r'^\s*CREATE\s+TABLE\s+"?(\w+)"?', re.IGNORECASE)
_WITHOUT_ROWID = re.compile(r"\)\s*WITHOUT\s+ROWID\s*$", re.IGNORECASE)


def _without_rowid(conn: sa.Connection, table: str) -> None:
    """Rebuild a SQLite table, not referenced by any foreign key, ``WITHOUT ROWID``.

    From its own ``CREATE`` statements, so that the step does not depend on later versions.
    """
    found = conn.exec_driver_sql(
        "SELECT type, sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL", (table,)
    ).all()
    create = next(sql for kind, sql in found if kind == "table")
    if _WITHOUT_ROWID.search(create):
        return
    indexes = [sql for kind, sql in found if kind == "index"]
    building = f"{table}_v4"
    conn.exec_driver_sql(
        _CREATE_TABLE.sub(f"CREATE TABLE {building}", create, count=1) + " WITHOUT ROWID"
    )
    conn.exec_driver_sql(f"INSERT INTO {building} SELECT * FROM {table}")
    conn.exec_driver_sql(f"DROP TABLE {table}")
    conn.exec_driver_sql(f"ALTER TABLE {building} RENAME TO {table}")
    for sql in indexes:
        conn.exec_driver_sql(sql)


def _v3_to_v4(conn: sa.Connection) -> None:
    """Version 4: on SQLite, the small tables keyed by text are ``WITHOUT ROWID`` tables.

    Nothing changes on PostgreSQL (its tables have no rowid).
    """
    if conn.dialect.name == "sqlite":
        for table in ("commands", "deadlines", "child_keys", "consumers", "disruption_meta"):
            _without_rowid(conn, table)


def _v4_to_v5(conn: sa.Connection) -> None:
    """Version 5: free text sealed with AES-256-GCM, bound to its reference and child."""
    reseal_fernet_texts(conn)


def _v5_to_v6(conn: sa.Connection) -> None:
    """Version 6: each case's snapshot.

    None is written here: the engine rebuilds a case from its events once, and the case's
    next append writes its snapshot.
    """
    conn.exec_driver_sql("ALTER TABLE cases ADD COLUMN snapshot TEXT")


def _v6_to_v7(conn: sa.Connection) -> None:
    """Version 7: cases indexed by child (an ending reads the child's placement history)."""
    conn.exec_driver_sql("CREATE INDEX cases_child ON cases (child)")


def _v7_to_v8(conn: sa.Connection) -> None:
    """Version 8: each case's carer, indexed (a rule that counts the carer's endings).

    Filled from each case's opening event, whose data holds the placement (and its carer,
    when it names one); the carer of a placement never changes.
    """
    conn.exec_driver_sql("ALTER TABLE cases ADD COLUMN carer TEXT")
    opened = conn.exec_driver_sql("SELECT case_id, data FROM events WHERE seq = 1")
    carers = []
    for case_id, data in opened:
        placement = json.loads(data).get("placement")
        carer = placement.get("carer") if isinstance(placement, dict) else None
        if carer is not None:
            carers.append({"id": case_id, "carer": carer})
    if carers:
        update = sa.text("UPDATE cases SET carer = :carer WHERE id = :id")
        conn.execute(update, carers)
    conn.exec_driver_sql("CREATE INDEX cases_carer ON cases (carer)")


STEPS: dict[int, Callable[[sa.Connection], None]] = {
    1: _v1_to_v2,
    2: _v2_to_v3,
    3: _v3_to_v4,
    4: _v4_to_v5,
    5: _v5_to_v6,
    6: _v6_to_v7,
    7: _v7_to_v8,
}
"""The upgrade step from each schema version to the next."""


def upgrade(conn: sa.Connection, *, shown: str = "the database") -> tuple[int, int]:
    """Create the store, or upgrade its schema to this library's version, step by step.

    Args:
        conn: A connection in a write transaction (``BEGIN IMMEDIATE`` on SQLite); every
            step runs in it.
        shown: How to name the database in errors (never with its password).

    Returns:
        The schema versions before and after (``0`` before when the store was created).

    Raises:
        SchemaError: When the database is not a disruption store, or a newer one.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK)))
    found = schema.stored_version(conn, shown)
    if found is None:
        schema.create(conn)
        return 0, schema.SCHEMA_VERSION
    meta = schema.meta
    for version in range(found, schema.SCHEMA_VERSION):
        STEPS[version](conn)
        at = meta.c.key == "schema_version"
        conn.execute(sa.update(meta).where(at).values(value=str(version + 1)))
    return found, schema.SCHEMA_VERSION
