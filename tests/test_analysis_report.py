"""The report: files written, self-contained HTML, small numbers suppressed."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from disruption.analysis.report import write_report
from disruption.engine.engine import Engine
from disruption.store.memory import MemoryStore
from tests.builders import SW, T0, day, end_placement_data, hours, make_engine, open_case_data, run
from tests.disclosure_check import (
    read_report,
    shares_beside_hidden,
    small_counts_shown,
    worked_out,
)

START, END = date(2025, 1, 1), date(2025, 12, 31)


def _engine(ended: int, reason: str = "CREQB") -> Engine:
    engine = make_engine(T0 + timedelta(days=3), store=MemoryStore())
    for i in range(ended):
        run(
            engine,
            f"E-{i}",
            [
                ("open_case", T0, SW, open_case_data(child=f"C-{i}")),
                ("end_placement", hours(T0, 1), SW, end_placement_data(day(T0), reason, False)),
            ],
        )
    run(engine, "OPEN", [("open_case", T0, SW, open_case_data(child="C-open"))])
    return engine


def test_the_report_writes_html_csv_and_png(tmp_path: Path) -> None:
    written = write_report(_engine(6).store, tmp_path / "out", start=START, end=END)
    assert written.index == tmp_path / "out" / "index.html"
    assert written.cases == 7
    assert {p.name for p in written.charts} >= {"survival.png", "endings_by_reason_group.png"}
    for path in (*written.tables, *written.charts):
        assert path.stat().st_size > 0
    for chart in written.charts:
        assert chart.read_bytes().startswith(b"\x89PNG")


def test_the_html_is_self_contained(tmp_path: Path) -> None:
    written = write_report(_engine(6).store, tmp_path, start=START, end=END)
    text = written.index.read_text(encoding="utf-8")
    sources = re.findall(r'(?:src|href)="([^"]*)"', text)
    assert sources
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    assert text.count("<img") == len(written.charts)


BEHAVIOUR = "Carer(s) requests placement end due to child's behaviour"


def test_counts_under_five_are_suppressed_in_every_table(tmp_path: Path) -> None:
    written = write_report(_engine(3).store, tmp_path, start=START, end=END)
    by_reason = pl.read_csv(tmp_path / "endings_by_reason.csv", infer_schema_length=0)
    assert by_reason.rows() == [("CREQB", BEHAVIOUR, "c", "c"), ("Total", "", "c", "c")]
    html = written.index.read_text(encoding="utf-8")
    assert '<td>CREQB</td><td class="t">Carer(s) requests placement end due to child&#x27;s' in html
    tables = read_report(tmp_path)
    assert small_counts_shown(tables, 5) == []
    assert worked_out(tables) == []
    assert shares_beside_hidden(tables) == []


def test_counts_of_five_or_more_are_shown(tmp_path: Path) -> None:
    write_report(_engine(6).store, tmp_path, start=START, end=END)
    by_reason = pl.read_csv(tmp_path / "endings_by_reason.csv", infer_schema_length=0)
    assert by_reason.rows() == [("CREQB", BEHAVIOUR, "6", "100.0"), ("Total", "", "6", "100.0")]


def test_the_threshold_is_configurable(tmp_path: Path) -> None:
    write_report(_engine(6).store, tmp_path, start=START, end=END, suppress=10)
    by_reason = pl.read_csv(tmp_path / "endings_by_reason.csv", infer_schema_length=0)
    assert by_reason["count"].to_list() == ["c", "c"]
    assert "Counts from 1 to 9 are shown as c" in (tmp_path / "index.html").read_text()


def test_without_suppression_every_section_says_internal_use(tmp_path: Path) -> None:
    written = write_report(_engine(3).store, tmp_path, start=START, end=END, suppress=None)
    by_reason = pl.read_csv(tmp_path / "endings_by_reason.csv", infer_schema_length=0)
    assert by_reason["count"].to_list() == ["3", "3"]
    html = written.index.read_text(encoding="utf-8")
    sections = html.split("<h2>")[1:]
    assert sections
    assert all("NOT FOR PUBLICATION" in s for s in sections)
    assert html.count("NOT FOR PUBLICATION") == len(sections) + 2  # the top and the footer
    beside = (tmp_path / "NOT-FOR-PUBLICATION.txt").read_text(encoding="utf-8")
    assert "endings_by_reason.csv" in beside
    write_report(_engine(3).store, tmp_path, start=START, end=END)
    assert not (tmp_path / "NOT-FOR-PUBLICATION.txt").exists()


def test_a_threshold_under_two_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="2 or more"):
        write_report(MemoryStore(), tmp_path, start=START, end=END, suppress=1)


def test_the_report_shows_englands_published_figures_with_their_source(tmp_path: Path) -> None:
    written = write_report(_engine(6).store, tmp_path, start=START, end=END)
    stability = pl.read_csv(tmp_path / "stability.csv", infer_schema_length=0)
    assert stability["england_percent"].to_list() == ["10", "23", "69"]
    assert stability["published_year"].to_list() == ["2025"] * 3
    html = written.index.read_text(encoding="utf-8")
    assert "Placement stability by local authority" in html
    assert (tmp_path / "stability_trend.csv").is_file()


def test_a_period_that_ends_before_it_starts_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="starts"):
        write_report(MemoryStore(), tmp_path, start=date(2025, 2, 1), end=date(2025, 1, 1))
    assert not list(tmp_path.iterdir())


def test_an_empty_store_still_gives_a_report(tmp_path: Path) -> None:
    written = write_report(MemoryStore(), tmp_path, start=START, end=END)
    assert written.cases == 0
    assert "0 placements in the store" in written.index.read_text(encoding="utf-8")


def test_the_period_is_said_with_its_length_in_the_html_only(tmp_path: Path) -> None:
    written = write_report(MemoryStore(), tmp_path, start=date(2024, 3, 1), end=date(2025, 2, 28))
    assert "1 March 2024 to 28 February 2025 (1 year);" in written.index.read_text("utf-8")
    assert not any("(1 year)" in t.read_text("utf-8") for t in written.tables)


def test_the_trend_chart_draws_each_measure_beside_england() -> None:
    from disruption.analysis.charts import line_chart

    png = line_chart(
        {
            "Short-term": [("2024", 11.0), ("2025", None)],
            "England: Short-term": [("2024", 11.0), ("2025", 10.0)],
            "England: Two-year": [("2024", None), ("2025", 23.0)],
            "Two-year": [("2024", None), ("2025", None)],
        },
        title="Stability",
        period="at each 31 March",
    )
    assert png.startswith(b"\x89PNG")
