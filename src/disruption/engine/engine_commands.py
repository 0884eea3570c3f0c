"""How the engine runs one command: a repeated command's earlier outcome, the decision, logs.

:class:`~disruption.engine.engine.Engine` loads, appends and retries; these functions are the steps
in between. A command whose ``id`` was applied before gets its original outcome back
(:func:`earlier_outcome`); a refusal is logged, and written to the store's access log when it
is an access decision (:func:`decide_command`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import attrs

from disruption import logs
from disruption.core.decide import Decision, decide
from disruption.core.fold import replay
from disruption.domain.calendar import WorkingCalendar
from disruption.domain.clock import Clock
from disruption.domain.commands import Command
from disruption.domain.events import Event
from disruption.domain.model import Case
from disruption.engine.ports import CaseStore, Refusal
from disruption.exceptions import (
    ChairNotIndependent,
    CommandError,
    ConcurrencyError,
    PermissionRefused,
)
from disruption.procedure.definition import Procedure, Recorder

__all__ = ["ACCESS_DECISIONS", "Outcome", "decide_command", "earlier_outcome", "log_applied"]

logger = logs.get_logger("disruption.engine")

ACCESS_DECISIONS = (PermissionRefused, ChairNotIndependent)
"""Refusals written to the store's access log: a role not allowed (a backdated entry
without a manager role included), a chair who is not independent."""


@attrs.frozen
class Outcome:
    """The result of a command: the case after it, and the events it appended.

    Attributes:
        duplicate: ``True`` when the command's id had been applied before, so nothing was
            appended and ``events`` are the original ones.
    """

    case: Case
    events: tuple[Event, ...]
    duplicate: bool = False


def earlier_outcome(
    store: CaseStore,
    command: Command,
    records: Callable[[Sequence[Event]], Mapping[str, Recorder]],
) -> Outcome | None:
    """The outcome of a command whose ``id`` was applied before, or ``None``.

    Args:
        store: Where the case is kept.
        command: The command.
        records: The recorders for a case's events.

    Returns:
        The case as it stood after the command's events, and those events, marked duplicate.
    """
    if command.id is None:
        return None
    earlier = tuple(store.events_of_command(command.id))
    if not earlier:
        return None
    events = store.events(earlier[0].case)
    case = replay((e for e in events if e.seq <= earlier[-1].seq), records(events))
    assert case is not None
    return Outcome(case, earlier, duplicate=True)


def decide_command(
    procedure: Procedure,
    case: Case | None,
    command: Command,
    *,
    calendar: WorkingCalendar,
    clock: Clock,
    store: CaseStore,
    conflict: ConcurrencyError | None,
) -> Decision:
    """Decide a command, logging a refusal (and writing an access decision to the store).

    Raises:
        CommandError: When the command is refused.
        ConcurrencyError: When it is refused after a concurrent change (``conflict``), with
            the refusal as its ``__cause__``.
    """
    try:
        return decide(procedure, case, command, calendar=calendar, recorded_at=clock.now())
    except CommandError as err:
        if isinstance(err, ACCESS_DECISIONS):
            _log_refusal(store, clock, command, err)
        logger.info(
            "command.refused",
            case=command.case,
            command=command.name,
            state=err.state,
            error=type(err).__name__,
        )
        if conflict is None:
            raise
        raise ConcurrencyError(
            f"case {command.case} changed while {command.name} was applied, and it no "
            f"longer applies: {err}",
            expected=conflict.expected,
            actual=conflict.actual,
            case=command.case,
            command=command.name,
            state=err.state,
        ) from err


def _log_refusal(store: CaseStore, clock: Clock, command: Command, err: CommandError) -> None:
    store.record_refusal(
        Refusal(
            at=command.at,
            recorded_at=clock.now(),
            case=command.case,
            command=command.name,
            actor_id=command.actor.id,
            actor_role=command.actor.role.value,
            error=type(err).__name__,
            state=err.state,
        )
    )


def log_applied(before: Case | None, after: Case, command: Command) -> None:
    """Log an applied command: the case, the command, and the states it went between."""
    logger.info(
        "command.applied",
        case=command.case,
        command=command.name,
        from_state=None if before is None else before.state,
        to_state=after.state,
        version=after.version,
    )
