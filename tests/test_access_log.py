"""The access log on the command line (its contract: ``tests/contracts/test_access_log.py``)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from disruption.cli import app
from disruption.engine.engine import Engine
from disruption.exceptions import PermissionRefused
from disruption.store import CaseStore, SqlStore
from tests.builders import (
    SW,
    T0,
    command,
    hours,
    make_engine,
    no_further_action_data,
    reach,
)

runner = CliRunner()


def _engine(store: CaseStore) -> Engine:
    return Engine(store, clock=make_engine(T0 + timedelta(days=1)).clock)


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
