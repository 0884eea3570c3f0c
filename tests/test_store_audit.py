"""The tamper-evident chain: SQL that changes, removes, inserts or reorders rows is caught."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from disruption.cli import app
from disruption.engine.engine import Engine
from disruption.store import SqlStore
from disruption.store.sql import event_rows, schema
from disruption.store.sql.audit import GENESIS, Verification, link, verify_rows
from tests.builders import T0, make_engine, reach
from tests.conftest import postgres
from tests.scripts import load_script
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


@given(
    st.lists(
        st.datetimes(
            min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
            timezones=st.sampled_from([UTC, timezone(timedelta(hours=-3, seconds=59))]),
        ),
        min_size=2, max_size=2,
    )
)  # fmt: skip
@settings(max_examples=50, deadline=None)
def test_instants_are_written_and_chained_as_isoformat_writes_them(at: list[datetime]) -> None:
    """The one-pass rows write a UTC instant by orjson: the text isoformat writes."""
    engine = make_engine(T0 + timedelta(days=1))
    reach(engine, "P-1", "support_offered")
    events = [attrs.evolve(e, at=at[0], recorded_at=at[1]) for e in engine.store.events("P-1")]
    built = event_rows.chained_values(events, 1, GENESIS)
    assert built == event_rows.chained(event_rows.event_values(events, 1), GENESIS)
    assert {(row[6], row[7]) for row in built} == {(at[0].isoformat(), at[1].isoformat())}


def test_the_same_instant_at_two_offsets_is_written_with_each_ones_own() -> None:
    """Equal datetimes (the same instant) at other offsets are not one text: each its own."""
    engine = make_engine(T0 + timedelta(days=1))
    reach(engine, "P-1", "support_offered")
    at = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
    later = at.astimezone(timezone(timedelta(hours=1)))
    assert later == at
    for first, second in ((at, later), (later, at)):
        events = [attrs.evolve(e, at=first, recorded_at=second) for e in engine.store.events("P-1")]
        built = event_rows.chained_values(events, 1, GENESIS)
        assert built == event_rows.chained(event_rows.event_values(events, 1), GENESIS)
        assert {(row[6], row[7]) for row in built} == {(first.isoformat(), second.isoformat())}


# Deletions the chain alone cannot see: the tail, everything, one case's events. The counter
# and the cases' versions say what is missing; a head kept elsewhere catches a rewrite.


@pytest.fixture(params=["file", "memory", pytest.param("postgres", marks=postgres)])
def kept(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[SqlStore, Tamper]]:
    """A store of 12 events (P-1, P-2, P-3 at 4 each, the last three a sweep's) and its SQL."""
    if request.param == "file":
        url = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    elif request.param == "memory":
        url = "sqlite://"
    else:
        url = request.getfixturevalue("postgres_url")
    with SqlStore(url) as opened:
        engine = Engine(opened, clock=make_engine(T0 + timedelta(days=1)).clock)
        for case in ("P-1", "P-2", "P-3"):
            reach(engine, case, "support_offered")
        engine.tick(T0.date() + timedelta(days=40))

        def tamper(statement: str) -> None:
            if request.param != "memory":
                _sql(url, statement)
                return
            with opened._db.writing("tamper") as conn:  # the only connection there is
                conn.exec_driver_sql(statement)

        yield opened, tamper


Tamper = Callable[[str], None]


def test_the_head_is_the_last_position_and_its_hash(kept: tuple[SqlStore, Tamper]) -> None:
    store, _ = kept
    result = store.verify()
    assert (result.ok, result.counter, result.problems) == (True, 12, ())
    assert result.head == f"12:{store.read_after(11)[0].hash}"


def test_deleting_the_tail_is_caught(kept: tuple[SqlStore, Tamper]) -> None:
    store, tamper = kept
    tamper("DELETE FROM events WHERE position > 9")
    result = store.verify()
    assert not result.ok
    assert result.broken_at is None  # the chain up to 9 holds: only the counter knows
    assert result.problems == (
        "events 10-12 are missing: the counter says 12",
        "case P-1 at version 4 has 3 events",
        "case P-2 at version 4 has 3 events",
        "case P-3 at version 4 has 3 events",
    )


def test_deleting_the_tail_and_moving_the_counter_back_is_caught(
    kept: tuple[SqlStore, Tamper],
) -> None:
    store, tamper = kept
    tamper("DELETE FROM events WHERE position > 11")
    tamper("UPDATE positions SET last = 11")
    assert store.verify().problems == ("case P-3 at version 4 has 3 events",)


def test_deleting_everything_is_caught(kept: tuple[SqlStore, Tamper]) -> None:
    store, tamper = kept
    tamper("DELETE FROM events")
    result = store.verify()
    assert (result.ok, result.checked) == (False, 0)
    assert result.problems[0] == "events 1-12 are missing: the counter says 12"
    assert "case P-2 at version 4 has 0 events" in result.problems


def test_deleting_one_cases_events_is_caught(kept: tuple[SqlStore, Tamper]) -> None:
    store, tamper = kept
    tamper("DELETE FROM events WHERE case_id = 'P-2'")
    result = store.verify()
    assert result.broken_at == 4
    assert result.problems == (
        "broken at position 4: position 4 is missing: a row was removed",
        "case P-2 at version 4 has 0 events",
    )


def test_deleting_a_middle_row_is_still_caught(kept: tuple[SqlStore, Tamper]) -> None:
    store, tamper = kept
    tamper("DELETE FROM events WHERE position = 5")
    result = store.verify()
    assert result.broken_at == 5
    assert "case P-2 at version 4 has 3 events, the last 4" in result.problems


def test_a_row_past_the_counter_is_caught_even_chained(kept: tuple[SqlStore, Tamper]) -> None:
    store, tamper = kept
    last = store.read_after(11)[0]
    row = {c: v for c, v in _row(tamper, store, 12).items() if c != "hash"}
    row.update(position=13, seq=5)
    values = ", ".join(_literal(row[c]) for c in row)
    tamper(
        f"INSERT INTO events ({', '.join(row)}, hash) "
        f"VALUES ({values}, '{link(str(last.hash), row)}')"
    )
    assert store.verify().problems == (
        "events past the counter's 12 (up to 13) were put there outside disruption",
    )


def test_a_rewritten_chain_is_caught_against_a_kept_head(kept: tuple[SqlStore, Tamper]) -> None:
    store, tamper = kept
    position, digest = store.verify().head.split(":")
    assert store.verify(expect=[(12, digest), (3, str(store.read_after(2)[0].hash))]).ok
    # Whoever can write rewrites the last row and its hash consistently: the chain holds.
    row = _row(tamper, store, 12)
    row["data"] = row["data"].replace("}", ', "x": 1}', 1) if row["data"] != "{}" else '{"x":1}'
    previous = str(store.read_after(10)[0].hash)
    tamper(
        f"UPDATE events SET data = {_literal(row['data'])}, "
        f"hash = '{link(previous, {k: v for k, v in row.items() if k != 'hash'})}' "
        "WHERE position = 12"
    )
    assert store.verify().ok
    result = store.verify(expect=[(12, digest)])
    assert not result.ok
    assert result.problems == (
        f"event 12 has hash {store.read_after(11)[0].hash[:12]}..., not the {digest[:12]}... "  # type: ignore[index]
        "kept: the chain was rewritten",
    )
    assert position == "12"


def test_a_kept_position_deleted_is_missing(kept: tuple[SqlStore, Tamper]) -> None:
    store, tamper = kept
    digest = store.verify().last_hash
    tamper("DELETE FROM events WHERE position = 12")
    tamper("UPDATE positions SET last = 11")
    tamper("UPDATE cases SET version = 3 WHERE id = 'P-3'")
    assert store.verify().ok  # counter and version rewritten too: only the kept head knows
    assert store.verify(expect=[(12, digest)]).problems == (
        f"event 12 is missing: a hash was kept for it ({digest[:12]}...)",
    )


def _row(tamper: Tamper, store: SqlStore, position: int) -> dict[str, Any]:
    with store._db.reading("look") as conn:
        found = conn.execute(
            sa.select(schema.events).where(schema.events.c.position == position)
        ).mappings()
        return dict(next(iter(found)))


def _literal(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def test_the_cli_says_what_is_missing_and_checks_a_kept_head(store: SqlStore, url: str) -> None:
    ok = runner.invoke(app, ["verify", "--db", url])
    assert ok.exit_code == 0, ok.output
    head = ok.output.split("head ")[1].strip()
    assert runner.invoke(app, ["verify", "--db", url, "--expect", head]).exit_code == 0
    _sql(url, "DELETE FROM events WHERE position > 9")
    gone = runner.invoke(app, ["verify", "--db", url, "--expect", head])
    assert gone.exit_code == 1
    lines = gone.output.splitlines()
    assert lines[0] == "events 10-12 are missing: the counter says 12"
    assert "event 12 is missing: a hash was kept for it" in gone.output
    as_json = json.loads(runner.invoke(app, ["verify", "--db", url, "--json"]).stdout)
    assert (as_json["ok"], as_json["counter"], as_json["head"]["position"]) == (False, 12, 9)


@pytest.mark.parametrize(
    "value", ["12", "x:" + "a" * 64, "0:" + "a" * 64, "12:abc", "12:" + "g" * 64, "9" * 500]
)
def test_a_malformed_expect_is_refused_naming_the_option(value: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    SqlStore(url).close()
    result = runner.invoke(app, ["verify", "--db", url, "--expect", value])
    assert result.exit_code == 2
    assert "--expect" in result.output
    assert "Traceback" not in result.output
    assert len(result.output) < 1000


def test_the_feed_carries_the_chain_hash(store: SqlStore, url: str) -> None:
    stored = store.read_after(0)
    chain = [r["hash"] for r in store._event_rows(100)]  # as verify reads it
    assert [s.hash for s in stored] == chain
    shown = runner.invoke(app, ["events", "--db", url, "--json", "--after", "11"])
    assert json.loads(shown.stdout)["chainhash"] == store.verify().last_hash


@pytest.fixture(scope="module")
def twelve(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The bytes of a SQLite store of 12 events (P-1, P-2, P-3 at 4 each)."""
    path = tmp_path_factory.mktemp("twelve") / "cases.sqlite"
    with SqlStore(f"sqlite:///{path}") as opened:
        engine = Engine(opened, clock=make_engine(T0 + timedelta(days=1)).clock)
        for case in ("P-1", "P-2", "P-3"):
            reach(engine, case, "support_offered")
        engine.tick(T0.date() + timedelta(days=40))
    with sa.create_engine(f"sqlite:///{path}").begin() as c:
        c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.read_bytes()


@settings(max_examples=60, deadline=None)
@given(st.sets(st.integers(1, 12), min_size=1), st.booleans())
def test_any_rows_deleted_are_caught(
    twelve: bytes, tmp_path_factory: pytest.TempPathFactory, gone: set[int], recount: bool
) -> None:
    # Whatever rows are deleted, even with the counter moved back to the last one left,
    # verify fails, and says so without a broken link when only the tail went.
    path = tmp_path_factory.mktemp("deleted") / "cases.sqlite"
    path.write_bytes(twelve)
    url = f"sqlite:///{path}"
    _sql(url, f"DELETE FROM events WHERE position IN ({', '.join(map(str, gone))})")
    if recount:
        _sql(url, "UPDATE positions SET last = (SELECT coalesce(max(position), 0) FROM events)")
    with SqlStore(url, create=False) as store:
        result = store.verify()
    assert not result.ok
    assert result.problems
    tail = gone == set(range(min(gone), 13))
    assert (result.broken_at is None) == tail


def test_the_verify_benchmark_runs(
    store: SqlStore, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = load_script(
        Path(__file__).resolve().parents[1] / "benchmarks" / "bench_verify.py", "bench_verify"
    )
    bench.main(url, rounds=1)
    assert "12 events, 1 rounds: chain alone" in capsys.readouterr().out


def test_writers_committing_meanwhile_are_not_taken_for_deletions(url: str) -> None:
    # The counter and the versions are read in one statement: events committed during a
    # verify are either counted with them or past them, never missing.
    with SqlStore(url) as writer, SqlStore(url) as reader:
        engine = Engine(writer, clock=make_engine(T0 + timedelta(days=1)).clock)
        done = threading.Event()

        def write() -> None:
            try:
                for n in range(15):
                    reach(engine, f"W-{n}", "support_offered")
            finally:
                done.set()

        thread = threading.Thread(target=write)
        thread.start()
        results: list[Verification] = []
        while not done.is_set() or not results:
            results.append(reader.verify(page=7))
        thread.join()
        results.append(reader.verify())
    assert [r.problems for r in results if not r.ok] == []
    assert results[-1].checked == 45
