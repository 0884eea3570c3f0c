"""What is public is listed; every other module says it is internal, and nothing public uses one.

The public modules are :data:`PUBLIC_MODULES` (``docs/api.md``): the top-level package and
the packages whose names it documents. Every other module is internal, and says so: its
docstring, or its package's, has a paragraph that starts ``Internal:`` (PEP 8: an interface
inside an internal namespace is internal), unless an underscore in its name says it already.
The API reference documents the public modules only, and the examples (what an integrator
copies) import nothing else.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

from tests.scripts import ROOT

PUBLIC_MODULES = frozenset(
    {
        "disruption",
        "disruption.analysis",
        "disruption.exceptions",
        "disruption.logs",
        "disruption.service",
        "disruption.ssda903",
        "disruption.store",
    }
)
"""The public API (``docs/api.md``): these modules and the names in their ``__all__``."""

INTERNAL_IMPORTS_ALLOWED = {
    ("analyse_returns.py", "disruption.demo.returns"): "its data: the demo's synthetic returns",
}
"""Where an example imports an internal module, and why (an integrator brings real data)."""

SRC = ROOT / "src"


def module_name(path: Path) -> str:
    """The dotted name of a module file under ``src``."""
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_file(name: str) -> Path:
    """The file of a module or package, by dotted name."""
    path = SRC / Path(*name.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def says_internal(source: str) -> bool:
    """Whether a module's docstring has a paragraph starting ``Internal:``."""
    docstring = ast.get_docstring(ast.parse(source)) or ""
    return any(p.startswith("Internal:") for p in docstring.split("\n\n"))


def unmarked(names: list[str], read: dict[str, str]) -> list[str]:
    """The modules that are neither public nor marked internal (by themselves or a package).

    Args:
        names: Dotted module names.
        read: Each module's source, by name (packages included).
    """
    missing = []
    for name in names:
        if name in PUBLIC_MODULES or any(part.startswith("_") for part in name.split(".")[1:]):
            continue
        parts = name.split(".")
        enclosing = [".".join(parts[:i]) for i in range(len(parts), 0, -1)]
        if not any(n not in PUBLIC_MODULES and says_internal(read.get(n, "")) for n in enclosing):
            missing.append(name)
    return missing


MODULES = {
    module_name(path): path.read_text(encoding="utf-8")
    for path in sorted((SRC / "disruption").rglob("*.py"))
}


def test_every_module_not_public_says_it_is_internal() -> None:
    assert unmarked(sorted(MODULES), MODULES) == []


def test_the_check_reads_the_marks() -> None:
    assert says_internal('"""A module.\n\nInternal: may change without notice.\n"""')
    assert not says_internal('"""A module that is internal: not said as a paragraph."""')
    sources = {"p": '"""P.\n\nInternal: no."""', "q": '"""Q."""', "q.c": '"""C."""'}
    assert unmarked(["p", "p.a", "p._b", "q", "q.c"], sources) == ["q", "q.c"]


def test_the_check_sees_an_unmarked_module() -> None:
    spoilt = {**MODULES, "disruption.core": '"""The core."""'}
    assert "disruption.core.decide" in unmarked(sorted(spoilt), spoilt)


@pytest.mark.parametrize("name", sorted(PUBLIC_MODULES))
def test_a_public_module_is_not_marked_and_exports_what_it_lists(name: str) -> None:
    assert not says_internal(module_file(name).read_text(encoding="utf-8"))
    module = importlib.import_module(name)
    exported = module.__all__
    assert exported, name
    assert len(set(exported)) == len(exported), name
    for attribute in exported:
        assert getattr(module, attribute) is not None, f"{name}.{attribute}"


def _reference_pages() -> dict[str, str]:
    """The API reference in mkdocs.yml's nav: each title and its page."""
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8").split("- API reference:")[1]
    return dict(re.findall(r"^\s+- ([\w.]+): (reference/\S+\.md)$", nav, re.MULTILINE))


def test_the_api_reference_lists_the_public_modules_only() -> None:
    pages = _reference_pages()
    assert set(pages) == PUBLIC_MODULES
    documented = sorted(ROOT.joinpath("docs", "reference").glob("*.md"))
    assert {f"reference/{p.name}" for p in documented} == set(pages.values())


def test_the_api_reference_shows_public_names_only() -> None:
    for page in sorted(ROOT.joinpath("docs", "reference").glob("*.md")):
        for target in re.findall(r"^::: (\S+)$", page.read_text("utf-8"), re.MULTILINE):
            if target in PUBLIC_MODULES:
                continue
            # Otherwise a name a public module exports, written where it is defined.
            attribute = target.rsplit(".", 1)[1]
            exporters = [
                m for m in PUBLIC_MODULES if attribute in importlib.import_module(m).__all__
            ]
            assert exporters, f"{page.name}: {target} is not exported by a public module"


def public_imports_only(path: Path) -> list[str]:
    """The internal modules a script imports (``from X import`` and ``import X``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found += [
            n
            for n in names
            if n.split(".")[0] == "disruption"
            and n not in PUBLIC_MODULES
            and (path.name, n) not in INTERNAL_IMPORTS_ALLOWED
        ]
    return found


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.py")), ids=lambda p: p.name)
def test_the_examples_import_public_modules_only(path: Path) -> None:
    assert public_imports_only(path) == []
