"""The SQL store's records about people: free text and its erasure, the access log, the chain.

A part of :class:`~disruption.store.sql.store.SqlStore`, kept apart for size: everything here reads
or writes what data protection is about (see ``docs/privacy.md``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from disruption.engine.ports import Refusal
from disruption.exceptions import StoreError
from disruption.store.key_store import KeyStore
from disruption.store.sql import keys, schema
from disruption.store.sql.audit import (
    CaseCount,
    Verification,
    completeness,
    expectations,
    verify_rows,
)
from disruption.store.sql.database import Database

__all__ = ["PrivateRecords"]


class PrivateRecords:
    """Free text, the access log and the audit chain of an SQL store."""

    _db: Database
    _keys: KeyStore | None

    def _forget(self, case: str | None = None) -> None:
        """See :meth:`disruption.store.sql.reads.Reads._forget`."""
        raise NotImplementedError  # pragma: no cover - the store's is Reads'

    _moved: bool
    """Whether the store's keys were moved to a key store (``keys`` in ``disruption_meta``)."""

    def _no_key_store(self) -> None:
        """Refuse to use or make keys in a case store whose keys were moved out."""
        if self._moved:
            raise StoreError(
                f"the keys of {self._db.url} are in a key store: give it "
                "(--keys or DISRUPTION_KEYS; keys= in Python)"
            )

    def record_refusal(self, refusal: Refusal) -> None:
        """Write a refused access decision to the access log, in a transaction of its own.

        Raises:
            StoreError: When the database fails.
        """
        row = {
            "at": refusal.at.isoformat(),
            "recorded_at": refusal.recorded_at.isoformat(),
            "case_id": refusal.case,
            "command": refusal.command,
            "actor_id": refusal.actor_id,
            "actor_role": refusal.actor_role,
            "error": refusal.error,
            "state": refusal.state,
        }
        with self._db.writing("record a refusal") as conn:
            conn.execute(sa.insert(schema.access_log).values(row))

    def refusals(self, limit: int = 1000) -> Sequence[Refusal]:
        """Return the access log, most recent last (the latest ``limit`` entries).

        Raises:
            StoreError: When the database cannot be read.
        """
        log = schema.access_log
        query = sa.select(log).order_by(log.c.id.desc()).limit(max(0, limit))
        with self._db.reading("read the access log") as conn:
            found = list(conn.execute(query).mappings())
        return tuple(
            Refusal(
                at=datetime.fromisoformat(r["at"]),
                recorded_at=datetime.fromisoformat(r["recorded_at"]),
                case=r["case_id"],
                command=r["command"],
                actor_id=r["actor_id"],
                actor_role=r["actor_role"],
                error=r["error"],
                state=r["state"],
            )
            for r in reversed(found)
        )

    def verify(self, *, page: int = 10_000, expect: Sequence[tuple[int, str]] = ()) -> Verification:
        """Check the chain of stored events, and that none is missing (see :mod:`.audit`).

        The position counter and every case's version are read in one statement (one
        snapshot, so writers committing meanwhile are not taken for deletions); then every
        event is checked link by link, and those up to that counter counted per case.

        Args:
            page: Rows read per query.
            expect: Positions and the chain hash an authority kept for each elsewhere.

        Returns:
            How many rows hold, the first broken position if one is, and every problem.

        Raises:
            StoreError: When the database cannot be read.
        """
        counter, versions = self._counter_and_versions()
        wanted = {position for position, _ in expect}
        held: dict[int, str] = {}

        def rows() -> Iterator[dict[str, Any]]:
            for row in self._event_rows(page):
                if row["position"] in wanted:
                    held[row["position"]] = str(row["hash"])
                yield row

        chained = verify_rows(rows())
        counts = self._case_counts(counter)
        cases = [
            CaseCount(case, version, *counts.pop(case, (0, 0)))
            for case, version in versions.items()
        ]
        cases += [CaseCount(case, None, n, last) for case, (n, last) in counts.items()]
        return expectations(completeness(chained, counter, cases, self._later()), expect, held)

    def _counter_and_versions(self) -> tuple[int, dict[str, int]]:
        cases, positions = schema.cases, schema.positions
        both = sa.select(positions.c.last, cases.c.id, cases.c.version).select_from(
            positions.outerjoin(cases, sa.true())
        )
        with self._db.reading("verify the counter") as conn:
            found = conn.execute(both.where(positions.c.id == 1)).all()
        if not found:
            return 0, {}
        versions = {r.id: int(r.version) for r in found if r.id is not None}
        return int(found[0].last), versions

    def _later(self) -> tuple[int, int]:
        both = sa.select(
            sa.select(schema.positions.c.last).where(schema.positions.c.id == 1).scalar_subquery(),
            sa.select(sa.func.max(schema.events.c.position)).scalar_subquery(),
        )
        with self._db.reading("verify the counter") as conn:
            row = conn.execute(both).one()
        return int(row[0] or 0), int(row[1] or 0)

    def _case_counts(self, counter: int) -> dict[str, tuple[int, int]]:
        table = schema.events
        query = (
            sa.select(table.c.case_id, sa.func.count(), sa.func.max(table.c.seq))
            .where(table.c.position <= counter)
            .group_by(table.c.case_id)
        )
        with self._db.reading("count events") as conn:
            return {r[0]: (int(r[1]), int(r[2])) for r in conn.execute(query)}

    def _event_rows(self, page: int) -> Iterable[dict[str, Any]]:
        table, last = schema.events, 0
        while True:
            query = sa.select(table).where(table.c.position > last).order_by(table.c.position)
            with self._db.reading("verify events") as conn:
                batch = [dict(r) for r in conn.execute(query.limit(page)).mappings()]
            yield from batch
            if len(batch) < page:
                return
            last = batch[-1]["position"]

    def text(self, ref: str) -> str | None:
        """Return a piece of free text by its reference.

        Args:
            ref: The reference left in the event's data.

        Returns:
            The text, or ``None`` if there is none (or it was erased).

        Raises:
            StoreError: When the database cannot be read.
        """
        texts, held = schema.personal_texts, schema.child_keys
        if self._keys is not None:
            query = sa.select(texts.c.text, texts.c.child).where(texts.c.ref == ref)
            with self._db.reading("read text") as conn:
                found = conn.execute(query).first()
            key = None if found is None else self._keys.key(found.child)
            if found is None or key is None:
                return None
            return keys.open_text(key, found.text, ref=ref, child=found.child)
        self._no_key_store()
        query = (
            sa.select(texts.c.text, texts.c.child, held.c.key)
            .join(held, held.c.child == texts.c.child)
            .where(texts.c.ref == ref)
        )
        with self._db.reading("read text") as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        return keys.open_text(row.key, row.text, ref=ref, child=row.child)

    def erase(self, child: str) -> int:
        """Destroy a child's free text for good: their key and every text sealed with it.

        Args:
            child: The child's pseudonymous reference.

        Returns:
            How many pieces of text were erased.

        Raises:
            StoreError: When the database fails.
        """
        texts, held = schema.personal_texts, schema.child_keys
        self._forget()  # nothing kept holds text, but nothing kept outlives an erasure either
        if self._keys is not None:
            self._keys.erase(child)  # first: once the key is gone, the text is unreadable
        else:
            self._no_key_store()
        sqlite = not self._db.postgres
        with self._db.writing("erase a child's text") as conn:
            if sqlite:  # deleted rows overwritten with zeros in the file
                conn.exec_driver_sql("PRAGMA secure_delete=ON")
            if self._keys is None:
                conn.execute(sa.delete(held).where(held.c.child == child))
            erased = conn.execute(sa.delete(texts).where(texts.c.child == child)).rowcount
            if sqlite:
                conn.exec_driver_sql("PRAGMA secure_delete=OFF")
        if self._keys is None:
            self._db.scrub(held.name)
        return int(erased or 0)
