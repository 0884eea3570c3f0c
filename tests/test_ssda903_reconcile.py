from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import polars as pl

from disruption.ssda903 import Finding, read_episodes, reconcile
from disruption.ssda903.reconcile import reconciled

HEAD = (
    "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN"
)


def load(tmp_path: Path, *years: str) -> tuple[pl.DataFrame, list[Finding]]:
    paths = []
    for i, rows in enumerate(years):
        # Named by return (2018-19, 2019-20, ...): a file without DEC dates is read as its
        # name says; one with them, as they say.
        p = tmp_path / f"{2018 + i}-{19 + i}" / "episodes.csv"
        p.parent.mkdir()
        p.write_text(HEAD + "\n" + rows, encoding="utf-8")
        paths.append(p)
    df, _ = read_episodes(paths)
    return reconcile(df)


def test_a_latest_return_wins(tmp_path: Path) -> None:
    old = "1,01/04/2019,S,C2,N1,U1,PR1,,,,,,\n"
    new = "1,01/04/2019,S,C2,N1,U4,PR1,01/06/2019,E11,,,,\n"
    df, findings = load(tmp_path, old, new)
    assert df["place"].to_list() == ["U4"]
    assert [(f.file, f.row, f.rule) for f in findings] == [
        (str(tmp_path / "2018-19" / "episodes.csv"), 2, "reconcile-duplicate")
    ]


def test_a_names_what_the_later_return_changed(tmp_path: Path) -> None:
    old = "1,01/04/2019,S,C2,N1,U1,PR1,,,,,,\n"
    new = "1,01/04/2019,S,C2,N1,U4,PR1,01/06/2019,E11,,,,\n"
    _, findings = load(tmp_path, old, new)
    assert findings[0].message == (
        f"episode of CHILD 1 starting 01/04/2019 is given again at "
        f"{tmp_path / '2019-20' / 'episodes.csv'} line 2 (a later return), with another PLACE, "
        "DEC, REC; this row is dropped"
    )


def test_a_row_repeated_unchanged_is_dropped_without_a_finding(tmp_path: Path) -> None:
    # An episode open across the year end is in both returns, unchanged: nothing to report.
    row = "1,01/04/2019,S,C2,N1,U1,PR1,,,,,,\n"
    df, findings = load(tmp_path, row, row)
    assert df.height == 1
    assert findings == []


def test_b_open_episode_closed_at_next_decom(tmp_path: Path) -> None:
    rows = "1,01/04/2019,S,C2,N1,U1,PR1,,X1,,,,\n1,01/06/2019,P,C2,N1,U4,PR1,,,,,,\n"
    df, findings = load(tmp_path, rows)
    assert df["dec"].to_list() == [date(2019, 6, 1), None]
    assert [(f.row, f.column, f.rule) for f in findings] == [(2, "DEC", "reconcile-open-closed")]


def test_c_overlap_cut_back(tmp_path: Path) -> None:
    rows = "1,01/04/2019,S,C2,N1,U1,PR1,01/07/2019,X1,,,,\n1,01/06/2019,P,C2,N1,U4,PR1,,,,,,\n"
    df, findings = load(tmp_path, rows)
    assert df["dec"].to_list() == [date(2019, 6, 1), None]
    assert [(f.row, f.rule) for f in findings] == [(2, "reconcile-overlap")]


def test_steps_run_in_order(tmp_path: Path) -> None:
    # The old return's open episode is replaced (a) by a closed one that overlaps (c).
    old = "1,01/04/2019,S,C2,N1,U1,PR1,,,,,,\n"
    new = "1,01/04/2019,S,C2,N1,U1,PR1,01/09/2019,X1,,,,\n1,01/06/2019,P,C2,N1,U4,PR1,,,,,,\n"
    df, findings = load(tmp_path, old, new)
    assert df["dec"].to_list() == [date(2019, 6, 1), None]
    assert [f.rule for f in findings] == ["reconcile-duplicate", "reconcile-overlap"]


def test_rec_without_dec_stays_open(tmp_path: Path) -> None:
    df, findings = load(tmp_path, "1,01/04/2019,S,C2,N1,U1,PR1,,E11,,,,\n")
    assert df["dec"].to_list() == [None]
    assert df["rec"].to_list() == ["E11"]
    assert [(f.row, f.column, f.rule) for f in findings] == [(2, "REC", "rec-without-dec")]


def test_clean_history_unchanged(tmp_path: Path) -> None:
    rows = "1,01/04/2019,S,C2,N1,U1,PR1,01/06/2019,X1,CARPL,,,\n1,01/06/2019,P,C2,N1,U4,PR1,,,,,,\n"
    df, findings = load(tmp_path, rows)
    assert findings == []
    assert df.height == 2


def test_duplicate_messages_write_dates_as_python_does() -> None:
    module = sys.modules["disruption.ssda903.reconcile"]
    days = [date(5, 1, 2), date(2020, 3, 4)]
    for given in (days, days[1:], []):
        text = module._day_text(pl.Series(given, dtype=pl.Date))
        assert text.to_list() == [f"{d:%d/%m/%Y}" for d in given]


def test_reconciled_told_sorted_equals_reconcile(tmp_path: Path) -> None:
    # One return in CHILD, DECOM, line order, with a duplicate, an open episode and an
    # overlap: told it is sorted, reconciling skips the check and gives the same result.
    rows = (
        "1,01/04/2019,S,C2,N1,U1,PR1,,X1,,,,\n"
        "1,01/06/2019,P,C2,N1,U4,PR1,01/09/2019,X1,,,,\n"
        "1,01/06/2019,P,C2,N1,U5,PR1,01/09/2019,X1,,,,\n"
        "1,01/08/2019,P,C2,N1,U6,PR1,,,,,,\n"
        "2,01/05/2019,S,C2,N1,U1,PR1,,E11,,,,\n"
    )
    p = tmp_path / "2019-20" / "episodes.csv"
    p.parent.mkdir()
    p.write_text(HEAD + "\n" + rows, encoding="utf-8")
    df, _ = read_episodes([p])
    df, findings = reconciled(df, sorted_already=True)
    expected_df, expected = reconcile(read_episodes([p])[0])
    assert df.equals(expected_df)
    assert findings == expected
    assert [f.rule for f in findings] == [
        "reconcile-duplicate",
        "reconcile-open-closed",
        "reconcile-overlap",
        "rec-without-dec",
    ]
