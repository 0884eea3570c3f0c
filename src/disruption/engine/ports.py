"""The storage interfaces the engine needs, and nothing more: six small ones and their sum.

A store is six interfaces, each a :class:`typing.Protocol` with a contract of its own:

- :class:`EventLog`: every case's events, appended one command at a time or in bulk;
- :class:`SnapshotStore`: each case's current state, written with its events;
- :class:`EventFeed`: every event in one global, gap-free order, and consumers' positions;
- :class:`DeadlineIndex`: the open deadlines by due date, and the sweep that records them
  missed;
- :class:`PersonalDataVault`: the free text split off the events, and its erasure;
- :class:`AccessLog`: the refused access decisions.

:class:`CaseStore` is their sum (and ``close``): what the engine, the command line and
:func:`disruption.store.open_store` deal in. A consumer that needs less is typed against the
smallest interface it uses (:class:`~disruption.engine.feed.Feed` an :class:`EventFeed`, the
analysis an :class:`EventFeed`, an SSDA903 import an :class:`EventLog`), so a test double or
another backend for it implements only that. Every backend (the memory store, SQLite in a
file and in memory, PostgreSQL) passes each interface's contract tests (``tests/contracts/``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Protocol

import attrs

from disruption.domain.events import Event, PersonalText
from disruption.domain.model import Case, Deadline

__all__ = [
    "AccessLog",
    "Applied",
    "CaseStore",
    "DeadlineIndex",
    "EventFeed",
    "EventLog",
    "MissedEvents",
    "NewCase",
    "OverdueDeadline",
    "PersonalDataVault",
    "Refusal",
    "Snapshot",
    "SnapshotStore",
    "StoredEvent",
]


class MissedEvents(Protocol):
    """Builds the events that record a case's overdue deadlines missed: the core decides them.

    The store finds and claims the deadlines; the engine gives it this builder
    (:func:`disruption.core.system.missed_events`), so that storage never decides what a
    missed deadline means.
    """

    def __call__(
        self,
        case: str,
        version: int,
        state: str,
        deadlines: Sequence[Deadline],
        *,
        on: date,
        recorded_at: datetime,
    ) -> tuple[Event, ...]:
        """The events for ``deadlines`` of ``case`` (at ``version``, in ``state``)."""
        ...


@attrs.frozen
class OverdueDeadline:
    """An open deadline due before some date, with the case it belongs to."""

    case: str
    state: str
    deadline: Deadline


@attrs.frozen
class Refusal:
    """An access decision that refused a command: who tried what, on which case, when.

    Attributes:
        at: When the command said it happened.
        recorded_at: When it was refused.
        case: The case reference.
        command: The command's name.
        actor_id: Who sent it.
        actor_role: In which role.
        error: Why, as the error's type (``PermissionRefused``, ``ChairNotIndependent``).
        state: The case's state then (``None`` for a case not yet opened).
    """

    at: datetime
    recorded_at: datetime
    case: str
    command: str
    actor_id: str
    actor_role: str
    error: str
    state: str | None = None

    def as_json(self) -> dict[str, object]:
        """The entry as ``disruption access-log --json`` prints it."""
        return {
            "at": self.at.isoformat(),
            "recorded_at": self.recorded_at.isoformat(),
            "case": self.case,
            "command": self.command,
            "actor": {"id": self.actor_id, "role": self.actor_role},
            "error": self.error,
            "state": self.state,
        }


@attrs.frozen
class StoredEvent:
    """An event with its position in the store's global, gap-free order (from 1).

    Attributes:
        position: The position.
        event: The event.
        hash: Its link in the store's audit chain (``None`` from a store that keeps none,
            such as the in-memory one). Derived from the position and the event, so not
            compared: two stores holding the same event at the same position are equal.
    """

    position: int
    event: Event
    hash: str | None = attrs.field(default=None, eq=False)


@attrs.frozen
class NewCase:
    """A whole case to bulk-load: the case after its events, the events and their free text."""

    case: Case
    events: tuple[Event, ...]
    texts: tuple[PersonalText, ...] = ()


@attrs.frozen
class Snapshot:
    """A case's stored current state, and the events stored after it.

    A store writes the case after every append, in the same transaction as its events, so
    the engine folds nothing to load a case. A snapshot the store cannot trust (none was
    written, or it was written in an older snapshot format or event schema) comes back as
    ``case=None`` with every event in ``after``: the case is rebuilt from its events.

    Attributes:
        case: The case as of its ``version``, or ``None`` when it must be rebuilt.
        after: The events stored after ``case.version`` (after a sweep, say), oldest first;
            all of the case's events when ``case`` is ``None``.
        cached: ``True`` when a store answered :meth:`SnapshotStore.snapshot_unless_applied`
            from the cases it keeps in memory, without a read: current unless another
            process changed the case since. The engine's append is refused by the case's
            version if so, and a command refused on such a case is decided again on a
            fresh read (:meth:`SnapshotStore.snapshot`) before the refusal stands.
    """

    case: Case | None
    after: tuple[Event, ...] = ()
    cached: bool = False


@attrs.frozen
class Applied:
    """A command's id is stored already: the command was applied (its events are read apart).

    Attributes:
        command_id: The command's idempotency key.
    """

    command_id: str


class EventLog(Protocol):
    """Every case's events: appended one command at a time, or whole cases in bulk.

    The contract:

    - **Atomic appends.** :meth:`append` writes one command's events together with everything
      that follows from them (the case's snapshot, its open deadlines, its free text, the
      command's id and the events' feed positions) in one transaction: all of it or none.
    - **Optimistic concurrency.** An append names the version its decision was based on; if
      the stored version differs (another writer got there first, or a case opened twice),
      it is refused with :class:`~disruption.exceptions.ConcurrencyError` and writes nothing.
    - **Idempotency.** A command id is stored once: an append or bulk load carrying an id
      stored already is refused with :class:`~disruption.exceptions.DuplicateCommand` and
      writes nothing; :meth:`events_of_command` answers a redelivered command.
    - **Faithful reads.** Events read back equal those appended, numbered from 1 without
      gaps in each case, their instants keeping their offset and microseconds; cases are
      kept apart, and any text is a value, never part of a statement.
    """

    def events(self, case: str) -> Sequence[Event]:
        """Return a case's events in sequence order (empty if there is no such case)."""
        ...

    def append(
        self,
        case: Case,
        events: Sequence[Event],
        texts: Sequence[PersonalText],
        *,
        expected_version: int,
    ) -> None:
        """Append one command's events atomically, with the case's new read model and snapshot.

        Args:
            case: The case after the events.
            events: The events, numbered from ``expected_version + 1``.
            texts: Free text split off the events, for the personal-data vault.
            expected_version: The version the decision was based on (0 for a new case).

        Raises:
            ConcurrencyError: When the stored version is not ``expected_version``; nothing
                is written.
            DuplicateCommand: When one of the events' command ids is stored already;
                nothing is written.
        """
        ...

    def events_of_command(self, command_id: str) -> Sequence[Event]:
        """Return the events appended by the command with that idempotency key (or none)."""
        ...

    def case_ids(self) -> Sequence[str]:
        """Return every case's reference, sorted by code point."""
        ...

    def case_ids_of(self, child: str) -> Sequence[str]:
        """Return the references of a child's cases, sorted."""
        ...

    def case_ids_of_carer(self, carer: str) -> Sequence[str]:
        """Return the references of the cases whose placement has this carer, sorted."""
        ...

    def bulk_append(
        self,
        cases: Iterable[NewCase],
        *,
        batch_size: int = 1000,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Append whole new cases in batches: one transaction per batch, not per event.

        A case whose reference is already stored is skipped, so loading the same cases twice
        changes nothing. Each batch is atomic: a batch carrying a command id stored already
        writes nothing (the batches before it stay).

        Args:
            cases: The cases to load.
            batch_size: Cases per transaction.
            progress: Called with the number of cases handled after each batch.

        Returns:
            How many cases were added.

        Raises:
            ValueError: When ``batch_size`` is less than 1.
            DuplicateCommand: When a batch carries a command id stored already.
        """
        ...


class SnapshotStore(Protocol):
    """Each case's current state, written in the same transaction as its events.

    The contract: a case folded from :meth:`snapshot` (its ``case``, then its ``after``
    events) equals the case replayed from all its events, whatever the journey. A snapshot
    the store cannot trust comes back with ``case=None`` and every event in ``after``.
    """

    def snapshot(self, case: str) -> Snapshot | None:
        """Return a case's stored snapshot and the events after it (``None``: no such case)."""
        ...

    def snapshot_unless_applied(
        self, case: str, command_id: str | None
    ) -> Snapshot | Applied | None:
        """Return what a command is decided on, or that it was applied already, in one read.

        The engine asks this before every command: a backend answers both questions at once
        (the SQL store in one statement, so one round trip to a server).

        Args:
            case: The command's case reference.
            command_id: The command's idempotency key (``None``: the snapshot only).

        Returns:
            :class:`Applied` when ``command_id`` is stored (for whatever case); otherwise as
            :meth:`snapshot`. A store that keeps cases in memory may answer a case it keeps
            without reading (and without looking the id up), marked ``cached=True``: the
            append's version check and the command id's uniqueness still hold, and the
            engine checks a refusal on it against :meth:`snapshot`.
        """
        ...


class EventFeed(Protocol):
    """Every committed event in one global order, and where each named consumer has got to.

    The contract: positions are global to the store, start at 1 and have no gaps, in the
    order the appends committed (a failed append leaves no gap); a consumer that saves the
    last position it handled resumes from it without loss or duplicates.
    """

    def read_after(self, position: int, limit: int = 1000) -> Sequence[StoredEvent]:
        """Return up to ``limit`` committed events with positions after ``position``, in order.

        Raises:
            ValueError: When ``limit`` is less than 1.
        """
        ...

    def last_position(self) -> int:
        """Return the position of the last committed event (0 for an empty store)."""
        ...

    def consumer_position(self, consumer: str) -> int:
        """Return the position a named consumer saved (0 if it never saved one)."""
        ...

    def save_consumer_position(self, consumer: str, position: int) -> None:
        """Save a named consumer's position, replacing the one it saved before.

        Raises:
            ValueError: When ``position`` is negative.
        """
        ...


class DeadlineIndex(Protocol):
    """The open deadlines of every case by due date, and the sweep that records them missed.

    The contract: :meth:`overdue` follows each case's latest append (a deadline met or
    cancelled leaves it); :meth:`record_missed` records each missed deadline exactly once,
    however many sweepers run at once, and changes neither the case's state nor its last
    step. The store finds and claims the deadlines; the core decides the events.
    """

    def overdue(self, on: date) -> Sequence[OverdueDeadline]:
        """Return every open deadline due before ``on``, by due date then case.

        A deadline recorded missed is still open (and listed) until it is met or cancelled.
        """
        ...

    def record_missed(
        self, on: date, *, recorded_at: datetime, build: MissedEvents, limit: int = 500
    ) -> Sequence[Event]:
        """Append one ``DeadlineMissed`` event for each open deadline due before ``on``.

        Each missed deadline is recorded exactly once, even with several sweepers at once
        (on PostgreSQL the sweeper locks the rows it takes and skips those another holds).
        The events are stored after the case's snapshot (:attr:`Snapshot.after`).

        Args:
            on: The day to judge on.
            recorded_at: When the sweep runs.
            build: Builds a case's events (:func:`disruption.core.system.missed_events`).
            limit: The most deadlines handled in one transaction.

        Returns:
            The events recorded, one per deadline (call again while it returns ``limit``).

        Raises:
            ValueError: When ``limit`` is less than 1.
        """
        ...


class PersonalDataVault(Protocol):
    """The free text split off the events, keyed by reference and held per child.

    Events keep a ``{"ref": ...}`` where the text was; the text itself is here (a SQL store
    seals it with a key per child). The contract of erasure: once :meth:`erase` returns,
    none of the child's text can be read again from this store, by :meth:`text` or from its
    rows (a SQL store destroys the child's key as well as the sealed text); the events and
    their feed positions are untouched, so the history and its chain still verify. Erasing
    is idempotent: a second erasure finds nothing and changes nothing. Text written for the
    child afterwards is kept (under a new key) until it is erased in turn.
    """

    def text(self, ref: str) -> str | None:
        """Return a piece of free text by its reference, or ``None`` (never stored, or erased)."""
        ...

    def erase(self, child: str) -> int:
        """Destroy a child's free text for good; return how many pieces were erased."""
        ...


class AccessLog(Protocol):
    """The refused access decisions: who tried what, on which case, when, and why not.

    The contract: a refusal is written in a transaction of its own, whatever the command
    would have written is not (the case, its events and the feed are untouched), and the
    log is read back oldest first.
    """

    def record_refusal(self, refusal: Refusal) -> None:
        """Write a refused access decision to the access log (the case is not touched)."""
        ...

    def refusals(self, limit: int = 1000) -> Sequence[Refusal]:
        """Return the access log, most recent last (at most ``limit`` entries, the latest)."""
        ...


class CaseStore(
    EventLog, SnapshotStore, EventFeed, DeadlineIndex, PersonalDataVault, AccessLog, Protocol
):
    """A whole store: the six interfaces, over one database, and the means to close it.

    The engine needs all six: it reads a case's snapshot, appends, sweeps, erases and logs
    refusals. Every backend passes each interface's contract tests (``tests/contracts/``).
    """

    def close(self) -> None:
        """Release the store's resources."""
        ...
