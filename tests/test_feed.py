"""Events out: CloudEvents 1.0 and consumers that resume without loss or duplicates."""

from __future__ import annotations

from disruption.engine.feed import Feed, to_cloudevent
from disruption.engine.ports import StoredEvent
from tests.builders import make_engine, reach


def test_a_cloudevent_has_the_required_attributes_and_no_free_text() -> None:
    engine = make_engine()
    reach(engine, "P-1", "placed")
    stored = engine.store.read_after(0)
    ce = to_cloudevent(stored[0], source="urn:la:north-borough")
    assert {"specversion", "id", "source", "type"} <= set(ce)
    assert ce["specversion"] == "1.0"
    assert ce["type"] == "disruption.CaseOpened"
    assert ce["subject"] == "P-1"
    assert ce["source"] == "urn:la:north-borough"
    assert ce["position"] == 1
    assert ce["data"]["to_state"] == "placed"
    assert "case" not in ce["data"]


def test_a_feed_resumes_where_its_consumer_stopped() -> None:
    engine = make_engine()
    for n in range(3):
        reach(engine, f"P-{n}", "support_offered")
    feed = Feed(engine.store, "sync")
    seen: list[StoredEvent] = []
    for stored in feed.drain(batch=2):
        seen.append(stored)
        if len(seen) == 4:
            break  # the consumer stops after handling four; the fourth is not yet saved
    assert feed.position == 3
    again = Feed(engine.store, "sync")
    rest = list(again.drain(batch=2))
    positions = [s.position for s in seen[:3] + rest]
    assert positions == list(range(1, engine.store.last_position() + 1))
    assert Feed(engine.store, "other").position == 0
