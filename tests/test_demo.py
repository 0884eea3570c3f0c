"""The demo authority: calibrated to the deck and the published figures, run by the engine."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from rich.console import Console

from disruption.analysis import open_placements
from disruption.demo.returns import REASONS
from disruption.demo.run import YEAR_END, YEAR_START, DemoSummary, print_summary, run_demo
from tests.disclosure_check import (
    read_report,
    shares_beside_hidden,
    small_counts_shown,
    worked_out,
)
from tests.test_demo_returns import DECK_TABLE

pytestmark = pytest.mark.slow  # the demo end to end: the slow tier (pytest -m slow)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoSummary:
    out = tmp_path_factory.mktemp("demo")
    return run_demo(seed=11, db=out / "demo.sqlite", out=out)


def test_every_command_of_the_year_is_applied(demo: DemoSummary) -> None:
    assert demo.rejected == 0
    assert demo.commands > 1000
    assert demo.imported > 1000


def test_the_open_placements_are_the_decks_table_exactly(demo: DemoSummary) -> None:
    table = open_placements(demo.cases, YEAR_END)
    cells = {
        (row["placement_type"], provider): row[provider]
        for row in table.iter_rows(named=True)
        for provider in ("Own authority", "Private", "Other")
        if row["placement_type"] != "Total" and row[provider]
    }
    assert cells == DECK_TABLE
    assert table.filter(pl.col("placement_type") == "Total")["Total"].item() == 683


def test_stability_is_within_three_points_of_the_published_figures(demo: DemoSummary) -> None:
    assert abs(demo.stability["short_term"]["percent"] - 12) <= 3
    assert abs(demo.stability["long_term"]["percent"] - 64) <= 3


def test_reasons_for_the_years_changes_follow_the_national_mix(demo: DemoSummary) -> None:
    changes = demo.cases.filter(
        pl.col("end").is_between(YEAR_START, YEAR_END) & pl.col("reason").is_not_null()
    )
    shares = {r: 100 * n / changes.height for r, n in changes.group_by("reason").len().rows()}
    for reason, percent in REASONS[:5]:
        assert shares[reason] == pytest.approx(percent, abs=5), reason


def test_the_report_is_written(demo: DemoSummary) -> None:
    assert demo.report.index.is_file()
    text = demo.report.index.read_text(encoding="utf-8")
    assert "Placement stability" in text
    assert Path(demo.report.index.parent / "stability.csv").is_file()


def test_no_hidden_cell_of_the_demos_report_can_be_worked_out(demo: DemoSummary) -> None:
    tables = read_report(demo.report.index.parent)
    assert len(tables) >= 15
    hidden = sum(v == "c" for t in tables.values() for row in t.rows() for v in row)
    assert hidden > 0  # the demo has small counts: the check is not vacuous
    assert small_counts_shown(tables, 5) == []
    assert worked_out(tables) == []
    assert shares_beside_hidden(tables) == []
    by_reason = tables["endings_by_reason"]
    carpl = by_reason.filter(by_reason["reason"] == "CARPL").row(0)
    assert "c" not in carpl  # a large count keeps its share beside hidden small ones


def test_the_demo_says_its_data_are_synthetic_and_cites_every_figure(demo: DemoSummary) -> None:
    console = Console(record=True, width=200)
    print_summary(demo, console)
    text = console.export_text()
    assert "synthetic" in text
    assert "published (deck)" not in text
    assert "Middlesbrough, 59 of 493" in text
    assert "Placement stability by local authority" in text
    assert "about autumn 2020" in text
    html = demo.report.index.read_text(encoding="utf-8")
    assert "synthetic data" in html


def test_the_demos_report_shows_the_trend_and_no_small_risk_sets(demo: DemoSummary) -> None:
    folder = demo.report.index.parent
    survival = pl.read_csv(folder / "survival.csv")
    assert survival.height > 0
    assert all(n >= 5 for n in survival["at_risk"].to_list())
    trend = pl.read_csv(folder / "stability_trend.csv", infer_schema_length=0)
    assert set(trend["history"]) == {"partial", "complete"}
    last = trend.filter(pl.col("year_end") == str(YEAR_END))
    assert last["england_percent"].to_list() == ["10", "23", "69"]
    assert (folder / "stability_trend.png").is_file()
    assert (folder / "placements_open.png").is_file()
    assert (folder / "endings_by_reason.png").is_file()
