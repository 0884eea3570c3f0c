"""Smoke test of benchmarks/bench_history.py: it runs both sides and prints its ratio."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scripts import load_script

pytestmark = pytest.mark.slow  # benchmark smoke: the slow tier (pytest -m slow)

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_history.py"


def test_bench_history_runs_both_sides(capsys: pytest.CaptureFixture[str]) -> None:
    bench = load_script(BENCH, "bench_history")
    report = bench.main(cases=30, rounds=5)
    assert report["history_step_ns"] > 0
    assert report["baseline_step_ns"] > 0
    assert report["ratio"] > 0
    assert "ratio" in capsys.readouterr().out
    assert bench.without_history().command("end_placement").history is False
