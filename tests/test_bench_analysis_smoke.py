"""Smoke test of benchmarks/bench_analysis.py on a small history: it runs and both sides agree."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.scripts import ROOT, load_script

pytestmark = pytest.mark.slow  # benchmark smoke: the slow tier (pytest -m slow)


def test_bench_analysis_runs_and_agrees(capsys: pytest.CaptureFixture[str]) -> None:
    bench = load_script(ROOT / "benchmarks" / "bench_analysis.py", "bench_analysis")
    numbers = bench.main(children=500)
    assert numbers["children"] == 500
    assert numbers["placements"] > 500
    assert numbers["agree"] == 1.0
    assert numbers["breakdown_s"] > 0
    assert "same numbers on both sides: yes" in capsys.readouterr().out


def test_the_national_history_is_contiguous_per_child() -> None:
    national = load_script(Path(ROOT / "benchmarks" / "national.py"), "national")
    episodes = national.national_episodes(200, per_child=5)
    gaps = (
        episodes.sort("CHILD", "DECOM")
        .with_columns(pl.col("DEC").shift().over("CHILD").alias("previous_dec"))
        .filter(pl.col("previous_dec").is_not_null() & (pl.col("previous_dec") != pl.col("DECOM")))
    )
    assert gaps.height == 0
    assert episodes["DECOM"].max() <= national.YEAR_END
