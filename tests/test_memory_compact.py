"""The in-memory store keeps events compact and reads them back equal.

Its store contract is in ``tests/contracts``.
"""

from __future__ import annotations

import json
from datetime import date
from types import MappingProxyType

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from disruption.domain.events import Event, event_to_record
from disruption.domain.model import Case, CaseFile, Placement, ProcedureRef, Role
from disruption.store import MemoryStore
from tests.builders import command, journey_to, make_engine
from tests.strategies import valid_journey

_FILE = CaseFile(
    ProcedureRef("standard", 1),
    "C-1",
    Placement(id="PL-1", start=date(2024, 1, 8), type="U1", provider="PR1", location="in_borough"),
)


def _decided(n: int = 1) -> tuple[list[Event], MemoryStore]:
    """A case's first ``n`` events as the engine decided them, and the store holding them."""
    engine = make_engine()
    outcomes = [
        engine.handle(command("P-1", name, at, role, actor_id, data))
        for name, at, (role, actor_id), data in journey_to("move_planned")[:n]
    ]
    assert isinstance(engine.store, MemoryStore)
    return [e for o in outcomes for e in o.events], engine.store


def test_events_are_read_back_equal_to_those_appended() -> None:
    events, store = _decided(5)
    read = list(store.events("P-1"))
    assert read == events
    assert [event_to_record(e) for e in read] == [event_to_record(e) for e in events]
    assert [s.event for s in store.read_after(0)] == events


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_random_journeys_read_back_identical(data: st.DataObject) -> None:
    events = valid_journey(data)
    store = MemoryStore()
    for e in events:
        store._add(_case_after(e), [e])
    read = store.events("P-1")
    assert [json.dumps(event_to_record(e)) for e in read] == [
        json.dumps(event_to_record(e)) for e in events
    ]
    assert [type(v) for e in read for v in e.data.values()] == [
        type(v) for e in events for v in e.data.values()
    ]


def _case_after(event: Event) -> Case:
    return Case(event.case, event.to_state, event.seq, event.at, _FILE)


def test_data_that_is_not_plain_json_is_kept_as_it_is() -> None:
    events, _ = _decided(1)
    odd = attrs.evolve(events[-1], data=MappingProxyType({"role": Role.IRO}))
    store = MemoryStore()
    store._add(_case_after(odd), [odd])
    (read,) = store.events("P-1")
    assert read is odd
