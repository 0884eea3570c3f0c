"""Benchmark ``Engine.handle`` on durable SQL stores against the raw drivers, in one run.

For SQLite (a file; the raw side with WAL and ``synchronous=FULL``, the issue's baseline; the
store and the same-rows side with the store's own settings) and PostgreSQL (server defaults)
it prints, beside the raw driver and with the ratio:

- **durable single commands per second through** ``Engine.handle`` (load the case, decide,
  append, commit: what a caller calls), against the raw driver committing one row per
  transaction (the command's event row: same columns, same JSON text; SQLite
  ``BEGIN IMMEDIATE; INSERT; COMMIT``). Beside it, labelled: the raw driver writing exactly
  the rows the store writes ("the same rows"; on PostgreSQL each command's in one round trip,
  as the store sends them), which against the raw one-row insert is the floor: the most any
  store writing those rows could reach, with no Python of its own; the engine alone
  (``Engine.handle`` on a ``MemoryStore``, the same commands) with the ceiling it sets on
  the headline ratio
  (``raw / (engine alone + raw)``); "least": the raw driver writing only each command's event
  rows (command ids unique) and its case's snapshot row, what any store meeting item 1 with
  idempotent commands writes, with the bound it sets on the headline whatever the store's
  design (``raw / (engine alone + least)``); and the store's internal path alone
  (``SqlStore.append`` of commands decided before timing);
- events per second for bulk load: ``SqlStore.bulk_append(cases, batch_size=1000)``, against
  the raw driver writing every row the store writes, in the same batches of 1,000 cases (and,
  labelled, the raw driver's ``executemany`` of the event rows alone, 1,000 rows a batch);

with the issue's targets: single commands through ``handle`` at least 0.7x raw; the SQLite
bulk load at least 0.5x the raw driver writing the same rows in the same batches (every row
the store writes, replayed by ``store_replay.py``; the event rows alone are printed beside).
Ratios are medians of the rounds' own ratios; rates medians of the rounds'.

Our side writes more than the raw side: with each command the case row, the deadlines its
events opened or closed, the position counter, the idempotency row and the event's hash (and
free text when there is some); the notes under the table say how many statements that is.

Commands are built before any clock starts (``handle`` decides them in the timed region;
for the internal ``append`` row they are decided before); the raw side's rows are built
before timing too, with the store's own row builder. The engine's clock follows the commands
(each recorded at its own ``at``), so its event rows are the decided ones. The sides run in
interleaved rounds (single commands in ``--rounds`` slices, bulk load batch by batch; who
goes first rotates) so that drift in disk and machine load falls on all alike; the cyclic
garbage collector is paused in timed regions. Logging is at ``warning`` meanwhile. When a
target is missed, the store's path is profiled with cProfile and the top costs printed
(``store_profile.py``).

Run: ``python benchmarks/bench_store.py [--quick] [--commands N] [--bulk-cases N]
[--postgres URL]`` (PostgreSQL from ``--postgres`` or ``DISRUPTION_TEST_POSTGRES_URL``;
skipped with a message when neither is given or the server does not answer).
"""

from __future__ import annotations

import argparse
import itertools
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, Final

import attrs
import structlog

sys.path.insert(0, str(Path(__file__).resolve().parent))

from store_profile import BATCH, Profile, no_gc, profile_bulk, profile_single
from store_replay import Transaction, postgres_batched, postgres_replay, recording, sqlite_replay
from store_workload import (
    COLUMNS,
    IN_FLIGHT,
    PATHS,
    FollowingClock,
    Row,
    Step,
    bulk_cases_of,
    bulk_rows,
    command_list,
    command_stream,
    insert_sql,
    raw_ddl,
    rows_per_step,
)

from disruption.domain.commands import Command
from disruption.engine.engine import Engine
from disruption.engine.ports import CaseStore, NewCase
from disruption.logs import configure
from disruption.store.memory import MemoryStore
from disruption.store.sql.snapshots import snapshot_of
from disruption.store.sql.store import SqlStore

__all__ = ["bulk_cases_of", "command_stream", "main"]

QUICK: Final = {"commands": 200, "bulk_cases": 2000, "rounds": 5}
"""``--quick``: small numbers."""
TARGET_SINGLE: Final = 0.7
"""Durable single commands: at least this times the raw driver's rate."""
TARGET_BULK: Final = 0.5
"""Bulk load: at least this times the raw driver's batched insert."""
ROUNDS: Final = 8
"""Interleaved rounds for the single commands (at least 5)."""
PROFILE_COMMANDS: Final = 300
PROFILE_CASES: Final = 2000

_SELECT_EVENTS: Final = f"SELECT {', '.join(COLUMNS)} FROM {{}} ORDER BY position"

# ------------------------------------------------------------------ timing


def timed(fn: Callable[[], object]) -> float:
    """Seconds ``fn`` takes, with the garbage collector paused."""
    with no_gc():
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start


def interleaved(
    runners: Mapping[str, Callable[[int, int], None]], bounds: Sequence[int]
) -> dict[str, list[float]]:
    """Run every runner over the same slices, round by round; the seconds of each round.

    Round ``r`` gives every runner the slice ``[bounds[r], bounds[r + 1])``; who goes first
    rotates from round to round.
    """
    names = list(runners)
    seconds: dict[str, list[float]] = {name: [] for name in runners}
    for r in range(len(bounds) - 1):
        turn = r % len(names)
        for name in names[turn:] + names[:turn]:
            seconds[name].append(timed(partial(runners[name], bounds[r], bounds[r + 1])))
    return seconds


def even_bounds(n: int, rounds: int) -> list[int]:
    """Bounds of ``rounds`` slices of ``n`` items, as even as can be."""
    return [n * r // rounds for r in range(rounds + 1)]


@attrs.frozen
class Measured:
    """Seconds each side of one comparison took in each round, and what they did.

    The sides: ``handle`` (``Engine.handle``; single commands only), ``memory``
    (``Engine.handle`` on a ``MemoryStore``: the engine's own cost; single commands only),
    ``ours`` (the store's ``append`` or ``bulk_append``), ``raw`` (the raw driver, event
    rows only) and ``same`` (the raw driver writing every row ours writes,
    ``store_replay.py``).
    """

    seconds: Mapping[str, Sequence[float]]
    units: Sequence[int]
    """Commands (or events) in each round."""
    identical: bool
    settings: str

    def rate(self, side: str) -> float:
        """The median of the rounds' units per second."""
        return statistics.median(u / t for u, t in zip(self.units, self.seconds[side], strict=True))

    def ratio(self, side: str, baseline: str = "raw") -> float:
        """The median of the rounds' own ratios, ``side`` rate over ``baseline`` rate."""
        pairs = zip(self.seconds[baseline], self.seconds[side], strict=True)
        return statistics.median(b / s for b, s in pairs)

    def ceiling(self) -> float:
        """The best ratio ``Engine.handle`` could reach against the raw driver, round by round.

        The median of ``raw / (memory + raw)``: what it would be if the store added nothing
        to the raw driver's commit but the engine's own work (``handle`` on a ``MemoryStore``).
        """
        pairs = zip(self.seconds["raw"], self.seconds["memory"], strict=True)
        return statistics.median(r / (m + r) for r, m in pairs)

    def bound(self, side: str) -> float:
        """The best ratio ``Engine.handle`` could reach against the raw driver over a store
        that wrote what ``side`` writes with no code of its own, round by round.

        The median of ``raw / (memory + side)``.
        """
        rounds = zip(self.seconds["raw"], self.seconds["memory"], self.seconds[side], strict=True)
        return statistics.median(r / (m + w) for r, m, w in rounds)

    @property
    def total(self) -> int:
        """Units over all rounds."""
        return sum(self.units)


def recorded_single(url: str, steps: Sequence[Step]) -> list[Transaction]:
    """The transactions of each append, recorded on a scratch store."""
    store = SqlStore(url)
    try:
        with recording() as transactions:
            _appending(store, steps)(0, len(steps))
    finally:
        store.close()
    if len(transactions) != len(steps):
        raise RuntimeError(f"{len(steps)} appends made {len(transactions)} transactions")
    return transactions


def recorded_bulk(url: str, cases: Sequence[NewCase]) -> list[Transaction]:
    """The transactions of each bulk-load batch, recorded on a scratch store."""
    store = SqlStore(url)
    try:
        with recording() as transactions:
            store.bulk_append(cases, batch_size=BATCH)
    finally:
        store.close()
    return transactions


LEAST_DDL: Final = (
    "CREATE TABLE least_cases (id TEXT PRIMARY KEY, version INTEGER NOT NULL, "
    "snapshot TEXT NOT NULL)",
    "CREATE UNIQUE INDEX least_events_command ON least_events (command_id)",
)
"""The least side's tables beside its copy of the raw table (``least_events``): one row per
case holding its snapshot, and the events' command ids kept unique (idempotency)."""
_LEAST_INSERT_CASE: Final = "INSERT INTO least_cases (id, version, snapshot) VALUES (?, ?, ?)"
_LEAST_UPDATE_CASE: Final = (
    "UPDATE least_cases SET version = ?, snapshot = ? WHERE id = ? AND version = ?"
)


def least_writes(steps: Sequence[Step]) -> list[tuple[Row, list[Row]]]:
    """Per command, the least a store meeting issue 17's item 1 writes, built before timing.

    The case's snapshot row (the store's own snapshot text; inserted for a new case, else
    updated guarded by its version) and the command's event rows (the raw side's rows). No
    deadlines, no position counter, no hash chain, no free text: what any store keeping a
    snapshot in the transaction of its events, and each command once, cannot do without.
    """
    built: list[tuple[Row, list[Row]]] = []
    for step, event_rows in zip(steps, rows_per_step(steps), strict=True):
        case = step.case
        snapshot = snapshot_of(case)
        if step.expected_version == 0:
            guard: Row = (case.id, case.version, snapshot)
        else:
            guard = (case.version, snapshot, case.id, step.expected_version)
        built.append((guard, event_rows))
    return built


def _handling(store: CaseStore, commands: Sequence[Command]) -> Callable[[int, int], None]:
    """Commands ``[a, b)`` through ``Engine.handle`` on an engine over ``store``."""
    clock = FollowingClock()
    handle = Engine(store, clock=clock).handle

    def run(a: int, b: int) -> None:
        for command in commands[a:b]:
            clock.at = command.at
            handle(command)

    return run


def _appending(store: SqlStore, steps: Sequence[Step]) -> Callable[[int, int], None]:
    def run(a: int, b: int) -> None:
        for s in steps[a:b]:
            store.append(s.case, s.events, s.texts, expected_version=s.expected_version)

    return run


def _bulk_runners(
    store: SqlStore,
    cases: Sequence[NewCase],
    rows: Sequence[Row],
    raw_batch: Callable[..., None],
    same: Callable[[Sequence[Transaction]], None],
    transactions: Sequence[Transaction],
) -> dict[str, Callable[[int, int], None]]:
    """Ours loads cases ``[a, b)`` in one ``bulk_append`` batch; raw inserts their event rows;
    same replays that batch's recorded transaction."""
    offsets = [0]
    for case in cases:
        offsets.append(offsets[-1] + len(case.events))

    def ours(a: int, b: int) -> None:
        store.bulk_append(cases[a:b], batch_size=BATCH)

    def raw(a: int, b: int) -> None:
        for i in range(offsets[a], offsets[b], BATCH):
            raw_batch(rows[i : min(i + BATCH, offsets[b])])

    def replayed(a: int, b: int) -> None:
        same(transactions[a // BATCH : (b + BATCH - 1) // BATCH])

    return {"ours": ours, "raw": raw, "same": replayed}


# ------------------------------------------------------------------ SQLite


def sqlite_settings(store: SqlStore) -> dict[str, str]:
    """The settings of the store's own SQLite connection that the raw side copies."""
    with store._db.engine.connect() as conn:
        return {
            name: str(conn.exec_driver_sql(f"PRAGMA {name}").scalar())
            for name in ("journal_mode", "synchronous", "foreign_keys")
        }


_SYNCHRONOUS: Final = {"0": "OFF", "1": "NORMAL", "2": "FULL", "3": "EXTRA"}


def _shown(settings: dict[str, str]) -> str:
    return ", ".join(
        f"{k}={v} ({_SYNCHRONOUS.get(v, '?')})" if k == "synchronous" else f"{k}={v}"
        for k, v in settings.items()
    )


RAW_SQLITE: Final = {"journal_mode": "wal", "synchronous": "2"}
"""The raw driver's durability on SQLite, the issue's baseline: WAL, ``synchronous=FULL``
(over the store's other settings). The same-rows side keeps the store's own settings."""


def raw_settings(store_settings: dict[str, str]) -> dict[str, str]:
    """The raw side's settings: the store's, with the baseline's journal and sync."""
    return {**store_settings, **RAW_SQLITE}


def sqlite_raw(path: Path, settings: dict[str, str]) -> sqlite3.Connection:
    """A raw sqlite3 connection (autocommit: transactions explicit) with the store's settings."""
    conn = sqlite3.connect(path, isolation_level=None)
    for name, value in settings.items():
        conn.execute(f"PRAGMA {name}={value}").fetchall()
    return conn


def _sqlite_rows(path: Path, table: str) -> list[Row]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(_SELECT_EVENTS.format(table)).fetchall()
    finally:
        conn.close()


def _sqlite_identical(ours: Path, raw: Path, same: Path, *others: Path) -> bool:
    stored = _sqlite_rows(ours, "events")
    return stored == _sqlite_rows(raw, "raw_events") == _sqlite_rows(same, "events") and all(
        _sqlite_rows(other, "events") == stored for other in others
    )


def _units(bounds: Sequence[int], weights: Sequence[int] | None = None) -> list[int]:
    """Units in each round: the slice's length, or the sum of its items' weights."""
    pairs = list(itertools.pairwise(bounds))
    if weights is None:
        return [b - a for a, b in pairs]
    return [sum(weights[a:b]) for a, b in pairs]


def _bulk_bounds(cases: Sequence[NewCase]) -> list[int]:
    return [*range(0, len(cases), BATCH), len(cases)]


def _bulk_units(cases: Sequence[NewCase]) -> list[int]:
    return _units(_bulk_bounds(cases), [len(c.events) for c in cases])


def statements_per_command(steps: Sequence[Step]) -> float:
    """Statements our ``append`` sends on SQLite per command (``BEGIN`` and ``COMMIT`` too)."""
    sent: list[str] = []
    store = SqlStore(":memory:")
    try:
        with store._db.engine.connect() as conn:
            conn.connection.driver_connection.set_trace_callback(sent.append)  # type: ignore[union-attr]
            conn.commit()
        _appending(store, steps)(0, len(steps))
    finally:
        store.close()
    return len(sent) / max(1, len(steps))


def sqlite_single(
    folder: Path, steps: Sequence[Step], commands: Sequence[Command], rounds: int
) -> Measured:
    """Durable single commands on SQLite: ``Engine.handle`` and ours against raw sqlite3."""
    rows = rows_per_step(steps)
    transactions = recorded_single(":memory:", steps)
    ours_path, raw_path, same_path, handle_path = (
        folder / f"single-{s}.sqlite" for s in ("ours", "raw", "same", "handle")
    )
    SqlStore(str(same_path)).close()
    handle_store = SqlStore(str(handle_path))
    store = SqlStore(str(ours_path))
    settings = sqlite_settings(store)
    raw = sqlite_raw(raw_path, raw_settings(settings))
    raw.execute(raw_ddl("INTEGER"))
    same = sqlite_raw(same_path, settings)
    insert = insert_sql("?")
    least = sqlite_raw(folder / "single-least.sqlite", raw_settings(settings))
    least.execute(raw_ddl("INTEGER").replace("raw_events", "least_events"))
    for ddl in LEAST_DDL:
        least.execute(ddl)
    least_rows = least_writes(steps)
    least_insert = insert.replace("raw_events", "least_events")

    def least_run(a: int, b: int) -> None:
        for guard, command_rows in least_rows[a:b]:
            least.execute("BEGIN IMMEDIATE")
            least.execute(_LEAST_INSERT_CASE if len(guard) == 3 else _LEAST_UPDATE_CASE, guard)
            if len(command_rows) == 1:
                least.execute(least_insert, command_rows[0])
            else:
                least.executemany(least_insert, command_rows)
            least.execute("COMMIT")

    def raw_run(a: int, b: int) -> None:
        for command_rows in rows[a:b]:
            raw.execute("BEGIN IMMEDIATE")
            if len(command_rows) == 1:
                raw.execute(insert, command_rows[0])
            else:
                raw.executemany(insert, command_rows)
            raw.execute("COMMIT")

    def same_run(a: int, b: int) -> None:
        sqlite_replay(same, transactions[a:b])

    bounds = even_bounds(len(steps), rounds)
    try:
        runners = {
            "handle": _handling(handle_store, commands),
            "memory": _handling(MemoryStore(), commands),
            "ours": _appending(store, steps),
            "raw": raw_run,
            "same": same_run,
            "least": least_run,
        }
        seconds = interleaved(runners, bounds)
    finally:
        handle_store.close()
        store.close()
        raw.close()
        same.close()
        least.close()
    identical = _sqlite_identical(ours_path, raw_path, same_path, handle_path) and (
        _sqlite_rows(folder / "single-least.sqlite", "least_events")
        == _sqlite_rows(raw_path, "raw_events")
    )
    shown = f"store and same rows {_shown(settings)}; raw {_shown(raw_settings(settings))}"
    return Measured(seconds, _units(bounds), identical, shown)


def sqlite_bulk(folder: Path, cases: Sequence[NewCase], rows: Sequence[Row]) -> Measured:
    """Bulk load on SQLite: ours against raw sqlite3 ``executemany``."""
    transactions = recorded_bulk(":memory:", cases)
    ours_path, raw_path, same_path = (folder / f"bulk-{s}.sqlite" for s in ("ours", "raw", "same"))
    SqlStore(str(same_path)).close()
    store = SqlStore(str(ours_path))
    settings = sqlite_settings(store)
    raw = sqlite_raw(raw_path, raw_settings(settings))
    raw.execute(raw_ddl("INTEGER"))
    same = sqlite_raw(same_path, settings)
    insert = insert_sql("?")

    def raw_batch(batch: Sequence[Row]) -> None:
        raw.execute("BEGIN IMMEDIATE")
        raw.executemany(insert, batch)
        raw.execute("COMMIT")

    try:
        replay = partial(sqlite_replay, same)
        runners = _bulk_runners(store, cases, rows, raw_batch, replay, transactions)
        seconds = interleaved(runners, _bulk_bounds(cases))
    finally:
        store.close()
        raw.close()
        same.close()
    identical = _sqlite_identical(ours_path, raw_path, same_path)
    shown = f"store and same rows {_shown(settings)}; raw {_shown(raw_settings(settings))}"
    return Measured(seconds, _bulk_units(cases), identical, shown)


# ------------------------------------------------------------------ PostgreSQL


def scoped(url: str, schema: str, *settings: str) -> str:
    """The URL with ``search_path`` set to ``schema`` (and any other ``name=value`` settings)."""
    options = "%20".join(f"-c{s.replace('=', '%3D')}" for s in (f"search_path={schema}", *settings))
    return f"{url}{'&' if '?' in url else '?'}options={options}"


@contextmanager
def postgres_schemas(url: str, count: int) -> Iterator[list[str]]:
    """``count`` fresh schemas, by name; all dropped afterwards."""
    import psycopg

    names = [f"bench_store_{uuid.uuid4().hex[:12]}" for _ in range(count)]
    with psycopg.connect(url, autocommit=True) as conn:
        for name in names:
            conn.execute(f"CREATE SCHEMA {name}")
    try:
        yield names
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            for name in names:
                conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def postgres_reachable(url: str) -> str | None:
    """``None`` when PostgreSQL answers at ``url``, else why not."""
    try:
        import psycopg
    except ImportError as err:
        return f"psycopg is not installed ({err})"
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as err:
        return " ".join(str(err).split())
    return None


def _postgres_rows(url: str, table: str) -> list[Row]:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(_SELECT_EVENTS.format(table)).fetchall()


def _synchronous_commit(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW synchronous_commit").fetchone()
    return "?" if row is None else str(row[0])


def _postgres_identical(url: str, same_url: str, handle_url: str) -> bool:
    stored = _postgres_rows(url, "events")
    return stored == _postgres_rows(url, "raw_events") == _postgres_rows(same_url, "events") and (
        handle_url == "" or _postgres_rows(handle_url, "events") == stored
    )


@attrs.define
class PostgresSides:
    """Ours, the raw connection and the same-rows connection, each in a schema of its own."""

    store: SqlStore
    raw: Any
    same: Any
    transactions: list[Transaction]
    handle_store: SqlStore | None = None
    """A fourth store, for ``Engine.handle`` (single commands)."""
    least: Any = None
    """A raw connection to the least side's tables (single commands; see ``least_writes``)."""
    identical: bool = False
    setting: str = ""


@contextmanager
def postgres_sides(
    url: str, record: Callable[[str], list[Transaction]], *, handle: bool = False
) -> Iterator[PostgresSides]:
    """Open the sides in fresh schemas; afterwards, compare their rows and drop them.

    Args:
        url: The PostgreSQL server.
        record: Records our transactions on a scratch store at the URL it is given.
        handle: Open a store for ``Engine.handle`` too.
    """
    import psycopg

    with postgres_schemas(url, 5) as (main, same_schema, scratch, handle_schema, least_schema):
        # Recorded on a scratch store that does not wait for the disk: nothing there is timed.
        transactions = record(scoped(url, scratch, "synchronous_commit=off"))
        ours_url, same_url = scoped(url, main), scoped(url, same_schema)
        SqlStore(same_url).close()
        store = SqlStore(ours_url)
        raw = psycopg.connect(ours_url)
        raw.execute(raw_ddl("BIGINT"))
        raw.commit()
        handle_url = scoped(url, handle_schema) if handle else ""
        sides = PostgresSides(store, raw, psycopg.connect(same_url), transactions)
        if handle:
            sides.handle_store = SqlStore(handle_url)
            sides.least = psycopg.connect(scoped(url, least_schema))
            sides.least.execute(raw_ddl("BIGINT").replace("raw_events", "least_events"))
            for ddl in LEAST_DDL:
                sides.least.execute(ddl)
            sides.least.commit()
        try:
            yield sides
        finally:
            store.close()
            raw.close()
            sides.same.close()
            if sides.handle_store is not None:
                sides.handle_store.close()
            if sides.least is not None:
                sides.least.close()
        sides.identical = _postgres_identical(ours_url, same_url, handle_url) and (
            not handle
            or _postgres_rows(scoped(url, least_schema), "least_events")
            == _postgres_rows(ours_url, "raw_events")
        )
        sides.setting = f"synchronous_commit={_synchronous_commit(ours_url)}"


def postgres_single(
    url: str, steps: Sequence[Step], commands: Sequence[Command], rounds: int
) -> Measured:
    """Durable single commands on PostgreSQL: ``Engine.handle`` and ours against psycopg."""
    rows = rows_per_step(steps)
    insert = insert_sql("%s")
    bounds = even_bounds(len(steps), rounds)
    with postgres_sides(url, partial(recorded_single, steps=steps), handle=True) as sides:
        raw = sides.raw
        assert sides.handle_store is not None

        def raw_run(a: int, b: int) -> None:
            with raw.cursor() as cursor:
                for command_rows in rows[a:b]:
                    if len(command_rows) == 1:
                        cursor.execute(insert, command_rows[0])
                    else:
                        cursor.executemany(insert, command_rows)
                    raw.commit()

        sides.same.autocommit = True

        def same_run(a: int, b: int) -> None:
            postgres_batched(sides.same, sides.transactions[a:b])

        least_insert = insert_sql("?").replace("raw_events", "least_events")
        least_transactions: list[Transaction] = [
            [
                (False, _LEAST_INSERT_CASE if len(guard) == 3 else _LEAST_UPDATE_CASE, guard),
                (True, least_insert, command_rows),
            ]
            for guard, command_rows in least_writes(steps)
        ]
        least = sides.least
        least.autocommit = True

        def least_run(a: int, b: int) -> None:
            postgres_batched(least, least_transactions[a:b])

        runners = {
            "handle": _handling(sides.handle_store, commands),
            "memory": _handling(MemoryStore(), commands),
            "ours": _appending(sides.store, steps),
            "raw": raw_run,
            "same": same_run,
            "least": least_run,
        }
        seconds = interleaved(runners, bounds)
    return Measured(seconds, _units(bounds), sides.identical, sides.setting)


def postgres_bulk(url: str, cases: Sequence[NewCase], rows: Sequence[Row]) -> Measured:
    """Bulk load on PostgreSQL: ours against raw psycopg ``executemany``."""
    insert = insert_sql("%s")
    with postgres_sides(url, partial(recorded_bulk, cases=cases)) as sides:
        raw = sides.raw

        def raw_batch(batch: Sequence[Row]) -> None:
            with raw.cursor() as cursor:
                cursor.executemany(insert, batch)
            raw.commit()

        replay = partial(postgres_replay, sides.same)
        runners = _bulk_runners(sides.store, cases, rows, raw_batch, replay, sides.transactions)
        seconds = interleaved(runners, _bulk_bounds(cases))
    return Measured(seconds, _bulk_units(cases), sides.identical, sides.setting)


# ------------------------------------------------------------------ the run


def _numbers(backend: str, single: Measured, bulk: Measured) -> dict[str, float]:
    """The rates (medians of the rounds') and ratios (medians of the rounds' own ratios).

    ``handle_*``: ``Engine.handle``; ``commands_per_s`` and ``single_ratio``: the store's
    ``append`` alone (internal); ``same_*``: against the raw driver writing the same rows.
    """
    return {
        f"{backend}_handle_commands_per_s": single.rate("handle"),
        f"{backend}_raw_commands_per_s": single.rate("raw"),
        f"{backend}_handle_ratio": single.ratio("handle"),
        f"{backend}_handle_same_ratio": single.ratio("handle", "same"),
        f"{backend}_memory_commands_per_s": single.rate("memory"),
        f"{backend}_memory_ratio": single.ratio("memory"),
        f"{backend}_ceiling_ratio": single.ceiling(),
        f"{backend}_least_commands_per_s": single.rate("least"),
        f"{backend}_least_ratio": single.ratio("least"),
        f"{backend}_least_bound_ratio": single.bound("least"),
        f"{backend}_commands_per_s": single.rate("ours"),
        f"{backend}_single_ratio": single.ratio("ours"),
        f"{backend}_same_commands_per_s": single.rate("same"),
        f"{backend}_floor_ratio": single.ratio("same"),
        f"{backend}_same_single_ratio": single.ratio("ours", "same"),
        f"{backend}_bulk_events_per_s": bulk.rate("ours"),
        f"{backend}_raw_bulk_events_per_s": bulk.rate("raw"),
        f"{backend}_bulk_ratio": bulk.ratio("ours"),
        f"{backend}_same_bulk_events_per_s": bulk.rate("same"),
        f"{backend}_same_bulk_ratio": bulk.ratio("ours", "same"),
        f"{backend}_rows_identical": 1.0 if single.identical and bulk.identical else 0.0,
    }


def _misses(results: dict[str, float], backend: str) -> tuple[bool, bool]:
    return (
        results[f"{backend}_handle_ratio"] < TARGET_SINGLE,
        backend == "sqlite" and results[f"{backend}_same_bulk_ratio"] < TARGET_BULK,
    )


def _profiles(
    url: Callable[[str], str],
    backend: str,
    misses: tuple[bool, bool],
    profile: bool | None,
    steps: Sequence[Step],
    cases: Sequence[NewCase],
) -> list[Profile]:
    found = []
    if profile or (profile is None and misses[0]):
        found.append(profile_single(url("single"), steps, backend))
    if profile or (profile is None and misses[1]):
        found.append(profile_bulk(url("bulk"), cases[:PROFILE_CASES], backend))
    return found  # fmt: skip


def main(
    commands: int = 2000,
    bulk_cases: int = 20_000,
    postgres_url: str | None = None,
    *,
    rounds: int = ROUNDS,
    profile: bool | None = None,
) -> dict[str, float]:
    """Measure, print and return the numbers.

    Args:
        commands: Durable single commands per backend.
        bulk_cases: Cases (four events each) bulk-loaded per backend.
        postgres_url: PostgreSQL to measure on; ``None`` takes
            ``DISRUPTION_TEST_POSTGRES_URL``; skipped (with a note) when empty or unset.
        rounds: Interleaved rounds for the single commands (at least 5 for the headline).
        profile: Profile the store's path: ``None`` when a target is missed.

    Returns:
        Every number printed, by name.
    """
    if commands < 1 or bulk_cases < 1 or rounds < 1:
        raise ValueError("commands, bulk_cases and rounds must be at least 1")
    if postgres_url is None:
        postgres_url = os.environ.get("DISRUPTION_TEST_POSTGRES_URL", "")
    rounds = min(rounds, commands)
    saved = structlog.get_config()
    configure("warning")  # an application's production setting, while measuring
    try:
        return _run(commands, bulk_cases, postgres_url, rounds, profile)
    finally:
        structlog.configure(**saved)


def _run(
    commands: int, bulk_cases: int, postgres_url: str, rounds: int, profile: bool | None
) -> dict[str, float]:
    start = time.perf_counter()
    listed = command_list(commands)
    with structlog.testing.capture_logs():
        steps = command_stream(commands)
        cases = bulk_cases_of(bulk_cases)
        profile_steps = command_stream(min(commands, PROFILE_COMMANDS), prefix="Q")
        statements = statements_per_command(steps)
    rows = bulk_rows(cases)
    results: dict[str, float] = {
        "commands": float(commands),
        "command_events": float(sum(len(s.events) for s in steps)),
        "command_cases": float(len({s.case.id for s in steps})),
        "bulk_cases": float(bulk_cases),
        "bulk_events": float(len(rows)),
        "rounds": float(rounds),
        "statements_per_command": statements,
    }
    measured: dict[str, tuple[Measured, Measured]] = {}
    profiles: list[Profile] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-store-") as name:
        folder = Path(name)
        measured["sqlite"] = (
            sqlite_single(folder, steps, listed, rounds),
            sqlite_bulk(folder, cases, rows),
        )
        results |= _numbers("sqlite", *measured["sqlite"])
        misses = _misses(results, "sqlite")
        where = lambda kind: str(folder / f"profile-{kind}.sqlite")  # noqa: E731
        profiles += _profiles(where, "SQLite", misses, profile, profile_steps, cases)
    if not postgres_url:
        notes.append(
            "PostgreSQL skipped: no URL (give --postgres URL or set DISRUPTION_TEST_POSTGRES_URL)."
        )
    else:
        why_not = postgres_reachable(postgres_url)
        if why_not is not None:
            notes.append(f"PostgreSQL skipped: cannot connect ({why_not}).")
        else:
            single = postgres_single(postgres_url, steps, listed, rounds)
            measured["postgres"] = single, postgres_bulk(postgres_url, cases, rows)
            results |= _numbers("postgres", *measured["postgres"])
            misses = _misses(results, "postgres")
            with postgres_schemas(postgres_url, 2) as (one, two):
                schemas = {"single": one, "bulk": two}
                where = lambda kind: scoped(postgres_url, schemas[kind])  # noqa: E731
                profiles += _profiles(where, "PostgreSQL", misses, profile, profile_steps, cases)
    results["run_s"] = time.perf_counter() - start
    print_report(results, measured, profiles, notes)
    return results


# ------------------------------------------------------------------ printing

_HEADERS: Final = ("measure", "disruption", "raw driver", "ratio", "target", "result")
_LABELS: Final = {"sqlite": ("SQLite", "sqlite3"), "postgres": ("PostgreSQL", "psycopg")}


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _rows(r: dict[str, float], backend: str) -> list[tuple[str, str, str, str, str, str]]:
    label = _LABELS[backend][0]

    def n(key: str) -> str:
        return f"{r[f'{backend}_{key}']:,.0f}"

    def x(key: str) -> str:
        return f"{r[f'{backend}_{key}']:.2f}x"

    handle, bulk = r[f"{backend}_handle_ratio"], r[f"{backend}_same_bulk_ratio"]
    # Issue 17 sets the bulk target on SQLite, against the same rows in the same batches.
    bulk_target, bulk_verdict = (
        (f">= {TARGET_BULK:g}x", _verdict(bulk >= TARGET_BULK))
        if backend == "sqlite"
        else ("info", "")
    )
    return [
        (
            f"{label}: Engine.handle durable commands/s (raw: 1 row per tx)",
            n("handle_commands_per_s"), n("raw_commands_per_s"), x("handle_ratio"),
            f">= {TARGET_SINGLE:g}x raw", _verdict(handle >= TARGET_SINGLE),
        ),
        (
            "  against the raw driver writing the same rows in every table",
            n("handle_commands_per_s"), n("same_commands_per_s"), x("handle_same_ratio"),
            "info", "",
        ),
        (
            "  floor: the raw driver writing those same rows, against raw one row",
            n("same_commands_per_s"), n("raw_commands_per_s"), x("floor_ratio"), "info", "",
        ),
        (
            "  the engine alone: Engine.handle on a MemoryStore, same commands",
            n("memory_commands_per_s"), n("raw_commands_per_s"), x("memory_ratio"), "info", "",
        ),
        (
            "  ceiling for the headline: raw / (engine alone + raw), per round",
            "-", "-", x("ceiling_ratio"), "info", "",
        ),
        (
            "  least: the raw driver writing each event row and its case's snapshot row only",
            n("least_commands_per_s"), n("raw_commands_per_s"), x("least_ratio"), "info", "",
        ),
        (
            "  bound for the headline: raw / (engine alone + least), per round",
            "-", "-", x("least_bound_ratio"), "info", "",
        ),
        (
            "  internal: SqlStore.append of commands decided before timing",
            n("commands_per_s"), n("raw_commands_per_s"), x("single_ratio"), "info", "",
        ),
        (
            "  internal: append against the same rows in every table",
            n("commands_per_s"), n("same_commands_per_s"), x("same_single_ratio"), "info", "",
        ),
        (
            f"{label}: bulk load events/s (raw: the same rows, the same batches)",
            n("bulk_events_per_s"), n("same_bulk_events_per_s"), x("same_bulk_ratio"),
            bulk_target, bulk_verdict,
        ),
        (
            "  against the raw driver writing the event rows only, same batches",
            n("bulk_events_per_s"), n("raw_bulk_events_per_s"), x("bulk_ratio"),
            "info", "",
        ),
    ]  # fmt: skip


def _notes(r: dict[str, float], measured: dict[str, tuple[Measured, Measured]]) -> list[str]:
    events_per_case = r["bulk_events"] / r["bulk_cases"]
    notes = [
        f"Durable commands: {int(r['commands']):,} commands ({int(r['command_events']):,} "
        f"events) over {int(r['command_cases']):,} cases, {IN_FLIGHT} cases in flight; each "
        f"case opens, then takes one of four paths: {'; '.join(PATHS)}. The headline: "
        "Engine.handle(command), one transaction per command (load the case, check it, "
        "decide, append, commit), against the raw driver committing the command's event "
        "row in a transaction of its own (SQLite: BEGIN IMMEDIATE; INSERT; COMMIT). The "
        "internal rows append the same commands decided before timing. 'The engine "
        "alone' runs the same commands through Engine.handle on a MemoryStore (no "
        "durability): with the raw driver's commit it bounds the headline (the ceiling: "
        "raw / (engine alone + raw), whatever the store did). Median of "
        f"{int(r['rounds'])} interleaved rounds, the sides taking turns; ratios are the "
        "medians of the rounds' own ratios.",
        "Ours writes more per command than the raw side: besides the event row (with its "
        "hash), the case row (inserted, or updated guarded by its version), the deadlines "
        "the events opened or closed, the position counter (UPDATE ... RETURNING, with the "
        "hash to chain to), the idempotency row in commands, and free text with its child's "
        f"key when there is some: {r['statements_per_command']:.1f} statements per command on "
        "SQLite, BEGIN and COMMIT included (the raw side: 3). On PostgreSQL they go in one "
        "round trip (two with free text, or after another writer moved the position "
        "counter), after one read: the command id and the case's snapshot in one statement "
        "(snapshot_unless_applied). The raw side "
        "writes the event row only (same columns, same JSON text, built before timing) "
        "into a table with the same keys: that is the comparison the issue asks for.",
        f"Bulk load: {int(r['bulk_cases']):,} cases ({int(r['bulk_events']):,} events). Ours: "
        f"bulk_append with batch_size={BATCH:,}, i.e. {BATCH:,} cases (~"
        f"{BATCH * events_per_case:,.0f} events) per transaction, converting events to rows "
        "and chaining their hashes inside the timed region, and writing cases, open "
        "deadlines, free text, positions and commands too (on PostgreSQL with COPY). Raw: "
        f"executemany of the prebuilt event rows, {BATCH:,} rows per transaction. Timed "
        "batch by batch, the sides taking turns; medians over the batches.",
        "Two baselines. 'raw': the raw driver inserting the event rows only, into one table "
        "(issue 17's baseline for single commands: one row per transaction). 'the same rows' "
        "(issue 17's baseline for the SQLite bulk load): the raw driver writing exactly "
        "the rows ours commits (recorded from a scratch run of the store, values included: "
        "positions, hashes, sealed text), one plain statement at a time, one transaction per "
        "command or batch as ours (PostgreSQL single commands: a command's statements in one "
        "round trip, BEGIN and COMMIT included, as ours sends them): what the library costs "
        "over the driver for the same writes (store_replay.py). Against raw, the same rows "
        "are the floor: what a store writing those rows reaches with no code of its own.",
        "'least' (information): the raw driver writing, per command, only what any store "
        "meeting issue 17's item 1 and idempotent command ids must write in the command's "
        "transaction: the event rows (the raw side's, into a table whose command_id is "
        "unique) and the case's snapshot row (the store's own snapshot text; inserted for a "
        "new case, else updated guarded by its version); on PostgreSQL in one round trip. "
        "No deadlines, position counter, hash chain or free text. With the engine alone it "
        "bounds the headline for any store design: raw / (engine alone + least).",
        "For reference the issue measured raw sqlite3 at about 2,400 durable transactions/s "
        "and 105,000 events/s in batches of 1,000, raw psycopg at about 2,000 transactions/s; "
        "absolute figures vary by machine and load, so compare the ratios.",
    ]
    for backend, (single, bulk) in measured.items():
        label = _LABELS[backend][0]
        notes.append(
            f"{label}: settings: {single.settings}; event rows identical "
            f"on every side: {'yes' if single.identical and bulk.identical else 'NO'}."
        )
    return notes


def _profile_lines(p: Profile, r: dict[str, float]) -> list[str]:
    per = 1e3 if p.unit == "command" else 1e6
    unit = "ms" if p.unit == "command" else "us"
    lines = [
        f"profile (cProfile, which inflates Python time) of {p.title}: "
        f"{p.total / p.units * per:.2f} {unit} per {p.unit}"
    ]
    backend = "sqlite" if p.title.startswith("SQLite") else "postgres"
    if p.unit == "command":
        raw = 1 / r[f"{backend}_raw_commands_per_s"]
        lines.append(
            f"  budget: the raw driver takes {raw * per:.2f} {unit} per command; at "
            f"{TARGET_SINGLE:g}x ours may take {raw / TARGET_SINGLE * per:.2f} {unit} "
            f"(measured without profiling: {1 / r[f'{backend}_commands_per_s'] * per:.2f}; "
            f"through Engine.handle: {1 / r[f'{backend}_handle_commands_per_s'] * per:.2f})"
        )
    else:
        raw = 1 / r[f"{backend}_raw_bulk_events_per_s"]
        lines.append(
            f"  budget: the raw driver takes {raw * per:.1f} {unit} per event; at "
            f"{TARGET_BULK:g}x ours may take {raw / TARGET_BULK * per:.1f} {unit} "
            f"(measured without profiling: {1 / r[f'{backend}_bulk_events_per_s'] * per:.1f})"
        )
    for what, seconds in p.parts:
        share = seconds / p.total if p.total else 0.0
        lines.append(f"  {what}: {seconds / p.units * per:.2f} {unit} per {p.unit} ({share:.0%})")
    lines.append("  top functions by own time:")
    for name, seconds, calls in p.top:
        lines.append(
            f"    {seconds / p.units * per:8.3f} {unit}/{p.unit}  {calls:>8,} calls  {name}"
        )
    return lines


def print_report(
    r: dict[str, float],
    measured: dict[str, tuple[Measured, Measured]],
    profiles: Sequence[Profile],
    notes: Sequence[str],
) -> None:
    """Print the numbers: a rich table on a terminal, plain lines otherwise."""
    title = (
        f"disruption store benchmark: {int(r['commands']):,} durable single commands, "
        f"{int(r['bulk_events']):,} events bulk-loaded"
    )
    rows = [row for backend in measured for row in _rows(r, backend)]
    lines = [*_notes(r, measured), *notes, f"Whole run: {r['run_s']:.0f} s."]
    profile_lines = [line for p in profiles for line in _profile_lines(p, r)]
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table(*_HEADERS, title=title)
        for row in rows:
            table.add_row(*row, style={"FAIL": "red", "PASS": "green"}.get(row[5]))
        console = Console()
        console.print(table)
        for note in lines:
            console.print(f"- {note}", highlight=False)
        for line in profile_lines:
            console.print(line, highlight=False, markup=False)
        return
    print(title)
    for name, ours, raw, ratio, target, verdict in rows:
        print(f"{name}: {ours} | raw {raw} | ratio {ratio} | target {target} {verdict}".rstrip())
    for note in lines:
        print(f"- {note}")
    for line in profile_lines:
        print(line)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--commands",
        type=int,
        default=2000,
        metavar="N",
        help="durable single commands per backend (default 2,000)",
    )
    parser.add_argument(
        "--bulk-cases",
        type=int,
        default=20_000,
        metavar="N",
        help="cases of four events bulk-loaded per backend (default 20,000)",
    )
    parser.add_argument(
        "--postgres",
        default=None,
        metavar="URL",
        help="PostgreSQL URL (default: DISRUPTION_TEST_POSTGRES_URL; skipped when neither)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=ROUNDS,
        help=f"interleaved rounds for single commands (default {ROUNDS})",
    )
    parser.add_argument(
        "--profile",
        choices=("auto", "always", "never"),
        default="auto",
        help="profile the store's path: when a target is missed (auto), always or never",
    )
    parser.add_argument("--quick", action="store_true", help=f"small numbers: {QUICK}")
    args = parser.parse_args()
    if args.quick:
        args.commands, args.bulk_cases, args.rounds = (
            QUICK["commands"],
            QUICK["bulk_cases"],
            QUICK["rounds"],
        )
    main(
        args.commands,
        args.bulk_cases,
        args.postgres,
        rounds=args.rounds,
        profile={"auto": None, "always": True, "never": False}[args.profile],
    )  # fmt: skip
