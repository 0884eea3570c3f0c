"""Procedure definitions: validation, variants built without editing the library, the
diagram, and one state machine per definition whatever the number of cases."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import attrs
import pytest
import transitions
from structlog.testing import capture_logs

from disruption.domain.commands import Fields
from disruption.domain.model import MANAGER_ROLES, DeadlineStatus, ProcedureRef
from disruption.engine.engine import Engine
from disruption.exceptions import DefinitionError, UnknownCommand
from disruption.procedure.definition import (
    CommandSpec,
    DeadlineSpec,
    Opens,
    Procedure,
    State,
    Transition,
)
from disruption.procedure.standard import STANDARD
from tests.builders import (
    ACTIVE_STATES,
    MANAGER,
    SW,
    T0,
    Step,
    command,
    convene_meeting_data,
    end_placement_data,
    hours,
    make_engine,
    offer_support_data,
    open_case_data,
    raise_concern_data,
    run,
    stabilise_data,
)

# A small procedure to spoil -------------------------------------------------------------------


def _read(fields: Fields) -> None:
    return None


def spec(name: str, *transitions: Transition, **kwargs: Any) -> CommandSpec:
    return CommandSpec(name, name.title(), _read, transitions, **kwargs)


START = spec("start", Transition((), "open"), creates=True)
CLOSE = spec("close", Transition("open", "closed"))
OPEN = State("open")
CLOSED = State("closed", final=True)
DEADLINE = DeadlineSpec("d", 2, {"close"})


def toy(
    states: tuple[State, ...] = (),
    commands: tuple[CommandSpec, ...] = (),
    deadlines: tuple[DeadlineSpec, ...] = (),
) -> Procedure:
    """The toy procedure (open -> closed) with extra states, commands and deadlines."""
    return Procedure(
        name="toy",
        version=1,
        states=(OPEN, CLOSED, *states),
        commands=(START, CLOSE, *commands),
        deadlines=(DEADLINE, *deadlines),
    )


def problems_of(
    states: tuple[State, ...] = (),
    commands: tuple[CommandSpec, ...] = (),
    deadlines: tuple[DeadlineSpec, ...] = (),
) -> list[str]:
    with pytest.raises(DefinitionError) as raised:
        toy(states, commands, deadlines)
    err = raised.value
    assert err.problems
    for problem in err.problems:
        assert problem in str(err)
    return sorted(err.problems)


def test_the_toy_is_valid() -> None:
    proc = toy()
    assert (proc.initial_state, proc.final_states) == ("open", frozenset({"closed"}))


UNREACHABLE = (State("orphan"),), (spec("leave", Transition("orphan", "closed")),)
STUCK = (State("stuck"),), (spec("stick", Transition("open", "stuck")),)

Row = tuple[str, tuple[State, ...], tuple[CommandSpec, ...], tuple[DeadlineSpec, ...], str]
SINGLE: list[Row] = [
    ("unreachable", *UNREACHABLE, (), "state 'orphan' cannot be reached"),
    ("cannot finish", *STUCK, (), "state 'stuck' cannot reach a final state"),
    (
        "undeclared destination",
        (),
        (spec("wander", Transition("open", "nowhere")),),
        (),
        "wander names undeclared state 'nowhere'",
    ),
    (
        "undeclared source",
        (),
        (spec("return", Transition("limbo", "open")),),
        (),
        "return names undeclared state 'limbo'",
    ),
    (
        "no clearing command",
        (),
        (),
        (DeadlineSpec("e", 2, set()),),
        "deadline 'e' has no clearing command",
    ),
    (
        "undeclared clearing command",
        (),
        (),
        (DeadlineSpec("f", 2, {"close", "ghost"}),),
        "deadline 'f' is cleared by undeclared command 'ghost'",
    ),
    (
        "two creating commands",
        (),
        (spec("begin", Transition((), "open"), creates=True),),
        (),
        "exactly one command must open a case, found ['start', 'begin']",
    ),
    (
        "not a follow-up in a final state",
        (),
        (spec("note", Transition("closed")),),
        (),
        "note leaves a final state but is not a follow-up record",
    ),
    (
        "opens an undeclared deadline",
        (),
        (spec("remind", Transition("open"), opens=[Opens("reminder")]),),
        (),
        "remind opens undeclared deadline 'reminder'",
    ),
]


@pytest.mark.parametrize(
    ("states", "commands", "deadlines", "problem"),
    [row[1:] for row in SINGLE],
    ids=[row[0] for row in SINGLE],
)
def test_each_problem_is_named(
    states: tuple[State, ...],
    commands: tuple[CommandSpec, ...],
    deadlines: tuple[DeadlineSpec, ...],
    problem: str,
) -> None:
    assert problems_of(states, commands, deadlines) == [problem]


def test_a_follow_up_record_may_act_in_a_final_state() -> None:
    proc = toy(commands=(spec("note", Transition("closed"), follow_up=True),))
    assert proc.machine.commands_in("closed") == ("note",)


def test_a_cycle_that_never_finishes() -> None:
    commands = (
        spec("detour", Transition("open", "a")),
        spec("there", Transition("a", "b")),
        spec("back", Transition("b", "a")),
    )
    assert problems_of((State("a"), State("b")), commands) == [
        "state 'a' cannot reach a final state",
        "state 'b' cannot reach a final state",
    ]


def test_every_graph_problem_is_listed() -> None:
    assert problems_of((*UNREACHABLE[0], *STUCK[0]), (*UNREACHABLE[1], *STUCK[1])) == [
        "state 'orphan' cannot be reached",
        "state 'stuck' cannot reach a final state",
    ]


def test_every_reference_problem_is_listed() -> None:
    commands = (
        spec("wander", Transition("open", "nowhere")),
        spec("begin", Transition((), "open"), creates=True),
        spec("note", Transition("closed")),
    )
    deadlines = (DeadlineSpec("e", 2, set()), DeadlineSpec("f", 2, {"ghost"}))
    assert problems_of((), commands, deadlines) == sorted(
        [
            "wander names undeclared state 'nowhere'",
            "exactly one command must open a case, found ['start', 'begin']",
            "note leaves a final state but is not a follow-up record",
            "deadline 'e' has no clearing command",
            "deadline 'f' is cleared by undeclared command 'ghost'",
        ]
    )


def test_every_problem_is_listed_at_once() -> None:
    # One definition with every kind of problem: the error lists all of them, the graph's
    # (unreachable, cannot finish) as well as the references'.
    commands = (
        *UNREACHABLE[1],
        *STUCK[1],
        spec("wander", Transition("open", "nowhere")),
        spec("begin", Transition((), "open"), creates=True),
        spec("note", Transition("closed")),
    )
    deadlines = (DeadlineSpec("e", 2, set()), DeadlineSpec("f", 2, {"ghost"}))
    assert problems_of((*UNREACHABLE[0], *STUCK[0]), commands, deadlines) == sorted(
        [
            "state 'orphan' cannot be reached",
            "state 'stuck' cannot reach a final state",
            "wander names undeclared state 'nowhere'",
            "exactly one command must open a case, found ['start', 'begin']",
            "note leaves a final state but is not a follow-up record",
            "deadline 'e' has no clearing command",
            "deadline 'f' is cleared by undeclared command 'ghost'",
        ]
    )


def test_a_broken_variant_of_the_standard_is_refused() -> None:
    draft = STANDARD.draft(name="north-borough").add_state(State("respite_arranged"))
    with pytest.raises(DefinitionError) as raised:
        draft.build()
    assert sorted(raised.value.problems) == [
        "state 'respite_arranged' cannot be reached",
        "state 'respite_arranged' cannot reach a final state",
    ]


# Variants ------------------------------------------------------------------------------------


@attrs.frozen
class ArrangeRespite:
    starts_on: date
    nights: int

    @classmethod
    def read(cls, fields: Fields) -> ArrangeRespite:
        return cls(fields.date("starts_on"), fields.integer("nights", minimum=1, maximum=28))


def respite_variant() -> Procedure:
    """``respite_arranged`` between ``support_offered`` and ``stabilised``."""
    supported = ("support_offered", "respite_arranged")
    return (
        STANDARD.draft(name="north-borough", version=3)
        .add_state(State("respite_arranged", "Respite care is arranged."))
        .add_command(
            CommandSpec(
                "arrange_respite",
                "RespiteArranged",
                ArrangeRespite.read,
                [Transition("support_offered", "respite_arranged")],
                roles=MANAGER_ROLES,
            )
        )
        .set_transitions("stabilise", Transition(supported, "stabilised"))
        .add_sources("convene_meeting", "respite_arranged")
        .add_sources("end_placement", "respite_arranged")
        .set_transitions(
            "raise_concern",
            Transition(("placed", "stabilised"), "concern_raised"),
            Transition(("disruption_meeting", *supported)),
        )
        .set_timescale("meeting", working_days=5)
        .build()
    )


def respite_steps() -> list[Step]:
    return [
        ("open_case", T0, SW, open_case_data()),
        ("raise_concern", hours(T0, 1), SW, raise_concern_data()),
        ("offer_support", hours(T0, 2), MANAGER, offer_support_data()),
        ("arrange_respite", hours(T0, 3), MANAGER, {"starts_on": "2025-12-05", "nights": 2}),
    ]


def test_a_variant_runs_a_case_through_its_new_state() -> None:
    variant = respite_variant()
    engine = make_engine(procedure=variant)
    states = [run(engine, "P-1", [step]).state for step in respite_steps()]
    assert states == ["placed", "concern_raised", "support_offered", "respite_arranged"]
    case = run(engine, "P-1", [("raise_concern", hours(T0, 4), SW, raise_concern_data())])
    assert (case.state, len(case.concerns)) == ("respite_arranged", 2)
    case = run(engine, "P-1", [("stabilise", hours(T0, 5), MANAGER, stabilise_data())])
    assert case.state == "stabilised"
    assert case.procedure == ProcedureRef("north-borough", 3)
    review = next(d for d in case.deadlines if d.name == "support_review")
    assert review.status is DeadlineStatus.MET
    assert [e.type for e in engine.history("P-1")][3] == "RespiteArranged"


@pytest.mark.parametrize(
    ("name", "actor", "data", "state"),
    [
        ("convene_meeting", SW, convene_meeting_data("2025-12-03"), "disruption_meeting"),
        ("end_placement", SW, end_placement_data("2025-12-01"), "ended"),
    ],
)
def test_a_variant_leaves_its_new_state_by_other_commands(
    name: str, actor: tuple[str, str], data: dict[str, Any], state: str
) -> None:
    engine = make_engine(procedure=respite_variant())
    run(engine, "P-1", respite_steps())
    assert run(engine, "P-1", [(name, hours(T0, 4), actor, data)]).state == state


def test_a_variant_leaves_the_standard_unchanged() -> None:
    variant = respite_variant()
    assert "respite_arranged" not in STANDARD.machine.states
    with pytest.raises(UnknownCommand):
        STANDARD.command("arrange_respite")
    assert STANDARD.deadline("meeting").working_days == 7
    assert variant.deadline("meeting").working_days == 5
    assert dict(variant.deadline("meeting").by_placement_type) == {"K1": 3, "K2": 3, "R1": 3}
    engine = make_engine()
    with pytest.raises(UnknownCommand):
        run(engine, "P-1", respite_steps())


@pytest.mark.parametrize(
    ("procedure", "placement_type", "due"),
    [
        # Convened Mon 1 Dec 2025. Standard foster: 7 working days, Wed 10 Dec.
        (STANDARD, "U1", date(2025, 12, 10)),
        # 5 working days: Tue 2, Wed 3, Thu 4, Fri 5, Mon 8.
        (STANDARD.with_timescale("meeting", working_days=5), "U1", date(2025, 12, 8)),
        # Residential stays at 3 unless given: Thu 4 Dec.
        (STANDARD.with_timescale("meeting", working_days=5), "K2", date(2025, 12, 4)),
        # 1 working day for K2: Tue 2 Dec. The mapping is replaced whole, so R1 loses its 3
        # and takes the default 5: Mon 8 Dec.
        (
            STANDARD.with_timescale("meeting", working_days=5, by_placement_type={"K2": 1}),
            "K2",
            date(2025, 12, 2),
        ),
        (
            STANDARD.with_timescale("meeting", working_days=5, by_placement_type={"K2": 1}),
            "R1",
            date(2025, 12, 8),
        ),
    ],
)
def test_with_timescale(procedure: Procedure, placement_type: str, due: date) -> None:
    engine = make_engine(procedure=procedure)
    steps: list[Step] = [
        ("open_case", T0, SW, open_case_data(placement_type=placement_type)),
        ("raise_concern", hours(T0, 1), SW, raise_concern_data()),
        ("convene_meeting", hours(T0, 2), SW, convene_meeting_data("2025-12-02")),
    ]
    case = run(engine, "P-1", steps)
    assert next(d for d in case.deadlines if d.name == "meeting").due == due


def test_cases_keep_the_version_they_were_opened_under() -> None:
    engine = make_engine()
    run(engine, "P-1", [("open_case", T0, SW, open_case_data())])
    newer = STANDARD.replace(version=3).with_timescale("screening", working_days=5)
    both = Engine(
        engine.store,
        procedure=newer,
        procedures=[STANDARD],
        clock=engine.clock,
        clock_tolerance=None,
    )
    run(both, "P-2", [("open_case", T0, SW, open_case_data())])
    # Concern Mon 1 Dec: version 2 gives 2 working days (Wed 3), version 3 gives 5 (Mon 8).
    old = run(both, "P-1", [("raise_concern", hours(T0, 1), SW, raise_concern_data())])
    new = run(both, "P-2", [("raise_concern", hours(T0, 1), SW, raise_concern_data())])
    assert (old.procedure.version, old.deadlines[0].due) == (2, date(2025, 12, 3))
    assert (new.procedure.version, new.deadlines[0].due) == (3, date(2025, 12, 8))


# The diagram ---------------------------------------------------------------------------------

EXPECTED_EDGES = {
    ("placed", "concern_raised", "raise_concern"),
    ("stabilised", "concern_raised", "raise_concern"),
    ("support_offered", "support_offered", "raise_concern"),
    ("disruption_meeting", "disruption_meeting", "raise_concern"),
    ("concern_raised", "placed", "no_further_action"),
    ("concern_raised", "support_offered", "offer_support"),
    ("concern_raised", "disruption_meeting", "convene_meeting"),
    ("support_offered", "disruption_meeting", "convene_meeting"),
    ("disruption_meeting", "support_offered", "record_meeting"),
    ("disruption_meeting", "stabilised", "record_meeting"),
    ("disruption_meeting", "move_planned", "record_meeting"),
    ("support_offered", "stabilised", "stabilise"),
    ("ended", "ended", "record_notice"),
    ("ended", "ended", "record_learning_review"),
    *((state, "ended", "end_placement") for state in ACTIVE_STATES),
    # Version 2: Regulation 14's records before an ending and a line manager, in every
    # active state; after the ending, the IRO, a line manager and the chair's report.
    *(
        (state, state, name)
        for state in ACTIVE_STATES
        for name in (
            "inform_iro",
            "review_case",
            "record_immediate_risk",
            "give_notice",
            "record_line_manager",
        )
    ),
    *(
        ("ended", "ended", name)
        for name in (
            "inform_iro",
            "record_line_manager",
            "issue_report",
            "complete_recommendation",
        )
    ),
    # Sibling groups: linked, and decided about, in every state.
    *(
        (state, state, name)
        for state in (*ACTIVE_STATES, "ended")
        for name in ("link_siblings", "record_sibling_decision")
    ),
}
"""Every transition of the issue, as (source, destination, command)."""

_EDGE = re.compile(r"^(\w+) --> (\w+): (.+)$")


def test_the_diagram_draws_every_transition_and_no_other() -> None:
    diagram = STANDARD.diagram()
    lines = [line.strip() for line in diagram.splitlines()]
    assert "stateDiagram-v2" in lines
    assert "[*] --> placed" in lines
    drawn: set[tuple[str, str, str]] = set()
    for line in lines:
        match = _EDGE.match(line)
        if match:
            source, dest, labels = match.groups()
            drawn |= {(source, dest, label.split(" ")[0]) for label in labels.split(" | ")}
    assert drawn == EXPECTED_EDGES


@pytest.mark.parametrize(
    "line",
    [
        "placed --> concern_raised: raise_concern",
        "concern_raised --> placed: no_further_action",
        "concern_raised --> support_offered: offer_support",
        "support_offered --> disruption_meeting: convene_meeting",
        "support_offered --> stabilised: stabilise",
        "move_planned --> ended: end_placement",
        "disruption_meeting --> move_planned: record_meeting",
    ],
)
def test_the_diagram_has_the_transition_line(line: str) -> None:
    assert any(drawn.strip().startswith(line) for drawn in STANDARD.diagram().splitlines())


def test_every_state_is_drawn() -> None:
    diagram = STANDARD.diagram()
    for state in STANDARD.machine.states:
        assert f'state "{state}" as {state}' in diagram


def test_a_variant_draws_its_new_state() -> None:
    diagram = respite_variant().diagram()
    assert "support_offered --> respite_arranged: arrange_respite" in diagram
    assert "respite_arranged --> stabilised: stabilise" in diagram


# One machine per definition ------------------------------------------------------------------


def test_no_machine_is_built_per_case(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []
    original = transitions.Machine.__init__

    def counting(self: Any, *args: Any, **kwargs: Any) -> None:
        built.append(type(self).__name__)
        original(self, *args, **kwargs)

    monkeypatch.setattr(transitions.Machine, "__init__", counting)
    engine = make_engine()
    n = 10_000
    with capture_logs():
        for i in range(n):
            case = f"P-{i}"
            at = T0 + timedelta(seconds=i)
            engine.handle(command(case, "open_case", at, data=open_case_data()))
            engine.handle(command(case, "raise_concern", at, data=raise_concern_data()))
    assert len(engine.store.case_ids()) == n
    assert engine.case("P-9999").state == "concern_raised"
    assert built == []
    # The count does see a machine being built: a new definition builds exactly one.
    STANDARD.with_timescale("meeting", working_days=5)
    assert built == ["Machine"]
