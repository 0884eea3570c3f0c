"""What the least a durable command must write costs, against the raw driver's one-row insert.

The store benchmark's first baseline is the raw driver inserting one event row per
transaction (``bench_store.py``). A command must also, in the same transaction (issue 3,
item 2; issue 7 for the chain): move its case's version, guarded by the version it was
decided on; take its place in the global order from the position counter; record its
idempotency key; and chain its event's hash to the event before. This script measures those
writes alone, with everything else stripped: no deadlines, no free text, rows prebuilt, no
library code; on PostgreSQL in **one** round trip (a PL/pgSQL function computing the hash
server-side, ``BEGIN; SELECT f(...); COMMIT`` in one message). What it measures is a floor:
no implementation of the issue's guarantees can write a command faster on this machine.

Run: ``python benchmarks/store_floor.py [--commands N] [--postgres URL]``.
"""

from __future__ import annotations

import argparse
import gc
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Final

__all__ = ["main"]

DEFAULT_POSTGRES: Final = "postgresql://postgres@127.0.0.1:5432/test"
DATA: Final = '{"category":"carer_difficulty","raised_by":"carer","note":"' + "x" * 200 + '"}'
CASES: Final = 50

_TABLES: Final = (
    "CREATE TABLE cases (id TEXT PRIMARY KEY, state TEXT NOT NULL, version INTEGER NOT NULL)",
    "CREATE TABLE positions (id INTEGER PRIMARY KEY, last BIGINT NOT NULL)",
    "CREATE TABLE events (position BIGINT PRIMARY KEY, case_id TEXT NOT NULL, "
    "seq INTEGER NOT NULL, data TEXT NOT NULL, hash TEXT NOT NULL, UNIQUE (case_id, seq))",
    "CREATE TABLE commands (id TEXT PRIMARY KEY, case_id TEXT NOT NULL, "
    "first_position BIGINT NOT NULL, last_position BIGINT NOT NULL)",
    "CREATE TABLE raw_events (position BIGINT PRIMARY KEY, case_id TEXT NOT NULL, "
    "seq INTEGER NOT NULL, data TEXT NOT NULL, UNIQUE (case_id, seq))",
)

_FUNCTION: Final = """
CREATE FUNCTION append_one(p_case text, p_version int, p_data text, p_command text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE v_last bigint; v_previous text;
BEGIN
  UPDATE cases SET state = 'next', version = p_version + 1
   WHERE id = p_case AND version = p_version;
  IF NOT FOUND THEN RAISE EXCEPTION 'stale'; END IF;
  UPDATE positions SET last = last + 1 WHERE id = 1 RETURNING last INTO v_last;
  SELECT hash INTO v_previous FROM events WHERE position = v_last - 1;
  INSERT INTO events VALUES (v_last, p_case, p_version + 1, p_data,
    encode(sha256(convert_to(coalesce(v_previous, '') || p_data, 'UTF8')), 'hex'));
  INSERT INTO commands VALUES (p_command, p_case, v_last, v_last);
  RETURN v_last;
END $$"""


def _interleaved(
    n: int, least: Callable[[int], None], raw: Callable[[int], None], rounds: int = 10
) -> tuple[float, float]:
    """Seconds for ``n`` steps of each side, in rounds that alternate who goes first."""
    totals = [0.0, 0.0]
    sides = [least, raw]
    for r in range(rounds):
        block = range(n * r // rounds, n * (r + 1) // rounds)
        for k in (0, 1) if r % 2 == 0 else (1, 0):
            start = time.perf_counter()
            for i in block:
                sides[k](i)
            totals[k] += time.perf_counter() - start
    return totals[0], totals[1]


_SEED: Final = [(f"P-{c}",) for c in range(CASES)]
_UPDATE: Final = "UPDATE cases SET state = 'next', version = ? WHERE id = ? AND version = ?"


def sqlite_floor(commands: int) -> tuple[float, float]:
    """Seconds for ``commands`` durable transactions: the least writes, and the raw insert."""
    import hashlib

    with tempfile.TemporaryDirectory() as folder:
        conn = sqlite3.connect(Path(folder) / "floor.sqlite", isolation_level=None)
        conn.execute("PRAGMA synchronous=FULL")
        for ddl in _TABLES:
            conn.execute(ddl)
        conn.execute("INSERT INTO positions VALUES (1, 0)")
        conn.executemany(
            "INSERT INTO cases VALUES (?, 'open', 0)", [(f"P-{c}",) for c in range(CASES)]
        )
        previous = [""]

        def least(i: int) -> None:
            case, version = f"P-{i % CASES}", i // CASES
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(_UPDATE, (version + 1, case, version))
            ((last, before),) = conn.execute(
                "UPDATE positions SET last = last + 1 WHERE id = 1 RETURNING last, "
                "(SELECT hash FROM events WHERE position = positions.last - 1)"
            ).fetchall()
            digest = hashlib.sha256(((before or "") + DATA).encode()).hexdigest()
            conn.execute(
                "INSERT INTO events VALUES (?, ?, ?, ?, ?)", (last, case, version + 1, DATA, digest)
            )
            conn.execute("INSERT INTO commands VALUES (?, ?, ?, ?)", (f"c-{i}", case, last, last))
            conn.execute("COMMIT")
            previous[0] = digest

        def raw(i: int) -> None:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT INTO raw_events VALUES (?, ?, ?, ?)",
                (i + 1, f"P-{i % CASES}", i // CASES + 1, DATA),
            )
            conn.execute("COMMIT")

        result = _interleaved(commands, least, raw)
        conn.close()
    return result


def postgres_floor(url: str, commands: int) -> tuple[float, float]:
    """As :func:`sqlite_floor`, on PostgreSQL: one round trip for the least writes."""
    import psycopg

    schema = f"floor_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        with psycopg.connect(url, autocommit=True, options=f"-c search_path={schema}") as conn:
            for ddl in (*_TABLES, _FUNCTION):
                conn.execute(ddl)
            conn.execute("INSERT INTO positions VALUES (1, 0)")
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO cases VALUES (%s, 'open', 0)", [(f"P-{c}",) for c in range(CASES)]
                )
            client = psycopg.ClientCursor(conn)
            raw_conn = psycopg.connect(url, options=f"-c search_path={schema}")

            def least(i: int) -> None:
                client.execute("BEGIN; SELECT append_one(%s, %s, %s, %s); COMMIT",
                               (f"P-{i % CASES}", i // CASES, DATA, f"c-{i}"))  # fmt: skip

            def raw(i: int) -> None:
                raw_conn.execute("INSERT INTO raw_events VALUES (%s, %s, %s, %s)",
                                 (i + 1, f"P-{i % CASES}", i // CASES + 1, DATA))  # fmt: skip
                raw_conn.commit()

            result = _interleaved(commands, least, raw)
            raw_conn.close()
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")
    return result


def sqlite_bulk_floor(count: int, batch: int = 250) -> tuple[float, float, float]:
    """Seconds per event for a SQLite bulk load of ``count`` workload cases, ``batch`` a time.

    Returns:
        The least database work (the event rows with their hashes, the commands and cases
        rows, prebuilt), the conversion every load does in Python (events to rows and the
        chain, with the store's own functions, no database), and the raw driver inserting
        the same event rows only (without the hash).
    """
    import structlog
    from store_workload import bulk_cases_of

    from disruption.store.sql.audit import GENESIS
    from disruption.store.sql.event_rows import chained_values
    from disruption.store.sql.rows import command_values

    with structlog.testing.capture_logs():
        cases = bulk_cases_of(count)
    events = [e for c in cases for e in c.events]
    gc.disable()  # as in bench_store.py's timed regions
    try:
        start = time.perf_counter()
        rows = chained_values(events, 1, GENESIS)
        commands = command_values(events, 1)
        converting = time.perf_counter() - start
    finally:
        gc.enable()
    offsets = [0]
    for case in cases:
        offsets.append(offsets[-1] + len(case.events))
    with tempfile.TemporaryDirectory() as folder:
        conn = sqlite3.connect(Path(folder) / "bulk.sqlite", isolation_level=None)
        conn.execute("PRAGMA synchronous=FULL")
        for ddl in _BULK_TABLES:
            conn.execute(ddl)
        least = raw = 0.0
        for k in range(0, len(cases), batch):
            a, b = offsets[k], offsets[min(k + batch, len(cases))]
            case_rows = [(c.case.id, c.case.state, c.case.version) for c in cases[k : k + batch]]
            start = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT INTO cases VALUES (?, ?, ?)", case_rows)
            conn.executemany(f"INSERT INTO events VALUES ({', '.join('?' * 16)})", rows[a:b])
            conn.executemany("INSERT INTO commands VALUES (?, ?, ?, ?)", commands[a:b])
            conn.execute("COMMIT")
            least += time.perf_counter() - start
            start = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            raw_rows = [r[:15] for r in rows[a:b]]
            conn.executemany(f"INSERT INTO raw_events VALUES ({', '.join('?' * 15)})", raw_rows)
            conn.execute("COMMIT")
            raw += time.perf_counter() - start
        conn.close()
    n = len(rows)
    return least / n, converting / n, raw / n


_EVENT_COLUMNS: Final = (
    "position INTEGER PRIMARY KEY, case_id TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT, "
    "command TEXT, command_id TEXT, at TEXT, recorded_at TEXT, actor_id TEXT, actor_role TEXT, "
    "from_state TEXT, to_state TEXT, data TEXT, deadlines TEXT, schema_version INTEGER"
)
_BULK_TABLES: Final = (
    "CREATE TABLE cases (id TEXT PRIMARY KEY, state TEXT NOT NULL, version INTEGER NOT NULL)",
    f"CREATE TABLE events ({_EVENT_COLUMNS}, hash TEXT, UNIQUE (case_id, seq))",
    "CREATE TABLE commands (id TEXT PRIMARY KEY, case_id TEXT NOT NULL, "
    "first_position INTEGER NOT NULL, last_position INTEGER NOT NULL)",
    f"CREATE TABLE raw_events ({_EVENT_COLUMNS}, UNIQUE (case_id, seq))",
)


def main(
    commands: int = 1000, postgres_url: str | None = None, bulk_cases: int = 4000
) -> dict[str, float]:
    """Measure and print the floors; return the ratios (least writes / raw insert, as rates).

    Args:
        commands: Durable transactions per side.
        bulk_cases: Workload cases (four events each) for the SQLite bulk-load floor.
        postgres_url: PostgreSQL to measure on (``""`` skips it; ``None`` takes
            ``DISRUPTION_TEST_POSTGRES_URL`` or the local default).

    Returns:
        ``sqlite_floor_ratio``, ``sqlite_bulk_floor_ratio`` and, when measured,
        ``postgres_floor_ratio``.
    """
    if postgres_url is None:
        postgres_url = os.environ.get("DISRUPTION_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    results: dict[str, float] = {}
    measured = {"sqlite": sqlite_floor(commands)}
    if postgres_url:
        measured["postgres"] = postgres_floor(postgres_url, commands)
    for name, (least, raw) in measured.items():
        results[f"{name}_floor_ratio"] = raw / least
        print(f"{name}: the least a command writes {commands / least:,.0f}/s, raw one-row insert "
              f"{commands / raw:,.0f}/s: at most {raw / least:.2f}x")  # fmt: skip
    writing, converting, raw = sqlite_bulk_floor(bulk_cases)
    results["sqlite_bulk_floor_ratio"] = raw / (writing + converting)
    print(f"sqlite bulk load: the least rows written {writing * 1e6:.1f} us/event + events "
          f"converted and chained {converting * 1e6:.1f} us/event, raw event rows "
          f"{raw * 1e6:.1f} us/event: at most {raw / (writing + converting):.2f}x")  # fmt: skip
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=1000, metavar="N")
    parser.add_argument("--postgres", default=None, metavar="URL")
    arguments = parser.parse_args()
    main(arguments.commands, arguments.postgres)
    sys.exit(0)
