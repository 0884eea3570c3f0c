"""Event time and recorded time: steps entered late need a manager and are flagged."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from disruption import STANDARD, Engine, MemoryStore, Procedure
from disruption.analysis import entry_table, recording_delay
from disruption.core.decide import LATE_ENTRY
from disruption.exceptions import PermissionRefused
from disruption.procedure.file import parse_procedure
from tests.builders import (
    MANAGER,
    SW,
    T0,
    command,
    make_engine,
    no_further_action_data,
    open_case_data,
    raise_concern_data,
    run,
    utc,
)

# T0 is Monday 1 December 2025. Ten working days later is Monday 15 December.
OPENED = ("open_case", T0, SW, open_case_data())
CONCERN = ("raise_concern", T0 + timedelta(hours=1), SW, raise_concern_data())
SCREENED = utc(2025, 12, 2, 10)  # the decision, taken Tuesday 2 December


def _entered_on(day: datetime, procedure: Procedure = STANDARD, concern: bool = False) -> Engine:
    """An engine entering steps on ``day``, with a case opened (and a concern raised) on T0."""
    store = MemoryStore()
    run(make_engine(T0, store=store, procedure=procedure), "P-1", [OPENED, *([CONCERN] * concern)])
    return make_engine(day, store=store, procedure=procedure)


def test_a_social_worker_may_enter_a_step_ten_working_days_late() -> None:
    engine = _entered_on(utc(2025, 12, 16, 9))  # Tue 16 Dec: 10 working days after 2 Dec
    case = engine.handle(command("P-1", "raise_concern", SCREENED, data=raise_concern_data())).case
    assert LATE_ENTRY not in engine.store.events("P-1")[-1].data
    assert case.state == "concern_raised"


def test_eleven_working_days_late_needs_a_manager_and_changes_nothing() -> None:
    engine = _entered_on(utc(2025, 12, 17, 9))  # 11 working days after 2 December
    before = engine.store.events("P-1")
    late = command("P-1", "raise_concern", SCREENED, data=raise_concern_data())
    with pytest.raises(PermissionRefused) as refused:
        engine.handle(late)
    assert refused.value.role == "social_worker"
    assert refused.value.command == "raise_concern"
    assert "11 working days" in str(refused.value)
    assert engine.store.events("P-1") == before


def test_a_managers_late_entry_is_flagged_and_judged_on_when_it_happened() -> None:
    engine = _entered_on(utc(2025, 12, 17, 9), concern=True)
    decision = command("P-1", "no_further_action", SCREENED, *MANAGER, no_further_action_data())
    case = engine.handle(decision).case
    event = engine.store.events("P-1")[-1]
    assert event.data[LATE_ENTRY] == {"working_days": 11, "limit": 10}
    assert event.at == SCREENED
    screening = next(d for d in case.deadlines if d.name == "screening")
    assert screening.status.value == "met"  # due 3 December; it happened on 2 December
    assert screening.closed_on == date(2025, 12, 2)


def test_the_limit_is_set_by_the_definition() -> None:
    strict = parse_procedure({"name": "strict", "version": 1, "backdating_limit": 2}).procedure
    engine = _entered_on(utc(2025, 12, 5, 9), strict)  # 3 working days after 2 December
    with pytest.raises(PermissionRefused):
        engine.handle(command("P-1", "raise_concern", SCREENED, data=raise_concern_data()))
    unlimited = STANDARD.replace(backdating_limit=None)
    engine = _entered_on(utc(2026, 6, 1, 9), unlimited)
    engine.handle(command("P-1", "raise_concern", SCREENED, data=raise_concern_data()))
    assert LATE_ENTRY not in engine.store.events("P-1")[-1].data


def test_the_entry_table_shows_how_late_each_step_was_entered() -> None:
    engine = _entered_on(utc(2025, 12, 17, 9), concern=True)
    decision = command("P-1", "no_further_action", SCREENED, *MANAGER, no_further_action_data())
    engine.handle(decision)
    entries = entry_table(engine.store)
    assert entries.select("command", "working_days_late", "flagged").rows() == [
        ("open_case", 0, False),
        ("raise_concern", 0, False),
        ("no_further_action", 11, True),
    ]
    delay = {
        r["command"]: r
        for r in recording_delay(entries, T0.date(), date(2025, 12, 31)).iter_rows(named=True)
    }
    assert delay["no_further_action"]["flagged"] == 1
    assert delay["no_further_action"]["over_5"] == 1
    assert delay["open_case"]["same_day"] == 1
