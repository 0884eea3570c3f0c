"""JSON views of cases, deadlines and events: the documented output of the CLI.

These shapes are a public contract (``docs/contract.md``): fields are only ever added.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from disruption.domain.events import Event, event_to_record
from disruption.domain.model import Case, Deadline, Placement
from disruption.engine.ports import OverdueDeadline

__all__ = ["case_json", "deadline_json", "event_json", "overdue_json", "placement_json"]


def placement_json(placement: Placement) -> dict[str, Any]:
    """Return a placement as the contract's ``placement`` object."""
    return {
        "id": placement.id,
        "type": placement.type,
        "provider": placement.provider,
        "start": placement.start.isoformat(),
        "location": placement.location.value,
        "carer": placement.carer,
    }


def deadline_json(deadline: Deadline) -> dict[str, Any]:
    """Return a deadline: ``name``, ``due`` (YYYY-MM-DD) and ``met`` (true, false or null)."""
    return {
        "id": deadline.id,
        "name": deadline.name,
        "due": deadline.due.isoformat(),
        "earliest": None if deadline.earliest is None else deadline.earliest.isoformat(),
        "met": deadline.met,
        "status": deadline.status.value,
        "opened_on": deadline.opened_on.isoformat(),
        "closed_on": None if deadline.closed_on is None else deadline.closed_on.isoformat(),
    }


def event_json(event: Event) -> dict[str, Any]:
    """Return an event in its stored form (free text appears only as ``{"ref": ...}``)."""
    return event_to_record(event)


def case_json(case: Case, history: Sequence[Event]) -> dict[str, Any]:
    """Return a case: ``state``, ``placement``, ``deadlines`` and ``history``, and more.

    Args:
        case: The case.
        history: Its events, oldest first.

    Returns:
        The JSON-ready dict printed by ``disruption case show --json``.
    """
    return {
        "case": case.id,
        "procedure": {"name": case.procedure.name, "version": case.procedure.version},
        "state": case.state,
        "version": case.version,
        "child": case.child,
        "placement": placement_json(case.placement),
        "ending": None
        if case.ending is None
        else {
            "end": case.ending.end.isoformat(),
            "reason": case.ending.reason,
            "planned": case.ending.planned,
            "meeting_required": list(case.meeting_required),
        },
        "siblings": None
        if case.siblings is None
        else {"group": case.siblings.group, "cases": list(case.siblings.cases)},
        "deadlines": [deadline_json(d) for d in case.deadlines],
        "history": [event_json(e) for e in history],
    }


def overdue_json(item: OverdueDeadline) -> dict[str, Any]:
    """Return an overdue deadline with its case and the case's state."""
    return {"case": item.case, "state": item.state, **deadline_json(item.deadline)}
