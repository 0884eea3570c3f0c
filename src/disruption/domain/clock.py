"""Time as data: clocks to inject, and the one place the library turns an instant into a date.

The core never reads the system clock. The engine takes a :class:`Clock`; tests pass a
:class:`FixedClock`, applications the :class:`SystemClock`.

>>> from datetime import datetime, timezone
>>> clock = FixedClock(datetime(2025, 12, 23, 23, 30, tzinfo=timezone.utc))
>>> london_date(clock.now())
datetime.date(2025, 12, 23)
>>> london_date(datetime(2025, 6, 30, 23, 30, tzinfo=timezone.utc))  # BST: already 1 July
datetime.date(2025, 7, 1)
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

import attrs
import pendulum

__all__ = [
    "CLOCK_TOLERANCE",
    "LONDON",
    "Clock",
    "FixedClock",
    "SystemClock",
    "london_date",
    "shared_date",
]

CLOCK_TOLERANCE = timedelta(minutes=5)
"""How far a step's ``at`` may be after the instant it is entered (the clock's ``now``):
the sending system's clock may run a little ahead of the engine's. Beyond it the step is
refused (:class:`~disruption.exceptions.DateOutOfRange` naming ``at``)."""

LONDON = ZoneInfo("Europe/London")
"""The time zone in which an instant's date is read (children's services in England and Wales)."""


class Clock(Protocol):
    """Anything that tells the current instant, as an aware datetime."""

    def now(self) -> datetime:
        """Return the current instant (timezone-aware)."""
        ...


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{value!r} has no time zone; give an offset such as +00:00")
    return value


@attrs.frozen
class FixedClock:
    """A clock stopped at one instant; move it with :meth:`advanced`.

    Attributes:
        at: The instant it always tells; must carry a time zone.
    """

    at: datetime = attrs.field(validator=lambda _i, _a, v: _aware(v))

    def now(self) -> datetime:
        """Return the fixed instant."""
        return self.at

    def advanced(self, **delta: float) -> FixedClock:
        """Return a clock moved on by a ``timedelta``'s keyword arguments (``days=1``)."""
        from datetime import timedelta

        return FixedClock(self.at + timedelta(**delta))


class SystemClock:
    """The machine's clock, in UTC. For the application shell only."""

    def now(self) -> datetime:
        """Return the current instant in UTC."""
        return pendulum.now("UTC")

    def __repr__(self) -> str:
        return "SystemClock()"


def london_date(at: datetime) -> date:
    """Return the calendar date of an instant in Europe/London.

    Args:
        at: A timezone-aware instant.

    Returns:
        The date on a London wall calendar at that instant.
    """
    day = at.astimezone(LONDON).date()
    if type(day) is not date:  # pendulum's Date (SystemClock): a plain date, as stored
        day = date(day.year, day.month, day.day)
    found = _DAYS.get(day)
    return _shared(day) if found is None else found


_DAYS: dict[date, date] = {}
"""One shared ``date`` per day, so that many cases' records do not each hold a copy. A dict,
not ``functools.lru_cache``, whose bookkeeping costs about 150 bytes a day more."""
_DAYS_LIMIT = 4096


def _shared(day: date) -> date:
    found = _DAYS.get(day)
    if found is None:
        if len(_DAYS) >= _DAYS_LIMIT:
            _DAYS.clear()  # start again: the days seen from now on
        found = _DAYS.setdefault(day, day)
    return found


def shared_date(day: date) -> date:
    """Return a date equal to ``day``, one object per day (up to 4,096 days at once).

    Cases and the events a store keeps name the same few thousand days again and again; a
    date read from a command or an event is shared through here, so that each does not
    hold its own copy (32 bytes each).

    >>> shared_date(date(2025, 12, 23)) is shared_date(date.fromisoformat("2025-12-23"))
    True
    """
    found = _DAYS.get(day)
    return _shared(day) if found is None else found
