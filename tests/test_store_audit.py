"""The tamper-evident chain: SQL that changes, removes, inserts or reorders rows is caught."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import attrs
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from disruption.cli import app
from disruption.engine.engine import Engine
from disruption.store import SqlStore
from disruption.store.sql import event_rows
from disruption.store.sql.audit import GENESIS, link, verify_rows
from tests.builders import T0, make_engine, reach
from tests.conftest import postgres
from tests.strategies import stored_texts, stored_values

runner = CliRunner()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cases.sqlite'}"
    else:
        yield request.getfixturevalue("postgres_url")


@pytest.fixture
def store(url: str) -> Iterator[SqlStore]:
    with SqlStore(url) as opened:
        engine = Engine(opened, clock=make_engine(T0 + timedelta(days=1)).clock)
        for case in ("P-1", "P-2", "P-3"):
            reach(engine, case, "support_offered")
        engine.tick(T0.date() + timedelta(days=40))  # sweep events are chained too
        yield opened


def _sql(url: str, statement: str) -> None:
    with sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1)).begin() as c:
        c.exec_driver_sql(statement)


def test_an_untouched_store_verifies(store: SqlStore) -> None:
    result = store.verify()
    assert result.ok
    assert result.checked == store.last_position() > 9


def test_a_changed_row_is_caught(store: SqlStore, url: str) -> None:
    _sql(url, "UPDATE events SET to_state = 'stabilised' WHERE position = 5")
    result = store.verify()
    assert (result.ok, result.broken_at) == (False, 5)
    assert "changed" in result.problem


def test_a_removed_row_is_caught(store: SqlStore, url: str) -> None:
    _sql(url, "DELETE FROM events WHERE position = 4")
    result = store.verify()
    assert result.broken_at == 4
    assert "removed" in result.problem


def test_an_inserted_row_is_caught(store: SqlStore, url: str) -> None:
    last = store.last_position()
    _sql(
        url,
        "INSERT INTO events (position, case_id, seq, type, command, at, recorded_at, actor_id, "
        "actor_role, to_state, data, deadlines, schema_version, hash) SELECT position + 1000, "
        "case_id, seq + 100, type, command, at, recorded_at, actor_id, actor_role, to_state, "
        f"data, deadlines, schema_version, hash FROM events WHERE position = {last}",
    )
    _sql(url, f"UPDATE events SET position = {last + 1} WHERE position = {last + 1000}")
    result = store.verify()
    assert result.broken_at == last + 1


def test_reordered_rows_are_caught(store: SqlStore, url: str) -> None:
    _sql(url, "UPDATE events SET position = -2 WHERE position = 2")
    _sql(url, "UPDATE events SET position = 2 WHERE position = 3")
    _sql(url, "UPDATE events SET position = 3 WHERE position = -2")
    assert store.verify().broken_at == 2


def test_the_cli_reports_the_first_broken_position(store: SqlStore, url: str) -> None:
    ok = runner.invoke(app, ["verify", "--db", url])
    assert ok.exit_code == 0, ok.output
    assert "events verified" in ok.output
    _sql(url, "UPDATE events SET data = '{}' WHERE position = 7")
    broken = runner.invoke(app, ["verify", "--db", url, "--json"])
    assert broken.exit_code == 1
    assert '"broken_at": 7' in broken.output


def test_an_upgraded_store_is_chained_from_its_first_event(tmp_path: Path) -> None:
    fixture = Path(__file__).parent / "fixtures" / "store-v1.sqlite"
    copy = tmp_path / "old.sqlite"
    copy.write_bytes(fixture.read_bytes())
    assert runner.invoke(app, ["db", "upgrade", "--db", str(copy)]).exit_code == 0
    with SqlStore(f"sqlite:///{copy}", create=False) as upgraded:
        result = upgraded.verify()
    assert result.ok
    assert result.checked > 0


def test_link_depends_on_the_previous_hash_and_every_field() -> None:
    row = {"position": 1, "type": "CaseOpened", "data": "{}"}
    assert link(GENESIS, row) != link("1" * 64, row)
    assert link(GENESIS, row) != link(GENESIS, {**row, "data": "{ }"})
    assert verify_rows([]).ok


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.one_of(st.just("hash"), stored_texts), stored_values, max_size=8),
    st.text("0123456789abcdef", max_size=64),
)
def test_link_hashes_what_json_dumps_writes(row: dict[str, object], previous: str) -> None:
    # The chain is defined over json.dumps(sort_keys=True, ensure_ascii=False, compact) of
    # every column but hash; link writes it with orjson (or json for what orjson refuses).
    columns = {k: v for k, v in row.items() if k != "hash"}
    body = json.dumps(columns, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    expected = hashlib.sha256(f"{previous}\n{body}".encode()).hexdigest()
    assert link(previous, row) == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(*([stored_values] * len(event_rows.EVENT_COLUMNS))), max_size=5))
def test_rows_are_chained_as_link_chains_them(values: list[tuple[object, ...]]) -> None:
    previous, expected = GENESIS, []
    for row in values:
        previous = link(previous, dict(zip(event_rows.EVENT_COLUMNS, row, strict=True)))
        expected.append((*row, previous))
    assert event_rows.chained(values, GENESIS) == expected


def test_rows_built_in_one_pass_are_the_rows_chained_from_their_values() -> None:
    engine = make_engine(T0 + timedelta(days=1))
    for case in ("P-1", "P-2"):
        reach(engine, case, "support_offered")
    events = [*engine.store.events("P-1"), *engine.store.events("P-2")]
    wide = attrs.evolve(events[-1], seq=events[-1].seq + 1, data={"n": 2**70, "é": "ü"})
    events.append(wide)  # orjson refuses the integer: the json fallback, the same chain
    built = event_rows.chained_values(events, 5, GENESIS)
    assert built == event_rows.chained(event_rows.event_values(events, 5), GENESIS)
    previous = GENESIS
    for row in built:
        previous = link(previous, dict(zip(event_rows.EVENT_COLUMNS, row[:-1], strict=True)))
        assert row[-1] == previous
