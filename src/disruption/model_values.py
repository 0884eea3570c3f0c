"""The model's value objects: roles and codes, references, and the records a case holds.

Each is frozen and validated when built; :class:`~disruption.model.Case` and its
:class:`~disruption.model.CaseFile` are made of them. All are importable from
:mod:`disruption.model`.

>>> Role("iro") is Role.IRO
True
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

import attrs

from disruption import codes
from disruption.exceptions import InvalidData

__all__ = [
    "MANAGER_ROLES",
    "Actor",
    "Concern",
    "ConcernCategory",
    "Deadline",
    "DeadlineStatus",
    "Ending",
    "LearningReview",
    "Location",
    "Meeting",
    "MeetingDecision",
    "Placement",
    "ProcedureRef",
    "Role",
    "SupportOffer",
    "SupportType",
    "check_reference",
    "member_reader",
    "to_role",
]

_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}")


def check_reference(value: object, field: str) -> str:
    """Check a pseudonymous reference: 1-64 letters, digits and ``._:/-``, no spaces.

    Args:
        value: The value given.
        field: The field's name, for the error.

    Returns:
        The reference.

    Raises:
        InvalidData: When the value is not such a reference.
    """
    if not isinstance(value, str) or not _REFERENCE.fullmatch(value):
        raise InvalidData(
            "must be a reference of 1-64 letters, digits or ._:/- (no names, no spaces)",
            field=field,
        )
    return value


def _reference(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    check_reference(value, attribute.name)


E = TypeVar("E", bound=StrEnum)


def member_reader(kind: type[E]) -> Callable[[object], E]:
    """A converter to a member of ``kind``, as ``kind(value)`` but by one dict lookup.

    An enumeration's own call is slow; deciding and reading events convert values to
    members many times a step.

    Args:
        kind: The enumeration.

    Returns:
        A function of a value returning the member with that value; a value that is not a
        member's gets ``kind(value)``'s own ``ValueError``.
    """
    members: dict[object, E] = {m.value: m for m in kind}

    def read(value: object) -> E:
        try:
            return members[value]
        except (KeyError, TypeError):
            return kind(value)  # type: ignore[arg-type]  # its own error for a non-member

    read.__doc__ = f"Return the {kind.__name__} whose value ``value`` is."
    return read


class Role(StrEnum):
    """Who acts on a case."""

    SOCIAL_WORKER = "social_worker"
    SUPERVISING_SOCIAL_WORKER = "supervising_social_worker"
    TEAM_MANAGER = "team_manager"
    FOSTERING_TEAM_MANAGER = "fostering_team_manager"
    HEAD_OF_SERVICE = "head_of_service"
    IRO = "iro"
    CARER = "carer"
    CHILD = "child"
    OTHER_AGENCY = "other_agency"
    SYSTEM = "system"


_ROLE = member_reader(Role)


def to_role(value: object) -> Role:
    """Return ``Role(value)``, by one lookup.

    Args:
        value: A role's value (or a role).

    Returns:
        The role.

    Raises:
        ValueError: When ``value`` is no role's value.
    """
    return _ROLE(value)


MANAGER_ROLES = frozenset({Role.TEAM_MANAGER, Role.FOSTERING_TEAM_MANAGER, Role.HEAD_OF_SERVICE})
"""Roles that may take management decisions (screening, support offers, waivers)."""


class Location(StrEnum):
    """Where a placement is, relative to the authority's own area."""

    IN_BOROUGH = "in_borough"
    OUT_OF_BOROUGH = "out_of_borough"


class ConcernCategory(StrEnum):
    """What a concern about a placement is about."""

    ALLEGATION = "allegation"
    COMPLAINT = "complaint"
    MISSING_EPISODES = "missing_episodes"
    RELATIONSHIP = "relationship"
    CARER_DIFFICULTY = "carer_difficulty"
    CHILD_WANTS_TO_LEAVE = "child_wants_to_leave"
    NEEDS_NOT_MET = "needs_not_met"
    REVIEW = "review"
    OTHER = "other"


class SupportType(StrEnum):
    """Kinds of support offered to a fragile placement."""

    EXTRA_VISITS = "extra_visits"
    RESPITE = "respite"
    THERAPEUTIC = "therapeutic"
    DIRECT_WORK = "direct_work"
    TRAINING = "training"
    FINANCIAL = "financial"
    PRACTICAL = "practical"
    MENTOR_CARER = "mentor_carer"
    EDUCATION = "education"
    OTHER = "other"


class MeetingDecision(StrEnum):
    """What a stability meeting decides."""

    CONTINUE_SUPPORT = "continue_support"
    STABILISE = "stabilise"
    PLAN_MOVE = "plan_move"


class DeadlineStatus(StrEnum):
    """Where a deadline stands."""

    OPEN = "open"
    MET = "met"
    LATE = "late"
    CANCELLED = "cancelled"


@attrs.frozen
class Actor:
    """Someone acting on a case, by pseudonymous id and role."""

    id: str = attrs.field(validator=_reference)
    role: Role = attrs.field(converter=to_role)


@attrs.frozen
class ProcedureRef:
    """The name and version of the procedure definition a case is decided by."""

    name: str
    version: int


_CHECKED: set[tuple[str, int | None]] = set()
"""Placement types (with their collection year) and providers (year ``None``) found valid:
a placement is built on every case opened and every case read back, from a few dozen codes."""
_CHECKED_LIMIT = 4096


def _remember(value: str, year: int | None) -> None:
    if len(_CHECKED) < _CHECKED_LIMIT:
        _CHECKED.add((value, year))


def _place(instance: Placement, attribute: attrs.Attribute[Any], value: str) -> None:
    year = codes.collection_year(instance.start)
    if type(value) is str and (value, year) in _CHECKED:
        return
    codes.PLACE.check(value, field="placement.type", year=year)
    _remember(value, year)


def _provider(instance: Placement, attribute: attrs.Attribute[Any], value: str) -> None:
    if type(value) is str and (value, None) in _CHECKED:
        return
    codes.PLACE_PROVIDER.check(value, field="placement.provider")
    _remember(value, None)


def _optional_reference(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        check_reference(value, f"placement.{attribute.name}")


_LOCATION = member_reader(Location)


def _to_location(value: object) -> Location:
    return _LOCATION(value)


def _upper(value: str) -> str:
    return value.strip().upper() if isinstance(value, str) else value


@attrs.frozen
class Placement:
    """Where a child lives: SSDA903 placement type and provider, start, location and carer."""

    id: str = attrs.field(validator=_reference)
    start: date
    type: str = attrs.field(converter=_upper, validator=_place)
    provider: str = attrs.field(converter=_upper, validator=_provider)
    location: Location = attrs.field(converter=_to_location)
    carer: str | None = attrs.field(default=None, validator=_optional_reference)


@attrs.frozen
class Concern:
    """A concern raised about a placement."""

    category: ConcernCategory
    raised_by: Role
    on: date


@attrs.frozen
class SupportOffer:
    """Support offered to a fragile placement."""

    support: tuple[SupportType, ...]
    on: date
    review_by: date | None = None


@attrs.frozen
class Meeting:
    """A placement stability meeting, convened and, once held, recorded."""

    date: dt.date
    chair: Actor
    held_on: dt.date | None = None
    decision: MeetingDecision | None = None
    factors: tuple[str, ...] = ()
    child_views_obtained: bool | None = None


@attrs.frozen
class Ending:
    """How and why a placement ended.

    Attributes:
        end: The day it ended.
        reason: The REASON_PLACE_CHANGE code; empty when none was recorded (a child who left
            care, in imported SSDA903 history).
        planned: Whether the ending was planned.
        left_care: The REC code when the child left care with it (imported history).
    """

    end: date
    reason: str
    planned: bool
    left_care: str | None = None


@attrs.frozen
class LearningReview:
    """The learning review after an unplanned ending, or its waiver."""

    held_on: date | None
    chair: Actor | None
    factors: tuple[str, ...]
    waived: bool = False


@attrs.frozen
class Deadline:
    """A timescale the procedure set on a case, and how it ended.

    Attributes:
        id: Unique within the case: the name and the number of the event that opened it.
        due: The last day (inclusive) on which the clearing step is on time.
        earliest: The first day on which the clearing step may be taken, if any.
        closed_on: The date that cleared or cancelled it.
        missed_recorded: Whether a sweep has recorded it as missed.
    """

    id: str
    name: str
    opened_on: date
    due: date
    earliest: date | None = None
    status: DeadlineStatus = DeadlineStatus.OPEN
    closed_on: date | None = None
    missed_recorded: bool = False

    @property
    def met(self) -> bool | None:
        """``True`` when cleared on time, ``False`` when cleared late, ``None`` otherwise."""
        if self.status is DeadlineStatus.MET:
            return True
        if self.status is DeadlineStatus.LATE:
            return False
        return None

    def is_overdue(self, on: date) -> bool:
        """Whether it is still open with its due date before ``on``."""
        return self.status is DeadlineStatus.OPEN and self.due < on
