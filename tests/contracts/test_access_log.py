"""The :class:`~disruption.engine.ports.AccessLog` contract, on every backend.

Refused access decisions are logged, the case untouched; the log reads oldest first.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from disruption.engine.engine import Engine
from disruption.engine.ports import CaseStore, Refusal
from disruption.exceptions import ChairNotIndependent, InvalidData, PermissionRefused
from tests.builders import (
    SW,
    T0,
    command,
    convene_meeting_data,
    day,
    hours,
    make_engine,
    no_further_action_data,
    reach,
)


def _engine(store: CaseStore) -> Engine:
    return Engine(store, clock=make_engine(T0 + timedelta(days=1)).clock)


def test_a_new_store_has_an_empty_log(store: CaseStore) -> None:
    assert list(store.refusals()) == []


def test_a_role_refusal_is_logged_and_the_case_unchanged(store: CaseStore) -> None:
    engine = _engine(store)
    reach(engine, "P-1", "concern_raised")
    before, position = store.events("P-1"), store.last_position()
    with pytest.raises(PermissionRefused):
        engine.handle(
            command("P-1", "no_further_action", hours(T0, 2), *SW, no_further_action_data())
        )
    assert store.events("P-1") == before
    assert store.last_position() == position
    [entry] = store.refusals()
    assert (entry.case, entry.command, entry.actor_id, entry.actor_role) == (
        "P-1",
        "no_further_action",
        SW[1],
        SW[0],
    )
    assert (entry.error, entry.state) == ("PermissionRefused", "concern_raised")


def test_a_chair_who_is_not_independent_is_logged(store: CaseStore) -> None:
    engine = _engine(store)
    reach(engine, "P-1", "support_offered")
    data = convene_meeting_data(day(T0 + timedelta(days=1)))
    data["chair"] = {"id": SW[1], "role": "team_manager"}  # the case's own social worker
    with pytest.raises(ChairNotIndependent):
        engine.handle(command("P-1", "convene_meeting", hours(T0, 5), *SW, data))
    assert [r.error for r in store.refusals()] == ["ChairNotIndependent"]


def test_other_refusals_are_not_access_decisions(store: CaseStore) -> None:
    engine = _engine(store)
    reach(engine, "P-1", "placed")
    with pytest.raises(InvalidData):
        engine.handle(command("P-1", "raise_concern", hours(T0, 2), *SW, {"category": "x"}))
    assert list(store.refusals()) == []


def test_the_log_reads_oldest_first_and_a_limit_keeps_the_latest(store: CaseStore) -> None:
    logged = [
        Refusal(
            at=T0 + timedelta(minutes=n),
            recorded_at=T0 + timedelta(minutes=n, seconds=1),
            case=f"P-{n}",
            command="no_further_action",
            actor_id="sw-17",
            actor_role="social_worker",
            error="PermissionRefused",
            state=None if n == 0 else "concern_raised",  # None: a case not yet opened
        )
        for n in range(5)
    ]
    for refusal in logged:
        store.record_refusal(refusal)
    assert list(store.refusals()) == logged
    assert list(store.refusals(2)) == logged[3:]
    assert list(store.refusals(0)) == []
    assert (list(store.case_ids()), store.last_position()) == ([], 0)
