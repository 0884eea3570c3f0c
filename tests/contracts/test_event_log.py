"""The :class:`~disruption.engine.ports.EventLog` contract, on every backend.

Appends are atomic and checked against the version decided on; a command id is applied
once; events read back as appended; whole cases load in batches, idempotently.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any, cast

import pendulum
import pytest

from disruption.core.decide import decide
from disruption.domain.calendar import DEFAULT_CALENDAR
from disruption.domain.clock import FixedClock
from disruption.domain.commands import Command
from disruption.engine.engine import Engine
from disruption.engine.ports import CaseStore, StoredEvent
from disruption.exceptions import ConcurrencyError, DuplicateCommand
from disruption.procedure.standard import STANDARD
from tests.contracts.backends import Backend
from tests.store_contract import (
    T0,
    TEXT,
    Racing,
    case_of,
    command,
    journey,
    new_cases,
    no_further_action,
    open_case,
    raise_concern,
    run,
    shown,
    stale_decision,
)


def test_events_read_back_equal_to_those_appended(store: CaseStore) -> None:
    appended = run(store, journey("P-1", T0))
    stored = tuple(store.events("P-1"))
    assert stored == appended
    assert [e.seq for e in stored] == list(range(1, len(appended) + 1))
    assert [e.at.utcoffset() for e in stored] == [e.at.utcoffset() for e in appended]
    assert any(e.deadlines for e in stored)
    assert case_of(store, "P-1") == Engine(store).case("P-1")


def test_instants_keep_their_offset_and_microseconds(store: CaseStore) -> None:
    london = pendulum.datetime(2025, 7, 1, 10, 15, 30, 123456, tz="Europe/London")
    plus_five = datetime(2025, 7, 2, 1, 0, 0, 999999, tzinfo=timezone(timedelta(hours=5)))
    appended = run(store, [open_case("P-1", london), raise_concern("P-1", plus_five)])
    stored = store.events("P-1")
    assert tuple(stored) == appended
    assert [e.at.isoformat() for e in stored] == [e.at.isoformat() for e in appended]
    assert [e.recorded_at.isoformat() for e in stored] == [
        e.recorded_at.isoformat() for e in appended
    ]


def test_cases_are_kept_apart(store: CaseStore) -> None:
    first = run(store, [open_case("P-1"), raise_concern("P-1", T0 + timedelta(hours=1))])
    second = run(store, [open_case("P-2", child="C-2")])
    assert tuple(store.events("P-1")) == first
    assert tuple(store.events("P-2")) == second


def test_a_stale_write_raises_and_writes_nothing(store: CaseStore) -> None:
    run(store, [open_case("P-1"), raise_concern("P-1", T0 + timedelta(hours=1))])
    stale = raise_concern("P-1", T0 + timedelta(hours=2), command_id="stale-1")
    decision = stale_decision(store, "P-1", 1, stale)
    before = shown(store, date(2026, 1, 1))
    with pytest.raises(ConcurrencyError) as raised:
        store.append(decision.case, decision.events, decision.texts, expected_version=1)
    assert (raised.value.expected, raised.value.actual, raised.value.case) == (1, 2, "P-1")
    assert shown(store, date(2026, 1, 1)) == before
    assert list(store.events_of_command("stale-1")) == []


def test_opening_a_case_twice_raises_and_writes_nothing(store: CaseStore) -> None:
    first = run(store, [open_case("P-1")])
    again = decide(
        STANDARD,
        None,
        open_case("P-1", T0 + timedelta(days=1), child="C-2"),
        calendar=DEFAULT_CALENDAR,
        recorded_at=T0 + timedelta(days=1),
    )
    with pytest.raises(ConcurrencyError) as raised:
        store.append(again.case, again.events, again.texts, expected_version=0)
    assert (raised.value.expected, raised.value.actual) == (0, 1)
    assert tuple(store.events("P-1")) == first
    assert list(store.case_ids()) == ["P-1"]


def test_a_write_to_a_missing_case_raises(store: CaseStore) -> None:
    decision = decide(STANDARD, None, open_case("P-1"), calendar=DEFAULT_CALENDAR, recorded_at=T0)
    with pytest.raises(ConcurrencyError) as raised:
        store.append(decision.case, decision.events, decision.texts, expected_version=3)
    assert (raised.value.expected, raised.value.actual) == (3, 0)
    assert list(store.case_ids()) == []


def test_events_of_a_command_by_its_id(store: CaseStore) -> None:
    run(store, [open_case("P-1", command_id="open-1"), open_case("P-2", command_id="open-2")])
    concern = run(store, [raise_concern("P-2", T0 + timedelta(hours=1), command_id="c-9")])
    assert tuple(store.events_of_command("c-9")) == concern
    assert [e.case for e in store.events_of_command("open-1")] == ["P-1"]
    assert list(store.events_of_command("c-10")) == []


def test_the_engine_does_not_apply_a_command_twice(store: CaseStore) -> None:
    run(store, [open_case("P-1")])
    engine = Engine(store, clock=FixedClock(T0 + timedelta(hours=2)))
    cmd = raise_concern("P-1", T0 + timedelta(hours=1), command_id="c-1")
    first = engine.handle(cmd)
    again = engine.handle(cmd)
    assert again.duplicate
    assert again.events == first.events
    assert len(store.events("P-1")) == 2


@pytest.mark.parametrize("step", ["open_case", "raise_concern", "no_further_action"])
def test_a_command_committed_during_its_retry_is_answered_as_a_duplicate(
    store: CaseStore, step: str
) -> None:
    """The original commits after the retry looked its id up: no refusal, its outcome.

    Its new state refuses the retry (``DuplicateCase``, ``CommandNotAllowed``), or the
    store refuses the retry's append (a ``raise_concern`` is allowed again after one).
    """
    clock = FixedClock(T0 + timedelta(hours=3))
    setup = {
        "open_case": [],
        "raise_concern": [open_case("P-1")],
        "no_further_action": [open_case("P-1"), raise_concern("P-1", T0)],
    }[step]
    run(store, setup)
    cmd = {
        "open_case": open_case("P-1", command_id="x-1"),
        "raise_concern": raise_concern("P-1", T0 + timedelta(hours=1), command_id="x-1"),
        "no_further_action": no_further_action("P-1", T0 + timedelta(hours=2), command_id="x-1"),
    }[step]
    originals: list[Any] = []
    racing = Racing(store, lambda: originals.append(Engine(store, clock=clock).handle(cmd)))

    retry = Engine(cast(CaseStore, racing), clock=clock).handle(cmd)

    (original,) = originals
    assert not original.duplicate
    assert retry.duplicate
    assert (retry.case, retry.events) == (original.case, original.events)
    assert tuple(store.events_of_command("x-1")) == original.events
    assert store.events("P-1")[-1] == original.events[-1]
    assert list(store.refusals()) == []


def test_case_ids_are_sorted_by_code_point(store: CaseStore) -> None:
    ids = ["P-2", "P1", "P.3", "p-0", "Z-1", "a-1", "P-10", "P-1"]
    for n, case in enumerate(ids):
        run(store, [open_case(case, child=f"C-{n}")])
    assert list(store.case_ids()) == sorted(ids)


def test_awkward_values_are_stored_as_given(store: CaseStore) -> None:
    # Quotes, backslashes, placeholders and SQL in values: every value is a parameter.
    awkward = 'O\'Neil \\ "quoted" %s ? $1 ; DROP TABLE cases; -- \n\t é ✓ \u2028'
    case = "P-1:a/b.c"
    run(store, [open_case(case), raise_concern(case, T0 + timedelta(hours=1))])
    (event,) = run(store, [no_further_action(case, T0 + timedelta(hours=2), awkward)])
    assert store.text(event.data["reason"]["ref"]) == awkward
    assert [e.seq for e in store.events(case)] == [1, 2, 3]
    assert list(store.case_ids()) == [case]


def test_a_failed_append_leaves_nothing_visible(
    store: CaseStore, backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(store, [open_case("P-1"), raise_concern("P-1", T0 + timedelta(hours=1))])
    on = date(2025, 12, 10)
    before = shown(store, on)
    cmd = no_further_action("P-1", T0 + timedelta(hours=2), command_id="nfa-1")
    error = backend.break_text_writes(store, monkeypatch)
    with pytest.raises(error):
        run(store, [cmd])
    monkeypatch.undo()
    assert shown(store, on) == before
    assert list(store.events_of_command("nfa-1")) == []
    assert store.text("P-1/3/reason") is None
    assert store.last_position() == 2
    (event,) = run(store, [cmd])
    assert event.seq == 3
    assert store.text("P-1/3/reason") == TEXT
    assert list(store.read_after(0))[-1] == StoredEvent(3, event)  # no gap left


def test_a_command_id_applied_already_raises_and_writes_nothing(store: CaseStore) -> None:
    first = run(store, [open_case("P-1"), raise_concern("P-1", T0, command_id="c-1")])
    run(store, [open_case("P-2", child="C-2")])
    # Another process decided the same command for another case before seeing the first.
    again = decide(
        STANDARD,
        case_of(store, "P-2"),
        raise_concern("P-2", T0 + timedelta(hours=1), command_id="c-1"),
        calendar=DEFAULT_CALENDAR,
        recorded_at=T0 + timedelta(hours=1),
    )
    before = shown(store, date(2026, 1, 1))
    with pytest.raises(DuplicateCommand) as raised:
        store.append(again.case, again.events, again.texts, expected_version=1)
    assert (raised.value.case, raised.value.command_ids) == ("P-2", ("c-1",))
    assert shown(store, date(2026, 1, 1)) == before
    assert tuple(store.events_of_command("c-1")) == first[1:]
    assert store.last_position() == 3


def test_bulk_append_loads_whole_cases(store: CaseStore) -> None:
    loaded, scratch = new_cases(
        [
            *journey("P-1", T0),
            open_case("P-2", child="C-2"),
            raise_concern("P-2", T0 + timedelta(hours=1), command_id="c-2"),
            *journey("P-3", T0 + timedelta(days=1))[:3],
        ]
    )
    progress: list[int] = []
    assert store.bulk_append(loaded, batch_size=2, progress=progress.append) == 3
    assert progress == [2, 3]
    for item in loaded:
        assert tuple(store.events(item.case.id)) == item.events
        assert case_of(store, item.case.id) == item.case
    assert all(store.text(t.ref) == t.text for item in loaded for t in item.texts)
    assert store.text("P-1/5/child_views") == TEXT
    stored, total = store.read_after(0), sum(len(item.events) for item in loaded)
    assert [s.position for s in stored] == list(range(1, total + 1)) == list(range(1, 14))
    assert [s.event for s in stored] == [e for item in loaded for e in item.events]
    assert tuple(store.events_of_command("c-2")) == loaded[1].events[1:]
    on = date(2026, 6, 1)
    assert store.overdue(on) == scratch.overdue(on)
    (event,) = run(store, [no_further_action("P-2", T0 + timedelta(hours=2))])
    assert event.seq == 3
    assert list(store.read_after(total)) == [StoredEvent(total + 1, event)]


def test_bulk_append_skips_cases_already_stored(store: CaseStore) -> None:
    first = run(store, [open_case("P-1")])
    loaded, _ = new_cases([*journey("P-1", T0)[:2], open_case("P-2", child="C-2")])
    assert store.bulk_append(loaded) == 1
    before = shown(store, date(2026, 1, 1))
    assert store.bulk_append(loaded, batch_size=1) == 0
    assert shown(store, date(2026, 1, 1)) == before
    assert tuple(store.events("P-1")) == first
    assert tuple(store.events("P-2")) == loaded[1].events
    assert store.last_position() == 2


def test_bulk_append_of_a_command_applied_already_writes_nothing_of_its_batch(
    store: CaseStore,
) -> None:
    run(store, [open_case("P-1"), raise_concern("P-1", T0, command_id="c-1")])
    loaded, _ = new_cases(
        [
            open_case("P-2", child="C-2"),
            open_case("P-3", child="C-3"),
            raise_concern("P-3", T0 + timedelta(hours=1), command_id="c-1"),
        ]
    )
    before = shown(store, date(2026, 1, 1))
    with pytest.raises(DuplicateCommand):
        store.bulk_append(loaded)
    assert shown(store, date(2026, 1, 1)) == before
    assert store.bulk_append(loaded[:1]) == 1
    assert store.last_position() == 3


def test_a_new_store_holds_no_events(store: CaseStore) -> None:
    assert list(store.case_ids()) == []
    assert list(store.events("P-1")) == []
    assert list(store.events_of_command("cmd-1")) == []
    assert list(store.case_ids_of("C-1")) == []
    assert list(store.case_ids_of_carer("carer-9")) == []


def test_a_childs_cases_are_found_by_the_child(store: CaseStore) -> None:
    run(
        store,
        [
            open_case("P-2", child="C-1"),
            open_case("P-10", child="C-2"),
            open_case("P-1", child="C-1"),
        ],
    )
    loaded, _ = new_cases([open_case("P-0", child="C-1")])
    store.bulk_append(loaded)
    assert list(store.case_ids_of("C-1")) == ["P-0", "P-1", "P-2"]
    assert list(store.case_ids_of("C-2")) == ["P-10"]
    assert list(store.case_ids_of("C-9")) == []


def test_a_carers_cases_are_found_by_the_carer(store: CaseStore) -> None:
    def opened(case: str, child: str, carer: str | None) -> Command:
        placement = {"id": f"PL-{case}", "type": "U3", "provider": "PR1", "start": "2025-01-06"}
        placement |= {"location": "in_borough"} | ({} if carer is None else {"carer": carer})
        return command(case, "open_case", T0, {"child": child, "placement": placement})

    run(
        store,
        [
            open_case("P-2"),  # carer-9
            opened("P-10", "C-2", "carer-2"),
            opened("P-3", "C-3", None),
            open_case("P-1", child="C-2"),
            raise_concern("P-1", T0 + timedelta(hours=1)),  # an update keeps the carer
        ],
    )
    loaded, _ = new_cases([open_case("P-0", child="C-4"), opened("P-5", "C-5", "carer-2")])
    store.bulk_append(loaded)
    assert list(store.case_ids_of_carer("carer-9")) == ["P-0", "P-1", "P-2"]
    assert list(store.case_ids_of_carer("carer-2")) == ["P-10", "P-5"]
    assert list(store.case_ids_of_carer("carer-1")) == []
    assert case_of(store, "P-3").placement.carer is None


def test_a_batch_size_below_one_is_refused(store: CaseStore) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        store.bulk_append([], batch_size=0)
