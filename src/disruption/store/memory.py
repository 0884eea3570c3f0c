"""A store kept in memory: for tests, dry runs and ``disruption run`` without ``--db``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from disruption.events import Event, PersonalText
from disruption.exceptions import ConcurrencyError
from disruption.model import Case
from disruption.store.base import OverdueDeadline

__all__ = ["MemoryStore"]


class MemoryStore:
    """A :class:`~disruption.store.base.CaseStore` in memory. Not shared between processes."""

    def __init__(self) -> None:
        self._events: dict[str, list[Event]] = {}
        self._cases: dict[str, Case] = {}
        self._commands: dict[str, list[Event]] = {}
        self._texts: dict[str, str] = {}

    def events(self, case: str) -> Sequence[Event]:
        """Return a case's events in sequence order."""
        return tuple(self._events.get(case, ()))

    def append(
        self,
        case: Case,
        events: Sequence[Event],
        texts: Sequence[PersonalText],
        *,
        expected_version: int,
    ) -> None:
        """Append one command's events (all or nothing)."""
        stored = self._events.get(case.id, [])
        if len(stored) != expected_version:
            raise ConcurrencyError(
                f"case {case.id} is at version {len(stored)}, not {expected_version}",
                expected=expected_version,
                actual=len(stored),
                case=case.id,
            )
        new_texts = {t.ref: t.text for t in texts}
        commands: dict[str, list[Event]] = {}
        for e in events:
            if e.command_id is not None:
                commands.setdefault(e.command_id, [*self._commands.get(e.command_id, ())]).append(e)
        # Everything above may fail; after the first update below nothing can.
        self._texts.update(new_texts)
        self._events[case.id] = [*stored, *events]
        self._cases[case.id] = case
        self._commands.update(commands)

    def events_of_command(self, command_id: str) -> Sequence[Event]:
        """Return the events of a command by its idempotency key."""
        return tuple(self._commands.get(command_id, ()))

    def case_ids(self) -> Sequence[str]:
        """Return every case's reference, sorted."""
        return sorted(self._events)

    def overdue(self, on: date) -> Sequence[OverdueDeadline]:
        """Return every open deadline due before ``on``."""
        found = [
            OverdueDeadline(case.id, case.state, d)
            for case in self._cases.values()
            for d in case.overdue(on)
        ]
        return sorted(found, key=lambda o: (o.deadline.due, o.case, o.deadline.id))

    def text(self, ref: str) -> str | None:
        """Return a piece of free text by its reference."""
        return self._texts.get(ref)

    def close(self) -> None:
        """Nothing to release."""
