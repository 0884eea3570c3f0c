"""What only a SQL store does, on SQLite and PostgreSQL (the contract of every store's
interfaces is tested in ``tests/contracts/``, on every backend).

PostgreSQL tests run when ``DISRUPTION_TEST_POSTGRES_URL`` names a server (for example
``postgresql://postgres@127.0.0.1:5432/test``); each test gets a schema of its own.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import event

from disruption.core.decide import decide
from disruption.core.fold import replay
from disruption.core.system import missed_events
from disruption.domain.calendar import DEFAULT_CALENDAR
from disruption.domain.clock import FixedClock
from disruption.domain.events import Event
from disruption.engine.engine import Engine
from disruption.engine.ports import OverdueDeadline
from disruption.exceptions import ConcurrencyError, SchemaError, StoreError
from disruption.procedure.standard import STANDARD
from disruption.store import MemoryStore, SqlStore, open_store
from disruption.store.sql import schema
from tests.conftest import NO_POSTGRES, POSTGRES_URL, libpq
from tests.store_contract import (
    SWEPT,
    T0,
    case_of,
    journey,
    new_cases,
    no_further_action,
    open_case,
    overdue_cases,
    raise_concern,
    run,
)


def execute(db_url: str, statement: str) -> None:
    """Run one statement on the database behind a store location, outside the store."""
    if "://" not in db_url:
        with closing(sqlite3.connect(db_url)) as conn, conn:
            conn.execute(statement)
        return
    with psycopg.connect(libpq(db_url), autocommit=True) as pg:
        pg.execute(statement.encode())


@pytest.mark.parametrize(
    "stale",
    [
        "NULL",  # a store upgraded from schema version 5
        "replace(snapshot, '\"format\":3', '\"format\":1')",  # an older snapshot format
        "replace(snapshot, '\"schema\":1', '\"schema\":0')",  # an older event schema
        "replace(snapshot, '[\"standard\",2]', '[\"standard\",1]')",  # another version
        "'{not json'",
    ],
)
def test_a_snapshot_not_trusted_is_rebuilt_from_the_events(db_url: str, stale: str) -> None:
    with SqlStore(db_url) as store:
        run(store, journey("P-1", T0)[:5])
        snapshot = store.snapshot("P-1")
        assert snapshot is not None
        assert snapshot.case == case_of(store, "P-1")
        assert snapshot.after == ()
    execute(db_url, f"UPDATE cases SET snapshot = {stale}")
    with SqlStore(db_url, create=False) as store:
        snapshot = store.snapshot("P-1")
        assert snapshot is not None
        assert snapshot.case is None
        assert snapshot.after == tuple(store.events("P-1"))
        assert Engine(store).load("P-1") == case_of(store, "P-1")
        run(store, journey("P-1", T0)[5:6])  # the next append writes a snapshot again
        snapshot = store.snapshot("P-1")
        assert snapshot is not None
        assert snapshot.case == case_of(store, "P-1")
        assert store.snapshot("P-2") is None


@pytest.mark.parametrize(
    "changed",
    [
        "replace(snapshot, '\"format\":3', '\"format\":1')",  # not to be trusted
        'replace(snapshot, \'"child":"C-1"\', \'"child":"C-9"\')',  # another case
    ],
)
def test_a_store_reuses_the_case_it_wrote_only_while_its_row_holds_that_snapshot(
    db_url: str, changed: str
) -> None:
    with SqlStore(db_url) as store:
        commands = journey("P-1", T0)[:3]
        run(store, commands[:2])
        written = Engine(store, clock=FixedClock(commands[2].at)).handle(commands[2]).case
        snapshot = store.snapshot("P-1")
        assert snapshot is not None
        assert snapshot.case is written  # the store's own last write, not read again
        execute(db_url, f"UPDATE cases SET snapshot = {changed}")  # another writer's text
        snapshot = store.snapshot("P-1")
        assert snapshot is not None
        assert snapshot.case is not written
        if "format" in changed:
            assert snapshot.case is None
        else:
            assert snapshot.case is not None
            assert snapshot.case.child == "C-9"


def test_a_store_keeps_a_bounded_number_of_cases_it_wrote(tmp_path: Path) -> None:
    with SqlStore(str(tmp_path / "cases.db"), snapshot_cache=2) as store:
        run(store, [open_case(f"P-{n}", child=f"C-{n}") for n in range(1, 4)])
        assert list(store._recent) == ["P-2", "P-3"]  # the oldest written dropped
        for n in range(1, 4):  # each still loads, read or kept
            snapshot = store.snapshot(f"P-{n}")
            assert snapshot is not None
            assert snapshot.case == case_of(store, f"P-{n}")


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
    assert pragmas == [2, 1, 10000, "wal"]  # write-ahead log since schema version 6


def _wal_pages(path: Path) -> list[int]:
    """The page numbers of the frames in a SQLite database's write-ahead log."""
    data = (path.parent / f"{path.name}-wal").read_bytes()
    size = int.from_bytes(data[8:12], "big")
    return [int.from_bytes(data[at : at + 4], "big") for at in range(32, len(data), 24 + size)]


def test_a_sqlite_command_on_a_case_leaves_the_index_of_children_untouched(
    tmp_path: Path,
) -> None:
    # The update sets only the columns that change; SQLite rewrites an index whose column an
    # UPDATE sets, changed or not, which was one more page in every command's commit.
    path = tmp_path / "cases.db"
    with SqlStore(str(path)) as store, closing(sqlite3.connect(path)) as side:
        run(store, [open_case("P-1")])
        side.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        run(store, [raise_concern("P-1", T0)])
        owners = dict(side.execute("SELECT pageno, name FROM dbstat").fetchall())
        written = {owners.get(page) for page in _wal_pages(path)}
        assert {"cases", "events"} <= written
        assert "cases_child" not in written
        assert list(store.case_ids_of(case_of(store, "P-1").child)) == ["P-1"]


def test_sqlite_writes_begin_immediate_and_reads_do_not(tmp_path: Path) -> None:
    begins: list[str] = []
    with SqlStore(str(tmp_path / "cases.db")) as store:

        def seen(statement: str) -> None:
            if statement.startswith("BEGIN"):
                begins.append(statement)

        def traced(dbapi_connection: sqlite3.Connection, *args: object) -> None:
            dbapi_connection.set_trace_callback(seen)

        # The driver's own trace: the write path sends its statements below SQLAlchemy.
        event.listen(store._db.engine, "checkout", traced)
        run(store, [open_case("P-1")])  # reads the case's snapshot (autocommit), then appends
        store.case_ids()
    assert begins == ["BEGIN IMMEDIATE", "BEGIN"]


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
        assert version.fetchall() == [(str(schema.SCHEMA_VERSION),)]
        assert conn.execute("SELECT id, last FROM positions").fetchall() == [(1, 3)]
        positions = conn.execute("SELECT position, seq FROM events ORDER BY position")
        assert positions.fetchall() == [(1, 1), (2, 2), (3, 3)]
        commands = conn.execute("SELECT * FROM commands")
        assert commands.fetchall() == [("P-1-concern", "P-1", 2, 2)]
        rows = conn.execute("SELECT name, status, due FROM deadlines ORDER BY deadline_id")
        # The table holds open deadlines only: the screening deadline was met.
        assert rows.fetchall() == [("support_review", "open", "2025-12-21")]


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
        stored = store.read_after(0)
        assert [s.position for s in stored] == list(range(1, 4 * writers + 1))
        for case in store.case_ids():
            assert [s.event.seq for s in stored if s.event.case == case] == [1, 2, 3, 4]


OVERDUE_ON = date(2025, 12, 10)


def _overdue(db_url: str, count: int) -> None:
    """Bulk-load ``count`` cases, each with a screening deadline overdue on OVERDUE_ON."""
    commands = []
    for n in range(count):
        case = f"P-{n:02}"
        commands += [open_case(case, child=f"C-{n}"), raise_concern(case, T0 + timedelta(hours=1))]
    with SqlStore(db_url) as store:
        assert store.bulk_append(new_cases(commands)[0], batch_size=7) == count


def _in_threads(count: int, work: Callable[[int], None]) -> list[BaseException]:
    """Run ``work(n)`` in ``count`` threads started together; return what they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def target(n: int) -> None:
        barrier.wait()
        try:
            work(n)
        except BaseException as err:  # collected for the caller's assertion
            errors.append(err)

    threads = [threading.Thread(target=target, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _check_recorded_once(store: SqlStore) -> list[Event]:
    """Every deadline recorded missed at most once; positions gap-free; read model = replay."""
    stored = store.read_after(0, limit=10_000)
    assert [s.position for s in stored] == list(range(1, len(stored) + 1))
    missed = [s.event for s in stored if s.event.type == "DeadlineMissed"]
    keys = [(e.case, e.data["id"]) for e in missed]
    assert len(keys) == len(set(keys))
    later = date(2027, 1, 1)
    replayed = [
        OverdueDeadline(c, case.state, d)
        for c in store.case_ids()
        for case in [case_of(store, c)]
        for d in case.overdue(later)
    ]
    assert list(store.overdue(later)) == sorted(
        replayed, key=lambda o: (o.deadline.due, o.case, o.deadline.id)
    )
    return missed


def test_concurrent_sweepers_record_each_missed_deadline_once(db_url: str) -> None:
    _overdue(db_url, 30)
    recorded: list[Event] = []

    def sweep(n: int) -> None:
        with SqlStore(db_url, create=False) as store:
            while found := store.record_missed(
                OVERDUE_ON, build=missed_events, recorded_at=SWEPT, limit=4
            ):
                recorded.extend(found)

    assert _in_threads(3, sweep) == []
    assert len(recorded) == 30
    with SqlStore(db_url) as store:
        assert list(store.record_missed(OVERDUE_ON, build=missed_events, recorded_at=SWEPT)) == []
        missed = _check_recorded_once(store)
        assert sorted(e.case for e in missed) == [f"P-{n:02}" for n in range(30)]
        assert sorted(missed, key=lambda e: e.case) == sorted(recorded, key=lambda e: e.case)


def test_sweepers_and_writers_at_once_neither_deadlock_nor_record_twice(db_url: str) -> None:
    _overdue(db_url, 20)
    outcomes: list[str] = []

    def work(n: int) -> None:
        with SqlStore(db_url, create=False) as store:
            if n < 2:
                while store.record_missed(
                    OVERDUE_ON, build=missed_events, recorded_at=SWEPT, limit=3
                ):
                    outcomes.append("swept")
                return
            for k in range(n - 2, 20, 2):
                try:
                    run(store, [no_further_action(f"P-{k:02}", T0 + timedelta(days=2))])
                    outcomes.append("cleared")
                except ConcurrencyError:  # the engine's retries ran out: a fair outcome
                    outcomes.append("stale")

    assert _in_threads(4, work) == []
    assert outcomes.count("cleared") == 20  # a writer that met a sweep decided again
    with SqlStore(db_url) as store:
        _check_recorded_once(store)
        decided = [s.event for s in store.read_after(0) if s.event.command == "no_further_action"]
        assert sorted(e.case for e in decided) == [f"P-{n:02}" for n in range(20)]
        assert store.overdue(OVERDUE_ON) == []


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason=NO_POSTGRES)
@pytest.mark.parametrize("held", ["cases", "deadlines"])
def test_a_sweep_skips_rows_another_transaction_holds(postgres_url: str, held: str) -> None:
    with SqlStore(postgres_url) as store:
        overdue_cases(store)
    with psycopg.connect(libpq(postgres_url)) as other:
        column = "id" if held == "cases" else "case_id"
        other.execute(f"SELECT 1 FROM {held} WHERE {column} = 'P-1' FOR UPDATE".encode())
        with SqlStore(postgres_url) as store:
            found = store.record_missed(date(2025, 12, 6), build=missed_events, recorded_at=SWEPT)
            assert [e.case for e in found] == ["P-2"]
        other.rollback()
    with SqlStore(postgres_url) as store:
        found = store.record_missed(date(2025, 12, 6), build=missed_events, recorded_at=SWEPT)
        assert [e.case for e in found] == ["P-1"]


def _commands_connection(store: SqlStore) -> psycopg.Connection[Any]:
    """The psycopg connection a PostgreSQL store keeps for its commands' reads and appends."""
    kept = store._db._kept
    assert kept is not None
    conn: psycopg.Connection[Any] = kept.driver_connection
    return conn


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason=NO_POSTGRES)
def test_postgres_keeps_the_fixed_statements_prepared_and_survives_losing_them(
    postgres_url: str,
) -> None:
    with SqlStore(postgres_url, trust_cache=False) as store:  # every command reads
        run(store, journey("P-1", T0)[:2])
        conn = _commands_connection(store)  # the statements prepared on it
        found = conn.execute(
            "SELECT statement FROM pg_prepared_statements WHERE starts_with(name, 'disruption_')"
        ).fetchall()
        assert len(found) >= 3
        # The command's read (its id and its case's snapshot) is prepared as the writes are.
        assert any("FROM commands WHERE id = $1), c.version" in s for (s,) in found)
        conn.execute("DEALLOCATE ALL")  # as a pooler's DISCARD ALL would
        conn.commit()
        # The command's first read meets the gap: run in full, and nothing prepared from then on.
        run(store, journey("P-1", T0)[2:3])
        run(store, journey("P-1", T0)[3:4])
        assert [e.seq for e in store.events("P-1")] == [1, 2, 3, 4]
        assert store.verify().ok


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason=NO_POSTGRES)
def test_postgres_write_meeting_lost_statements_fails_once_then_sends_them_in_full(
    postgres_url: str,
) -> None:
    with SqlStore(postgres_url) as store:
        run(store, journey("P-1", T0)[:2])
        prepared = store._db._kept.info["disruption_prepared"]
        writes = [n for sql, n in prepared.items() if sql and not sql.startswith("SELECT")]
        assert writes
        driver = _commands_connection(store)
        for name in writes:  # the write's statements only: the read still finds its own
            driver.execute(f"DEALLOCATE {name}")
        driver.commit()
        with pytest.raises(StoreError, match="does not exist"):
            run(store, journey("P-1", T0)[2:3])
        run(store, journey("P-1", T0)[2:3])  # sent in full from then on
        assert [e.seq for e in store.events("P-1")] == [1, 2, 3]
        assert store.verify().ok


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason=NO_POSTGRES)
def test_reads_and_rollbacks_on_a_connection_keep_its_prepared_statements(
    postgres_url: str,
) -> None:
    # psycopg deallocates every prepared statement of a connection (the store's too) when it
    # rolls back a transaction after preparing statements of its own (SQLAlchemy 2.0's reads
    # and pool resets did): the store's connections do not let psycopg prepare any.
    with SqlStore(postgres_url) as store:
        run(store, journey("P-1", T0)[:2])
        psycopg_conn = _commands_connection(store)
        for _ in range(8):  # more than psycopg's default threshold (5) for preparing
            psycopg_conn.execute("SELECT id FROM cases WHERE id = %s", ("P-1",))
        psycopg_conn.rollback()
        run(store, journey("P-1", T0)[2:3])  # the store's statements are still prepared
        assert [e.seq for e in store.events("P-1")] == [1, 2, 3]


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason=NO_POSTGRES)
def test_prepare_threshold_none_in_the_url_prepares_nothing(postgres_url: str) -> None:
    joiner = "&" if "?" in postgres_url else "?"
    with SqlStore(f"{postgres_url}{joiner}prepare_threshold=none") as store:
        run(store, journey("P-1", T0)[:3])
        with store._db.engine.connect() as conn:
            named = conn.exec_driver_sql(
                "SELECT count(*) FROM pg_prepared_statements WHERE starts_with(name, 'disruption_')"
            ).scalar_one()
        assert named == 0
        assert [e.seq for e in store.events("P-1")] == [1, 2, 3]
    with pytest.raises(StoreError, match="prepare_threshold"):
        SqlStore(f"{postgres_url}{joiner}prepare_threshold=soon")


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason=NO_POSTGRES)
def test_a_connection_lost_mid_command_fails_that_command_only(postgres_url: str) -> None:
    with SqlStore(postgres_url) as store:
        run(store, journey("P-1", T0)[:1])
        pid = _commands_connection(store).info.backend_pid  # to be lent to the next command
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(StoreError):
            run(store, journey("P-1", T0)[1:2])
        run(store, journey("P-1", T0)[1:2])  # on a fresh connection
        assert [e.seq for e in store.events("P-1")] == [1, 2]
        assert store.verify().ok


def test_two_stores_taking_turns_keep_the_positions_and_the_chain(db_url: str) -> None:
    # On PostgreSQL each store appends in one round trip from where its own last append left
    # the counter; after the other store's append that guess is wrong, and the append is
    # made again in two round trips: nothing lost, nothing doubled, the chain unbroken.
    first, second = SqlStore(db_url), SqlStore(db_url)
    try:
        for n in range(3):
            for store, case in ((first, f"A-{n}"), (second, f"B-{n}")):
                run(store, journey(case, T0)[:3])
        run(first, journey("A-0", T0)[3:4])
        run(first, journey("A-0", T0)[4:5])  # from its own head
        stored = first.read_after(0)
        assert [s.position for s in stored] == list(range(1, len(stored) + 1))
        assert len(stored) > 6 * 3
        assert [e.seq for e in first.events("A-0")] == [1, 2, 3, 4, 5]
        assert first.verify().ok
        if first._db.postgres:
            with first._db.engine.connect() as conn:
                last = conn.exec_driver_sql("SELECT hash FROM events ORDER BY position DESC")
                assert first._db.head == (len(stored), last.scalars().first())
    finally:
        first.close()
        second.close()


def test_a_stale_append_after_another_store_moved_the_counter_writes_nothing(
    db_url: str,
) -> None:
    with SqlStore(db_url) as store, SqlStore(db_url) as other:
        run(store, [open_case("P-1")])
        before = replay(store.events("P-1"), STANDARD.records)
        assert before is not None
        run(other, [raise_concern("P-1", T0 + timedelta(hours=1))])  # P-1 at version 2
        cmd = raise_concern("P-1", T0 + timedelta(hours=2))
        decision = decide(STANDARD, before, cmd, calendar=DEFAULT_CALENDAR, recorded_at=cmd.at)
        with pytest.raises(ConcurrencyError) as refused:
            store.append(decision.case, decision.events, decision.texts, expected_version=1)
        assert (refused.value.expected, refused.value.actual) == (1, 2)
        assert [s.position for s in store.read_after(0)] == [1, 2]
        run(store, [open_case("P-2")])  # the counter where the other store left it
        assert [s.position for s in store.read_after(0)] == [1, 2, 3]
        assert store.verify().ok


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason=NO_POSTGRES)
def test_commands_in_threads_take_the_kept_connection_or_the_pools(postgres_url: str) -> None:
    with SqlStore(postgres_url) as store:
        run(store, [open_case(f"P-{n}", child=f"C-{n}") for n in range(8)])
        kept = store._db._kept
        assert kept is not None

        def work(n: int) -> None:
            run(store, [raise_concern(f"P-{n}", T0)])
            for _ in range(3):
                assert store.snapshot(f"P-{n}") is not None

        assert _in_threads(8, work) == []
        assert store._db._kept is kept  # still kept, still valid
        for n in range(8):
            assert [e.seq for e in store.events(f"P-{n}")] == [1, 2]
        assert store.verify().ok
