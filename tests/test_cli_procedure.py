"""`disruption procedure check`, `diagram --procedure` and `--procedure` where the engine runs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from typer.testing import CliRunner

from disruption.cli import app
from tests.scripts import ROOT

runner = CliRunner()
NORTH = str(ROOT / "examples" / "procedures" / "north-borough.yaml")
SW = {"id": "sw-3", "role": "social_worker"}
MANAGER = {"id": "tm-1", "role": "team_manager"}


def _line(name: str, actor: dict[str, str], data: Mapping[str, object], hour: int) -> str:
    at = f"2026-01-12T{hour:02d}:00:00+00:00"
    return json.dumps({"case": "P-1", "command": name, "at": at, "actor": actor, "data": data})


def test_check_summarises_a_valid_file() -> None:
    result = runner.invoke(app, ["procedure", "check", NORTH])
    assert result.exit_code == 0, result.output
    assert "north-borough version 1 is valid" in result.output
    as_json = json.loads(runner.invoke(app, ["procedure", "check", NORTH, "--json"]).output)
    assert as_json["deadlines"]["meeting"] == {"days": 5, "working_days": True}
    assert as_json["closure_days"] == ["2026-12-29", "2026-12-30", "2026-12-31"]


def test_check_lists_every_problem_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nversion: 0\ntimescales: {meeting: -1}\n")
    result = runner.invoke(app, ["procedure", "check", str(bad)])
    assert result.exit_code == 2
    assert "version" in result.output
    assert "timescales.meeting" in result.output
    assert "Traceback" not in result.output


def test_diagram_draws_the_files_procedure() -> None:
    result = runner.invoke(app, ["diagram", "--procedure", NORTH])
    assert result.exit_code == 0, result.output
    assert "respite_arranged" in result.output
    assert "respite_arranged" not in runner.invoke(app, ["diagram"]).output


def test_run_takes_the_procedure_file(tmp_path: Path) -> None:
    opened = {
        "child": "C-1",
        "placement": {
            "id": "PL-1",
            "type": "U4",
            "provider": "PR1",
            "start": "2025-06-02",
            "location": "in_borough",
        },
    }
    commands = tmp_path / "commands.jsonl"
    commands.write_text(
        "\n".join(
            [
                _line("open_case", SW, opened, 9),
                _line("raise_concern", SW, {"category": "relationship", "raised_by": "child"}, 10),
                _line("offer_support", MANAGER, {"support": ["respite"]}, 11),
                _line("arrange_respite", MANAGER, {"starts_on": "2026-01-14", "nights": 3}, 12),
            ]
        )
        + "\n"
    )
    db = tmp_path / "cases.sqlite"
    result = runner.invoke(
        app,
        [
            *("run", str(commands), "--db", str(db), "--procedure", NORTH, "--json"),
            *("--entered-at", "2026-01-12T17:00:00+00:00"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.splitlines()[-1])["state"] == "respite_arranged"
    without = runner.invoke(app, ["case", "show", "P-1", "--db", str(db), "--json"])
    assert without.exit_code == 2  # the case was opened under north-borough v1
    shown = runner.invoke(
        app, ["case", "show", "P-1", "--db", str(db), "--procedure", NORTH, "--json"]
    )
    assert json.loads(shown.output)["state"] == "respite_arranged"


def test_a_missing_procedure_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "-", "--procedure", str(tmp_path / "none.yaml")], input="")
    assert result.exit_code == 2
    assert "cannot be read" in result.output
