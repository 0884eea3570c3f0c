"""Schema and event versions: old stores are upgraded, old events upcast, newer ones refused.

``tests/fixtures/store-v1.sqlite`` was written by schema version 1 (see the fixtures'
README); the other version-1 stores here are written with the version-1 tables kept in
:data:`disruption.store.sql.migrations.V1_METADATA`, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa

from disruption.core.system import missed_events
from disruption.domain import events as events_module
from disruption.domain.commands import Command
from disruption.domain.events import Event, event_from_record
from disruption.engine.engine import Engine
from disruption.engine.ports import StoredEvent
from disruption.exceptions import SchemaError
from disruption.store import MemoryStore, SqlStore, open_store
from disruption.store.sql import migrations, rows, schema, upcast
from disruption.store.sql.event_rows import event_rows as event_rows_of
from disruption.store.sql.schema import SCHEMA_VERSION
from disruption.store.sql.store import upgrade_store
from tests.store_contract import (
    T0,
    case_of,
    command,
    journey,
    no_further_action,
    open_case,
    raise_concern,
    run,
)
from tests.test_store_sql import execute

FIXTURES = Path(__file__).parent / "fixtures"
OLDER = (
    rf"schema version 1 is older than this library's {SCHEMA_VERSION}: "
    "run `disruption db upgrade --db "
)


@pytest.fixture
def v1_file(tmp_path: Path) -> Path:
    """A copy of the store written by schema version 1."""
    path = tmp_path / "store-v1.sqlite"
    shutil.copyfile(FIXTURES / "store-v1.sqlite", path)
    return path


def _engine(db_url: str) -> sa.Engine:
    if "://" not in db_url:
        return sa.create_engine(f"sqlite:///{db_url}")
    return sa.create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))


def _shape(db_url: str) -> dict[str, Any]:
    """The tables of a database: columns, keys, indexes and constraints."""
    engine = _engine(db_url)
    try:
        with engine.connect() as conn:
            found = sa.inspect(conn)
            return {
                table: (
                    [
                        (c["name"], c["type"].compile(conn.dialect), c["nullable"], c["default"])
                        for c in found.get_columns(table)
                    ],
                    found.get_pk_constraint(table)["constrained_columns"],
                    sorted(
                        (i["name"], i["column_names"], i["unique"])
                        for i in found.get_indexes(table)
                    ),
                    sorted(u["column_names"] for u in found.get_unique_constraints(table)),
                    sorted(
                        (f["constrained_columns"], f["referred_table"])
                        for f in found.get_foreign_keys(table)
                    ),
                    sorted(c["sqltext"] for c in found.get_check_constraints(table)),
                )
                for table in sorted(found.get_table_names())
                if table != "sqlite_sequence"
            }
    finally:
        engine.dispose()


GAPPED = (3, 4, 8, 9, 10, 15, 16, 22, 23, 30)
"""The positions of the version-1 events written below: PostgreSQL's sequence leaves gaps."""


def _write_v1(db_url: str) -> tuple[Event, ...]:
    """Write a version-1 store with gaps in its positions and commands with ids."""
    scratch = MemoryStore()
    appended = run(
        scratch,
        [
            open_case("P-1", command_id="open-1"),
            open_case("P-2", child="C-2"),
            raise_concern("P-1", T0 + timedelta(hours=1), command_id="concern-1"),
            *journey("P-3", T0)[:5],
            no_further_action("P-1", T0 + timedelta(hours=2), "reasons", command_id="nfa-1"),
            raise_concern("P-2", T0 + timedelta(hours=3)),
        ],
    )
    event_rows = event_rows_of(appended, 1)
    for row, position in zip(event_rows, GAPPED, strict=True):
        row["position"] = position
    tables = migrations.V1_METADATA.tables
    engine = _engine(db_url)
    try:
        with engine.begin() as conn:
            migrations.V1_METADATA.create_all(conn)
            conn.execute(
                sa.insert(tables["disruption_meta"]), [{"key": "schema_version", "value": "1"}]
            )
            cases = [case_of(scratch, c) for c in scratch.case_ids()]
            conn.execute(sa.insert(tables["cases"]), [rows.case_row(c) for c in cases])
            conn.execute(sa.insert(tables["events"]), event_rows)
            deadlines = [r for c in cases for r in rows.deadline_rows(c)]
            conn.execute(sa.insert(tables["deadlines"]), deadlines)
            text = {"ref": "P-1/4/reason", "child": "C-1", "case_id": "P-1", "field": "reason"}
            conn.execute(sa.insert(tables["personal_texts"]), [{**text, "text": "reasons"}])
    finally:
        engine.dispose()
    return appended


def test_the_v1_fixture_is_refused_until_upgraded(v1_file: Path) -> None:
    written = v1_file.read_bytes()
    for create in (True, False):
        with pytest.raises(SchemaError, match=OLDER) as raised:
            SqlStore(str(v1_file), create=create)
        assert str(v1_file) in str(raised.value)
    with pytest.raises(SchemaError, match="disruption db upgrade"):
        open_store(str(v1_file), must_exist=True)
    assert v1_file.read_bytes() == written


def test_the_v1_fixture_upgraded_reads_back_unchanged(v1_file: Path) -> None:
    with closing(sqlite3.connect(v1_file)) as conn:
        order = conn.execute("SELECT case_id, seq FROM events ORDER BY position").fetchall()
    written = json.loads((FIXTURES / "store-v1.json").read_text(encoding="utf-8"))
    assert upgrade_store(str(v1_file)) == (1, SCHEMA_VERSION)
    with SqlStore(str(v1_file), create=False) as store:
        assert list(store.case_ids()) == sorted(written["events"])
        for case, records in written["events"].items():
            assert tuple(store.events(case)) == tuple(event_from_record(r) for r in records)
        for ref, text in written["texts"].items():
            assert store.text(ref) == text
        stored = store.read_after(0)
        assert [s.position for s in stored] == list(range(1, len(order) + 1))
        assert [(s.event.case, s.event.seq) for s in stored] == order
        assert store.last_position() == len(order) == 58
    assert upgrade_store(str(v1_file)) == (SCHEMA_VERSION, SCHEMA_VERSION)


def _sqlite_shape(path: Path) -> tuple[list[tuple[str, str, str]], dict[str, list[Any]]]:
    """Every table's and index's SQL (spacing and quotes aside), and every table's rows."""
    with closing(sqlite3.connect(path)) as conn:
        found = conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL"
            " AND name NOT LIKE 'sqlite_%' ORDER BY type, name"
        ).fetchall()
        tables = [name for kind, name, _ in found if kind == "table"]
        content = {
            t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables
        }
    shown = [
        (k, n, " ".join(sql.replace('"', "").replace("(", " ( ").split())) for k, n, sql in found
    ]
    return shown, content


def test_the_upgraded_fixture_has_the_tables_of_a_new_store(v1_file: Path, tmp_path: Path) -> None:
    upgrade_store(str(v1_file))
    SqlStore(str(tmp_path / "new.sqlite")).close()
    upgraded, _ = _sqlite_shape(v1_file)
    assert {n for k, n, _ in upgraded if k == "table"} == set(schema.metadata.tables)
    assert upgraded == _sqlite_shape(tmp_path / "new.sqlite")[0]
    no_rowid = {n for k, n, sql in upgraded if k == "table" and sql.endswith("WITHOUT ROWID")}
    assert no_rowid == {"commands", "deadlines", "child_keys", "consumers", "disruption_meta"}


def test_the_v3_to_v4_step_keeps_every_row(v1_file: Path) -> None:
    store_v3 = v1_file.with_name("v3.sqlite")
    shutil.copyfile(v1_file, store_v3)
    engine = sa.create_engine(f"sqlite:///{store_v3}")
    with engine.begin() as conn:  # a copy brought to version 3 only
        for version in (1, 2):
            migrations.STEPS[version](conn)
        conn.execute(sa.update(schema.meta).values(value="3"))
        conn.exec_driver_sql("INSERT INTO consumers VALUES ('feed', 7)")
    engine.dispose()
    before = _sqlite_shape(store_v3)[1]
    assert upgrade_store(str(store_v3)) == (3, SCHEMA_VERSION)
    after = _sqlite_shape(store_v3)[1]
    assert after == {
        **before,
        "disruption_meta": [("schema_version", str(SCHEMA_VERSION))],
        # version 6: no snapshot yet; version 8: no carer in the fixture's placements
        "cases": [(*row, None, None) for row in before["cases"]],
    }
    with closing(sqlite3.connect(store_v3)) as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_an_upgraded_fixture_takes_commands_and_sweeps(v1_file: Path) -> None:
    upgrade_store(str(v1_file))
    on = date(2026, 1, 1)
    with SqlStore(str(v1_file), create=False) as store:
        for case in store.case_ids():  # no snapshot yet: each case is rebuilt from its events
            snapshot = store.snapshot(case)
            assert snapshot is not None
            assert snapshot.case is None
            assert Engine(store).load(case) == case_of(store, case)
        overdue = [(o.case, o.deadline.id) for o in store.overdue(on)]
        (opened,) = run(store, [open_case("P-9999", T0, child="C-9", command_id="new-1")])
        assert list(store.events_of_command("new-1")) == [opened]
        missed = store.record_missed(on, build=missed_events, recorded_at=T0 + timedelta(days=40))
        assert sorted((e.case, e.data["id"]) for e in missed) == sorted(overdue)
        assert [s.position for s in store.read_after(58)] == list(range(59, 60 + len(missed)))
        assert (
            list(store.record_missed(on, build=missed_events, recorded_at=T0 + timedelta(days=41)))
            == []
        )
        for case in {c for c, _ in overdue}:
            assert all(d.missed_recorded for d in case_of(store, case).overdue(on))


def test_a_v1_store_is_upgraded_with_positions_renumbered(db_url: str) -> None:
    SqlStore(db_url).close()
    created = _shape(db_url)
    engine = _engine(db_url)
    schema.metadata.drop_all(engine)
    engine.dispose()
    appended = _write_v1(db_url)
    assert _shape(db_url) != created
    with pytest.raises(SchemaError, match=OLDER):
        SqlStore(db_url)
    assert upgrade_store(db_url) == (1, SCHEMA_VERSION)
    assert _shape(db_url) == created
    with SqlStore(db_url, create=False) as store:
        assert [(s.position, s.event) for s in store.read_after(0)] == list(
            enumerate(appended, start=1)
        )
        for case in ("P-1", "P-2", "P-3"):
            assert tuple(store.events(case)) == tuple(e for e in appended if e.case == case)
        assert list(store.events_of_command("concern-1")) == [appended[2]]
        assert [e.seq for e in store.events_of_command("nfa-1")] == [3]
        assert store.text("P-1/4/reason") == "reasons"
        (event,) = run(store, [no_further_action("P-2", T0 + timedelta(hours=4))])
        assert list(store.read_after(len(GAPPED))) == [StoredEvent(len(GAPPED) + 1, event)]
        assert store.last_position() == len(GAPPED) + 1
        concern = raise_concern("P-1", T0 + timedelta(hours=5), command_id="concern-1")
        assert run(store, [concern]) == (appended[2],)  # applied before the upgrade
    assert upgrade_store(db_url) == (SCHEMA_VERSION, SCHEMA_VERSION)


def _open_without_carer(case: str, child: str) -> Command:
    placement = {"id": f"PL-{case}", "type": "U3", "provider": "PR1", "start": "2025-01-06"}
    data = {"child": child, "placement": {**placement, "location": "in_borough"}}
    return command(case, "open_case", T0, data)


def test_a_v7_store_upgraded_finds_the_carers_of_its_cases(db_url: str) -> None:
    with SqlStore(db_url) as store:
        run(
            store,
            [
                open_case("P-1"),  # carer-9
                open_case("P-2", child="C-2"),
                raise_concern("P-2", T0 + timedelta(hours=1)),
                _open_without_carer("P-3", "C-3"),
            ],
        )
    created = _shape(db_url)
    engine = _engine(db_url)
    with engine.begin() as conn:  # back to version 7: no carer column, no index
        conn.exec_driver_sql("DROP INDEX cases_carer")
        conn.exec_driver_sql("ALTER TABLE cases DROP COLUMN carer")
        conn.execute(sa.update(schema.meta).values(value="7"))
    engine.dispose()
    with pytest.raises(SchemaError, match="schema version 7 is older"):
        SqlStore(db_url)
    assert upgrade_store(db_url) == (7, SCHEMA_VERSION)
    assert _shape(db_url) == created
    with SqlStore(db_url, create=False) as store:
        assert list(store.case_ids_of_carer("carer-9")) == ["P-1", "P-2"]
        assert case_of(store, "P-3").placement.carer is None
        assert list(store.case_ids_of_carer("carer-1")) == []


def test_a_failed_upgrade_changes_nothing(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    appended = _write_v1(db_url)
    before = _shape(db_url)

    def half_done(conn: sa.Connection) -> None:
        migrations._v1_to_v2(conn)
        raise RuntimeError("the upgrade broke off")

    monkeypatch.setitem(migrations.STEPS, 1, half_done)
    with pytest.raises(RuntimeError, match="broke off"):
        upgrade_store(db_url)
    monkeypatch.undo()
    assert _shape(db_url) == before
    with pytest.raises(SchemaError, match=OLDER):
        SqlStore(db_url)
    assert upgrade_store(db_url) == (1, SCHEMA_VERSION)
    with SqlStore(db_url) as store:
        assert [s.event for s in store.read_after(0)] == list(appended)


def test_concurrent_upgrades_upgrade_once(db_url: str) -> None:
    _write_v1(db_url)
    results: list[tuple[int, int]] = []
    barrier = threading.Barrier(3)

    def upgrade() -> None:
        barrier.wait()
        results.append(upgrade_store(db_url))

    threads = [threading.Thread(target=upgrade) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [(1, SCHEMA_VERSION)] + [(SCHEMA_VERSION, SCHEMA_VERSION)] * 2


def test_an_empty_database_is_created_by_an_upgrade(db_url: str) -> None:
    assert upgrade_store(db_url) == (0, SCHEMA_VERSION)
    assert upgrade_store(db_url) == (SCHEMA_VERSION, SCHEMA_VERSION)
    with SqlStore(db_url, create=False) as store:
        assert store.upgrade() == (SCHEMA_VERSION, SCHEMA_VERSION)
        assert store.last_position() == 0


def test_a_store_newer_than_the_library_is_not_upgraded(db_url: str) -> None:
    SqlStore(db_url).close()
    newer = SCHEMA_VERSION + 1
    execute(db_url, f"UPDATE disruption_meta SET value = '{newer}' WHERE key = 'schema_version'")
    with pytest.raises(SchemaError, match="newer version of disruption"):
        upgrade_store(db_url)


def _upcaster(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def step(record: dict[str, Any]) -> dict[str, Any]:
        return {
            **record,
            "data": {**record["data"], "steps": [*record["data"].get("steps", []), name]},
        }

    return step


def test_older_events_are_upcast_when_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = str(tmp_path / "cases.db")
    with SqlStore(path) as store:
        appended = run(store, [open_case("P-1"), raise_concern("P-1", T0 + timedelta(hours=1))])
    monkeypatch.setattr(events_module, "EVENT_SCHEMA_VERSION", 3)
    monkeypatch.setitem(upcast.UPCASTERS, ("ConcernRaised", 1), _upcaster("1->2"))
    monkeypatch.setitem(upcast.UPCASTERS, ("ConcernRaised", 2), _upcaster("2->3"))
    with SqlStore(path) as store:
        opened, concern = store.events("P-1")
        assert opened == attrs.evolve(appended[0], schema_version=3)
        assert concern == attrs.evolve(
            appended[1], data={**appended[1].data, "steps": ["1->2", "2->3"]}, schema_version=3
        )
        assert [s.event for s in store.read_after(0)] == [opened, concern]


def test_an_event_newer_than_the_library_is_refused(tmp_path: Path) -> None:
    path = str(tmp_path / "cases.db")
    with SqlStore(path) as store:
        run(store, [open_case("P-1"), raise_concern("P-1", T0 + timedelta(hours=1))])
    execute(path, "UPDATE events SET schema_version = 2 WHERE seq = 2")
    with SqlStore(path) as store:
        with pytest.raises(SchemaError, match="P-1/2 has event schema version 2"):
            store.events("P-1")
        with pytest.raises(SchemaError, match="upgrade disruption"):
            store.read_after(0)
        assert [s.position for s in store.read_after(0, limit=1)] == [1]
