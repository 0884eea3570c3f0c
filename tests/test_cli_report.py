"""`disruption report`: writes the report from a store; bad dates and stores exit 2."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from disruption.cli import app

runner = CliRunner()
OPEN = {
    "case": "P-0001",
    "command": "open_case",
    "at": "2025-06-02T09:00:00+00:00",
    "actor": {"id": "sw-17", "role": "social_worker"},
    "data": {
        "child": "C-1",
        "placement": {
            "id": "PL-1",
            "type": "U1",
            "provider": "PR1",
            "start": "2025-06-02",
            "location": "in_borough",
        },
    },
}


def _store(tmp_path: Path) -> Path:
    commands = tmp_path / "commands.jsonl"
    commands.write_text(json.dumps(OPEN) + "\n")
    db = tmp_path / "cases.sqlite"
    entered = ["--entered-at", "2025-06-02T17:00:00+00:00"]
    result = runner.invoke(app, ["run", str(commands), "--db", str(db), *entered])
    assert result.exit_code == 0, result.output
    return db


def test_report_writes_the_index_and_says_where(tmp_path: Path) -> None:
    db = _store(tmp_path)
    out = tmp_path / "report"
    args = ["report", "--db", str(db), "--out", str(out), "--from", "2025-04-01"]
    result = runner.invoke(app, [*args, "--to", "2026-03-31"])
    assert result.exit_code == 0, result.output
    assert (out / "index.html").is_file()
    assert (out / "placements_open.csv").is_file()
    assert "Report on 1 placements" in result.output
    assert str(out / "index.html") in result.output.replace("\n", "")


def test_report_refuses_a_period_backwards(tmp_path: Path) -> None:
    db = _store(tmp_path)
    args = ["report", "--db", str(db), "--out", str(tmp_path / "r")]
    result = runner.invoke(app, [*args, "--from", "2026-04-01", "--to", "2026-03-31"])
    assert result.exit_code == 2
    assert "after --to" in result.output
    assert not (tmp_path / "r").exists()


def test_report_refuses_a_bad_date(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", "--db", str(_store(tmp_path)), "--to", "31/03/2026"])
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


def test_report_on_a_missing_store_exits_2_without_creating_it(tmp_path: Path) -> None:
    missing = tmp_path / "none.sqlite"
    result = runner.invoke(app, ["report", "--db", str(missing), "--out", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert not missing.exists()


def test_report_suppress_none_says_internal_use(tmp_path: Path) -> None:
    db = _store(tmp_path)
    out = tmp_path / "report"
    args = ["report", "--db", str(db), "--out", str(out), "--to", "2026-03-31"]
    result = runner.invoke(app, [*args, "--suppress", "none"])
    assert result.exit_code == 0, result.output
    assert "NOT FOR PUBLICATION" in (out / "index.html").read_text(encoding="utf-8")
    placements = (out / "placements_open.csv").read_text(encoding="utf-8")
    assert "Foster placement,1,0,0,1" in placements


def test_report_suppress_n_sets_the_threshold(tmp_path: Path) -> None:
    db = _store(tmp_path)
    out = tmp_path / "report"
    args = ["report", "--db", str(db), "--out", str(out), "--to", "2026-03-31"]
    result = runner.invoke(app, [*args, "--suppress", "2"])
    assert result.exit_code == 0, result.output
    assert "Counts from 1 are shown as c" in (out / "index.html").read_text(encoding="utf-8")


def test_report_refuses_a_bad_threshold(tmp_path: Path) -> None:
    db = _store(tmp_path)
    for bad in ("1", "five", "-3"):
        out = tmp_path / f"r{bad}"
        result = runner.invoke(
            app, ["report", "--db", str(db), "--out", str(out), "--suppress", bad]
        )
        assert result.exit_code == 2, result.output
        assert "--suppress" in result.output
        assert "Traceback" not in result.output
        assert not out.exists()
