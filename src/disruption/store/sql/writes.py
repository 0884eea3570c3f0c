"""The write transactions of the SQL store, on the driver (see :mod:`disruption.store.sql.driver`).

On PostgreSQL every transaction takes its locks in the same order, so that writers never
deadlock: a case's deadline rows and its own row first, the ``positions`` counter last. The
counter's row lock is held from taking positions until commit, which makes positions commit
in order and without gaps; nothing done after taking them waits for another writer.

An append sends, besides ``BEGIN`` and ``COMMIT``: the deadlines its events opened or closed,
the case's row with its snapshot (:mod:`disruption.store.sql.snapshots`), the position counter
and the hash the new events chain to (:mod:`disruption.store.sql.positions`), the events and
their command's idempotency row; and for free text, its child's key and the sealed text. On
PostgreSQL that is two round trips: the statements up to the counter, then the rest with
``COMMIT``. Without free text it is one when the store knows where the counter stands (the
last position and its event's hash, as its own last append left them): the counter is moved
only from there (:func:`~disruption.store.sql.positions.guarded_take`), so the events can be
chained and sent with it; when another writer moved it meanwhile, the transaction fails
(:class:`Moved`) and the caller appends again in two round trips.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final

from disruption.domain.events import Event, PersonalText
from disruption.domain.model import Case
from disruption.engine.ports import NewCase
from disruption.store.sql import event_rows, keys, rows
from disruption.store.sql.driver import COPY_FROM, Tx, ask_in, insert_sql
from disruption.store.sql.positions import Head, guarded_take, take_now, take_positions
from disruption.store.sql.snapshots import snapshot_of

__all__ = [
    "DuplicateCommand",
    "Moved",
    "Stale",
    "append",
    "insert_events",
    "load",
    "save_consumer",
]


class Stale(Exception):
    """The case's stored version is not the expected one."""


class Moved(Exception):
    """The position counter was not where a one-round-trip append assumed it was."""


class DuplicateCommand(Exception):
    """A command id among the events was applied already.

    Attributes:
        ids: The command ids of the events.
    """

    def __init__(self, ids: Sequence[str]) -> None:
        super().__init__(", ".join(ids))
        self.ids = tuple(ids)


_CASE_COLUMNS: Final = (*rows.CASE_COLUMNS, "snapshot")
"""The ``cases`` row as written: the read model's columns and the snapshot (schema version 6)."""
_NEW_CASE_COLUMNS: Final = (*_CASE_COLUMNS, "carer")
"""The ``cases`` row of a new case: its placement's carer too (schema version 8), which never
changes, so that an update does not write it."""
_INSERT_CASE: Final = insert_sql("cases", _NEW_CASE_COLUMNS)
_UPDATED_COLUMNS: Final = tuple(c for c in _CASE_COLUMNS[1:] if c != "child")
"""The columns an update writes: not ``id`` (its key) nor ``child``, which never changes and is
indexed (``cases_child``): SQLite rewrites an index whose column an ``UPDATE`` sets, changed or
not, so setting it dirtied one more page in every command's commit."""
_UPDATED: Final = operator.itemgetter(*(_CASE_COLUMNS.index(c) for c in _UPDATED_COLUMNS[:-1]))
"""Picks the updated columns but ``snapshot`` out of :func:`rows.case_values`' tuple (in C)."""
_CASE_SET: Final = ", ".join(f'"{c}" = ?' for c in _UPDATED_COLUMNS)
_UPDATE_CASE: Final = f"UPDATE cases SET {_CASE_SET} WHERE id = ? AND version = ?"
_UPSERT_DEADLINE: Final = (
    insert_sql("deadlines", rows.DEADLINE_COLUMNS)
    + " ON CONFLICT (case_id, deadline_id) DO UPDATE SET "
    + ", ".join(f'"{c}" = excluded."{c}"' for c in rows.DEADLINE_COLUMNS[2:])
)
_DELETE_DEADLINE: Final = "DELETE FROM deadlines WHERE case_id = ? AND deadline_id = ?"
_EVENT_COLUMNS: Final = (*event_rows.EVENT_COLUMNS, "hash")
_INSERT_EVENT: Final = insert_sql("events", _EVENT_COLUMNS)
_INSERT_COMMAND: Final = insert_sql("commands", rows.COMMAND_COLUMNS)


@functools.lru_cache(maxsize=32)
def _events_and_command(events: int) -> str:
    """One PostgreSQL statement inserting ``events`` event rows and one ``commands`` row."""
    inserted = insert_sql("events", _EVENT_COLUMNS, events)
    return f"WITH inserted AS ({inserted}) {insert_sql('commands', rows.COMMAND_COLUMNS)}"


def _write_events(tx: Tx, events: Sequence[Event], first: int, previous: str) -> str:
    """Insert the events chained from ``previous``, and their commands' rows; the last hash."""
    chained = event_rows.chained_values(events, first, previous)
    commands = rows.command_values(events, first)
    if tx.postgres and len(commands) == 1 and len(chained) < COPY_FROM:
        params = [v for row in chained for v in row]
        tx.execute(_events_and_command(len(chained)), (*params, *commands[0]), prepare=True)
    else:
        tx.insert("events", _EVENT_COLUMNS, chained)
        tx.insert("commands", rows.COMMAND_COLUMNS, commands)
    last: str = chained[-1][-1]
    return last


def insert_events(tx: Tx, events: Sequence[Event]) -> None:
    """Insert events at the next positions, and the ``commands`` rows of their command ids.

    Args:
        tx: A write transaction.
        events: The events, in the order to append them.

    Raises:
        DuplicateCommand: When one of the events' command ids was applied already.
    """
    if not events:
        return
    with _refusals(tx, events):
        taken = take_positions(tx, len(events))
        tx.sync()
        found = taken()
        assert found is not None  # nothing guards the counter here
        _write_events(tx, events, *found)
        tx.sync()


def _case_values(case: Case, snapshot: str | None = None) -> tuple[Any, ...]:
    return (*rows.case_values(case), snapshot_of(case) if snapshot is None else snapshot)


def _case_statement(
    case: Case, expected_version: int, snapshot: str | None
) -> tuple[str, Sequence[Any]]:
    values = rows.case_values(case)
    text = snapshot_of(case) if snapshot is None else snapshot
    if expected_version == 0:
        return _INSERT_CASE, (*values, text, case.placement.carer)
    return _UPDATE_CASE, (*_UPDATED(values), text, case.id, expected_version)


def _write_deadlines(tx: Tx, case: Case, events: Sequence[Event]) -> None:
    changed: set[str] = set()
    for e in events:
        for d in e.deadlines:
            changed.add(d.id)
    if not changed:
        return
    # On SQLite the flag as the integer SQLite stores for it: a bool is bound through
    # sqlite3's adapter lookup, which costs more than the rest of the row.
    still_open = rows.deadline_values(case, changed, flag=bool if tx.postgres else int)
    if still_open:
        tx.executemany(_UPSERT_DEADLINE, still_open, prepare=True)
    if len(still_open) < len(changed):
        closed = changed.difference([row[1] for row in still_open])
        tx.executemany(_DELETE_DEADLINE, [(case.id, d) for d in sorted(closed)], prepare=True)


def append(
    tx: Tx,
    case: Case,
    events: Sequence[Event],
    texts: Sequence[PersonalText],
    expected_version: int,
    head: Head | None = None,
    snapshot: str | None = None,
    held: dict[str, str] | None = None,
) -> Head:
    """Write one command's events with the case's row, deadlines and free text, and commit.

    Args:
        tx: A write transaction.
        case: The case after the events.
        events: The events.
        texts: Free text split off the events.
        expected_version: The version the decision was based on (0 for a new case).
        head: On PostgreSQL, where the position counter stood after this store's last
            append (the value returned then), to append in one round trip; ``None``
            takes positions in two.
        snapshot: The case's snapshot text (:func:`~disruption.store.sql.snapshots.snapshot_of`),
            when the caller has it already.
        held: The children's keys, from a key store (``None``: the keys are in the case
            store's ``child_keys``, asked for and made in the transaction).

    Returns:
        Where the counter stands after this append: the last position and its hash.

    Raises:
        Stale: When the stored version is not ``expected_version``.
        DuplicateCommand: When one of the events' command ids was applied already.
        Moved: When ``head`` was given and the counter was not there (nothing written).
    """
    try:
        if not tx.postgres:
            return _append_sqlite(tx, case, events, texts, expected_version, snapshot, held)
        return _append(tx, case, events, texts, expected_version, head, snapshot, held)
    except tx.integrity_error as err:
        refusal = _refusal(tx, err, events)
        if refusal is err:
            raise
        raise refusal from None


def _refusal(tx: Tx, err: Exception, events: Sequence[Event]) -> Exception:
    """The :class:`Stale`, :class:`DuplicateCommand` or :class:`Moved` a key conflict means.

    On PostgreSQL a statement's error surfaces at the next sync or at commit, so the
    conflict is told by the table it names; any other error is given back as it is.
    """
    table = tx.conflict_table(err)
    if table == "cases":
        return Stale()
    if table == "commands":
        return DuplicateCommand(sorted({e.command_id for e in events if e.command_id}))
    if table == "positions":  # the guarded counter was set to NULL
        return Moved()
    return err


@contextmanager
def _refusals(tx: Tx, events: Sequence[Event]) -> Iterator[None]:
    """:func:`_refusal` around a block."""
    try:
        yield
    except tx.integrity_error as err:
        refusal = _refusal(tx, err, events)
        if refusal is err:
            raise
        raise refusal from None


def _append(
    tx: Tx,
    case: Case,
    events: Sequence[Event],
    texts: Sequence[PersonalText],
    expected: int,
    head: Head | None,
    snapshot: str | None,
    held: dict[str, str] | None = None,
) -> Head:
    # Lock order: the case's deadline rows, its row, then the counter (see the module's doc).
    _write_deadlines(tx, case, events)
    written = _case_statement(case, expected, snapshot)
    if head is not None and tx.postgres and events and not texts:
        first, previous = guarded_take(tx, len(events), written, head)
        last = _write_events(tx, events, first, previous)
        tx.commit()
        return first + len(events) - 1, last
    sealed = keys.ask_keys(tx, {t.child for t in texts}) if texts and held is None else None
    taken = take_positions(tx, len(events), written)
    tx.sync()
    found = taken()
    if found is None:
        raise Stale
    if texts:
        key_of = sealed() if sealed is not None else held
        assert key_of is not None  # asked in the transaction, or given
        sealed_texts = keys.sealed_rows(texts, key_of)
        tx.insert("personal_texts", rows.TEXT_COLUMNS, sealed_texts, prepare=len(texts) == 1)
    first, previous = found
    if events:
        previous = _write_events(tx, events, first, previous)
    tx.commit()
    return first + len(events) - 1, previous


def _append_sqlite(
    tx: Tx,
    case: Case,
    events: Sequence[Event],
    texts: Sequence[PersonalText],
    expected: int,
    snapshot: str | None,
    held: dict[str, str] | None,
) -> Head:
    """:func:`_append` on SQLite, where every statement runs at once.

    ``BEGIN IMMEDIATE`` holds the database's one write lock from the start, so nothing waits
    on row locks and each answer is read as it comes: a stale case is refused before the
    counter is taken, and the events' rows and hashes are built from the counter's answer.
    The same statements as on a server but for the order, with nothing queued.
    """
    _write_deadlines(tx, case, events)
    sql, params = _case_statement(case, expected, snapshot)
    if tx.execute(sql, params).rowcount != 1:
        raise Stale
    if texts:
        key_of = keys.ask_keys(tx, {t.child for t in texts})() if held is None else held
        sealed_texts = keys.sealed_rows(texts, key_of)
        tx.insert("personal_texts", rows.TEXT_COLUMNS, sealed_texts)
    n = len(events)
    first, previous = take_now(tx, n)
    if events:
        chained = event_rows.chained_values(events, first, previous)
        tx.executemany(_INSERT_EVENT, chained)
        tx.executemany(_INSERT_COMMAND, rows.command_values(events, first))
        previous = chained[-1][-1]
    tx.commit()
    return first + n - 1, previous


def _new_cases(tx: Tx, batch: Sequence[NewCase]) -> list[NewCase]:
    stored = ask_in(tx, "SELECT id FROM cases WHERE id IN ({})", sorted({n.case.id for n in batch}))
    tx.sync()
    seen = {row[0] for row in stored()}
    new: list[NewCase] = []
    for item in batch:
        if item.case.id not in seen:
            seen.add(item.case.id)
            new.append(item)
    return new


def load(tx: Tx, batch: Sequence[NewCase], held: dict[str, str] | None = None) -> int:
    """Insert whole new cases, skipping those already stored.

    Args:
        tx: A write transaction.
        batch: The cases.
        held: The children's keys, from a key store (``None``: in ``child_keys``).

    Returns:
        How many were added.

    Raises:
        DuplicateCommand: When one of the events' command ids was applied already.
    """
    new = _new_cases(tx, batch)
    if not new:
        return 0
    new_rows = [(*_case_values(n.case), n.case.placement.carer) for n in new]
    tx.insert("cases", _NEW_CASE_COLUMNS, new_rows)
    flag = bool if tx.postgres else int  # see _write_deadlines
    deadlines = [r for n in new for r in rows.deadline_values(n.case, flag=flag)]
    tx.insert("deadlines", rows.DEADLINE_COLUMNS, deadlines)
    texts = [t for n in new for t in n.texts]
    if texts:
        if held is None:
            sealed = keys.ask_keys(tx, {t.child for t in texts})
            tx.sync()
            held = sealed()
        tx.insert("personal_texts", rows.TEXT_COLUMNS, keys.sealed_rows(texts, held))
    insert_events(tx, [e for n in new for e in n.events])
    return len(new)


_SAVE_CONSUMER: Final = (
    'INSERT INTO consumers (name, "position") VALUES (?, ?) '
    'ON CONFLICT (name) DO UPDATE SET "position" = excluded."position"'
)


def save_consumer(tx: Tx, name: str, position: int) -> None:
    """Insert or update a consumer's position.

    Args:
        tx: A write transaction.
        name: The consumer's name.
        position: The position it reached.
    """
    tx.execute(_SAVE_CONSUMER, (name, position), prepare=True)
