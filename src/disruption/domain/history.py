"""A child's and a carer's placement history: the endings of their other cases, as data.

The core never reads the store: a command that needs history (``end_placement``, whose
ending may require a meeting by the authority's rule) is decided with a :class:`History`
the engine loads beforehand, from the child's other cases and, when the rule asks, the
carer's. Imported SSDA903 returns are cases too, so their endings count.

>>> from datetime import date
>>> ended = PastEnding("P-7", "U3", date(2025, 3, 1), planned=False, reason="CREQB")
>>> History(child=(ended,)).child_unplanned_since(date(2025, 1, 1))
1
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import attrs

from disruption.domain.model import Case

__all__ = ["History", "PastEnding", "ending_of"]


@attrs.frozen
class PastEnding:
    """How one earlier placement of the child (or with the carer) ended.

    Attributes:
        case: The case reference.
        placement_type: Its SSDA903 ``PLACE`` code.
        end: The day it ended.
        planned: Whether the ending was planned.
        reason: Its ``REASON_PLACE_CHANGE`` code (empty when the child left care).
        left_care: The ``REC`` code when the child left care with it.
        carer: The carer's reference, when known.
    """

    case: str
    placement_type: str
    end: date
    planned: bool
    reason: str = ""
    left_care: str | None = None
    carer: str | None = None


def ending_of(case: Case) -> PastEnding | None:
    """The ending of a case as history, or ``None`` while its placement goes on."""
    ending = case.ending
    if ending is None:
        return None
    return PastEnding(
        case.id,
        case.placement.type,
        ending.end,
        ending.planned,
        ending.reason,
        ending.left_care,
        case.placement.carer,
    )


def _sorted(endings: Iterable[PastEnding]) -> tuple[PastEnding, ...]:
    return tuple(sorted(endings, key=lambda e: (e.end, e.case)))


@attrs.frozen
class History:
    """The endings of a child's other cases, and of other cases with the same carer.

    Attributes:
        child: The child's other placements that ended, oldest first.
        carer: Other placements with the same carer that ended (any child's), oldest first
            (empty unless the procedure's rule counts the carer's endings).
    """

    child: tuple[PastEnding, ...] = attrs.field(default=(), converter=_sorted)
    carer: tuple[PastEnding, ...] = attrs.field(default=(), converter=_sorted)

    def child_unplanned_since(self, since: date, until: date | None = None) -> int:
        """How many of the child's other endings were unplanned, ended on or after ``since``."""
        return _unplanned(self.child, since, until)

    def carer_unplanned_since(self, since: date, until: date | None = None) -> int:
        """How many of the carer's other endings were unplanned, on or after ``since``."""
        return _unplanned(self.carer, since, until)


def _unplanned(endings: Iterable[PastEnding], since: date, until: date | None) -> int:
    return sum(
        1 for e in endings if not e.planned and e.end >= since and (until is None or e.end <= until)
    )
