"""The parts a procedure definition is built from: states, transitions, commands, deadlines.

Each part is a frozen value; a :class:`~disruption.procedure.definition.Procedure` checks them
together when built. :class:`Context` is what a command's guards and conditions see when it is
decided.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import attrs

from disruption.domain.commands import Command, Fields
from disruption.domain.model import Case, Role

if TYPE_CHECKING:
    from disruption.domain.calendar import WorkingCalendar
    from disruption.domain.events import Event
    from disruption.procedure.definition import Procedure

__all__ = [
    "CommandSpec",
    "Condition",
    "Context",
    "DeadlineSpec",
    "Guard",
    "Opens",
    "Recorder",
    "State",
    "Transition",
]


@attrs.frozen
class Context:
    """What guards and conditions see when a command is decided.

    Attributes:
        case: The case, or ``None`` for a command that opens one.
        command: The command.
        payload: The command's data, read by its :attr:`CommandSpec.read`.
        on: The date of the command's ``at`` in Europe/London.
        procedure: The procedure deciding it.
    """

    case: Case | None
    command: Command
    payload: Any
    on: date
    procedure: Procedure


Guard = Callable[[Context], None]
"""A check that refuses a command by raising a :class:`~disruption.exceptions.CommandError`."""

Condition = Callable[[Context], bool]
"""A predicate choosing between a command's transitions."""

Recorder = Callable[[Case, "Event"], Case]
"""Updates a case's records (concerns, meetings, ...) from one event during the fold."""


def _names(value: str | Iterable[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _transitions(value: Iterable[Transition]) -> tuple[Transition, ...]:
    return tuple(value)


def _guards(value: Iterable[Guard]) -> tuple[Guard, ...]:
    return tuple(value)


def _opens(value: Iterable[Opens]) -> tuple[Opens, ...]:
    return tuple(value)


def _strings(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


@attrs.frozen
class State:
    """A state of the procedure; a final one takes only follow-up records."""

    name: str
    description: str = ""
    final: bool = False


@attrs.frozen
class Transition:
    """Where a command leads from some states; ``dest=None`` records without moving."""

    source: tuple[str, ...] = attrs.field(converter=_names)
    dest: str | None = None
    when: Condition | None = None


@attrs.frozen
class Opens:
    """A deadline a command opens.

    Attributes:
        deadline: The deadline's name.
        anchor: The payload's date field counted from, or ``"at"`` for the command's date.
        due_field: A payload field that, when given, is the due date itself.
        when: Opens only when this holds.
    """

    deadline: str
    anchor: str = "at"
    due_field: str | None = None
    when: Condition | None = None


@attrs.frozen
class DeadlineSpec:
    """A timescale: how many working days, and which commands clear it.

    Attributes:
        working_days: Due on the Nth working day after the anchor's date (the Nth calendar
            day when ``calendar_days`` is set).
        by_placement_type: Other timescales for some SSDA903 placement types.
        cleared_by: The commands that clear it.
        earliest_working_days: If set, clearing it sooner than this many working (or
            calendar) days after the anchor is refused: the window opens then.
        calendar_days: Count calendar days, not working days (the adoption disruption
            meeting's 28 to 42 days, for example).
    """

    name: str
    working_days: int
    cleared_by: frozenset[str] = attrs.field(converter=_strings)
    by_placement_type: Mapping[str, int] = attrs.field(factory=dict)
    earliest_working_days: int | None = None
    description: str = ""
    calendar_days: bool = False

    def after(self, anchor: date, days: int, calendar: WorkingCalendar) -> date:
        """The date ``days`` (working or calendar, as this timescale counts) after ``anchor``.

        Raises:
            ValueError: When the date is outside the working-day calendar's years.
        """
        if self.calendar_days:
            return anchor + timedelta(days=days)
        return calendar.add_working_days(anchor, days)

    def days_for(self, placement_type: str) -> int:
        """Return the timescale that applies to a placement type."""
        return self.by_placement_type.get(placement_type, self.working_days)


@attrs.frozen
class CommandSpec:
    """A command of the procedure.

    Attributes:
        name: The command's name in the integration contract.
        event: The past-tense type of the event it records.
        read: Reads the command's data into a payload (raises ``InvalidData``).
        transitions: Where it leads from which states.
        roles: Roles that may issue it; ``None`` for any role.
        roles_in: Other roles for some states: in a state listed here, only these roles
            may issue it (a decision that needs a manager once a meeting is convened, say).
        guards: Checks run after the data is read.
        opens: Deadlines it opens.
        creates: Whether it opens a new case.
        follow_up: Whether it is a record taken in a final state.
    """

    name: str
    event: str
    read: Callable[[Fields], Any]
    transitions: tuple[Transition, ...] = attrs.field(converter=_transitions)
    roles: frozenset[Role] | None = None
    roles_in: Mapping[str, frozenset[Role]] = attrs.field(factory=dict)
    guards: tuple[Guard, ...] = attrs.field(default=(), converter=_guards)
    opens: tuple[Opens, ...] = attrs.field(default=(), converter=_opens)
    creates: bool = False
    follow_up: bool = False
    description: str = ""
