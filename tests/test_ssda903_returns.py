"""Returns in any shape: files, folders or a mix, any number of years, any order.

The same files give the same findings, episodes and stability figures however they are given;
each file is read as the return its dates (or name) say, and a later return wins over an
earlier one whatever the lines. Returns are generated here (`disruption.demo.returns` writes
one folder per year); nothing is read from outside the repository.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from disruption.analysis.stability import stability
from disruption.cli import app
from disruption.demo.returns import Returns
from disruption.exceptions import ReturnYearClash, ReturnYearUnknown
from disruption.ssda903 import Report, check_files, read_episodes
from tests.returns903 import Returns903
from tests.strategies import child_histories

HEAD = (
    "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN"
)
LAST_DAY = date(2025, 3, 31)  # the demo writer's last return ends here
runner = CliRunner()


def build_returns(children: list[Any]) -> Returns:
    """The children's histories as the demo's `Returns`: episodes and header rows."""
    rows: list[tuple[object, ...]] = []
    header: list[tuple[object, ...]] = []
    for c, (offset, stays, leaves, ls, age) in enumerate(children):
        ref = f"C{c:03d}"
        start = date(2016, 4, 1) + timedelta(days=offset)
        header.append((ref, "1", start - timedelta(days=365 * age + 40), "WBRI", "A1"))
        day = start
        for i, (length, place) in enumerate(stays):
            end: date | None = day + timedelta(days=length)
            last = i == len(stays) - 1
            assert end is not None
            if end > LAST_DAY or (last and not leaves):
                end = None
            rec = None if end is None else ("E11" if last else "X1")
            reason = "CARPL" if rec == "X1" else None
            rne = "S" if i == 0 else "P"
            urn = f"SC{c:03d}{i}"
            rows.append(
                (ref, day, rne, ls, "N1", place, "PR1", end, rec, reason, "TS1 1AA", "TS3 1AB", urn)
            )
            if end is None:
                break
            day = end
    schema: dict[str, pl.DataType] = dict.fromkeys(HEAD.split(","), pl.String())
    schema.update(DECOM=pl.Date(), DEC=pl.Date())
    episodes = pl.DataFrame(rows, schema=schema, orient="row")
    columns = {"CHILD": pl.String, "SEX": pl.String, "DOB": pl.Date, "ETHNIC": pl.String}
    heads = pl.DataFrame(header, schema={**columns, "UPN": pl.String}, orient="row")
    heads = heads.with_columns(
        pl.lit(None, pl.String).alias("MOTHER"), pl.lit(None, pl.Date).alias("MC_DOB")
    )
    return Returns(episodes, heads, 0)


def label(year: int) -> str:
    return f"{year - 1}-{year % 100:02d}"


def lay_out(returns: Returns, root: Path, mixed: set[int]) -> dict[Path, list[Path]]:
    """Write one folder per year, then move the years in ``mixed`` into one folder.

    Returns:
        Each folder and the CSV files it holds.
    """
    folders = returns.write(root / "years")
    together = root / "mixed"
    for folder in folders:
        year = int(folder.name)
        if year in mixed:
            together.mkdir(exist_ok=True)
            for table in ("episodes", "header"):
                name = f"SSDA903_{label(year)}_{table.title()}.csv"
                shutil.move(folder / f"{table}.csv", together / name)
            folder.rmdir()
    return {
        f: sorted(f.iterdir())
        for f in [*(f for f in folders if f.exists()), together]
        if f.exists()
    }


def figures(report: Report) -> list[dict[str, Any]]:
    return [stability(report.episodes, report.header, date(y, 3, 31)) for y in (2019, 2022, 2025)]


def same(a: Report, b: Report) -> None:
    assert a.findings == b.findings
    assert a.episodes.equals(b.episodes)
    assert a.header is not None
    assert b.header is not None
    assert a.header.equals(b.header)
    assert figures(a) == figures(b)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    children=st.lists(child_histories, min_size=1, max_size=6),
    mixed=st.sets(st.integers(2017, 2025)),
    as_folder=st.lists(st.booleans(), min_size=11, max_size=11),
    data=st.data(),
)
def test_the_same_files_in_any_shape_give_the_same_findings_and_figures(
    children: list[Any], mixed: set[int], as_folder: list[bool], data: st.DataObject
) -> None:
    returns = build_returns(children)
    with tempfile.TemporaryDirectory() as tmp:
        held = lay_out(returns, Path(tmp), mixed)
        files = [f for fs in held.values() for f in fs]
        folders = list(held)
        mix = [
            p
            for (folder, fs), whole in zip(held.items(), as_folder, strict=False)
            for p in ([folder] if whole else fs)
        ]
        baseline = check_files(folders)
        for shape in (files, folders, mix):
            given_as = data.draw(st.permutations(shape))
            same(check_files(given_as), baseline)
        # The history read back is the one written: later returns won.
        truth = returns.episodes.select(
            pl.col("CHILD").alias("child"), pl.col("DECOM").alias("decom"),
            pl.col("DEC").alias("dec"), pl.col("REC").alias("rec"),
        ).sort("child", "decom")  # fmt: skip
        read = baseline.episodes.select("child", "decom", "dec", "rec").sort("child", "decom")
        assert read.equals(truth)
        assert set(baseline.episodes["_return"].to_list()) <= set(range(2017, 2026))


def write(path: Path, rows: str, head: str = HEAD) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{head}\n{rows}", encoding="utf-8")
    return path


def test_a_later_return_wins_whatever_the_lines_and_names(tmp_path: Path) -> None:
    # One folder, two returns; the older return's row is on a later line, in a file whose
    # name sorts after the newer one's.
    folder = tmp_path / "returns"
    older = write(
        folder / "episodes_b.csv",
        "2,01/05/2019,S,C2,N1,U1,PR1,01/06/2019,X1,CARPL,,,\n"
        "2,01/06/2019,P,C2,N1,U4,PR1,,,,,,\n"
        "1,01/06/2019,S,C2,N1,U1,PR1,,,,,,\n",
    )
    newer = write(folder / "episodes_a.csv", "1,01/06/2019,S,C2,N1,U1,PR1,01/07/2020,E11,,,,\n")
    for given_as in ([folder], [older, newer], [newer, older]):
        report = check_files(given_as)
        one = report.episodes.filter(pl.col("child") == "1")
        assert one.select("dec", "rec", "_return").rows() == [(date(2020, 7, 1), "E11", 2021)]
        dropped = [f for f in report.findings if f.rule == "reconcile-duplicate"]
        assert [(f.file, f.row) for f in dropped] == [(str(older), 4)]
        assert f"{newer} line 2 (a later return)" in dropped[0].message


def test_a_folder_of_several_years_is_split_by_year(tmp_path: Path) -> None:
    folder = tmp_path / "all"
    write(folder / "Episodes x.csv", "1,01/05/2018,S,C2,N1,U1,PR1,01/06/2018,E11,,,,\n")
    write(folder / "Episodes y.csv", "2,01/05/2019,S,C2,N1,U1,PR1,01/06/2019,E11,,,,\n")
    write(
        folder / "Episodes z.csv",
        "3,01/05/2020,S,C2,N1,U1,PR1,,,,,,\n",
    )
    write(folder / "header y.csv", "1,1,01/01/2010\n2,1,01/01/2011\n", "CHILD,SEX,DOB")
    write(folder / "header x.csv", "1,1,01/01/2009\n", "CHILD,SEX,DOB")
    # z has no DEC date and no year in its name: with other returns, its year is unknown.
    with pytest.raises(ReturnYearUnknown) as unknown:
        check_files([folder])
    assert unknown.value.files == (str(folder / "Episodes z.csv"),)
    (folder / "Episodes z.csv").rename(folder / "Episodes z 2020-21.csv")
    report = check_files([folder])
    assert dict(report.episodes.select("child", "_return").rows()) == {
        "1": 2019,
        "2": 2020,
        "3": 2021,
    }
    assert report.header is not None
    assert report.header.select("child", "_return").rows() == [("1", 2019), ("1", 2020),
                                                               ("2", 2020)]  # fmt: skip
    # The newest return's Header wins: the later row.
    assert report.header.filter(pl.col("child") == "1")["dob"].to_list()[-1] == date(2010, 1, 1)
    missing = [f for f in report.findings if f.rule == "header-missing"]
    assert [f.file for f in missing] == [str(folder / "Episodes z 2020-21.csv")]


def test_two_files_claiming_one_year_are_refused(tmp_path: Path) -> None:
    rows = "1,01/05/2019,S,C2,N1,U1,PR1,01/06/2019,E11,,,,\n"
    a = write(tmp_path / "a" / "episodes.csv", rows)
    b = write(tmp_path / "b" / "episodes.csv", rows.replace("E11", "E12"))
    with pytest.raises(ReturnYearClash) as clash:
        check_files([b, a])
    assert clash.value.files == (str(a), str(b))
    assert clash.value.year == 2020
    # The same file given twice (itself and in its folder) is read once.
    assert check_files([a, tmp_path / "a", a]).episodes.height == 1


def test_a_lone_file_needs_no_year(tmp_path: Path) -> None:
    df, _ = read_episodes(write(tmp_path / "e.csv", "1,01/05/2019,S,C2,N1,U1,PR1,,,,,,\n"))
    assert df["_return"].to_list() == [0]


def test_a_name_that_disagrees_with_the_dates_is_a_finding(tmp_path: Path) -> None:
    rows = "1,01/05/2019,S,C2,N1,U1,PR1,01/06/2019,E11,,,,\n"
    path = write(tmp_path / "episodes_2017-18.csv", rows)
    report = check_files([path])
    notes = [f for f in report.findings if f.rule == "return-year"]
    assert len(notes) == 1
    assert "2019-20" in notes[0].message
    assert "2017-18" in notes[0].message
    assert report.episodes["_return"].to_list() == [2020]


@pytest.mark.parametrize("command", ["validate-903", "import-903", "stability"])
def test_commands_refuse_a_clash_in_one_line_and_exit_2(command: str, tmp_path: Path) -> None:
    rows = "1,01/05/2019,S,C2,N1,U1,PR1,01/06/2019,E11,,,,\n"
    a = write(tmp_path / "a" / "episodes.csv", rows)
    b = write(tmp_path / "b" / "episodes_2019-20.csv", rows)
    db = tmp_path / "cases.sqlite"
    extra = {"import-903": ["--db", str(db)], "stability": ["--year-end", "2020-03-31"]}
    result = runner.invoke(app, [command, str(a), str(b), *extra.get(command, [])])
    assert result.exit_code == 2, result.output
    message = result.stderr.strip() if result.stderr_bytes else result.output.strip()
    assert str(a) in message
    assert "2019-20" in message
    assert "Traceback" not in result.output
    assert not db.exists()


def test_stability_on_a_folder_of_years_equals_the_files_one_by_one(tmp_path: Path) -> None:
    children = [
        (i * 97 % 2900, [(200 + i * 13 % 500, "U1"), (300, "U4"), (150, "K2")], i % 2 == 0, "C2", 8)
        for i in range(30)
    ]
    held = lay_out(build_returns(children), tmp_path, set(range(2017, 2026)))
    (folder,) = held
    ends = ["--year-end", "2021-03-31", "--year-end", "2024-03-31", "--json"]
    whole = runner.invoke(app, ["stability", str(folder), *ends])
    assert whole.exit_code == 0, whole.output
    files = [str(f) for f in reversed(held[folder])]
    one_by_one = runner.invoke(app, ["stability", *files, *ends])
    assert one_by_one.output == whole.output


def test_a_header_that_cannot_be_read_leaves_the_others(tmp_path: Path) -> None:
    write(tmp_path / "2019-20" / "episodes.csv", "1,01/05/2019,S,C2,N1,U1,PR1,01/06/2019,X1,,,,\n")
    write(tmp_path / "2020-21" / "episodes.csv", "1,01/06/2019,P,C2,N1,U4,PR1,,,,,,\n")
    write(tmp_path / "2019-20" / "header.csv", "1,1,01/01/2010\n", "CHILD,SEX,DOB")
    bad = write(tmp_path / "2020-21" / "header.csv", "1,01/01/2010\n", "SEX,DOB")
    report = check_files(sorted(tmp_path.iterdir()))
    assert report.header is not None
    assert report.header["_return"].to_list() == [2020]
    assert [(f.file, f.rule) for f in report.findings if f.row is None] == [
        (str(tmp_path / "2020-21" / "episodes.csv"), "header-missing"),
        (str(bad), "file-unreadable"),
    ]


def test_another_tools_returns_in_any_shape(returns903: Returns903) -> None:
    # Returns another tool wrote (the shared ones: in folders named by the year each starts in).
    older, newer = returns903.folders
    folders = [newer, older]
    files = [newer / "header.csv", older / "episodes.csv",
             older / "header.csv", newer / "episodes.csv"]  # fmt: skip
    baseline = check_files(folders)
    assert set(baseline.episodes["_return"].to_list()) == returns903.years
    assert not [f for f in baseline.findings if f.rule in ("return-year", "header-missing")]
    for given_as in (files, [files[0], older, files[3]], list(reversed(folders))):
        report = check_files(given_as)
        assert report.findings == baseline.findings
        assert report.episodes.equals(baseline.episodes)
        for y in sorted(returns903.years):
            day = date(y, 3, 31)
            assert stability(report.episodes, report.header, day) == stability(
                baseline.episodes, baseline.header, day
            )
