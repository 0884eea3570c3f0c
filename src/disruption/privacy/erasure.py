"""Erasing a child's free text, with the erasure recorded in each of the child's cases.

Example:
    >>> from disruption import Engine, MemoryStore
    >>> from disruption.privacy.erasure import erase
    >>> erase(Engine(MemoryStore()), "C-1")
    0
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from disruption import logs
from disruption.core.fold import evolve
from disruption.domain.events import Event
from disruption.domain.model import Actor, Role

if TYPE_CHECKING:
    from disruption.engine.engine import Engine

__all__ = ["ERASED", "ERASER", "erase"]

ERASED = "PersonalDataErased"
"""The type of the event that records, in each of a child's cases, that their text was erased."""
ERASER = Actor("erasure", Role.SYSTEM)
"""The actor of erasure events when none is given."""

logger = logs.get_logger("disruption.erasure")


def erase(engine: Engine, child: str, *, actor: Actor | None = None) -> int:
    """Record the erasure in each of the child's cases, then destroy their key and text.

    See :meth:`disruption.engine.engine.Engine.erase`.

    Args:
        engine: The engine over the store.
        child: The child's pseudonymous reference.
        actor: Who erases (:data:`ERASER` by default).

    Returns:
        How many pieces of free text were erased.
    """
    at = engine.clock.now()
    for case_id in engine.store.case_ids_of(child):
        case = engine.case(case_id)
        event = Event(
            case=case.id,
            seq=case.version + 1,
            type=ERASED,
            command="erase",
            at=at,
            recorded_at=at,
            actor=actor or ERASER,
            data={"child": child},
            from_state=case.state,
            to_state=case.state,
        )
        after = evolve(case, event, engine.procedure_of(case.procedure).records)
        engine.store.append(after, (event,), (), expected_version=case.version)
        engine.publish((event,))
    erased = engine.store.erase(child)
    logger.info("personal_data.erased", count=erased)
    return erased
