"""Fixtures shared by the test modules: a fresh PostgreSQL schema per test, messy returns."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import structlog
from hypothesis import settings
from psycopg import sql as pgsql

from tests.returns903 import Returns903, other_tools_returns, shared_returns

settings.register_profile("disruption", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "disruption"))
"""Hypothesis without its per-example deadline: the tests run two workers on a shared 2-core
machine, where an example's time says nothing about what is tested (speed is measured by
benchmarks/). Another profile by ``HYPOTHESIS_PROFILE``."""

POSTGRES_URL = os.environ.get("DISRUPTION_TEST_POSTGRES_URL")
"""The PostgreSQL server the tests use; ``.ci/run`` sets it, users may."""

NO_POSTGRES = "DISRUPTION_TEST_POSTGRES_URL is not set"

postgres = [pytest.mark.postgres, pytest.mark.skipif(not POSTGRES_URL, reason=NO_POSTGRES)]
"""Marks for a test (or a parameter) that needs the PostgreSQL server."""


def libpq(url: str) -> str:
    """Return a URL as psycopg takes it (without SQLAlchemy's driver suffix)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose connections work in a fresh schema of their own, dropped afterwards."""
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    name = f"test_{uuid.uuid4().hex}"
    with psycopg.connect(libpq(POSTGRES_URL), autocommit=True) as conn:
        conn.execute(pgsql.SQL("CREATE SCHEMA {}").format(pgsql.Identifier(name)))
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{name}"
    with psycopg.connect(libpq(POSTGRES_URL), autocommit=True) as conn:
        conn.execute(pgsql.SQL("DROP SCHEMA {} CASCADE").format(pgsql.Identifier(name)))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store location on each backend: a SQLite path, or a PostgreSQL URL."""
    if request.param == "sqlite":
        return str(tmp_path / "cases.db")
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture(scope="session", params=["in-repo", "shared"])
def returns903(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Returns903:
    """Two returns another tool wrote: the repository's own, then the shared ones if present."""
    if request.param == "shared":
        shared = shared_returns()
        if shared is None:
            pytest.skip("optional extra data: shared/data/ssda903-synth is not beside the repo")
        return shared
    folder: Path = tmp_path_factory.mktemp("returns903")
    return other_tools_returns(folder)


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say in the summary how many PostgreSQL tests were skipped, and how to run them."""
    skipped = [
        r
        for r in terminalreporter.stats.get("skipped", [])
        if NO_POSTGRES in str(getattr(r, "longrepr", ""))
    ]
    if skipped:
        terminalreporter.write_line(
            f"{len(skipped)} PostgreSQL tests skipped: {NO_POSTGRES}; to run them, set it to a "
            "server's URL, e.g. "
            "DISRUPTION_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test "
            "(see the README)",
            yellow=True,
        )


@pytest.fixture(autouse=True)
def _keys_warning_given() -> Iterator[None]:
    """The CLI's one warning about keys kept in the case store, as if given already.

    It goes to stderr, which click's runner mixes into the output other tests parse;
    tests/test_key_store.py checks it.
    """
    from disruption.cli import _common

    _common._warned[:] = [True]
    yield
    _common._warned[:] = [True]


@pytest.fixture(autouse=True)
def _structlog_as_the_library_finds_it() -> Iterator[None]:
    """Every test starts and ends with structlog unconfigured, as a host that set up nothing.

    A test that configures logging (the CLI does, through ``logs.configure``) would otherwise
    leave its level and stream to the tests after it on the same worker.
    """
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()
