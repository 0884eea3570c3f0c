"""disruption: the placement disruption procedure as a durable case workflow.

The public API is what this module exports; everything else is an implementation detail.
Names are imported on first use (PEP 562), so that ``import disruption.cli`` or any one
submodule does not pay for the whole library: ``from disruption import Engine`` works as
before, and loads the engine then.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_WHERE: dict[str, str] = {
    "Actor": "disruption.model",
    "Case": "disruption.model",
    "CaseStore": "disruption.store",
    "ChairNotIndependent": "disruption.exceptions",
    "Clock": "disruption.clock",
    "Command": "disruption.commands",
    "CommandError": "disruption.exceptions",
    "CommandNotAllowed": "disruption.exceptions",
    "CommandSpec": "disruption.definition",
    "ConcurrencyError": "disruption.exceptions",
    "Context": "disruption.definition",
    "DEFAULT_CALENDAR": "disruption.calendar",
    "DateOutOfOrder": "disruption.exceptions",
    "Deadline": "disruption.model",
    "DeadlineChange": "disruption.events",
    "DeadlineSpec": "disruption.definition",
    "DeadlineStatus": "disruption.model",
    "Decision": "disruption.decide",
    "DefinitionError": "disruption.exceptions",
    "DisruptionError": "disruption.exceptions",
    "DuplicateCase": "disruption.exceptions",
    "Engine": "disruption.engine",
    "Event": "disruption.events",
    "FixedClock": "disruption.clock",
    "InputError": "disruption.exceptions",
    "InvalidData": "disruption.exceptions",
    "Location": "disruption.model",
    "MemoryStore": "disruption.store",
    "Nation": "disruption.calendar",
    "Opens": "disruption.definition",
    "Outcome": "disruption.engine",
    "PermissionRefused": "disruption.exceptions",
    "PersonalText": "disruption.events",
    "Placement": "disruption.model",
    "Procedure": "disruption.definition",
    "ProcedureRef": "disruption.model",
    "Role": "disruption.model",
    "STANDARD": "disruption.standard",
    "SchemaError": "disruption.exceptions",
    "State": "disruption.definition",
    "StoreError": "disruption.exceptions",
    "SystemClock": "disruption.clock",
    "Transition": "disruption.definition",
    "UnknownCase": "disruption.exceptions",
    "UnknownCode": "disruption.exceptions",
    "UnknownCommand": "disruption.exceptions",
    "UnknownProcedure": "disruption.exceptions",
    "WorkingCalendar": "disruption.calendar",
    "decide": "disruption.decide",
    "replay": "disruption.fold",
}
"""The module each public name is defined in."""


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'disruption' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups do not come back here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


_SHADOWED = frozenset(name for name, module in _WHERE.items() if module == f"{__name__}.{name}")
"""Public names that are also the name of their module (``decide``)."""


class _Package(types.ModuleType):
    """The package: importing ``disruption.decide`` (the module) does not hide ``decide``.

    Python sets a submodule as an attribute of its package once the submodule is imported;
    for the shadowed names the package keeps the function instead, as it always did.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _SHADOWED and isinstance(value, types.ModuleType):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
