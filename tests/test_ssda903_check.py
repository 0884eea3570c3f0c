"""`check_files`: the same report as reading, reconciling and validating in turn."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from disruption.ssda903 import Finding, check_files, read_episodes, reconcile, validate
from disruption.ssda903._normalise import as_text
from disruption.ssda903._rules import d
from disruption.ssda903.read import episode_rows, read_episode_rows
from disruption.ssda903.validate import CODE_COLUMNS, validate_rows
from tests.strategies import episode_cells, later_episode_cells

HEAD = (
    "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN"
)


def write_return(path: Path, lines: list[tuple[str, ...]]) -> Path:
    body = "".join(
        f"{c},{s},{r},{ls_},N1,{p},{pp},{e},{rc},{rpc},A1 1AA,B1 1BB,123\n"
        for c, s, r, ls_, p, pp, e, rc, rpc in lines
    )
    path.write_text(f"{HEAD}\n{body}", encoding="utf-8")
    return path


def in_turn(paths: list[Path]) -> tuple[pl.DataFrame, tuple[Finding, ...]]:
    """What `check_files` promises to equal: the rules on the rows as read, and reconcile."""
    episodes, findings = read_episodes(paths)
    reconciled, changes = reconcile(episodes)
    return reconciled, (*findings, *changes, *validate(episodes, read_findings=findings))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(episode_cells, later_episode_cells)
def test_check_files_equals_the_three_steps_in_turn(
    first: list[tuple[str, ...]], second: list[tuple[str, ...]]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        # Without DEC dates a file is read as its name says: 2019 and 2024.
        paths = [
            write_return(Path(folder) / "episodes_2024.csv", second),
            write_return(Path(folder) / "episodes_2019.csv", first),
        ]
        report = check_files(paths)
        episodes, findings = in_turn(paths)
    assert report.episodes.equals(episodes)
    assert report.findings == findings


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(episode_cells)
def test_values_read_cover_every_code_and_validation_agrees(lines: list[tuple[str, ...]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write_return(Path(folder) / "episodes.csv", lines)
        read = read_episode_rows(path)
        # As `check_files` reads them: the code columns as Enums of the values read.
        internal = episode_rows([path])
    for column in CODE_COLUMNS:
        held = set(read.frame[column].drop_nulls().to_list())
        assert held <= read.values[column]
        assert internal.frame[column].dtype == pl.Enum(sorted(read.values[column]))
    assert internal.frame.schema != read.frame.schema
    assert as_text(internal.frame).equals(read.frame)
    found = validate(read.frame)
    assert validate_rows(read.frame, None, read.values) == found
    assert validate_rows(internal.frame, None, internal.values) == found


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(episode_cells)
def test_rows_read_in_order_are_the_rows_read_sorted(lines: list[tuple[str, ...]]) -> None:
    # As `check_files` reads them: the rows kept, by CHILD, DECOM, then line, in one gather.
    with tempfile.TemporaryDirectory() as folder:
        path = write_return(Path(folder) / "episodes.csv", lines)
        read = read_episode_rows(path)
        ordered = episode_rows([path], ordered=True)
    expected = read.frame.sort("child", "decom", "_row")
    assert as_text(ordered.frame).equals(expected)
    assert ordered.findings == read.findings


def test_steps_are_announced_in_order(tmp_path: Path) -> None:
    path = write_return(
        tmp_path / "episodes.csv", [("1", "01/04/2019", "S", "C2", "U1", "PR1", "", "", "")]
    )
    steps: list[str] = []
    report = check_files([path], on_step=steps.append)
    assert steps == ["read", "validate", "reconcile"]
    assert report.episodes.height == 1


@given(st.dates(min_value=date(1, 1, 1)))
def test_message_dates_are_written_as_strftime_writes_them(day: date) -> None:
    assert d(day) == f"{day:%d/%m/%Y}"
    assert d(None) == "blank"
