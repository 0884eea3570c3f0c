"""Events out for integrations: CloudEvents 1.0, and consumers that resume where they stopped.

Every stored event has a global, gap-free position. A :class:`Feed` reads the events after
the position its consumer last saved, so a consumer that stops (or crashes) resumes without
losing or repeating events, provided it saves a position only after handling it.

>>> from datetime import datetime, timezone
>>> from disruption.domain.events import Event
>>> from disruption.domain.model import Actor
>>> at = datetime(2025, 12, 23, 10, tzinfo=timezone.utc)
>>> e = Event(case="P-1", seq=2, type="ConcernRaised", command="raise_concern", at=at,
...           recorded_at=at, actor=Actor("sw-17", "social_worker"),
...           data={"category": "carer_difficulty", "raised_by": "carer"},
...           from_state="placed", to_state="concern_raised")
>>> ce = to_cloudevent(StoredEvent(7, e))
>>> ce["specversion"], ce["type"], ce["subject"], ce["id"], ce["position"]
('1.0', 'disruption.ConcernRaised', 'P-1', 'P-1/2', 7)

The feed's format has a version, :data:`FEED_VERSION`, named by the CloudEvents
``dataschema`` attribute of every event: the URI of the JSON Schema its ``data`` follows
(shipped as ``disruption/schemas/event.schema.json``, whose ``$id`` it is):

>>> ce["dataschema"]
'https://disruption.invalid/schema/v1/event.schema.json'

An event from an SQL store carries its link in the audit chain, the ``chainhash`` extension
attribute: a consumer that keeps the last one can later check the store against it
(``disruption verify --expect POSITION:HASH``).

>>> to_cloudevent(StoredEvent(7, e, "ab" * 32))["chainhash"][:8]
'abababab'
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from disruption.domain.events import event_to_record
from disruption.engine.ports import EventFeed, StoredEvent

__all__ = ["DATA_SCHEMA", "DEFAULT_SOURCE", "FEED_VERSION", "TYPE_PREFIX", "Feed", "to_cloudevent"]

FEED_VERSION = 1
"""The version of the event feed's format: the CloudEvent's attributes, its ``type`` names and
its ``data``. A change a consumer written to this version would break on (an attribute or a
field renamed, removed or given another meaning, an event type renamed) makes a new version,
and a new :data:`DATA_SCHEMA`; attributes, fields and event types are only ever added within
one (see ``docs/integration.md``)."""

DATA_SCHEMA = f"https://disruption.invalid/schema/v{FEED_VERSION}/event.schema.json"
"""The CloudEvents ``dataschema`` of every event: the ``$id`` of the JSON Schema of its
``data`` (``disruption/schemas/event.schema.json``). A name, not a location (``.invalid`` is
reserved): the schema ships with the package and the documentation."""

DEFAULT_SOURCE = "urn:disruption"
"""The CloudEvents ``source`` used unless an integration names its own store."""

TYPE_PREFIX = "disruption."
"""CloudEvents ``type`` is this prefix and the event's type, e.g. ``disruption.ConcernRaised``."""


def to_cloudevent(stored: StoredEvent, *, source: str = DEFAULT_SOURCE) -> dict[str, Any]:
    """Return a stored event as a CloudEvents 1.0 JSON object (structured mode).

    Args:
        stored: The event and its position.
        source: The CloudEvents ``source``: which store (authority, environment) it came from.

    Returns:
        The CloudEvent: ``id`` is ``case/seq`` (unique and stable), ``subject`` the case,
        ``time`` when it happened, ``dataschema`` :data:`DATA_SCHEMA` (which names
        :data:`FEED_VERSION`), ``position``, ``recordedtime`` and ``chainhash`` (the
        event's hash in the store's audit chain, when the store keeps one) are extension
        attributes, and ``data`` is the event's stored form without the fields already in
        the envelope.
    """
    record = event_to_record(stored.event)
    event = stored.event
    data = {k: v for k, v in record.items() if k not in ("case", "type", "at")}
    cloudevent = {
        "specversion": "1.0",
        "id": f"{event.case}/{event.seq}",
        "source": source,
        "type": f"{TYPE_PREFIX}{event.type}",
        "subject": event.case,
        "time": event.at.isoformat(),
        "datacontenttype": "application/json",
        "dataschema": DATA_SCHEMA,
        "position": stored.position,
        "recordedtime": event.recorded_at.isoformat(),
        "data": data,
    }
    if stored.hash is not None:
        cloudevent["chainhash"] = stored.hash
    return cloudevent


class Feed:
    """A named consumer's view of the store's events, resuming at its saved position.

    Args:
        store: The store.
        consumer: The consumer's name; its position is kept in the store.
    """

    def __init__(self, store: EventFeed, consumer: str) -> None:
        self.store = store
        self.consumer = consumer

    @property
    def position(self) -> int:
        """The last position the consumer saved."""
        return self.store.consumer_position(self.consumer)

    def poll(self, limit: int = 100) -> list[StoredEvent]:
        """Return up to ``limit`` events after the saved position (without saving)."""
        return list(self.store.read_after(self.position, limit))

    def ack(self, position: int) -> None:
        """Save the position of the last event handled."""
        self.store.save_consumer_position(self.consumer, position)

    def drain(self, batch: int = 100) -> Iterator[StoredEvent]:
        """Yield every pending event, saving the position after each one is handled.

        The position is saved when the next event is asked for, so an event whose handling
        raised is delivered again next time.
        """
        while events := self.poll(batch):
            for stored in events:
                yield stored
                self.ack(stored.position)
