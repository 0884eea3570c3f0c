"""A store kept in memory: for tests, dry runs and ``disruption run`` without ``--db``.

Internal: import its public names from :mod:`disruption.store` (``docs/api.md``); the module
itself may move or change without notice.

It keeps the same contract as the SQL store: one command's events are appended whole or not
at all, positions are global and gap-free, a command id is applied once.

>>> store = MemoryStore()
>>> store.case_ids(), store.last_position(), store.consumer_position("feed")
([], 0, 0)
"""

from __future__ import annotations

import marshal
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from itertools import islice
from typing import Any

import attrs

from disruption.domain.events import DeadlineChange, Event, PersonalText
from disruption.domain.model import Actor, Case, Deadline
from disruption.engine.ports import (
    Applied,
    MissedEvents,
    NewCase,
    OverdueDeadline,
    Refusal,
    Snapshot,
    StoredEvent,
)
from disruption.exceptions import ConcurrencyError, DuplicateCommand

__all__ = ["MemoryStore"]


Record = tuple[Any, ...] | Event
"""An event as the store keeps it: a compact tuple (see :func:`_compact`), or the event itself
when its data is not plain JSON."""


def _day(ordinal: int | None) -> date | None:
    return None if ordinal is None else date.fromordinal(ordinal)


def _compact(event: Event) -> Record:
    """An event as a tuple of strings, numbers, instants and one ``marshal`` blob.

    Nothing in it is a container the garbage collector follows (the tuple is untracked at its
    first collection), and the data and deadline changes are one ``bytes``: a stored event
    costs about a third of the memory of the :class:`Event` with its dicts, lists and
    deadline objects, and no collector time. The event is rebuilt equal when read
    (:func:`_event`). Data that is not plain JSON (a dict or string subclass, say) is kept
    as the event itself.
    """
    changes = (
        [
            (
                d.id,
                d.name,
                d.change,
                None if d.due is None else d.due.toordinal(),
                None if d.earliest is None else d.earliest.toordinal(),
                None if d.on is None else d.on.toordinal(),
            )
            for d in event.deadlines
        ]
        if event.deadlines
        else None
    )
    try:
        kept: Any = (event.data, changes) if changes else (event.data,)
        blob = marshal.dumps(kept)
    except ValueError:  # not plain JSON: kept as it is
        return event
    actor = event.actor
    return (
        event.case,
        event.seq,
        event.type,
        event.command,
        event.at,
        event.recorded_at,
        actor.id,
        actor.role._value_,
        blob,
        event.from_state,
        event.to_state,
        event.command_id,
        event.schema_version,
    )


def _event(record: Record, actors: dict[tuple[str, str], Actor]) -> Event:
    """The event a record keeps (the inverse of :func:`_compact`)."""
    if type(record) is not tuple:
        assert isinstance(record, Event)
        return record
    case, seq, kind, command, at, recorded_at, actor_id, role, blob, from_, to, cid, v = record
    actor = actors.get((actor_id, role))
    if actor is None:
        actor = actors[actor_id, role] = Actor(actor_id, role)
    data, *changes = marshal.loads(blob)
    deadlines = tuple(
        DeadlineChange(id_, name, change, _day(due), _day(earliest), _day(on))
        for id_, name, change, due, earliest, on in (changes[0] if changes else ())
    )
    return Event(
        case, seq, kind, command, at, recorded_at, actor, data, from_, to, deadlines, cid, v
    )


def _at_least_one(name: str, value: int) -> None:
    if value < 1:
        raise ValueError(f"{name} must be at least 1, not {value}")


class MemoryStore:
    """A :class:`~disruption.engine.ports.CaseStore` in memory. Not shared between processes.

    Threads may share it: every write holds one lock from its checks to its last change.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[str, Record | list[Record]] = {}
        """Each case's events, compact (see :func:`_compact`): a case of one event keeps the
        record alone, a list from the second on (a new case adds no list for the garbage
        collector to follow)."""
        self._actors: dict[tuple[str, str], Actor] = {}
        """One actor per id and role, shared by the events read back."""
        self._cases: dict[str, Case] = {}
        """Each case as last appended: its snapshot."""
        self._after: dict[str, list[Event]] = {}
        """The sweep's events stored after a case's snapshot (folded by the engine)."""
        self._claimed: set[tuple[str, str]] = set()
        """(case, deadline id) of every deadline recorded missed: the sweep's claims."""
        self._commands: dict[str, list[Record]] = {}
        self._texts: dict[str, str] = {}
        self._children_of_texts: dict[str, str] = {}
        self._log: list[Record] = []
        """Every event in position order: an event's position is its index plus one."""
        self._of_child: dict[str, list[str]] = {}
        """Each child's case references, in the order added (a case's child never changes):
        ``case_ids_of`` without a scan of every case (an ending reads the child's history)."""
        self._of_carer: dict[str, list[str]] = {}
        """Each carer's case references (a placement's carer never changes): for a rule that
        counts the carer's endings (``case_ids_of_carer``)."""
        self._consumers: dict[str, int] = {}
        self._refusals: list[Refusal] = []

    def events(self, case: str) -> Sequence[Event]:
        """Return a case's events in sequence order."""
        actors = self._actors
        return tuple(_event(r, actors) for r in self._records(case))

    def _records(self, case: str) -> Sequence[Record]:
        stored = self._events.get(case)
        if stored is None:
            return ()
        return stored if type(stored) is list else (stored,)  # type: ignore[return-value]

    def _count(self, case: str) -> int:
        stored = self._events.get(case)
        if stored is None:
            return 0
        return len(stored) if type(stored) is list else 1

    def snapshot(self, case: str) -> Snapshot | None:
        """Return a case as last stored (the case object itself: it is immutable)."""
        found = self._cases.get(case)
        if found is None:
            return None
        after = self._after.get(case) if self._after else None
        return Snapshot(found, tuple(after)) if after else Snapshot(found)

    def snapshot_unless_applied(
        self, case: str, command_id: str | None
    ) -> Snapshot | Applied | None:
        """Return :class:`Applied` when ``command_id`` is stored, else the case's snapshot."""
        if command_id is not None and command_id in self._commands:
            return Applied(command_id)
        return self.snapshot(case)

    def append(
        self,
        case: Case,
        events: Sequence[Event],
        texts: Sequence[PersonalText],
        *,
        expected_version: int,
    ) -> None:
        """Append one command's events (all or nothing).

        Args:
            case: The case after the events.
            events: The events, numbered from ``expected_version + 1``.
            texts: Free text split off the events.
            expected_version: The version the decision was based on (0 for a new case).

        Raises:
            ConcurrencyError: When the stored version is not ``expected_version``; nothing
                is written.
            DuplicateCommand: When the events' command id was applied already; nothing is
                written.
        """
        with self._lock:
            self._append(case, events, texts, expected_version)

    def _append(
        self,
        case: Case,
        events: Sequence[Event],
        texts: Sequence[PersonalText],
        expected_version: int,
    ) -> None:
        stored = self._count(case.id)
        if stored != expected_version:
            raise ConcurrencyError(
                f"case {case.id} is at version {stored}, not {expected_version}",
                expected=expected_version,
                actual=stored,
                case=case.id,
            )
        for e in events:
            if e.command_id is not None:
                self._check_commands(events)
                break
        if texts:
            new_texts = {t.ref: t.text for t in texts}
            # Everything above may fail; after the first update below nothing can.
            self._texts.update(new_texts)
            self._children_of_texts.update((t.ref, t.child) for t in texts)
        self._add(case, events)

    def _check_commands(self, events: Sequence[Event]) -> None:
        cases: dict[str, str] = {}
        for e in events:
            if e.command_id is None:
                continue
            if e.command_id in self._commands or cases.setdefault(e.command_id, e.case) != e.case:
                raise DuplicateCommand(
                    [e.command_id],
                    expected=e.seq - 1,
                    actual=self._count(e.case),
                    case=e.case,
                )

    def _add(self, case: Case, events: Sequence[Event]) -> None:
        records = [_compact(e) for e in events]
        # The command ids first: a thread that reads the new case (without the lock) then
        # finds its command stored, as on the SQL store, where both commit at once.
        if len(events) == 1:  # a command's one event: no index to build
            command_id = events[0].command_id
            if command_id is not None:
                self._commands[command_id] = records
        else:
            by_command: dict[str, list[Record]] = {}
            for e, record in zip(events, records, strict=True):
                if e.command_id is not None:
                    by_command.setdefault(e.command_id, []).append(record)
            self._commands.update(by_command)
        if case.id not in self._events:  # a new case: indexed by its child and its carer
            self._of_child.setdefault(case.child, []).append(case.id)
            if case.placement.carer is not None:
                self._of_carer.setdefault(case.placement.carer, []).append(case.id)
        self._keep(case.id, records)
        self._cases[case.id] = case
        if self._after:
            self._after.pop(case.id, None)
        self._log.extend(records)

    def _keep(self, case: str, records: list[Record]) -> None:
        stored = self._events.get(case)
        if stored is None:
            self._events[case] = records[0] if len(records) == 1 else records
        elif type(stored) is list:
            stored.extend(records)
        else:
            self._events[case] = [stored, *records]  # type: ignore[list-item]

    def events_of_command(self, command_id: str) -> Sequence[Event]:
        """Return the events of a command by its idempotency key."""
        actors = self._actors
        return tuple(_event(r, actors) for r in self._commands.get(command_id, ()))

    def case_ids(self) -> Sequence[str]:
        """Return every case's reference, sorted."""
        return sorted(self._events)

    def case_ids_of(self, child: str) -> Sequence[str]:
        """Return the references of a child's cases, sorted."""
        return sorted(self._of_child.get(child, ()))

    def case_ids_of_carer(self, carer: str) -> Sequence[str]:
        """Return the references of the cases whose placement has this carer, sorted."""
        return sorted(self._of_carer.get(carer, ()))

    def overdue(self, on: date) -> Sequence[OverdueDeadline]:
        """Return every open deadline due before ``on``."""
        found = [
            OverdueDeadline(case.id, case.state, self._as_claimed(case.id, d))
            for case in self._cases.values()
            for d in case.overdue(on)
        ]
        return sorted(found, key=lambda o: (o.deadline.due, o.case, o.deadline.id))

    def text(self, ref: str) -> str | None:
        """Return a piece of free text by its reference."""
        return self._texts.get(ref)

    def read_after(self, position: int, limit: int = 1000) -> Sequence[StoredEvent]:
        """Return up to ``limit`` events with positions after ``position``, in order.

        Raises:
            ValueError: When ``limit`` is less than 1.
        """
        _at_least_one("limit", limit)
        start = max(position, 0)
        taken = self._log[start : start + limit]
        actors = self._actors
        return tuple(
            StoredEvent(p, _event(r, actors)) for p, r in enumerate(taken, start=start + 1)
        )

    def last_position(self) -> int:
        """Return the position of the last event (0 for an empty store)."""
        return len(self._log)

    def consumer_position(self, consumer: str) -> int:
        """Return the position a named consumer saved (0 if it never saved one)."""
        return self._consumers.get(consumer, 0)

    def save_consumer_position(self, consumer: str, position: int) -> None:
        """Save a named consumer's position.

        Raises:
            ValueError: When ``position`` is negative.
        """
        if position < 0:
            raise ValueError(f"a position is never negative, not {position}")
        self._consumers[consumer] = position

    def erase(self, child: str) -> int:
        """Destroy a child's free text; return how many pieces were erased."""
        refs = [ref for ref, of in self._children_of_texts.items() if of == child]
        for ref in refs:
            del self._texts[ref], self._children_of_texts[ref]
        return len(refs)

    def record_refusal(self, refusal: Refusal) -> None:
        """Write a refused access decision to the access log."""
        self._refusals.append(refusal)

    def refusals(self, limit: int = 1000) -> Sequence[Refusal]:
        """Return the access log, most recent last (the latest ``limit`` entries)."""
        return tuple(self._refusals[-limit:]) if limit > 0 else ()

    def _as_claimed(self, case: str, deadline: Deadline) -> Deadline:
        if deadline.missed_recorded or (case, deadline.id) not in self._claimed:
            return deadline
        return attrs.evolve(deadline, missed_recorded=True)

    def record_missed(
        self, on: date, *, recorded_at: datetime, build: MissedEvents, limit: int = 500
    ) -> Sequence[Event]:
        """Append one ``DeadlineMissed`` event for each open deadline due before ``on``.

        The store claims the deadlines; ``build`` decides the events, which are stored after
        the case's snapshot (the engine folds them when it loads the case).

        Args:
            on: The day to judge on.
            recorded_at: When the sweep runs.
            build: Builds a case's events (:func:`disruption.core.system.missed_events`).
            limit: The most deadlines handled at once.

        Returns:
            The events recorded, one per deadline (call again while it returns ``limit``).

        Raises:
            ValueError: When ``limit`` is less than 1.
        """
        _at_least_one("limit", limit)
        with self._lock:
            return self._record_missed(on, recorded_at, build, limit)

    def _record_missed(
        self, on: date, recorded_at: datetime, build: MissedEvents, limit: int
    ) -> Sequence[Event]:
        taken = [o for o in self.overdue(on) if not o.deadline.missed_recorded][:limit]
        by_case: dict[str, list[Deadline]] = {}
        for o in taken:
            by_case.setdefault(o.case, []).append(o.deadline)
        recorded: list[Event] = []
        for case_id in sorted(by_case):
            overdue = sorted(by_case[case_id], key=lambda d: (d.due, d.id))
            state = self._cases[case_id].state
            events = build(
                case_id, self._count(case_id), state, overdue, on=on, recorded_at=recorded_at
            )
            records = [_compact(e) for e in events]
            self._keep(case_id, records)
            self._after.setdefault(case_id, []).extend(events)
            self._claimed.update((case_id, d.id) for d in overdue)
            self._log.extend(records)
            recorded.extend(events)
        return tuple(recorded)

    def bulk_append(
        self,
        cases: Iterable[NewCase],
        *,
        batch_size: int = 1000,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Append whole new cases in batches, each batch whole or not at all.

        Args:
            cases: The cases to load; one whose reference is stored already is skipped.
            batch_size: Cases per batch.
            progress: Called with the number of cases handled after each batch.

        Returns:
            How many cases were added.

        Raises:
            ValueError: When ``batch_size`` is less than 1.
            DuplicateCommand: When a batch holds a command id applied already; that batch
                is not added (those before it are).
        """
        _at_least_one("batch_size", batch_size)
        added = handled = 0
        remaining = iter(cases)
        while batch := list(islice(remaining, batch_size)):
            added += self._load(batch)
            handled += len(batch)
            if progress is not None:
                progress(handled)
        return added

    def _load(self, batch: list[NewCase]) -> int:
        with self._lock:
            return self._load_new(batch)

    def _load_new(self, batch: list[NewCase]) -> int:
        new: dict[str, NewCase] = {}
        for item in batch:
            if item.case.id not in self._events:
                new.setdefault(item.case.id, item)
        self._check_commands([e for item in new.values() for e in item.events])
        for item in new.values():
            self._texts.update((t.ref, t.text) for t in item.texts)
            self._children_of_texts.update((t.ref, t.child) for t in item.texts)
            self._add(item.case, item.events)
        return len(new)

    def close(self) -> None:
        """Nothing to release."""
