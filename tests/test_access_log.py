"""Refused access decisions go to the access log, and the case is not touched."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from disruption.cli import app
from disruption.engine.engine import Engine
from disruption.exceptions import ChairNotIndependent, InvalidData, PermissionRefused
from disruption.store import CaseStore, MemoryStore, SqlStore
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
from tests.conftest import postgres

runner = CliRunner()


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CaseStore]:
    if request.param == "memory":
        yield MemoryStore()
        return
    url = (
        f"sqlite:///{tmp_path / 'cases.sqlite'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    with SqlStore(url) as opened:
        yield opened


def _engine(store: CaseStore) -> Engine:
    return Engine(store, clock=make_engine(T0 + timedelta(days=1)).clock)


def test_a_role_refusal_is_logged_and_the_case_unchanged(store: CaseStore) -> None:
    engine = _engine(store)
    reach(engine, "P-1", "concern_raised")
    before = store.events("P-1")
    with pytest.raises(PermissionRefused):
        engine.handle(
            command("P-1", "no_further_action", hours(T0, 2), *SW, no_further_action_data())
        )
    assert store.events("P-1") == before
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
    assert store.refusals() == ()


def test_the_cli_lists_the_access_log(tmp_path: Path) -> None:
    db = tmp_path / "cases.sqlite"
    with SqlStore(f"sqlite:///{db}") as opened:
        engine = _engine(opened)
        reach(engine, "P-1", "concern_raised")
        with pytest.raises(PermissionRefused):
            engine.handle(
                command("P-1", "no_further_action", hours(T0, 2), *SW, no_further_action_data())
            )
    listed = runner.invoke(app, ["access-log", "--db", str(db), "--json"])
    assert listed.exit_code == 0, listed.output
    entry = json.loads(listed.output.splitlines()[0])
    assert entry["actor"] == {"id": SW[1], "role": SW[0]}
    assert entry["error"] == "PermissionRefused"
    table = runner.invoke(app, ["access-log", "--db", str(db)])
    assert table.exit_code == 0
    assert "Access log" in table.output
