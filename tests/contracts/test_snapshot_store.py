"""The :class:`~disruption.engine.ports.SnapshotStore` contract, on every backend.

A case loaded from its snapshot (and the events stored after it) equals its replay.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

from hypothesis import HealthCheck, example, given, settings

from disruption.core.system import missed_events
from disruption.domain.clock import FixedClock
from disruption.engine.engine import Engine
from disruption.engine.ports import Applied, CaseStore, Snapshot
from disruption.exceptions import CommandError
from tests.store_contract import (
    CASE_NUMBERS,
    SWEPT,
    T0,
    case_of,
    no_further_action,
    open_case,
    overdue_cases,
    raise_concern,
    run,
    step,
)
from tests.strategies import store_journeys


@settings(
    max_examples=25,
    deadline=None,
    # One store serves every example (of its backend): each example's case is new.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(journey=store_journeys)
@example(journey=[("raise_concern", 1), ("sweep", 24 * 7), ("no_further_action", 1)])
@example(journey=[("raise_concern", 1), ("offer_support", 2), ("sweep", 24 * 30)])
def test_the_snapshot_equals_the_replay_of_random_journeys(
    store: CaseStore, journey: list[tuple[str, int]]
) -> None:
    case = f"R-{next(CASE_NUMBERS)}"
    at = T0
    engine = Engine(store, clock=FixedClock(at))
    engine.handle(open_case(case, at, child=f"C-{case}"))
    for name, hours in journey:
        at += timedelta(hours=hours)
        engine.clock = FixedClock(at)
        if name == "sweep":
            engine.tick(at.date())
        else:
            # A refused command changes nothing, which the comparisons check too.
            with contextlib.suppress(CommandError):
                engine.handle(step(case, name, at))
        loaded = engine.load(case)
        assert loaded == engine.replay(case)
        assert loaded == case_of(store, case)
        assert loaded is not None
        assert loaded.version == len(store.events(case))


def test_a_command_id_and_a_snapshot_read_at_once(store: CaseStore) -> None:
    assert store.snapshot_unless_applied("P-1", "c-1") is None
    assert store.snapshot_unless_applied("P-1", None) is None
    run(store, [open_case("P-1"), raise_concern("P-1", T0, command_id="c-1")])
    found = store.snapshot_unless_applied("P-1", "c-1")
    # Applied; or, from a store that keeps the case in memory, the case as it stands, marked
    # cached (the append of a command applied already is refused by its id).
    if isinstance(found, Snapshot):
        assert found.cached
        assert found.case == case_of(store, "P-1")
    else:
        assert found == Applied("c-1")
    assert store.snapshot_unless_applied("P-2", "c-1") == Applied("c-1")
    assert store.snapshot_unless_applied("P-2", "c-2") is None
    for command_id in ("c-2", None):
        found = store.snapshot_unless_applied("P-1", command_id)
        read = store.snapshot("P-1")
        assert isinstance(found, Snapshot)
        assert read is not None
        assert not read.cached
        assert (found.case, found.after) == (read.case, read.after)
        assert found.case == case_of(store, "P-1")


def test_a_new_store_has_no_snapshot(store: CaseStore) -> None:
    assert store.snapshot("P-1") is None
    assert store.snapshot_unless_applied("P-1", "c-1") is None


def test_events_after_a_snapshot_are_folded_onto_it(store: CaseStore) -> None:
    overdue_cases(store)
    missed = store.record_missed(SWEPT.date(), build=missed_events, recorded_at=SWEPT)
    assert {e.case for e in missed} == {"P-1", "P-2"}
    snapshot = store.snapshot("P-1")
    assert snapshot is not None
    assert snapshot.case is not None
    assert snapshot.case.version == 2
    assert snapshot.after == tuple(store.events("P-1")[2:])
    assert Engine(store).load("P-1") == case_of(store, "P-1")
    (late,) = run(store, [no_further_action("P-1", T0 + timedelta(days=2))])
    snapshot = store.snapshot("P-1")  # the next append writes the snapshot again
    assert snapshot is not None
    assert snapshot.case == case_of(store, "P-1")
    assert (snapshot.case.version, snapshot.after) == (late.seq, ())
