"""The tables of the SQL store (schema version 6), and how a database's version is read.

Dates and instants are stored as ISO 8601 text: portable across SQLite and PostgreSQL, and
read back exactly, offsets included. Event ``data`` and ``deadlines`` are JSON text.

Every event has a ``position`` in one global, gap-free order. The store assigns it from the
one-row ``positions`` counter, updated in the transaction that appends: the counter's row lock
makes appends commit in position order, and a rolled-back append leaves no gap. ``commands``
records the positions each idempotent command appended (its primary key refuses a second
application), and ``consumers`` the position each named consumer of the events has reached.
Each event row's ``hash`` chains it to the row before (see :mod:`disruption.store.sql.audit`).

On SQLite, the small tables keyed by text (``commands``, ``deadlines``, ``child_keys``,
``consumers`` and ``disruption_meta``) are ``WITHOUT ROWID`` tables (schema version 4): the
primary key is the table, not a second B-tree beside it, so a row inserted or deleted
touches one B-tree fewer and a durable commit writes fewer pages. ``cases`` (which other
tables reference), ``events`` (keyed by its integer position, which is the rowid) and
``personal_texts`` (rows too large for it to pay) keep their rowid.

Version 5 changed no table: ``personal_texts.text`` is sealed with AES-256-GCM, bound to its
reference and child (:mod:`disruption.store.sql.keys`), where versions 3 and 4 used Fernet. The
version tells a library that reads only Fernet text not to open a store it would misread.

Version 6 added ``cases.snapshot``: the case after its last append, written in the same
transaction as its events, which the engine loads instead of replaying the case's history.

Version 7 added the index ``cases_child`` on ``cases.child``: an ending reads the child's
other cases (their placement history), which without it scanned every case.

Version 8 added ``cases.carer`` (the placement's carer, a pseudonymous reference; ``NULL``
when the placement names none), written when a case is created, and its index ``cases_carer``:
a rule that counts the carer's endings reads the carer's other cases, which without it read
every case.

How to change the schema: bump :data:`SCHEMA_VERSION`, change the tables here, and add a
step to :mod:`disruption.store.sql.migrations` that brings the previous version's tables here.
"""

from __future__ import annotations

import sqlalchemy as sa

from disruption.exceptions import SchemaError

__all__ = [
    "SCHEMA_VERSION",
    "access_log",
    "cases",
    "child_keys",
    "commands",
    "consumers",
    "create",
    "deadlines",
    "events",
    "meta",
    "metadata",
    "personal_texts",
    "positions",
    "stored_version",
]

SCHEMA_VERSION = 8
"""The version of the tables below, kept in ``disruption_meta`` under ``schema_version``."""

POSITION = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
"""A global event position: on SQLite ``INTEGER``, so that a primary key is the rowid."""

metadata = sa.MetaData()


meta = sa.Table(
    "disruption_meta",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sqlite_with_rowid=False,  # schema version 4
)

cases = sa.Table(
    "cases",
    metadata,
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
    sa.Column("snapshot", sa.Text, nullable=True),  # schema version 6
    sa.Column("carer", sa.Text, nullable=True),  # schema version 8
    sa.Index("cases_child", "child"),  # schema version 7
    sa.Index("cases_carer", "carer"),  # schema version 8
)
"""Each case's read model, and its snapshot: the case after its last append, as JSON text
(:mod:`disruption.store.sql.snapshots`); ``NULL`` in a store upgraded from version 5."""

events = sa.Table(
    "events",
    metadata,
    sa.Column("position", POSITION, primary_key=True, autoincrement=False),
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
    sa.Column("hash", sa.Text, nullable=True),
    sa.UniqueConstraint("case_id", "seq", name="events_case_seq"),
)

deadlines = sa.Table(
    "deadlines",
    metadata,
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
    sqlite_with_rowid=False,  # schema version 4
)
"""Each case's open deadlines, for the sweep and ``overdue``; met, late and cancelled ones are
in the events (rows left closed by earlier versions are ignored by every reader)."""

personal_texts = sa.Table(
    "personal_texts",
    metadata,
    sa.Column("ref", sa.Text, primary_key=True),
    sa.Column("child", sa.Text, nullable=False),
    sa.Column("case_id", sa.Text, sa.ForeignKey("cases.id"), nullable=False),
    sa.Column("field", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Index("personal_texts_child", "child"),
)

child_keys = sa.Table(
    "child_keys",
    metadata,
    sa.Column("child", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, nullable=False),
    sqlite_with_rowid=False,  # schema version 4
)
"""Each child's key for their free text (schema version 3; AES-256-GCM keys since version 5);
erasing a child deletes it."""

access_log = sa.Table(
    "access_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.Text, nullable=False),
    sa.Column("case_id", sa.Text, nullable=False),
    sa.Column("command", sa.Text, nullable=False),
    sa.Column("actor_id", sa.Text, nullable=False),
    sa.Column("actor_role", sa.Text, nullable=False),
    sa.Column("error", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=True),
)
"""Refused access decisions (schema version 3): never changed, only appended."""

positions = sa.Table(
    "positions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("last", POSITION, nullable=False),
    sa.CheckConstraint("id = 1", name="positions_one_row"),
)

commands = sa.Table(
    "commands",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("case_id", sa.Text, sa.ForeignKey("cases.id"), nullable=False),
    sa.Column("first_position", POSITION, nullable=False),
    sa.Column("last_position", POSITION, nullable=False),
    sqlite_with_rowid=False,  # schema version 4
)

consumers = sa.Table(
    "consumers",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("position", POSITION, nullable=False),
    sqlite_with_rowid=False,  # schema version 4
)


def stored_version(conn: sa.Connection, shown: str) -> int | None:
    """Return the schema version of the store a connection reaches.

    Only a store of this library's version is checked for completeness: an older one is
    left for :mod:`disruption.store.sql.migrations` to upgrade.

    Args:
        conn: A connection to the database.
        shown: How to name the database in errors (never with its password).

    Returns:
        The version, or ``None`` when the database has no tables at all.

    Raises:
        SchemaError: When the database holds other tables, an incomplete store, or a store
            written by a newer version of disruption.
    """
    tables = set(sa.inspect(conn).get_table_names())
    if not tables:
        return None
    if meta.name not in tables:
        raise SchemaError(f"{shown} is not a disruption store (it holds other tables)")
    query = sa.select(meta.c.value).where(meta.c.key == "schema_version")
    value = conn.execute(query).scalar()
    if value is None or not value.isdigit():
        raise SchemaError(f"{shown} is not a disruption store (no valid schema version)")
    version = int(value)
    if version > SCHEMA_VERSION:
        raise SchemaError(
            f"{shown} was written by a newer version of disruption (schema version {value}; "
            f"this version reads up to {SCHEMA_VERSION}): upgrade disruption"
        )
    missing = sorted(set(metadata.tables) - tables)
    if version == SCHEMA_VERSION and missing:
        raise SchemaError(f"{shown} is an incomplete disruption store (no {', '.join(missing)})")
    return version


def create(conn: sa.Connection) -> None:
    """Create the tables, the position counter and the schema version, in one transaction.

    Args:
        conn: A connection to an empty database, in a transaction.
    """
    metadata.create_all(conn)
    conn.execute(sa.insert(meta).values(key="schema_version", value=str(SCHEMA_VERSION)))
    conn.execute(sa.insert(positions).values(id=1, last=0))
