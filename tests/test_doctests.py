"""Everything documented runs: module docstrings, README.md and docs/*.md are doctests."""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil
import re
from pathlib import Path
from typing import Any

import pytest
import structlog

import disruption

ROOT = Path(__file__).resolve().parents[1]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(disruption.__path__, "disruption.")
    if m.name not in {"disruption.__main__"}
)
DOCUMENTS = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
"""README.md and every page of the documentation site (docs/, API reference pages included)."""


@pytest.mark.parametrize("name", MODULES)
def test_module_docstrings(name: str) -> None:
    module = importlib.import_module(name)
    with structlog.testing.capture_logs():
        result = doctest.testmod(module, optionflags=FLAGS)
    assert result.failed == 0


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_documents(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    with structlog.testing.capture_logs():
        result = doctest.testfile(str(path), module_relative=False, optionflags=FLAGS)
    assert result.failed == 0


def test_the_documented_modules_have_examples() -> None:
    finder = doctest.DocTestFinder()
    with_examples = {
        name
        for name in MODULES
        if any(t.examples for t in finder.find(importlib.import_module(name)))
    }
    assert {
        "disruption.engine.engine",
        "disruption.domain.commands",
        "disruption.domain.calendar",
    } <= with_examples


def test_the_documented_diagram_is_the_one_drawn() -> None:
    from disruption import STANDARD

    page = (ROOT / "docs" / "procedure.md").read_text(encoding="utf-8")
    block = page.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert block.strip() == STANDARD.diagram().strip()


def test_the_site_shows_every_doctested_page() -> None:
    """mkdocs.yml's nav lists every page under docs/, so every example on the site runs here."""
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = config.split("\nnav:\n", 1)[1].split("\n\n", 1)[0]
    pages = set(re.findall(r":\s+(\S+\.md)$", nav, flags=re.MULTILINE))
    documents = {
        p.relative_to(ROOT / "docs").as_posix() for p in DOCUMENTS if p.name != "README.md"
    }
    assert pages == documents
    assert {"index.md", "reference/disruption.md"} <= pages


def test_the_site_shows_sphinx_roles_as_code() -> None:
    """The site's hook (docs/_hooks/roles.py) passes its own examples."""
    path = ROOT / "docs" / "_hooks" / "roles.py"
    spec = importlib.util.spec_from_file_location("roles", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert doctest.testmod(module).failed == 0
    assert module.strip_roles(":meth:<code>Engine.handle</code>") == "<code>Engine.handle</code>"


def test_no_example_on_the_site_is_skipped() -> None:
    """Pages and the modules the API reference renders run every example they show."""
    names = {
        name
        for page in (ROOT / "docs" / "reference").glob("*.md")
        for name in re.findall(r"^::: ([\w.]+)$", page.read_text(encoding="utf-8"), re.MULTILINE)
    }
    sources = [
        *DOCUMENTS,
        *(Path(m.__file__) for n in names if (m := _module(n)).__file__ is not None),
    ]
    assert names >= {"disruption", "disruption.store", "disruption.logs"}
    skipped = [str(p) for p in sources if "doctest: +SKIP" in p.read_text(encoding="utf-8")]
    assert skipped == []


def _module(name: str) -> Any:
    """The module ``name``, or the module defining the object ``name`` names."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError:
        return importlib.import_module(name.rsplit(".", 1)[0])
