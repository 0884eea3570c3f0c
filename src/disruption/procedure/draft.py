"""Drafts: change a procedure in several steps, and check it once, when it is built.

A structural change (a new state and the commands that reach and leave it) is invalid half
done, so it is made on a :class:`Draft` and checked by :meth:`Draft.build`:

>>> from disruption.procedure.definition import State, Transition
>>> from disruption.procedure.standard import STANDARD
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

from collections.abc import Mapping
from typing import TYPE_CHECKING

import attrs

from disruption.procedure.definition import CommandSpec, DeadlineSpec, Recorder, State, Transition

if TYPE_CHECKING:
    from disruption.procedure.definition import Procedure

__all__ = ["Draft"]


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
        )
