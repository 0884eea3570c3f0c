"""The public API is exactly what ``disruption.__all__`` lists."""

from __future__ import annotations

import subprocess
import sys

import disruption
from disruption import exceptions

EXPECTED = {
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
}


def test_exported_names_are_pinned() -> None:
    assert set(disruption.__all__) == EXPECTED
    assert disruption.__all__ == sorted(disruption.__all__, key=lambda n: (not n.isupper(), n))


def test_every_exported_name_exists() -> None:
    for name in disruption.__all__:
        assert getattr(disruption, name) is not None


def test_every_error_is_a_disruption_error() -> None:
    errors = [getattr(disruption, n) for n in disruption.__all__ if n.endswith("Error")]
    assert errors
    for error in errors:
        assert issubclass(error, disruption.DisruptionError)


def test_every_error_an_embedder_catches_is_exported() -> None:
    assert set(exceptions.__all__) <= set(disruption.__all__)


def test_the_names_load_their_modules_only_when_used() -> None:
    code = (
        "import sys, disruption\n"
        "from disruption import Engine, MemoryStore, open_store, Feed\n"
        "assert 'sqlalchemy' not in sys.modules, 'a memory store loaded SQLAlchemy'\n"
        "disruption.SqlStore\n"
        "assert 'sqlalchemy' in sys.modules"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_logging_set_up_is_the_logs_modules() -> None:
    from disruption import logs

    assert disruption.configure_logging is logs.configure
