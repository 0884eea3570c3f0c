"""disruption: the placement disruption procedure as a durable case workflow.

The public API is what this module exports; everything else is an implementation detail.
"""

from disruption.calendar import DEFAULT_CALENDAR, Nation, WorkingCalendar
from disruption.clock import Clock, FixedClock, SystemClock
from disruption.commands import Command
from disruption.decide import Decision, decide
from disruption.definition import (
    CommandSpec,
    Context,
    DeadlineSpec,
    Opens,
    Procedure,
    State,
    Transition,
)
from disruption.engine import Engine, Outcome
from disruption.events import DeadlineChange, Event, PersonalText
from disruption.exceptions import (
    ChairNotIndependent,
    CommandError,
    CommandNotAllowed,
    ConcurrencyError,
    DateOutOfOrder,
    DefinitionError,
    DisruptionError,
    DuplicateCase,
    InputError,
    InvalidData,
    PermissionRefused,
    SchemaError,
    StoreError,
    UnknownCase,
    UnknownCode,
    UnknownCommand,
    UnknownProcedure,
)
from disruption.fold import replay
from disruption.model import (
    Actor,
    Case,
    Deadline,
    DeadlineStatus,
    Location,
    Placement,
    ProcedureRef,
    Role,
)
from disruption.standard import STANDARD
from disruption.store import CaseStore, MemoryStore

__all__ = [
    "DEFAULT_CALENDAR",
    "STANDARD",
    "Actor",
    "Case",
    "CaseStore",
    "ChairNotIndependent",
    "Clock",
    "Command",
    "CommandError",
    "CommandNotAllowed",
    "CommandSpec",
    "ConcurrencyError",
    "Context",
    "DateOutOfOrder",
    "Deadline",
    "DeadlineChange",
    "DeadlineSpec",
    "DeadlineStatus",
    "Decision",
    "DefinitionError",
    "DisruptionError",
    "DuplicateCase",
    "Engine",
    "Event",
    "FixedClock",
    "InputError",
    "InvalidData",
    "Location",
    "MemoryStore",
    "Nation",
    "Opens",
    "Outcome",
    "PermissionRefused",
    "PersonalText",
    "Placement",
    "Procedure",
    "ProcedureRef",
    "Role",
    "SchemaError",
    "State",
    "StoreError",
    "SystemClock",
    "Transition",
    "UnknownCase",
    "UnknownCode",
    "UnknownCommand",
    "UnknownProcedure",
    "WorkingCalendar",
    "decide",
    "replay",
]
