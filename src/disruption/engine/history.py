"""Loading a child's and a carer's placement history for the core, from the store.

The engine calls :func:`load_history` only for a command whose spec needs it
(``CommandSpec.history``: ``end_placement`` in the standard procedure), so every other
command costs what it did. The child's other cases are found by the store's index of cases
by child (:meth:`~disruption.engine.ports.CaseStore.case_ids_of`); imported SSDA903 returns
are cases of the child too. The carer's are read only when the procedure's rule counts
them (``rules.triggers.carer_unplanned``), by the store's index of cases by carer
(:meth:`~disruption.engine.ports.CaseStore.case_ids_of_carer`). A case
opened under a definition the engine was not given cannot be read: it is left out of the
history, and the warning ``history.case_skipped`` names it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from disruption import logs
from disruption.domain.history import History, PastEnding, ending_of
from disruption.domain.model import Case
from disruption.engine.ports import CaseStore
from disruption.exceptions import UnknownProcedure

__all__ = ["load_history"]

logger = logs.get_logger("disruption.engine")


def _endings(
    ids: Sequence[str], case: Case, load: Callable[[str], Case | None]
) -> list[PastEnding]:
    found = []
    for other_id in ids:
        if other_id == case.id:
            continue
        try:
            other = load(other_id)
        except UnknownProcedure:  # opened under a definition this engine was not given
            logger.warning("history.case_skipped", case=other_id, error="UnknownProcedure")
            continue
        ended = None if other is None else ending_of(other)
        if ended is not None:
            found.append(ended)
    return found


def load_history(
    store: CaseStore, case: Case, load: Callable[[str], Case | None], *, carer: bool
) -> History:
    """The endings of the child's other cases (and, if ``carer``, of the carer's).

    Args:
        store: The store.
        case: The case being decided.
        load: Loads a case by reference (the engine's, from its snapshot).
        carer: Whether to read the carer's other cases as well.

    Returns:
        The history.
    """
    child = _endings(store.case_ids_of(case.child), case, load)
    carer_endings: list[PastEnding] = []
    carer_ref = case.placement.carer
    if carer and carer_ref is not None:
        ids = store.case_ids_of_carer(carer_ref)
        carer_endings = [e for e in _endings(ids, case, load) if e.carer == carer_ref]
    return History(child=tuple(child), carer=tuple(carer_endings))
