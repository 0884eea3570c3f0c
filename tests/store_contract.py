"""The contract every case store passes, whatever keeps the data.

A backend's test module subclasses :class:`StoreContract` (as ``Test...``) and overrides
the ``make_store`` fixture, and ``break_text_writes`` to make the free-text write fail.
Events are made by the real engine running the standard procedure; cases to bulk-load are
made by running commands on a scratch :class:`~disruption.store.memory.MemoryStore`.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, cast

import pendulum
import pytest
from hypothesis import HealthCheck, example, given, settings

from disruption.core.decide import Decision, decide
from disruption.core.fold import replay
from disruption.core.system import missed_events
from disruption.domain.calendar import DEFAULT_CALENDAR
from disruption.domain.clock import FixedClock
from disruption.domain.commands import Command
from disruption.domain.events import Event, PersonalText
from disruption.domain.model import Case, DeadlineStatus
from disruption.engine.engine import Engine
from disruption.engine.ports import (
    Applied,
    CaseStore,
    NewCase,
    OverdueDeadline,
    Snapshot,
    StoredEvent,
)
from disruption.exceptions import CommandError, ConcurrencyError, DuplicateCommand
from disruption.procedure.standard import STANDARD
from disruption.store.memory import MemoryStore
from tests.strategies import store_journeys

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
    """``open_case`` for a U3 placement (kinship, not long-term) that started in January."""
    placement = {
        "id": f"PL-{case}",
        "type": "U3",
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
        command(
            case,
            "record_notice",
            at + timedelta(days=9),
            {"sent_on": on(9), "recipients": ["carer-1", "iro-1"]},
        ),
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
    return (
        ids,
        tuple(tuple(store.events(c)) for c in ids),
        tuple(store.overdue(on)),
        tuple(store.read_after(0, limit=100_000)),
    )


class _KeepsTexts(MemoryStore):
    """A scratch store that also keeps the free text appended, whole."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[PersonalText] = []

    def append(
        self,
        case: Case,
        events: Sequence[Event],
        texts: Sequence[PersonalText],
        *,
        expected_version: int,
    ) -> None:
        super().append(case, events, texts, expected_version=expected_version)
        self.texts.extend(texts)


def new_cases(commands: Sequence[Command]) -> tuple[list[NewCase], MemoryStore]:
    """Run commands on a scratch store; return its cases to bulk-load, and the store."""
    scratch = _KeepsTexts()
    run(scratch, commands)
    loaded = [
        NewCase(
            case_of(scratch, case),
            tuple(scratch.events(case)),
            tuple(t for t in scratch.texts if t.case == case),
        )
        for case in dict.fromkeys(c.case for c in commands)
    ]
    return loaded, scratch


SWEPT = datetime(2025, 12, 6, 2, 0, tzinfo=UTC)
"""When the sweep in the tests runs: a Saturday night, after screening fell due."""


def overdue_cases(store: CaseStore) -> None:
    """P-1 and P-2: screening due Wednesday 3 December; P-3: due Monday 8 December."""
    for n, case in enumerate(("P-2", "P-1")):
        run(store, [open_case(case, child=f"C-{n}"), raise_concern(case, T0 + timedelta(hours=1))])
    run(store, [open_case("P-3", child="C-3"), raise_concern("P-3", T0 + timedelta(days=3))])


def _step(case: str, name: str, at: datetime) -> Command:
    """One command of a random journey, with data that fits it (or is refused: no matter)."""
    day = at.date()

    def on(days: int) -> str:
        return (day + timedelta(days=days)).isoformat()

    data: dict[str, Any]
    actor = SW
    if name == "raise_concern":
        return raise_concern(case, at)
    if name == "no_further_action":
        return no_further_action(case, at, "no action needed")
    if name == "offer_support":
        data, actor = {"support": ["respite"], "review_by": on(20)}, MANAGER
    elif name == "convene_meeting":
        data = {"date": on(1), "chair": CHAIR, "invited": ["social_worker", "iro"]}
    elif name.startswith("record_meeting"):
        decision = name.split(":")[1]
        data = {
            "held_on": on(0),
            "attendees": ["social_worker", "carer"],
            "factors": ["matching"],
            "decision": decision,
            "child_views": "wants to stay",
            "carer_views": "we need respite",
        }
        name = "record_meeting"
    elif name == "stabilise":
        data, actor = {}, MANAGER
    elif name.startswith("end_placement"):
        planned = name.endswith(":planned")
        data = {"end": on(0), "reason": "CARPL" if planned else "CREQB", "planned": planned}
        name = "end_placement"
    elif name == "record_notice":
        data = {"sent_on": on(0), "recipients": ["carer-1", "iro-1"]}
    elif name == "inform_iro":
        data = {"informed_on": on(0), "iro": "iro-1"}
    elif name == "review_case":
        data = {"held_on": on(0)}
    elif name == "give_notice":
        data = {"sent_on": on(0), "recipients": ["carer-1"]}
    elif name == "record_learning_review:held":
        name = "record_learning_review"
        data = {"held_on": on(0), "chair": CHAIR, "factors": ["matching"]}
    elif name == "issue_report":
        recommendation = {"id": "R1", "owner": "team_manager", "due": on(10), "text": "Train."}
        data = {"issued_on": on(0), "circulation": ["panel-1"], "recommendations": [recommendation]}
    elif name == "complete_recommendation":
        data = {"recommendation": "R1", "completed_on": on(0)}
    elif name == "link_siblings":
        data = {"group": "SG-1", "cases": ["P-sibling"]}
    elif name == "record_sibling_decision":
        data = {"decided_on": on(0), "decisions": [{"case": "P-sibling", "decision": "stay"}]}
    else:
        assert name == "record_learning_review"
        data, actor = {"waived": {"reason": "carer left"}}, MANAGER
    return command(case, name, at, data, actor=actor)


_CASE_NUMBERS = itertools.count(1)
"""Every example's case is new: a store is opened once per test, not once per example."""


class _Racing:
    """A store whose next command-id lookup misses one that another delivery commits after it.

    The race of two deliveries of one command: this one looked its id up (not stored yet),
    then the other committed, before this one read the case.
    """

    def __init__(self, store: CaseStore, original: Callable[[], object]) -> None:
        self._store = store
        self._original: Callable[[], object] | None = original

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def _commit_original(self) -> None:
        if self._original is not None:
            original, self._original = self._original, None
            original()

    def events_of_command(self, command_id: str) -> Sequence[Event]:
        found = self._store.events_of_command(command_id)
        self._commit_original()
        return found

    def snapshot_unless_applied(
        self, case: str, command_id: str | None
    ) -> Snapshot | Applied | None:
        """The id looked up and the case read in one statement: the original commits after."""
        found = self._store.snapshot_unless_applied(case, command_id)
        self._commit_original()
        return found


class StoreContract:
    """The tests every :class:`~disruption.engine.ports.CaseStore` backend must pass."""

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

    @settings(
        max_examples=25,
        deadline=None,
        # Each backend's class runs it (differing executors); one store serves every example.
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.differing_executors,
        ],
    )
    @given(journey=store_journeys)
    @example(journey=[("raise_concern", 1), ("sweep", 24 * 7), ("no_further_action", 1)])
    @example(journey=[("raise_concern", 1), ("offer_support", 2), ("sweep", 24 * 30)])
    def test_the_snapshot_equals_the_replay_of_random_journeys(
        self, store: CaseStore, journey: list[tuple[str, int]]
    ) -> None:
        case = f"R-{next(_CASE_NUMBERS)}"
        at = T0
        engine = Engine(store, clock=FixedClock(at))
        engine.handle(open_case(case, at, child=f"C-{case}"))
        for name, hours in journey:
            at += timedelta(hours=hours)
            engine.clock = FixedClock(at)
            if name == "sweep":
                engine.tick(at.date())
            else:
                # A refused command changes nothing, which the comparisons check too.
                with contextlib.suppress(CommandError):
                    engine.handle(_step(case, name, at))
            loaded = engine.load(case)
            assert loaded == engine.replay(case)
            assert loaded == case_of(store, case)
            assert loaded is not None
            assert loaded.version == len(store.events(case))

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

    def test_a_command_id_and_a_snapshot_read_at_once(self, store: CaseStore) -> None:
        assert store.snapshot_unless_applied("P-1", "c-1") is None
        assert store.snapshot_unless_applied("P-1", None) is None
        run(store, [open_case("P-1"), raise_concern("P-1", T0, command_id="c-1")])
        assert store.snapshot_unless_applied("P-1", "c-1") == Applied("c-1")
        assert store.snapshot_unless_applied("P-2", "c-1") == Applied("c-1")
        assert store.snapshot_unless_applied("P-2", "c-2") is None
        for command_id in ("c-2", None):
            found = store.snapshot_unless_applied("P-1", command_id)
            assert found == store.snapshot("P-1")
            assert isinstance(found, Snapshot)
            assert found.case == case_of(store, "P-1")

    def test_the_engine_does_not_apply_a_command_twice(self, store: CaseStore) -> None:
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
        self, store: CaseStore, step: str
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
            "no_further_action": no_further_action(
                "P-1", T0 + timedelta(hours=2), command_id="x-1"
            ),
        }[step]
        originals: list[Any] = []
        racing = _Racing(store, lambda: originals.append(Engine(store, clock=clock).handle(cmd)))

        retry = Engine(cast(CaseStore, racing), clock=clock).handle(cmd)

        (original,) = originals
        assert not original.duplicate
        assert retry.duplicate
        assert (retry.case, retry.events) == (original.case, original.events)
        assert tuple(store.events_of_command("x-1")) == original.events
        assert store.events("P-1")[-1] == original.events[-1]
        assert list(store.refusals()) == []

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
        before = [
            command(
                "P-ended",
                "inform_iro",
                monday + timedelta(days=3),
                {"informed_on": "2025-12-04", "iro": "iro-1"},
            ),
            command(
                "P-ended", "review_case", monday + timedelta(days=3), {"held_on": "2025-12-04"}
            ),
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

    def test_awkward_values_are_stored_as_given(self, store: CaseStore) -> None:
        # Quotes, backslashes, placeholders and SQL in values: every value is a parameter.
        awkward = 'O\'Neil \\ "quoted" %s ? $1 ; DROP TABLE cases; -- \n\t é ✓ \u2028'
        case = "P-1:a/b.c"
        run(store, [open_case(case), raise_concern(case, T0 + timedelta(hours=1))])
        (event,) = run(store, [no_further_action(case, T0 + timedelta(hours=2), awkward)])
        assert store.text(event.data["reason"]["ref"]) == awkward
        assert [e.seq for e in store.events(case)] == [1, 2, 3]
        assert list(store.case_ids()) == [case]

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
        assert store.last_position() == 2
        (event,) = run(store, [cmd])
        assert event.seq == 3
        assert store.text("P-1/3/reason") == TEXT
        assert list(store.read_after(0))[-1] == StoredEvent(3, event)  # no gap left

    def test_a_command_id_applied_already_raises_and_writes_nothing(self, store: CaseStore) -> None:
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
        before = snapshot(store, date(2026, 1, 1))
        with pytest.raises(DuplicateCommand) as raised:
            store.append(again.case, again.events, again.texts, expected_version=1)
        assert (raised.value.case, raised.value.command_ids) == ("P-2", ("c-1",))
        assert snapshot(store, date(2026, 1, 1)) == before
        assert tuple(store.events_of_command("c-1")) == first[1:]
        assert store.last_position() == 3

    def test_positions_are_global_gap_free_and_in_append_order(self, store: CaseStore) -> None:
        assert (store.last_position(), list(store.read_after(0))) == (0, [])
        appended = run(
            store,
            [
                open_case("P-1"),
                open_case("P-2", child="C-2"),
                raise_concern("P-2", T0 + timedelta(hours=1)),
                raise_concern("P-1", T0 + timedelta(hours=2)),
                *journey("P-3", T0),
            ],
        )
        stored = store.read_after(0)
        assert [s.position for s in stored] == list(range(1, len(appended) + 1))
        assert tuple(s.event for s in stored) == appended
        assert store.last_position() == len(appended)
        assert [s.position for s in store.read_after(4, limit=2)] == [5, 6]
        assert list(store.read_after(len(appended))) == []

    def test_a_consumer_reading_in_pages_misses_and_repeats_nothing(self, store: CaseStore) -> None:
        seen: list[StoredEvent] = []

        def catch_up() -> None:
            position = store.consumer_position("feed")
            while page := store.read_after(position, limit=3):
                seen.extend(page)
                position = page[-1].position
                store.save_consumer_position("feed", position)

        run(store, journey("P-1", T0))
        catch_up()
        run(store, [*journey("P-2", T0)[:4], open_case("P-3", child="C-3")])
        catch_up()
        catch_up()
        assert seen == list(store.read_after(0))
        assert [s.position for s in seen] == list(range(1, 14))
        assert store.consumer_position("feed") == store.last_position() == 13

    def test_consumer_positions_are_kept_by_name(self, store: CaseStore) -> None:
        assert store.consumer_position("feed") == 0
        store.save_consumer_position("feed", 3)
        store.save_consumer_position("audit", 7)
        store.save_consumer_position("feed", 5)
        assert [store.consumer_position(c) for c in ("feed", "audit", "other")] == [5, 7, 0]

    def test_limits_and_positions_are_checked(self, store: CaseStore) -> None:
        with pytest.raises(ValueError, match="limit"):
            store.read_after(0, limit=0)
        with pytest.raises(ValueError, match="limit"):
            store.record_missed(date(2026, 1, 1), build=missed_events, recorded_at=SWEPT, limit=0)
        with pytest.raises(ValueError, match="batch_size"):
            store.bulk_append([], batch_size=0)
        with pytest.raises(ValueError, match="negative"):
            store.save_consumer_position("feed", -1)

    def test_a_sweep_records_each_missed_deadline_once(self, store: CaseStore) -> None:
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
            list(
                store.record_missed(on, build=missed_events, recorded_at=SWEPT + timedelta(hours=1))
            )
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
            OverdueDeadline(c, "concern_raised", case_of(store, c).deadlines[0])
            for c in ("P-1", "P-2")
        ]

    def test_a_sweep_takes_at_most_its_limit(self, store: CaseStore) -> None:
        overdue_cases(store)
        on = date(2025, 12, 10)
        taken = [
            [
                e.case
                for e in store.record_missed(on, build=missed_events, recorded_at=SWEPT, limit=2)
            ]
            for _ in range(3)
        ]
        assert taken == [["P-1", "P-2"], ["P-3"], []]

    def test_a_late_entry_after_a_sweep_is_accepted(self, store: CaseStore) -> None:
        overdue_cases(store)
        store.record_missed(date(2025, 12, 6), build=missed_events, recorded_at=SWEPT)
        (late,) = run(store, [no_further_action("P-1", T0 + timedelta(days=2))])
        assert (late.seq, late.to_state) == (4, case_of(store, "P-1").state)
        assert late.at < SWEPT
        assert [d.status for d in case_of(store, "P-1").deadlines] == [DeadlineStatus.MET]
        assert [o.case for o in store.overdue(date(2025, 12, 6))] == ["P-2"]

    def test_bulk_append_loads_whole_cases(self, store: CaseStore) -> None:
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

    def test_bulk_append_skips_cases_already_stored(self, store: CaseStore) -> None:
        first = run(store, [open_case("P-1")])
        loaded, _ = new_cases([*journey("P-1", T0)[:2], open_case("P-2", child="C-2")])
        assert store.bulk_append(loaded) == 1
        before = snapshot(store, date(2026, 1, 1))
        assert store.bulk_append(loaded, batch_size=1) == 0
        assert snapshot(store, date(2026, 1, 1)) == before
        assert tuple(store.events("P-1")) == first
        assert tuple(store.events("P-2")) == loaded[1].events
        assert store.last_position() == 2

    def test_bulk_append_of_a_command_applied_already_writes_nothing_of_its_batch(
        self, store: CaseStore
    ) -> None:
        run(store, [open_case("P-1"), raise_concern("P-1", T0, command_id="c-1")])
        loaded, _ = new_cases(
            [
                open_case("P-2", child="C-2"),
                open_case("P-3", child="C-3"),
                raise_concern("P-3", T0 + timedelta(hours=1), command_id="c-1"),
            ]
        )
        before = snapshot(store, date(2026, 1, 1))
        with pytest.raises(DuplicateCommand):
            store.bulk_append(loaded)
        assert snapshot(store, date(2026, 1, 1)) == before
        assert store.bulk_append(loaded[:1]) == 1
        assert store.last_position() == 3
