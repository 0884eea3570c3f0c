"""Smoke test of benchmarks/bench_import.py on a small messy file."""

from __future__ import annotations

import pytest

from tests.scripts import ROOT, load_script

pytestmark = pytest.mark.slow  # benchmark smoke: the slow tier (pytest -m slow)


def test_bench_import_runs_and_finds_the_mess(capsys: pytest.CaptureFixture[str]) -> None:
    bench = load_script(ROOT / "benchmarks" / "bench_import.py", "bench_import")
    numbers = bench.main(rows=5_000)
    assert numbers["rows"] > 4_000
    assert 0 < numbers["episodes"] < numbers["rows"]  # duplicates were reconciled away
    assert numbers["findings"] > 0
    assert numbers["total_s"] > 0
    assert numbers["ratio"] > 0
    assert numbers["best_ratio"] > 0
    assert numbers["rss_mb"] > 0
    assert "SSDA903 import" in capsys.readouterr().out


def test_import_ab_compares_two_trees(capsys: pytest.CaptureFixture[str]) -> None:
    ab = load_script(ROOT / "benchmarks" / "import_ab.py", "import_ab")
    src = str(ROOT / "src")
    result = ab.main([f"one={src}", f"two={src}", "--rows", "2000", "--processes", "1"])
    assert set(result) == {"one", "two"}
    for numbers in result.values():
        assert numbers["rounds"] == ab.ROUNDS
        assert numbers["wall_s"] > 0
        assert numbers["ratio"] > 0
    assert "one: 5 rounds" in capsys.readouterr().out
