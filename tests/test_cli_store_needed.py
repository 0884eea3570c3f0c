"""Commands on a store need one: ``--db`` or ``$DISRUPTION_DB``; only ``run`` works in memory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from disruption.cli import app
from disruption.cli._common import DB_ENV

runner = CliRunner()

NEEDS_A_STORE = {
    "case show": ["P-1"],
    "overdue": ["--on", "2025-12-31"],
    "events": [],
    "tick": ["--on", "2025-12-31"],
    "db upgrade": [],
    "verify": [],
    "access-log": [],
    "export-subject": ["C-1", "--out", "subject.json"],
    "erase": ["C-1"],
    "retention": ["--header", "header.csv"],
    "import-903": ["episodes.csv"],
    "export-903": ["--out", "episodes.csv"],
    "report": ["--out", "report"],
    "procedure migrate": ["--procedure", "north.yaml"],
    "serve": ["--dev-tokens"],
}
"""Every command that reads or writes a store, with the arguments it needs besides one."""

OPEN = {
    "case": "P-0001",
    "command": "open_case",
    "at": "2025-12-22T09:00:00+00:00",
    "actor": {"id": "sw-17", "role": "social_worker"},
    "data": {
        "child": "C-1",
        "placement": {
            "id": "PL-1",
            "type": "K2",
            "provider": "PR4",
            "start": "2025-06-02",
            "location": "in_borough",
        },
    },
}


def _commands(group: Any, words: tuple[str, ...] = ()) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            found |= _commands(command, (*words, name))
        else:
            found[" ".join((*words, name))] = command
    return found


@pytest.fixture(autouse=True)
def _no_store_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(DB_ENV, raising=False)
    monkeypatch.chdir(tmp_path)


def test_every_command_with_a_store_is_tested_here() -> None:
    commands = _commands(typer.main.get_command(app))
    with_db = {
        name for name, command in commands.items() if any("--db" in p.opts for p in command.params)
    }
    # run works in memory; stability reads files or a store; demo creates its own SQLite file
    assert with_db - {"run", "stability", "demo"} == set(NEEDS_A_STORE)


@pytest.mark.parametrize("command", sorted(NEEDS_A_STORE))
def test_a_command_on_a_store_exits_2_without_one(command: str, tmp_path: Path) -> None:
    result = runner.invoke(app, [*command.split(), *NEEDS_A_STORE[command]])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"error: {command} needs a store: give --db URL or set {DB_ENV} (only run works "
        "without one, in memory)\n"
    )
    assert list(tmp_path.iterdir()) == []  # nothing written, no store created


@pytest.mark.parametrize("command", sorted(NEEDS_A_STORE))
def test_an_empty_db_is_no_store(command: str, monkeypatch: pytest.MonkeyPatch) -> None:
    blank = runner.invoke(app, [*command.split(), *NEEDS_A_STORE[command], "--db", " "])
    monkeypatch.setenv(DB_ENV, "")
    unset = runner.invoke(app, [*command.split(), *NEEDS_A_STORE[command]])
    for result in (blank, unset):
        assert result.exit_code == 2
        assert "needs a store" in result.stderr
        assert result.stderr.count("\n") == 1


def test_the_environment_names_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DB_ENV, str(tmp_path / "cases.sqlite"))
    commands = tmp_path / "c.jsonl"
    commands.write_text(json.dumps(OPEN) + "\n", encoding="utf-8")
    ran = runner.invoke(app, ["run", str(commands), "--entered-at", "2025-12-22T10:00:00+00:00"])
    assert ran.exit_code == 0, ran.output
    assert ran.stderr == ""
    shown = runner.invoke(app, ["case", "show", "P-0001", "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["state"] == "placed"
    other = tmp_path / "other.sqlite"
    assert runner.invoke(app, ["db", "upgrade", "--db", str(other)]).exit_code == 0
    given = runner.invoke(app, ["events", "--db", str(other), "--json"])  # --db comes first
    assert (given.exit_code, given.stdout) == (0, "")


def test_run_without_a_store_says_so_on_stderr(tmp_path: Path) -> None:
    commands = tmp_path / "c.jsonl"
    commands.write_text(json.dumps(OPEN) + "\n", encoding="utf-8")
    result = runner.invoke(
        app, ["run", str(commands), "--json", "--entered-at", "2025-12-22T10:00:00+00:00"]
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout)["state"] == "placed"
    assert result.stderr == (
        f"run: no --db (nor {DB_ENV}): the commands run on a store in memory, thrown away at exit\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl"]


def test_stability_needs_files_or_a_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    neither = runner.invoke(app, ["stability", "--year-end", "2025-03-31"])
    assert neither.exit_code == 2
    assert neither.stderr == (
        f"error: stability needs SSDA903 files or a store: give FILES, --db URL or {DB_ENV}\n"
    )
    both = runner.invoke(
        app, ["stability", "x.csv", "--db", "c.sqlite", "--year-end", "2025-03-31"]
    )
    assert (both.exit_code, both.stderr) == (2, "error: give SSDA903 files or --db, not both\n")
    monkeypatch.setenv(DB_ENV, str(tmp_path / "c.sqlite"))
    files = runner.invoke(app, ["stability", "none.csv", "--year-end", "2025-03-31"])
    assert files.exit_code == 2
    assert "none.csv: cannot be read" in files.stderr  # the files, not the store named


@pytest.mark.parametrize("command", sorted(NEEDS_A_STORE))
@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("mysql://user:s3cret@db.example/cases", "mysql"),
        ("MySQL+mysqldb://db.example/cases", "mysql+mysqldb"),
        ("oracle://db.example", "oracle"),
        ("sqlite+aiosqlite:///c.sqlite", "sqlite+aiosqlite"),
    ],
)
def test_a_bad_database_url_is_answered_in_one_line(
    command: str, url: str, scheme: str, tmp_path: Path
) -> None:
    result = runner.invoke(app, [*command.split(), *NEEDS_A_STORE[command], "--db", url])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {scheme!r} is not a supported database: give a SQLite file path or a URL of "
        "scheme sqlite, postgresql\n"
    )
    assert "s3cret" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_check_url_refuses_before_sqlalchemy_reads_the_url() -> None:
    import sys

    from disruption.exceptions import StoreError, UnsupportedDatabase
    from disruption.store import check_url, open_store

    with pytest.raises(UnsupportedDatabase) as raised:
        open_store("mysql://user:s3cret@host/db")
    assert (raised.value.scheme, raised.value.supported) == ("mysql", ("sqlite", "postgresql"))
    assert isinstance(raised.value, StoreError)
    assert "MySQLdb" not in sys.modules
    long = "x" * 1000 + "://host"
    with pytest.raises(UnsupportedDatabase) as raised:
        check_url(long)
    assert len(str(raised.value)) < 200
    for fine in ("cases.sqlite", ":memory:", "sqlite:///c.sqlite", "postgres://h/db"):
        assert check_url(fine) == fine


@pytest.mark.parametrize("command", [["run", "-"], ["stability", "--year-end", "2025-03-31"]])
def test_run_and_stability_refuse_a_bad_url_too(command: list[str], tmp_path: Path) -> None:
    result = runner.invoke(app, [*command, "--db", "mysql://user:s3cret@host/db"], input="")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: 'mysql' is not a supported database: give a SQLite file path or a URL of "
        "scheme sqlite, postgresql\n"
    )
    assert list(tmp_path.iterdir()) == []
