"""Builders shared by the procedure tests: commands, engines and valid data for each command.

Every builder returns plain values; nothing here asserts. Dates are ISO strings in command
data (the JSON integration contract) and ``datetime`` values for ``at``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import pytest

from disruption.domain.clock import FixedClock
from disruption.domain.commands import Command
from disruption.domain.model import Actor, Case, Role
from disruption.engine.engine import Engine, Outcome
from disruption.exceptions import CommandError
from disruption.procedure.definition import Procedure
from disruption.procedure.standard import STANDARD
from disruption.store.memory import MemoryStore

__all__ = [
    "ACTIVE_STATES",
    "CHAIR",
    "MANAGER",
    "MANAGER_ROLE_NAMES",
    "STATES",
    "SW",
    "T0",
    "Step",
    "command",
    "complete_recommendation_data",
    "convene_meeting_data",
    "day",
    "end_placement_data",
    "give_notice_data",
    "hours",
    "immediate_risk_data",
    "inform_iro_data",
    "issue_report_data",
    "journey_to",
    "make_engine",
    "no_further_action_data",
    "offer_support_data",
    "open_case_data",
    "raise_concern_data",
    "reach",
    "record_learning_review_data",
    "record_line_manager_data",
    "record_meeting_data",
    "record_notice_data",
    "refuse",
    "reg14_steps",
    "review_case_data",
    "run",
    "stabilise_data",
    "utc",
    "waiver_data",
]

E = TypeVar("E", bound=CommandError)

T0 = datetime(2025, 12, 1, 9, 30, tzinfo=UTC)
"""Monday 1 December 2025, 09:30 in London (GMT)."""

SW = ("social_worker", "sw-1")
"""The case's social worker, as ``(role, id)``."""
MANAGER = ("team_manager", "tm-1")
"""A team manager, as ``(role, id)``."""
CHAIR = ("iro", "iro-1")
"""An independent reviewing officer who chairs, as ``(role, id)``."""

MANAGER_ROLE_NAMES = ("team_manager", "fostering_team_manager", "head_of_service")
"""The roles that may take management decisions."""


def utc(year: int, month: int, dom: int, hour: int = 9, minute: int = 30) -> datetime:
    """Return an instant in UTC."""
    return datetime(year, month, dom, hour, minute, tzinfo=UTC)


def day(value: date | datetime) -> str:
    """Return a date (or an instant's UTC date) as ``YYYY-MM-DD``."""
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat()


def command(
    case: str,
    name: str,
    at: datetime,
    role: str = SW[0],
    actor_id: str = SW[1],
    data: Mapping[str, Any] | None = None,
    *,
    command_id: str | None = None,
) -> Command:
    """Build a command from its case, name, instant, actor's role and id, and data."""
    return Command(
        case=case,
        name=name,
        at=at,
        actor=Actor(actor_id, Role(role)),
        data=dict(data or {}),
        id=command_id,
    )


def make_engine(
    at: datetime = T0,
    *,
    procedure: Procedure = STANDARD,
    store: MemoryStore | None = None,
    clock_tolerance: timedelta | None = None,
) -> Engine:
    """Return an engine over a fresh :class:`MemoryStore` whose clock is fixed at ``at``.

    Most tests feed the steps of days after ``at`` to an engine stopped at ``at``: the check
    that a step is not after its entry is off unless ``clock_tolerance`` is given.
    """
    return Engine(
        store if store is not None else MemoryStore(),
        procedure=procedure,
        clock=FixedClock(at),
        clock_tolerance=clock_tolerance,
    )


def open_case_data(
    *,
    child: str = "C-1",
    placement_type: str = "U3",
    start: str = "2025-01-06",
    provider: str = "PR1",
    location: str = "in_borough",
    carer: str | None = "carer-9",
) -> dict[str, Any]:
    """Valid data for ``open_case``: a kinship foster placement that started in January 2025.

    U3 (with relatives or friends, not long-term): not a permanent placement, so that its
    ending requires no meeting by the history rule unless a test asks for one.
    """
    placement: dict[str, Any] = {
        "id": "PL-1",
        "type": placement_type,
        "provider": provider,
        "start": start,
        "location": location,
    }
    if carer is not None:
        placement["carer"] = carer
    return {"child": child, "placement": placement}


def raise_concern_data(
    category: str = "carer_difficulty", raised_by: str = "carer"
) -> dict[str, Any]:
    """Valid data for ``raise_concern``."""
    return {"category": category, "raised_by": raised_by}


def no_further_action_data(reason: str = "Screened: carers coping well.") -> dict[str, Any]:
    """Valid data for ``no_further_action``."""
    return {"reason": reason}


def offer_support_data(
    support: Sequence[str] = ("extra_visits", "respite"), review_by: str | None = None
) -> dict[str, Any]:
    """Valid data for ``offer_support`` (no ``review_by`` unless given)."""
    data: dict[str, Any] = {"support": list(support)}
    if review_by is not None:
        data["review_by"] = review_by
    return data


def convene_meeting_data(
    on: str, chair_role: str = CHAIR[0], chair_id: str = CHAIR[1]
) -> dict[str, Any]:
    """Valid data for ``convene_meeting`` on the date ``on``, chaired by an IRO."""
    return {"date": on, "chair": {"id": chair_id, "role": chair_role}}


def record_meeting_data(
    held_on: str,
    decision: str = "continue_support",
    *,
    child_views: str | None = "I like it here but I miss my brother.",
    child_views_not_obtained: str | None = None,
    attendees: Sequence[str] = ("social_worker", "carer", "iro"),
    factors: Sequence[str] = ("carer_capacity", "matching"),
) -> dict[str, Any]:
    """Valid data for ``record_meeting`` held on ``held_on``."""
    data: dict[str, Any] = {
        "held_on": held_on,
        "attendees": list(attendees),
        "factors": list(factors),
        "decision": decision,
    }
    if child_views is not None:
        data["child_views"] = child_views
    if child_views_not_obtained is not None:
        data["child_views_not_obtained"] = child_views_not_obtained
    return data


def stabilise_data() -> dict[str, Any]:
    """Valid data for ``stabilise``: none."""
    return {}


def end_placement_data(end: str, reason: str = "CARPL", planned: bool = False) -> dict[str, Any]:
    """Valid data for ``end_placement`` (unplanned, carer's request, unless told)."""
    return {"end": end, "reason": reason, "planned": planned}


RECIPIENTS = ("carer-9", "school-4", "iro-1")
"""Who receives written notice: the carer, the school and the IRO (references)."""


def record_notice_data(sent_on: str, recipients: Sequence[str] = RECIPIENTS) -> dict[str, Any]:
    """Valid data for ``record_notice``: notice of the ending and who received it."""
    return {"sent_on": sent_on, "recipients": list(recipients)}


def give_notice_data(sent_on: str, recipients: Sequence[str] = RECIPIENTS) -> dict[str, Any]:
    """Valid data for ``give_notice``: advance notice of the intended ending."""
    return {"sent_on": sent_on, "recipients": list(recipients)}


def inform_iro_data(informed_on: str, iro: str = CHAIR[1]) -> dict[str, Any]:
    """Valid data for ``inform_iro``."""
    return {"informed_on": informed_on, "iro": iro}


def review_case_data(held_on: str) -> dict[str, Any]:
    """Valid data for ``review_case``."""
    return {"held_on": held_on}


def immediate_risk_data(on: str, reason: str = "Carer's partner made threats.") -> dict[str, Any]:
    """Valid data for ``record_immediate_risk`` (a manager's)."""
    return {"on": on, "reason": reason}


def record_line_manager_data(
    social_worker: str = SW[1], line_manager: str = MANAGER[1]
) -> dict[str, Any]:
    """Valid data for ``record_line_manager``: ``tm-1`` line-manages ``sw-1`` by default."""
    return {"social_worker": social_worker, "line_manager": line_manager}


def issue_report_data(
    issued_on: str,
    recommendations: Sequence[tuple[str, str, str]] = (),
    circulation: Sequence[str] = ("panel-1", "tm-2", "iro-1"),
) -> dict[str, Any]:
    """Valid data for ``issue_report``: recommendations as ``(id, owner role, due)``."""
    return {
        "issued_on": issued_on,
        "circulation": list(circulation),
        "recommendations": [
            {"id": rid, "owner": owner, "due": due, "text": f"Recommendation {rid}."}
            for rid, owner, due in recommendations
        ],
    }


def complete_recommendation_data(recommendation: str, completed_on: str) -> dict[str, Any]:
    """Valid data for ``complete_recommendation``."""
    return {"recommendation": recommendation, "completed_on": completed_on}


def reg14_steps(at: datetime, *, notice: bool = True) -> list[Step]:
    """Steps that make a planned ending on the date of ``at`` lawful (Regulation 14): the
    IRO informed, the case reviewed and (unless told) advance notice given, all at ``at``."""
    on = day(at)
    steps: list[Step] = [
        ("inform_iro", at, SW, inform_iro_data(on)),
        ("review_case", at, SW, review_case_data(on)),
    ]
    if notice:
        steps.append(("give_notice", at, SW, give_notice_data(on)))
    return steps


def record_learning_review_data(
    held_on: str,
    *,
    chair_role: str = CHAIR[0],
    chair_id: str = CHAIR[1],
    factors: Sequence[str] = ("carer_capacity", "support_insufficient"),
    recommendations: str = "Earlier respite; review the matching process.",
) -> dict[str, Any]:
    """Valid data for ``record_learning_review`` (a review held on ``held_on``)."""
    return {
        "held_on": held_on,
        "chair": {"id": chair_id, "role": chair_role},
        "factors": list(factors),
        "recommendations": recommendations,
    }


def waiver_data(reason: str = "The carers have left fostering.") -> dict[str, Any]:
    """Valid data for ``record_learning_review`` waived by a manager."""
    return {"waived": {"reason": reason}}


Step = tuple[str, datetime, tuple[str, str], Mapping[str, Any]]
"""One step of a journey: ``(command, at, (role, id), data)``."""


def run(engine: Engine, case: str, steps: Sequence[Step]) -> Case:
    """Run steps on one case through ``engine``; return the case after the last one."""
    outcome: Outcome | None = None
    for name, at, (role, actor_id), data in steps:
        outcome = engine.handle(command(case, name, at, role, actor_id, data))
    assert outcome is not None, "no steps"
    return outcome.case


def hours(at: datetime, n: float) -> datetime:
    """Return ``at`` moved on by ``n`` hours."""
    return at + timedelta(hours=n)


STATES = (
    "placed",
    "concern_raised",
    "support_offered",
    "disruption_meeting",
    "move_planned",
    "stabilised",
    "ended",
)
"""The states the issue declares, in order."""

ACTIVE_STATES = STATES[:-1]
"""Every state but ``ended``."""


def journey_to(state: str, *, start: datetime = T0, placement_type: str = "U3") -> list[Step]:
    """Return valid steps that take a new case from nothing to ``state``.

    Every step happens on the London date of ``start`` except ``record_meeting`` (the next
    day, the day the meeting is held). The case's social worker is ``sw-1``.
    """
    tomorrow = day(start + timedelta(days=1))
    opened: Step = ("open_case", start, SW, open_case_data(placement_type=placement_type))
    concern: Step = ("raise_concern", hours(start, 1), SW, raise_concern_data())
    offer: Step = ("offer_support", hours(start, 2), MANAGER, offer_support_data())
    convene: Step = ("convene_meeting", hours(start, 3), SW, convene_meeting_data(tomorrow))
    plan_move: Step = (
        "record_meeting",
        start + timedelta(days=1),
        SW,
        record_meeting_data(tomorrow, "plan_move"),
    )
    stabilise: Step = ("stabilise", hours(start, 3), MANAGER, stabilise_data())
    end: Step = ("end_placement", hours(start, 1), SW, end_placement_data(day(start)))
    paths: dict[str, list[Step]] = {
        "placed": [opened],
        "concern_raised": [opened, concern],
        "support_offered": [opened, concern, offer],
        "disruption_meeting": [opened, concern, offer, convene],
        "move_planned": [opened, concern, offer, convene, plan_move],
        "stabilised": [opened, concern, offer, stabilise],
        "ended": [opened, end],
    }
    return list(paths[state])


def reach(
    engine: Engine, case: str, state: str, *, start: datetime = T0, placement_type: str = "U3"
) -> Case:
    """Take a new case to ``state`` through ``engine``; return it."""
    reached = run(engine, case, journey_to(state, start=start, placement_type=placement_type))
    assert reached.state == state, (reached.state, state)
    return reached


def refuse(engine: Engine, cmd: Command, error: type[E]) -> E:
    """Send a command that must be refused with exactly ``error``; return the error.

    Checks that the store's events and the case are unchanged, and that the error names the
    command's case, the command and the case's state (``None`` for a case not yet opened).
    """
    events_before = tuple(engine.store.events(cmd.case))
    case_before = engine.load(cmd.case)
    with pytest.raises(error) as raised:
        engine.handle(cmd)
    err = raised.value
    assert type(err) is error, f"{type(err).__name__} raised, not {error.__name__}: {err}"
    assert tuple(engine.store.events(cmd.case)) == events_before
    assert engine.load(cmd.case) == case_before
    assert (err.case, err.command) == (cmd.case, cmd.name)
    assert err.state == (None if case_before is None else case_before.state)
    return err
