"""The adapter to ``transitions``: the only module that imports it.

One :class:`ProcedureMachine` is built per procedure definition, never one per case. The
``transitions.Machine`` it holds is the authority on the procedure's graph: which command
leads from which state to which, under which condition (real callables, never strings). When
built, the adapter reads the machine's events once into a lookup table, so that deciding a
command for any number of cases costs a dict lookup and the conditions, not a trigger on a
model. Cases stay plain data; nothing is injected into them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from transitions import Machine
from transitions.extensions.diagrams import GraphMachine

__all__ = ["Edge", "ProcedureMachine"]


class Edge(NamedTuple):
    """One transition of the procedure, as declared."""

    command: str
    source: str
    dest: str | None
    condition: Callable[[Any], bool] | None


Branch = tuple[str, tuple[Callable[[Any], bool], ...]]


def _machine_kwargs(states: Iterable[str], edges: Iterable[Edge], initial: str) -> dict[str, Any]:
    return {
        "states": list(states),
        "transitions": [
            {
                "trigger": e.command,
                "source": e.source,
                "dest": e.dest,
                "conditions": [e.condition] if e.condition is not None else [],
            }
            for e in edges
        ],
        "initial": initial,
        "auto_transitions": False,
        "send_event": True,
    }


def _callable(func: object) -> Callable[[Any], bool]:
    # The definition passes only callables; transitions would accept names too.
    assert callable(func), f"condition {func!r} is not callable"
    return func


class ProcedureMachine:
    """A procedure's state graph, held by one ``transitions.Machine``.

    Args:
        name: The procedure's name (the diagram's title).
        states: Every state's name.
        edges: Every transition; ``dest=None`` keeps the state.
        initial: The state a new case starts in.
    """

    def __init__(self, name: str, states: Iterable[str], edges: Iterable[Edge], initial: str):
        self.name = name
        self._kwargs = _machine_kwargs(states, edges, initial)
        self._machine = Machine(model=None, **self._kwargs)
        self._table = self._compile()
        # The common case, one unconditional transition, answered by one lookup.
        self._direct = {
            key: branches[0][0]
            for key, branches in self._table.items()
            if len(branches) == 1 and not branches[0][1]
        }

    def _compile(self) -> Mapping[tuple[str, str], tuple[Branch, ...]]:
        table: dict[tuple[str, str], tuple[Branch, ...]] = {}
        for trigger, event in self._machine.events.items():
            for source, transitions in event.transitions.items():
                table[(source, trigger)] = tuple(
                    (
                        source if t.dest is None else t.dest,
                        tuple(_callable(c.func) for c in t.conditions if c.target),
                    )
                    for t in transitions
                )
        return table

    @property
    def states(self) -> tuple[str, ...]:
        """Every state, in declaration order."""
        return tuple(self._machine.states)

    @property
    def initial(self) -> str:
        """The initial state."""
        return str(self._machine.initial)

    def acts_in(self, state: str, command: str) -> bool:
        """Whether the command has any transition from the state."""
        return (state, command) in self._table

    def commands_in(self, state: str) -> tuple[str, ...]:
        """The commands that act in a state, sorted."""
        return tuple(sorted(c for (s, c) in self._table if s == state))

    def resolve(self, state: str, command: str, context: Any) -> str | None:
        """Return the state a command leads to from ``state``, or ``None`` if it cannot act.

        The first transition whose conditions all hold, in declaration order, wins.

        Args:
            state: The case's state.
            command: The command's name.
            context: Passed to each condition.

        Returns:
            The destination state, or ``None`` when no transition applies.
        """
        direct = self._direct.get((state, command))
        if direct is not None:
            return direct
        for dest, conditions in self._table.get((state, command), ()):
            for condition in conditions:
                if not condition(context):
                    break
            else:
                return dest
        return None

    def successors(self, state: str) -> frozenset[str]:
        """Every state one command away from ``state`` (itself included for internal ones)."""
        return frozenset(
            dest for (s, _), branches in self._table.items() if s == state for dest, _ in branches
        )

    def mermaid(self) -> str:
        """Draw the procedure as a Mermaid ``stateDiagram-v2``, with ``transitions``' engine."""
        holder = _DiagramModel()
        GraphMachine(
            model=holder,
            title=self.name,
            graph_engine="mermaid",
            show_conditions=True,
            **self._kwargs,
        )
        drawn = str(holder.get_graph().draw(None))
        # Drop the styling that marks the drawing model's current state: a definition has none.
        return "\n".join(
            line
            for line in drawn.splitlines()
            if not line.strip().startswith(("classDef ", "Class "))
        )


class _DiagramModel:
    """A throwaway model for drawing: GraphMachine draws the graph of a model."""

    get_graph: Callable[[], Any]
