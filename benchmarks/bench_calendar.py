"""Benchmark ``WorkingCalendar.add_working_days`` against two per-day-loop baselines.

Run: ``python benchmarks/bench_calendar.py``. The baselines are slow, so they get fewer calls;
everything is reported per call. All three must agree on every answer they compute.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta

import holidays
import pendulum

from disruption.domain.calendar import DEFAULT_CALENDAR, Nation, WorkingCalendar

CALLS = 100_000
NAIVE_CALLS = 20_000
PENDULUM_CALLS = 10_000
SEED = 20251223

Query = tuple[date, int]


def make_queries(count: int, rng: random.Random) -> list[Query]:
    first, last = date(2000, 1, 1).toordinal(), date(2040, 12, 31).toordinal()
    return [(date.fromordinal(rng.randint(first, last)), rng.randint(1, 30)) for _ in range(count)]


def naive_datetime(hols: holidays.HolidayBase) -> Callable[[date, int], date]:
    """Step one day at a time with datetime, asking the holidays object about each day."""
    one = timedelta(days=1)

    def add(d: date, n: int) -> date:
        while n:
            d += one
            if d.weekday() < 5 and d not in hols:
                n -= 1
        return d

    return add


def naive_pendulum(bank_holidays: frozenset[date]) -> Callable[[date, int], date]:
    """Step one day at a time with pendulum, checking a plain set of bank holidays."""

    def add(d: date, n: int) -> date:
        p = pendulum.date(d.year, d.month, d.day)
        while n:
            p = p.add(days=1)
            if p.day_of_week < pendulum.WeekDay.SATURDAY and p not in bank_holidays:
                n -= 1
        return date(p.year, p.month, p.day)

    return add


def per_call_us(add: Callable[[date, int], date], queries: Sequence[Query]) -> float:
    start = time.perf_counter()
    for d, n in queries:
        add(d, n)
    return (time.perf_counter() - start) / len(queries) * 1e6


def main() -> None:
    rng = random.Random(SEED)
    queries = make_queries(CALLS, rng)
    hols = holidays.country_holidays("GB", subdiv="ENG", years=range(1999, 2043))
    bank_holidays = frozenset(hols)
    naive, slow = naive_datetime(hols), naive_pendulum(bank_holidays)

    # First query on a fresh calendar: builds its table (a closure on a Saturday changes
    # no answer but gives the calendar a table of its own).
    fresh = WorkingCalendar(Nation.ENGLAND_AND_WALES, [date(2001, 1, 6)])
    start = time.perf_counter()
    fresh.add_working_days(queries[0][0], queries[0][1])
    build_ms = (time.perf_counter() - start) * 1e3

    ours_add = DEFAULT_CALENDAR.add_working_days
    for d, n in queries:  # warm: the table now covers every year asked about
        ours_add(d, n)
    for i, (d, n) in enumerate(queries[:PENDULUM_CALLS]):
        expected = ours_add(d, n)
        assert naive(d, n) == expected, (d, n)
        if i < 1000:
            assert slow(d, n) == expected, (d, n)

    ours = min(per_call_us(ours_add, queries) for _ in range(3))
    naive_us = per_call_us(naive, queries[:NAIVE_CALLS])
    pendulum_us = per_call_us(slow, queries[:PENDULUM_CALLS])

    print(f"add_working_days, n in 1..30, random dates 2000-2040 (first build {build_ms:.1f} ms)")
    print(f"{'implementation':<34}{'calls':>9}{'us/call':>10}{'x ours':>9}")
    rows = [
        ("WorkingCalendar (table + bisect)", CALLS, ours),
        ("per-day loop, datetime + holidays", NAIVE_CALLS, naive_us),
        ("per-day loop, pendulum + set", PENDULUM_CALLS, pendulum_us),
    ]
    for name, calls, us in rows:
        print(f"{name:<34}{calls:>9,}{us:>10.3f}{us / ours:>9.1f}")


if __name__ == "__main__":
    main()
