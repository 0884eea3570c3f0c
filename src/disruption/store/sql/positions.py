"""Taking positions in the global event order, with the hash the new events chain to.

The one-row ``positions`` counter is updated in the transaction that appends: its row lock
makes appends commit in position order, and a rolled-back append leaves no gap (see
:mod:`disruption.store.sql.schema`). With the positions comes the hash of the event just before
them, which the first new event chains to (:mod:`disruption.store.sql.audit`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

from disruption.store.sql import audit
from disruption.store.sql.driver import Tx, returning_supported

__all__ = ["Head", "Taken", "guarded_take", "take_now", "take_positions"]

_TAKE: Final = 'UPDATE positions SET "last" = "last" + ? WHERE id = 1'
_PREVIOUS: Final = '(SELECT hash FROM events WHERE "position" = positions."last" - ?)'
_PREVIOUS_PG: Final = (
    'SELECT hash FROM events WHERE "position" = (SELECT "last" FROM positions WHERE id = 1) - ?'
)

Head = tuple[int, str]
"""The last position taken and the hash of its event (:data:`~audit.GENESIS` for none)."""

_GUARDED: Final = (
    'WITH written AS ({} RETURNING 1) UPDATE positions SET "last" = CASE WHEN "last" = ? '
    'AND EXISTS (SELECT FROM written) THEN "last" + ? END WHERE id = 1'
)

Taken = Callable[[], tuple[int, str] | None]
"""Gives the first position taken and the hash to chain to, or ``None`` for a stale case."""


def _take_postgres(tx: Tx, n: int, written: tuple[str, Sequence[Any]] | None) -> Taken:
    # The case's row is written in the same statement, and the counter moves only if it was.
    if written is None:
        taking = tx.execute(f'{_TAKE} RETURNING "last"', (n,), prepare=True)
    else:
        sql, params = written
        guarded = f"WITH written AS ({sql} RETURNING 1) {_TAKE} AND EXISTS (SELECT FROM written)"
        taking = tx.execute(f'{guarded} RETURNING "last"', (*params, n), prepare=True)
    # A statement of its own, so that its snapshot shows the event committed by the writer
    # that held the counter before (an UPDATE's RETURNING sees the snapshot it started with).
    previous = tx.execute(_PREVIOUS_PG, (n,), prepare=True)

    def taken() -> tuple[int, str] | None:
        found = taking.fetchall()
        if not found:
            return None
        hashes = previous.fetchall()
        return int(found[0][0]) - n + 1, (hashes[0][0] if hashes else None) or audit.GENESIS

    return taken


_RETURNING: Final = returning_supported()
_TAKE_RETURNING: Final = f'{_TAKE} RETURNING "last", {_PREVIOUS}'
_TAKEN: Final = f'SELECT "last", {_PREVIOUS} FROM positions WHERE id = 1'


def _take_sqlite(tx: Tx, n: int, written: tuple[str, Sequence[Any]] | None) -> Taken:
    # BEGIN IMMEDIATE serialises writers: what this transaction reads is the latest.
    writing = None if written is None else tx.execute(*written)
    if _RETURNING:
        taking = tx.execute(_TAKE_RETURNING, (n, n))
    else:
        tx.execute(_TAKE, (n,))
        taking = tx.execute(_TAKEN, (n,))

    def taken() -> tuple[int, str] | None:
        # Every row fetched, so that SQLite finishes the statement before COMMIT.
        ((last, previous),) = taking.fetchall()
        if writing is not None and writing.rowcount != 1:
            return None
        return int(last) - n + 1, previous or audit.GENESIS

    return taken


def take_now(tx: Tx, n: int) -> Head:
    """On SQLite, take the next ``n`` positions at once: the first, and the hash to chain to.

    ``BEGIN IMMEDIATE`` serialises writers, so what the transaction reads is the latest and
    the statement's answer is there at once (no :meth:`Tx.sync`, no function to call later).

    Args:
        tx: A write transaction (SQLite).
        n: How many positions (0 takes none but still writes the counter).

    Returns:
        The first position taken and the hash of the event before it.
    """
    if _RETURNING:
        ((last, previous),) = tx.execute(_TAKE_RETURNING, (n, n)).fetchall()
    else:
        tx.execute(_TAKE, (n,))
        ((last, previous),) = tx.execute(_TAKEN, (n,)).fetchall()
    return int(last) - n + 1, previous or audit.GENESIS


def take_positions(tx: Tx, n: int, written: tuple[str, Sequence[Any]] | None = None) -> Taken:
    """Take the next ``n`` positions from the counter, locking it until commit.

    Args:
        tx: A write transaction.
        n: How many positions (0 takes none but still locks the counter).
        written: A statement writing the case's row (and its parameters), sent first: the
            positions are taken only if it wrote one row.

    Returns:
        A function giving the first position taken and the hash of the event before it, or
        ``None`` when ``written`` wrote nothing (call it after :meth:`Tx.sync`).
    """
    return (_take_postgres if tx.postgres else _take_sqlite)(tx, n, written)


def guarded_take(tx: Tx, n: int, written: tuple[str, Sequence[Any]], head: Head) -> Head:
    """On PostgreSQL, take ``n`` positions assuming the counter is still at ``head``.

    Nothing is read back, so that the events can be sent in the same round trip: the
    counter moves only if it stood at ``head`` and ``written`` wrote the case's row;
    otherwise the statement fails (it sets the counter to ``NULL``) and with it the
    transaction, and the caller takes positions again with :func:`take_positions`.

    Args:
        tx: A write transaction (PostgreSQL).
        n: How many positions.
        written: The statement writing the case's row, and its parameters.
        head: The counter's last position and the hash of its event, as last seen.

    Returns:
        The first position taken and the hash to chain to, if the guess holds.
    """
    sql, params = written
    tx.execute(_GUARDED.format(sql), (*params, head[0], n), prepare=True)
    return head[0] + 1, head[1]
