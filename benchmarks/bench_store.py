"""The durable store against the raw drivers, in one run.

Prints, for SQLite (``synchronous=FULL``) and PostgreSQL (default settings):

- durable single commands per second: ``SqlStore.append`` of one command per transaction,
  against the raw driver inserting the same event rows, one transaction each;
- events per second for bulk load: ``SqlStore.bulk_append`` in batches of 1,000 cases,
  against the raw driver's ``executemany`` of the same event rows in batches of 1,000 rows;

and the ratios (ours / raw), with the issue's targets: single commands at least 0.7x, bulk at
least 0.5x. Our side writes more than the raw side: with each command the case row, its
deadlines, the position counter and the idempotency row; with each bulk case, those and the
rows' conversion from events. The raw side gets its rows built before the clock starts.

Run: ``python benchmarks/bench_store.py [--commands N] [--bulk-cases N] [--postgres URL]``
(PostgreSQL from ``DISRUPTION_TEST_POSTGRES_URL`` or the local default; ``--postgres ''``
skips it).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import structlog

from disruption.calendar import DEFAULT_CALENDAR
from disruption.commands import Command
from disruption.decide import Decision, decide
from disruption.model import Actor, Case
from disruption.standard import STANDARD
from disruption.store.base import NewCase
from disruption.store.rows import event_rows
from disruption.store.sql import SqlStore

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
T0 = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
SW = Actor("sw-1", "social_worker")
TM = Actor("tm-1", "team_manager")
COLUMNS = (
    "position", "case_id", "seq", "type", "command", "command_id", "at", "recorded_at",
    "actor_id", "actor_role", "from_state", "to_state", "data", "deadlines", "schema_version",
)  # fmt: skip
RAW_DDL = (
    "CREATE TABLE raw_events (position BIGINT PRIMARY KEY, case_id TEXT NOT NULL, "
    "seq INTEGER NOT NULL, type TEXT NOT NULL, command TEXT NOT NULL, command_id TEXT, "
    "at TEXT NOT NULL, recorded_at TEXT NOT NULL, actor_id TEXT NOT NULL, "
    "actor_role TEXT NOT NULL, from_state TEXT, to_state TEXT NOT NULL, data TEXT NOT NULL, "
    "deadlines TEXT NOT NULL, schema_version INTEGER NOT NULL, UNIQUE (case_id, seq))"
)


@attrs.frozen
class Step:
    """One decided command, ready to append."""

    case: Case
    decision: Decision
    expected_version: int


def _steps_of_case(n: int) -> list[tuple[str, Actor, dict[str, Any]]]:
    return [
        ("open_case", SW, {"child": f"C-{n}", "placement": {
            "id": f"PL-{n}", "type": "U1" if n % 3 else "K2", "provider": "PR1",
            "start": "2025-01-06", "location": "in_borough"}}),
        ("raise_concern", SW, {"category": "carer_difficulty", "raised_by": "carer"}),
        ("offer_support", TM, {"support": ["extra_visits", "respite"]}),
        ("stabilise", TM, {}),
    ]  # fmt: skip


def decided(commands: int) -> list[Step]:
    """Decide ``commands`` commands over ``commands / 4`` cases, outside any timing."""
    steps: list[Step] = []
    for n in range((commands + 3) // 4):
        case: Case | None = None
        for k, (name, actor, data) in enumerate(_steps_of_case(n)):
            at = T0 + timedelta(days=n % 200, minutes=k)
            command = Command(
                case=f"P-{n:06d}", name=name, at=at, actor=actor, data=data, id=f"cmd-{n}-{k}"
            )
            decision = decide(STANDARD, case, command, calendar=DEFAULT_CALENDAR, recorded_at=at)
            steps.append(Step(decision.case, decision, 0 if case is None else case.version))
            case = decision.case
    return steps[:commands]


def new_cases(steps: Sequence[Step]) -> list[NewCase]:
    """Group decided steps into whole cases for bulk loading."""
    by_case: dict[str, list[Step]] = {}
    for step in steps:
        by_case.setdefault(step.case.id, []).append(step)
    return [
        NewCase(
            s[-1].case,
            tuple(e for x in s for e in x.decision.events),
            tuple(t for x in s for t in x.decision.texts),
        )
        for s in by_case.values()
    ]


def _rows(steps: Sequence[Step]) -> list[list[tuple[Any, ...]]]:
    rows, position = [], 1
    for step in steps:
        built = event_rows(step.decision.events, position)
        position += len(built)
        rows.append([tuple(r[c] for c in COLUMNS) for r in built])
    return rows


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# ------------------------------------------------------------------ our store


def ours_single(url: str, steps: Sequence[Step]) -> float:
    """Seconds to append every step, one durable transaction each."""
    store = SqlStore(url)
    try:

        def run() -> None:
            for s in steps:
                store.append(
                    s.case, s.decision.events, s.decision.texts, expected_version=s.expected_version
                )

        return _timed(run)
    finally:
        store.close()


def ours_bulk(url: str, cases: Sequence[NewCase]) -> float:
    """Seconds to bulk-load the cases in batches of 1,000."""
    store = SqlStore(url)
    try:
        return _timed(lambda: store.bulk_append(cases, batch_size=1000))
    finally:
        store.close()


# ------------------------------------------------------------------ raw drivers

_INSERT = f"INSERT INTO raw_events ({', '.join(COLUMNS)}) VALUES "


def raw_sqlite_single(path: Path, rows: Sequence[list[tuple[Any, ...]]]) -> float:
    """Raw sqlite3, synchronous=FULL, one transaction per command."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(RAW_DDL)
    sql = _INSERT + "(" + ", ".join("?" * len(COLUMNS)) + ")"

    def run() -> None:
        for command_rows in rows:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(sql, command_rows)
            conn.execute("COMMIT")

    try:
        return _timed(run)
    finally:
        conn.close()


def raw_sqlite_bulk(path: Path, rows: Sequence[tuple[Any, ...]]) -> float:
    """Raw sqlite3 executemany in batches of 1,000 rows, one transaction each."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(RAW_DDL)
    sql = _INSERT + "(" + ", ".join("?" * len(COLUMNS)) + ")"

    def run() -> None:
        for i in range(0, len(rows), 1000):
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(sql, rows[i : i + 1000])
            conn.execute("COMMIT")

    try:
        return _timed(run)
    finally:
        conn.close()


def raw_postgres(url: str, batches: Sequence[Sequence[tuple[Any, ...]]]) -> float:
    """Raw psycopg: one transaction per batch (a command's rows, or 1,000 rows)."""
    import psycopg

    sql = _INSERT + "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
    with psycopg.connect(url) as conn:
        conn.execute(RAW_DDL)
        conn.commit()

        def run() -> None:
            for batch in batches:
                with conn.cursor() as cur:
                    cur.executemany(sql, batch)
                conn.commit()

        return _timed(run)


@contextmanager
def postgres_schema(url: str) -> Iterator[tuple[str, str]]:
    """A fresh schema: (URL for SqlStore, URL for psycopg); dropped afterwards."""
    import psycopg

    name = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    sep = "&" if "?" in url else "?"
    scoped = f"{url}{sep}options=-csearch_path%3D{name}"
    try:
        yield scoped, scoped
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {name} CASCADE")


# ------------------------------------------------------------------ the run


def _measure_sqlite(
    folder: Path, steps: Sequence[Step], bulk: Sequence[NewCase], bulk_rows: list[tuple[Any, ...]]
) -> dict[str, float]:
    rows = _rows(steps)
    n_events = sum(len(r) for r in rows)
    ours = ours_single(str(folder / "ours.sqlite"), steps)
    raw = raw_sqlite_single(folder / "raw.sqlite", rows)
    ours_b = ours_bulk(str(folder / "ours-bulk.sqlite"), bulk)
    raw_b = raw_sqlite_bulk(folder / "raw-bulk.sqlite", bulk_rows)
    return _numbers("sqlite", len(steps), n_events, ours, raw, len(bulk_rows), ours_b, raw_b)


def _measure_postgres(
    url: str, steps: Sequence[Step], bulk: Sequence[NewCase], bulk_rows: list[tuple[Any, ...]]
) -> dict[str, float]:
    rows = _rows(steps)
    with postgres_schema(url) as (store_url, raw_url):
        ours = ours_single(store_url, steps)
        raw = raw_postgres(raw_url, rows)
    with postgres_schema(url) as (store_url, raw_url):
        ours_b = ours_bulk(store_url, bulk)
        raw_b = raw_postgres(
            raw_url, [bulk_rows[i : i + 1000] for i in range(0, len(bulk_rows), 1000)]
        )
    n_events = sum(len(r) for r in rows)
    return _numbers("postgres", len(steps), n_events, ours, raw, len(bulk_rows), ours_b, raw_b)


def _numbers(
    backend: str,
    commands: int,
    events: int,
    ours: float,
    raw: float,
    bulk_events: int,
    ours_b: float,
    raw_b: float,
) -> dict[str, float]:
    del events
    return {
        f"{backend}_commands_per_s": commands / ours,
        f"{backend}_raw_commands_per_s": commands / raw,
        f"{backend}_single_ratio": raw / ours,
        f"{backend}_bulk_events_per_s": bulk_events / ours_b,
        f"{backend}_raw_bulk_events_per_s": bulk_events / raw_b,
        f"{backend}_bulk_ratio": raw_b / ours_b,
    }


def main(
    commands: int = 2000, bulk_cases: int = 20_000, postgres_url: str | None = None
) -> dict[str, float]:
    """Measure and print; return the numbers.

    Args:
        commands: Durable single commands per backend.
        bulk_cases: Cases (4 events each) to bulk-load per backend.
        postgres_url: PostgreSQL to measure on; ``""`` skips it, ``None`` takes
            ``DISRUPTION_TEST_POSTGRES_URL`` or the local default.

    Returns:
        Every number printed.
    """
    if postgres_url is None:
        postgres_url = os.environ.get("DISRUPTION_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    with structlog.testing.capture_logs():
        steps = decided(commands)
        bulk = new_cases(decided(bulk_cases * 4))
    bulk_rows = [
        tuple(r[c] for c in COLUMNS) for r in event_rows((e for c in bulk for e in c.events), 1)
    ]
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        results |= _measure_sqlite(Path(folder), steps, bulk, bulk_rows)
    if postgres_url:
        results |= _measure_postgres(postgres_url, steps, bulk, bulk_rows)
    _print(results, commands, len(bulk_rows))
    return results


def _print(r: dict[str, float], commands: int, bulk_events: int) -> None:
    print(
        f"disruption store benchmark: {commands:,} durable single commands, "
        f"{bulk_events:,} events bulk-loaded"
    )
    for backend in ("sqlite", "postgres"):
        if f"{backend}_single_ratio" not in r:
            continue
        single, bulk = r[f"{backend}_single_ratio"], r[f"{backend}_bulk_ratio"]
        print(
            f"{backend}: durable commands/s {r[f'{backend}_commands_per_s']:,.0f} | raw "
            f"{r[f'{backend}_raw_commands_per_s']:,.0f} | ratio {single:.2f}x | target "
            f">= 0.7x {'PASS' if single >= 0.7 else 'FAIL'}"
        )
        print(
            f"{backend}: bulk events/s {r[f'{backend}_bulk_events_per_s']:,.0f} | raw "
            f"{r[f'{backend}_raw_bulk_events_per_s']:,.0f} | ratio {bulk:.2f}x | target "
            f">= 0.5x {'PASS' if bulk >= 0.5 else 'FAIL'}"
        )
    print(
        "- ours writes per command: event rows, case row, deadlines, position counter, "
        "idempotency row; raw: the event rows only, built before timing."
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=2000)
    parser.add_argument("--bulk-cases", type=int, default=20_000)
    parser.add_argument("--postgres", default=None)
    args = parser.parse_args()
    main(args.commands, args.bulk_cases, args.postgres)
