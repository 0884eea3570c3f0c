"""The store's tables as they were at earlier schema versions, for the upgrade steps.

:mod:`disruption.store.sql.schema` follows the latest version; an upgrade step creates and reads
the tables of its own versions, from here, so that a store of any version is brought up by
the same path whatever later versions change. A table is listed at the version that created
or last changed it.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = [
    "V1_METADATA",
    "V2",
    "V2_COMMANDS",
    "V2_CONSUMERS",
    "V2_EVENTS",
    "V2_POSITIONS",
    "V3",
    "V3_ACCESS_LOG",
    "V3_CHILD_KEYS",
]


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
V2 = sa.MetaData()
"""What version 2 changed or added: ``events`` and the new tables (``cases`` for the keys)."""

sa.Table("cases", V2, sa.Column("id", sa.Text, primary_key=True))
V2_EVENTS = _events(
    V2,
    sa.Column("position", _POSITION, primary_key=True, autoincrement=False),
    autoincrement=False,
)
V2_POSITIONS = sa.Table(
    "positions",
    V2,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("last", _POSITION, nullable=False),
    sa.CheckConstraint("id = 1", name="positions_one_row"),
)
V2_COMMANDS = sa.Table(
    "commands",
    V2,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("case_id", sa.Text, sa.ForeignKey("cases.id"), nullable=False),
    sa.Column("first_position", _POSITION, nullable=False),
    sa.Column("last_position", _POSITION, nullable=False),
)
V2_CONSUMERS = sa.Table(
    "consumers",
    V2,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("position", _POSITION, nullable=False),
)


V3 = sa.MetaData()
"""What version 3 added: the access log and the children's keys (``events`` gained ``hash``)."""

V3_ACCESS_LOG = sa.Table(
    "access_log",
    V3,
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
V3_CHILD_KEYS = sa.Table(
    "child_keys",
    V3,
    sa.Column("child", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, nullable=False),
)
