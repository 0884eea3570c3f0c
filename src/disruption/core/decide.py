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

from disruption.core.fold import decided, opened
from disruption.domain.calendar import WorkingCalendar
from disruption.domain.clock import CLOCK_TOLERANCE, london_date
from disruption.domain.commands import Command, Fields
from disruption.domain.events import EVENT_SCHEMA_VERSION, DeadlineChange, Event, PersonalText
from disruption.domain.history import History
from disruption.domain.model import MANAGER_ROLES, Case, Deadline, filled
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


class _Step:
    """What deciding one command needs of its procedure, worked out once per command.

    The compiled reader and decider of a command: its spec's parts read once (its event
    type, reader, roles and guards), the deadlines it opens paired with their timescales,
    the ones it clears, and the procedure's final states.
    """

    __slots__ = (
        "always",
        "annotate",
        "clears",
        "creates",
        "event",
        "final",
        "guards",
        "history",
        "keys",
        "opens",
        "read",
        "roles",
        "roles_in",
        "spec",
        "when",
    )

    def __init__(self, procedure: Procedure, spec: CommandSpec) -> None:
        self.spec = spec
        self.event = spec.event
        self.read = spec.read
        self.roles = spec.roles
        self.roles_in = spec.roles_in
        self.guards = spec.guards
        self.creates = spec.creates
        self.history = spec.history
        self.annotate = spec.annotate
        self.clears = procedure.clears(spec.name)
        # the deadlines it clears one item at a time: the payload field naming the item
        self.keys = {
            name: key for name in self.clears if (key := procedure.deadline(name).key) is not None
        }
        self.final = procedure.final_states
        self.opens = tuple((o, procedure.deadline(o.deadline)) for o in spec.opens)
        # whether any deadline it opens has a condition; if none has, the set it opens
        self.when = any(o.when is not None for o in spec.opens)
        self.always = frozenset(o.deadline for o in spec.opens)


class _Plan:
    """What deciding needs of a procedure, worked out once per procedure."""

    __slots__ = ("initial_state", "on_time", "procedure", "procedure_data", "steps")

    def __init__(self, procedure: Procedure) -> None:
        self.procedure = procedure
        self.initial_state = procedure.initial_state
        self.steps = {c.name: _Step(procedure, c) for c in procedure.commands}
        self.procedure_data = (procedure.name, procedure.version)
        limit = procedure.backdating_limit
        self.on_time = None if limit is None else timedelta(days=limit - 1)
        """Entered less than this after it happened, a step is within the backdating limit
        without working out dates (a day short of it: London dates, daylight saving)."""


_NEW_EVENT = filled(Event)
"""``Event(...)`` of every field by position, without attrs' per-field setattr."""

_NEW_CONTEXT = filled(Context)
_NEW_DECISION = filled(Decision)
_NEW_CHANGE = filled(DeadlineChange)
"""``DeadlineChange(id, name, change, due, earliest, on)``, every field by position."""

_PLANS: dict[int, _Plan] = {}
_NO_HISTORY = History()


def _plan(procedure: Procedure) -> _Plan:
    """The procedure's plan (cached by identity: a procedure is immutable)."""
    plan = _PLANS.get(id(procedure))
    if plan is None or plan.procedure is not procedure:
        plan = _PLANS[id(procedure)] = _Plan(procedure)
    return plan


def _decide(
    procedure: Procedure,
    case: Case | None,
    command: Command,
    calendar: WorkingCalendar,
    recorded_at: datetime,
    history: History | None = None,
) -> Decision:
    plan = _PLANS.get(id(procedure))
    if plan is None or plan.procedure is not procedure:
        plan = _plan(procedure)
    name = command.name
    step = plan.steps.get(name)
    if step is None:
        procedure.command(name)  # raises UnknownCommand
    assert step is not None
    if step.creates:
        if case is not None:
            raise DuplicateCase(f"case {command.case} exists already")
        state = plan.initial_state
    elif case is None:
        raise UnknownCase(f"no case {command.case}")
    else:
        state = case.state
        if not procedure.machine.acts_in(state, name):
            allowed = ", ".join(procedure.machine.commands_in(state)) or "none"
            raise CommandNotAllowed(f"{name} does not act in state {state} (allowed: {allowed})")
    roles = step.roles_in.get(state, step.roles) if step.roles_in else step.roles
    actor = command.actor
    if roles is not None and actor.role not in roles:
        where = f" in state {state}" if state in step.roles_in else ""
        raise PermissionRefused(
            f"role {actor.role} may not {name}{where} (allowed: {', '.join(sorted(roles))})",
            role=actor.role,
        )
    fields = Fields(command.data)
    payload = step.read(fields)
    fields.close()
    at = command.at
    on = london_date(at)
    if step.history and history is None:
        history = _NO_HISTORY
    ctx = _NEW_CONTEXT(case, command, payload, on, procedure, history)
    if case is not None and at < case.updated_at:
        raise DateOutOfOrder(
            f"{at.isoformat()} is before the case's last step ({case.updated_at.isoformat()})",
            field="at",
        )
    on_time = plan.on_time
    late = (
        None
        if on_time is None or recorded_at - at < on_time
        else _late_entry(procedure, command, on, calendar, recorded_at)
    )
    for guard in step.guards:
        guard(ctx)
    if case is None:
        dest = state
        seq, child, placement_type = 1, payload.child, payload.placement.type
        open_now: tuple[Deadline, ...] = ()
    else:
        resolved = procedure.machine.resolve(state, name, ctx)
        if resolved is None:
            raise CommandNotAllowed(f"no transition of {name} applies in state {state}")
        dest = resolved
        seq, child, placement_type = case.version + 1, case.child, case.placement.type
        open_now = case.open_deadlines()
    data, texts = to_event_data(payload, case=command.case, seq=seq, child=child)
    if case is None:
        name_, version = plan.procedure_data
        data["procedure"] = {"name": name_, "version": version}
    if step.annotate is not None:
        data.update(step.annotate(ctx))
    if late is not None:
        data[LATE_ENTRY] = {"working_days": late, "limit": procedure.backdating_limit}
    event = _NEW_EVENT(
        command.case,
        seq,
        step.event,
        name,
        at,
        recorded_at,
        actor,
        data,
        None if case is None else state,
        dest,
        _deadlines(step, ctx, dest, seq, calendar, placement_type, open_now)
        if step.opens or open_now
        else (),
        command.id,
        EVENT_SCHEMA_VERSION,
    )
    if case is None:
        return _NEW_DECISION((event,), texts, opened(event, payload.placement, procedure.records))
    return _NEW_DECISION((event,), texts, decided(case, event, procedure.records, payload))


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


_DONE_FIELDS: dict[type, tuple[str, ...]] = {}
"""Per payload class, the names of :data:`_DONE_ON` it has (most have none or one)."""


def _done_on(ctx: Context) -> date:
    payload = ctx.payload
    kind = type(payload)
    names = _DONE_FIELDS.get(kind)
    if names is None:
        if attrs.has(kind):  # its fields, and any property of the class
            fields = {f.name for f in attrs.fields(kind)}
            names = tuple(n for n in _DONE_ON if n in fields or hasattr(kind, n))
        else:
            names = _DONE_ON
        _DONE_FIELDS[kind] = names
    for name in names:
        value = getattr(payload, name, None)
        if isinstance(value, date):
            return value
    return ctx.on


def _keyed(step: _Step, name: str, deadline_id: str, ctx: Context) -> bool:
    """Whether a clearing command clears this one of a deadline's open items (or it has none)."""
    key = step.keys.get(name)
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
    step: _Step,
    ctx: Context,
    dest: str,
    seq: int,
    calendar: WorkingCalendar,
    placement_type: str,
    open_now: tuple[Deadline, ...],
) -> tuple[DeadlineChange, ...]:
    """The deadlines a command opens, clears and cancels (``open_now``: the case's open ones)."""
    opens = step.opens
    case = ctx.case
    changes: list[DeadlineChange] = []
    opening = (
        {o.deadline for o, _ in opens if o.when is None or o.when(ctx)}
        if step.when
        else step.always
    )
    if case is not None:
        clears = step.clears
        final = step.final
        ending = dest in final and case.state not in final
        done_on: date | None = None
        keys = step.keys
        for d in open_now:
            name = d.name
            if name in clears and (not keys or name not in keys or _keyed(step, name, d.id, ctx)):
                if done_on is None:
                    done_on = _done_on(ctx)
                if d.earliest is not None and done_on < d.earliest:
                    raise DateOutOfOrder(
                        f"{name} cannot be cleared before {d.earliest} ({done_on})",
                        field=next((n for n in _DONE_ON if hasattr(ctx.payload, n)), "at"),
                    )
                changes.append(
                    _NEW_CHANGE(
                        d.id, name, "met" if done_on <= d.due else "late", None, None, done_on
                    )
                )
            elif ending or name in opening:
                changes.append(_NEW_CHANGE(d.id, name, "cancelled", None, None, ctx.on))
    for o, rule in opens:
        if o.deadline not in opening:
            continue
        if o.each is not None:
            changes.extend(_each(rule, o, ctx, seq))
            continue
        anchor: date = ctx.on if o.anchor == "at" else getattr(ctx.payload, o.anchor)
        explicit: Any = getattr(ctx.payload, o.due_field) if o.due_field else None
        try:
            due = explicit or rule.after(anchor, rule.days_for(placement_type), calendar)
            earliest = (
                None
                if rule.earliest_working_days is None
                else rule.after(anchor, rule.earliest_working_days, calendar)
            )
        except ValueError as err:  # a date outside the working-day calendar's years
            raise InvalidData(str(err), field=o.anchor) from None
        changes.append(
            _NEW_CHANGE(sys.intern(f"{rule.name}-{seq}"), rule.name, "open", due, earliest, anchor)
        )
    return tuple(changes)
