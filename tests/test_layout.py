"""The package's layout holds: layers one way, no cycles, no borrowed underscore names.

The layers and the cycles are import-linter's contracts in pyproject.toml (``lint-imports``,
run by .ci/run); the underscore names and the top level are checked here.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "disruption"

TOP_LEVEL = {"__init__.py", "__main__.py", "exceptions.py", "logs.py", "py.typed"}
PACKAGES = {
    "analysis",
    "cli",
    "core",
    "demo",
    "domain",
    "engine",
    "privacy",
    "procedure",
    "schemas",
    "service",
    "ssda903",
    "store",
}


def _is_module(name: str) -> bool:
    path = ROOT / "src" / Path(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def borrowed_private_names(source: str) -> list[str]:
    """The underscore names a module imports from another ``disruption`` module.

    A private module imported from its package (``from disruption.cli import _common``) is
    not one: import-linter's private-modules contract keeps those inside their package.

    >>> borrowed_private_names("from disruption.ssda903.read import _rows, read")
    ['disruption.ssda903.read._rows']
    >>> borrowed_private_names("from disruption.ssda903._rules import rules")
    []
    """
    return [
        f"{node.module}.{alias.name}"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("disruption")
        for alias in node.names
        if alias.name.startswith("_") and not _is_module(f"{node.module}.{alias.name}")
    ]


def test_the_check_sees_a_borrowed_name() -> None:
    assert borrowed_private_names("from disruption.x import _y") == ["disruption.x._y"]
    assert borrowed_private_names("from disruption.cli import _common") == []


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.relative_to(PACKAGE).as_posix()
)
def test_no_module_imports_another_modules_underscore_names(path: Path) -> None:
    assert borrowed_private_names(path.read_text(encoding="utf-8")) == []


def test_the_top_level_holds_only_the_entry_points_and_the_packages() -> None:
    entries = {p.name for p in PACKAGE.iterdir() if p.name != "__pycache__"}
    assert entries == TOP_LEVEL | PACKAGES


def test_the_import_contracts_are_kept() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        pytest.skip("import-linter is not installed (the test extra installs it)")
    done = subprocess.run(
        [lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
