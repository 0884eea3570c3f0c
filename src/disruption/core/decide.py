"""The pure core: decide a command against a case into events.

``decide`` reads no clock and writes nothing: given the procedure, the case (or ``None``),
the command, a working-day calendar and the instant of recording, it returns the events and
the free text to keep apart, or raises a :class:`~disruption.exceptions.CommandError` that
names the case, the command and the state.
"""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta
from typing import Any

import attrs

from disruption.core.fold import evolve, opened
from disruption.domain.calendar import WorkingCalendar
from disruption.domain.clock import CLOCK_TOLERANCE, london_date
from disruption.domain.commands import Command, Fields
from disruption.domain.events import DeadlineChange, Event, PersonalText
from disruption.domain.history import History
from disruption.domain.model import MANAGER_ROLES, Case
from disruption.domain.payloads import to_event_data
from disruption.exceptions import (
    CommandError,
    CommandNotAllowed,
    DateOutOfOrder,
    DateOutOfRange,
    DuplicateCase,
    InvalidData,
    PermissionRefused,
    UnknownCase,
)
from disruption.procedure.definition import CommandSpec, Context, DeadlineSpec, Opens, Procedure

__all__ = ["LATE_ENTRY", "Decision", "decide"]

LATE_ENTRY = "late_entry"
"""The key, in an event's data, of the flag on a step entered beyond the backdating limit."""

_DONE_ON = ("held_on", "sent_on", "informed_on", "issued_on", "completed_on", "decided_on")
"""Payload fields that record when a clearing step was done (else the date of ``at``)."""


@attrs.frozen
class Decision:
    """What a command decided: its events, the free text split off, and the new case."""

    events: tuple[Event, ...]
    texts: tuple[PersonalText, ...]
    case: Case


def decide(
    procedure: Procedure,
    case: Case | None,
    command: Command,
    *,
    calendar: WorkingCalendar,
    recorded_at: datetime,
    tolerance: timedelta | None = CLOCK_TOLERANCE,
    history: History | None = None,
) -> Decision:
    """Decide a command against a case.

    Args:
        procedure: The definition the case is decided by.
        case: The case, or ``None`` if no case has the command's reference.
        command: The command.
        calendar: The working-day calendar for timescales.
        recorded_at: When the command is being entered: a step whose ``at`` is later than
            this by more than ``tolerance`` is refused.
        tolerance: How far the sender's clock may run ahead of ``recorded_at``
            (:data:`~disruption.domain.clock.CLOCK_TOLERANCE` by default); ``None`` checks
            nothing.
        history: The child's (and carer's) placement history, for a command whose spec
            needs it (:attr:`~disruption.procedure.definition.CommandSpec.history`): the
            caller loads it; without it the command is decided on no history.

    Returns:
        The decision.

    Raises:
        CommandError: Any refusal, with ``case``, ``command`` and ``state`` filled in.
    """
    try:
        if tolerance is not None and command.at > recorded_at + tolerance:
            raise DateOutOfRange(
                f"{command.at.isoformat()} is after the step was entered "
                f"({recorded_at.isoformat()}, allowing {tolerance} for clocks)",
                field="at",
            )
        return _decide(procedure, case, command, calendar, recorded_at, history)
    except CommandError as err:
        state = None if case is None else case.state
        raise err.in_context(case=command.case, command=command.name, state=state) from None


@attrs.frozen
class _Plan:
    """What deciding needs of a procedure beyond its commands, worked out once per procedure."""

    procedure: Procedure
    initial_state: str
    final_states: frozenset[str]
    clears: dict[str, frozenset[str]]


_PLANS: dict[int, _Plan] = {}
_NO_HISTORY = History()


def _plan(procedure: Procedure) -> _Plan:
    """The procedure's plan (cached by identity: a procedure is immutable)."""
    plan = _PLANS.get(id(procedure))
    if plan is None or plan.procedure is not procedure:
        plan = _Plan(
            procedure,
            procedure.initial_state,
            procedure.final_states,
            {c.name: procedure.clears(c.name) for c in procedure.commands},
        )
        _PLANS[id(procedure)] = plan
    return plan


def _decide(
    procedure: Procedure,
    case: Case | None,
    command: Command,
    calendar: WorkingCalendar,
    recorded_at: datetime,
    history: History | None = None,
) -> Decision:
    spec = procedure.command(command.name)
    _check_existence(spec, case, command)
    plan = _plan(procedure)
    machine = procedure.machine
    state = plan.initial_state if case is None else case.state
    if case is not None and not machine.acts_in(state, command.name):
        allowed = ", ".join(machine.commands_in(state)) or "none"
        raise CommandNotAllowed(
            f"{command.name} does not act in state {state} (allowed: {allowed})"
        )
    roles = spec.roles_in.get(state, spec.roles)
    if roles is not None and command.actor.role not in roles:
        where = f" in state {state}" if state in spec.roles_in else ""
        raise PermissionRefused(
            f"role {command.actor.role} may not {command.name}{where} "
            f"(allowed: {', '.join(sorted(roles))})",
            role=command.actor.role,
        )
    fields = Fields(command.data)
    payload = spec.read(fields)
    fields.close()
    on = london_date(command.at)
    if spec.history and history is None:
        history = _NO_HISTORY
    ctx = Context(case, command, payload, on, procedure, history)
    if case is not None and command.at < case.updated_at:
        raise DateOutOfOrder(
            f"{command.at.isoformat()} is before the case's last step "
            f"({case.updated_at.isoformat()})",
            field="at",
        )
    late = _late_entry(procedure, command, on, calendar, recorded_at)
    for guard in spec.guards:
        guard(ctx)
    dest = state if case is None else machine.resolve(state, command.name, ctx)
    if dest is None:
        raise CommandNotAllowed(f"no transition of {command.name} applies in state {state}")
    if case is None:
        seq, child, placement_type = 1, payload.child, payload.placement.type
    else:
        seq, child, placement_type = case.version + 1, case.child, case.placement.type
    data, texts = to_event_data(payload, case=command.case, seq=seq, child=child)
    if case is None:
        data["procedure"] = {"name": procedure.name, "version": procedure.version}
    if spec.annotate is not None:
        data.update(spec.annotate(ctx))
    if late is not None:
        data[LATE_ENTRY] = {"working_days": late, "limit": procedure.backdating_limit}
    event = Event(
        command.case,
        seq,
        spec.event,
        command.name,
        command.at,
        recorded_at,
        command.actor,
        data,
        None if case is None else state,
        dest,
        _deadlines(plan, spec, ctx, dest, seq, calendar, placement_type),
        command.id,
    )
    if case is None:
        return Decision((event,), texts, opened(event, payload.placement, procedure.records))
    return Decision((event,), texts, evolve(case, event, procedure.records))


def _late_entry(
    procedure: Procedure,
    command: Command,
    on: date,
    calendar: WorkingCalendar,
    recorded_at: datetime,
) -> int | None:
    """How many working days late a step is entered, when beyond the procedure's limit.

    Raises:
        PermissionRefused: Beyond the limit, for an actor without a manager role.
    """
    limit = procedure.backdating_limit
    if limit is None:
        return None
    entered_on = london_date(recorded_at)
    if (entered_on - on).days <= limit:
        return None  # never more working days late than calendar days: no calendar needed
    try:
        late = calendar.working_days_between(on, entered_on)
    except ValueError:  # outside the calendar's years: judged by calendar days instead
        late = (entered_on - on).days
    if late <= limit:
        return None
    if command.actor.role not in MANAGER_ROLES:
        raise PermissionRefused(
            f"{command.name} on {on} is entered {late} working days after it happened; "
            f"entries more than {limit} working days late need a manager role",
            role=command.actor.role,
        )
    return late


def _check_existence(spec: CommandSpec, case: Case | None, command: Command) -> None:
    if spec.creates and case is not None:
        raise DuplicateCase(f"case {command.case} exists already")
    if not spec.creates and case is None:
        raise UnknownCase(f"no case {command.case}")


def _done_on(ctx: Context) -> date:
    for name in _DONE_ON:
        value = getattr(ctx.payload, name, None)
        if isinstance(value, date):
            return value
    return ctx.on


def _keyed(procedure: Procedure, name: str, deadline_id: str, ctx: Context) -> bool:
    """Whether a clearing command clears this one of a deadline's open items (or it has none)."""
    key = procedure.deadline(name).key
    if key is None:
        return True
    wanted: str = getattr(ctx.payload, key)
    return deadline_id.rpartition(":")[2] == wanted


def _each(rule: DeadlineSpec, opens: Opens, ctx: Context, seq: int) -> list[DeadlineChange]:
    """One deadline per item of the payload's list ``opens.each``, due on its own date."""
    anchor: date = ctx.on if opens.anchor == "at" else getattr(ctx.payload, opens.anchor)
    due_field = opens.due_field or "due"
    items: tuple[Any, ...] = getattr(ctx.payload, opens.each or "")
    return [
        DeadlineChange(
            f"{rule.name}-{seq}:{item.id}",
            rule.name,
            "open",
            due=getattr(item, due_field),
            on=anchor,
        )
        for item in items
    ]


def _deadlines(
    plan: _Plan,
    spec: CommandSpec,
    ctx: Context,
    dest: str,
    seq: int,
    calendar: WorkingCalendar,
    placement_type: str,
) -> tuple[DeadlineChange, ...]:
    changes: list[DeadlineChange] = []
    opening = {o.deadline for o in spec.opens if o.when is None or o.when(ctx)}
    procedure = plan.procedure
    if ctx.case is not None:
        clears = plan.clears[spec.name]
        final = plan.final_states
        ending = dest in final and ctx.case.state not in final
        done_on = _done_on(ctx)
        for d in ctx.case.open_deadlines():
            if d.name in clears and _keyed(procedure, d.name, d.id, ctx):
                if d.earliest is not None and done_on < d.earliest:
                    raise DateOutOfOrder(
                        f"{d.name} cannot be cleared before {d.earliest} ({done_on})",
                        field=next((n for n in _DONE_ON if hasattr(ctx.payload, n)), "at"),
                    )
                met = done_on <= d.due
                changes.append(DeadlineChange(d.id, d.name, "met" if met else "late", on=done_on))
            elif ending or d.name in opening:
                changes.append(DeadlineChange(d.id, d.name, "cancelled", on=ctx.on))
    for opens in spec.opens:
        if opens.deadline not in opening:
            continue
        if opens.each is not None:
            changes.extend(_each(procedure.deadline(opens.deadline), opens, ctx, seq))
            continue
        rule = procedure.deadline(opens.deadline)
        anchor: date = ctx.on if opens.anchor == "at" else getattr(ctx.payload, opens.anchor)
        explicit: Any = getattr(ctx.payload, opens.due_field) if opens.due_field else None
        try:
            due = explicit or rule.after(anchor, rule.days_for(placement_type), calendar)
            earliest = (
                None
                if rule.earliest_working_days is None
                else rule.after(anchor, rule.earliest_working_days, calendar)
            )
        except ValueError as err:  # a date outside the working-day calendar's years
            raise InvalidData(str(err), field=opens.anchor) from None
        changes.append(
            DeadlineChange(
                sys.intern(f"{rule.name}-{seq}"),
                rule.name,
                "open",
                due=due,
                earliest=earliest,
                on=anchor,
            )
        )
    return tuple(changes)
