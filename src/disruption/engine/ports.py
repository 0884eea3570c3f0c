"""The storage interface the engine needs, and nothing more."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Protocol

import attrs

from disruption.domain.events import Event, PersonalText
from disruption.domain.model import Case, Deadline

__all__ = [
    "Applied",
    "CaseStore",
    "MissedEvents",
    "NewCase",
    "OverdueDeadline",
    "Refusal",
    "Snapshot",
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
    """

    case: Case | None
    after: tuple[Event, ...] = ()


@attrs.frozen
class Applied:
    """A command's id is stored already: the command was applied (its events are read apart).

    Attributes:
        command_id: The command's idempotency key.
    """

    command_id: str


class CaseStore(Protocol):
    """Where a case's events are appended and read back.

    Every backend passes the same contract tests (``tests/store_contract.py``).
    """

    def events(self, case: str) -> Sequence[Event]:
        """Return a case's events in sequence order (empty if there is no such case)."""
        ...

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
            :class:`Applied` when ``command_id`` is stored; otherwise as :meth:`snapshot`.
        """
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
            texts: Free text split off the events, for the personal-data store.
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
        """Return every case's reference, sorted."""
        ...

    def overdue(self, on: date) -> Sequence[OverdueDeadline]:
        """Return every open deadline due before ``on``, by due date then case."""
        ...

    def text(self, ref: str) -> str | None:
        """Return a piece of free text by its reference, or ``None`` if gone."""
        ...

    def read_after(self, position: int, limit: int = 1000) -> Sequence[StoredEvent]:
        """Return up to ``limit`` committed events with positions after ``position``, in order.

        Positions are global to the store, start at 1 and have no gaps: a consumer that
        remembers the last position it handled resumes without loss or duplicates.
        """
        ...

    def last_position(self) -> int:
        """Return the position of the last committed event (0 for an empty store)."""
        ...

    def consumer_position(self, consumer: str) -> int:
        """Return the position a named consumer saved (0 if it never saved one)."""
        ...

    def save_consumer_position(self, consumer: str, position: int) -> None:
        """Save a named consumer's position."""
        ...

    def record_missed(
        self, on: date, *, recorded_at: datetime, build: MissedEvents, limit: int = 500
    ) -> Sequence[Event]:
        """Append one ``DeadlineMissed`` event for each open deadline due before ``on``.

        Each missed deadline is recorded exactly once, even with several sweepers at once
        (on PostgreSQL the sweeper locks the rows it takes and skips those another holds).
        The store claims the deadlines; ``build`` decides the events.

        Args:
            on: The day to judge on.
            recorded_at: When the sweep runs.
            build: Builds a case's events (:func:`disruption.core.system.missed_events`).
            limit: The most deadlines handled in one transaction.

        Returns:
            The events recorded, one per deadline (call again while it returns ``limit``).
        """
        ...

    def case_ids_of(self, child: str) -> Sequence[str]:
        """Return the references of a child's cases, sorted."""
        ...

    def erase(self, child: str) -> int:
        """Destroy a child's free text for good; return how many pieces were erased."""
        ...

    def record_refusal(self, refusal: Refusal) -> None:
        """Write a refused access decision to the access log (the case is not touched)."""
        ...

    def refusals(self, limit: int = 1000) -> Sequence[Refusal]:
        """Return the access log, most recent last (at most ``limit`` entries, the latest)."""
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
        changes nothing.

        Args:
            cases: The cases to load.
            batch_size: Cases per transaction.
            progress: Called with the number of cases handled after each batch.

        Returns:
            How many cases were added.
        """
        ...

    def close(self) -> None:
        """Release the store's resources."""
        ...
