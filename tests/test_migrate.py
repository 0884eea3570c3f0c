"""Versions pinned per case, and the explicit migration of open cases to a new version."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from disruption import (
    CommandSpec,
    Engine,
    FixedClock,
    MemoryStore,
    Procedure,
    State,
    Transition,
)
from disruption.cli import app
from disruption.core.system import MIGRATED
from disruption.exceptions import DefinitionError, UnknownCommand
from disruption.procedure.standard import STANDARD_V1
from disruption.store import open_store
from tests.builders import (
    MANAGER,
    SW,
    T0,
    command,
    convene_meeting_data,
    day,
    hours,
    reach,
    run,
)
from tests.scripts import ROOT

NORTH = ROOT / "examples" / "procedures" / "north-borough.yaml"


def version_2() -> Procedure:
    """A version 2 of the standard version 1 (in place of the shipped one): a new state
    (respite) and a 5-working-day meeting timescale."""
    return (
        STANDARD_V1.draft(version=2)
        .add_state(State("respite_arranged", "Respite care is arranged."))
        .add_command(
            CommandSpec(
                name="arrange_respite",
                event="RespiteArranged",
                read=STANDARD_V1.command("stabilise").read,
                transitions=[Transition("support_offered", "respite_arranged")],
            )
        )
        .add_sources("stabilise", "respite_arranged")
        .add_sources("end_placement", "respite_arranged")
        .set_timescale("meeting", working_days=5)
        .build()
    )


def _meeting_due(engine: Engine, case: str) -> int:
    convened = engine.case(case)
    due = next(d for d in convened.open_deadlines() if d.name == "meeting").due
    return engine.calendar.working_days_between(convened.updated_at.date(), due)


def test_old_cases_finish_under_version_1_new_ones_run_under_version_2() -> None:
    store = MemoryStore()
    v1_engine = Engine(store, procedure=STANDARD_V1, clock=FixedClock(T0 + timedelta(days=2)))
    for case in ("OLD-1", "OLD-2"):
        reach(v1_engine, case, "support_offered")
    v2 = version_2()
    engine = Engine(
        store, procedure=v2, procedures=[STANDARD_V1], clock=FixedClock(T0 + timedelta(days=2))
    )
    # An old case is still decided by version 1: its meeting timescale is 7, no respite.
    run(
        engine,
        "OLD-1",
        [("convene_meeting", hours(T0, 4), SW, convene_meeting_data(day(T0 + timedelta(days=1))))],
    )
    assert engine.case("OLD-1").procedure.version == 1
    assert _meeting_due(engine, "OLD-1") == 7
    with pytest.raises(UnknownCommand):
        engine.handle(command("OLD-2", "arrange_respite", hours(T0, 4), *MANAGER))
    # A new case is opened under version 2.
    reach(engine, "NEW-1", "support_offered")
    assert engine.case("NEW-1").procedure.version == 2
    run(
        engine,
        "NEW-1",
        [("convene_meeting", hours(T0, 4), SW, convene_meeting_data(day(T0 + timedelta(days=1))))],
    )
    assert _meeting_due(engine, "NEW-1") == 5


def test_a_migration_moves_open_cases_and_records_the_mapping() -> None:
    store = MemoryStore()
    v1_engine = Engine(store, procedure=STANDARD_V1, clock=FixedClock(T0 + timedelta(days=2)))
    reach(v1_engine, "OPEN-1", "support_offered")
    reach(v1_engine, "OPEN-2", "placed")
    reach(v1_engine, "DONE-1", "ended")
    v2 = version_2()
    engine = Engine(
        store, procedure=v2, procedures=[STANDARD_V1], clock=FixedClock(T0 + timedelta(days=3))
    )
    plan = engine.migrate(v2, {"support_offered": "respite_arranged"})
    assert sorted((m.case.id, m.to_state) for m in plan.moves) == [
        ("OPEN-1", "respite_arranged"),
        ("OPEN-2", "placed"),
    ]
    moved = engine.case("OPEN-1")
    assert (moved.state, moved.procedure.version) == ("respite_arranged", 2)
    last = engine.history("OPEN-1")[-1]
    assert last.type == MIGRATED
    assert last.data["mapping"] == {"support_offered": "respite_arranged"}
    assert last.data["from"] == {"name": "standard", "version": 1}
    assert (last.from_state, last.to_state) == ("support_offered", "respite_arranged")
    assert engine.case("DONE-1").procedure.version == 1  # ended cases stay
    # The moved case goes on under version 2, and its replay is the same case.
    after = run(engine, "OPEN-1", [("stabilise", hours(T0, 30), MANAGER, {})])
    assert after.state == "stabilised"
    assert engine.load("OPEN-1") == after


def test_a_migration_that_cannot_run_writes_nothing_and_lists_every_problem() -> None:
    store = MemoryStore()
    v1_engine = Engine(store, procedure=STANDARD_V1, clock=FixedClock(T0 + timedelta(days=2)))
    reach(v1_engine, "OPEN-1", "support_offered")
    reach(v1_engine, "OPEN-2", "move_planned")
    before = len(store.read_after(0, 10_000))
    draft = STANDARD_V1.draft(version=3)  # version 3 drops move_planned
    draft.states = [s for s in draft.states if s.name != "move_planned"]
    draft.set_transitions("record_meeting", Transition("disruption_meeting", "support_offered"))
    active = ("placed", "concern_raised", "support_offered", "disruption_meeting", "stabilised")
    draft.set_transitions("end_placement", Transition(active, "ended"))
    v3 = draft.build()
    engine = Engine(store, procedure=v3, procedures=[STANDARD_V1])
    with pytest.raises(DefinitionError) as caught:
        engine.migrate(v3, {"support_offered": "nowhere", "placed": "ended"})
    problems = caught.value.problems
    assert "'support_offered' maps to 'nowhere', which standard v3 lacks" in problems
    assert any("'placed' maps to 'ended', a final state" in p for p in problems)
    assert any("case OPEN-2 is in 'move_planned'" in p for p in problems)
    assert len(store.read_after(0, 10_000)) == before
    assert (engine.case("OPEN-1").state, engine.case("OPEN-1").procedure.version) == (
        "support_offered",
        1,
    )


def test_the_cli_migrates_with_a_dry_run_first(tmp_path: Path) -> None:
    db = str(tmp_path / "cases.sqlite")
    store = open_store(db)
    try:
        reach(Engine(store, clock=FixedClock(T0 + timedelta(days=2))), "OPEN-1", "support_offered")
    finally:
        store.close()
    runner = CliRunner()
    args = ["procedure", "migrate", "--db", db, "--procedure", str(NORTH), "--json"]
    dry = runner.invoke(app, [*args, "--map", "support_offered=respite_arranged", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.output)["moved"] == [
        {"case": "OPEN-1", "from": "support_offered", "to": "respite_arranged"}
    ]
    shown = runner.invoke(app, ["case", "show", "OPEN-1", "--db", db, "--json"])
    assert json.loads(shown.output)["state"] == "support_offered"
    bad = runner.invoke(app, [*args, "--map", "support_offered"])
    assert bad.exit_code == 2
    done = runner.invoke(app, [*args, "--map", "support_offered=respite_arranged"])
    assert done.exit_code == 0, done.output
    shown = runner.invoke(
        app, ["case", "show", "OPEN-1", "--db", db, "--procedure", str(NORTH), "--json"]
    )
    assert json.loads(shown.output)["state"] == "respite_arranged"
