"""Schema upgrades: each step brings a store from one schema version to the next.

:func:`upgrade` runs in one transaction, so a store is upgraded whole or not at all, and
upgrading a current store does nothing. Steps describe the tables as they were at their
versions (never :mod:`disruption.store.schema`, which follows the latest), so an old store
is always brought up by the same path. ``disruption db upgrade --db URL`` runs this; opening
an older store without it is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlalchemy as sa

from disruption.store import audit, schema
from disruption.store.text_upgrades import reseal_fernet_texts, seal_clear_texts

__all__ = ["STEPS", "V1_METADATA", "upgrade"]

_LOCK = 0x64697372
"""PostgreSQL advisory lock key ("disr") that serialises concurrent upgrades."""


def _events(metadata: sa.MetaData, position: sa.Column[int], *, autoincrement: bool) -> sa.Table:
    """The ``events`` table of versions 1 and 2, which differ in ``position`` only."""
    return sa.Table(
        "events",
        metadata,
        position,
        sa.Column("case_id", sa.Text, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("command", sa.Text, nullable=False),
        sa.Column("command_id", sa.Text, nullable=True),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.Text, nullable=False),
        sa.Column("actor_id", sa.Text, nullable=False),
        sa.Column("actor_role", sa.Text, nullable=False),
        sa.Column("from_state", sa.Text, nullable=True),
        sa.Column("to_state", sa.Text, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("deadlines", sa.Text, nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.UniqueConstraint("case_id", "seq", name="events_case_seq"),
        sqlite_autoincrement=autoincrement,
    )


V1_METADATA = sa.MetaData()
"""The tables of schema version 1, as the first store created them."""

sa.Table(
    "disruption_meta",
    V1_METADATA,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
sa.Table(
    "cases",
    V1_METADATA,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("procedure", sa.Text, nullable=False),
    sa.Column("procedure_version", sa.Integer, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("child", sa.Text, nullable=False),
    sa.Column("placement_type", sa.Text, nullable=False),
    sa.Column("placement_provider", sa.Text, nullable=False),
    sa.Column("placement_start", sa.Text, nullable=False),
    sa.Column("location", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Text, nullable=False),
)
_events(
    V1_METADATA,
    sa.Column("position", sa.Integer, primary_key=True, autoincrement=True),
    autoincrement=True,
).append_constraint(sa.Index("events_command_id", "command_id"))
sa.Table(
    "deadlines",
    V1_METADATA,
    sa.Column("case_id", sa.Text, sa.ForeignKey("cases.id"), nullable=False),
    sa.Column("deadline_id", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("due", sa.Text, nullable=False),
    sa.Column("earliest", sa.Text, nullable=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("opened_on", sa.Text, nullable=False),
    sa.Column("closed_on", sa.Text, nullable=True),
    sa.Column("missed_recorded", sa.Boolean, nullable=False),
    sa.PrimaryKeyConstraint("case_id", "deadline_id", name="deadlines_pk"),
    sa.Index("deadlines_status_due", "status", "due"),
)
sa.Table(
    "personal_texts",
    V1_METADATA,
    sa.Column("ref", sa.Text, primary_key=True),
    sa.Column("child", sa.Text, nullable=False),
    sa.Column("case_id", sa.Text, sa.ForeignKey("cases.id"), nullable=False),
    sa.Column("field", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Index("personal_texts_child", "child"),
)

_POSITION = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_V2 = sa.MetaData()
"""What version 2 changed or added: ``events`` and the new tables (``cases`` for the keys)."""

sa.Table("cases", _V2, sa.Column("id", sa.Text, primary_key=True))
_V2_EVENTS = _events(
    _V2,
    sa.Column("position", _POSITION, primary_key=True, autoincrement=False),
    autoincrement=False,
)
_V2_POSITIONS = sa.Table(
    "positions",
    _V2,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("last", _POSITION, nullable=False),
    sa.CheckConstraint("id = 1", name="positions_one_row"),
)
_V2_COMMANDS = sa.Table(
    "commands",
    _V2,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("case_id", sa.Text, sa.ForeignKey("cases.id"), nullable=False),
    sa.Column("first_position", _POSITION, nullable=False),
    sa.Column("last_position", _POSITION, nullable=False),
)
_V2_CONSUMERS = sa.Table(
    "consumers",
    _V2,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("position", _POSITION, nullable=False),
)


def _sqlite_events_v2(conn: sa.Connection) -> None:
    """Rebuild ``events`` without AUTOINCREMENT, its positions renumbered 1..n in order."""
    conn.exec_driver_sql("ALTER TABLE events RENAME TO events_v1")
    conn.exec_driver_sql("DROP INDEX events_command_id")
    _V2_EVENTS.create(conn)
    names = ", ".join(c.name for c in _V2_EVENTS.columns if c.name != "position")
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
    _V2.create_all(conn, tables=[_V2_POSITIONS, _V2_COMMANDS, _V2_CONSUMERS])
    events = _V2_EVENTS
    last = sa.select(sa.func.coalesce(sa.func.max(events.c.position), 0)).scalar_subquery()
    conn.execute(sa.insert(_V2_POSITIONS).values(id=1, last=last))
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
    conn.execute(sa.insert(_V2_COMMANDS).from_select(columns, applied))


def _v2_to_v3(conn: sa.Connection) -> None:
    """Version 3: each event row's ``hash``, chained over the history; the access log."""
    schema.access_log.create(conn)
    schema.child_keys.create(conn)
    seal_clear_texts(conn)
    conn.exec_driver_sql("ALTER TABLE events ADD COLUMN hash TEXT")
    previous = audit.GENESIS
    rows = conn.execute(sa.select(schema.events).order_by(schema.events.c.position))
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


STEPS: dict[int, Callable[[sa.Connection], None]] = {
    1: _v1_to_v2,
    2: _v2_to_v3,
    3: _v3_to_v4,
    4: _v4_to_v5,
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
