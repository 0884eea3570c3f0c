"""Fixtures shared by the test modules: a fresh PostgreSQL schema per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql as pgsql

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
