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
    for side in ("engine", "transitions", "dict", "decide"):
        assert report[f"{side}_step_ns"] > 0
    assert report["events_per_case"] == 6  # the store kept every event of the six steps
    assert {f"flat_{level}_ns" for level in bench.FLAT_LEVELS} <= set(report)

    assert set(report.states) == {"engine", "transitions", "dict", "decide"}
    engine = report.states["engine"]
    assert len(engine) == 40
    assert {state for _, state in engine} == {"ended"}
    assert report.states_identical

    out = capsys.readouterr().out
    assert "Engine.handle per step" in out
    assert out.count("PASS") + out.count("FAIL") == 5
    assert "internal: decide()" in out


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
