"""The in-memory store keeps events compact and reads them back equal.

Its store contract is in ``tests/contracts``.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
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


class _Instant(datetime):
    """A ``datetime`` subclass, as a clock library's (pendulum's) instants are."""


def test_instants_are_read_back_with_their_zone_and_fold() -> None:
    events, _ = _decided(2)
    london = ZoneInfo("Europe/London")
    first = attrs.evolve(events[0], at=datetime(2024, 10, 27, 1, 30, tzinfo=london, fold=1))
    second = attrs.evolve(
        events[1],
        at=datetime(2024, 10, 27, 1, 30, tzinfo=london),
        recorded_at=_Instant(2024, 10, 27, 3, 4, 5, 678, tzinfo=timezone(timedelta(hours=-5))),
    )
    store = MemoryStore()
    store._add(_case_after(first), [first])
    store._add(_case_after(second), [second])
    read = store.events("P-1")
    assert read == (first, second)
    for got, kept in zip(read, (first, second), strict=True):
        for name in ("at", "recorded_at"):
            value, expected = getattr(got, name), getattr(kept, name)
            assert value.isoformat() == expected.isoformat()
            assert (value.fold, value.tzinfo) == (expected.fold, expected.tzinfo)
    assert read[0].at.utcoffset() == timedelta(0)  # the second 01:30 that day: GMT
    assert read[1].at.utcoffset() == timedelta(hours=1)


def test_a_long_case_is_read_back_whole_by_case_position_and_command() -> None:
    events, _ = _decided(2)
    store = MemoryStore()
    opening = events[0]
    store._add(_case_after(opening), [opening])
    other = attrs.evolve(opening, case="P-2", command_id="open-2")
    store._add(_case_after(other), [other])
    appended = [opening]
    for seq in range(2, 202):  # two at a time, from one command each
        pair = [
            attrs.evolve(events[1], seq=s, data={"n": s, "pad": "x" * 40}, command_id=f"c{seq}")
            for s in (seq, seq + 1)
        ][: 1 if seq % 2 else 2]
        if seq % 2 == 0:
            store._add(_case_after(pair[-1]), pair)
            appended.extend(pair)
    assert isinstance(store._events["P-1"], list)  # outgrew one bytes
    assert isinstance(store._events["P-2"], bytes)
    assert list(store.events("P-1")) == appended
    assert store._count("P-1") == len(appended)
    assert [s.event for s in store.read_after(0, limit=10_000)] == [
        opening,
        other,
        *appended[1:],
    ]
    assert [s.event for s in store.read_after(5, limit=3)] == appended[4:7]
    assert list(store.events_of_command("c10")) == appended[9:11]
    assert list(store.events_of_command("open-2")) == [other]
    assert store.events_of_command("nothing") == ()


def test_events_beyond_what_a_store_numbers_are_read_back_equal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from disruption.store import memory

    events, store = _decided(5)
    # Nothing more numbered: another case's deadlines, new ids, are written out in its records.
    monkeypatch.setattr(memory, "_LIMIT", len(store._codec.values))
    other = [
        attrs.evolve(
            e,
            case="P-2",
            deadlines=tuple(attrs.evolve(d, id=f"new-{d.id}") for d in e.deadlines),
        )
        for e in events
    ]
    for e in other:
        store._add(attrs.evolve(_case_after(e), id="P-2"), [e])
    assert any(e.deadlines for e in other)
    assert all(type(r) is bytes for r in store._records("P-2"))  # kept compact still
    assert list(store.events("P-2")) == other
    assert list(store.events("P-1")) == events


@pytest.mark.parametrize(
    "day",
    [date(1899, 12, 31), date(1900, 1, 1), date(2079, 6, 5), date(2079, 6, 6), date(2199, 12, 31)],
)
def test_deadline_days_beyond_two_bytes_are_read_back_equal(day: date) -> None:
    events, _ = _decided(2)
    change = events[1].deadlines[0]
    odd = attrs.evolve(
        events[1], deadlines=(attrs.evolve(change, due=day, earliest=day, on=day), change)
    )
    store = MemoryStore()
    for e in (events[0], odd):
        store._add(_case_after(e), [e])
    assert all(type(r) is bytes for r in store._records("P-1"))  # kept compact still
    assert list(store.events("P-1")) == [events[0], odd]


def test_changes_and_a_command_id_are_read_back_equal() -> None:
    events, _ = _decided(3)
    with_ids = [attrs.evolve(e, command_id=f"cmd-{e.seq}") for e in events]
    store = MemoryStore()
    for e in with_ids:
        store._add(_case_after(e), [e])
    assert any(e.deadlines for e in with_ids)
    assert all(type(r) is bytes for r in store._records("P-1"))
    assert list(store.events("P-1")) == with_ids
    assert list(store.events_of_command("cmd-2")) == [with_ids[1]]


def test_an_event_out_of_its_place_is_kept_as_it_is() -> None:
    events, _ = _decided(2)
    store = MemoryStore()
    store._add(_case_after(events[0]), [events[0]])
    misnumbered = attrs.evolve(events[1], seq=7)
    store._add(_case_after(misnumbered), [misnumbered])
    assert list(store.events("P-1")) == [events[0], misnumbered]
    assert [s.event for s in store.read_after(0)] == [events[0], misnumbered]


@pytest.mark.parametrize(
    "data",
    [
        {"a": {"x": 1, "y": [1, "z"]}, "b": (1, 2), "c": None},
        {"a": {"x": 1}, "b": {"x": 2, "w": {"deep": True}}},
        {"a": {}, "b": [{"x": 1}]},
        {"a": (1, 2), "b": {"x": None}},
    ],
)
def test_nested_dicts_and_tuples_are_read_back_equal(data: dict[str, object]) -> None:
    events, _ = _decided(1)
    nested = attrs.evolve(events[0], data=data)
    store = MemoryStore()
    store._add(_case_after(nested), [nested])
    assert type(store._records("P-1")[0]) is bytes
    (read,) = store.events("P-1")
    assert read == nested
    assert [type(v) for v in read.data.values()] == [type(v) for v in data.values()]


def test_data_with_keys_that_are_not_strings_is_kept_as_it_is() -> None:
    events, _ = _decided(1)
    keys: dict[Any, Any] = {1: "one"}
    odd = attrs.evolve(events[0], data=keys)
    store = MemoryStore()
    store._add(_case_after(odd), [odd])
    (read,) = store.events("P-1")
    assert read is odd
