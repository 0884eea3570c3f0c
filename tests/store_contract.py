"""The contract every case store passes, whatever keeps the data.

A backend's test module subclasses :class:`StoreContract` (as ``Test...``) and overrides
the ``make_store`` fixture, and ``break_text_writes`` to make the free-text write fail.
Events are made by the real engine running the standard procedure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pendulum
import pytest

from disruption.calendar import DEFAULT_CALENDAR
from disruption.clock import FixedClock
from disruption.commands import Command
from disruption.decide import Decision, decide
from disruption.engine import Engine
from disruption.events import Event
from disruption.exceptions import ConcurrencyError
from disruption.fold import replay
from disruption.model import Case, DeadlineStatus
from disruption.standard import STANDARD
from disruption.store.base import CaseStore, OverdueDeadline

StoreFactory = Callable[[], CaseStore]

T0 = datetime(2025, 12, 1, 9, 30, tzinfo=UTC)
"""A Monday: screening (2 working days) raised on it is due on Wednesday 3 December."""

SW = {"id": "sw-17", "role": "social_worker"}
MANAGER = {"id": "tm-2", "role": "team_manager"}
CHAIR = {"id": "iro-1", "role": "iro"}
TEXT = "Ça va: “quoted” 'single' \"double\" \\ back\nslash\n\ttab 😀 — منزل"


def command(
    case: str,
    name: str,
    at: datetime,
    data: dict[str, Any],
    *,
    actor: dict[str, str] = SW,
    command_id: str | None = None,
) -> Command:
    """Build a command of the integration contract."""
    obj: dict[str, Any] = {
        "case": case,
        "command": name,
        "at": at.isoformat(),
        "actor": actor,
        "data": data,
    }
    if command_id is not None:
        obj["id"] = command_id
    return Command.from_json(obj)


def open_case(
    case: str, at: datetime = T0, *, child: str = "C-1", command_id: str | None = None
) -> Command:
    """``open_case`` for a U1 placement that started in January."""
    placement = {
        "id": f"PL-{case}",
        "type": "U1",
        "provider": "PR1",
        "start": "2025-01-06",
        "location": "in_borough",
        "carer": "carer-9",
    }
    return command(
        case, "open_case", at, {"child": child, "placement": placement}, command_id=command_id
    )


def raise_concern(case: str, at: datetime, *, command_id: str | None = None) -> Command:
    """``raise_concern``: opens a screening deadline (2 working days)."""
    return command(
        case,
        "raise_concern",
        at,
        {"category": "carer_difficulty", "raised_by": "carer"},
        command_id=command_id,
    )


def no_further_action(
    case: str, at: datetime, reason: str = TEXT, *, command_id: str | None = None
) -> Command:
    """``no_further_action``: meets screening; its reason is free text."""
    return command(
        case, "no_further_action", at, {"reason": reason}, actor=MANAGER, command_id=command_id
    )


def journey(case: str, at: datetime) -> list[Command]:
    """A long journey: concern, support, meeting, unplanned ending, notice, review waived."""
    day = at.date()

    def on(days: int) -> str:
        return (day + timedelta(days=days)).isoformat()

    return [
        open_case(case, at),
        raise_concern(case, at + timedelta(hours=1), command_id=f"{case}-concern"),
        command(
            case,
            "offer_support",
            at + timedelta(days=1),
            {"support": ["extra_visits", "respite"], "review_by": on(20)},
            actor=MANAGER,
        ),
        command(case, "convene_meeting", at + timedelta(days=2), {"date": on(4), "chair": CHAIR}),
        command(
            case,
            "record_meeting",
            at + timedelta(days=5),
            {
                "held_on": on(4),
                "attendees": ["social_worker", "carer"],
                "factors": ["carer_capacity", "matching"],
                "decision": "plan_move",
                "child_views": TEXT,
            },
        ),
        command(
            case,
            "end_placement",
            at + timedelta(days=8),
            {"end": on(8), "reason": "CREQB", "planned": False},
        ),
        command(case, "record_notice", at + timedelta(days=9), {"sent_on": on(9)}),
        command(
            case,
            "record_learning_review",
            at + timedelta(days=10),
            {"waived": {"reason": "Carer has left fostering."}},
            actor=MANAGER,
        ),
    ]


def run(store: CaseStore, commands: Sequence[Command]) -> tuple[Event, ...]:
    """Run commands through the engine on ``store``; return every event appended."""
    appended: list[Event] = []
    for cmd in commands:
        engine = Engine(store, clock=FixedClock(cmd.at + timedelta(minutes=3, microseconds=7)))
        appended.extend(engine.handle(cmd).events)
    return tuple(appended)


def case_of(store: CaseStore, case: str) -> Case:
    """Replay a case from the store's events."""
    replayed = replay(store.events(case), STANDARD.records)
    assert replayed is not None, f"no case {case}"
    return replayed


def stale_decision(store: CaseStore, case: str, version: int, cmd: Command) -> Decision:
    """Decide ``cmd`` against the case as it was at ``version`` (a stale read)."""
    before = replay(store.events(case)[:version], STANDARD.records)
    return decide(STANDARD, before, cmd, calendar=DEFAULT_CALENDAR, recorded_at=cmd.at)


def snapshot(store: CaseStore, on: date) -> tuple[object, ...]:
    """Everything a store shows, to check that a failed write changed nothing."""
    ids = tuple(store.case_ids())
    return (ids, tuple(tuple(store.events(c)) for c in ids), tuple(store.overdue(on)))


class StoreContract:
    """The tests every :class:`~disruption.store.base.CaseStore` backend must pass."""

    @pytest.fixture
    def make_store(self) -> StoreFactory:
        """Return a function that opens a fresh, empty store. Backends override this."""
        raise NotImplementedError("a backend's test class overrides make_store")

    def break_text_writes(
        self, store: CaseStore, monkeypatch: pytest.MonkeyPatch
    ) -> type[Exception]:
        """Make writing free text fail inside ``append``; return the error it raises."""
        raise NotImplementedError("a backend's test class overrides break_text_writes")

    @pytest.fixture
    def store(self, make_store: StoreFactory) -> Iterator[CaseStore]:
        store = make_store()
        yield store
        store.close()

    def test_a_new_store_is_empty(self, store: CaseStore) -> None:
        assert list(store.case_ids()) == []
        assert list(store.events("P-1")) == []
        assert list(store.events_of_command("cmd-1")) == []
        assert list(store.overdue(date(2100, 1, 1))) == []
        assert store.text("P-1/1/reason") is None

    def test_events_read_back_equal_to_those_appended(self, store: CaseStore) -> None:
        appended = run(store, journey("P-1", T0))
        stored = tuple(store.events("P-1"))
        assert stored == appended
        assert [e.seq for e in stored] == list(range(1, len(appended) + 1))
        assert [e.at.utcoffset() for e in stored] == [e.at.utcoffset() for e in appended]
        assert any(e.deadlines for e in stored)
        assert case_of(store, "P-1") == Engine(store).case("P-1")

    def test_instants_keep_their_offset_and_microseconds(self, store: CaseStore) -> None:
        london = pendulum.datetime(2025, 7, 1, 10, 15, 30, 123456, tz="Europe/London")
        plus_five = datetime(2025, 7, 2, 1, 0, 0, 999999, tzinfo=timezone(timedelta(hours=5)))
        appended = run(store, [open_case("P-1", london), raise_concern("P-1", plus_five)])
        stored = store.events("P-1")
        assert tuple(stored) == appended
        assert [e.at.isoformat() for e in stored] == [e.at.isoformat() for e in appended]
        assert [e.recorded_at.isoformat() for e in stored] == [
            e.recorded_at.isoformat() for e in appended
        ]

    def test_cases_are_kept_apart(self, store: CaseStore) -> None:
        first = run(store, [open_case("P-1"), raise_concern("P-1", T0 + timedelta(hours=1))])
        second = run(store, [open_case("P-2", child="C-2")])
        assert tuple(store.events("P-1")) == first
        assert tuple(store.events("P-2")) == second

    def test_a_stale_write_raises_and_writes_nothing(self, store: CaseStore) -> None:
        run(store, [open_case("P-1"), raise_concern("P-1", T0 + timedelta(hours=1))])
        stale = raise_concern("P-1", T0 + timedelta(hours=2), command_id="stale-1")
        decision = stale_decision(store, "P-1", 1, stale)
        before = snapshot(store, date(2026, 1, 1))
        with pytest.raises(ConcurrencyError) as raised:
            store.append(decision.case, decision.events, decision.texts, expected_version=1)
        assert (raised.value.expected, raised.value.actual, raised.value.case) == (1, 2, "P-1")
        assert snapshot(store, date(2026, 1, 1)) == before
        assert list(store.events_of_command("stale-1")) == []

    def test_a_stale_write_of_free_text_writes_no_text(self, store: CaseStore) -> None:
        run(store, [open_case("P-1"), raise_concern("P-1", T0 + timedelta(hours=1))])
        stale = stale_decision(store, "P-1", 2, no_further_action("P-1", T0 + timedelta(hours=2)))
        run(store, [no_further_action("P-1", T0 + timedelta(hours=3), "the winner")])
        with pytest.raises(ConcurrencyError):
            store.append(stale.case, stale.events, stale.texts, expected_version=2)
        assert store.text(stale.texts[0].ref) == "the winner"
        assert len(store.events("P-1")) == 3

    def test_opening_a_case_twice_raises_and_writes_nothing(self, store: CaseStore) -> None:
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

    def test_a_write_to_a_missing_case_raises(self, store: CaseStore) -> None:
        decision = decide(
            STANDARD, None, open_case("P-1"), calendar=DEFAULT_CALENDAR, recorded_at=T0
        )
        with pytest.raises(ConcurrencyError) as raised:
            store.append(decision.case, decision.events, decision.texts, expected_version=3)
        assert (raised.value.expected, raised.value.actual) == (3, 0)
        assert list(store.case_ids()) == []

    def test_events_of_a_command_by_its_id(self, store: CaseStore) -> None:
        run(store, [open_case("P-1", command_id="open-1"), open_case("P-2", command_id="open-2")])
        concern = run(store, [raise_concern("P-2", T0 + timedelta(hours=1), command_id="c-9")])
        assert tuple(store.events_of_command("c-9")) == concern
        assert [e.case for e in store.events_of_command("open-1")] == ["P-1"]
        assert list(store.events_of_command("c-10")) == []

    def test_the_engine_does_not_apply_a_command_twice(self, store: CaseStore) -> None:
        run(store, [open_case("P-1")])
        engine = Engine(store, clock=FixedClock(T0 + timedelta(hours=2)))
        cmd = raise_concern("P-1", T0 + timedelta(hours=1), command_id="c-1")
        first = engine.handle(cmd)
        again = engine.handle(cmd)
        assert again.duplicate
        assert again.events == first.events
        assert len(store.events("P-1")) == 2

    def test_case_ids_are_sorted_by_code_point(self, store: CaseStore) -> None:
        ids = ["P-2", "P1", "P.3", "p-0", "Z-1", "a-1", "P-10", "P-1"]
        for n, case in enumerate(ids):
            run(store, [open_case(case, child=f"C-{n}")])
        assert list(store.case_ids()) == sorted(ids)

    def test_overdue_deadlines_in_order_without_cleared_or_cancelled(
        self, store: CaseStore
    ) -> None:
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
        run(store, [*journey("P-ended", monday)[:4], ending])
        ended = case_of(store, "P-ended")
        assert {d.status for d in ended.deadlines} == {DeadlineStatus.MET, DeadlineStatus.CANCELLED}

        found = store.overdue(date(2026, 1, 31))
        assert [(o.case, o.deadline.name, o.deadline.due.isoformat()) for o in found] == [
            ("P-1", "screening", "2025-12-03"),
            ("P-20", "screening", "2025-12-03"),
            ("P-3", "screening", "2025-12-03"),
            ("P-0", "screening", "2025-12-04"),
        ]
        assert found[0] == OverdueDeadline(
            "P-1", "concern_raised", case_of(store, "P-1").deadlines[0]
        )
        assert [o.case for o in store.overdue(date(2025, 12, 4))] == ["P-1", "P-20", "P-3"]
        assert list(store.overdue(date(2025, 12, 3))) == []

    def test_overdue_follows_the_latest_case(self, store: CaseStore) -> None:
        run(store, [open_case("P-1"), raise_concern("P-1", T0 + timedelta(hours=1))])
        assert [o.case for o in store.overdue(date(2025, 12, 10))] == ["P-1"]
        run(store, [no_further_action("P-1", T0 + timedelta(days=5))])
        assert list(store.overdue(date(2025, 12, 10))) == []

    def test_free_text_round_trip(self, store: CaseStore) -> None:
        run(store, [open_case("P-1"), raise_concern("P-1", T0 + timedelta(hours=1))])
        (event,) = run(store, [no_further_action("P-1", T0 + timedelta(hours=2))])
        ref = event.data["reason"]["ref"]
        assert store.text(ref) == TEXT
        assert TEXT not in repr(store.events("P-1"))
        assert store.text(f"{ref}-other") is None

    def test_a_failed_append_leaves_nothing_visible(
        self, store: CaseStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        run(store, [open_case("P-1"), raise_concern("P-1", T0 + timedelta(hours=1))])
        on = date(2025, 12, 10)
        before = snapshot(store, on)
        cmd = no_further_action("P-1", T0 + timedelta(hours=2), command_id="nfa-1")
        error = self.break_text_writes(store, monkeypatch)
        with pytest.raises(error):
            run(store, [cmd])
        monkeypatch.undo()
        assert snapshot(store, on) == before
        assert list(store.events_of_command("nfa-1")) == []
        assert store.text("P-1/3/reason") is None
        (event,) = run(store, [cmd])
        assert event.seq == 3
        assert store.text("P-1/3/reason") == TEXT
