"""The :class:`~disruption.engine.ports.DeadlineIndex` contract, on every backend.

Open deadlines by due date, following each case; each missed deadline recorded once.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from disruption.core.system import missed_events
from disruption.domain.model import DeadlineStatus
from disruption.engine.ports import CaseStore, OverdueDeadline, StoredEvent
from tests.store_contract import (
    SWEPT,
    T0,
    case_of,
    command,
    journey,
    no_further_action,
    open_case,
    overdue_cases,
    raise_concern,
    run,
)


def test_overdue_deadlines_in_order_without_cleared_or_cancelled(store: CaseStore) -> None:
    monday, tuesday = T0, T0 + timedelta(days=1)
    for case in ("P-3", "P-20", "P-1"):
        run(store, [open_case(case), raise_concern(case, monday + timedelta(hours=1))])
    run(store, [open_case("P-0"), raise_concern("P-0", tuesday)])
    run(
        store,
        [
            open_case("P-met"),
            raise_concern("P-met", monday + timedelta(hours=1)),
            no_further_action("P-met", monday + timedelta(hours=2)),
        ],
    )
    ending = command(
        "P-ended",
        "end_placement",
        monday + timedelta(days=3),
        {"end": "2025-12-04", "reason": "CARPL", "planned": True},
    )
    before = [
        command(
            "P-ended",
            "inform_iro",
            monday + timedelta(days=3),
            {"informed_on": "2025-12-04", "iro": "iro-1"},
        ),
        command("P-ended", "review_case", monday + timedelta(days=3), {"held_on": "2025-12-04"}),
        command(
            "P-ended",
            "give_notice",
            monday + timedelta(days=3),
            {"sent_on": "2025-12-04", "recipients": ["carer-1"]},
        ),
    ]  # Regulation 14: a planned ending follows these
    run(store, [*journey("P-ended", monday)[:4], *before, ending])
    ended = case_of(store, "P-ended")
    assert {d.status for d in ended.deadlines} == {DeadlineStatus.MET, DeadlineStatus.CANCELLED}

    found = store.overdue(date(2026, 1, 31))
    assert [(o.case, o.deadline.name, o.deadline.due.isoformat()) for o in found] == [
        ("P-1", "screening", "2025-12-03"),
        ("P-20", "screening", "2025-12-03"),
        ("P-3", "screening", "2025-12-03"),
        ("P-0", "screening", "2025-12-04"),
    ]
    assert found[0] == OverdueDeadline("P-1", "concern_raised", case_of(store, "P-1").deadlines[0])
    assert [o.case for o in store.overdue(date(2025, 12, 4))] == ["P-1", "P-20", "P-3"]
    assert list(store.overdue(date(2025, 12, 3))) == []


def test_overdue_follows_the_latest_case(store: CaseStore) -> None:
    run(store, [open_case("P-1"), raise_concern("P-1", T0 + timedelta(hours=1))])
    assert [o.case for o in store.overdue(date(2025, 12, 10))] == ["P-1"]
    run(store, [no_further_action("P-1", T0 + timedelta(days=5))])
    assert list(store.overdue(date(2025, 12, 10))) == []


def test_a_sweep_records_each_missed_deadline_once(store: CaseStore) -> None:
    overdue_cases(store)
    on, last = date(2025, 12, 6), store.last_position()
    before = {c: case_of(store, c) for c in store.case_ids()}
    recorded = store.record_missed(on, build=missed_events, recorded_at=SWEPT)
    assert [(e.case, e.seq, e.type) for e in recorded] == [
        ("P-1", 3, "DeadlineMissed"),
        ("P-2", 3, "DeadlineMissed"),
    ]
    assert list(store.read_after(last)) == [
        StoredEvent(last + 1, recorded[0]),
        StoredEvent(last + 2, recorded[1]),
    ]
    assert (
        list(store.record_missed(on, build=missed_events, recorded_at=SWEPT + timedelta(hours=1)))
        == []
    )
    assert store.last_position() == last + 2
    for case in ("P-1", "P-2"):
        after = case_of(store, case)
        assert store.events(case)[-1] == recorded[0 if case == "P-1" else 1]
        assert (after.state, after.version) == (before[case].state, 3)
        assert after.updated_at == before[case].updated_at
        assert [d.missed_recorded for d in after.deadlines] == [True]
    assert case_of(store, "P-3") == before["P-3"]
    found = store.overdue(on)
    assert found == [
        OverdueDeadline(c, "concern_raised", case_of(store, c).deadlines[0]) for c in ("P-1", "P-2")
    ]


def test_a_sweep_takes_at_most_its_limit(store: CaseStore) -> None:
    overdue_cases(store)
    on = date(2025, 12, 10)
    taken = [
        [e.case for e in store.record_missed(on, build=missed_events, recorded_at=SWEPT, limit=2)]
        for _ in range(3)
    ]
    assert taken == [["P-1", "P-2"], ["P-3"], []]


def test_a_late_entry_after_a_sweep_is_accepted(store: CaseStore) -> None:
    overdue_cases(store)
    store.record_missed(date(2025, 12, 6), build=missed_events, recorded_at=SWEPT)
    (late,) = run(store, [no_further_action("P-1", T0 + timedelta(days=2))])
    assert (late.seq, late.to_state) == (4, case_of(store, "P-1").state)
    assert late.at < SWEPT
    assert [d.status for d in case_of(store, "P-1").deadlines] == [DeadlineStatus.MET]
    assert [o.case for o in store.overdue(date(2025, 12, 6))] == ["P-2"]


def test_a_new_store_has_no_deadlines(store: CaseStore) -> None:
    assert list(store.overdue(date(2100, 1, 1))) == []
    assert list(store.record_missed(date(2100, 1, 1), build=missed_events, recorded_at=SWEPT)) == []
    assert store.last_position() == 0


def test_a_sweep_limit_below_one_is_refused(store: CaseStore) -> None:
    overdue_cases(store)
    with pytest.raises(ValueError, match="limit"):
        store.record_missed(date(2026, 1, 1), build=missed_events, recorded_at=SWEPT, limit=0)
    assert [e.type for e in store.events("P-1")] == ["CaseOpened", "ConcernRaised"]
