"""The domain model: frozen value objects, validated when built, and the case they make up.

Everything here is plain data. A :class:`Case` is never changed in place: the fold in
:mod:`disruption.fold` builds the next one from an event. The value objects are defined
in :mod:`disruption.model_values` and importable from here.

>>> from datetime import date
>>> Placement(id="PL-1", type="u1", provider="PR1", start=date(2024, 5, 1),
...           location="in_borough").type
'U1'
>>> Actor("sw-17", "social_worker").role is Role.SOCIAL_WORKER
True
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import attrs

from disruption.model_values import (
    MANAGER_ROLES,
    Actor,
    Concern,
    ConcernCategory,
    Deadline,
    DeadlineStatus,
    Ending,
    LearningReview,
    Location,
    Meeting,
    MeetingDecision,
    Placement,
    ProcedureRef,
    Role,
    SupportOffer,
    SupportType,
    check_reference,
)

__all__ = [
    "MANAGER_ROLES",
    "Actor",
    "Case",
    "CaseFile",
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
]


@attrs.frozen
class CaseFile:
    """Everything about a case but where it stands: who, which placement, what was recorded.

    Attributes:
        concerns: Concerns raised, oldest first: a tuple, or for a long record a
            :class:`~disruption.chain.Chain` (read and compared as a tuple), so that a step
            adding one does not copy the others.
        deadlines: Every deadline set, oldest first: a tuple or a chain, as ``concerns``.
        social_workers: Ids of everyone who has acted on the case as its social worker.
        imported: Whether the case is history imported from SSDA903 returns.
    """

    procedure: ProcedureRef
    child: str
    placement: Placement
    concerns: Sequence[Concern] = ()
    support: SupportOffer | None = None
    meetings: tuple[Meeting, ...] = ()
    ending: Ending | None = None
    notice_sent_on: date | None = None
    review: LearningReview | None = None
    deadlines: Sequence[Deadline] = ()
    social_workers: tuple[str, ...] = ()
    imported: bool = False
    open_deadlines: tuple[Deadline, ...] | None = attrs.field(default=None, eq=False, repr=False)
    """The deadlines still open, oldest first, when known: kept by the fold so that a step
    does not look through every deadline a long case ever had. ``None`` when not known;
    never compared (it follows from ``deadlines``)."""


def _from_file(name: str, doc: str) -> Any:
    # A C-level getter: these are read several times on every step.
    return property(operator.attrgetter(f"file.{name}"), doc=doc)


@attrs.frozen
class Case:
    """One placement's journey through the procedure: a fold over its events.

    Where the case stands (state, version, last step) is kept apart from its
    :class:`CaseFile`, so that a step that only moves the case copies four references and
    shares the rest. The file's fields read as the case's own: ``case.placement``.

    Attributes:
        version: The number of events applied (the sequence number of the last one).
        updated_at: When the last step happened (its ``at``).
        file: The case file: procedure, child, placement, records and deadlines.
    """

    id: str
    state: str
    version: int
    updated_at: datetime
    file: CaseFile

    procedure = _from_file("procedure", "The procedure definition the case is decided by.")
    child = _from_file("child", "The child's pseudonymous reference.")
    placement = _from_file("placement", "The placement.")
    concerns = _from_file("concerns", "Concerns raised, oldest first.")
    support = _from_file("support", "The latest support offer.")
    meetings = _from_file("meetings", "Stability meetings, oldest first.")
    ending = _from_file("ending", "How and why the placement ended.")
    notice_sent_on = _from_file("notice_sent_on", "When written notice was sent.")
    review = _from_file("review", "The learning review, or its waiver.")
    deadlines = _from_file("deadlines", "Every deadline set, oldest first.")

    @property
    def social_workers(self) -> frozenset[str]:
        """Ids of everyone who has acted on the case as its social worker."""
        return frozenset(self.file.social_workers)

    def moved(self, state: str, version: int, updated_at: datetime) -> Case:
        """Return the case at another state and version, sharing its file.

        This is the hot path of every step, so it fills the new frozen instance's slots
        directly (as attrs' own ``__init__`` does, without its per-field indirection).
        """
        moved: Case = _new(Case)
        _SET_ID(moved, self.id)
        _SET_STATE(moved, state)
        _SET_VERSION(moved, version)
        _SET_UPDATED_AT(moved, updated_at)
        _SET_FILE(moved, self.file)
        return moved

    def with_file(self, **changes: Any) -> Case:
        """Return the case with fields of its file replaced.

        On the hot path of every recorded step: the file's fields are read at once and the
        new file built by position, not through ``attrs.evolve``'s per-field lookups.
        """
        values: list[Any] = list(_FILE_VALUES(self.file))
        for name, value in changes.items():
            values[_FILE_INDEX[name]] = value
        if "deadlines" in changes and "open_deadlines" not in changes:
            values[_OPEN_INDEX] = None  # no longer known
        moved: Case = _new(Case)
        _SET_ID(moved, self.id)
        _SET_STATE(moved, self.state)
        _SET_VERSION(moved, self.version)
        _SET_UPDATED_AT(moved, self.updated_at)
        _SET_FILE(moved, CaseFile(*values))
        return moved

    def open_deadlines(self) -> tuple[Deadline, ...]:
        """Return the deadlines still open."""
        known = self.file.open_deadlines
        if known is not None:
            return known
        return tuple(d for d in self.file.deadlines if d.status is DeadlineStatus.OPEN)

    def overdue(self, on: date) -> tuple[Deadline, ...]:
        """Return the open deadlines whose due date is before ``on``."""
        return tuple(d for d in self.open_deadlines() if d.due < on)


_FILE_NAMES = tuple(a.name for a in attrs.fields(CaseFile))
_FILE_VALUES = operator.attrgetter(*_FILE_NAMES)
_FILE_INDEX = {name: i for i, name in enumerate(_FILE_NAMES)}
_OPEN_INDEX = _FILE_INDEX["open_deadlines"]
_new = object.__new__
_SET_ID = Case.__dict__["id"].__set__
_SET_STATE = Case.__dict__["state"].__set__
_SET_VERSION = Case.__dict__["version"].__set__
_SET_UPDATED_AT = Case.__dict__["updated_at"].__set__
_SET_FILE = Case.__dict__["file"].__set__
