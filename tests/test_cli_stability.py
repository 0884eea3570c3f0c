"""`disruption stability`: the JSON contract, series, the --db variant, and bad input."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import attrs
import polars as pl
import pytest
from typer.testing import CliRunner

from disruption.cli import app
from disruption.demo.returns import synthetic_returns
from tests.returns903 import Returns903

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


def _measures(args: list[str]) -> list[dict[str, object]]:
    result = runner.invoke(app, ["stability", *args, "--json"])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]


def _year_ends(first: int, last: int) -> list[str]:
    return [a for y in range(first, last + 1) for a in ("--year-end", f"{y}-03-31")]


def _store_equals_files(folders: list[str], db: str, ends: list[str]) -> None:
    imported = runner.invoke(app, ["import-903", *folders, "--db", db])
    assert imported.exit_code == 0, imported.output
    headers = [a for f in folders for a in ("--header", f"{f}/header.csv")]
    from_files = _measures([*folders, *ends])
    assert _measures(["--db", db, *headers, *ends]) == from_files
    # Without --header: the months of birth the import kept decide the same under-16 test.
    assert _measures(["--db", db, *ends]) == from_files


@pytest.fixture(scope="module")
def short_breaks(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The demo's returns, with every seventh child on short breaks (V3, V4) for a while."""
    history = synthetic_returns(11)
    numbered = history.episodes.with_columns(
        pl.col("CHILD").rank("dense").over(pl.lit(1)).alias("_n")
    )
    on_breaks = (pl.col("_n") % 7 == 0) & (pl.col("DECOM") >= date(2022, 6, 1))
    legal = pl.when(on_breaks).then(
        pl.when(pl.col("_n") % 2 == 0).then(pl.lit("V3")).otherwise(pl.lit("V4"))
    )
    episodes = numbered.with_columns(legal.otherwise(pl.col("LS")).alias("LS")).drop("_n")
    assert episodes.filter(pl.col("LS").is_in(["V3", "V4"])).height > 50
    folder = tmp_path_factory.mktemp("breaks")
    return [str(p) for p in attrs.evolve(history, episodes=episodes).write(folder)]


def test_the_store_equals_the_files_with_short_breaks_every_year_end(
    short_breaks: list[str], tmp_path: Path
) -> None:
    first = int(Path(short_breaks[0]).name)
    ends = _year_ends(first, 2025)
    _store_equals_files(short_breaks, str(tmp_path / "cases.sqlite"), ends)
    # The short breaks matter: without them the figures differ (the test can fail).
    plain = [str(p) for p in synthetic_returns(11).write(tmp_path / "plain")]
    assert _measures([*plain, *ends]) != _measures([*short_breaks, *ends])


def test_the_store_equals_the_files_on_another_tools_returns(
    returns903: Returns903, tmp_path: Path
) -> None:
    folders = [str(p) for p in returns903.folders]
    first = min(returns903.years)
    _store_equals_files(folders, str(tmp_path / "cases.sqlite"), _year_ends(first - 3, first))


def test_months_of_birth_cannot_decide_a_year_end_not_at_a_months_end(
    returns: list[str], tmp_path: Path
) -> None:
    db = str(tmp_path / "cases.sqlite")
    assert runner.invoke(app, ["import-903", *returns, "--db", db]).exit_code == 0
    result = runner.invoke(app, ["stability", "--db", db, "--year-end", "2025-03-30"])
    assert result.exit_code == 2
    assert "--header" in result.output
    headers = [a for r in returns for a in ("--header", f"{r}/header.csv")]
    with_header = ["stability", "--db", db, *headers, "--year-end", "2025-03-30", "--json"]
    from_files = ["stability", *returns, "--year-end", "2025-03-30", "--json"]
    assert runner.invoke(app, with_header).output == runner.invoke(app, from_files).output


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


@pytest.mark.postgres
def test_the_store_equals_the_files_on_postgresql(
    short_breaks: list[str], postgres_url: str
) -> None:
    first = int(Path(short_breaks[0]).name)
    _store_equals_files(short_breaks, postgres_url, _year_ends(first, 2025))


def test_the_report_gives_the_figures_of_the_returns(
    short_breaks: list[str], tmp_path: Path
) -> None:
    # The report's stability table reads the episodes the import kept (legal status included,
    # so short breaks are left out) and the months of birth: the figures of the returns.
    db = str(tmp_path / "cases.sqlite")
    assert runner.invoke(app, ["import-903", *short_breaks, "--db", db]).exit_code == 0
    out = tmp_path / "report"
    args = ["report", "--db", db, "--out", str(out), "--from", "2024-04-01"]
    result = runner.invoke(app, [*args, "--to", "2025-03-31", "--suppress", "none"])
    assert result.exit_code == 0, result.output
    table = pl.read_csv(out / "stability.csv")
    (from_files,) = _measures([*short_breaks, "--year-end", "2025-03-31"])
    published = [(r["children"], r["of"]) for r in table.iter_rows(named=True)]
    expected = [
        (m["numerator"], m["denominator"])  # type: ignore[index]
        for m in (from_files["short_term"], from_files["two_year"], from_files["long_term"])
    ]
    assert published == expected
