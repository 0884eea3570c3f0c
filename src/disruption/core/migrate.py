"""Moving open cases to a new version of their procedure: explicit, checked, recorded.

A case keeps being decided by the definition it was opened under. To move open cases to a
newer one, an authority gives a mapping of old states to new (a state whose name exists in
the new definition maps to itself unless mapped). The whole migration is planned and
checked first: if any case cannot be moved, nothing is written and every problem is listed.
Each moved case then gets one ``ProcedureMigrated`` event
(:func:`~disruption.core.system.migration_event`) that records the versions, the mapping and
the move; its open deadlines that the new definition also has stay as they are
(their due dates are not recomputed), the others are cancelled. Like the deadline sweep's
events it is bookkeeping: it does not count as the case's last step, so a late entry of
what really happened before it is still accepted.

Example:
    >>> from disruption.core.migrate import plan_migration
    >>> from disruption.procedure.standard import STANDARD
    >>> v2 = STANDARD.draft(version=2).build()
    >>> plan = plan_migration([], v2, {})
    >>> plan.moves, plan.problems
    ((), ())
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import attrs

from disruption.domain.model import Case
from disruption.exceptions import DefinitionError
from disruption.procedure.definition import Procedure

__all__ = ["Move", "Plan", "plan_migration"]


@attrs.frozen
class Move:
    """One case's move: from which state and definition to which."""

    case: Case
    to_state: str


@attrs.frozen
class Plan:
    """A checked migration: the moves, or the problems that stop it.

    Attributes:
        procedure: The definition cases move to.
        mapping: Old state -> new state, as given.
        moves: One per open case that moves.
        problems: Every reason the migration cannot run; empty when it can.
    """

    procedure: Procedure
    mapping: Mapping[str, str]
    moves: tuple[Move, ...]
    problems: tuple[str, ...]

    def check(self) -> None:
        """Raise when the migration cannot run.

        Raises:
            DefinitionError: Listing every problem.
        """
        if self.problems:
            raise DefinitionError(
                f"migration to {self.procedure.name} v{self.procedure.version}", self.problems
            )


def plan_migration(
    cases: Iterable[Case],
    to: Procedure,
    mapping: Mapping[str, str],
    *,
    finished: Callable[[Case], bool] = lambda case: case.ending is not None,
) -> Plan:
    """Plan moving the open cases among ``cases`` to the definition ``to``.

    Cases already under ``to`` (same name and version), and finished cases, stay.

    Args:
        cases: The cases to consider (for example every case of a store).
        to: The new definition.
        mapping: Old state -> new state; a state missing from it keeps its name.
        finished: Whether a case is in a final state of its own definition (by default:
            its placement has ended).

    Returns:
        The plan, with every problem listed (a mapped-to state the new definition lacks, an
        old state neither mapped nor declared in the new definition, a move into a final
        state).
    """
    new_states = {s.name for s in to.states}
    problems: list[str] = []
    for old, new in sorted(mapping.items()):
        if new not in new_states:
            problems.append(f"{old!r} maps to {new!r}, which {to.name} v{to.version} lacks")
        elif new in to.final_states:
            problems.append(f"{old!r} maps to {new!r}, a final state: open cases must stay open")
    moves: list[Move] = []
    for case in cases:
        ref = case.procedure
        if (ref.name, ref.version) == (to.name, to.version) or finished(case):
            continue
        target = mapping.get(case.state, case.state)
        if target not in new_states:
            problems.append(
                f"case {case.id} is in {case.state!r}, which is not mapped and "
                f"{to.name} v{to.version} lacks"
            )
            continue
        moves.append(Move(case, target))
    return Plan(to, dict(mapping), tuple(moves), tuple(dict.fromkeys(problems)))
