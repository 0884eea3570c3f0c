"""Schema version 5: Fernet text of a version 3 or 4 store is re-sealed under new keys."""

from __future__ import annotations

import json
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet

from disruption.store import SqlStore
from disruption.store.sql import keys, migrations, schema
from disruption.store.sql.store import upgrade_store
from tests.test_store_upgrade import _engine as engine_of
from tests.test_store_upgrade import _write_v1 as write_v1

FIXTURES = Path(__file__).parent / "fixtures"


def _version_4_with_fernet(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The version-1 fixture brought to version 4, its text sealed as versions 3 and 4 did.

    Returns:
        The store, and each text's clear form by reference (one token left damaged).
    """
    path = tmp_path / "v4.sqlite"
    shutil.copyfile(FIXTURES / "store-v1.sqlite", path)
    clear: dict[str, str] = json.loads((FIXTURES / "store-v1.json").read_text("utf-8"))["texts"]
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        for version in (1, 2, 3):
            migrations.STEPS[version](conn)
        conn.execute(sa.update(schema.meta).values(value="4"))
        children: dict[str, str] = dict(
            conn.exec_driver_sql("SELECT ref, child FROM personal_texts").all()
        )
        fernet = {child: Fernet.generate_key().decode() for child in set(children.values())}
        for child, key in fernet.items():
            conn.exec_driver_sql("UPDATE child_keys SET key = ? WHERE child = ?", (key, child))
        for ref, text in clear.items():
            token = Fernet(fernet[children[ref]].encode()).encrypt(text.encode()).decode()
            conn.exec_driver_sql("UPDATE personal_texts SET text = ? WHERE ref = ?", (token, ref))
    engine.dispose()
    return path, clear


def _stored(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    with closing(sqlite3.connect(path)) as conn:
        texts = dict(conn.execute("SELECT ref, text FROM personal_texts").fetchall())
        held = dict(conn.execute("SELECT child, key FROM child_keys").fetchall())
    return texts, held


def test_fernet_text_is_resealed_under_new_keys_and_reads_back(tmp_path: Path) -> None:
    path, clear = _version_4_with_fernet(tmp_path)
    assert clear  # the fixture has free text
    before_texts, before_keys = _stored(path)
    assert all(t.startswith("gAAAA") for t in before_texts.values())
    assert upgrade_store(str(path)) == (4, schema.SCHEMA_VERSION)
    after_texts, after_keys = _stored(path)
    assert set(after_texts) == set(before_texts)
    assert all(t.startswith(keys.FORMAT) for t in after_texts.values())
    assert set(after_keys) == set(before_keys)
    assert all(after_keys[c] != before_keys[c] for c in after_keys)
    with SqlStore(str(path), create=False) as store:
        for ref, text in clear.items():
            assert store.text(ref) == text
    assert upgrade_store(str(path)) == (schema.SCHEMA_VERSION, schema.SCHEMA_VERSION)
    assert _stored(path) == (after_texts, after_keys)


def test_a_token_damaged_before_the_upgrade_is_left_as_it_was(tmp_path: Path) -> None:
    path, clear = _version_4_with_fernet(tmp_path)
    damaged, *others = sorted(clear)
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("UPDATE personal_texts SET text = 'gAAAAAdamaged' WHERE ref = ?", (damaged,))
    upgrade_store(str(path))
    with SqlStore(str(path), create=False) as store:
        assert store.text(damaged) is None
        assert [store.text(ref) for ref in others] == [clear[ref] for ref in others]
    assert _stored(path)[0][damaged] == "gAAAAAdamaged"


def test_text_sealed_from_clear_by_an_older_upgrade_is_in_the_current_format(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v1.sqlite"
    shutil.copyfile(FIXTURES / "store-v1.sqlite", path)
    upgrade_store(str(path))
    texts, _ = _stored(path)
    assert texts
    assert all(t.startswith(keys.FORMAT) for t in texts.values())


def test_fernet_text_is_resealed_on_every_backend(db_url: str) -> None:
    write_v1(db_url)  # one text, "reasons", of child C-1
    engine = engine_of(db_url)
    with engine.begin() as conn:
        for version in (1, 2, 3):
            migrations.STEPS[version](conn)
        conn.execute(sa.update(schema.meta).values(value="4"))
        key = Fernet.generate_key().decode()
        conn.execute(sa.update(schema.child_keys).values(key=key))
        token = Fernet(key.encode()).encrypt(b"reasons").decode()
        conn.execute(sa.update(schema.personal_texts).values(text=token))
    try:
        assert upgrade_store(db_url) == (4, schema.SCHEMA_VERSION)
        with engine.connect() as conn:
            (stored,) = conn.execute(sa.select(schema.personal_texts.c.text)).scalars()
            (held,) = conn.execute(sa.select(schema.child_keys.c.key)).scalars()
    finally:
        engine.dispose()
    assert stored.startswith(keys.FORMAT)
    assert held != key
    with SqlStore(db_url, create=False) as store:
        assert store.text("P-1/4/reason") == "reasons"
