"""The standard procedure's guards and conditions: what its commands check when decided.

A guard refuses a command by raising a :class:`~disruption.exceptions.CommandError`; a
condition chooses between a command's transitions. :mod:`disruption.procedure.standard`
declares which command runs which, and the procedure file's catalogue
(:mod:`disruption.procedure.catalogue`) reuses some of them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from disruption.domain.commands import Fields
from disruption.domain.model import MANAGER_ROLES, Actor, MeetingDecision, Role, actor_key
from disruption.exceptions import (
    ChairNotIndependent,
    CommandNotAllowed,
    DateOutOfOrder,
    DateOutOfRange,
    EndingNotReady,
    InvalidData,
    PermissionRefused,
)
from disruption.procedure.definition import Context
from disruption.procedure.schema import declared
from disruption.procedure.standard.data import FACTORS

__all__ = [
    "CHAIR_ROLES",
    "PLACEMENT_YEARS",
    "decision_is",
    "independent_chair",
    "is_unplanned",
    "no_advance_notice",
    "not_after_today",
    "on_or_after",
    "regulation_14",
]

CHAIR_ROLES = frozenset({*MANAGER_ROLES, Role.IRO})
"""Roles that may chair a stability meeting or a learning review."""


def case_of(ctx: Context) -> Any:
    assert ctx.case is not None, "guard used on a command that opens a case"
    return ctx.case


def on_or_after(field: str, earliest: Any, what: str) -> Any:
    """A guard: the payload's date ``field`` is on or after ``earliest(ctx)``.

    Args:
        field: The payload's date field.
        earliest: A function of the context giving the earliest allowed date, or ``None``.
        what: Words naming that earliest date, for the error.

    Returns:
        The guard.
    """

    def guard(ctx: Context) -> None:
        value: date | None = getattr(ctx.payload, field)
        bound: date | None = earliest(ctx)
        if value is not None and bound is not None and value < bound:
            raise DateOutOfOrder(f"{value} is before {what} ({bound})", field=field)

    guard.__qualname__ = guard.__name__ = f"{field}_on_or_after_{what.replace(' ', '_')}"
    return guard


def not_after_today(field: str) -> Any:
    """A guard: the payload's date ``field`` is not after the date of the command's ``at``."""

    def guard(ctx: Context) -> None:
        value: date | None = getattr(ctx.payload, field)
        if value is not None and value > ctx.on:
            raise DateOutOfOrder(f"{value} is after the command's date ({ctx.on})", field=field)

    guard.__qualname__ = guard.__name__ = f"{field}_not_after_today"
    return guard


def decision_is(decision: MeetingDecision) -> Any:
    """A condition: the meeting's decision is ``decision``."""

    def condition(ctx: Context) -> bool:
        return bool(ctx.payload.decision is decision)

    condition.__qualname__ = condition.__name__ = f"decision_is_{decision.value}"
    return condition


def is_unplanned(ctx: Context) -> bool:
    """A condition: the ending was not planned."""
    return not ctx.payload.planned


PLACEMENT_YEARS = 25
"""A placement opened as a case started at most this many years before the step's year (a
child is in care until 18, a care leaver supported until 25)."""


def start_not_after_today(ctx: Context) -> None:
    """A guard: the placement started on the command's date or in the years before it.

    At most :data:`PLACEMENT_YEARS` years before it (by year).
    """
    start: date = ctx.payload.placement.start
    if start > ctx.on:
        raise DateOutOfOrder(
            f"{start} is after the command's date ({ctx.on})", field="placement.start"
        )
    if start.year < ctx.on.year - PLACEMENT_YEARS:
        raise DateOutOfRange(
            f"{start} is more than {PLACEMENT_YEARS} years before the command's date ({ctx.on})",
            field="placement.start",
        )


def enters_concern_raised(ctx: Context) -> bool:
    return case_of(ctx).state in ("placed", "stabilised")


def _actor_key(actor_id: str) -> str:
    """:func:`~disruption.domain.model.actor_key`, an ASCII id without Unicode normalisation.

    NFKC leaves ASCII text as it is and case folding it is lower-casing it: the same key.
    """
    return actor_id.lower().strip() if actor_id.isascii() else actor_key(actor_id)


def independent_chair(ctx: Context) -> None:
    """A guard: the payload's ``chair`` has a chair's role and is independent of the case.

    Not independent (:class:`~disruption.exceptions.ChairNotIndependent`, with its
    ``reason``): anyone who has acted on the case as its social worker (the command's own
    actor included), the line manager of any of them (recorded on the case by
    ``record_line_manager``, or configured in the procedure's
    :class:`~disruption.procedure.definition.Independence`), and, where the procedure
    excludes it, the adoption service. Ids are compared normalised.
    """
    chair: Actor | None = ctx.payload.chair
    if chair is None:
        return
    if chair.role not in CHAIR_ROLES:
        roles = ", ".join(sorted(CHAIR_ROLES))
        raise InvalidData(f"a chair's role must be one of {roles}", field="chair.role")
    case = case_of(ctx)
    actor, chair_key = ctx.command.actor, _actor_key(chair.id)  # ids compared normalised
    workers = {_actor_key(worker) for worker in case.social_workers}
    if actor.role is Role.SOCIAL_WORKER:
        workers.add(_actor_key(actor.id))
    if chair_key in workers:
        raise ChairNotIndependent(
            f"{chair.id} has acted on this case as its social worker",
            chair=chair.id,
            reason="social_worker",
        )
    rules = ctx.procedure.rules.independence
    managers = {_actor_key(m) for w, m in case.file.line_managers if _actor_key(w) in workers}
    managers.update(
        _actor_key(m)
        for w, ms in rules.line_managers.items()
        if _actor_key(w) in workers
        for m in ms
    )
    if chair_key in managers:
        raise ChairNotIndependent(
            f"{chair.id} is the line manager of a social worker of this case",
            chair=chair.id,
            reason="line_manager",
        )
    if rules.exclude_adoption_service and chair_key in {
        _actor_key(a) for a in rules.adoption_service
    }:
        raise ChairNotIndependent(
            f"{chair.id} belongs to the adoption service", chair=chair.id, reason="adoption_service"
        )


def regulation_14(ctx: Context) -> None:
    """A guard: a planned ending follows what Regulation 14 requires before it.

    The IRO informed (14(2)(b)), and the child's case reviewed (14(1)) or an immediate risk
    of significant harm recorded by a manager (14(3)), each on or before the ending's date.
    An unplanned ending is not refused (its notice and the IRO's information follow it).

    Raises:
        EndingNotReady: Naming what is missing (``missing``).
    """
    if not ctx.payload.planned:
        return
    case = case_of(ctx)
    end: date = ctx.payload.end
    missing = []
    if case.iro_informed_on is None or case.iro_informed_on > end:
        missing.append("iro_informed")
    reviewed = case.case_reviewed_on is not None and case.case_reviewed_on <= end
    at_risk = case.immediate_risk_on is not None and case.immediate_risk_on <= end
    if not (reviewed or at_risk):
        missing.append("case_reviewed")
    if missing:
        words = {
            "iro_informed": "the IRO informed (inform_iro)",
            "case_reviewed": "the case reviewed (review_case) or an immediate risk recorded "
            "by a manager (record_immediate_risk)",
        }
        raise EndingNotReady(
            f"a planned ending on {end} needs, on or before it: "
            + "; ".join(words[m] for m in missing),
            missing=missing,
        )


def no_advance_notice(ctx: Context) -> bool:
    """A condition: no advance written notice of the ending was given (Regulation 14(4))."""
    return not any(notice.advance for notice in case_of(ctx).notices)


def iro_not_informed(ctx: Context) -> bool:
    """A condition: the IRO has not been informed (Regulation 14(3)(b)).

    They are to be told as soon as reasonably practicable after an ending. Informing recorded
    after a backdated ending's date, but before the ending was entered, counts: they were told.
    """
    informed: date | None = case_of(ctx).iro_informed_on
    return informed is None


def review_held(ctx: Context) -> None:
    """A guard: the learning review was held (not waived), so the chair can report on it."""
    review = case_of(ctx).review
    if review is None or review.held_on is None:
        raise CommandNotAllowed("the chair's report follows a learning review held, not waived")


def review_not_waived(ctx: Context) -> bool:
    """A condition: the learning review was held, not waived."""
    return ctx.payload.waived is None


def review_held_on(ctx: Context) -> date | None:
    review = case_of(ctx).review
    return None if review is None else review.held_on


def due_not_before_report(ctx: Context) -> None:
    """A guard: every recommendation is due on or after the report's date."""
    for i, item in enumerate(ctx.payload.recommendations):
        if item.due < ctx.payload.issued_on:
            raise DateOutOfOrder(
                f"{item.due} is before the report ({ctx.payload.issued_on})",
                field=f"recommendations[{i}].due",
            )


def open_recommendation(ctx: Context) -> None:
    """A guard: the recommendation is one of the report's, not yet completed."""
    wanted = ctx.payload.recommendation
    for item in case_of(ctx).recommendations:
        if item.id == wanted:
            if item.completed_on is not None:
                raise CommandNotAllowed(f"recommendation {wanted} is completed already")
            return
    raise InvalidData(f"no recommendation {wanted} in the report", field="recommendation")


def report_issued_on(ctx: Context) -> date | None:
    report = case_of(ctx).report
    return None if report is None else report.issued_on


def placement_start(ctx: Context) -> date:
    start: date = case_of(ctx).placement.start
    return start


def waiver_by_manager(ctx: Context) -> None:
    if ctx.payload.waived is not None and ctx.command.actor.role not in MANAGER_ROLES:
        raise PermissionRefused(
            f"role {ctx.command.actor.role} may not waive a learning review (managers only)",
            role=ctx.command.actor.role,
        )


def only_once(attribute: str, what: str) -> Any:
    def guard(ctx: Context) -> None:
        if getattr(case_of(ctx), attribute) is not None:
            raise CommandNotAllowed(f"{what} has already been recorded")

    guard.__qualname__ = guard.__name__ = f"{attribute}_not_yet_recorded"
    return guard


def with_factors(reader: Any, **options: Any) -> Any:
    def read(fields: Fields) -> Any:
        return reader(fields, FACTORS, **options)

    # What the command schema says of the data (disruption.procedure.schema.data_schema): the
    # payload class's declaration, for the options given; ``__wrapped__`` names the reader.
    read.data_schema = declared(getattr(reader, "__self__", None), **options)  # type: ignore[attr-defined]
    read.__wrapped__ = reader  # type: ignore[attr-defined]
    return read


def ended_on(ctx: Context) -> date | None:
    ending = case_of(ctx).ending
    return None if ending is None else ending.end


def last_convened(ctx: Context) -> date | None:
    meetings = case_of(ctx).meetings
    return meetings[-1].date if meetings else None


def known_procedure(ctx: Context) -> None:
    """A guard: ``open_case``'s ``procedure``, when given, is the one deciding it."""
    wanted: str | None = getattr(ctx.payload, "procedure", None)
    if wanted is not None and wanted != ctx.procedure.name:
        raise InvalidData(
            f"no procedure {wanted!r} is known to this engine (it opens cases under "
            f"{ctx.procedure.name!r})",
            field="procedure",
        )


_BEFORE: dict[int, dict[date, date]] = {}
"""Answers of :func:`_months_before` by count of months, then day (a dict, not
``functools.lru_cache``, whose bookkeeping costs about 150 bytes an answer more)."""
_BEFORE_LIMIT = 4096
_COUNTS_LIMIT = 16


def _months_before(day: date, months: int) -> date:
    """:func:`~disruption.domain.dates.months_before`, once per day and count (it is slow)."""
    memo = _BEFORE.get(months)
    if memo is None:
        memo = {} if len(_BEFORE) >= _COUNTS_LIMIT else _BEFORE.setdefault(months, {})
    found = memo.get(day)
    if found is None:
        from disruption.domain.dates import months_before  # pendulum: only on endings

        found = months_before(day, months)
        if len(memo) >= _BEFORE_LIMIT:
            memo.clear()
        memo[day] = found
    return found


def meeting_triggers(ctx: Context) -> tuple[str, ...]:
    """Why an ending requires a meeting by the procedure's rule on placement history.

    ``child_unplanned_endings``: this unplanned ending brings the child's unplanned endings
    within the rule's months to its count (the standard: a second within 12 months);
    ``carer_unplanned_endings``: the same for the carer's placements, when counted;
    ``permanent_placement_ended``: a permanent placement (long-term fostering, placed for
    adoption) broke down: it ended unplanned, or for a reason that is no breakdown's, and
    the child did not leave care with it.
    """
    rule = ctx.procedure.rules.triggers
    payload = ctx.payload
    case = case_of(ctx)
    history = ctx.history
    fired: list[str] = []
    end: date = payload.end
    if not payload.planned and history is not None:
        since = _months_before(end, rule.months)
        count = rule.child_unplanned
        if count is not None and 1 + history.child_unplanned_since(since, end) >= count:
            fired.append("child_unplanned_endings")
        count = rule.carer_unplanned
        if count is not None and 1 + history.carer_unplanned_since(since, end) >= count:
            fired.append("carer_unplanned_endings")
    breakdown = not payload.planned or payload.reason not in rule.not_breakdown
    if case.placement.type in rule.permanent_types and payload.left_care is None and breakdown:
        fired.append("permanent_placement_ended")
    return tuple(fired)


def record_triggers(ctx: Context) -> dict[str, Any]:
    """The ending's data: ``meeting_required``, the triggers that fired (when any did)."""
    fired = meeting_triggers(ctx)
    return {"meeting_required": list(fired)} if fired else {}


def meeting_needed(ctx: Context) -> bool:
    """A condition: a learning review follows: the ending was unplanned or a trigger fired."""
    return not ctx.payload.planned or bool(meeting_triggers(ctx))


def waiver_allowed(ctx: Context) -> None:
    """A guard: a learning review the placement history requires is not waived."""
    required = case_of(ctx).meeting_required
    if ctx.payload.waived is not None and required:
        raise CommandNotAllowed(
            "this ending requires a meeting (" + ", ".join(required) + "): it cannot be waived"
        )


def siblings_decided(ctx: Context) -> None:
    """A guard: a planned ending of a case linked to siblings follows a decision about them.

    Raises:
        EndingNotReady: ``missing`` is ``["sibling_decision"]``.
    """
    if not ctx.payload.planned:
        return
    case = case_of(ctx)
    decided: date | None = case.sibling_decided_on
    if case.siblings is not None and (decided is None or decided > ctx.payload.end):
        raise EndingNotReady(
            f"a planned ending on {ctx.payload.end} of a child linked to siblings needs, on or "
            "before it, a decision about each of them (record_sibling_decision)",
            missing=["sibling_decision"],
        )


def siblings_undecided(ctx: Context) -> bool:
    """A condition: the case is linked to siblings and no decision about them is recorded."""
    case = case_of(ctx)
    return case.siblings is not None and case.sibling_decided_on is None


def move_planned_with_siblings(ctx: Context) -> bool:
    """A condition: the meeting planned a move of a child linked to siblings."""
    return ctx.payload.decision is MeetingDecision.PLAN_MOVE and case_of(ctx).siblings is not None


def not_linked_to_itself(ctx: Context) -> None:
    """A guard: ``link_siblings`` names other cases, not the case itself."""
    for i, other in enumerate(ctx.payload.cases):
        if other == ctx.command.case:
            raise InvalidData("must name the other cases, not this one", field=f"cases[{i}]")


def every_sibling_decided(ctx: Context) -> None:
    """A guard: the case is linked, and the decision names each linked case, no other."""
    group = case_of(ctx).siblings
    if group is None:
        raise CommandNotAllowed("the case is not linked to siblings (link_siblings)")
    named = [item.case for item in ctx.payload.decisions]
    for i, other in enumerate(named):
        if other not in group.cases:
            raise InvalidData(f"{other} is not linked to this case", field=f"decisions[{i}].case")
    missing = sorted(set(group.cases) - set(named))
    if missing:
        raise InvalidData(f"no decision about {', '.join(missing)}", field="decisions")


def before_order(ctx: Context) -> bool:
    """A condition (adoption): a meeting follows, and no adoption order had been made."""
    return meeting_needed(ctx) and not ctx.payload.adoption_order


def after_order(ctx: Context) -> bool:
    """A condition (adoption): a meeting follows, after an adoption order was made."""
    return meeting_needed(ctx) and bool(ctx.payload.adoption_order)
