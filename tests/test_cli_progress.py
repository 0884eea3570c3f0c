"""Long commands show progress on a terminal and one summary line on standard error.

Standard output is the same either way: what the command prints, JSON staying JSON.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from disruption.analysis.report import write_report
from disruption.cli import _common, app
from disruption.cli._progress import Work, took
from disruption.store import open_store
from tests.scripts import ROOT, load_script
from tests.test_cli_report import _store
from tests.test_ssda903_load import _returns

runner = CliRunner()
TOOK = r"in (\d+\.\d s|\d+ (minute|hour)s?( \d+ \w+)*)"


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """Standard error as a terminal (rich forced to one), its text kept."""
    shown = io.StringIO()
    console = Console(file=shown, force_terminal=True, width=100, color_system=None)
    monkeypatch.setattr(_common, "err", console)
    return shown


def _import(tmp_path: Path, name: str, *extra: str) -> Any:
    db = str(tmp_path / f"{name}.sqlite")
    result = runner.invoke(app, ["import-903", str(_returns(tmp_path / name)), "--db", db, *extra])
    assert result.exit_code == 0, result.output
    return result


def test_a_piped_import_prints_one_summary_line(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    result = _import(tmp_path, "a", "--json")
    assert json.loads(result.stdout)["added"] == 4  # standard output: the JSON alone
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert re.fullmatch(
        rf"imported 4 cases \(0 already in the store\) from 4 episodes {TOOK}", lines[0]
    )


def test_on_a_terminal_the_import_draws_its_steps_and_stdout_is_unchanged(
    tmp_path: Path, terminal: io.StringIO
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    piped = _import(tmp_path, "a").stdout
    drawn = _import(tmp_path, "b")
    assert drawn.stdout == piped
    assert drawn.stderr == ""  # all of it went to the terminal
    shown = terminal.getvalue()
    assert "Importing placements" in shown
    assert re.search(rf"imported 4 cases .* {TOOK}\n", shown)


def test_the_report_summarises_on_stderr(tmp_path: Path, terminal: io.StringIO) -> None:
    db = str(_store(tmp_path))
    args = ["report", "--db", db, "--from", "2025-04-01", "--to", "2026-03-31"]
    drawn = runner.invoke(app, [*args, "--out", str(tmp_path / "r1")])
    assert drawn.exit_code == 0, drawn.output
    assert "Writing tables and charts" in terminal.getvalue()
    assert re.search(
        rf"report: \d+ tables and \d+ charts from 1 placements {TOOK}", terminal.getvalue()
    )


def test_a_piped_report_prints_no_bar(tmp_path: Path) -> None:
    db = str(_store(tmp_path))
    args = ["report", "--db", db, "--from", "2025-04-01", "--to", "2026-03-31"]
    piped = runner.invoke(app, [*args, "--out", str(tmp_path / "r2")])
    assert piped.exit_code == 0, piped.output
    assert piped.stdout.startswith("Report on 1 placements, 2025-04-01 to 2026-03-31: ")
    assert re.fullmatch(
        rf"report: \d+ tables and \d+ charts from 1 placements {TOOK}\n", piped.stderr
    )


def test_a_failing_command_prints_its_error_and_no_summary(tmp_path: Path) -> None:
    missing = tmp_path / "none" / "episodes.csv"
    result = runner.invoke(app, ["import-903", str(missing), "--db", str(tmp_path / "x.sqlite")])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "imported" not in result.stderr


def test_the_report_tells_its_steps_as_they_are_done(tmp_path: Path) -> None:
    from datetime import date

    steps: list[tuple[str, int, int | None]] = []
    store = open_store(str(_store(tmp_path)))
    try:
        written = write_report(
            store,
            tmp_path / "r",
            start=date(2025, 4, 1),
            end=date(2026, 3, 31),
            progress=lambda what, done, total: steps.append((what, done, total)),
        )
    finally:
        store.close()
    assert steps[0] == ("Reading the store", 0, None)
    assert steps[1] == ("Rebuilding the cases", 1, 1)
    assert ("Computing the sections", 6, 6) in steps
    parts = len(written.tables) + len(written.charts) - 1  # survival.csv: beside its chart
    assert steps[-1] == ("Writing tables and charts", parts, parts)
    assert [s[1] for s in steps if s[0] == "Writing tables and charts"] == list(range(parts + 1))


class _Bar:
    """A stand-in for rich's Progress: counts what it is asked to draw."""

    def __init__(self) -> None:
        self.drawn: list[tuple[str, Any]] = []

    def add_task(self, what: str, total: int | None, completed: int) -> int:
        self.drawn.append(("add", (what, completed, total)))
        return len(self.drawn)

    def remove_task(self, task: int) -> None:
        self.drawn.append(("remove", task))

    def update(self, task: int, completed: int) -> None:
        self.drawn.append(("update", completed))


def test_work_redraws_at_most_ten_times_a_second_and_always_the_end() -> None:
    bar = _Bar()
    work = Work(bar)
    for done in range(100_001):  # fed far faster than ten times a second
        work.step("Running", done, 100_000)
    work.step("Writing", 0, None)
    updates = [d for kind, d in bar.drawn if kind == "update"]
    assert updates[-1] == 100_000  # the last unit is always shown
    assert len(updates) <= 3  # the loop takes well under a quarter of a second
    assert [d for kind, d in bar.drawn if kind == "add"] == [
        ("Running", 0, 100_000),
        ("Writing", 0, None),
    ]


def test_without_a_bar_work_draws_nothing() -> None:
    work = Work()
    work.step("Running", 1, 2)
    assert work.summary == ""


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (0.04, "0.0 s"),
        (59.94, "59.9 s"),
        (59.96, "1 minute"),
        (60, "1 minute"),
        (3725, "1 hour 2 minutes 5 seconds"),
    ],
)
def test_took_says_how_long_for_people(seconds: float, said: str) -> None:
    assert took(seconds) == said


@pytest.mark.slow
def test_the_progress_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    bench = load_script(ROOT / "benchmarks" / "bench_progress.py", "bench_progress")
    numbers = bench.main(rounds=1)
    assert numbers["cases"] > 1000
    assert numbers["ratio"] > 0
    assert numbers["step_us"] > 0
    assert "terminal / piped" in capsys.readouterr().out
