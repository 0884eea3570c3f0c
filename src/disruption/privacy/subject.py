"""Subject access: everything held about one child, as readable JSON.

For each of the child's cases: the case as ``disruption case show --json`` prints it (state,
placement, deadlines, history), every stored event in full, and every piece of free text
kept about the child in the personal-data store; and the access-log entries on those cases.

Example:
    >>> from disruption import Engine, MemoryStore
    >>> from disruption.privacy.subject import subject_access
    >>> subject_access(Engine(MemoryStore()), "C-1")["cases"]
    []
"""

from __future__ import annotations

from typing import Any

from disruption.domain.events import event_to_record
from disruption.domain.payloads import is_text_ref
from disruption.engine.engine import Engine
from disruption.engine.ports import PersonalDataVault
from disruption.engine.views import case_json

__all__ = ["subject_access"]


def _texts(vault: PersonalDataVault, data: object) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if is_text_ref(value):
                found.append({"field": key, "ref": value["ref"], "text": vault.text(value["ref"])})
            else:
                found.extend(_texts(vault, value))
    return found


def subject_access(engine: Engine, child: str) -> dict[str, Any]:
    """Everything the store holds about one child.

    Args:
        engine: An engine over the store (it knows the definitions the cases use).
        child: The child's pseudonymous reference.

    Returns:
        ``{"child", "cases": [{"case", "events", "personal_texts", ...}], "access_log"}``;
        a text erased or never kept reads as ``null``.

    Raises:
        UnknownProcedure: A case was opened under a definition the engine was not given.
    """
    cases = []
    refs = engine.store.case_ids_of(child)
    for ref in refs:
        history = engine.history(ref)
        view = case_json(engine.case(ref), history)
        cases.append(
            {
                "case": ref,
                **view,
                "events": [event_to_record(e) for e in history],
                "personal_texts": [t for e in history for t in _texts(engine.store, e.data)],
            }
        )
    log = [r.as_json() for r in engine.store.refusals(10**9) if r.case in refs]
    return {"child": child, "cases": cases, "access_log": log}
