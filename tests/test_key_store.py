"""Keys apart from the case store: the case database alone decrypts nothing, erasure holds."""

from __future__ import annotations

import base64
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg import sql as pgsql

from disruption.domain.payloads import is_text_ref
from disruption.engine.engine import Engine
from disruption.exceptions import SchemaError, StoreError
from disruption.store import MemoryKeyStore, SqlStore, open_key_store, open_store
from disruption.store.sql.key_store import KEY_TABLE, SqlKeyStore
from disruption.store.sql.schema import SCHEMA_VERSION
from disruption.store.sql.store import upgrade_store
from tests.builders import T0, journey_to, make_engine, run
from tests.conftest import POSTGRES_URL, libpq, postgres


def _forms(key: str) -> list[bytes]:
    """A key as stored (base64 text) and as its raw bytes."""
    return [key.encode("ascii"), base64.urlsafe_b64decode(key)]


def _files(path: Path) -> bytes:
    """Every file of a SQLite database: the file, and its journal or log if there is one."""
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))


def _fill(store: SqlStore) -> tuple[Engine, list[str]]:
    engine = Engine(store, clock=make_engine(T0 + timedelta(days=2)).clock)
    run(engine, "P-1", journey_to("move_planned"))
    refs = [v["ref"] for e in store.events("P-1") for v in e.data.values() if is_text_ref(v)]
    assert refs
    return engine, refs


def _key(url: str, child: str) -> str:
    keys = SqlKeyStore(url)
    try:
        found = keys.key(child)
    finally:
        keys.close()
    assert found is not None
    return found


def test_the_case_database_alone_decrypts_nothing(tmp_path: Path) -> None:
    db, held = tmp_path / "c.sqlite", tmp_path / "k.sqlite"
    with SqlStore(str(db), keys=SqlKeyStore(str(held))) as store:
        _, refs = _fill(store)
        assert all(store.text(r) for r in refs)
    key = _key(str(held), "C-1")
    assert not any(form in _files(db) for form in _forms(key))
    assert key.encode() in _files(held)
    with SqlStore(str(db)) as alone, pytest.raises(StoreError, match="key store"):
        alone.text(refs[0])  # refused, never keys made again in the case store
    opened = open_store(str(db), keys=str(held))
    assert all(opened.text(r) for r in refs)
    opened.close()


def test_erasure_leaves_no_copy_of_the_key_in_a_sqlite_key_store(tmp_path: Path) -> None:
    held = tmp_path / "k.sqlite"
    keys = SqlKeyStore(str(held))
    made = keys.keys_for(f"C-{n}" for n in range(1, 601))  # many pages
    gone = ["C-1", "C-300", "C-599", "C-600", "C-77"]
    assert all(made[c].encode() in _files(held) for c in gone)
    for child in gone:
        assert keys.erase(child)
    assert not keys.erase("C-1")
    keys.close()
    raw = _files(held)
    assert not [c for c in gone for form in _forms(made[c]) if form in raw]
    assert all(made[c].encode() in raw for c in made if c not in gone)


def test_a_plain_sqlite_delete_would_leave_the_key(tmp_path: Path) -> None:
    """The check above can fail: without secure_delete the bytes stay in the file."""
    held = tmp_path / "k.sqlite"
    keys = SqlKeyStore(str(held))
    made = keys.keys_for(f"C-{n}" for n in range(1, 50))
    keys.close()
    with sqlite3.connect(held) as conn:
        conn.execute("PRAGMA secure_delete=OFF")
        conn.execute(f"DELETE FROM {KEY_TABLE} WHERE child = 'C-7'")
    assert made["C-7"].encode() in _files(held)


def test_erasing_through_the_engine_destroys_the_key(tmp_path: Path) -> None:
    db, held = tmp_path / "c.sqlite", tmp_path / "k.sqlite"
    with SqlStore(str(db), keys=SqlKeyStore(str(held))) as store:
        engine, refs = _fill(store)
        key = _key(str(held), "C-1")
        assert engine.erase("C-1") == len(refs)
        assert [store.text(r) for r in refs] == [None] * len(refs)
    assert not any(form in _files(held) + _files(db) for form in _forms(key))


def test_an_upgrade_moves_the_keys_out_of_the_case_store(tmp_path: Path) -> None:
    db, held = tmp_path / "c.sqlite", tmp_path / "k.sqlite"
    with SqlStore(str(db)) as store:  # keys in the case store, as before
        _, refs = _fill(store)
    with sqlite3.connect(db) as conn:
        key = conn.execute("SELECT key FROM child_keys WHERE child = 'C-1'").fetchone()[0]
    assert key.encode() in _files(db)
    with pytest.raises(SchemaError, match="db upgrade"):
        SqlStore(str(db), keys=SqlKeyStore(str(held)))
    assert upgrade_store(str(db), keys=SqlKeyStore(str(held))) == (SCHEMA_VERSION,) * 2
    assert not any(form in _files(db) for form in _forms(key))
    assert _key(str(held), "C-1") == key
    with SqlStore(str(db), keys=SqlKeyStore(str(held))) as store:
        assert all(store.text(r) for r in refs)
    assert upgrade_store(str(db), keys=SqlKeyStore(str(held))) == (SCHEMA_VERSION,) * 2  # again


def test_a_key_store_is_never_the_case_store(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite"
    SqlStore(str(db)).close()
    with pytest.raises(StoreError, match="case store"):
        open_key_store(str(db))
    with SqlStore(str(db), keys=MemoryKeyStore(), create=False) as store:
        assert store.text("nothing") is None
    with pytest.raises(StoreError, match="not a key store URL"):
        open_key_store("mysql://nowhere/x")


@pytest.fixture
def key_url() -> Iterator[str]:
    """A key store's URL, in a schema of its own (another database in real use)."""
    if not POSTGRES_URL:
        pytest.skip("DISRUPTION_TEST_POSTGRES_URL is not set")
    name = f"keys_{uuid.uuid4().hex}"
    with psycopg.connect(libpq(POSTGRES_URL), autocommit=True) as conn:
        conn.execute(pgsql.SQL("CREATE SCHEMA {}").format(pgsql.Identifier(name)))
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{name}"
    with psycopg.connect(libpq(POSTGRES_URL), autocommit=True) as conn:
        conn.execute(pgsql.SQL("DROP SCHEMA {} CASCADE").format(pgsql.Identifier(name)))


def _pages(url: str, table: str) -> bytes:
    """Every page of a table as the server holds it (pageinspect's ``get_raw_page``)."""
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        try:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pageinspect SCHEMA public")
        except psycopg.Error:
            pytest.skip("pageinspect is not available")
        blocks = conn.execute("SELECT pg_relation_size(%s) / 8192", (table,)).fetchone()
        assert blocks is not None
        return b"".join(
            bytes(conn.execute("SELECT public.get_raw_page(%s, %s)", (table, b)).fetchone()[0])  # type: ignore[index]
            for b in range(int(blocks[0]))
        )


@pytest.mark.parametrize("_pg", [pytest.param(0, marks=postgres)])
def test_erasure_leaves_no_copy_of_the_key_in_postgresql_pages(_pg: int, key_url: str) -> None:
    keys = SqlKeyStore(key_url)
    made = keys.keys_for(f"C-{n}" for n in range(1, 301))
    with psycopg.connect(libpq(key_url)) as conn:  # the last row of the first page: a plain
        found = conn.execute(  # VACUUM leaves its bytes in the page's free space
            f"SELECT child FROM {KEY_TABLE} WHERE ctid < '(1,0)' ORDER BY ctid DESC LIMIT 1"
        ).fetchone()
    assert found is not None
    gone = sorted({found[0], "C-1", "C-150"})
    assert all(made[c].encode() in _pages(key_url, KEY_TABLE) for c in gone)
    for child in gone:
        assert keys.erase(child)
    keys.close()
    raw = _pages(key_url, KEY_TABLE)
    assert not [c for c in gone if made[c].encode() in raw]
    assert all(made[c].encode() in raw for c in made if c not in gone)


@pytest.mark.parametrize("_pg", [pytest.param(0, marks=postgres)])
def test_postgresql_case_store_alone_decrypts_nothing_and_upgrades_move_keys(
    _pg: int, postgres_url: str, key_url: str
) -> None:
    with SqlStore(postgres_url) as store:
        _, refs = _fill(store)
    with psycopg.connect(libpq(postgres_url)) as conn:
        row = conn.execute("SELECT key FROM child_keys WHERE child = 'C-1'").fetchone()
    assert row is not None
    key = str(row[0])
    assert key.encode() in _pages(postgres_url, "child_keys")
    upgrade_store(postgres_url, keys=SqlKeyStore(key_url))
    assert key.encode() not in _pages(postgres_url, "child_keys")
    with SqlStore(postgres_url, keys=SqlKeyStore(key_url)) as store:
        assert all(store.text(r) for r in refs)
        Engine(store, clock=make_engine(T0 + timedelta(days=3)).clock).erase("C-1")
        assert [store.text(r) for r in refs] == [None] * len(refs)
    assert key.encode() not in _pages(key_url, KEY_TABLE)
    with SqlStore(postgres_url) as alone, pytest.raises(StoreError, match="key store"):
        alone.text(refs[0])


def test_the_cli_keeps_keys_apart_and_warns_without_a_key_store(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from disruption.cli import _common, app

    runner = CliRunner()
    db, held = tmp_path / "c.sqlite", tmp_path / "k.sqlite"
    with SqlStore(str(db)) as store:  # keys in the case store, as before
        _, refs = _fill(store)
    _common._warned.clear()
    shown = runner.invoke(
        app, ["export-subject", "C-1", "--db", str(db), "--out", str(tmp_path / "s.json")]
    )
    assert shown.exit_code == 0, shown.output
    assert "keys are kept in the case store" in shown.stderr
    again = runner.invoke(
        app, ["export-subject", "C-1", "--db", str(db), "--out", str(tmp_path / "t.json")]
    )
    assert "warning" not in again.stderr  # once
    moved = runner.invoke(app, ["db", "upgrade", "--db", str(db), "--keys", str(held)])
    assert moved.exit_code == 0, moved.output
    assert f"kept in {held}" in moved.stdout
    refused = runner.invoke(app, ["erase", "C-1", "--db", str(db)])
    assert refused.exit_code == 2
    assert "--keys or DISRUPTION_KEYS" in refused.stderr
    key = _key(str(held), "C-1")
    erased = runner.invoke(
        app, ["erase", "C-1", "--db", str(db)], env={"DISRUPTION_KEYS": str(held)}
    )
    assert erased.exit_code == 0, erased.output
    assert not any(form in _files(held) + _files(db) for form in _forms(key))
    with SqlStore(str(db), keys=SqlKeyStore(str(held))) as store:
        assert [store.text(r) for r in refs] == [None] * len(refs)


def test_erasure_in_a_case_store_keeping_its_keys_leaves_no_copy_in_its_files(
    tmp_path: Path,
) -> None:
    db = tmp_path / "c.sqlite"
    with SqlStore(str(db)) as store:  # no key store: keys in child_keys, as before
        engine, _ = _fill(store)
        with sqlite3.connect(db) as conn:
            key = conn.execute("SELECT key FROM child_keys WHERE child = 'C-1'").fetchone()[0]
        assert key.encode() in _files(db)
        engine.erase("C-1")
        assert key.encode() not in _files(db)  # secure_delete, then the log truncated


def test_children_asking_for_a_key_at_once_get_the_same_one(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    stores = [SqlKeyStore(str(tmp_path / "k.sqlite")) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        made = list(pool.map(lambda s: s.keys_for(["C-1", "C-2"]), stores * 3))
    for s in stores:
        s.close()
    assert len({tuple(sorted(m.items())) for m in made}) == 1


def test_new_sqlite_stores_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    """A case store and a key store the library creates are 0600, their -wal and -shm too,
    whatever the umask; an existing file keeps its mode."""
    import os
    import stat

    db, keys = tmp_path / "cases.db", tmp_path / "keys.db"
    old = os.umask(0o022)
    try:
        store = open_store(str(db), keys=str(keys))
        assert isinstance(store, SqlStore)
        try:
            _fill(store)
            made = sorted(tmp_path.glob("*.db*"))
            assert {p.name for p in made} >= {"cases.db", "keys.db", "cases.db-wal"}
            for path in made:
                assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
        finally:
            store.close()
        kept = tmp_path / "kept.db"
        kept.touch(mode=0o640)
        kept.chmod(0o640)
        open_store(str(kept)).close()
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    finally:
        os.umask(old)
