"""`disruption import-903` and `export-903`: summaries, idempotency, exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from disruption.cli import app
from disruption.demo.returns import synthetic_returns
from tests.returns903 import Returns903
from tests.test_ssda903_load import _returns

runner = CliRunner()


def test_import_twice_adds_once(tmp_path: Path) -> None:
    folders = [str(p) for p in synthetic_returns(3).write(tmp_path / "returns")]
    _imports_once([*folders, "--db", str(tmp_path / "cases.sqlite")])


def test_another_tools_returns_import_once(returns903: Returns903, tmp_path: Path) -> None:
    db = str(tmp_path / "cases.sqlite")
    _imports_once([*(str(p) for p in returns903.folders), "--db", db])


def _imports_once(given: list[str]) -> None:
    args = ["import-903", *given, "--json"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)  # standard output is the JSON alone
    assert summary["added"] == summary["placements"] > 1000
    assert summary["present"] == 0
    again = json.loads(runner.invoke(app, args).stdout)
    assert (again["added"], again["present"]) == (0, summary["added"])


def test_import_prints_a_readable_summary(tmp_path: Path) -> None:
    db = str(tmp_path / "cases.sqlite")
    result = runner.invoke(app, ["import-903", str(_returns(tmp_path)), "--db", db])
    assert result.exit_code == 0, result.output
    assert "4 placements of 1 children" in result.output
    assert "4 cases added" in result.output


def test_an_unreadable_file_exits_2_and_writes_no_store(tmp_path: Path) -> None:
    db = tmp_path / "cases.sqlite"
    missing = tmp_path / "none" / "episodes.csv"
    result = runner.invoke(app, ["import-903", str(missing), "--db", str(db)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert not db.exists()


def test_export_writes_the_procedures_endings(tmp_path: Path) -> None:
    db = str(tmp_path / "cases.sqlite")
    runner.invoke(app, ["import-903", str(_returns(tmp_path)), "--db", db])
    out = tmp_path / "ended.csv"
    result = runner.invoke(app, ["export-903", "--db", db, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "0 ended placements" in result.output  # imported history is not exported
    assert out.read_text().startswith("CHILD,DECOM,RNE,")
    bad = runner.invoke(app, ["export-903", "--db", db, "--from", "2025-13-01"])
    assert bad.exit_code == 2


def test_steps_are_shown_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from disruption.cli import _common, _progress

    shown = io.StringIO()
    monkeypatch.setattr(
        _common, "err", Console(file=shown, force_terminal=True, width=60, color_system=None)
    )
    with _progress.step_status() as step:
        step("reconcile")
        step("validate")
    assert "Validating" in shown.getvalue()  # the last step, drawn as the spinner stops
    quiet = io.StringIO()
    monkeypatch.setattr(_common, "err", Console(file=quiet, force_terminal=False))
    with _progress.step_status() as step:
        step("read")
    assert quiet.getvalue() == ""
