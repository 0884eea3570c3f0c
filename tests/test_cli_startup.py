"""The CLI starts at once: importing it, or asking for help, loads none of the heavy libraries."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import disruption
from disruption.cli import cases
from disruption.engine import feed
from tests.scripts import ROOT, load_script

HEAVY = (
    "holidays",
    "polars",
    "matplotlib",
    "lifelines",
    "sqlalchemy",
    "pendulum",
    "structlog",
    "transitions",
    "yaml",
    "jsonschema",
    "cryptography",
    "fastapi",
    "starlette",
    "uvicorn",
    "jwt",
    "pydantic",
    "disruption.service",
    "disruption.engine.engine",
    "disruption.procedure.standard",
)
"""Libraries (and the engine) a command loads only when it uses them."""

_REPORT = (
    "import json, sys\n"
    "heavy = {heavy!r}\n"
    "print(json.dumps(sorted(m for m in sys.modules if m in heavy or m.startswith("
    "tuple(h + '.' for h in heavy)))))"
)


def _loaded(code: str) -> list[str]:
    """The heavy modules loaded in a fresh interpreter after ``code`` ran."""
    script = code + "\n" + _REPORT.format(heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_importing_the_cli_loads_no_heavy_library() -> None:
    assert _loaded("import disruption.cli") == []


def test_help_loads_no_heavy_library() -> None:
    code = (
        "import sys\nfrom disruption.cli import main\nsys.argv = ['disruption', '--help']\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code\n"
    )
    assert _loaded(code) == []


def test_running_commands_in_memory_loads_no_analysis_or_database_library() -> None:
    # `disruption run` without --db: the engine, but no polars, plots, SQL or holiday data.
    code = (
        "import io, sys\nfrom disruption.cli import main\n"
        "sys.argv = ['disruption', 'run', '-']\nsys.stdin = io.TextIOWrapper(io.BytesIO(b''))\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code\n"
    )
    loaded = {name.split(".")[0] for name in _loaded(code)}
    assert "disruption" in loaded  # the engine was imported: the check sees imports
    assert not loaded & {"holidays", "polars", "matplotlib", "lifelines", "sqlalchemy"}


def test_the_check_itself_sees_a_heavy_import() -> None:
    # The check can fail: a command that counts working days loads the bank-holiday data.
    code = (
        "import disruption.domain.calendar as c\n"
        "c.DEFAULT_CALENDAR.is_working_day(c.date(2026, 1, 2))"
    )
    assert "holidays" in _loaded(code)


def test_the_public_names_still_import_from_the_package() -> None:
    from disruption import STANDARD, Engine, MemoryStore

    assert Engine(MemoryStore()).procedure is STANDARD
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = disruption.nothing


def test_decide_stays_the_function_when_its_module_is_imported_first() -> None:
    # The package names are loaded on first use; importing the module disruption.core.decide
    # (as the engine does) must not replace the public function disruption.decide.
    code = (
        "import disruption.engine.engine, disruption, sys\n"
        "from disruption import decide\n"
        "assert callable(decide) and decide is disruption.decide, decide\n"
        "assert sys.modules['disruption.core.decide'].decide is decide"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_events_commands_default_source_is_the_feeds() -> None:
    assert cases.DEFAULT_SOURCE == feed.DEFAULT_SOURCE


@pytest.mark.slow  # benchmark smoke
def test_the_startup_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    bench = load_script(ROOT / "benchmarks" / "bench_cli_startup.py", "bench_cli_startup")
    numbers = bench.main(rounds=1)
    assert numbers["rounds"] == 1
    for side in bench.SIDES:
        assert numbers[f"{side}_s"] > 0
    assert numbers["cli_ratio"] > 0
    assert "import disruption.cli / import typer" in capsys.readouterr().out
