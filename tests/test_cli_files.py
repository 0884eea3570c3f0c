"""Files the commands write: 0600, and never over an existing file without --force."""

from __future__ import annotations

import json
import stat
from contextlib import AbstractContextManager
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from disruption.cli import app
from disruption.cli._files import new_file, new_folder
from disruption.engine.engine import Engine
from disruption.exceptions import OutputExists
from disruption.store import SqlStore
from tests.builders import T0, journey_to, make_engine, run
from tests.returns903 import Returns903, other_tools_returns

runner = CliRunner()


def _enter(manager: AbstractContextManager[Path]) -> None:
    with manager:
        pass


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "c.sqlite"
    with SqlStore(f"sqlite:///{path}") as store:
        engine = Engine(store, clock=make_engine(T0 + timedelta(days=2)).clock)
        run(engine, "P-1", journey_to("ended"))
    return str(path)


@pytest.fixture(scope="module")
def returns(tmp_path_factory: pytest.TempPathFactory) -> Returns903:
    return other_tools_returns(tmp_path_factory.mktemp("returns903"))


def _episodes(returns: Returns903) -> str:
    return str(returns.folders[0])


def _commands(returns: Returns903, db: str, target: Path) -> dict[str, list[str]]:
    return {
        "export-subject": ["export-subject", "C-1", "--db", db, "--out", str(target)],
        "export-903": ["export-903", "--db", db, "--out", str(target)],
        "validate-903": ["validate-903", _episodes(returns), "--csv", str(target)],
        "report": ["report", "--db", db, "--out", str(target), "--to", "2026-03-31"],
    }


WRITERS = ["export-subject", "export-903", "validate-903", "report"]


@pytest.mark.parametrize("command", WRITERS)
def test_a_command_writes_files_its_owner_only_can_read(
    command: str, db: str, tmp_path: Path, returns: Returns903
) -> None:
    target = tmp_path / "out"
    result = runner.invoke(app, _commands(returns, db, target)[command])
    assert result.exit_code == 0, result.output
    files = [p for p in target.rglob("*") if p.is_file()] if target.is_dir() else [target]
    assert files
    assert {_mode(p) for p in files} == {0o600}
    assert not list(tmp_path.glob(".out.*"))  # no part file left


@pytest.mark.parametrize("command", WRITERS)
def test_an_existing_file_is_not_overwritten_without_force(
    command: str, db: str, tmp_path: Path, returns: Returns903
) -> None:
    target = tmp_path / "out"
    if command == "report":
        target.mkdir()
        (target / "index.html").write_text("mine", encoding="utf-8")
        kept = target / "index.html"
    else:
        target.write_text("mine", encoding="utf-8")
        kept = target
    kept.chmod(0o644)
    args = _commands(returns, db, target)[command]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2
    assert refused.stderr == (
        f"error: {target} exists already: nothing was written (--force replaces it)\n"
    )
    assert kept.read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    forced = runner.invoke(app, [*args, "--force"])
    assert forced.exit_code == 0, forced.output
    assert kept.read_text(encoding="utf-8") != "mine"
    assert _mode(kept) == 0o600


def test_export_subject_writes_the_json(db: str, tmp_path: Path) -> None:
    out = tmp_path / "subject.json"
    result = runner.invoke(app, ["export-subject", "C-1", "--db", db, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["child"] == "C-1"


def test_demo_refuses_an_existing_store_or_folder(tmp_path: Path) -> None:
    store, out = tmp_path / "demo.sqlite", tmp_path / "out"
    store.write_bytes(b"mine")
    refused = runner.invoke(app, ["demo", "--db", str(store), "--out", str(out)])
    assert (refused.exit_code, store.read_bytes(), out.exists()) == (2, b"mine", False)
    assert f"{store} exists already" in refused.stderr
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    elsewhere = tmp_path / "other.sqlite"
    refused = runner.invoke(app, ["demo", "--db", str(elsewhere), "--out", str(out)])
    assert (refused.exit_code, elsewhere.exists()) == (2, False)
    assert f"{out} exists already" in refused.stderr


def test_new_file_writes_nothing_when_the_writer_fails(tmp_path: Path) -> None:
    target = tmp_path / "f.csv"

    def failing() -> None:
        with new_file(target, force=False) as part:
            part.write_text("half", encoding="utf-8")
            raise RuntimeError("the writer failed")

    with pytest.raises(RuntimeError):
        failing()
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(FileNotFoundError, match="no such folder"):
        _enter(new_file(tmp_path / "none" / "f.csv", force=False))


def test_new_file_does_not_replace_a_file_that_appears_meanwhile(tmp_path: Path) -> None:
    target = tmp_path / "f.csv"

    def racing() -> None:
        with new_file(target, force=False) as part:
            part.write_text("mine", encoding="utf-8")
            target.write_text("theirs", encoding="utf-8")

    with pytest.raises(OutputExists) as raised:
        racing()
    assert raised.value.file == str(target)
    assert target.read_text(encoding="utf-8") == "theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.csv"]


def test_new_folder_makes_what_is_written_private(tmp_path: Path) -> None:
    folder = tmp_path / "r"
    with new_folder(folder, force=False):
        folder.mkdir()
        (folder / "sub").mkdir()
        (folder / "sub" / "t.csv").write_text("x", encoding="utf-8")
    assert (_mode(folder), _mode(folder / "sub"), _mode(folder / "sub" / "t.csv")) == (
        0o700,
        0o700,
        0o600,
    )
    with pytest.raises(OutputExists):
        _enter(new_folder(folder, force=False))
    (tmp_path / "empty").mkdir()
    with new_folder(tmp_path / "empty", force=False):
        pass
