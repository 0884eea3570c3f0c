"""Working days for the timescales of children's social care.

A working day is a Monday to Friday that is neither a bank holiday of the child's nation nor
one of the authority's extra closure days. A deadline due "N working days after" an event
falls on the Nth working day after the event's date; the event's own day is not counted.

Bank holidays come from the ``holidays`` package (substitute days and one-off days such as
the state funeral of 2022-09-19 included). England and Wales share their bank holidays.
The package stops at 2100; later years are projected from the same rules, so ``MAX_YEAR``
is 2200.

>>> from datetime import date
>>> DEFAULT_CALENDAR.add_working_days(date(2025, 12, 23), 2)  # 25, 26 Dec; 27-28 weekend
datetime.date(2025, 12, 29)
>>> DEFAULT_CALENDAR.add_working_days(date(2026, 4, 2), 1)  # Good Friday, Easter Monday
datetime.date(2026, 4, 7)
>>> WorkingCalendar(Nation.SCOTLAND).add_working_days(date(2026, 4, 2), 1)  # no Easter Monday
datetime.date(2026, 4, 6)
>>> DEFAULT_CALENDAR.working_days_between(date(2025, 12, 23), date(2025, 12, 29))
2
>>> DEFAULT_CALENDAR.subtract_working_days(date(2026, 4, 7), 1)
datetime.date(2026, 4, 2)
"""

from __future__ import annotations

import enum
import functools
import threading
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import attrs

__all__ = [
    "DEFAULT_CALENDAR",
    "MAX_YEAR",
    "MIN_YEAR",
    "Nation",
    "WorkingCalendar",
]

MIN_YEAR, MAX_YEAR = 1900, 2200  # the years the calendar answers for
_MIN_ORD = date(MIN_YEAR, 1, 1).toordinal()
_MAX_ORD = date(MAX_YEAR, 12, 31).toordinal()
_PAD = 5  # years built either side of a query; tables grow by at least this much


class Nation(enum.StrEnum):
    """The UK nation whose bank holidays apply."""

    ENGLAND_AND_WALES = "england_and_wales"
    SCOTLAND = "scotland"
    NORTHERN_IRELAND = "northern_ireland"


# holidays' "ENG" and "WLS" give identical dates (checked for 1900-2200 in the tests).
_SUBDIV = {Nation.ENGLAND_AND_WALES: "ENG", Nation.SCOTLAND: "SCT", Nation.NORTHERN_IRELAND: "NIR"}


@functools.cache
def _uk() -> type[Any]:
    """The ``holidays`` class of UK bank holidays, imported on first use.

    Its country data takes most of a second to import, which a command that never counts
    working days (``--help``, the returns commands) should not pay.
    """
    from holidays.countries.united_kingdom import UnitedKingdom

    class _UK(UnitedKingdom):
        # holidays stops at 2100 by default; its rules (Easter, fixed days, substitutes) are
        # projected to MAX_YEAR. One-off days far ahead are unknowable either way.
        end_year = MAX_YEAR

    return _UK


def _bank_holidays(nation: Nation, years: Iterable[int]) -> dict[date, str]:
    return dict(_uk()(subdiv=_SUBDIV[nation], years=years))


@attrs.frozen
class _Table:
    """Sorted ordinals of the working days of the whole years ``lo_year..hi_year``.

    ``after[o - lo]`` is how many working days fall on or before ordinal ``o`` (what
    ``bisect_right(days, o)`` gives), so that ``add_working_days`` indexes instead of
    searching or keeping a memo of answers; ``dates`` holds each working day's ``date``,
    made when first asked for (one object per day, shared by the deadlines that fall on it).
    """

    lo_year: int
    hi_year: int
    lo: int  # ordinal of 1 January lo_year
    hi: int  # ordinal of 31 December hi_year
    days: tuple[int, ...]
    after: array[int] = attrs.field(eq=False, repr=False)
    dates: list[date | None] = attrs.field(eq=False, repr=False)


class _Box:
    """The table shared by all equal calendars; swapped whole, never mutated."""

    __slots__ = ("key", "table")

    def __init__(self, key: tuple[Nation, frozenset[date]]) -> None:
        self.key = key
        self.table: _Table | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        return _box_for, self.key  # copies and pickles share the module's box


_LOCK = threading.Lock()
_BOXES: dict[tuple[Nation, frozenset[date]], _Box] = {}


def _box_for(nation: Nation, closures: frozenset[date]) -> _Box:
    with _LOCK:
        return _BOXES.setdefault((nation, closures), _Box((nation, closures)))


def _build(nation: Nation, closures: frozenset[date], lo_year: int, hi_year: int) -> _Table:
    holidays = _bank_holidays(nation, range(lo_year, hi_year + 1))
    off = {d.toordinal() for d in holidays} | {d.toordinal() for d in closures}
    lo, hi = date(lo_year, 1, 1).toordinal(), date(hi_year, 12, 31).toordinal()
    # Ordinal 1 (0001-01-01) is a Monday, so o % 7 is 6 on Saturdays and 0 on Sundays.
    days = tuple(o for o in range(lo, hi + 1) if o % 7 not in (6, 0) and o not in off)
    after = array("I", bytes(4 * (hi - lo + 1)))
    count = 0
    at = 0
    for o in range(lo, hi + 1):
        if at < len(days) and days[at] == o:
            at += 1
            count += 1
        after[o - lo] = count
    return _Table(lo_year, hi_year, lo, hi, days, after, [None] * len(days))


_DAYS: dict[int, date] = {}
"""One shared ``date`` per day (by ordinal): deadlines of many cases fall on the same days.
A dict, not ``functools.lru_cache``, whose bookkeeping costs about 100 bytes a day more."""
_DAYS_LIMIT = 4096


def _day(ordinal: int) -> date:
    found = _DAYS.get(ordinal)
    if found is None:
        if len(_DAYS) >= _DAYS_LIMIT:
            _DAYS.clear()
        found = _DAYS.setdefault(ordinal, date.fromordinal(ordinal))
    return found


def _out_of_range(what: str) -> ValueError:
    return ValueError(f"{what} is outside the supported range {MIN_YEAR}-01-01 to {MAX_YEAR}-12-31")


def _to_dates(values: Iterable[date]) -> frozenset[date]:
    dates = frozenset(values)
    for d in dates:
        if not isinstance(d, date) or isinstance(d, datetime):
            raise TypeError(f"closures must be datetime.date values, not {d!r}")
    return dates


@attrs.frozen
class WorkingCalendar:
    """Working days of one nation, less an authority's extra closure days.

    Answers come from a precomputed, sorted table of working days searched by bisection;
    the table covers a few years around the dates asked about and grows on demand. Equal
    calendars share one table. Dates must lie in the years ``MIN_YEAR`` to ``MAX_YEAR``.

    Attributes:
        nation: Whose bank holidays apply.
        closures: Extra days the authority is closed (any iterable of dates is accepted).
    """

    nation: Nation = attrs.field(default=Nation.ENGLAND_AND_WALES, converter=Nation)
    closures: frozenset[date] = attrs.field(default=frozenset(), converter=_to_dates)
    _box: _Box = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_box", _box_for(self.nation, self.closures))

    def _covering(self, lo: int, hi: int) -> _Table:
        """Return a table covering ordinals ``lo..hi``, extending the shared one if need be."""
        table = self._box.table
        if table is not None and table.lo <= lo and hi <= table.hi:
            return table
        if lo < _MIN_ORD or hi > _MAX_ORD:
            raise _out_of_range(str(date.fromordinal(lo if lo < _MIN_ORD else hi)))
        with _LOCK:  # one builder at a time; readers keep using the old table meanwhile
            table = self._box.table
            if table is not None and table.lo <= lo and hi <= table.hi:
                return table
            lo_year = date.fromordinal(lo).year - _PAD
            hi_year = date.fromordinal(hi).year + _PAD
            if table is not None:
                lo_year, hi_year = min(lo_year, table.lo_year), max(hi_year, table.hi_year)
            lo_year, hi_year = max(lo_year, MIN_YEAR), min(hi_year, MAX_YEAR)
            table = _build(self.nation, self.closures, lo_year, hi_year)
            self._box.table = table  # a single reference assignment: atomic for readers
            return table

    def is_working_day(self, d: date) -> bool:
        """Tell whether a date is a working day.

        Args:
            d: The date.

        Returns:
            False on weekends, bank holidays and closure days, else True.

        Raises:
            ValueError: If the date is outside the supported years.
        """
        o = d.toordinal()
        days = self._covering(o, o).days
        i = bisect_left(days, o)
        return i < len(days) and days[i] == o

    def add_working_days(self, d: date, n: int) -> date:
        """Return the nth working day after a date, the date itself not counted.

        Args:
            d: The date of the event.
            n: How many working days; 0 gives ``d`` if it is a working day, else the next one.

        Returns:
            The date on which a deadline of n working days falls.

        Raises:
            ValueError: If n is negative, or a date involved is outside the supported years.
        """
        if n < 0:
            raise ValueError(f"n must be zero or more, not {n}")
        table = self._box.table
        if table is not None:  # the hot call: an index into the table, no search
            at = d.toordinal() - table.lo
            if 0 <= at < len(table.after):
                i = table.after[at]
                if n:
                    i += n - 1
                elif i and table.days[i - 1] == table.lo + at:
                    i -= 1  # d itself, a working day
                dates = table.dates
                if i < len(dates):
                    found = dates[i]
                    if found is None:
                        found = dates[i] = _day(table.days[i])
                    return found
        return self._add_working_days(d, n)

    def _add_working_days(self, d: date, n: int) -> date:
        o = d.toordinal()
        table = self._box.table
        if table is None or not table.lo <= o <= table.hi:
            table = self._covering(o, o)
        while True:
            days = table.days
            i = bisect_right(days, o) + n - 1 if n else bisect_left(days, o)
            if i < len(days):
                return _day(days[i])
            if table.hi >= _MAX_ORD:
                raise _out_of_range(f"{n} working days after {d}")
            table = self._covering(o, min(table.hi + 1 + i - len(days), _MAX_ORD))

    def subtract_working_days(self, d: date, n: int) -> date:
        """Return the nth working day before a date, the date itself not counted.

        Args:
            d: The date.
            n: How many working days; 0 gives ``d`` if it is a working day, else the one before.

        Returns:
            The working day that is n working days before d. When d is a working day and
            n >= 1, ``add_working_days(result, n) == d``.

        Raises:
            ValueError: If n is negative, or a date involved is outside the supported years.
        """
        if n < 0:
            raise ValueError(f"n must be zero or more, not {n}")
        o = d.toordinal()
        table = self._covering(o, o)
        while True:
            days = table.days
            i = bisect_left(days, o) - n if n else bisect_right(days, o) - 1
            if i >= 0:
                return _day(days[i])
            if table.lo <= _MIN_ORD:
                raise _out_of_range(f"{n} working days before {d}")
            table = self._covering(max(table.lo - 1 + i, _MIN_ORD), o)

    def working_days_between(self, start: date, end: date) -> int:
        """Count the working days after ``start`` up to and including ``end``.

        The count is negative when ``end`` is before ``start``: it is minus the number of
        working days after ``end`` up to and including ``start``. So for n >= 1,
        ``working_days_between(d, add_working_days(d, n)) == n``, and for ``end`` a working day
        after ``start``, ``add_working_days(start, working_days_between(start, end)) == end``.

        Args:
            start: The first date (not counted).
            end: The last date (counted).

        Returns:
            The signed number of working days in the half-open interval.

        Raises:
            ValueError: If either date is outside the supported years.
        """
        s, e = start.toordinal(), end.toordinal()
        days = self._covering(min(s, e), max(s, e)).days
        return bisect_right(days, e) - bisect_right(days, s)

    def bank_holidays(self, year: int) -> tuple[tuple[date, str], ...]:
        """List the bank holidays of the calendar's nation in a year (closures not included).

        Args:
            year: The year.

        Returns:
            ``(date, name)`` pairs in date order, substitute days included.

        Raises:
            ValueError: If the year is outside the supported years.
        """
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise _out_of_range(f"year {year}")
        return tuple(sorted(_bank_holidays(self.nation, [year]).items()))


DEFAULT_CALENDAR = WorkingCalendar()
"""England and Wales, no extra closures."""
