"""The store contract on SQLite and PostgreSQL, and what only a SQL store does.

PostgreSQL tests run when ``DISRUPTION_TEST_POSTGRES_URL`` names a server (for example
``postgresql://postgres@127.0.0.1:5432/test``); each test gets a schema of its own.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg import sql as pgsql
from sqlalchemy import Column, MetaData, Table, event

from disruption.calendar import DEFAULT_CALENDAR
from disruption.decide import decide
from disruption.exceptions import ConcurrencyError, SchemaError, StoreError
from disruption.fold import replay
from disruption.standard import STANDARD
from disruption.store import MemoryStore, SqlStore, open_store, schema
from disruption.store.base import CaseStore
from tests.store_contract import (
    T0,
    StoreContract,
    StoreFactory,
    journey,
    open_case,
    raise_concern,
    run,
)

POSTGRES_URL = os.environ.get("DISRUPTION_TEST_POSTGRES_URL")
NO_POSTGRES = "DISRUPTION_TEST_POSTGRES_URL is not set"
postgres = [pytest.mark.postgres, pytest.mark.skipif(not POSTGRES_URL, reason=NO_POSTGRES)]


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose connections work in a fresh schema of their own, dropped afterwards."""
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    name = f"test_{uuid.uuid4().hex}"
    with psycopg.connect(_libpq(POSTGRES_URL), autocommit=True) as conn:
        conn.execute(pgsql.SQL("CREATE SCHEMA {}").format(pgsql.Identifier(name)))
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{name}"
    with psycopg.connect(_libpq(POSTGRES_URL), autocommit=True) as conn:
        conn.execute(pgsql.SQL("DROP SCHEMA {} CASCADE").format(pgsql.Identifier(name)))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store location on each backend: a SQLite path, or a PostgreSQL URL."""
    if request.param == "sqlite":
        return str(tmp_path / "cases.db")
    url: str = request.getfixturevalue("postgres_url")
    return url


def execute(db_url: str, statement: str) -> None:
    """Run one statement on the database behind a store location, outside the store."""
    if "://" not in db_url:
        with closing(sqlite3.connect(db_url)) as conn, conn:
            conn.execute(statement)
        return
    with psycopg.connect(_libpq(db_url), autocommit=True) as pg:
        pg.execute(statement.encode())


class SqlContract(StoreContract):
    def break_text_writes(
        self, store: CaseStore, monkeypatch: pytest.MonkeyPatch
    ) -> type[Exception]:
        columns = (Column(c.name, c.type) for c in schema.personal_texts.columns)
        missing = Table("no_such_table", MetaData(), *columns)
        monkeypatch.setattr(schema, "personal_texts", missing)
        return StoreError


class TestSqliteStore(SqlContract):
    @pytest.fixture
    def make_store(self, tmp_path: Path) -> StoreFactory:
        return lambda: SqlStore(str(tmp_path / "cases.db"))


class TestSqliteInMemory(SqlContract):
    @pytest.fixture
    def make_store(self) -> StoreFactory:
        return lambda: SqlStore(":memory:")


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason=NO_POSTGRES)
class TestPostgresStore(SqlContract):
    @pytest.fixture
    def make_store(self, postgres_url: str) -> StoreFactory:
        return lambda: SqlStore(postgres_url)


def test_a_reopened_store_reads_the_same_events(db_url: str) -> None:
    with SqlStore(db_url) as store:
        appended = run(store, journey("P-1", T0))
        overdue = store.overdue(date(2026, 6, 1))
    with SqlStore(db_url, create=False) as again:
        assert tuple(again.events("P-1")) == appended
        assert list(again.case_ids()) == ["P-1"]
        assert again.overdue(date(2026, 6, 1)) == overdue
        assert again.text("P-1/5/child_views") is not None
    opened = open_store(db_url, must_exist=True)
    try:
        assert isinstance(opened, SqlStore)
        assert tuple(opened.events("P-1")) == appended
    finally:
        opened.close()


def test_open_store_without_a_database_keeps_cases_in_memory() -> None:
    assert isinstance(open_store(None), MemoryStore)


def test_a_store_written_by_a_newer_version_is_refused(db_url: str) -> None:
    SqlStore(db_url).close()
    execute(db_url, "UPDATE disruption_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(SchemaError, match="newer version of disruption"):
        SqlStore(db_url)


def test_a_database_of_something_else_is_refused(db_url: str) -> None:
    execute(db_url, "CREATE TABLE x (id INTEGER)")
    with pytest.raises(SchemaError, match="not a disruption store"):
        SqlStore(db_url)
    with pytest.raises(SchemaError, match="not a disruption store"):
        SqlStore(db_url, create=False)


def test_a_store_without_its_schema_version_is_refused(db_url: str) -> None:
    SqlStore(db_url).close()
    execute(db_url, "DELETE FROM disruption_meta")
    with pytest.raises(SchemaError, match="schema version"):
        SqlStore(db_url)


def test_an_empty_database_is_no_store_when_it_must_exist(db_url: str) -> None:
    if "://" not in db_url:
        Path(db_url).touch()
    with pytest.raises(StoreError, match="no store at"):
        open_store(db_url, must_exist=True)
    with SqlStore(db_url) as store:
        assert list(store.case_ids()) == []


def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are not the pages of a SQLite database\n" * 100)
    for create in (True, False):
        with pytest.raises(SchemaError, match="not a SQLite database") as raised:
            SqlStore(str(path), create=create)
        assert str(path) in str(raised.value)
    assert path.read_bytes().startswith(b"these are not")


def test_a_missing_file_that_must_exist_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"
    with pytest.raises(StoreError, match="no store at") as raised:
        open_store(str(path), must_exist=True)
    assert str(path) in str(raised.value)
    with pytest.raises(StoreError, match="no store at"):
        SqlStore(f"sqlite:///{path}", create=False)
    assert not path.exists()


def test_a_file_in_a_missing_folder_cannot_be_opened(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open the store"):
        SqlStore(str(tmp_path / "no" / "such" / "folder" / "cases.db"))


@pytest.mark.parametrize(
    "url",
    ["postgresql://postgres@127.0.0.1:1/test", "postgresql://postgres:s3cret-pw@127.0.0.1:1/test"],
)
def test_an_unreachable_server_is_a_store_error_without_the_password(url: str) -> None:
    with pytest.raises(StoreError) as raised:
        SqlStore(url)
    assert not isinstance(raised.value, SchemaError)
    message = str(raised.value)
    assert "127.0.0.1:1/test" in message
    assert "s3cret-pw" not in message
    assert "s3cret-pw" not in repr(raised.value)


def test_sqlite_connections_are_durable_and_patient(tmp_path: Path) -> None:
    with SqlStore(str(tmp_path / "cases.db")) as store, store._db.engine.connect() as conn:
        pragmas = [
            conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("synchronous", "foreign_keys", "busy_timeout", "journal_mode")
        ]
    assert pragmas == [2, 1, 10000, "delete"]


def test_sqlite_writes_begin_immediate_and_reads_do_not(tmp_path: Path) -> None:
    begins: list[str] = []
    with SqlStore(str(tmp_path / "cases.db")) as store:

        def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
            if statement.startswith("BEGIN"):
                begins.append(statement)

        event.listen(store._db.engine, "before_cursor_execute", seen)
        run(store, [open_case("P-1")])  # reads the case's events, then appends
        store.case_ids()
    assert begins == ["BEGIN", "BEGIN IMMEDIATE", "BEGIN"]


def test_the_stored_rows_are_plain_text(tmp_path: Path) -> None:
    path = tmp_path / "cases.db"
    with SqlStore(str(path)) as store:
        run(store, journey("P-1", T0)[:3])
    with closing(sqlite3.connect(path)) as conn:
        case = conn.execute("SELECT state, version, placement_start, updated_at FROM cases")
        assert case.fetchall() == [
            ("support_offered", 3, "2025-01-06", "2025-12-02T09:30:00+00:00")
        ]
        version = conn.execute("SELECT value FROM disruption_meta WHERE key='schema_version'")
        assert version.fetchall() == [("2",)]
        rows = conn.execute("SELECT name, status, due FROM deadlines ORDER BY deadline_id")
        assert rows.fetchall() == [
            ("screening", "met", "2025-12-03"),
            ("support_review", "open", "2025-12-21"),
        ]


def test_concurrent_writers_to_one_case_one_wins(db_url: str) -> None:
    with SqlStore(db_url) as store:
        run(store, [open_case("P-1")])
        before = replay(store.events("P-1"), STANDARD.records)
    writers = 6
    stores = [SqlStore(db_url, create=False) for _ in range(writers)]
    barrier = threading.Barrier(writers)
    outcomes: list[str] = []

    def write(store: SqlStore, n: int) -> None:
        cmd = raise_concern("P-1", T0 + timedelta(hours=1, minutes=n))
        decision = decide(STANDARD, before, cmd, calendar=DEFAULT_CALENDAR, recorded_at=cmd.at)
        barrier.wait()
        try:
            store.append(decision.case, decision.events, decision.texts, expected_version=1)
            outcomes.append("stored")
        except ConcurrencyError:
            outcomes.append("stale")

    threads = [threading.Thread(target=write, args=(s, n)) for n, s in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    assert sorted(outcomes) == ["stale"] * (writers - 1) + ["stored"]
    with SqlStore(db_url) as store:
        assert [e.seq for e in store.events("P-1")] == [1, 2]


def test_concurrent_writers_to_different_cases_all_succeed(db_url: str) -> None:
    SqlStore(db_url).close()
    writers = 6
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            with SqlStore(db_url, create=False) as store:
                run(store, journey(f"P-{n}", T0)[:4])
        except BaseException as err:  # collected for the assertion below
            errors.append(err)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with SqlStore(db_url) as store:
        assert list(store.case_ids()) == [f"P-{n}" for n in range(writers)]
        assert {len(store.events(c)) for c in store.case_ids()} == {4}
