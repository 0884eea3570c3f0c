"""`disruption stability`: the JSON contract, series, the --db variant, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from disruption.cli import app
from disruption.demo_returns import synthetic_returns

runner = CliRunner()


@pytest.fixture(scope="module")
def returns(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    folder = tmp_path_factory.mktemp("returns")
    return [str(p) for p in synthetic_returns(7).write(folder)]


def test_one_year_end_prints_one_object(returns: list[str]) -> None:
    result = runner.invoke(app, ["stability", *returns, "--year-end", "2025-03-31", "--json"])
    assert result.exit_code == 0, result.output
    measures = json.loads(result.output)
    assert set(measures) == {"year_end", "short_term", "two_year", "long_term"}
    assert measures["year_end"] == "2025-03-31"
    assert measures["short_term"] == {"numerator": 82, "denominator": 683, "percent": 12.0}
    assert measures["long_term"]["percent"] == pytest.approx(64.0, abs=3)


def test_repeated_year_ends_print_one_line_each(returns: list[str]) -> None:
    args = ["stability", *returns, "--year-end", "2024-03-31", "--year-end", "2025-03-31"]
    result = runner.invoke(app, [*args, "--json"])
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["year_end"] for line in lines] == ["2024-03-31", "2025-03-31"]


def test_the_store_gives_the_same_figures_as_the_files(returns: list[str], tmp_path: Path) -> None:
    db = str(tmp_path / "cases.sqlite")
    assert runner.invoke(app, ["import-903", *returns, "--db", db]).exit_code == 0
    headers = [f"{r}/header.csv" for r in returns]
    args = ["stability", "--db", db, "--year-end", "2025-03-31", "--json"]
    from_store = json.loads(
        runner.invoke(app, [*args, *(a for h in headers for a in ("--header", h))]).output
    )
    from_files = json.loads(
        runner.invoke(app, ["stability", *returns, "--year-end", "2025-03-31", "--json"]).output
    )
    assert from_store == from_files


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--year-end", "31/03/2025"], "YYYY-MM-DD"),
        ([], "--year-end"),
    ],
)
def test_bad_options_exit_2(returns: list[str], args: list[str], message: str) -> None:
    result = runner.invoke(app, ["stability", *returns, *args])
    assert result.exit_code == 2
    assert message in result.output


def test_an_unreadable_file_exits_2(tmp_path: Path) -> None:
    missing = str(tmp_path / "none" / "episodes.csv")
    result = runner.invoke(app, ["stability", missing, "--year-end", "2025-03-31"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
