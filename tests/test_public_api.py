"""The public API is exactly what ``disruption.__all__`` lists."""

from __future__ import annotations

import disruption

EXPECTED = {
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
