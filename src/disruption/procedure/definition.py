"""Declarative procedure definitions: states, commands, guards, required data and deadlines.

A :class:`Procedure` is data. Building one checks it (one initial state, every state
reachable, every non-final state able to finish, every reference resolved) and compiles it
into one :class:`~disruption.procedure.machine.ProcedureMachine`, shared by every case decided
by it. Its parts (:class:`State`, :class:`Transition`, :class:`CommandSpec`,
:class:`DeadlineSpec`, ...) are frozen values; :class:`Context` is what a command's guards and
conditions see when it is decided.

An authority's variant is built from the standard one without editing the library:

>>> from disruption.procedure.standard import STANDARD
>>> faster = STANDARD.with_timescale("meeting", working_days=5)
>>> faster.deadline("meeting").working_days, STANDARD.deadline("meeting").working_days
(5, 7)

A structural change (a new state and the commands that reach and leave it) is invalid half
done, so it is made on a :class:`Draft` and checked by :meth:`Draft.build`:

>>> draft = STANDARD.draft(name="ours", version=1)
>>> _ = draft.add_state(State("paused"))
>>> draft.build()
Traceback (most recent call last):
...
disruption.exceptions.DefinitionError: procedure 'ours' is invalid:
  - state 'paused' cannot be reached
  - state 'paused' cannot reach a final state
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import attrs

from disruption.domain.commands import Command, Fields, shown
from disruption.domain.model import Case, Role
from disruption.exceptions import DefinitionError, UnknownCommand
from disruption.procedure.machine import Edge, ProcedureMachine

if TYPE_CHECKING:
    from disruption.domain.calendar import WorkingCalendar
    from disruption.domain.events import Event
    from disruption.domain.history import History

__all__ = [
    "NOT_BREAKDOWN",
    "PERMANENT_PLACEMENTS",
    "CommandSpec",
    "Condition",
    "Context",
    "DeadlineSpec",
    "Draft",
    "FileRecorder",
    "Guard",
    "Independence",
    "Opens",
    "Procedure",
    "Recorder",
    "Rules",
    "State",
    "Transition",
    "Triggers",
]


@attrs.frozen
class Context:
    """What guards and conditions see when a command is decided.

    Attributes:
        case: The case, or ``None`` for a command that opens one.
        command: The command.
        payload: The command's data, read by its :attr:`CommandSpec.read`.
        on: The date of the command's ``at`` in Europe/London.
        procedure: The procedure deciding it.
        history: The child's (and carer's) placement history, for a command that needs it
            (:attr:`CommandSpec.history`); ``None`` otherwise.
    """

    case: Case | None
    command: Command
    payload: Any
    on: date
    procedure: Procedure
    history: History | None = None


Guard = Callable[[Context], None]
"""A check that refuses a command by raising a :class:`~disruption.exceptions.CommandError`."""

Condition = Callable[[Context], bool]
"""A predicate choosing between a command's transitions."""

Recorder = Callable[[Case, "Event"], Case]
"""Updates a case's records (concerns, meetings, ...) from one event during the fold."""


@attrs.frozen
class FileRecorder:
    """A recorder that only replaces fields of the case file, named by ``changes``.

    Called as any :data:`~disruption.procedure.definition.Recorder` is. The fold asks it for its
    changes instead, and makes one new case file for them and the event's own (its
    deadlines, a new social worker) together. ``changes`` sees the case as it was before
    the event's deadlines were applied.

    Attributes:
        changes: Returns the file's fields to replace, by name, for a case and an event.
        payload: The payload class :attr:`from_payload` reads, if it is given.
        from_payload: The same changes from the typed payload the event was just decided
            from (a ``payload`` instance), the event beside it: what deciding uses, so
            that the new case is not read back from the event's JSON. It must give what
            ``changes`` gives for that event (a replay uses ``changes``).
    """

    changes: Callable[[Case, Event], dict[str, Any]]
    payload: type | None = None
    from_payload: Callable[[Case, Any, Event], dict[str, Any]] | None = None

    def __call__(self, case: Case, event: Event) -> Case:
        """Return the case with its file's fields replaced."""
        return case.with_file(**self.changes(case, event))


def _names(value: str | Iterable[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _transitions(value: Iterable[Transition]) -> tuple[Transition, ...]:
    return tuple(value)


def _guards(value: Iterable[Guard]) -> tuple[Guard, ...]:
    return tuple(value)


def _opens(value: Iterable[Opens]) -> tuple[Opens, ...]:
    return tuple(value)


def _strings(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


@attrs.frozen
class State:
    """A state of the procedure; a final one takes only follow-up records."""

    name: str
    description: str = ""
    final: bool = False


@attrs.frozen
class Transition:
    """Where a command leads from some states; ``dest=None`` records without moving."""

    source: tuple[str, ...] = attrs.field(converter=_names)
    dest: str | None = None
    when: Condition | None = None


@attrs.frozen
class Opens:
    """A deadline a command opens.

    Attributes:
        deadline: The deadline's name.
        anchor: The payload's date field counted from, or ``"at"`` for the command's date.
        due_field: A payload field that, when given, is the due date itself (with ``each``:
            the field of each item).
        when: Opens only when this holds.
        each: A payload field holding a list of items: one deadline is opened per item (a
            chair's report's recommendations, each with its own due date), told apart by
            the item's ``id``, which ends the deadline's id (``recommendation-9:R1``).
    """

    deadline: str
    anchor: str = "at"
    due_field: str | None = None
    when: Condition | None = None
    each: str | None = None


def _mapping_of_sets(value: Mapping[str, Iterable[str]]) -> Mapping[str, frozenset[str]]:
    return {key: frozenset(ids) for key, ids in value.items()}


@attrs.frozen
class Independence:
    """Who may not chair, beyond the case's social workers (always excluded).

    Applies to the chairs of stability meetings and learning reviews. Actor ids are compared
    normalised (:func:`~disruption.domain.model.actor_key`).

    Attributes:
        line_managers: Social worker id -> the ids of their line managers, as the authority
            configures them (a case also records them: ``record_line_manager``).
        adoption_service: Ids of the adoption service's staff.
        exclude_adoption_service: Whether the adoption service may not chair (the adoption
            procedure: the chair is independent of the adoption agency).
    """

    line_managers: Mapping[str, frozenset[str]] = attrs.field(
        factory=dict, converter=_mapping_of_sets
    )
    adoption_service: frozenset[str] = attrs.field(factory=frozenset, converter=frozenset)
    exclude_adoption_service: bool = False


PERMANENT_PLACEMENTS = frozenset({"A3", "A4", "A5", "A6", "U1", "U4"})
"""SSDA903 ``PLACE`` codes of permanent placements: placed for adoption (A3-A6) and long-term
fostering (U1 with relatives or friends, U4 with other foster carers)."""

NOT_BREAKDOWN = frozenset({"CARPL", "PLACE", "CUSTOD"})
"""``REASON_PLACE_CHANGE`` codes of a permanent placement's ending that is no breakdown: the
care plan carried out, the same carer, a custody arrangement."""


@attrs.frozen
class Triggers:
    """When an ending requires a meeting (the learning review), from the placement history.

    The standard rule: the child's second unplanned ending within 12 months, or the end of a
    permanent placement (a breakdown: its reason is not one of ``not_breakdown`` and the
    child did not leave care with it, or it was unplanned).

    Attributes:
        child_unplanned: This many unplanned endings of the child (this one included) within
            ``months`` require a meeting; ``None``: not counted.
        carer_unplanned: As ``child_unplanned`` for the carer's placements (any child);
            ``None`` (the default): not counted, and the carer's history is not loaded.
        months: The window, in calendar months ending on the ending's date.
        permanent_types: ``PLACE`` codes whose breakdown requires a meeting (empty: none).
        not_breakdown: Reasons for which a permanent placement's planned ending is no
            breakdown.
    """

    child_unplanned: int | None = 2
    carer_unplanned: int | None = None
    months: int = 12
    permanent_types: frozenset[str] = attrs.field(default=PERMANENT_PLACEMENTS, converter=frozenset)
    not_breakdown: frozenset[str] = attrs.field(default=NOT_BREAKDOWN, converter=frozenset)


@attrs.frozen
class Rules:
    """A procedure's rule configuration: the settings its guards read, apart from its graph.

    One place for what an authority configures about how rules apply (its procedure file's
    ``rules``); guards read them from :attr:`Context.procedure`. Timescales stay on the
    deadlines.

    Attributes:
        independence: Who may not chair.
        triggers: When an ending requires a meeting, from the placement history.
    """

    independence: Independence = attrs.field(factory=Independence)
    triggers: Triggers = attrs.field(factory=Triggers)


@attrs.frozen
class DeadlineSpec:
    """A timescale: how many working days, and which commands clear it.

    Attributes:
        working_days: Due on the Nth working day after the anchor's date (the Nth calendar
            day when ``calendar_days`` is set).
        by_placement_type: Other timescales for some SSDA903 placement types.
        cleared_by: The commands that clear it.
        earliest_working_days: If set, clearing it sooner than this many working (or
            calendar) days after the anchor is refused: the window opens then.
        calendar_days: Count calendar days, not working days (the adoption disruption
            meeting's 28 to 42 days, for example).
        key: See below.
        source: See below.
    """

    name: str
    working_days: int
    cleared_by: frozenset[str] = attrs.field(converter=_strings)
    by_placement_type: Mapping[str, int] = attrs.field(factory=dict)
    earliest_working_days: int | None = None
    description: str = ""
    calendar_days: bool = False
    key: str | None = None
    """For deadlines opened one per item (:attr:`Opens.each`): the clearing command's payload
    field naming which one it clears (the item's ``id``); the others stay open."""
    source: str = ""
    """Where the timescale comes from: a regulation, statutory guidance, a published
    procedure, or ``authority default``."""

    def after(self, anchor: date, days: int, calendar: WorkingCalendar) -> date:
        """The date ``days`` (working or calendar, as this timescale counts) after ``anchor``.

        Raises:
            ValueError: When the date is outside the working-day calendar's years.
        """
        if self.calendar_days:
            return anchor + timedelta(days=days)
        return calendar.add_working_days(anchor, days)

    def days_for(self, placement_type: str) -> int:
        """Return the timescale that applies to a placement type."""
        return self.by_placement_type.get(placement_type, self.working_days)


@attrs.frozen
class CommandSpec:
    """A command of the procedure.

    Attributes:
        name: The command's name in the integration contract.
        event: The past-tense type of the event it records.
        read: Reads the command's data into a payload (raises ``InvalidData``).
        transitions: Where it leads from which states.
        roles: Roles that may issue it; ``None`` for any role.
        roles_in: Other roles for some states: in a state listed here, only these roles
            may issue it (a decision that needs a manager once a meeting is convened, say).
        guards: Checks run after the data is read.
        opens: Deadlines it opens.
        creates: Whether it opens a new case.
        follow_up: Whether it is a record taken in a final state.
        history: Whether it is decided with the placement history (:attr:`Context.history`):
            the engine loads it only for such a command.
        annotate: Data worked out when it is decided (from the history, say) and recorded
            in its event's data beside the payload's.
    """

    name: str
    event: str
    read: Callable[[Fields], Any]
    transitions: tuple[Transition, ...] = attrs.field(converter=_transitions)
    roles: frozenset[Role] | None = None
    roles_in: Mapping[str, frozenset[Role]] = attrs.field(factory=dict)
    guards: tuple[Guard, ...] = attrs.field(default=(), converter=_guards)
    opens: tuple[Opens, ...] = attrs.field(default=(), converter=_opens)
    creates: bool = False
    follow_up: bool = False
    description: str = ""
    history: bool = False
    annotate: Callable[[Context], Mapping[str, Any]] | None = None


def _states(value: Iterable[State]) -> tuple[State, ...]:
    return tuple(value)


def _commands(value: Iterable[CommandSpec]) -> tuple[CommandSpec, ...]:
    return tuple(value)


def _deadline_specs(value: Iterable[DeadlineSpec]) -> tuple[DeadlineSpec, ...]:
    return tuple(value)


def _by_name(items: Iterable[Any]) -> dict[str, Any]:
    return {item.name: item for item in items}


@attrs.frozen(eq=False)
class Procedure:
    """A versioned procedure definition, checked and compiled when built.

    Raises:
        DefinitionError: Listing every problem found.
    """

    name: str
    version: int
    states: tuple[State, ...] = attrs.field(converter=_states)
    commands: tuple[CommandSpec, ...] = attrs.field(converter=_commands)
    deadlines: tuple[DeadlineSpec, ...] = attrs.field(converter=_deadline_specs)
    records: Mapping[str, Recorder] = attrs.field(factory=dict)
    factors: frozenset[str] = attrs.field(default=frozenset(), converter=_strings)
    description: str = ""
    backdating_limit: int | None = 10
    """Working days a step may be entered after it happened; later needs a manager role and
    the event is flagged (``late_entry`` in its data). ``None``: no limit."""
    rules: Rules = attrs.field(factory=Rules)
    """The rule configuration its guards read (who may chair, ...)."""
    machine: ProcedureMachine = attrs.field(init=False, eq=False, repr=False)
    _commands: Mapping[str, CommandSpec] = attrs.field(init=False, eq=False, repr=False)
    _deadlines: Mapping[str, DeadlineSpec] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_commands", _by_name(self.commands))
        object.__setattr__(self, "_deadlines", _by_name(self.deadlines))
        problems = _check(self)
        if problems:
            raise DefinitionError(self.name, problems)
        edges = [
            Edge(spec.name, source, t.dest, t.when)
            for spec in self.commands
            if not spec.creates
            for t in spec.transitions
            for source in t.source
        ]
        machine = ProcedureMachine(
            self.name, (s.name for s in self.states), edges, self.initial_state
        )
        object.__setattr__(self, "machine", machine)

    @property
    def initial_state(self) -> str:
        """The state a new case starts in: where the case-opening command leads."""
        creating = [c for c in self.commands if c.creates]
        dest = creating[0].transitions[0].dest if creating and creating[0].transitions else None
        return dest or ""

    @property
    def final_states(self) -> frozenset[str]:
        """The names of the final states."""
        return frozenset(s.name for s in self.states if s.final)

    def command(self, name: str) -> CommandSpec:
        """Return a command's spec.

        Raises:
            UnknownCommand: When the procedure has no such command.
        """
        try:
            return self._commands[name]
        except KeyError:
            known = ", ".join(sorted(self._commands))
            raise UnknownCommand(
                f"{self.name} v{self.version} has no command {shown(name)} (known: {known})",
                command=name,
            ) from None

    def deadline(self, name: str) -> DeadlineSpec:
        """Return a deadline's spec (``KeyError`` if unknown)."""
        return self._deadlines[name]

    def clears(self, command: str) -> frozenset[str]:
        """The names of the deadlines a command clears."""
        return frozenset(d.name for d in self.deadlines if command in d.cleared_by)

    def replace(self, **changes: Any) -> Procedure:
        """Return a copy with fields replaced (checked again)."""
        return attrs.evolve(self, **changes)

    def draft(self, *, name: str | None = None, version: int | None = None) -> Draft:
        """Start a changed copy: a :class:`Draft`, checked when built.

        Args:
            name: The new definition's name (this one's by default).
            version: Its version (this one's plus one by default).
        """
        return Draft(
            name=name or self.name,
            version=self.version + 1 if version is None else version,
            states=list(self.states),
            commands={c.name: c for c in self.commands},
            deadlines={d.name: d for d in self.deadlines},
            records=dict(self.records),
            factors=set(self.factors),
            description=self.description,
            backdating_limit=self.backdating_limit,
            rules=self.rules,
        )

    def with_timescale(
        self, name: str, *, working_days: int, by_placement_type: Mapping[str, int] | None = None
    ) -> Procedure:
        """Return a copy (same name and version) with a deadline's timescale changed.

        Args:
            name: The deadline's name.
            working_days: The new default timescale.
            by_placement_type: Timescales for some placement types; unchanged when ``None``.
        """
        draft = self.draft(version=self.version)
        return draft.set_timescale(
            name, working_days=working_days, by_placement_type=by_placement_type
        ).build()

    def diagram(self) -> str:
        """Return the procedure as a Mermaid state diagram."""
        return self.machine.mermaid()


def _check(proc: Procedure) -> list[str]:
    problems: list[str] = []
    states = {s.name for s in proc.states}
    if len(states) != len(proc.states):
        problems.append("state names must be unique")
    if len(proc._commands) != len(proc.commands):
        problems.append("command names must be unique")
    creating = [c.name for c in proc.commands if c.creates]
    if len(creating) != 1:
        problems.append(f"exactly one command must open a case, found {creating or 'none'}")
    elif proc.initial_state not in states:
        problems.append(f"{creating[0]} must lead to a declared state")
    for spec in proc.commands:
        for t in spec.transitions:
            for name in (*t.source, *((t.dest,) if t.dest else ())):
                if name not in states:
                    problems.append(f"{spec.name} names undeclared state {name!r}")
            if not spec.follow_up and set(t.source) & proc.final_states and not spec.creates:
                problems.append(f"{spec.name} leaves a final state but is not a follow-up record")
        for state in sorted(set(spec.roles_in) - states):
            problems.append(f"{spec.name} sets roles for undeclared state {state!r}")
        for o in spec.opens:
            if o.deadline not in proc._deadlines:
                problems.append(f"{spec.name} opens undeclared deadline {o.deadline!r}")
            elif (o.each is None) != (proc._deadlines[o.deadline].key is None):
                problems.append(
                    f"{spec.name} opens {o.deadline!r}: a deadline opened per item (each) "
                    "needs a key that clears one, and only such a deadline has one"
                )
    for d in proc.deadlines:
        if not d.cleared_by:
            problems.append(f"deadline {d.name!r} has no clearing command")
        for c in sorted(d.cleared_by - set(proc._commands)):
            problems.append(f"deadline {d.name!r} is cleared by undeclared command {c!r}")
    if not proc.final_states:
        problems.append("at least one state must be final")
    if proc.backdating_limit is not None and proc.backdating_limit < 0:
        problems.append("backdating_limit must be at least 0 working days, or None")
    triggers = proc.rules.triggers
    for name in ("child_unplanned", "carer_unplanned"):
        count = getattr(triggers, name)
        if count is not None and count < 1:
            problems.append(f"rules.triggers.{name} must be at least 1, or None")
    if triggers.months < 1:
        problems.append("rules.triggers.months must be at least 1")
    if proc.initial_state in states:
        problems.extend(_check_graph(proc))
    return problems


def _check_graph(proc: Procedure) -> list[str]:
    graph: dict[str, set[str]] = {s.name: set() for s in proc.states}
    for spec in proc.commands:
        for t in spec.transitions:
            for source in t.source if not spec.creates else ():
                if source in graph and (t.dest or source) in graph:
                    graph[source].add(t.dest or source)
    reached = _reachable(graph, proc.initial_state)
    problems = [f"state {s!r} cannot be reached" for s in graph if s not in reached]
    for state in graph:
        if state not in proc.final_states and not _reachable(graph, state) & proc.final_states:
            problems.append(f"state {state!r} cannot reach a final state")
    return problems


def _reachable(graph: Mapping[str, set[str]], start: str) -> set[str]:
    seen, todo = {start}, deque([start])
    while todo:
        for nxt in graph[todo.popleft()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


@attrs.define
class Draft:
    """A procedure being changed; nothing is checked until :meth:`build`.

    Every method returns the draft itself, so that changes can be chained.
    """

    name: str
    version: int
    states: list[State]
    commands: dict[str, CommandSpec]
    deadlines: dict[str, DeadlineSpec]
    records: dict[str, Recorder]
    factors: set[str]
    description: str = ""
    backdating_limit: int | None = 10
    rules: Rules = attrs.field(factory=Rules)

    def add_state(self, state: State) -> Draft:
        """Add a state, or replace the one with its name."""
        self.states = [s for s in self.states if s.name != state.name] + [state]
        return self

    def add_command(self, spec: CommandSpec) -> Draft:
        """Add a command, or replace the one with its name."""
        self.commands[spec.name] = spec
        return self

    def set_transitions(self, command: str, *transitions: Transition) -> Draft:
        """Replace a command's transitions.

        Raises:
            KeyError: When there is no such command.
        """
        self.commands[command] = attrs.evolve(self.commands[command], transitions=transitions)
        return self

    def add_sources(self, command: str, *states: str) -> Draft:
        """Let each of a command's transitions act in more states as well.

        Raises:
            KeyError: When there is no such command.
        """
        spec = self.commands[command]
        return self.set_transitions(
            command, *(attrs.evolve(t, source=(*t.source, *states)) for t in spec.transitions)
        )

    def add_deadline(self, spec: DeadlineSpec) -> Draft:
        """Add a deadline, or replace the one with its name."""
        self.deadlines[spec.name] = spec
        return self

    def set_timescale(
        self, name: str, *, working_days: int, by_placement_type: Mapping[str, int] | None = None
    ) -> Draft:
        """Change a deadline's timescale (and, if given, its per-placement-type ones).

        Raises:
            KeyError: When there is no such deadline.
        """
        old = self.deadlines[name]
        self.deadlines[name] = attrs.evolve(
            old,
            working_days=working_days,
            by_placement_type=old.by_placement_type
            if by_placement_type is None
            else dict(by_placement_type),
        )
        return self

    def add_record(self, event_type: str, recorder: Recorder) -> Draft:
        """Add how an event type updates a case's records during the fold."""
        self.records[event_type] = recorder
        return self

    def build(self) -> Procedure:
        """Return the checked procedure.

        Raises:
            DefinitionError: Listing every problem found.
        """
        from disruption.procedure.definition import Procedure

        return Procedure(
            name=self.name,
            version=self.version,
            states=tuple(self.states),
            commands=tuple(self.commands.values()),
            deadlines=tuple(self.deadlines.values()),
            records=dict(self.records),
            factors=frozenset(self.factors),
            description=self.description,
            backdating_limit=self.backdating_limit,
            rules=self.rules,
        )
