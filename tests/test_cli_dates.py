"""Options taking a date: ISO dates, and dates relative to today in Europe/London."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import typer
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from disruption.cli import _dates, app
from disruption.cli._dates import parse_date, relative_date
from disruption.domain.clock import FixedClock
from disruption.domain.dates import months_before

runner = CliRunner()
# 23:30 UTC on 30 June 2025 is already 1 July in London (BST): "today" is 1 July.
LATE = FixedClock(datetime(2025, 6, 30, 23, 30, tzinfo=UTC))


@pytest.fixture
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> date:
    monkeypatch.setattr(_dates, "clock", LATE)
    return date(2025, 7, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", date(2024, 3, 31)),
        ("  Yesterday ", date(2024, 3, 30)),
        ("TOMORROW", date(2024, 4, 1)),
        ("-3d", date(2024, 3, 28)),
        ("+2w", date(2024, 4, 14)),
        ("- 1m", date(2024, 2, 29)),  # a month before 31 March 2024: February's last day
        ("-13m", date(2023, 2, 28)),
        ("+1y", date(2025, 3, 31)),
        ("3 days ago", date(2024, 3, 28)),
        ("1 week ago", date(2024, 3, 24)),
        ("in 2 weeks", date(2024, 4, 14)),
        ("in 1 month", date(2024, 4, 30)),
        ("2 years ago", date(2022, 3, 31)),
    ],
)
def test_relative_forms(text: str, expected: date) -> None:
    assert relative_date(text, date(2024, 3, 31)) == expected


@pytest.mark.parametrize(
    "text",
    ["", "3d", "3 days", "in 3 days ago", "next tuesday", "2025-13-01", "+99999y", "-1.5d"],
)
def test_anything_else_is_not_a_relative_date(text: str) -> None:
    assert relative_date(text, date(2024, 3, 31)) is None


def test_a_year_from_29_february_is_28_february() -> None:
    assert relative_date("+1y", date(2024, 2, 29)) == date(2025, 2, 28)
    assert relative_date("1 year ago", date(2024, 2, 29)) == date(2023, 2, 28)


@given(st.dates(date(1900, 1, 1), date(2200, 12, 31)), st.integers(0, 3000))
def test_days_and_weeks_count_months_move_by_the_calendar(day: date, n: int) -> None:
    assert relative_date(f"-{n}d", day) == day - timedelta(days=n)
    assert relative_date(f"{n} days ago", day) == day - timedelta(days=n)
    assert relative_date(f"in {n} weeks", day) == day + timedelta(weeks=n)
    assert relative_date(f"-{n}m", day) == months_before(day, n)


def test_today_is_the_clocks_date_in_london(fixed_today: date) -> None:
    assert parse_date(None, "--on") == fixed_today
    assert parse_date("today", "--on") == fixed_today
    assert parse_date("yesterday", "--on") == date(2025, 6, 30)
    assert parse_date("2025-03-31", "--on") == date(2025, 3, 31)


def test_a_bad_date_is_a_typed_error_naming_the_option(fixed_today: date) -> None:
    with pytest.raises(typer.BadParameter) as raised:
        parse_date("next tuesday", "--year-end")
    assert raised.value.param_hint == "--year-end"
    assert "YYYY-MM-DD" in str(raised.value)
    assert "3 days ago" in str(raised.value)


def test_the_cli_takes_relative_dates(tmp_path: Path, fixed_today: date) -> None:
    db = str(tmp_path / "s.sqlite")
    assert runner.invoke(app, ["db", "upgrade", "--db", db]).exit_code == 0
    ticked = runner.invoke(app, ["tick", "--db", db, "--on", "3 days ago", "--json"])
    assert ticked.exit_code == 0, ticked.output
    assert json.loads(ticked.stdout)["on"] == "2025-06-28"
    default = runner.invoke(app, ["tick", "--db", db, "--json"])
    assert json.loads(default.stdout)["on"] == "2025-07-01"


@pytest.mark.parametrize("option", ["--on", "--to"])
def test_the_cli_refuses_anything_else_naming_the_option(tmp_path: Path, option: str) -> None:
    command = "overdue" if option == "--on" else "report"
    result = runner.invoke(app, [command, "--db", str(tmp_path / "x.sqlite"), option, "soon"])
    assert result.exit_code == 2
    assert option in result.output
    assert "'soon' is not a date" in result.output
    assert "Traceback" not in result.output


def test_the_help_says_what_a_date_may_be() -> None:
    result = runner.invoke(app, ["overdue", "--help"])
    assert "yesterday" in result.output
    assert "3 days ago" in result.output


def _concern(tmp_path: Path) -> str:
    from tests.test_cli import CONCERN, OPEN, invoke, write

    db = str(tmp_path / "cases.sqlite")
    done = invoke("run", str(write(tmp_path / "c.jsonl", OPEN, CONCERN)), "--db", db)
    assert done.exit_code == 0, done.output
    return db  # screening due 2025-12-29


def test_overdue_says_how_late_in_words_for_people_only(tmp_path: Path) -> None:
    db = _concern(tmp_path)
    human = runner.invoke(app, ["overdue", "--db", db, "--on", "2026-02-14"])
    assert "late by" in human.stdout
    assert "1 month 2 weeks 2 days" in human.stdout  # 29 December to 14 February
    as_json = runner.invoke(app, ["overdue", "--db", db, "--on", "2026-02-14", "--json"])
    assert not {"late by", "late_by"} & set(json.loads(as_json.stdout)[0])
    assert "1 month" not in as_json.stdout


def test_case_show_says_when_an_open_deadline_is_due(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = _concern(tmp_path)
    monkeypatch.setattr(_dates, "clock", FixedClock(datetime(2025, 12, 23, 12, tzinfo=UTC)))
    shown = runner.invoke(app, ["case", "show", "P-0001", "--db", db])
    assert "in 6 days" in shown.stdout
    monkeypatch.setattr(_dates, "clock", FixedClock(datetime(2026, 1, 12, 12, tzinfo=UTC)))
    assert "2 weeks ago" in runner.invoke(app, ["case", "show", "P-0001", "--db", db]).stdout
    as_json = runner.invoke(app, ["case", "show", "P-0001", "--db", db, "--json"])
    assert "ago" not in as_json.stdout


@pytest.mark.parametrize(
    ("to", "first"), [("2024-02-29", "2023-03-01"), ("2025-03-31", "2024-04-01")]
)
def test_the_reports_default_period_is_a_calendar_year(tmp_path: Path, to: str, first: str) -> None:
    from tests.test_cli_report import _store

    args = ["report", "--db", str(_store(tmp_path)), "--out", str(tmp_path / "r"), "--to", to]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f", {first} to {to}: " in result.stdout
