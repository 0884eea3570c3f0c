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
    from disruption.core.decide import Decision, decide
    from disruption.core.fold import replay
    from disruption.domain.calendar import DEFAULT_CALENDAR, Nation, WorkingCalendar
    from disruption.domain.clock import Clock, FixedClock, SystemClock
    from disruption.domain.commands import Command
    from disruption.domain.events import DeadlineChange, Event, PersonalText
    from disruption.domain.model import (
        Actor,
        Case,
        Deadline,
        DeadlineStatus,
        Location,
        Placement,
        ProcedureRef,
        Role,
    )
    from disruption.engine.engine import Engine, Outcome
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
    from disruption.procedure.definition import (
        CommandSpec,
        Context,
        DeadlineSpec,
        Opens,
        Procedure,
        State,
        Transition,
    )
    from disruption.procedure.standard import STANDARD
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
    "Actor": "disruption.domain.model",
    "Case": "disruption.domain.model",
    "CaseStore": "disruption.store",
    "ChairNotIndependent": "disruption.exceptions",
    "Clock": "disruption.domain.clock",
    "Command": "disruption.domain.commands",
    "CommandError": "disruption.exceptions",
    "CommandNotAllowed": "disruption.exceptions",
    "CommandSpec": "disruption.procedure.definition",
    "ConcurrencyError": "disruption.exceptions",
    "Context": "disruption.procedure.definition",
    "DEFAULT_CALENDAR": "disruption.domain.calendar",
    "DateOutOfOrder": "disruption.exceptions",
    "Deadline": "disruption.domain.model",
    "DeadlineChange": "disruption.domain.events",
    "DeadlineSpec": "disruption.procedure.definition",
    "DeadlineStatus": "disruption.domain.model",
    "Decision": "disruption.core.decide",
    "DefinitionError": "disruption.exceptions",
    "DisruptionError": "disruption.exceptions",
    "DuplicateCase": "disruption.exceptions",
    "Engine": "disruption.engine.engine",
    "Event": "disruption.domain.events",
    "FixedClock": "disruption.domain.clock",
    "InputError": "disruption.exceptions",
    "InvalidData": "disruption.exceptions",
    "Location": "disruption.domain.model",
    "MemoryStore": "disruption.store",
    "Nation": "disruption.domain.calendar",
    "Opens": "disruption.procedure.definition",
    "Outcome": "disruption.engine.engine",
    "PermissionRefused": "disruption.exceptions",
    "PersonalText": "disruption.domain.events",
    "Placement": "disruption.domain.model",
    "Procedure": "disruption.procedure.definition",
    "ProcedureRef": "disruption.domain.model",
    "Role": "disruption.domain.model",
    "STANDARD": "disruption.procedure.standard",
    "SchemaError": "disruption.exceptions",
    "State": "disruption.procedure.definition",
    "StoreError": "disruption.exceptions",
    "SystemClock": "disruption.domain.clock",
    "Transition": "disruption.procedure.definition",
    "UnknownCase": "disruption.exceptions",
    "UnknownCode": "disruption.exceptions",
    "UnknownCommand": "disruption.exceptions",
    "UnknownProcedure": "disruption.exceptions",
    "WorkingCalendar": "disruption.domain.calendar",
    "decide": "disruption.core.decide",
    "replay": "disruption.core.fold",
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
    """The package: importing ``disruption.core.decide`` (the module) does not hide ``decide``.

    Python sets a submodule as an attribute of its package once the submodule is imported;
    for the shadowed names the package keeps the function instead, as it always did.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _SHADOWED and isinstance(value, types.ModuleType):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
