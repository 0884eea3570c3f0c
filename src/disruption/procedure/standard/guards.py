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
    InvalidData,
    PermissionRefused,
)
from disruption.procedure.definition import Context
from disruption.procedure.standard.data import FACTORS

__all__ = [
    "CHAIR_ROLES",
    "PLACEMENT_YEARS",
    "decision_is",
    "is_unplanned",
    "not_after_today",
    "on_or_after",
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


def independent_chair(ctx: Context) -> None:
    chair: Actor | None = ctx.payload.chair
    if chair is None:
        return
    if chair.role not in CHAIR_ROLES:
        roles = ", ".join(sorted(CHAIR_ROLES))
        raise InvalidData(f"a chair's role must be one of {roles}", field="chair.role")
    actor, chair_key = ctx.command.actor, actor_key(chair.id)  # ids compared normalised
    acting_as_social_worker = actor.role is Role.SOCIAL_WORKER and actor_key(actor.id) == chair_key
    social_workers = {actor_key(worker) for worker in case_of(ctx).social_workers}
    if chair_key in social_workers or acting_as_social_worker:
        raise ChairNotIndependent(
            f"{chair.id} has acted on this case as its social worker", chair=chair.id
        )


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


def with_factors(reader: Any) -> Any:
    def read(fields: Fields) -> Any:
        return reader(fields, FACTORS)

    return read


def ended_on(ctx: Context) -> date | None:
    ending = case_of(ctx).ending
    return None if ending is None else ending.end


def last_convened(ctx: Context) -> date | None:
    meetings = case_of(ctx).meetings
    return meetings[-1].date if meetings else None
