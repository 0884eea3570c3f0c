"""The :class:`~disruption.engine.ports.EventFeed` contract, on every backend.

Positions are global, gap-free and in commit order; consumers resume without loss.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from disruption.domain.clock import FixedClock
from disruption.engine.engine import Engine
from disruption.engine.feed import Feed
from disruption.engine.ports import CaseStore, StoredEvent
from tests.builders import reach
from tests.store_contract import T0, journey, open_case, raise_concern, run


def test_positions_are_global_gap_free_and_in_append_order(store: CaseStore) -> None:
    assert (store.last_position(), list(store.read_after(0))) == (0, [])
    appended = run(
        store,
        [
            open_case("P-1"),
            open_case("P-2", child="C-2"),
            raise_concern("P-2", T0 + timedelta(hours=1)),
            raise_concern("P-1", T0 + timedelta(hours=2)),
            *journey("P-3", T0),
        ],
    )
    stored = store.read_after(0)
    assert [s.position for s in stored] == list(range(1, len(appended) + 1))
    assert tuple(s.event for s in stored) == appended
    assert store.last_position() == len(appended)
    assert [s.position for s in store.read_after(4, limit=2)] == [5, 6]
    assert list(store.read_after(len(appended))) == []


def test_a_consumer_reading_in_pages_misses_and_repeats_nothing(store: CaseStore) -> None:
    seen: list[StoredEvent] = []

    def catch_up() -> None:
        position = store.consumer_position("feed")
        while page := store.read_after(position, limit=3):
            seen.extend(page)
            position = page[-1].position
            store.save_consumer_position("feed", position)

    run(store, journey("P-1", T0))
    catch_up()
    run(store, [*journey("P-2", T0)[:4], open_case("P-3", child="C-3")])
    catch_up()
    catch_up()
    assert seen == list(store.read_after(0))
    assert [s.position for s in seen] == list(range(1, 14))
    assert store.consumer_position("feed") == store.last_position() == 13


def test_consumer_positions_are_kept_by_name(store: CaseStore) -> None:
    assert store.consumer_position("feed") == 0
    store.save_consumer_position("feed", 3)
    store.save_consumer_position("audit", 7)
    store.save_consumer_position("feed", 5)
    assert [store.consumer_position(c) for c in ("feed", "audit", "other")] == [5, 7, 0]


def test_limits_and_positions_are_checked(store: CaseStore) -> None:
    with pytest.raises(ValueError, match="limit"):
        store.read_after(0, limit=0)
    with pytest.raises(ValueError, match="negative"):
        store.save_consumer_position("feed", -1)
    assert store.consumer_position("feed") == 0


def test_a_feed_resumes_where_its_consumer_stopped(store: CaseStore) -> None:
    engine = Engine(store, clock=FixedClock(T0), clock_tolerance=None)
    for n in range(3):
        reach(engine, f"P-{n}", "support_offered")
    feed = Feed(store, "sync")
    seen: list[StoredEvent] = []
    for stored in feed.drain(batch=2):
        seen.append(stored)
        if len(seen) == 4:
            break  # the consumer stops after handling four; the fourth is not yet saved
    assert feed.position == 3
    again = Feed(store, "sync")
    rest = list(again.drain(batch=2))
    positions = [s.position for s in seen[:3] + rest]
    assert positions == list(range(1, store.last_position() + 1)) == list(range(1, 10))
    assert Feed(store, "other").position == 0
