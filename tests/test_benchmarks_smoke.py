"""Smoke test of benchmarks/bench_engine.py: it runs, measures and agrees with its baseline."""

from __future__ import annotations

import math
from pathlib import Path
from types import ModuleType

import pytest

from tests.scripts import load_script

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_engine.py"


def _load() -> ModuleType:
    return load_script(BENCH, "bench_engine")


def test_bench_engine_runs_on_200_cases(capsys: pytest.CaptureFixture[str]) -> None:
    bench = _load()
    report = bench.main(cases=200)

    assert issubclass(bench.Report, dict)
    assert isinstance(report, bench.Report)
    assert report["cases"] == 200
    for name, value in report.items():
        assert isinstance(value, float), name
        assert math.isfinite(value), name
        assert value > 0, (name, value)

    engine, baseline = report.engine_states, report.baseline_states
    assert len(engine) == len(baseline) == 200
    assert engine == baseline
    assert report.machine_states == baseline
    assert {state for _, state in engine} == {"ended"}
    assert report.states_identical

    out = capsys.readouterr().out
    assert "6 steps" in out
    assert out.count("PASS") + out.count("FAIL") == 3
