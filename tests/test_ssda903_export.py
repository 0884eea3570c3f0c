"""Episodes-shaped export of the placements the procedure ended."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl

from disruption.analysis import load_cases
from disruption.engine.engine import Engine
from disruption.ssda903 import check_files
from disruption.ssda903.export import EXPORT_COLUMNS, episodes_of, write_episodes
from disruption.ssda903.load import import_returns
from tests.builders import (
    SW,
    T0,
    day,
    end_placement_data,
    hours,
    make_engine,
    open_case_data,
    reach,
    reg14_steps,
    run,
)
from tests.test_ssda903_load import NOW, _returns


def _engine_with_endings(tmp_path: Path) -> Engine:
    engine = make_engine(T0 + timedelta(days=1))
    reach(engine, "P-1", "placed")
    run(engine, "P-1", [("end_placement", hours(T0, 2), SW, end_placement_data(day(T0), "CREQO"))])
    run(
        engine,
        "P-2",
        [
            ("open_case", T0, SW, open_case_data(child="C-2", carer=None)),
            *reg14_steps(hours(T0, 2)),  # a planned ending follows Regulation 14's steps
            ("end_placement", hours(T0, 3), SW, end_placement_data(day(T0), "CARPL", True)),
        ],
    )
    reach(engine, "P-3", "stabilised")
    import_returns([_returns(tmp_path)], engine.store, recorded_at=NOW)
    return engine


def test_only_endings_the_procedure_recorded_are_exported(tmp_path: Path) -> None:
    engine = _engine_with_endings(tmp_path)
    table = episodes_of(load_cases(engine.store))
    assert table.columns == list(EXPORT_COLUMNS)
    assert table.select("CHILD", "DECOM", "DEC", "REC", "REASON_PLACE_CHANGE").rows() == [
        ("C-1", "06/01/2025", "01/12/2025", "X1", "CREQO"),
        ("C-2", "06/01/2025", "01/12/2025", "X1", "CARPL"),
    ]
    assert table.select("PLACE", "PLACE_PROVIDER", "URN").rows() == [
        ("U3", "PR1", "carer-9"),
        ("U3", "PR1", None),
    ]


def test_the_period_filters_by_end_date(tmp_path: Path) -> None:
    engine = _engine_with_endings(tmp_path)
    cases = load_cases(engine.store)
    assert episodes_of(cases, start=date(2025, 12, 2)).height == 0
    assert episodes_of(cases, end=date(2025, 12, 1)).height == 2


def test_the_export_reads_back_as_an_episodes_file(tmp_path: Path) -> None:
    engine = _engine_with_endings(tmp_path)
    folder = tmp_path / "out"
    folder.mkdir()
    write_episodes(episodes_of(load_cases(engine.store)), folder / "episodes.csv")
    report = check_files([folder / "episodes.csv"])
    assert report.episodes.height == 2
    assert report.episodes["reason_place_change"].to_list() == ["CREQO", "CARPL"]
    assert report.episodes["dec"].to_list() == [date(2025, 12, 1)] * 2


def test_an_empty_store_exports_a_header_only(tmp_path: Path) -> None:
    table = episodes_of([])
    assert table.height == 0
    path = write_episodes(table, tmp_path / "e.csv")
    assert pl.read_csv(path).columns == list(EXPORT_COLUMNS)
