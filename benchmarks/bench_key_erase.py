"""Time erasing a key from a key store of N keys (SQLite file, or PostgreSQL).

Usage: ``python benchmarks/bench_key_erase.py [POSTGRES_URL] [N]``: makes N keys in a fresh
SQLite key store and, given a URL, in a fresh schema of that PostgreSQL database, then erases
10 children from each and prints the median time of one erasure (with its range). On
PostgreSQL an erasure rewrites the key table (see ``disruption.store.sql.key_store``).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from disruption.store.sql.key_store import SqlKeyStore


def _erase_times(target: str, n: int) -> list[float]:
    keys = SqlKeyStore(target)
    try:
        keys.keys_for(f"C-{i}" for i in range(n))
        times = []
        for i in range(0, 50, 5):
            started = time.perf_counter()
            keys.erase(f"C-{i}")
            times.append(time.perf_counter() - started)
        return times
    finally:
        keys.close()


def _show(name: str, n: int, times: list[float]) -> None:
    ms = [1000 * t for t in times]
    print(
        f"{name}, {n} keys: one erasure median {statistics.median(ms):.1f} ms "
        f"(min {min(ms):.1f}, max {max(ms):.1f})"
    )


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else None
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    with tempfile.TemporaryDirectory() as folder:
        _show("SQLite", n, _erase_times(str(Path(folder) / "k.sqlite"), n))
    if url is None:
        return
    name = f"bench_keys_{uuid.uuid4().hex}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    try:
        _show("PostgreSQL", n, _erase_times(f"{url}?options=-csearch_path%3D{name}", n))
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {name} CASCADE")


if __name__ == "__main__":
    main()
