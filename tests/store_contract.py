"""What the store's contract tests (``tests/contracts/``) build their cases with.

Events are made by the real engine running the standard procedure; cases to bulk-load are
made by running commands on a scratch :class:`~disruption.store.memory.MemoryStore`. The
SQL store's own tests use them too.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from disruption.core.decide import Decision, decide
from disruption.core.fold import replay
from disruption.domain.calendar import DEFAULT_CALENDAR
from disruption.domain.clock import FixedClock
from disruption.domain.commands import Command
from disruption.domain.events import Event, PersonalText
from disruption.domain.model import Case
from disruption.engine.engine import Engine
from disruption.engine.ports import (
    Applied,
    CaseStore,
    NewCase,
    Snapshot,
)
from disruption.procedure.standard import STANDARD
from disruption.store.memory import MemoryStore

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


def shown(store: CaseStore, on: date) -> tuple[object, ...]:
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


def step(case: str, name: str, at: datetime) -> Command:
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


CASE_NUMBERS = itertools.count(1)
"""Every example's case is new: a store is opened once per test, not once per example."""


class Racing:
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
