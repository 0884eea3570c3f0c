"""Procedure files: the shipped examples, every kind of problem, and the engine running them."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from disruption import Command, Engine, FixedClock, MemoryStore, Procedure
from disruption.exceptions import (
    DateOutOfOrder,
    DefinitionError,
    DisruptionError,
    InvalidData,
    PermissionRefused,
)
from disruption.procedure.file import load_procedure, parse_procedure
from tests.scripts import ROOT
from tests.strategies import procedure_documents

EXAMPLES = ROOT / "examples" / "procedures"
SW = {"id": "sw-3", "role": "social_worker"}
MANAGER = {"id": "tm-1", "role": "team_manager"}
START = datetime(2026, 1, 12, 9, 30, tzinfo=UTC)
OPEN = {
    "child": "C-77",
    "placement": {
        "id": "PL-9",
        "type": "A3",
        "provider": "PR1",
        "start": "2024-09-02",
        "location": "in_borough",
    },
}


def _handle(
    engine: Engine, name: str, actor: dict[str, str], data: dict[str, Any], day: int
) -> Any:
    at = START + timedelta(days=day)
    command = {"case": "P-1", "command": name, "at": at.isoformat(), "actor": actor, "data": data}
    return engine.handle(Command.from_json(command)).case


def test_the_north_borough_example_runs_respite_through_the_engine() -> None:
    authority = load_procedure(EXAMPLES / "north-borough.yaml")
    assert authority.procedure.deadline("meeting").working_days == 5
    assert authority.procedure.deadline("meeting").days_for("K2") == 3
    engine = Engine(
        MemoryStore(),
        procedure=authority.procedure,
        calendar=authority.calendar,
        clock=FixedClock(START + timedelta(days=4)),
    )
    _handle(engine, "open_case", SW, OPEN, 0)
    _handle(engine, "raise_concern", SW, {"category": "carer_difficulty", "raised_by": "carer"}, 0)
    _handle(engine, "offer_support", MANAGER, {"support": ["respite"]}, 1)
    case = _handle(engine, "arrange_respite", MANAGER, {"starts_on": "2026-01-16", "nights": 2}, 2)
    assert case.state == "respite_arranged"
    review = [d for d in case.open_deadlines() if d.name == "respite_review"]
    assert review[0].due == date(2026, 1, 30)  # 10 working days after Friday 16 January
    concern = {"category": "relationship", "raised_by": "child"}
    assert _handle(engine, "raise_concern", SW, concern, 3).state == "respite_arranged"
    assert _handle(engine, "stabilise", MANAGER, {}, 4).state == "stabilised"


def test_the_authoritys_closure_days_are_not_working_days() -> None:
    authority = load_procedure(EXAMPLES / "north-borough.yaml")
    # 24 December 2026 is a Thursday; 25, 28 (substitute) are bank holidays, 29-31 closed.
    assert authority.calendar.add_working_days(date(2026, 12, 24), 1) == date(2027, 1, 4)


def test_file_data_is_read_strictly() -> None:
    authority = load_procedure(EXAMPLES / "north-borough.yaml")
    engine = Engine(MemoryStore(), procedure=authority.procedure, clock=FixedClock(START))
    _handle(engine, "open_case", SW, OPEN, 0)
    _handle(engine, "raise_concern", SW, {"category": "carer_difficulty", "raised_by": "carer"}, 0)
    _handle(engine, "offer_support", MANAGER, {"support": ["respite"]}, 0)
    with pytest.raises(InvalidData) as caught:
        _handle(engine, "arrange_respite", MANAGER, {"starts_on": "2026-01-16", "nights": 40}, 0)
    assert caught.value.field == "nights"
    data = {"starts_on": "2026-01-16", "nights": 2, "colour": "red"}
    with pytest.raises(InvalidData) as unknown:
        _handle(engine, "arrange_respite", MANAGER, data, 0)
    assert unknown.value.field == "colour"
    with pytest.raises(DateOutOfOrder):
        _handle(engine, "arrange_respite", MANAGER, {"starts_on": "2024-01-01", "nights": 2}, 0)
    assert engine.case("P-1").state == "support_offered"


def test_the_adoption_window_refuses_a_meeting_before_28_days() -> None:
    authority = load_procedure(EXAMPLES / "adoption.yaml")
    engine = Engine(  # the steps of five weeks, entered at the start: no entry-time check
        MemoryStore(), procedure=authority.procedure, clock=FixedClock(START), clock_tolerance=None
    )
    _handle(engine, "open_case", SW, OPEN, 0)
    end = {"end": "2026-01-12", "reason": "CREQB", "planned": False, "adoption_order": False}
    case = _handle(engine, "end_placement", SW, end, 0)
    review = next(d for d in case.open_deadlines() if d.name == "learning_review")
    assert review.earliest == date(2026, 2, 9)  # 28 days after 12 January
    assert review.due == date(2026, 2, 23)  # 42 days after
    chair = {"id": "iro-1", "role": "iro"}
    held = {"chair": chair, "factors": ["matching"], "recommendations": "Earlier matching support."}
    with pytest.raises(DateOutOfOrder):
        _handle(engine, "record_learning_review", MANAGER, {**held, "held_on": "2026-02-02"}, 21)
    case = _handle(engine, "record_learning_review", MANAGER, {**held, "held_on": "2026-02-16"}, 35)
    assert [d.status.value for d in case.deadlines if d.name == "learning_review"] == ["met"]


def _problems(document: dict[str, Any]) -> tuple[str, ...]:
    with pytest.raises(DefinitionError) as caught:
        parse_procedure(document)
    return caught.value.problems


def test_every_schema_problem_is_listed_with_where_it_is() -> None:
    problems = _problems(
        {
            "name": "x",
            "version": "one",
            "authority": {"nation": "wales", "closure_days": ["29/12/2026"]},
            "colour": "blue",
        }
    )
    text = "\n".join(problems)
    assert "version: 'one' is not of type 'integer'" in text
    assert "authority.nation" in text
    assert "authority.closure_days.0" in text
    assert "'colour' was unexpected" in text
    assert len(problems) >= 4


def test_problems_beyond_the_schema_are_listed_too() -> None:
    problems = _problems(
        {
            "name": "x",
            "version": 1,
            "timescales": {"nonesuch": 3},
            "commands": [
                {"name": "nonesuch", "add_sources": ["placed"]},
                {
                    "name": "visit",
                    "event": "Visited",
                    "transitions": [{"from": ["placed"], "when": {"field": "kind", "equals": "x"}}],
                    "data": {"on": {"type": "text"}},
                    "guards": [{"guard": "not_after_today", "field": "on"}],
                    "opens": [{"deadline": "screening", "anchor": "on"}],
                },
            ],
        }
    )
    text = "\n".join(problems)
    assert "timescales.nonesuch: no deadline 'nonesuch'" in text
    assert "no command 'nonesuch' to change" in text
    assert "'on' is not a date field" in text
    assert "'kind' is not a field of the data" in text
    assert len(problems) == 5


def test_graph_problems_come_from_the_definition_check() -> None:
    problems = _problems(
        {"name": "x", "version": 1, "states": [{"name": "limbo"}, {"name": "void", "final": False}]}
    )
    assert "state 'limbo' cannot be reached" in problems
    assert "state 'void' cannot be reached" in problems


def test_unreadable_and_unparsable_files_are_definition_errors(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="cannot be read"):
        load_procedure(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nversion: [1\n")
    with pytest.raises(DefinitionError, match="line 3"):
        load_procedure(bad)
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]")
    with pytest.raises(DefinitionError, match="is not of type 'object'"):
        load_procedure(listed)


def _parsed(document: dict[str, Any]) -> Procedure | tuple[str, ...]:
    try:
        return parse_procedure(document).procedure
    except DefinitionError as error:
        return error.problems


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(procedure_documents(), st.lists(st.integers(0, 11), max_size=10))
def test_random_definitions_are_accepted_and_safe_or_rejected_with_problems(
    document: dict[str, Any], steps: list[int]
) -> None:
    procedure = _parsed(document)
    if isinstance(procedure, tuple):
        assert procedure  # rejected: with the problems listed
        return
    declared = {s.name for s in procedure.states}
    engine = Engine(MemoryStore(), procedure=procedure, clock=FixedClock(START + timedelta(days=9)))
    _handle(engine, "open_case", SW, OPEN, 0)
    names = [c["name"] for c in document["commands"]]
    for n, step in enumerate(steps):  # the engine may refuse a step; nothing else
        if not names:
            break
        with contextlib.suppress(DisruptionError):  # any other exception fails the test
            _handle(engine, names[step % len(names)], SW, {}, 1 + n % 5)
        assert engine.case("P-1").state in declared


def test_roles_can_depend_on_the_state() -> None:
    authority = load_procedure(EXAMPLES / "north-borough.yaml")
    engine = Engine(
        MemoryStore(), procedure=authority.procedure, clock=FixedClock(START + timedelta(days=2))
    )
    _handle(engine, "open_case", SW, OPEN, 0)
    _handle(engine, "raise_concern", SW, {"category": "relationship", "raised_by": "child"}, 0)
    chair = {"id": "iro-1", "role": "iro"}
    _handle(engine, "convene_meeting", SW, {"date": "2026-01-14", "chair": chair}, 0)
    end = {"end": "2026-01-13", "reason": "CREQB", "planned": False}
    with pytest.raises(PermissionRefused) as refused:
        _handle(engine, "end_placement", SW, end, 1)
    assert "in state disruption_meeting" in str(refused.value)
    assert refused.value.role == "social_worker"
    assert _handle(engine, "end_placement", MANAGER, end, 1).state == "ended"


def test_roles_for_an_undeclared_state_are_a_problem() -> None:
    problems = _problems(
        {
            "name": "x",
            "version": 1,
            "commands": [{"name": "stabilise", "roles_in": {"nowhere": ["iro"]}}],
        }
    )
    assert "stabilise sets roles for undeclared state 'nowhere'" in problems
