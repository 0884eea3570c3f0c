"""Upcasting: stored events of an older event schema version are brought up to date on reading.

Every stored event carries the :data:`~disruption.domain.events.EVENT_SCHEMA_VERSION` it was written
with. When a change to an event's data bumps that version, register a function in
:data:`UPCASTERS` under ``(event type, old version)`` that turns the old stored form (as
:func:`~disruption.domain.events.event_to_record` writes it) into the next version's. Types with no
entry for a version are unchanged by it.

>>> record = {"type": "CaseOpened", "schema_version": 1, "data": {}}
>>> upcast(record) is record  # already current
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from disruption.domain import events
from disruption.exceptions import SchemaError

__all__ = ["UPCASTERS", "Upcaster", "upcast"]

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
"""Turns a stored event record of one schema version into the next version's."""

UPCASTERS: dict[tuple[str, int], Upcaster] = {}
"""Upcasters by ``(event type, the version they upcast from)``."""


def upcast(record: dict[str, Any]) -> dict[str, Any]:
    """Bring a stored event record up to this library's event schema version.

    Args:
        record: The event's stored form, with its ``type`` and ``schema_version``.

    Returns:
        The record itself when current, else the upcast record, at the current version.

    Raises:
        SchemaError: When the event was written by a newer version of disruption.
    """
    # Looked up on the modules at each call, so that tests can register an upcaster.
    current: int = events.EVENT_SCHEMA_VERSION
    version: int = record["schema_version"]
    if version == current:
        return record
    if version > current:
        raise SchemaError(
            f"event {record.get('case')}/{record.get('seq')} has event schema version "
            f"{version}; this version reads up to {current}: upgrade disruption"
        )
    while version < current:
        step = UPCASTERS.get((record["type"], version))
        if step is not None:
            record = step(dict(record))
        version += 1
        record = {**record, "schema_version": version}
    return record
