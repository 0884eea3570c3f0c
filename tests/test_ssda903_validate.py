from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from disruption.ssda903 import Finding, check_files, read_episodes, read_header, validate

HEAD = (
    "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN"
)


def check(tmp_path: Path, rows: str) -> list[Finding]:
    p = tmp_path / "episodes.csv"
    p.write_text(HEAD + "\n" + rows, encoding="utf-8")
    df, _ = read_episodes(p)
    return validate(df)


def hits(findings: list[Finding], rule: str) -> set[tuple[int | None, str | None]]:
    return {(f.row, f.column) for f in findings if f.rule == rule}


CASES = {
    # rule: (rows, expected (row, column) for that rule)
    "142": (
        "1,01/04/2020,S,C2,N1,U1,PR1,01/05/2020,,,,,\n1,01/05/2020,P,C2,N1,U4,PR1,,,CARPL,,,\n",
        {(2, "REC")},
    ),
    "148": (
        "1,01/04/2020,S,C2,N1,U1,PR1,01/05/2020,,,,,\n2,01/04/2020,S,C2,N1,U1,PR1,,E11,,,,\n"
        "3,01/04/2020,S,C2,N1,U1,PR1,01/05/2020,E11,,,,\n",
        {(2, "REC"), (3, "DEC")},
    ),
    "225": (
        "1,01/04/2020,S,C2,N1,U1,PR1,01/05/2020,X1,,,,\n1,01/05/2020,P,C2,N1,U4,PR1,,,,,,\n"
        "2,01/04/2020,S,C2,N1,U1,PR1,01/05/2020,X1,,,,\n2,01/05/2020,P,C2,N1,T1,,,,,,,\n"
        "3,01/04/2020,S,C2,N1,U1,PR1,01/05/2020,X1,,,,\n3,01/05/2020,L,C1,N1,U1,PR1,,,,,,\n",
        {(2, "REASON_PLACE_CHANGE")},
    ),
    "226": (
        # Flagged on the temporary placement's own row, for its own reason or the one before.
        "1,01/04/2020,S,C2,N1,U1,PR1,01/05/2020,X1,CARPL,,,\n"
        "1,01/05/2020,T,C2,N1,T2,,06/05/2020,X1,,,,\n"
        "2,01/04/2020,S,C2,N1,U1,PR1,01/05/2020,X1,,,,\n"
        "2,01/05/2020,T,C2,N1,T2,,06/05/2020,X1,OTHER,,,\n"
        "3,01/04/2020,S,C2,N1,U1,PR1,01/05/2020,X1,,,,\n"
        "3,01/05/2020,T,C2,N1,T2,,06/05/2020,X1,,,,\n",
        {(3, "REASON_PLACE_CHANGE"), (5, "REASON_PLACE_CHANGE")},
    ),
    "233": (
        "1,01/04/2020,S,C2,N1,U1,PR1,,,CARPL,,,\n2,01/04/2020,S,C2,N1,U1,PR1,02/04/2020,E11,CARPL,,,\n",
        {(2, "REASON_PLACE_CHANGE")},
    ),
    "355": (
        "1,01/04/2020,S,C2,N1,U1,PR1,01/04/2020,E11,,,,\n2,01/04/2020,S,C2,N1,U1,PR1,02/04/2020,E11,,,,\n",
        {(2, "DEC")},
    ),
    "356": (
        "1,01/04/2020,S,C2,N1,U1,PR1,31/03/2020,E11,,,,\n2,01/04/2020,S,C2,N1,U1,PR1,02/04/2020,E11,,,,\n",
        {(2, "DEC")},
    ),
    "433": (
        "1,01/04/2020,S,C2,N1,U1,PR1,01/05/2020,X1,CARPL,,,\n1,02/05/2020,P,C2,N1,U4,PR1,,,,,,\n"
        "2,01/04/2020,S,C2,N1,U1,PR1,01/05/2020,E11,,,,\n2,02/05/2020,S,C2,N1,U4,PR1,,,,,,\n",
        {(3, "DECOM")},
    ),
    "501": (
        "1,01/04/2020,S,C2,N1,U1,PR1,10/05/2020,X1,CARPL,,,\n1,01/05/2020,P,C2,N1,U4,PR1,,,,,,\n",
        {(3, "DECOM")},
    ),
    "353": (
        "1,13/10/1991,S,C2,N1,U1,PR1,,,,,,\n2,14/10/1991,S,C2,N1,U1,PR1,,,,,,\n",
        {(2, "DECOM")},
    ),
    "357": (
        # The return's year is 2020-21 (its latest date); child 2 entered before it.
        "1,01/05/2020,P,C2,N1,U1,PR1,,,,,,\n2,01/03/2020,P,C2,N1,U1,PR1,,,,,,\n",
        {(2, "RNE")},
    ),
    "365": (
        "1,01/04/2020,S,V3,N1,U6,PR1,18/04/2020,E13,,,,\n"
        "2,01/04/2020,S,V3,N1,U6,PR1,19/04/2020,E13,,,,\n",
        {(3, "DEC")},
    ),
    "366": ("1,01/04/2020,P,V3,N1,U6,PR1,02/04/2020,E13,,,,\n", {(2, "RNE")}),
    "380": ("1,01/04/2020,T,C2,N1,T1,,,,,,,\n2,01/04/2020,P,C2,N1,T1,,,,,,,\n", {(2, "RNE")}),
    "381": ("1,01/04/2020,P,C2,N1,T1,,02/04/2020,E13,,,,\n", {(2, "REC")}),
    "382": ("1,01/04/2020,S,V4,N1,T1,,,,,,,\n", {(2, "PLACE")}),
    "383": (
        "1,01/04/2020,S,C2,N1,U1,PR1,01/05/2020,X1,,,,\n1,01/05/2020,P,C2,N1,T1,,03/05/2020,X1,,,,\n"
        "1,03/05/2020,P,C2,N1,U4,PR1,,,,,,\n",
        {(4, "PLACE")},
    ),
    "384": ("1,01/04/2020,S,V3,N1,U4,PR1,,,,,,\n", {(2, "PLACE")}),
    "388": (
        "1,01/04/2020,S,C2,N1,U1,PR1,01/05/2020,X1,CARPL,,,\n1,03/05/2020,P,C2,N1,U4,PR4,,,,,,\n"
        "2,01/04/2020,S,C2,N1,U1,PR1,01/05/2020,E13,,,,\n2,01/05/2020,P,C2,N1,U4,PR4,,,,,,\n"
        "3,01/04/2020,S,C2,N1,U1,PR1,01/05/2020,X1,,,,\n",
        {(2, "REC"), (4, "REC"), (6, "REC")},
    ),
    "426": (
        "1,01/04/2020,S,V3,N1,U6,PR1,02/04/2020,E13,,,,\n1,01/06/2020,S,V4,N1,U6,PR1,,,,,,\n",
        {(2, "LS"), (3, "LS")},
    ),
    "431": (
        "1,01/04/2020,S,C2,N1,U1,PR1,01/05/2020,E13,,,,\n1,01/05/2020,S,C2,N1,U4,PR4,,,,,,\n",
        {(3, "RNE")},
    ),
    "432": (
        "1,01/04/2020,S,C2,N1,U1,PR1,01/05/2020,E13,,,,\n1,01/06/2020,P,C2,N1,U4,PR4,,,,,,\n",
        {(3, "RNE")},
    ),
    "434": (
        "1,01/04/2020,S,C2,N1,U1,PR1,01/05/2020,X1,,,,\n1,01/05/2020,L,C2,N1,U1,PR1,,,,,,\n"
        "2,01/04/2020,S,C2,N1,U1,PR1,01/05/2020,X1,,,,\n2,01/05/2020,L,C1,N1,U4,PR1,,,,,,\n"
        "3,01/04/2020,S,C2,N1,U1,PR1,01/05/2020,X1,,,,\n3,01/05/2020,L,C1,N1,U1,PR1,,,,,,\n",
        {(3, "RNE"), (5, "RNE")},
    ),
    "435": (
        "1,01/04/2020,S,C2,N1,U1,PR1,01/05/2020,X1,CARPL,,,\n1,01/05/2020,P,C1,N1,U4,PR1,,,,,,\n"
        "2,01/04/2020,S,C2,N1,U1,PR1,01/05/2020,X1,CARPL,,,\n2,01/05/2020,P,C2,N1,U1,PR1,,,,,,\n",
        {(3, "RNE")},
    ),
    "436": (
        "1,01/04/2020,S,C2,N1,U1,PR1,01/05/2020,X1,CARPL,,,\n1,01/05/2020,B,C2,N1,U4,PR1,,,,,,\n"
        "2,01/04/2020,S,C2,N1,U1,PR1,01/05/2020,X1,CARPL,,,\n2,01/05/2020,B,C1,N1,U1,PR1,,,,,,\n",
        {(3, "RNE"), (5, "RNE")},
    ),
    "437": (
        "1,01/04/2020,S,C2,N1,U1,PR1,01/05/2020,E15,,,,\n1,01/05/2020,S,C2,N1,U4,PR1,,,,,,\n",
        {(2, "REC")},
    ),
    "504": (
        "1,01/04/2020,S,C2,N1,U1,PR1,01/05/2020,X1,,,,\n1,01/05/2020,L,C1,N2,U1,PR1,,,,,,\n",
        {(3, "CIN")},
    ),
    "178-no-provider": (
        "1,01/04/2020,P,C2,N1,T1,PR1,,,,,,\n2,01/04/2020,P,C2,N1,T1,,,,,,,\n",
        {(2, "PLACE_PROVIDER")},
    ),
    "526": (
        "1,01/04/2020,S,C2,N1,U1,,,,,,,\n2,01/04/2020,P,C2,N1,T1,,,,,,,\n",
        {(2, "PLACE_PROVIDER")},
    ),
    "527": (
        "1,01/04/2020,S,C2,N1,R2,PR1,,,,,,\n2,01/04/2020,S,C2,N1,U1,PR1,,,,,,\n",
        {(2, "PLACE_PROVIDER")},
    ),
    "529": (
        "1,01/04/2020,S,C2,N1,K2,PR3,,,,,,\n2,01/04/2020,S,C2,N1,R1,PR3,,,,,,\n",
        {(2, "PLACE_PROVIDER")},
    ),
    "550": (
        "1,01/04/2020,S,C2,N1,U1,PR0,,,,,,\n2,01/04/2020,S,C2,N1,P1,PR0,,,,,,\n",
        {(2, "PLACE_PROVIDER")},
    ),
    "143": ("1,01/04/2020,Q,C2,N1,U1,PR1,,,,,,\n", {(2, "RNE")}),
    "144": ("1,01/04/2020,S,ZZ,N1,U1,PR1,,,,,,\n", {(2, "LS")}),
    "146": (
        # K3 is valid from collection year 2024 (DECOM on or after 1 April 2023).
        "1,31/03/2023,S,C2,N1,K3,PR1,,,,,,\n2,01/04/2023,S,C2,N1,K3,PR1,,,,,,\n",
        {(2, "PLACE")},
    ),
    "149": ("1,01/04/2020,S,C2,N1,U1,PR1,02/04/2020,X9,,,,\n", {(2, "REC")}),
    "178": ("1,01/04/2020,S,C2,N1,U1,PR9,,,,,,\n", {(2, "PLACE_PROVIDER")}),
    "code-REASON_PLACE_CHANGE": (
        # CUSTOD is valid from collection year 2019.
        "1,01/04/2017,S,C2,N1,U1,PR1,02/04/2017,X1,CUSTOD,,,\n"
        "2,01/04/2018,S,C2,N1,U1,PR1,02/04/2018,X1,CUSTOD,,,\n",
        {(2, "REASON_PLACE_CHANGE")},
    ),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule(tmp_path: Path, rule: str) -> None:
    rows, expected = CASES[rule]
    findings = check(tmp_path, rows)
    rule = rule.split("-no-")[0]
    assert hits(findings, rule) == expected
    found = next(f for f in findings if f.rule == rule)
    assert found.file == str(tmp_path / "episodes.csv")
    assert found.message


def test_clean_history_has_no_findings(tmp_path: Path) -> None:
    rows = (
        "1,01/04/2020,S,C2,N1,U1,PR1,01/05/2020,X1,CARPL,,,\n"
        "1,01/05/2020,L,C1,N1,U1,PR1,01/06/2020,X1,CARPL,,,\n"
        "1,01/06/2020,P,C1,N1,U4,PR4,,,,,,\n"
    )
    assert check(tmp_path, rows) == []


def test_lower_case_codes_are_valid(tmp_path: Path) -> None:
    assert check(tmp_path, "1,01/04/2020,s,c2,n1,u1,pr1,,,,,,\n") == []


def test_child_not_in_header(tmp_path: Path) -> None:
    p = tmp_path / "episodes.csv"
    p.write_text(HEAD + "\n1,01/04/2020,S,C2,N1,U1,PR1,,,,,,\n2,01/04/2020,S,C2,N1,U1,PR1,,,,,,\n")
    h = tmp_path / "header.csv"
    h.write_text("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n1,1,01/01/2010,WBRI,,,\n")
    episodes, _ = read_episodes(p)
    header, _ = read_header(h)
    assert hits(validate(episodes, header), "child-not-in-header") == {(3, "CHILD")}


def test_an_episode_before_the_childs_birth_is_reported_not_dropped(tmp_path: Path) -> None:
    p = tmp_path / "episodes.csv"
    p.write_text(HEAD + "\n1,01/04/2020,S,C2,N1,U1,PR1,,,,,,\n2,01/04/2020,S,C2,N1,U1,PR1,,,,,,\n")
    h = tmp_path / "header.csv"
    h.write_text(
        "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n1,1,02/04/2020,WBRI,,,\n2,1,01/04/2020,WBRI,,,\n"
    )
    episodes, _ = read_episodes(p)
    header, _ = read_header(h)
    found = [f for f in validate(episodes, header) if f.rule == "decom-before-dob"]
    assert [(f.row, f.column, f.child) for f in found] == [(2, "DECOM", "1")]
    assert "02/04/2020" not in found[0].message  # the date of birth is not repeated
    assert check_files([p, h]).episodes.height == 2  # reported, not dropped


def test_rec_and_reason_are_judged_by_the_year_of_dec(tmp_path: Path) -> None:
    # E46 is valid from collection year 2018 (1 April 2017): recorded on DEC 21/04/2017.
    # CUSTOD is valid from 2019: recorded on DEC 02/04/2018 it is valid, on 30/03/2018 not.
    rows = (
        "1,19/06/2016,S,C2,N1,U1,PR1,21/04/2017,E46,,,,\n"
        "2,19/06/2016,S,C2,N1,U1,PR1,30/03/2017,E46,,,,\n"
        "3,01/03/2018,S,C2,N1,U1,PR1,02/04/2018,X1,CUSTOD,,,\n"
        "4,01/03/2018,S,C2,N1,U1,PR1,30/03/2018,X1,CUSTOD,,,\n"
    )
    findings = check(tmp_path, rows)
    assert hits(findings, "149") == {(3, "REC")}
    assert hits(findings, "code-REASON_PLACE_CHANGE") == {(5, "REASON_PLACE_CHANGE")}
    rec = next(f for f in findings if f.rule == "149")
    assert rec.message == "REC 'E46' is not a valid REC code in collection year 2016-17; row kept"


def test_each_return_is_checked_on_its_own(tmp_path: Path) -> None:
    # The same child in two returns: the 2020-21 return's first episode is not compared with
    # the 2019-20 return's last (the DfE checks each return alone). The folders' names give
    # the returns' years (a bare 2020 is the year ending 31 March 2020).
    old = tmp_path / "2020"
    new = tmp_path / "2021"
    old.mkdir()
    new.mkdir()
    (old / "episodes.csv").write_text(HEAD + "\n1,01/04/2019,S,C2,N1,U1,PR1,01/05/2019,X1,,,,\n")
    (new / "episodes.csv").write_text(HEAD + "\n1,02/05/2019,P,C2,N1,U4,PR1,,,,,,\n")
    df, _ = read_episodes([old, new])
    findings = validate(df)
    assert hits(findings, "433") == set()
    assert hits(findings, "142") == set()


def test_rules_see_the_rows_as_submitted(tmp_path: Path) -> None:
    # An overlap and an open episode followed by another: the DfE rules flag them on the rows
    # as given; reconcile reports its repairs under its own names.
    p = tmp_path / "episodes.csv"
    p.write_text(
        HEAD + "\n1,01/04/2020,S,C2,N1,U1,PR1,10/05/2020,X1,CARPL,,,\n"
        "1,01/05/2020,P,C2,N1,U4,PR1,,,,,,\n1,01/06/2020,P,C2,N1,U4,PR1,,,,,,\n"
    )
    report = check_files([p])
    rules = {(f.rule, f.row) for f in report.findings}
    assert {("501", 3), ("433", 3), ("142", 3), ("433", 4)} <= rules
    assert {("reconcile-overlap", 2), ("reconcile-open-closed", 3)} <= rules
    # The import still works on the repaired rows.
    assert report.episodes["dec"].to_list()[:2] == [date(2020, 5, 1), date(2020, 6, 1)]


def test_first_episodes_match_last_years_open_episode(tmp_path: Path) -> None:
    # 502 and 503A-F: this year's first episode against last year's open one.
    last = tmp_path / "2019"
    this = tmp_path / "2020"
    last.mkdir()
    this.mkdir()
    (last / "episodes.csv").write_text(
        HEAD + "\n1,01/06/2018,S,C2,N1,U4,PR1,,,,,,SC1\n2,01/06/2018,S,C2,N1,U4,PR1,,,,,,SC1\n"
        "3,01/06/2018,S,C2,N1,H5,PR1,,,,,,SC1\n4,01/06/2018,S,C2,N1,U4,PR1,01/02/2019,E13,,,,\n"
    )
    (this / "episodes.csv").write_text(
        HEAD + "\n1,01/06/2018,S,C2,N1,U4,PR1,,,,,,SC1\n2,02/06/2018,S,C1,N2,U6,PR4,,,,,,SC2\n"
        "3,01/06/2018,S,C2,N1,K3,PR1,,,,,,SC1\n4,01/06/2018,S,C1,N1,U6,PR1,,,,,,\n"
        "9,01/06/2019,S,C2,N1,U4,PR1,,,,,,SC1\n"  # this return is 2019-20's
    )
    findings = [f for f in validate(read_episodes([last, this])[0]) if f.file.startswith(str(this))]
    assert hits(findings, "502") == {(3, "DECOM")}
    for rule, column in (("503B", "LS"), ("503C", "CIN"), ("503E", "PLACE_PROVIDER")):
        assert hits(findings, rule) == {(3, column)}
    assert hits(findings, "503D") == {(3, "PLACE"), (4, "PLACE")}  # H5 to K3 only from 2023/24
    assert hits(findings, "503F") == {(3, "URN")}
    assert hits(findings, "503A") == set()


def test_a_two_digit_dec_is_no_date_to_the_dfe_rules(tmp_path: Path) -> None:
    # The DfE validator reads DEC '01/05/20' as no date (142, 433) but as given (148); the
    # import reads it as 01/05/2020 and says so (date-two-digit-year).
    p = tmp_path / "episodes.csv"
    p.write_text(
        HEAD + "\n1,01/04/2020,S,C2,N1,U1,PR1,01/05/20,X1,CARPL,,,\n"
        "1,01/05/2020,P,C2,N1,U4,PR4,,,,,,\n"
    )
    report = check_files([p])
    rules = {(f.rule, f.row) for f in report.findings}
    assert {("date-two-digit-year", 2), ("142", 2), ("433", 3)} <= rules
    assert ("148", 2) not in rules
    assert report.episodes["dec"].to_list()[0] == date(2020, 5, 1)
