from __future__ import annotations

from pathlib import Path

import pytest

from disruption.ssda903 import Finding, read_episodes, read_header, validate

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
        "1,01/04/2020,S,C2,N1,U1,PR1,01/05/2020,X1,CARPL,,,\n"
        "1,01/05/2020,T,C2,N1,T2,,06/05/2020,X1,OTHER,,,\n",
        {(2, "REASON_PLACE_CHANGE"), (3, "REASON_PLACE_CHANGE")},
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
