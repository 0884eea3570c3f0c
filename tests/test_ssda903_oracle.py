"""Agreement with the DfE's own validator (``csc-validator-be-903``), on returns with faults.

Returns are generated with faults of every kind the claimed rules look for; each is checked
by `validate` and by the DfE validator's rule functions (``lac_validator``, run on the same
file as the DfE reads it), and the (rule, line) sets must be identical for every rule in
`CLAIMED`. The DfE validator's own defects (docs/ssda903.md, "Agreement with the DfE
validator") are tested as such, not papered over.

Needs the ``oracle`` extra (see .ci/run); skipped, saying so, when it is not installed.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from disruption.ssda903 import read_episodes, validate
from disruption.ssda903.files import dec_year

pytestmark = pytest.mark.oracle

try:
    from lac_validator.datastore import _process_metadata
    from lac_validator.ingress import read_from_text
    from lac_validator.rules.ruleset_utils import get_year_ruleset
except ImportError:  # pragma: no cover - depends on the environment
    pytest.skip(
        "the DfE validator (csc-validator-be-903) is not installed; see .ci/run for the "
        "oracle install",
        allow_module_level=True,
    )

HEAD = (
    "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN"
)

CLAIMED = (
    *("142", "143", "144", "146", "148", "149", "178", "225", "226", "353", "355", "356"),
    "357",
    *("365", "366", "380", "381", "382", "383", "384", "388", "426"),
    *("431", "432", "433", "434", "435", "436", "437", "501", "504"),
    *("526", "527", "528", "529", "530", "531", "550"),
)
"""The DfE rule numbers `validate` claims, compared row for row."""

YEARS = ("2023", "2024", "2025", "2026")
"""Collection years with a DfE rule set in 0.1.17 (2026/27's adds no Episodes rule here)."""

# Codes valid in every year the returns span (codes whose validity changes by year are
# judged by the year of recording here, by the return's list at the DfE: see the docs).
_RNE = ["S", "P", "L", "T", "U", "B", "Q", None]
_LS = ["C1", "C2", "E1", "V2", "V3", "V4", "J1", "ZZ", None]
_PLACE = ["U1", "U4", "U6", "K2", "R1", "R2", "P1", "A4", "T0", "T1", "T2", "T3", "XX", None]
_PROVIDER = ["PR0", "PR1", "PR2", "PR3", "PR4", "PR5", "PR9", None]
_REC = ["X1", "X1", "X1", "E11", "E13", "E2", "E15", "E4A", "E8", "XX", None]
_RPC = [None, None, "CARPL", "STAND", "CHILD"]
_CIN = ["N1", "N2", None]
_POST = ["TS1 2AB", "DL1 1AA", None]
_URN = ["SC123456", "SC654321", None]


def _episodes(rng: random.Random, year: int) -> list[list[str | None]]:
    """A return for collection ``year``: a few children's episodes, faults included."""
    start, end = date(year - 1, 4, 1), date(year, 3, 31)
    rows: list[list[str | None]] = []
    # One child in the year, so that the return's year is ``year`` whatever else is drawn.
    rows.append(["100", f"{start + timedelta(days=100):%d/%m/%Y}", "S", "C2", "N1", "U4"])
    rows[-1] += ["PR1", None, None, None, "TS1 2AB", "TS1 2AB", "SC123456"]
    for child in range(rng.randint(1, 7)):
        day = start - timedelta(days=rng.randint(-250, 900))
        place, post, urn = rng.choice(_PLACE), rng.choice(_POST), rng.choice(_URN)
        for n in range(rng.randint(1, 5)):
            if day > end:
                break
            if rng.random() < 0.4:  # a new placement
                place, post, urn = rng.choice(_PLACE), rng.choice(_POST), rng.choice(_URN)
            length = rng.choice([0, -2, 1, 5, 17, 18, 30, 120, 300])
            dec: date | None = day + timedelta(days=length)
            if (dec is not None and dec > end) or rng.random() < 0.15:
                dec = None
            rec = rng.choice(_REC) if dec is not None else None
            if rng.random() < 0.1:  # DEC and REC not together
                rec = rng.choice(_REC) if rec is None else None
            rne = "S" if n == 0 and rng.random() < 0.7 else rng.choice(_RNE)
            rows.append(
                [
                    str(child),
                    f"{day:%d/%m/%Y}",
                    rne,
                    rng.choice(_LS),
                    rng.choice(_CIN),
                    place,
                    rng.choice(_PROVIDER),
                    None if dec is None else f"{dec:%d/%m/%Y}",
                    rec,
                    rng.choice(_RPC),
                    "TS1 2AB",
                    post,
                    urn,
                ]
            )
            # The next episode starts when this one ends, mostly; or after a gap, or before.
            after = dec or day + timedelta(days=rng.randint(1, 60))
            shift = rng.choice([0, 0, 0, 0, 1, 7, -1, -3])
            day = max(after + timedelta(days=shift), day + timedelta(days=1))
    rng.shuffle(rows)
    return rows


def _csv(rows: list[list[str | None]]) -> str:
    return HEAD + "\n" + "".join(",".join(v or "" for v in r) + "\n" for r in rows)


LAST_YEAR = ("502", "503A", "503B", "503C", "503D", "503E", "503F")
"""The rules that compare a return with last year's, claimed when both are given."""


def _last_year(
    rng: random.Random, this: list[list[str | None]], year: int
) -> list[list[str | None]]:
    """Last year's return for ``this``: some children's open episode copies their first one
    here, with a field changed now and then (the faults 502 and 503A-F look for)."""
    end = date(year - 1, 3, 31)
    anchor = f"{date(year - 2, 9, 15):%d/%m/%Y}"  # so that this return's year is year - 1
    rows: list[list[str | None]] = [
        ["200", anchor, "S", "C2", "N1", "U4", "PR1", None, None, None, *_PLACEMENT]
    ]
    first: dict[str, list[str | None]] = {}
    for row in sorted(this, key=lambda r: (str(r[0]), _day(r[1]))):
        first.setdefault(str(row[0]), row)
    for child, row in first.items():
        if rng.random() < 0.3:
            continue
        copy = list(row)
        start = min(_day(row[1]), end - timedelta(days=rng.randint(0, 30)))
        if rng.random() < 0.15:
            start -= timedelta(days=rng.randint(1, 5))
        copy[1] = f"{start:%d/%m/%Y}"
        for i, pool in ((2, _RNE), (3, _LS), (4, _CIN), (5, _PLACE), (6, _PROVIDER), (12, _URN)):
            if rng.random() < 0.15:
                copy[i] = rng.choice(pool)
        closed = rng.random() < 0.2
        copy[7], copy[8], copy[9] = (
            (f"{end:%d/%m/%Y}", "E13", None) if closed else (None, None, None)
        )
        earlier = start - timedelta(days=rng.randint(20, 200))
        began, ended = f"{earlier:%d/%m/%Y}", f"{start:%d/%m/%Y}"
        rows.append([child, began, "S", "C2", "N1", "U4", "PR1", ended, "X1", "CARPL", *_PLACEMENT])
        rows.append(copy)
    rng.shuffle(rows)
    return rows


_PLACEMENT = ("TS1 2AB", "TS1 2AB", "SC123456")


def _day(text: str | None) -> date:
    assert text is not None
    d, m, y = text.split("/")
    return date(int(y), int(m), int(d))


def dfe_flags(
    text: str,
    year: str,
    rules: tuple[str, ...],
    header: str | None = None,
    last: str | None = None,
) -> dict[str, Any]:
    """What the DfE validator's rule functions flag: rule -> lines, or the exception raised.

    The file is read as the DfE reads it (``lac_validator.ingress.read_from_text``); each rule
    gets a fresh copy of the tables, as ``LacValidator.validate`` gives it. The postcode
    look-ups of ``create_datastore`` are left out: no claimed rule uses them.
    """
    files = [{"name": "episodes.csv", "file_content": text.encode(), "description": "This year"}]
    if header is not None:
        files.append(
            {"name": "header.csv", "file_content": header.encode(), "description": "This year"}
        )
    if last is not None:
        files.append(
            {"name": "last.csv", "file_content": last.encode(), "description": "Prev year"}
        )
    dfs, _ = read_from_text(files)
    registry = get_year_ruleset(year)
    metadata = _process_metadata({"collectionYear": year, "localAuthority": "E06000002"})
    out: dict[str, Any] = {}
    for code in rules:
        if code not in registry:
            continue
        tables: dict[str, Any] = {k: v.copy() for k, v in dfs.items()}
        tables["metadata"] = dict(metadata)
        try:
            result = registry[code].func(tables)
        except Exception as err:  # the DfE's defects, reported as such
            out[code] = err
            continue
        if not isinstance(result, Mapping):
            out[code] = TypeError(f"rule {code} returned {result!r}")
            continue
        # The row index is the line less 2 (the header is line 1); NaN (not equal to
        # itself) is dropped, as LacValidator drops it.
        out[code] = {int(i) + 2 for i in result.get("Episodes", []) if i == i}
    return out


def our_flags(
    text: str, rules: tuple[str, ...], last: str | None = None, year: int = 0
) -> dict[str, set[int]]:
    """What `validate` flags in ``text`` (read after ``last``, last year's, when given)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / str(year) / "episodes.csv"
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
        paths = [path]
        if last is not None:
            before = Path(folder) / str(year - 1) / "episodes.csv"
            before.parent.mkdir()
            before.write_text(last, encoding="utf-8")
            paths = [before, path]
        episodes, read = read_episodes(paths)
        found = validate(episodes, read_findings=read)
    out: dict[str, set[int]] = {r: set() for r in rules}
    for f in found:
        if f.rule in out and f.row is not None and f.file == str(path):
            out[f.rule].add(f.row)
    return out


def _compare(text: str, year: str, last: str | None = None) -> None:
    claimed = CLAIMED if last is None else (*CLAIMED, *LAST_YEAR)
    theirs = dfe_flags(text, year, claimed, last=last)
    ours = our_flags(text, claimed, last, int(year))
    differ = {
        rule: (sorted(ours[rule]), sorted(lines))
        for rule, lines in theirs.items()
        if not isinstance(lines, Exception) and ours[rule] != lines
    }
    crashed = {rule: err for rule, err in theirs.items() if isinstance(err, Exception)}
    assert not crashed, f"the DfE rules crashed: {crashed}"
    assert not differ, f"(ours, DfE) differ in {year}: {differ}\n{text}\nlast year:\n{last}"


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
@given(st.randoms(use_true_random=False), st.sampled_from(YEARS))
def test_claimed_rules_flag_the_rows_the_dfe_flags(rng: random.Random, year: str) -> None:
    _compare(_csv(_episodes(rng, int(year))), year)


def _read_as(rows: list[list[str | None]], year: int) -> bool:
    """Whether a file of ``rows`` named for ``year`` is read as that year's return.

    A file's DEC dates decide its return when more than half fall in one year
    (`disruption.ssda903.files`); the generated histories reach back years, so some are.
    """
    decs = []
    for row in rows:
        try:
            decs.append(datetime.strptime(row[7] or "", "%d/%m/%Y").date())
        except ValueError:
            continue
    found, _ = dec_year(pl.Series(decs, dtype=pl.Date))
    return found in (None, year)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=True,
)
@given(st.randoms(use_true_random=False), st.sampled_from(YEARS))
def test_with_last_years_return_the_rules_flag_the_rows_the_dfe_flags(
    rng: random.Random, year: str
) -> None:
    this = _episodes(rng, int(year))
    last = _last_year(rng, this, int(year))
    # Two returns are told apart by their years: those whose dates say otherwise than the
    # folder names the comparison gives them are not the case compared here.
    assume(_read_as(this, int(year)) and _read_as(last, int(year) - 1))
    _compare(_csv(this), year, _csv(last))


def _one(rows: str) -> str:
    return HEAD + "\n" + rows


# The DfE validator's own defects in 0.1.17, each shown here so that a release that fixes
# one fails the test and the docs can be updated.


def test_dfe_233_and_231_crash_on_every_run() -> None:
    text = _one("1,01/04/2024,S,C2,N1,U1,PR1,,,CARPL,,,\n")
    header = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n1,1,01/01/2010,WBRI,,,\n"
    theirs = dfe_flags(text, "2026", ("233", "231"), header)
    assert isinstance(theirs["233"], KeyError)  # reads a DATE_EPISODE_CEASED column
    assert isinstance(theirs["231"], KeyError)  # reads a UASC_STATUS column
    # The project checks 233 as its text says: REASON_PLACE_CHANGE on an open episode.
    assert our_flags(text, ("233",))["233"] == {2}


def test_dfe_355_compares_the_date_text() -> None:
    # The same day written two ways is not "the same day" to the DfE's 355.
    text = _one("1,01/04/2024,S,C2,N1,U1,PR1,1/4/2024,E11,,,,\n")
    assert dfe_flags(text, "2025", ("355",))["355"] == set()
    assert our_flags(text, ("355",))["355"] == {2}


def test_dfe_2024_25_place_list_has_k3_in_lower_case() -> None:
    # Every K3 is refused in the 2024/25 rule set (the file is upper-cased, the list is not).
    text = _one("1,01/06/2024,S,C2,N1,K3,PR4,,,,,,\n")
    assert dfe_flags(text, "2025", ("146",))["146"] == {2}
    assert dfe_flags(text, "2026", ("146",))["146"] == set()
    assert our_flags(text, ("146",))["146"] == set()


def test_dfe_142_treats_a_blank_decom_as_the_last_episode() -> None:
    # A row with a blank DECOM (skipped by the reader, with a missing-value finding) is the
    # child's "last" episode to the DfE's 142, so the real last, open episode is flagged.
    text = _one(
        "1,01/04/2024,S,C2,N1,U1,PR1,01/05/2024,X1,CARPL,,,\n"
        "1,01/05/2024,P,C2,N1,U4,PR1,,,,,,\n"
        "1,,P,C2,N1,U4,PR1,,,,,,\n"
    )
    assert dfe_flags(text, "2025", ("142",))["142"] == {3}
    assert our_flags(text, ("142",))["142"] == set()


@pytest.mark.parametrize(
    ("rows", "year"),
    [
        # Each claimed rule's fault on its own, so that a rule never drawn above still fails.
        (
            "1,01/04/2024,S,C2,N1,U1,PR1,,,,,,\n"  # 142
            "1,01/05/2024,P,C2,N1,U4,PR1,,,,,,\n",
            "2025",
        ),
        (
            "1,01/04/2024,S,C2,N1,U1,PR1,10/05/2024,X1,CARPL,,,\n"  # 501, 433
            "1,01/05/2024,P,C2,N1,U4,PR1,,,,,,\n",
            "2025",
        ),
        (
            "1,01/04/2024,S,C2,N1,U1,PR1,01/05/2024,X1,CARPL,,,\n"  # 226, 178, 383
            "1,01/05/2024,P,C2,N1,T1,PR1,03/05/2024,X1,,,,\n"
            "1,03/05/2024,P,C2,N1,U4,PR1,,,,,,\n",
            "2026",
        ),
        (
            "1,01/04/2024,S,V3,N1,U1,PR1,03/04/2024,E13,,,,\n"  # 366, 380, 382, 384, 432
            "1,05/04/2024,P,V3,N1,T2,PR1,06/04/2024,X1,,,,\n",
            "2025",
        ),
        (
            "1,01/04/1990,S,C2,N1,U1,PR1,01/05/1990,E13,,,,\n"  # 353
            "2,01/04/2024,S,C2,N1,U1,PR1,,,,,,\n",
            "2025",
        ),
        (
            "1,01/04/2024,S,C2,N1,U1,PR1,01/05/2024,E2,,,,\n"  # 437, 388, 434, 504
            "1,01/05/2024,L,C1,N2,U1,PR1,,,,,,\n",
            "2025",
        ),
    ],
)
def test_single_faults_agree(rows: str, year: str) -> None:
    _compare(_one(rows), year)
