"""Dates in options and times told to people: ISO or relative dates in, words out.

Options taking a date accept ``YYYY-MM-DD`` or a date relative to today in Europe/London
(:func:`relative_date`); today comes from :data:`clock` (the system clock unless a test sets
one). Durations shown to people are in words by ``pendulum`` (:func:`span`,
:func:`relative`), never in JSON or CSV. ``pendulum`` is imported when it is used, so that
the CLI starts without it.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from disruption.domain.clock import Clock

__all__ = [
    "DATE_HELP",
    "clock",
    "now",
    "parse_date",
    "relative",
    "relative_date",
    "span",
    "today",
]

DATE_HELP = (
    "YYYY-MM-DD, or today, yesterday, tomorrow, -3d, +2w, -6m, +1y, '3 days ago' or "
    "'in 2 weeks' (days counted from today in Europe/London; months and years by the "
    "calendar: a month before 31 March is 28 or 29 February)"
)
"""What every option taking a date accepts (see :func:`parse_date`)."""

clock: Clock | None = None
"""The clock the commands read "now" from: the system clock when ``None`` (tests set one)."""


def now() -> datetime:
    """The current instant, from :data:`clock`."""
    if clock is not None:
        return clock.now()
    from disruption.domain.clock import SystemClock

    return SystemClock().now()


def today() -> date:
    """Today in Europe/London, from :data:`clock`."""
    from disruption.domain.clock import london_date

    return london_date(now())


_UNITS = {"d": "days", "w": "weeks", "m": "months", "y": "years"}
_SHORT = re.compile(r"([+-])\s*(\d{1,5})\s*([dwmy])")
_WORDS = re.compile(r"(?:(in)\s+)?(\d{1,5})\s+(day|week|month|year)s?(?:\s+(ago))?")
_NAMED = {"today": 0, "yesterday": -1, "tomorrow": 1}


def relative_date(text: str, reference: date) -> date | None:
    """A relative date (``today``, ``-3d``, ``+2w``, ``3 days ago``, ...), or ``None``.

    Days and weeks are counted; months and years move by the calendar with ``pendulum``
    (the month's last day when it is shorter). Case and spaces do not matter. Anything else
    (an ISO date included), or a date out of range, gives ``None``.

    Args:
        text: The option's text.
        reference: Today.

    Returns:
        The date, or ``None``.

    >>> day = date(2024, 3, 31)
    >>> [relative_date(t, day) for t in ("yesterday", "-3d", "+2w", "1 month ago", "in 1 year")]
    ... # doctest: +NORMALIZE_WHITESPACE
    [datetime.date(2024, 3, 30), datetime.date(2024, 3, 28), datetime.date(2024, 4, 14),
     datetime.date(2024, 2, 29), datetime.date(2025, 3, 31)]
    >>> relative_date("3 days", day) is None  # neither "in" nor "ago": which way?
    True
    """
    words = " ".join(text.lower().split())
    if words in _NAMED:
        sign, count, unit = (-1 if _NAMED[words] < 0 else 1), abs(_NAMED[words]), "days"
    elif short := _SHORT.fullmatch(words):
        sign, count = (-1 if short[1] == "-" else 1), int(short[2])
        unit = _UNITS[short[3]]
    elif (long := _WORDS.fullmatch(words)) and bool(long[1]) != bool(long[4]):
        sign, count, unit = (1 if long[1] else -1), int(long[2]), long[3] + "s"
    else:
        return None
    import pendulum

    start = pendulum.Date(reference.year, reference.month, reference.day)
    try:
        moved = start.add(**{unit: sign * count})
    except (ValueError, OverflowError):  # before year 1 or after 9999
        return None
    return date(moved.year, moved.month, moved.day)


def span(earlier: date, later: date) -> str:
    """The time from one day to another, in words (English), for people: never in JSON.

    Calendar years, months, weeks and days, by ``pendulum``'s ``Interval.in_words()``.

    >>> span(date(2025, 12, 29), date(2025, 12, 30)), span(date(2025, 1, 1), date(2026, 2, 14))
    ('1 day', '1 year 1 month 1 week 6 days')
    >>> span(date(2025, 1, 1), date(2025, 1, 1))
    '0 days'
    """
    if earlier == later:
        return "0 days"
    import pendulum

    first = pendulum.Date(earlier.year, earlier.month, earlier.day)
    return first.diff(pendulum.Date(later.year, later.month, later.day)).in_words(locale="en")


def relative(day: date, reference: date) -> str:
    """A day said from another (today): ``today``, ``in 3 days``, ``1 week 2 days ago``.

    >>> relative(date(2025, 12, 29), date(2025, 12, 23)), relative(date(2025, 12, 9),
    ...     date(2025, 12, 23)), relative(date(2025, 12, 23), date(2025, 12, 23))
    ('in 6 days', '2 weeks ago', 'today')
    """
    if day == reference:
        return "today"
    if day > reference:
        return f"in {span(reference, day)}"
    return f"{span(day, reference)} ago"


def parse_date(value: str | None, option: str) -> date:
    """An option's date: ISO (YYYY-MM-DD) or relative to today (:func:`relative_date`).

    Args:
        value: The option's text; ``None`` for today.
        option: The option's name, for the error.

    Raises:
        typer.BadParameter: Neither (exit 2, naming the option).
    """
    if value is None:
        return today()
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        pass
    moved = relative_date(value, today())
    if moved is None:
        raise typer.BadParameter(
            f"{value!r} is not a date: give YYYY-MM-DD, today, yesterday, tomorrow, "
            "-3d, +2w, -6m, +1y, '3 days ago' or 'in 2 weeks'",
            param_hint=option,
        )
    return moved
