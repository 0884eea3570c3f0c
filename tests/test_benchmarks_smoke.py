"""Smoke test of benchmarks/bench_engine.py: it runs, measures and agrees with its baselines."""

from __future__ import annotations

import math
from pathlib import Path
from types import ModuleType

import pytest

from tests.scripts import load_script

pytestmark = pytest.mark.slow  # benchmark smoke: the slow tier (pytest -m slow)

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_engine.py"


def _load() -> ModuleType:
    return load_script(BENCH, "bench_engine")


def test_bench_engine_runs_every_side_on_a_few_cases(capsys: pytest.CaptureFixture[str]) -> None:
    bench = _load()
    report = bench.main(cases=40, rounds=5, open_cases=200, memory_cases=20, flat_samples=1)

    assert issubclass(bench.Report, dict)
    assert isinstance(report, bench.Report)
    assert report["cases"] == 40
    assert report["rounds"] == 5
    for name, value in report.items():
        assert isinstance(value, float), name
        assert math.isfinite(value), name
        assert value > 0, (name, value)
    for side in ("engine", "transitions", "dict", "decide", "floor", "floor_read"):
        assert report[f"{side}_step_ns"] > 0
    assert report["events_per_case"] == 6  # the store kept every event of the six steps
    assert {f"flat_{level}_ns" for level in bench.FLAT_LEVELS} <= set(report)

    assert set(report.states) == set(bench.SIDES)
    engine = report.states["engine"]
    assert len(engine) == 40
    assert {state for _, state in engine} == {"ended"}
    assert report.states_identical

    out = capsys.readouterr().out
    assert "Engine.handle per step" in out
    assert out.count("PASS") + out.count("FAIL") == 5
    assert "internal: decide()" in out
    assert "internal floor" in out

    # the memory by part adds up to the memory per case, the cases' own objects named
    parts = {k: v for k, v in report.items() if k.startswith("part_")}
    own = sum(v for k, v in parts.items() if k != "part_store_rest_bytes")
    assert report["memory_bound_bytes"] == pytest.approx(own + report["data_values_bytes"])
    assert {"part_Deadline_bytes", "part_CaseFile_bytes", "part_Case_bytes"} <= set(parts)
    assert sum(parts.values()) == pytest.approx(report["bytes_per_case"])
    assert report["part_Deadline_bytes"] == 6 * 96  # six deadlines by the end of the path
    assert "the store's event records and indexes (the rest)" in out


def test_the_floor_rebuilds_the_values_the_engine_returns() -> None:
    bench = _load()
    inputs = bench.make_inputs(12, prefix="F")
    plan = bench.floor_plan(inputs)
    assert len(plan) == 12 * len(bench.STEPS)
    assert bench.floor_plan(inputs) is plan  # kept for the inputs measured

    engine = bench._engine(bench.FollowingClock())
    rebuilt = {}
    for (built, ended, _, _), command in zip(
        plan, [c for cs in inputs.steps() for c in cs], strict=True
    ):
        engine.clock.at = command.at
        outcome = engine.handle(command)
        made = [build(*values) for build, values in built]
        # the last value built is the case after the step, equal to the engine's
        assert made[-1] == outcome.case
        # the event is rebuilt too, and an ending's data is handed to the on-enter action
        assert outcome.events[0] in made
        assert (ended is not None) == (command.name == "end_placement")
        rebuilt[command.case] = made[-1]
    assert {case.state for case in rebuilt.values()} == {"ended"}

    ended = bench.Ended()
    _, states = bench.run_floor(inputs, ended)
    assert ended.count == 12
    assert states == [(c.case, "ended") for c in inputs.opens]
    _, states = bench.run_floor_read(inputs, bench.Ended())
    assert states == [(c.case, "ended") for c in inputs.opens]


def test_the_baselines_take_the_guarded_branch_and_run_the_action() -> None:
    bench = _load()
    ended = bench.Ended()
    table = bench.dict_table()
    case = {"id": "X", "state": "disruption_meeting"}
    assert bench.fire(table, {"ended": ended}, case, "record_meeting", {"decision": "stabilise"})
    assert case["state"] == "stabilised"
    assert not bench.fire(table, {"ended": ended}, case, "offer_support", {})
    assert bench.fire(table, {"ended": ended}, case, "end_placement", {})
    assert (case["state"], ended.count) == ("ended", 1)

    machine = bench.shared_machine(ended)
    model = bench.MachineCase("Y", "disruption_meeting")
    machine.events["record_meeting"].trigger(model, {"decision": "plan_move"})
    assert model.state == "move_planned"
    machine.events["end_placement"].trigger(model, {})
    assert (model.state, ended.count) == ("ended", 2)


def test_flat_histories_leave_the_case_placed() -> None:
    bench = _load()
    history, timed = bench._flat_commands("F-1", 11)
    assert len(history) == 11
    assert [c.name for c in history[:3]] == ["open_case", "raise_concern", "no_further_action"]
    assert timed.name == "raise_concern"
    assert timed.at > history[-1].at
    with pytest.raises(ValueError, match="odd"):
        bench._flat_commands("F-2", 10)
