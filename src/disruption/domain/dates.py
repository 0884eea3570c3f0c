"""Calendar arithmetic by ``pendulum``: months before a day, ages in whole years.

Off the hot path (the stability measures compute their boundaries once per year end, and
retention once per run); the engine's working days are :mod:`disruption.domain.calendar`'s.
"""

from __future__ import annotations

from datetime import date

import pendulum

__all__ = ["age_on", "months_before"]


def _pendulum(day: date) -> pendulum.Date:
    return pendulum.Date(day.year, day.month, day.day)


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the month's last day when shorter).

    Calendar arithmetic by ``pendulum`` (``Date.subtract(months=...)``), returned as a plain
    ``datetime.date``.

    >>> months_before(date(2024, 2, 29), 12), months_before(date(2025, 3, 31), 30)
    (datetime.date(2023, 2, 28), datetime.date(2022, 9, 30))
    """
    earlier = _pendulum(day).subtract(months=months)
    return date(earlier.year, earlier.month, earlier.day)


def age_on(born: date, day: date) -> int:
    """A person's age on a day, in whole years (``pendulum``'s ``diff(...).in_years()``).

    Someone born on 29 February is a year older on 1 March in other years. The measures
    compare dates of birth with :func:`months_before` instead, column by column; the two
    agree (a property test checks it): ``age_on(born, y) < 16`` exactly when
    ``born > months_before(y, 16 * 12)``.

    >>> age_on(date(2008, 2, 29), date(2025, 2, 28)), age_on(date(2008, 2, 29), date(2025, 3, 1))
    (16, 17)
    """
    return _pendulum(born).diff(_pendulum(day), abs=False).in_years()
