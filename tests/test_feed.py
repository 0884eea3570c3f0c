"""Events out as CloudEvents 1.0 (a feed resuming on every backend: tests/contracts/)."""

from __future__ import annotations

from disruption.engine.feed import to_cloudevent
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
