"""Subject access: everything held about one child, and nothing about another."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from disruption.cli import app
from disruption.engine.engine import Engine
from disruption.exceptions import PermissionRefused
from disruption.privacy.subject import subject_access
from disruption.store import SqlStore
from tests.builders import (
    SW,
    T0,
    command,
    hours,
    journey_to,
    make_engine,
    no_further_action_data,
    open_case_data,
    run,
)

runner = CliRunner()


def _fill(engine: Engine) -> None:
    run(engine, "P-1", journey_to("move_planned"))  # C-1, with the child's views as free text
    run(engine, "P-2", [("open_case", T0, SW, open_case_data(child="C-2"))])
    run(engine, "P-3", [("open_case", T0, SW, open_case_data(child="C-1"))])
    run(
        engine,
        "P-3",
        [("raise_concern", hours(T0, 1), SW, {"category": "relationship", "raised_by": "child"})],
    )
    with pytest.raises(PermissionRefused):
        engine.handle(
            command("P-3", "no_further_action", hours(T0, 2), *SW, no_further_action_data())
        )


def test_everything_about_the_child_and_nothing_else(tmp_path: Path) -> None:
    with SqlStore(f"sqlite:///{tmp_path / 'c.sqlite'}") as store:
        engine = Engine(store, clock=make_engine(T0 + timedelta(days=2)).clock)
        _fill(engine)
        held = subject_access(engine, "C-1")
    assert held["child"] == "C-1"
    assert [c["case"] for c in held["cases"]] == ["P-1", "P-3"]
    first = held["cases"][0]
    assert first["state"] == "move_planned"
    assert len(first["events"]) == len(first["history"]) == 5
    texts = first["personal_texts"]
    assert texts
    assert all(t["text"] for t in texts)
    assert [e["command"] for e in held["access_log"]] == ["no_further_action"]
    assert "C-2" not in json.dumps(held)


def test_the_cli_writes_the_json(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite"
    with SqlStore(f"sqlite:///{db}") as store:
        _fill(Engine(store, clock=make_engine(T0 + timedelta(days=2)).clock))
    out = tmp_path / "c1.json"
    result = runner.invoke(app, ["export-subject", "C-1", "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 cases of C-1" in result.output
    assert len(json.loads(out.read_text())["cases"]) == 2
    nobody = runner.invoke(app, ["export-subject", "C-9", "--db", str(db)])
    assert json.loads(nobody.output)["cases"] == []
