"""disruption: the placement disruption procedure as a durable case workflow.

The public API is what this module exports, with the documented packages
:mod:`disruption.store`, :mod:`disruption.ssda903`, :mod:`disruption.analysis`,
:mod:`disruption.logs` and :mod:`disruption.exceptions`: the engine, commands and events,
procedures and the helpers to extend them (an authority's procedure file included), the
model, clocks and calendars, the stores and :func:`open_store`, the event feed, logging set-up,
every error an embedder catches, and the versions of the JSON command contract
(:data:`CONTRACT_VERSION`) and of the event feed (:data:`FEED_VERSION`). Every other module is
internal, and says so in its docstring or its package's: it may move or change without
notice (see ``docs/api.md`` for the policy, ``docs/design.md`` for the layout).

Names are imported on first use (PEP 562), so that ``import disruption.cli`` or any one
submodule does not pay for the whole library: ``from disruption import Engine`` loads the
engine then, and ``SqlStore`` loads SQLAlchemy only when it is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from disruption.core.decide import Decision, decide
    from disruption.core.fold import replay
    from disruption.domain.calendar import DEFAULT_CALENDAR, Nation, WorkingCalendar
    from disruption.domain.clock import Clock, FixedClock, SystemClock
    from disruption.domain.commands import (
        CONTRACT_VERSION,
        SUPPORTED_CONTRACT_VERSIONS,
        Command,
        Fields,
    )
    from disruption.domain.events import DeadlineChange, Event, PersonalText
    from disruption.domain.model import (
        MANAGER_ROLES,
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
    from disruption.engine.feed import FEED_VERSION, Feed, to_cloudevent
    from disruption.engine.ports import CaseStore, NewCase, OverdueDeadline, StoredEvent
    from disruption.exceptions import (
        ActorMismatch,
        ChairNotIndependent,
        CommandError,
        CommandNotAllowed,
        ConcurrencyError,
        DateOutOfOrder,
        DateOutOfRange,
        DefinitionError,
        DisruptionError,
        DuplicateCase,
        DuplicateCommand,
        EndingNotReady,
        FileUnreadable,
        InputError,
        InvalidData,
        NotAuthenticated,
        OutputExists,
        PermissionRefused,
        ReturnYearClash,
        ReturnYearError,
        ReturnYearUnknown,
        SchemaError,
        ServiceConfigError,
        StoreError,
        UnknownCase,
        UnknownCode,
        UnknownCommand,
        UnknownProcedure,
        UnsupportedContractVersion,
        UnsupportedDatabase,
        VersionMismatch,
    )
    from disruption.logs import configure as configure_logging
    from disruption.procedure.definition import (
        CommandSpec,
        Condition,
        Context,
        DeadlineSpec,
        Draft,
        Guard,
        Opens,
        Procedure,
        Recorder,
        State,
        Transition,
    )
    from disruption.procedure.file import Authority, load_procedure, parse_procedure
    from disruption.procedure.standard import STANDARD
    from disruption.store import open_store
    from disruption.store.memory import MemoryStore
    from disruption.store.sql.store import SqlStore

__all__ = [
    "CONTRACT_VERSION",
    "DEFAULT_CALENDAR",
    "FEED_VERSION",
    "MANAGER_ROLES",
    "STANDARD",
    "SUPPORTED_CONTRACT_VERSIONS",
    "Actor",
    "ActorMismatch",
    "Authority",
    "Case",
    "CaseStore",
    "ChairNotIndependent",
    "Clock",
    "Command",
    "CommandError",
    "CommandNotAllowed",
    "CommandSpec",
    "ConcurrencyError",
    "Condition",
    "Context",
    "DateOutOfOrder",
    "DateOutOfRange",
    "Deadline",
    "DeadlineChange",
    "DeadlineSpec",
    "DeadlineStatus",
    "Decision",
    "DefinitionError",
    "DisruptionError",
    "Draft",
    "DuplicateCase",
    "DuplicateCommand",
    "EndingNotReady",
    "Engine",
    "Event",
    "Feed",
    "Fields",
    "FileUnreadable",
    "FixedClock",
    "Guard",
    "InputError",
    "InvalidData",
    "Location",
    "MemoryStore",
    "Nation",
    "NewCase",
    "NotAuthenticated",
    "Opens",
    "Outcome",
    "OutputExists",
    "OverdueDeadline",
    "PermissionRefused",
    "PersonalText",
    "Placement",
    "Procedure",
    "ProcedureRef",
    "Recorder",
    "ReturnYearClash",
    "ReturnYearError",
    "ReturnYearUnknown",
    "Role",
    "SchemaError",
    "ServiceConfigError",
    "SqlStore",
    "State",
    "StoreError",
    "StoredEvent",
    "SystemClock",
    "Transition",
    "UnknownCase",
    "UnknownCode",
    "UnknownCommand",
    "UnknownProcedure",
    "UnsupportedContractVersion",
    "UnsupportedDatabase",
    "VersionMismatch",
    "WorkingCalendar",
    "configure_logging",
    "decide",
    "load_procedure",
    "open_store",
    "parse_procedure",
    "replay",
    "to_cloudevent",
]

_WHERE: dict[str, tuple[str, str]] = {
    "CONTRACT_VERSION": ("disruption.domain.commands", "CONTRACT_VERSION"),
    "FEED_VERSION": ("disruption.engine.feed", "FEED_VERSION"),
    "SUPPORTED_CONTRACT_VERSIONS": ("disruption.domain.commands", "SUPPORTED_CONTRACT_VERSIONS"),
    "DEFAULT_CALENDAR": ("disruption.domain.calendar", "DEFAULT_CALENDAR"),
    "MANAGER_ROLES": ("disruption.domain.model", "MANAGER_ROLES"),
    "STANDARD": ("disruption.procedure.standard", "STANDARD"),
    "Actor": ("disruption.domain.model", "Actor"),
    "ActorMismatch": ("disruption.exceptions", "ActorMismatch"),
    "Authority": ("disruption.procedure.file", "Authority"),
    "Case": ("disruption.domain.model", "Case"),
    "CaseStore": ("disruption.engine.ports", "CaseStore"),
    "ChairNotIndependent": ("disruption.exceptions", "ChairNotIndependent"),
    "Clock": ("disruption.domain.clock", "Clock"),
    "Command": ("disruption.domain.commands", "Command"),
    "CommandError": ("disruption.exceptions", "CommandError"),
    "CommandNotAllowed": ("disruption.exceptions", "CommandNotAllowed"),
    "CommandSpec": ("disruption.procedure.definition", "CommandSpec"),
    "ConcurrencyError": ("disruption.exceptions", "ConcurrencyError"),
    "Condition": ("disruption.procedure.definition", "Condition"),
    "Context": ("disruption.procedure.definition", "Context"),
    "DateOutOfOrder": ("disruption.exceptions", "DateOutOfOrder"),
    "DateOutOfRange": ("disruption.exceptions", "DateOutOfRange"),
    "Deadline": ("disruption.domain.model", "Deadline"),
    "DeadlineChange": ("disruption.domain.events", "DeadlineChange"),
    "DeadlineSpec": ("disruption.procedure.definition", "DeadlineSpec"),
    "DeadlineStatus": ("disruption.domain.model", "DeadlineStatus"),
    "Decision": ("disruption.core.decide", "Decision"),
    "DefinitionError": ("disruption.exceptions", "DefinitionError"),
    "DisruptionError": ("disruption.exceptions", "DisruptionError"),
    "Draft": ("disruption.procedure.definition", "Draft"),
    "DuplicateCase": ("disruption.exceptions", "DuplicateCase"),
    "DuplicateCommand": ("disruption.exceptions", "DuplicateCommand"),
    "EndingNotReady": ("disruption.exceptions", "EndingNotReady"),
    "Engine": ("disruption.engine.engine", "Engine"),
    "Event": ("disruption.domain.events", "Event"),
    "Feed": ("disruption.engine.feed", "Feed"),
    "Fields": ("disruption.domain.commands", "Fields"),
    "FileUnreadable": ("disruption.exceptions", "FileUnreadable"),
    "FixedClock": ("disruption.domain.clock", "FixedClock"),
    "Guard": ("disruption.procedure.definition", "Guard"),
    "InputError": ("disruption.exceptions", "InputError"),
    "InvalidData": ("disruption.exceptions", "InvalidData"),
    "Location": ("disruption.domain.model", "Location"),
    "MemoryStore": ("disruption.store.memory", "MemoryStore"),
    "Nation": ("disruption.domain.calendar", "Nation"),
    "NewCase": ("disruption.engine.ports", "NewCase"),
    "Opens": ("disruption.procedure.definition", "Opens"),
    "Outcome": ("disruption.engine.engine", "Outcome"),
    "NotAuthenticated": ("disruption.exceptions", "NotAuthenticated"),
    "OutputExists": ("disruption.exceptions", "OutputExists"),
    "OverdueDeadline": ("disruption.engine.ports", "OverdueDeadline"),
    "PermissionRefused": ("disruption.exceptions", "PermissionRefused"),
    "PersonalText": ("disruption.domain.events", "PersonalText"),
    "Placement": ("disruption.domain.model", "Placement"),
    "Procedure": ("disruption.procedure.definition", "Procedure"),
    "ProcedureRef": ("disruption.domain.model", "ProcedureRef"),
    "Recorder": ("disruption.procedure.definition", "Recorder"),
    "ReturnYearClash": ("disruption.exceptions", "ReturnYearClash"),
    "ReturnYearError": ("disruption.exceptions", "ReturnYearError"),
    "ReturnYearUnknown": ("disruption.exceptions", "ReturnYearUnknown"),
    "Role": ("disruption.domain.model", "Role"),
    "SchemaError": ("disruption.exceptions", "SchemaError"),
    "ServiceConfigError": ("disruption.exceptions", "ServiceConfigError"),
    "SqlStore": ("disruption.store.sql.store", "SqlStore"),
    "State": ("disruption.procedure.definition", "State"),
    "StoreError": ("disruption.exceptions", "StoreError"),
    "StoredEvent": ("disruption.engine.ports", "StoredEvent"),
    "SystemClock": ("disruption.domain.clock", "SystemClock"),
    "Transition": ("disruption.procedure.definition", "Transition"),
    "UnknownCase": ("disruption.exceptions", "UnknownCase"),
    "UnknownCode": ("disruption.exceptions", "UnknownCode"),
    "UnknownCommand": ("disruption.exceptions", "UnknownCommand"),
    "UnknownProcedure": ("disruption.exceptions", "UnknownProcedure"),
    "UnsupportedContractVersion": ("disruption.exceptions", "UnsupportedContractVersion"),
    "UnsupportedDatabase": ("disruption.exceptions", "UnsupportedDatabase"),
    "VersionMismatch": ("disruption.exceptions", "VersionMismatch"),
    "WorkingCalendar": ("disruption.domain.calendar", "WorkingCalendar"),
    "decide": ("disruption.core.decide", "decide"),
    "load_procedure": ("disruption.procedure.file", "load_procedure"),
    "open_store": ("disruption.store", "open_store"),
    "parse_procedure": ("disruption.procedure.file", "parse_procedure"),
    "replay": ("disruption.core.fold", "replay"),
    "to_cloudevent": ("disruption.engine.feed", "to_cloudevent"),
    "configure_logging": ("disruption.logs", "configure"),
}
"""The module each public name is defined in, and its name there."""


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'disruption' has no attribute {name!r}")
    module, attribute = where
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value  # later look-ups do not come back here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
