"""Working days: hand-worked cases, nations, closures, properties and the shared table."""

from __future__ import annotations

import copy
import pickle
import random
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from functools import cache

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from disruption.domain.calendar import (
    DEFAULT_CALENDAR,
    MAX_YEAR,
    MIN_YEAR,
    Nation,
    WorkingCalendar,
    _uk,
)
from tests.strategies import calendar_dates, calendars, holiday_dates, working_day_counts

E_W = DEFAULT_CALENDAR
SCOTLAND = WorkingCalendar(Nation.SCOTLAND)
NI = WorkingCalendar(Nation.NORTHERN_IRELAND)

# --- Hand-worked cases ------------------------------------------------------------------------


def test_christmas_2025() -> None:
    # Dec 2025: Tue 23, Wed 24, Thu 25 (Christmas), Fri 26 (Boxing Day), Sat 27, Sun 28,
    # Mon 29, Tue 30, Wed 31, Thu 1 Jan 2026 (New Year), Fri 2 Jan, Mon 5 Jan.
    # After Tue 23: 24 is working day 1, 29 is 2, 30 is 3, 31 is 4, Fri 2 Jan is 5.
    d = date(2025, 12, 23)
    assert E_W.add_working_days(d, 1) == date(2025, 12, 24)
    assert E_W.add_working_days(d, 2) == date(2025, 12, 29)
    assert E_W.add_working_days(d, 5) == date(2026, 1, 2)
    assert E_W.add_working_days(date(2025, 12, 24), 1) == date(2025, 12, 29)
    assert E_W.working_days_between(d, date(2026, 1, 2)) == 5
    assert E_W.working_days_between(d, date(2025, 12, 28)) == 1  # only the 24th
    assert E_W.subtract_working_days(date(2025, 12, 29), 1) == date(2025, 12, 24)
    assert not E_W.is_working_day(date(2025, 12, 25))
    assert not E_W.is_working_day(date(2025, 12, 26))
    # Scotland also stops on Fri 2 Jan 2026, so the 5th working day is Mon 5 Jan.
    assert SCOTLAND.add_working_days(d, 5) == date(2026, 1, 5)


def test_easter_2026() -> None:
    # Thu 2 Apr, Fri 3 Apr (Good Friday), Sat 4, Sun 5, Mon 6 Apr (Easter Monday), Tue 7 Apr.
    # After Wed 1 Apr: Thu 2 is working day 1, Tue 7 is 2.
    assert E_W.add_working_days(date(2026, 4, 2), 1) == date(2026, 4, 7)
    assert E_W.add_working_days(date(2026, 4, 1), 2) == date(2026, 4, 7)
    assert E_W.subtract_working_days(date(2026, 4, 7), 1) == date(2026, 4, 2)
    assert E_W.working_days_between(date(2026, 4, 2), date(2026, 4, 6)) == 0
    assert not E_W.is_working_day(date(2026, 4, 3))
    assert not E_W.is_working_day(date(2026, 4, 6))
    # Easter Monday is not a bank holiday in Scotland.
    assert SCOTLAND.is_working_day(date(2026, 4, 6))
    assert SCOTLAND.add_working_days(date(2026, 4, 2), 1) == date(2026, 4, 6)


def test_one_off_bank_holidays() -> None:
    for cal in (E_W, SCOTLAND, NI):
        assert not cal.is_working_day(date(2022, 9, 19))  # state funeral, a Monday
        assert not cal.is_working_day(date(2023, 5, 8))  # coronation, a Monday
    assert E_W.is_working_day(date(2022, 9, 20))


def test_scotland_second_of_january_and_st_andrews_substitute() -> None:
    assert not SCOTLAND.is_working_day(date(2026, 1, 2))  # Friday
    assert E_W.is_working_day(date(2026, 1, 2))
    # 2021: Fri 1 Jan, Sat 2 Jan, so the 2 January holiday moves to Mon 4 Jan in Scotland.
    assert not SCOTLAND.is_working_day(date(2021, 1, 4))
    assert E_W.is_working_day(date(2021, 1, 4))
    # St Andrew's Day 2025 is Sun 30 Nov: substitute Mon 1 Dec in Scotland only.
    assert not SCOTLAND.is_working_day(date(2025, 12, 1))
    assert E_W.is_working_day(date(2025, 12, 1))
    assert SCOTLAND.add_working_days(date(2025, 11, 28), 1) == date(2025, 12, 2)
    assert E_W.add_working_days(date(2025, 11, 28), 1) == date(2025, 12, 1)


def test_northern_ireland_st_patrick_and_twelfth() -> None:
    assert not NI.is_working_day(date(2026, 3, 17))  # Tuesday
    assert E_W.is_working_day(date(2026, 3, 17))
    assert not NI.is_working_day(date(2025, 7, 14))  # 12 July 2025 is a Saturday
    assert not NI.is_working_day(date(2026, 7, 13))  # 12 July 2026 is a Sunday
    assert E_W.is_working_day(date(2026, 7, 13))
    assert NI.add_working_days(date(2026, 3, 16), 1) == date(2026, 3, 18)


def test_closures_are_honoured() -> None:
    cal = WorkingCalendar(closures=[date(2025, 12, 24), date(2025, 12, 29)])
    assert not cal.is_working_day(date(2025, 12, 24))
    assert cal.add_working_days(date(2025, 12, 23), 1) == date(2025, 12, 30)
    assert cal.working_days_between(date(2025, 12, 23), date(2025, 12, 31)) == 2
    assert cal.subtract_working_days(date(2025, 12, 30), 1) == date(2025, 12, 23)
    assert cal.closures == frozenset({date(2025, 12, 24), date(2025, 12, 29)})
    assert cal == WorkingCalendar(closures=(d for d in cal.closures))
    assert cal != E_W


def test_closures_must_be_dates() -> None:
    with pytest.raises(TypeError, match="closures"):
        WorkingCalendar(closures=[datetime(2025, 12, 24, 9)])


def test_weekend_start_date() -> None:
    sat, sun = date(2025, 6, 7), date(2025, 6, 8)
    assert E_W.add_working_days(sat, 1) == date(2025, 6, 9)
    assert E_W.add_working_days(sun, 1) == date(2025, 6, 9)
    assert E_W.add_working_days(sat, 5) == date(2025, 6, 13)
    assert E_W.subtract_working_days(sat, 1) == date(2025, 6, 6)
    assert E_W.working_days_between(sat, sun) == 0
    assert E_W.working_days_between(date(2025, 6, 6), date(2025, 6, 9)) == 1


def test_zero_days() -> None:
    assert E_W.add_working_days(date(2025, 6, 6), 0) == date(2025, 6, 6)  # a working day
    assert E_W.add_working_days(date(2025, 6, 7), 0) == date(2025, 6, 9)  # Sat: next one
    assert E_W.subtract_working_days(date(2025, 6, 7), 0) == date(2025, 6, 6)  # previous one
    assert E_W.add_working_days(date(2025, 12, 25), 0) == date(2025, 12, 29)


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="zero or more"):
        E_W.add_working_days(date(2025, 6, 6), -1)
    with pytest.raises(ValueError, match="zero or more"):
        E_W.subtract_working_days(date(2025, 6, 6), -1)


def test_out_of_range() -> None:
    cases: list[Callable[[], object]] = [
        lambda: E_W.add_working_days(date(MIN_YEAR - 1, 12, 31), 1),
        lambda: E_W.is_working_day(date(MAX_YEAR + 1, 1, 1)),
        lambda: E_W.add_working_days(date(MAX_YEAR, 12, 24), 10),
        lambda: E_W.subtract_working_days(date(MIN_YEAR, 1, 3), 10),
        lambda: E_W.add_working_days(date(2000, 1, 1), 10**9),
        lambda: E_W.working_days_between(date(2000, 1, 1), date(2300, 1, 1)),
        lambda: E_W.bank_holidays(MIN_YEAR - 1),
    ]
    for case in cases:
        with pytest.raises(ValueError, match="outside the supported range"):
            case()
    # The edges themselves are fine.
    assert E_W.add_working_days(date(MAX_YEAR, 12, 1), 5) == date(MAX_YEAR, 12, 8)
    assert E_W.is_working_day(date(MIN_YEAR, 1, 1))  # Monday; no New Year bank holiday then


def test_bank_holidays_listing() -> None:
    listed = E_W.bank_holidays(2026)
    assert [d for d, _ in listed] == sorted(d for d, _ in listed)
    assert (date(2026, 12, 28), "Boxing Day (observed)") in listed
    assert date(2026, 4, 6) in dict(listed)
    assert date(2026, 1, 2) in dict(SCOTLAND.bank_holidays(2026))
    assert date(2026, 1, 2) not in dict(listed)
    assert date(2150, 12, 25) in dict(E_W.bank_holidays(2150))  # projected past 2100


def test_england_and_wales_share_bank_holidays() -> None:
    # Why one Nation covers both: holidays' ENG and WLS are the same days.
    eng = holidays.country_holidays("GB", subdiv="ENG", years=range(2000, 2041))
    wls = holidays.country_holidays("GB", subdiv="WLS", years=range(2000, 2041))
    assert dict(eng) == dict(wls)
    assert len(eng) > 300
    years = range(MIN_YEAR, MAX_YEAR + 1)
    eng_ext = _uk()(subdiv="ENG", years=years)
    assert dict(eng_ext) == dict(_uk()(subdiv="WLS", years=years))


@pytest.mark.parametrize("subdiv", ["ENG", "SCT", "NIR"])
def test_extended_years_agree_with_holidays(subdiv: str) -> None:
    years = range(MIN_YEAR, 2101)
    ours = _uk()(subdiv=subdiv, years=range(MIN_YEAR, MAX_YEAR + 1))
    theirs = holidays.country_holidays("GB", subdiv=subdiv, years=years)
    assert {d: n for d, n in ours.items() if d.year <= 2100} == dict(theirs)


def test_bank_holiday_data_is_loaded_on_first_use() -> None:
    # holidays' country data costs most of a second to import: not paid by importing the module.
    code = (
        "import sys; import disruption.domain.calendar as c; "
        "assert 'holidays' not in sys.modules, 'imported early'; "
        "c.WorkingCalendar(c.Nation.SCOTLAND).is_working_day(c.date(2031, 1, 2)); "
        "assert 'holidays' in sys.modules"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# --- Naive reference ------------------------------------------------------------------------

_SUBDIV = {
    Nation.ENGLAND_AND_WALES: "ENG",
    Nation.SCOTLAND: "SCT",
    Nation.NORTHERN_IRELAND: "NIR",
}


@cache
def _ref_holidays(nation: Nation) -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv=_SUBDIV[nation])


def ref_is_working(cal: WorkingCalendar, d: date) -> bool:
    return d.weekday() < 5 and d not in _ref_holidays(cal.nation) and d not in cal.closures


def ref_add(cal: WorkingCalendar, d: date, n: int) -> date:
    while n == 0 and not ref_is_working(cal, d):
        d += timedelta(days=1)
    while n > 0:
        d += timedelta(days=1)
        n -= ref_is_working(cal, d)
    return d


def ref_subtract(cal: WorkingCalendar, d: date, n: int) -> date:
    while n == 0 and not ref_is_working(cal, d):
        d -= timedelta(days=1)
    while n > 0:
        d -= timedelta(days=1)
        if ref_is_working(cal, d):
            n -= 1
    return d


def ref_between(cal: WorkingCalendar, start: date, end: date) -> int:
    lo, hi = min(start, end), max(start, end)
    count = sum(ref_is_working(cal, lo + timedelta(days=k)) for k in range(1, (hi - lo).days + 1))
    return count if end >= start else -count


# --- Properties ---------------------------------------------------------------------------


@given(calendar_dates, working_day_counts, st.sampled_from(Nation))
def test_between_inverts_add(d: date, n: int, nation: Nation) -> None:
    cal = WorkingCalendar(nation)
    due = cal.add_working_days(d, n)
    assert cal.working_days_between(d, due) == n
    assert cal.working_days_between(due, d) == -n
    assert cal.add_working_days(d, cal.working_days_between(d, due)) == due


@given(calendar_dates, calendar_dates, st.sampled_from(Nation))
def test_add_inverts_between_onto_working_days(a: date, b: date, nation: Nation) -> None:
    cal = WorkingCalendar(nation)
    start, end = min(a, b), max(a, b)
    k = cal.working_days_between(start, end)
    assert k >= 0
    assert cal.working_days_between(end, start) == -k
    if k >= 1:  # the kth working day after start is the last working day on or before end
        reached = cal.add_working_days(start, k)
        assert reached <= end
        assert (reached == end) == cal.is_working_day(end)
        assert reached == cal.subtract_working_days(end, 0)


@given(calendar_dates, calendar_dates, calendar_dates)
def test_between_is_additive(a: date, b: date, c: date) -> None:
    wdb = E_W.working_days_between
    assert wdb(a, b) + wdb(b, c) == wdb(a, c)


@settings(deadline=None, max_examples=60)
@given(calendar_dates, working_day_counts, st.sampled_from(Nation))
def test_add_lands_on_working_day_after_exactly_n(d: date, n: int, nation: Nation) -> None:
    cal = WorkingCalendar(nation)
    due = cal.add_working_days(d, n)
    assert due > d
    assert cal.is_working_day(due)
    span = [d + timedelta(days=k) for k in range(1, (due - d).days + 1)]
    assert sum(cal.is_working_day(x) for x in span) == n
    if cal.is_working_day(d):
        assert cal.subtract_working_days(due, n) == d


@settings(deadline=None, max_examples=150)
@given(st.data(), holiday_dates, st.integers(min_value=0, max_value=60))
def test_matches_naive_reference(data: st.DataObject, d: date, n: int) -> None:
    cal = data.draw(calendars(d))
    other = data.draw(st.dates(min_value=d - timedelta(days=90), max_value=d + timedelta(days=90)))
    assert cal.is_working_day(d) == ref_is_working(cal, d)
    assert cal.add_working_days(d, n) == ref_add(cal, d, n)
    assert cal.subtract_working_days(d, n) == ref_subtract(cal, d, n)
    assert cal.working_days_between(d, other) == ref_between(cal, d, other)


# --- The shared, lazily built table --------------------------------------------------------


def test_equal_calendars_share_the_table() -> None:
    closures = [date(2031, 3, 4), date(2031, 3, 5)]
    a = WorkingCalendar(Nation.SCOTLAND, closures)
    b = WorkingCalendar("scotland", set(closures))  # a str nation is converted
    assert a == b
    assert hash(a) == hash(b)
    assert a._box is b._box
    assert a.add_working_days(date(2031, 3, 3), 1) == date(2031, 3, 6)
    assert a._box.table is not None
    assert b._box.table is a._box.table  # b answers from a's table without building
    assert copy.deepcopy(a)._box is a._box
    assert pickle.loads(pickle.dumps(a))._box is a._box
    assert WorkingCalendar(Nation.SCOTLAND)._box is not a._box


def test_table_is_lazy_and_grows() -> None:
    closed = date(1901, 6, 3)  # a Monday; also makes a key no other test uses
    cal = WorkingCalendar(closures=[closed])
    assert cal._box.table is None
    assert cal.add_working_days(date(2025, 12, 23), 2) == date(2025, 12, 29)
    first = cal._box.table
    assert first is not None
    assert first.lo_year <= 2025 <= first.hi_year
    assert first.hi_year - first.lo_year < 20
    assert cal.is_working_day(date(2150, 6, 1))
    grown = cal._box.table
    assert grown is not None
    assert grown.lo_year <= 2025
    assert grown.hi_year >= 2150
    assert cal.add_working_days(date(2025, 12, 23), 2) == date(2025, 12, 29)
    assert not cal.is_working_day(closed)
    assert E_W.is_working_day(closed)


def test_concurrent_queries_agree() -> None:
    # A closure on a Saturday changes nothing but gives a fresh table to grow under contention.
    cal = WorkingCalendar(closures=[date(2000, 1, 1)])
    assert cal._box is not E_W._box
    assert cal._box.table is None
    rng = random.Random(7)
    span = date(MAX_YEAR, 6, 1).toordinal() - date(MIN_YEAR, 1, 1).toordinal()
    queries = [
        (
            date.fromordinal(date(MIN_YEAR, 1, 1).toordinal() + rng.randrange(span)),
            rng.randint(0, 30),
        )
        for _ in range(4000)
    ]
    expected = [E_W.add_working_days(d, n) for d, n in queries]
    barrier = threading.Barrier(8)

    def run(chunk: int) -> list[tuple[int, date]]:
        barrier.wait()
        return [(i, cal.add_working_days(*queries[i])) for i in range(chunk, len(queries), 8)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = [r for rs in pool.map(run, range(8)) for r in rs]
    assert len(results) == len(queries)
    assert all(expected[i] == got for i, got in results)
