"""Declarative procedure definitions: states, commands, guards, required data and deadlines.

A :class:`Procedure` is data. Building one checks it (one initial state, every state
reachable, every non-final state able to finish, every reference resolved) and compiles it
into one :class:`~disruption.procedure.machine.ProcedureMachine`, shared by every case decided
by it.
Its parts (:class:`State`, :class:`CommandSpec`, :class:`DeadlineSpec`, ...) are defined in
:mod:`disruption.procedure.definition_parts` and importable from here.

An authority's variant is built from the standard one without editing the library:

>>> from disruption.procedure.standard import STANDARD
>>> faster = STANDARD.with_timescale("meeting", working_days=5)
>>> faster.deadline("meeting").working_days, STANDARD.deadline("meeting").working_days
(5, 7)
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from disruption.exceptions import DefinitionError, UnknownCommand
from disruption.procedure.definition_parts import (
    CommandSpec,
    Condition,
    Context,
    DeadlineSpec,
    Guard,
    Opens,
    Recorder,
    State,
    Transition,
    _strings,
)
from disruption.procedure.machine import Edge, ProcedureMachine

if TYPE_CHECKING:
    from disruption.procedure.draft import Draft

__all__ = [
    "CommandSpec",
    "Condition",
    "Context",
    "DeadlineSpec",
    "Guard",
    "Opens",
    "Procedure",
    "Recorder",
    "State",
    "Transition",
]


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
                f"{self.name} v{self.version} has no command {name!r} (known: {known})",
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
        """Start a changed copy: a :class:`~disruption.procedure.draft.Draft`, checked when built.

        Args:
            name: The new definition's name (this one's by default).
            version: Its version (this one's plus one by default).
        """
        from disruption.procedure.draft import Draft

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
    for d in proc.deadlines:
        if not d.cleared_by:
            problems.append(f"deadline {d.name!r} has no clearing command")
        for c in sorted(d.cleared_by - set(proc._commands)):
            problems.append(f"deadline {d.name!r} is cleared by undeclared command {c!r}")
    if not proc.final_states:
        problems.append("at least one state must be final")
    if proc.backdating_limit is not None and proc.backdating_limit < 0:
        problems.append("backdating_limit must be at least 0 working days, or None")
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
