"""The engine shell: retries on concurrent changes, the sweep, publishing.

A repeated command (idempotency) is in ``test_engine_commands.py``.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from disruption.core.fold import replay
from disruption.domain.events import Event
from disruption.domain.model import Case
from disruption.engine.engine import Engine
from disruption.exceptions import ConcurrencyError, PermissionRefused
from disruption.procedure.standard import STANDARD
from disruption.store.memory import MemoryStore
from tests.builders import (
    MANAGER,
    SW,
    T0,
    command,
    end_placement_data,
    hours,
    make_engine,
    no_further_action_data,
    offer_support_data,
    raise_concern_data,
    reach,
)


class _Interfering(MemoryStore):
    """A store in which another writer appends just before this engine's next append."""

    def __init__(self, other: Engine | None = None, times: int = 1) -> None:
        super().__init__()
        self.other = other
        self.times = times
        self.interference: list[Event] = []

    def append(self, case: Case, events: object, texts: object, *, expected_version: int) -> None:
        if self.times and self.other is not None and expected_version > 0:
            self.times -= 1
            other, self.other = self.other, None
            other.handle(self.pending)  # the other writer gets in first
            self.other = other
        super().append(case, events, texts, expected_version=expected_version)  # type: ignore[arg-type]

    pending = command("P-1", "raise_concern", hours(T0, 1), data=raise_concern_data())


def test_a_concurrent_change_is_retried_on_the_fresh_case() -> None:
    store = _Interfering()
    engine = make_engine(store=store)
    reach(engine, "P-1", "placed")
    store.other = Engine(store, clock=engine.clock, clock_tolerance=None)
    store.pending = command("P-1", "raise_concern", hours(T0, 1), data=raise_concern_data())
    # This engine ends the placement; the other raised a concern first: still valid, retried.
    outcome = engine.handle(
        command("P-1", "end_placement", hours(T0, 2), data=end_placement_data("2025-12-01"))
    )
    assert outcome.case.state == "ended"
    assert [e.type for e in engine.history("P-1")] == [
        "CaseOpened",
        "ConcernRaised",
        "PlacementEnded",
    ]


def test_a_command_that_no_longer_applies_after_a_concurrent_change_is_not_retried() -> None:
    store = _Interfering()
    engine = make_engine(store=store)
    reach(engine, "P-1", "concern_raised")
    store.other = Engine(store, clock=engine.clock, clock_tolerance=None)
    store.pending = command(
        "P-1", "end_placement", hours(T0, 2), data=end_placement_data("2025-12-01")
    )
    with pytest.raises(ConcurrencyError) as caught:
        engine.handle(
            command("P-1", "no_further_action", hours(T0, 3), *MANAGER, no_further_action_data())
        )
    assert caught.value.case == "P-1"
    assert caught.value.command == "no_further_action"
    assert caught.value.__cause__ is not None
    assert [e.type for e in engine.history("P-1")][-1] == "PlacementEnded"


def test_retries_are_bounded() -> None:
    store = _Interfering(times=10)
    engine = Engine(store, clock=make_engine().clock, retries=2, clock_tolerance=None)
    reach(engine, "P-1", "support_offered")
    store.other = Engine(store, clock=engine.clock, clock_tolerance=None)
    store.pending = command("P-1", "raise_concern", hours(T0, 5), data=raise_concern_data())
    with pytest.raises(ConcurrencyError):
        engine.handle(command("P-1", "raise_concern", hours(T0, 5), data=raise_concern_data()))
    # three attempts, each beaten by the other writer's concern
    assert [e.type for e in engine.history("P-1")].count("ConcernRaised") == 1 + 3


def test_a_refusal_is_not_retried_and_publishes_nothing() -> None:
    engine = make_engine()
    published: list[Event] = []
    engine.subscribe(published.append)
    reach(engine, "P-1", "concern_raised")
    count = len(published)
    with pytest.raises(PermissionRefused):
        engine.handle(command("P-1", "offer_support", hours(T0, 2), *SW, offer_support_data()))
    assert len(published) == count


def test_tick_records_each_missed_deadline_once_and_publishes_it() -> None:
    engine = make_engine(T0 + timedelta(days=3))
    reach(engine, "P-1", "concern_raised")  # screening due 2025-12-03
    published: list[Event] = []
    engine.subscribe(published.append)
    assert engine.tick(date(2025, 12, 3)) == 0  # due that day: not yet missed
    assert engine.tick(date(2025, 12, 4)) == 1
    assert engine.tick(date(2025, 12, 20)) == 0
    assert [e.type for e in published] == ["DeadlineMissed"]
    case = engine.case("P-1")
    assert case.state == "concern_raised"
    (screening,) = case.deadlines
    assert screening.missed_recorded
    assert screening.met is None
    assert replay(engine.history("P-1"), STANDARD.records) == case
    # a late entry of what happened before the sweep is still accepted, and is late
    late = engine.handle(
        command("P-1", "offer_support", hours(T0, 80), *MANAGER, offer_support_data())
    )
    assert late.case.deadlines[0].met is False


def test_subscribers_are_called_after_the_events_are_stored(tmp_path: object) -> None:
    from pathlib import Path

    from disruption.store import open_store

    store = open_store(str(Path(str(tmp_path)) / "cases.sqlite"))
    engine = Engine(store, clock=make_engine().clock, clock_tolerance=None)
    seen: list[tuple[int, int]] = []

    def subscriber(event: Event) -> None:
        # A second connection sees the event: it was committed before we were called.
        other = open_store(str(Path(str(tmp_path)) / "cases.sqlite"), must_exist=True)
        seen.append((event.seq, len(other.events(event.case))))
        other.close()

    engine.subscribe(subscriber)
    reach(engine, "P-1", "concern_raised")
    store.close()
    assert seen == [(1, 1), (2, 2)]
