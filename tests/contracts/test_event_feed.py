"""The :class:`~disruption.engine.ports.EventFeed` contract, on every backend.

Positions are global, gap-free and in commit order; consumers resume without loss.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from disruption.engine.ports import CaseStore, StoredEvent
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
