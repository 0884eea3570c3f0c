"""Finding the files of several returns and telling their years (`disruption.ssda903.files`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from disruption.exceptions import (
    FileUnreadable,
    ReturnYearClash,
    ReturnYearError,
    ReturnYearUnknown,
)
from disruption.ssda903.files import (
    EPISODES,
    HEADER,
    Dated,
    NameYear,
    ReturnFile,
    as_paths,
    dec_year,
    episodes_dated,
    header_dated,
    locate,
    name_year,
    return_years,
)


def touch(path: Path, text: str = "CHILD\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def decs(*days: date | None) -> pl.Series:
    return pl.Series("dec", list(days), pl.Date)


def test_as_paths_accepts_one_path_or_several(tmp_path: Path) -> None:
    assert as_paths(str(tmp_path)) == [tmp_path]
    assert as_paths(tmp_path) == [tmp_path]
    assert as_paths([str(tmp_path), tmp_path / "a"]) == [tmp_path, tmp_path / "a"]


def test_locate_finds_both_tables_in_folders_and_files_once(tmp_path: Path) -> None:
    folder = tmp_path / "returns"
    e19 = touch(folder / "SSDA903_episodes_2019.CSV")
    h19 = touch(folder / "Header_2019.csv")
    e20 = touch(folder / "episodes_2020.csv")
    touch(folder / "episodes.txt")
    touch(folder / "missing.csv")
    other = touch(tmp_path / "elsewhere" / "my return.csv")
    found = locate([folder, e20, other])
    assert found == [
        ReturnFile(h19, HEADER, folder),
        ReturnFile(e19, EPISODES, folder),
        ReturnFile(e20, EPISODES, folder),
        ReturnFile(other, EPISODES),
    ]
    assert locate([folder], HEADER) == [ReturnFile(h19, HEADER, folder)]
    assert locate([h19], EPISODES) == [ReturnFile(h19, EPISODES)]


def test_missing_path_and_empty_folder_are_unreadable(tmp_path: Path) -> None:
    with pytest.raises(FileUnreadable, match="no such file"):
        locate([tmp_path / "nope.csv"])
    touch(tmp_path / "empty" / "episodes.csv")
    with pytest.raises(FileUnreadable, match="holds no Header CSV"):
        locate([tmp_path / "empty"], HEADER)


@pytest.mark.parametrize(
    ("name", "year", "exact"),
    [
        ("2019-20", 2020, True),
        ("SSDA903_2019_20_episodes.csv", 2020, True),
        ("episodes 201920.csv", 2020, True),
        ("2019-2020 header.csv", 2020, True),
        ("1999-00.csv", 2000, True),
        ("returns_2020", 2020, False),
        ("2019-03-31 extract.csv", 2019, False),
        ("la_2018_v2019.csv", 2019, False),
    ],
)
def test_years_in_names(name: str, year: int, exact: bool) -> None:
    found = name_year(Path("x") / name)
    assert found is not None
    assert (found[0].year, found[0].exact) == (year, exact)


def test_the_file_name_is_read_before_the_folder_name() -> None:
    assert name_year(Path("2018") / "episodes_2019-20.csv") == (
        NameYear(2020, "2019-20", exact=True),
        "name",
    )
    assert name_year(Path("2018") / "episodes.csv") == (
        NameYear(2018, "2018", exact=False),
        "folder's name",
    )
    assert name_year(Path("returns") / "episodes.csv") is None
    assert name_year(Path("x") / "episodes_12345.csv") is None


def test_dec_dates_decide_by_a_majority() -> None:
    assert dec_year(decs(date(2019, 4, 1), date(2020, 3, 31), None)) == (2020, "")
    typo = [date(2019, 6, 1)] * 5 + [date(2091, 6, 1)]
    assert dec_year(decs(*typo)) == (2020, "")
    assert dec_year(decs(None)) == (None, "no DEC date")
    spread = dec_year(decs(date(2019, 6, 1), date(2020, 6, 1)))
    assert spread == (None, "its DEC dates spread over 2019-20 to 2020-21")


@given(st.lists(st.dates(date(1990, 1, 1), date(2090, 1, 1)), min_size=1, max_size=30))
def test_dec_year_is_a_year_more_than_half_the_dates_fall_in(days: list[date]) -> None:
    year, _ = dec_year(decs(*days))
    in_year = {d: d.year + 1 if d.month >= 4 else d.year for d in days}
    counts = {y: sum(1 for d in days if in_year[d] == y) for y in in_year.values()}
    majority = [y for y, n in counts.items() if 2 * n > len(days)]
    assert year == (majority[0] if majority else None)


def test_episodes_year_from_dates_then_name(tmp_path: Path) -> None:
    named = tmp_path / "2019-20" / "episodes.csv"
    assert episodes_dated(named, decs(date(2019, 5, 1))) == Dated(2020, "its DEC dates")
    assert episodes_dated(named, decs(None)) == Dated(2020, "its folder's name 2019-20")
    assert episodes_dated(tmp_path / "e.csv", decs(None)) == Dated(None, "no DEC date")
    wrong = episodes_dated(named, decs(date(2021, 5, 1)))
    assert wrong.year == 2022
    assert wrong.note is not None
    assert "its folder's name says 2019-20" in wrong.note
    # A lone year one below the dates' names the year the return starts in: no note.
    assert episodes_dated(tmp_path / "2019" / "e.csv", decs(date(2019, 5, 1))).note is None
    assert episodes_dated(tmp_path / "2020" / "e.csv", decs(date(2019, 5, 1))).note is None
    assert episodes_dated(tmp_path / "2018" / "e.csv", decs(date(2019, 5, 1))).note is not None


def test_a_header_takes_the_year_of_the_episodes_beside_it(tmp_path: Path) -> None:
    folder = tmp_path / "all"
    e_a, e_b = folder / "episodes_a.csv", folder / "episodes_b.csv"
    years = {e_a: Dated(2020, "x"), e_b: Dated(2021, "y")}
    assert header_dated(folder / "header_a.csv", years).year == 2020
    assert header_dated(folder / "HEADER_B.csv", years).year == 2021
    # No Episodes pairs by name, and two years beside it: the Header's own name, else unknown.
    assert header_dated(folder / "header_2019-20.csv", years).year == 2020
    assert header_dated(folder / "header_c.csv", years).year is None
    # One Episodes year in the folder: a Header whose name holds no year takes it.
    one = {tmp_path / "2019" / "episodes.csv": Dated(2020, "x")}
    assert header_dated(tmp_path / "2019" / "header.csv", one).year == 2020
    assert header_dated(tmp_path / "2019" / "header_x.csv", one).year == 2020
    # Same year in both names, whatever else the names say.
    named = {folder / "SSDA903 Episodes 2019-20.csv": Dated(2020, "x")}
    assert header_dated(folder / "Header 2019-20.csv", named).year == 2020


def test_a_header_alone_reads_the_dates_of_the_episodes_file_on_disk(tmp_path: Path) -> None:
    touch(tmp_path / "a" / "episodes.csv", "CHILD,DECOM,DEC\n1,01/01/2019,08/11/19\n")
    header = touch(tmp_path / "a" / "header.csv")
    found = header_dated(header, {})
    assert found.year == 2020
    assert "episodes.csv" in found.how
    assert header_dated(touch(tmp_path / "b" / "header.csv"), {}).year is None


def test_return_years_are_checked(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert return_years(EPISODES, [(a, Dated(None, "no DEC date"))]) == {a: 0}
    assert return_years(EPISODES, [(a, Dated(2020, "x")), (b, Dated(2019, "y"))]) == {
        a: 2020,
        b: 2019,
    }
    with pytest.raises(ReturnYearUnknown) as unknown:
        return_years(EPISODES, [(a, Dated(2020, "x")), (b, Dated(None, "no DEC date"))])
    assert unknown.value.files == (str(b),)
    assert unknown.value.table == EPISODES
    assert "no DEC date" in str(unknown.value)
    with pytest.raises(ReturnYearClash) as clash:
        return_years(HEADER, [(a, Dated(2020, "its DEC dates")), (b, Dated(2020, "its name"))])
    assert clash.value.files == (str(a), str(b))
    assert clash.value.year == 2020
    assert isinstance(clash.value, ReturnYearError)
    assert "\n" not in str(clash.value)
    assert "2019-20" in str(clash.value)
