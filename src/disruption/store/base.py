"""The storage interface the engine needs, and nothing more."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

import attrs

from disruption.events import Event, PersonalText
from disruption.model import Case, Deadline

__all__ = ["CaseStore", "OverdueDeadline"]


@attrs.frozen
class OverdueDeadline:
    """An open deadline due before some date, with the case it belongs to."""

    case: str
    state: str
    deadline: Deadline


class CaseStore(Protocol):
    """Where a case's events are appended and read back.

    Every backend passes the same contract tests (``tests/store_contract.py``).
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
        """Append one command's events atomically, with the case's new read model.

        Args:
            case: The case after the events.
            events: The events, numbered from ``expected_version + 1``.
            texts: Free text split off the events, for the personal-data store.
            expected_version: The version the decision was based on (0 for a new case).

        Raises:
            ConcurrencyError: When the stored version is not ``expected_version``; nothing
                is written.
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

    def close(self) -> None:
        """Release the store's resources."""
        ...
