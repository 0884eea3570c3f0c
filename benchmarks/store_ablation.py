"""What each of a durable command's writes costs: the store's rows replayed, a table left out.

``bench_store.py`` replays every row the store writes for a command with the raw driver (the
floor). This script replays the same recorded transactions again with the writes to one
table left out at a time (the position counter, the idempotency rows in ``commands``, the
deadlines, ...), each on a database of its own, in interleaved rounds against the raw
one-row insert: how much of the floor each table's writes take. No variant is a store one
could ship (each drops a guarantee: the counter is the tail anchor of the tamper-evident
chain, ``commands`` the idempotency of command ids, ``deadlines`` what the sweep reads); it
says where the floor comes from.

On PostgreSQL a command's statements go in one round trip, as the store sends them; the
counter is written by the statement that also writes the case (``WITH written AS (...)
UPDATE positions ...``), so leaving it out keeps that statement's case write.

Run: ``python benchmarks/store_ablation.py [--commands N] [--rounds N] [--postgres URL]``.
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, Final

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_store
from store_replay import Statement, Transaction, postgres_batched, sqlite_replay
from store_workload import command_stream, insert_sql, raw_ddl, rows_per_step

from disruption.store.sql.store import SqlStore

__all__ = ["VARIANTS", "main", "without"]

_WRITES: Final = r"^(INSERT INTO|UPDATE|DELETE FROM|SELECT .* FROM) "
_GUARDED: Final = re.compile(r"^WITH written AS \((?P<write>.*?) RETURNING 1\) UPDATE positions ")
_WITH_COMMAND: Final = re.compile(r"^WITH inserted AS \((?P<events>.*)\) INSERT INTO commands ")
_COMMAND_VALUES: Final = 4
"""Parameters of a ``commands`` row (id, case, first and last position)."""


def _unguarded(statement: Statement) -> list[Statement]:
    """A PostgreSQL statement without its position counter: the case write it guards only."""
    many, sql, params = statement
    if sql.startswith("SELECT hash FROM events"):
        return []  # the previous hash, read for the counter
    guarded = _GUARDED.match(sql)
    if guarded is None:
        return [statement]
    write = guarded["write"]
    return [(many, write, tuple(params)[: write.count("?")])]


def _uncommanded(statement: Statement) -> list[Statement]:
    """A PostgreSQL statement inserting events and a ``commands`` row, without the latter."""
    many, sql, params = statement
    found = _WITH_COMMAND.match(sql)
    if found is None:
        return [statement]
    return [(many, found["events"], tuple(params)[:-_COMMAND_VALUES])]


def without(transactions: Sequence[Transaction], *tables: str) -> list[Transaction]:
    """The transactions with every write to ``tables`` left out (the reads they need too).

    Args:
        transactions: Recorded transactions (``store_replay.recording``).
        tables: ``positions``, ``commands``, ``deadlines``, ``cases`` or ``child_keys``.

    Returns:
        The transactions, each statement to those tables dropped (on PostgreSQL the counter
        and the ``commands`` row taken out of the statements that carry them).
    """
    plain = re.compile(_WRITES + f"({'|'.join(tables)})\\b") if tables else None
    kept: list[Transaction] = []
    for transaction in transactions:
        statements: list[Statement] = []
        for statement in transaction:
            parts = [statement]
            if "positions" in tables:
                parts = [p for s in parts for p in _unguarded(s)]
            if "commands" in tables:
                parts = [p for s in parts for p in _uncommanded(s)]
            statements += [s for s in parts if plain is None or not plain.search(s[1])]
        kept.append(statements)
    return kept


VARIANTS: Final[dict[str, tuple[str, ...]]] = {
    "every row the store writes (the floor)": (),
    "without the position counter": ("positions",),
    "without the idempotency rows (commands)": ("commands",),
    "without the deadlines": ("deadlines",),
    "without the counter, commands and deadlines": ("positions", "commands", "deadlines"),
}
"""Each variant: what it leaves out."""


def _interleaved(
    runners: dict[str, Callable[[int, int], None]], n: int, rounds: int
) -> dict[str, float]:
    """Commands per second of each runner: the median of ``rounds`` interleaved rounds."""
    rates: dict[str, list[float]] = {name: [] for name in runners}
    bounds = bench_store.even_bounds(n, rounds)
    names = list(runners)
    for r in range(rounds):
        a, b = bounds[r], bounds[r + 1]
        turn = r % len(names)
        for name in names[turn:] + names[:turn]:
            rates[name].append((b - a) / bench_store.timed(partial(runners[name], a, b)))
    return {name: statistics.median(found) for name, found in rates.items()}


def _closing(
    connections: Sequence[Any],
    runners: dict[str, Callable[[int, int], None]],
    n: int,
    rounds: int,
) -> dict[str, float]:
    """:func:`_interleaved`, then every variant's connection closed."""
    try:
        return _interleaved(runners, n, rounds)
    finally:
        for conn in connections:
            conn.close()


def _sqlite_slice(conn: sqlite3.Connection, kept: Sequence[Transaction], a: int, b: int) -> None:
    sqlite_replay(conn, kept[a:b])


def _postgres_slice(conn: Any, kept: Sequence[Transaction], a: int, b: int) -> None:
    postgres_batched(conn, kept[a:b])


def sqlite_ablation(commands: int, rounds: int) -> dict[str, float]:
    """Commands per second on SQLite files: the raw one-row insert and every variant."""
    steps = command_stream(commands)
    transactions = bench_store.recorded_single(":memory:", steps)
    rows = rows_per_step(steps)
    insert = insert_sql("?")
    with tempfile.TemporaryDirectory(prefix="store-ablation-") as name:
        folder = Path(name)
        settings = {"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1"}
        raw = bench_store.sqlite_raw(folder / "raw.sqlite", settings)
        raw.execute(raw_ddl("INTEGER"))
        connections: list[sqlite3.Connection] = [raw]

        def raw_run(a: int, b: int) -> None:
            for command_rows in rows[a:b]:
                raw.execute("BEGIN IMMEDIATE")
                raw.executemany(insert, command_rows)
                raw.execute("COMMIT")

        runners: dict[str, Callable[[int, int], None]] = {"raw": raw_run}
        for i, (label, tables) in enumerate(VARIANTS.items()):
            path = folder / f"variant-{i}.sqlite"
            SqlStore(str(path)).close()
            conn = bench_store.sqlite_raw(path, settings)
            connections.append(conn)
            kept = without(transactions, *tables)
            runners[label] = partial(_sqlite_slice, conn, kept)
        return _closing(connections, runners, len(steps), rounds)


def postgres_ablation(url: str, commands: int, rounds: int) -> dict[str, float]:
    """As :func:`sqlite_ablation`, on PostgreSQL (a command's statements in one round trip)."""
    import psycopg

    steps = command_stream(commands)
    rows = rows_per_step(steps)
    insert = insert_sql("%s")
    record = partial(bench_store.recorded_single, steps=steps)
    with (
        bench_store.postgres_sides(url, record) as sides,
        bench_store.postgres_schemas(url, len(VARIANTS)) as schemas,
    ):
        raw = sides.raw
        connections: list[Any] = []

        def raw_run(a: int, b: int) -> None:
            with raw.cursor() as cursor:
                for command_rows in rows[a:b]:
                    if len(command_rows) == 1:  # as bench_store.py's raw side sends it
                        cursor.execute(insert, command_rows[0])
                    else:
                        cursor.executemany(insert, command_rows)
                    raw.commit()

        runners: dict[str, Callable[[int, int], None]] = {"raw": raw_run}
        for schema, (label, tables) in zip(schemas, VARIANTS.items(), strict=True):
            scoped = bench_store.scoped(url, schema)
            SqlStore(scoped).close()
            conn = psycopg.connect(scoped, autocommit=True)
            connections.append(conn)
            kept = without(sides.transactions, *tables)
            runners[label] = partial(_postgres_slice, conn, kept)
        return _closing(connections, runners, len(steps), rounds)


def _print(backend: str, rates: dict[str, float]) -> None:
    raw = rates["raw"]
    print(f"{backend}: the raw one-row insert {raw:,.0f} commands/s")
    for label in VARIANTS:
        print(f"  {label}: {rates[label]:,.0f}/s, {rates[label] / raw:.2f}x raw")


def main(commands: int = 2000, rounds: int = 8, postgres_url: str = "") -> dict[str, float]:
    """Measure and print every variant on SQLite (and PostgreSQL when a URL is given).

    Returns:
        Each variant's ratio to the raw one-row insert, by ``backend: label``.
    """
    if commands < rounds or rounds < 1:
        raise ValueError("need at least one round and a command per round")
    start = time.perf_counter()
    results: dict[str, dict[str, float]] = {"SQLite": sqlite_ablation(commands, rounds)}
    if postgres_url:
        results["PostgreSQL"] = postgres_ablation(postgres_url, commands, rounds)
    for backend, rates in results.items():
        _print(backend, rates)
    print(
        f"{commands:,} commands, median of {rounds} interleaved rounds; "
        f"whole run {time.perf_counter() - start:.0f} s."
    )
    return {
        f"{backend}: {label}": rates[label] / rates["raw"]
        for backend, rates in results.items()
        for label in VARIANTS
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--commands", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--postgres", default="", metavar="URL")
    args = parser.parse_args()
    main(args.commands, args.rounds, args.postgres)
