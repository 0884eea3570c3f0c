"""The domain model: frozen value objects, validated when built, and the case they make up.

Everything here is plain data: roles and codes, references, the records a case holds, and
the :class:`Case` and its :class:`CaseFile` made of them, each frozen and validated when built.
A :class:`Case` is never changed in place: the fold in :mod:`disruption.core.fold` builds the
next one from an event.

>>> Role("iro") is Role.IRO
True

>>> from datetime import date
>>> Placement(id="PL-1", type="u1", provider="PR1", start=date(2024, 5, 1),
...           location="in_borough").type
'U1'
>>> Actor("sw-17", "social_worker").role is Role.SOCIAL_WORKER
True
"""

from __future__ import annotations

import datetime as dt
import operator
import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypeVar, cast

import attrs

from disruption.domain import codes
from disruption.exceptions import InvalidData

__all__ = [
    "MANAGER_ROLES",
    "REFERENCE_PATTERN",
    "Actor",
    "Case",
    "CaseFile",
    "ChairReport",
    "Concern",
    "ConcernCategory",
    "Deadline",
    "DeadlineStatus",
    "Ending",
    "LearningReview",
    "Location",
    "Meeting",
    "MeetingDecision",
    "Notice",
    "Placement",
    "ProcedureRef",
    "Recommendation",
    "Role",
    "SiblingDecision",
    "SiblingGroup",
    "SupportOffer",
    "SupportType",
    "actor_key",
    "check_reference",
    "filled",
    "is_reference",
    "member_reader",
    "placement_read",
    "to_role",
]


REFERENCE_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}"
"""A pseudonymous reference (matched whole): 1-64 letters, digits and ``._:/-``."""

_REFERENCE = re.compile(REFERENCE_PATTERN)


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


def is_reference(value: object) -> bool:
    """Whether a value is a pseudonymous reference (what :func:`check_reference` accepts).

    >>> is_reference("sw-17"), is_reference("Jane Smith")
    (True, False)
    """
    return isinstance(value, str) and _REFERENCE.fullmatch(value) is not None


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


T = TypeVar("T")


def filled(cls: type[T], *given: str) -> Callable[..., T]:
    """A constructor of a frozen, slotted attrs class by position: every field, in order.

    It fills the new instance's slots directly (as attrs' own ``__init__`` does, without its
    per-field ``object.__setattr__`` call and its defaults): for the values built on every
    step (a case, its file, an event). Only for a class whose fields have no validator, no
    converter and no ``__attrs_post_init__``: the instance is the one ``cls(*values)`` builds.

    The instance is filled through a twin (:func:`_twin`): each slot stored as on any plain
    object, then the instance made a ``cls``; a class that has no twin through each slot's
    descriptor.

    Args:
        cls: The class.
        given: When named, the only fields the constructor takes, in this order: every other
            field is its default (a value, not a factory), as ``cls(**values)`` would fill it.

    Returns:
        A function of all the field values (or those ``given``), in order, returning the
        instance.

    Raises:
        TypeError: When ``cls`` validates or converts what it is given, or a field not
            ``given`` has no default value.
    """
    fields = attrs.fields(cast("type[attrs.AttrsInstance]", cls))
    if hasattr(cls, "__attrs_post_init__") or any(
        f.validator is not None or f.converter is not None for f in fields
    ):
        raise TypeError(f"{cls.__name__} checks or converts its fields: build it with its init")
    if not given:
        return _filling(cls)
    names = {f.name for f in fields}
    if len(set(given)) != len(given) or not names.issuperset(given):
        raise TypeError(f"{', '.join(given)}: not distinct fields of {cls.__name__}")
    for f in fields:
        default = f.default
        if f.name not in given and (
            default is attrs.NOTHING or isinstance(default, attrs.Factory)  # type: ignore[arg-type]
        ):
            raise TypeError(f"{cls.__name__}.{f.name} has no default value: it must be given")
    return _filling(cls, given)


def _filling(cls: type[T], given: tuple[str, ...] = ()) -> Callable[..., T]:
    """:func:`filled`'s constructor, not checking the class (its caller checks the values)."""
    fields = attrs.fields(cast("type[attrs.AttrsInstance]", cls))
    namespace: dict[str, Any] = {}
    values = {}  # each field's value: an argument, or (not given) its default
    for i, field in enumerate(fields):
        if given and field.name not in given:
            namespace[f"d{i}"] = field.default
            values[field.name] = f"d{i}"
    names = [f"v{i}" for i in range(len(given or fields))]
    values.update(zip(given or [f.name for f in fields], names, strict=True))
    build: Callable[..., T] = _compiled(cls, names, values, namespace, "filled")
    build.__doc__ = (
        f"Return a {cls.__name__} of {', '.join(given)}, every other field its default."
        if given
        else f"Return a {cls.__name__} of every field's value, in order."
    )
    return build


def _compiled(
    cls: type, params: list[str], values: dict[str, str], namespace: dict[str, Any], label: str
) -> Callable[..., Any]:
    """A function of ``params`` returning a new ``cls``, each field set to its expression.

    ``values`` maps every field's name to the Python expression of its value (a parameter,
    a name in ``namespace``, or an expression of the parameters). The instance is filled
    through the class's twin (:func:`_twin`), or through each slot's descriptor when it has
    none. What :func:`filled` and :func:`_rebuilder` compile.
    """
    fields = attrs.fields(cast("type[attrs.AttrsInstance]", cls))
    twin = _TWINS[cls] if cls in _TWINS else _TWINS.setdefault(cls, _twin(cls))
    namespace |= {"new": object.__new__, "cls": cls, "twin": twin}
    lines = [f"def build({', '.join(params)}):"]
    if twin is not None:
        lines.append("    made = new(twin)")
        lines += [f"    made.{field.name} = {values[field.name]}" for field in fields]
        lines.append("    made.__class__ = cls")
    else:
        lines.append("    made = new(cls)")
        for i, field in enumerate(fields):
            namespace[f"set{i}"] = cls.__dict__[field.name].__set__
            lines.append(f"    set{i}(made, {values[field.name]})")
    lines.append("    return made")
    exec(compile("\n".join(lines), f"<{label} {cls.__qualname__}>", "exec"), namespace)
    build: Callable[..., Any] = namespace["build"]
    return build


_TWINS: dict[type, type | None] = {}
"""Each class's :func:`_twin`, made once: every function :func:`_compiled` makes of a class
fills the same twin."""


def _twin(cls: type) -> type | None:
    """A subclass of ``cls`` that adds nothing but plain attribute assignment, or ``None``.

    Its instances take their slots by plain attribute assignment (the interpreter's fastest
    store: no frozen ``__setattr__`` in the way), then become instances of ``cls`` by
    ``__class__`` assignment, which Python allows between a class and a subclass of the same
    layout (no slot of its own). ``None`` for a class Python refuses so (a class that cannot
    be subclassed, say).
    """
    try:
        twin = type(
            f"_{cls.__name__}Filling",
            (cls,),
            {
                "__slots__": (),
                "__module__": cls.__module__,
                "__setattr__": object.__setattr__,
                "__delattr__": object.__delattr__,
            },
        )
        probe: Any = object.__new__(twin)
        probe.__class__ = cls
    except TypeError:  # not subclassed, or not moved between the two
        return None
    return twin


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


class SiblingDecision(StrEnum):
    """What is decided about a linked sibling when one child's placement moves or ends."""

    MOVE_TOGETHER = "move_together"
    STAY = "stay"
    MOVE_SEPARATELY = "move_separately"


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


def actor_key(actor_id: str) -> str:
    """An actor id as it is compared: whether two ids name the same person.

    Ids are stored as given; they are compared after Unicode NFKC normalisation, case folding
    and trimming, so that ``SW-17``, ``sw-17`` and `` sw-17 `` are one person (the chair's
    independence check).

    >>> actor_key(" SW-17 ") == actor_key("sw-17") == actor_key("ｓｗ－１７")
    True

    Args:
        actor_id: The id.

    Returns:
        The id's comparison key.
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", actor_id).casefold())
    return folded.strip()


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


_UPPER: dict[str, str] = {}
"""Codes as given to the code they are (one shared string per code): a placement is built on
every case opened, from a few dozen codes; bounded like ``_CHECKED``."""


def _upper(value: str) -> str:
    if type(value) is not str:
        return value.strip().upper() if isinstance(value, str) else value
    found = _UPPER.get(value)
    if found is None:
        found = value.strip().upper()
        found = _UPPER.get(found, found)
        if len(_UPPER) < _CHECKED_LIMIT:
            _UPPER[value] = found
            _UPPER.setdefault(found, found)
    return found


@attrs.frozen(weakref_slot=False)
class Placement:
    """Where a child lives: SSDA903 placement type and provider, start, location and carer."""

    id: str = attrs.field(validator=_reference)
    start: date
    type: str = attrs.field(converter=_upper, validator=_place)
    provider: str = attrs.field(converter=_upper, validator=_provider)
    location: Location = attrs.field(converter=_to_location)
    carer: str | None = attrs.field(default=None, validator=_optional_reference)


_NEW_PLACEMENT = _filling(Placement)


def placement_read(
    id: str, start: date, type: str, provider: str, location: Location, carer: str | None
) -> Placement:
    """Build a :class:`Placement` from a command's data, its references checked already.

    Internal (not in ``__all__``): for a command reader that has checked ``id`` and ``carer``
    with :meth:`~disruption.domain.commands.Fields.reference`, naming the field, and read
    ``location`` as a member (kept as given). It converts and checks the codes as
    ``Placement(...)`` does (``placement.type`` first, then ``placement.provider``; a code
    found valid before by one set lookup), without checking the references again: opening a
    case builds one on every call.
    """
    type = _UPPER.get(type) or _upper(type)
    provider = _UPPER.get(provider) or _upper(provider)
    placement: Placement = _NEW_PLACEMENT(id, start, type, provider, location, carer)
    year = codes.collection_year(start)
    if (type, year) not in _CHECKED:
        _place(placement, None, type)  # type: ignore[arg-type]  # the attribute is not read
    if (provider, None) not in _CHECKED:
        _provider(placement, None, provider)  # type: ignore[arg-type]
    return placement


@attrs.frozen(weakref_slot=False)
class Concern:
    """A concern raised about a placement."""

    category: ConcernCategory
    raised_by: Role
    on: date


@attrs.frozen(weakref_slot=False)
class SupportOffer:
    """Support offered to a fragile placement."""

    support: tuple[SupportType, ...]
    on: date
    review_by: date | None = None


@attrs.frozen(weakref_slot=False)
class Meeting:
    """A placement stability meeting, convened and, once held, recorded."""

    date: dt.date
    chair: Actor
    held_on: dt.date | None = None
    decision: MeetingDecision | None = None
    factors: tuple[str, ...] = ()
    child_views_obtained: bool | None = None
    invited: tuple[Role, ...] = ()
    """Who was invited, by role (the IRO among them); empty when not recorded."""
    attendees: tuple[Role, ...] = ()
    """Who attended, by role, once held."""
    carer_views_obtained: bool | None = None
    """Whether the carer's views were recorded (``None``: neither they nor why not)."""


@attrs.frozen
class SiblingGroup:
    """Cases of brothers and sisters linked as a group (references, no names).

    Attributes:
        group: The group's reference.
        cases: The other cases of the group.
    """

    group: str
    cases: tuple[str, ...]


@attrs.frozen(weakref_slot=False)
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
class Notice:
    """Written notice of the ending of a placement, and who received it (Regulation 14).

    Attributes:
        sent_on: When it was sent.
        recipients: Pseudonymous references of who received it.
        advance: ``True`` for notice of the intention to end, given before the ending;
            ``False`` for notice of an ending already made.
    """

    sent_on: date
    recipients: tuple[str, ...]
    advance: bool


@attrs.frozen
class ChairReport:
    """The chair's report of a learning review: when it was issued and who received it."""

    issued_on: date
    circulation: tuple[str, ...]


@attrs.frozen
class Recommendation:
    """A recommendation of the chair's report: who owns it, when it is due, when completed.

    Its words are free text, kept in the personal-data store.
    """

    id: str
    owner: Role
    due: date
    completed_on: date | None = None


@attrs.frozen(weakref_slot=False)
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


@attrs.frozen(weakref_slot=False)
class CaseFile:
    """Everything about a case but where it stands: who, which placement, what was recorded.

    Attributes:
        concerns: Concerns raised, oldest first: a tuple, or for a long record a
            :class:`~disruption.domain.chain.Chain` (read and compared as a tuple), so that a step
            adding one does not copy the others.
        deadlines: Every deadline set, oldest first: a tuple or a chain, as ``concerns``.
        social_workers: Ids of everyone who has acted on the case as its social worker.
        imported: Whether the case is history imported from SSDA903 returns.
        iro_informed_on: When the IRO was last informed (Regulation 14(2)(b)).
        case_reviewed_on: When the child's case was last reviewed (Regulation 14(1)).
        immediate_risk_on: When a manager recorded an immediate risk (Regulation 14(3)).
        notices: Written notices of the ending, advance ones and those after it.
        line_managers: ``(social worker, line manager)`` pairs recorded on the case.
        report: The chair's report of the learning review.
        recommendations: The report's recommendations.
        meeting_required: Why the ending requires a meeting by the authority's rule on
            placement history (``second_unplanned_ending``, ``carer_unplanned_endings``,
            ``permanent_placement_ended``); empty when it does not.
        siblings: The sibling group the case is linked to.
        sibling_decisions: ``(case, decision)`` for each linked sibling, as last recorded.
        sibling_decided_on: When that decision was recorded.
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
    iro_informed_on: date | None = None
    case_reviewed_on: date | None = None
    immediate_risk_on: date | None = None
    notices: tuple[Notice, ...] = ()
    line_managers: tuple[tuple[str, str], ...] = ()
    report: ChairReport | None = None
    recommendations: tuple[Recommendation, ...] = ()
    meeting_required: tuple[str, ...] = ()
    siblings: SiblingGroup | None = None
    sibling_decisions: tuple[tuple[str, SiblingDecision], ...] = ()
    sibling_decided_on: date | None = None
    open_deadlines: tuple[Deadline, ...] | None = attrs.field(default=None, eq=False, repr=False)
    """The deadlines still open, oldest first, when known: kept by the fold so that a step
    does not look through every deadline a long case ever had. ``None`` when not known;
    never compared (it follows from ``deadlines``)."""


def _from_file(name: str, doc: str) -> Any:
    # A C-level getter: these are read several times on every step.
    return property(operator.attrgetter(f"file.{name}"), doc=doc)


@attrs.frozen(weakref_slot=False)
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
    iro_informed_on = _from_file("iro_informed_on", "When the IRO was last informed.")
    case_reviewed_on = _from_file("case_reviewed_on", "When the case was last reviewed.")
    immediate_risk_on = _from_file("immediate_risk_on", "When an immediate risk was recorded.")
    notices = _from_file("notices", "Written notices of the ending.")
    report = _from_file("report", "The chair's report of the learning review.")
    recommendations = _from_file("recommendations", "The chair's report's recommendations.")
    meeting_required = _from_file("meeting_required", "Why the ending requires a meeting.")
    siblings = _from_file("siblings", "The sibling group the case is linked to.")
    sibling_decisions = _from_file("sibling_decisions", "Decisions about linked siblings.")
    sibling_decided_on = _from_file("sibling_decided_on", "When siblings were decided about.")

    @property
    def social_workers(self) -> frozenset[str]:
        """Ids of everyone who has acted on the case as its social worker."""
        return frozenset(self.file.social_workers)

    def moved(self, state: str, version: int, updated_at: datetime) -> Case:
        """Return the case at another state and version, sharing its file.

        This is the hot path of every step, so it fills the new frozen instance's slots
        directly (:func:`filled`), not through attrs' own ``__init__``.
        """
        return _NEW_CASE(self.id, state, version, updated_at, self.file)

    def with_file(self, **changes: Any) -> Case:
        """Return the case with fields of its file replaced.

        On the hot path of every recorded step: the file's fields are read at once and the
        new file built by position, not through ``attrs.evolve``'s per-field lookups.
        """
        return self.rebuilt(self.state, self.version, self.updated_at, changes)

    def rebuilt(
        self, state: str, version: int, updated_at: datetime, changes: dict[str, Any]
    ) -> Case:
        """Return the case at another state and version with fields of its file replaced.

        What :meth:`moved` then :meth:`with_file` return, built once (the fold's step).
        """
        names = tuple(changes)
        rebuild = _REBUILDERS.get(names) or _rebuilder(names)
        if rebuild is not None:  # the common step: a file rebuilt by one compiled function
            file = rebuild(self.file, *changes.values())
            return _NEW_CASE(self.id, state, version, updated_at, file)
        values: list[Any] = list(_FILE_VALUES(self.file))
        for name, value in changes.items():
            values[_FILE_INDEX[name]] = value
        if "deadlines" in changes and "open_deadlines" not in changes:
            values[_OPEN_INDEX] = None  # no longer known
        return _NEW_CASE(self.id, state, version, updated_at, _NEW_FILE(*values))

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
_NEW_CASE = filled(Case)
_NEW_FILE = filled(CaseFile)

_REBUILDERS: dict[tuple[str, ...], Callable[..., CaseFile]] = {}
"""A compiled :func:`_rebuilder` per tuple of changed fields (a recorder's are the same on
every step)."""
_REBUILDERS_LIMIT = 256


def _rebuilder(names: tuple[str, ...]) -> Callable[..., CaseFile] | None:
    """A function of a case file and new values of ``names`` (in that order): the new file.

    The file :meth:`Case.rebuilt` builds, every other field read from the old file (each slot
    read and stored directly, as :func:`filled` stores them): ``open_deadlines`` is ``None``
    when ``deadlines`` changes without it. ``None`` when a name is no field of the file (or
    repeats), or when enough are compiled already: the caller builds the file field by field.
    """
    if (
        len(_REBUILDERS) >= _REBUILDERS_LIMIT
        or len(set(names)) != len(names)
        or not all(type(n) is str and n in _FILE_INDEX for n in names)
    ):
        return None
    given = {name: f"v{i}" for i, name in enumerate(names)}
    if "deadlines" in given and "open_deadlines" not in given:
        given["open_deadlines"] = "None"  # no longer known
    params = ["file", *(f"v{i}" for i in range(len(names)))]
    values = {n: given.get(n, f"file.{n}") for n in _FILE_NAMES}
    rebuild: Callable[..., CaseFile] = _compiled(CaseFile, params, values, {}, "rebuild")
    _REBUILDERS[names] = rebuild
    return rebuild
