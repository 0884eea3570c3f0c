"""Every backend of the store, for the contract tests of its six interfaces.

Each test module here checks one interface of :mod:`disruption.engine.ports` (its contract
is that interface's docstring) and takes the ``store`` fixture, which runs it on every
backend: the memory store, SQLite in a file, SQLite in memory and PostgreSQL (skipped, with
the reason in the summary, when ``DISRUPTION_TEST_POSTGRES_URL`` is not set; each test gets a
schema of its own). ``backend`` says which, and reaches what only a backend can show: the
rows behind the vault, the audit chain, a write made to fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from disruption.engine.ports import CaseStore
from disruption.store import MemoryStore, SqlStore
from tests.contracts.backends import BACKENDS, Backend


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """Each backend in turn."""
    name: str = request.param
    if name == "memory":
        return Backend(name, MemoryStore)
    if name == "sqlite-file":
        return Backend(name, lambda: SqlStore(str(tmp_path / "cases.db")))
    if name == "sqlite-memory":
        return Backend(name, lambda: SqlStore(":memory:"))
    url: str = request.getfixturevalue("postgres_url")
    return Backend(name, lambda: SqlStore(url))


@pytest.fixture
def store(backend: Backend) -> Iterator[CaseStore]:
    """A fresh, empty store on each backend, closed afterwards."""
    opened = backend.open()
    yield opened
    opened.close()
