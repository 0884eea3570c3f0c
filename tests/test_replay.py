"""Replay: a case is what its stored events make it, whatever commands were sent.

A Hypothesis state machine sends random command sequences (random names, often invalid data,
random roles, times moving forward and sometimes back) to a few cases through one engine, and
checks after every step that the store, the engine and the last outcome agree, and that a
refused command changed nothing.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from disruption.core.fold import replay
from disruption.domain.chain import Chain
from disruption.domain.clock import london_date
from disruption.domain.commands import Command
from disruption.domain.events import Event, event_from_record, event_to_record
from disruption.domain.model import (
    Actor,
    Case,
    DeadlineStatus,
    Role,
)
from disruption.engine.engine import Engine
from disruption.exceptions import CommandError
from disruption.procedure.definition import FileRecorder
from disruption.procedure.standard import STANDARD
from disruption.store.sql.snapshots import case_from_snapshot, snapshot_of
from tests.builders import (
    MANAGER,
    STATES,
    SW,
    T0,
    command,
    hours,
    make_engine,
    no_further_action_data,
    open_case_data,
    raise_concern_data,
)
from tests.strategies import (
    ACTOR_IDS,
    COMMAND_NAMES,
    pick_command,
    role_for,
    spoil,
    valid_journey,
    valid_payload,
)

CASES = ("P-1", "P-2", "P-3")


def opened_deadline_ids(events: tuple[Event, ...]) -> list[str]:
    return [c.id for e in events for c in e.deadlines if c.change == "open"]


class Journeys(RuleBasedStateMachine):
    """Random commands to three cases through one engine with a memory store."""

    def __init__(self) -> None:
        super().__init__()
        self.engine: Engine = make_engine()
        self.now: datetime = T0
        self.last: dict[str, Case] = {}

    def snapshot(self) -> dict[str, tuple[Event, ...]]:
        return {c: tuple(self.engine.store.events(c)) for c in CASES}

    @rule(draw=st.data())
    def send(self, draw: st.DataObject) -> None:
        case_id = draw.draw(st.sampled_from(CASES), label="case")
        current = self.engine.load(case_id)
        if draw.draw(st.integers(0, 3)) == 0:
            name = draw.draw(st.sampled_from([*COMMAND_NAMES, "escalate"]))
        elif current is None:
            name = "open_case"
        else:
            name = pick_command(draw, STANDARD.machine.commands_in(current.state) or COMMAND_NAMES)

        if draw.draw(st.integers(0, 9)) == 0:  # sometimes a time before the last step
            at = self.now - timedelta(minutes=draw.draw(st.integers(1, 3 * 24 * 60)))
        else:
            self.now += timedelta(minutes=draw.draw(st.integers(0, 3 * 24 * 60)))
            at = self.now
        offset = timezone(timedelta(minutes=15 * draw.draw(st.integers(-48, 56))))
        at = at.astimezone(offset)

        data = valid_payload(draw, name, london_date(at), current)
        if draw.draw(st.integers(0, 3)) == 0:
            data = spoil(draw, data)
        role = role_for(draw, name, data)
        actor = Actor(draw.draw(st.sampled_from(ACTOR_IDS)), Role(role))
        cmd = Command(case=case_id, name=name, at=at, actor=actor, data=data)

        before = self.snapshot()
        refused: CommandError | None = None
        try:
            outcome = self.engine.handle(cmd)
        except CommandError as err:
            refused = err
        if refused is not None:
            event(f"refused {type(refused).__name__}")
            assert self.snapshot() == before, "a refused command changed the store"
            assert (refused.case, refused.command) == (case_id, name)
            assert refused.state == (None if current is None else current.state)
            assert self.engine.load(case_id) == current
            return
        event(f"applied {name} -> {outcome.case.state}")
        assert current is None or at >= current.updated_at, "a step back in time was applied"
        version = 0 if current is None else current.version
        assert [e.seq for e in outcome.events] == [version + 1]
        assert outcome.events[0].from_state == (None if current is None else current.state)
        assert outcome.events[0].to_state == outcome.case.state
        after = self.snapshot()
        assert after[case_id] == before[case_id] + outcome.events
        assert {c: e for c, e in after.items() if c != case_id} == {
            c: e for c, e in before.items() if c != case_id
        }
        self.last[case_id] = outcome.case

    @rule(draw=st.data())
    def replay_a_prefix(self, draw: st.DataObject) -> None:
        if not self.last:
            return
        case_id = draw.draw(st.sampled_from(sorted(self.last)))
        events = tuple(self.engine.store.events(case_id))
        n = draw.draw(st.integers(1, len(events)))
        prefix = replay(events[:n], STANDARD.records)
        assert prefix is not None
        assert (prefix.version, prefix.state) == (n, events[n - 1].to_state)

    @invariant()
    def store_engine_and_outcomes_agree(self) -> None:
        store = self.engine.store
        assert list(store.case_ids()) == sorted(self.last)
        for case_id in CASES:
            events = tuple(store.events(case_id))
            if case_id not in self.last:
                assert events == ()
                continue
            replayed = replay(events, STANDARD.records)
            assert replayed == self.engine.case(case_id) == self.last[case_id]
            assert replayed is not None
            assert replayed.version == len(events)
            assert [e.seq for e in events] == list(range(1, len(events) + 1))
            assert all(e.case == case_id for e in events)
            assert [e.from_state for e in events[1:]] == [e.to_state for e in events[:-1]]
            assert replayed.state in STATES
            assert all(e.to_state in STATES for e in events)
            ids = opened_deadline_ids(events)
            assert len(ids) == len(set(ids)), f"a deadline opened twice: {ids}"
            assert sorted(d.id for d in replayed.deadlines) == sorted(ids)
            assert [e.at for e in events] == sorted(e.at for e in events)

    @invariant()
    def overdue_follows_the_cases(self) -> None:
        on = london_date(self.now) + timedelta(days=1)
        expected = sorted(
            ((d.due, c.id, d.id) for c in self.last.values() for d in c.overdue(on)),
        )
        found = [(o.deadline.due, o.case, o.deadline.id) for o in self.engine.overdue(on)]
        assert found == expected


TestJourneys = Journeys.TestCase
TestJourneys.settings = settings(
    max_examples=60,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


# Stored form ---------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(draw=st.data())
def test_events_round_trip_through_their_stored_form(draw: st.DataObject) -> None:
    events = valid_journey(draw)
    assert events, "open_case with valid data is never refused"
    event(f"{len(events)} events, ends {events[-1].to_state}")
    for e in events:
        record = event_to_record(e)
        assert event_from_record(record) == e
        through_json = json.loads(json.dumps(record))
        assert through_json == record
        back = event_from_record(through_json)
        assert back == e
        assert back.at.utcoffset() == e.at.utcoffset()
        assert event_to_record(back) == record
    rebuilt = tuple(event_from_record(json.loads(json.dumps(event_to_record(e)))) for e in events)
    assert replay(rebuilt, STANDARD.records) == replay(events, STANDARD.records)


@settings(max_examples=60, deadline=None)
@given(draw=st.data())
def test_file_recorders_fold_as_plain_recorders_do(draw: st.DataObject) -> None:
    """The fold's one-new-file path for a FileRecorder makes the case that calling it does."""
    events = valid_journey(draw)
    plain = {name: (lambda case, e, r=r: r(case, e)) for name, r in STANDARD.records.items()}
    assert all(isinstance(r, FileRecorder) for r in STANDARD.records.values())
    fused = replay(events, STANDARD.records)
    called = replay(events, plain)
    assert fused == called
    assert fused is not None
    assert called is not None
    assert fused.file.open_deadlines == called.open_deadlines()


def test_a_long_case_keeps_its_records_shared_and_equal_to_replay() -> None:
    """Past 16 concerns and deadlines a case's records are chains: a step adds to the list
    the previous case shares instead of copying it; replay and a snapshot make the same case."""
    engine = make_engine(T0 + timedelta(days=3))
    engine.handle(command("P-L", "open_case", T0, *SW, open_case_data()))
    cases = []
    for k in range(30):
        at = T0 + timedelta(hours=2 * k + 1)
        engine.handle(command("P-L", "raise_concern", at, *SW, raise_concern_data()))
        no_action = no_further_action_data()
        cases.append(
            engine.handle(command("P-L", "no_further_action", hours(at, 1), *MANAGER, no_action))
        )
    case = engine.case("P-L")
    assert type(case.concerns) is Chain
    assert type(case.deadlines) is Chain
    assert case.concerns._shared is cases[-2].case.concerns._shared
    assert len(case.concerns) == len(case.deadlines) == 30
    assert {d.status for d in case.deadlines} == {DeadlineStatus.MET}
    assert case.open_deadlines() == ()
    replayed = replay(engine.history("P-L"), STANDARD.records)
    assert replayed == case
    assert case_from_snapshot(snapshot_of(case), case.procedure) == case
    assert [c.on for c in case.concerns] == [c.on for c in replayed.concerns]
