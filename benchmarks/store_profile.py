"""Where the store's time goes: a cProfile run of appends or of a bulk load, split in parts.

Used by ``bench_store.py`` when a target is missed (or with ``--profile always``).
"""

from __future__ import annotations

import cProfile
import gc
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import CodeType

import attrs
from store_workload import Step

from disruption.engine.ports import NewCase
from disruption.store.sql.store import SqlStore

__all__ = ["BATCH", "Profile", "profile_bulk", "profile_single"]

BATCH = 1000
"""Cases per transaction for ``bulk_append``; rows per transaction for the raw driver."""


@contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector in the block."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@attrs.frozen
class Profile:
    """Where the store's time went in a cProfile run, per unit (command or event)."""

    title: str
    unit: str
    units: int
    parts: tuple[tuple[str, float], ...]
    """(what, seconds), the last being everything else."""
    top: tuple[tuple[str, float, int], ...]
    """(function, own seconds, calls), by own time."""

    @property
    def total(self) -> float:
        """Seconds profiled in all."""
        return sum(seconds for _, seconds in self.parts)


def _name(code: CodeType | str) -> str:
    if isinstance(code, str):
        return code
    path = code.co_filename.replace("\\", "/")
    for marker in (
        "/site-packages/",
        "/src/",
        f"/python{sys.version_info[0]}.{sys.version_info[1]}/",
    ):
        if marker in path:
            path = path.rsplit(marker, 1)[1]
            break
    return f"{path}:{code.co_firstlineno}({code.co_name})"


def _file(code: CodeType | str) -> str:
    return "" if isinstance(code, str) else code.co_filename.replace("\\", "/")


def _is_commit(code: CodeType | str) -> bool:
    if isinstance(code, str):
        return code == "<method 'commit' of 'sqlite3.Connection' objects>"
    return code.co_name == "commit" and _file(code).endswith("psycopg/connection.py")


def _is_statement(code: CodeType | str) -> bool:
    if isinstance(code, str):
        return code in (
            "<method 'execute' of 'sqlite3.Cursor' objects>",
            "<method 'executemany' of 'sqlite3.Cursor' objects>",
        )
    file = _file(code)
    if code.co_name in ("execute", "executemany") and file.endswith("psycopg/cursor.py"):
        return True
    return code.co_name in ("sync", "write_row", "__exit__") and "/psycopg/" in file


def _in_rows(code: CodeType | str) -> bool:
    return _file(code).endswith(("disruption/store/sql/rows.py", "disruption/store/sql/audit.py"))


def profiled(title: str, unit: str, units: int, run: Callable[[], object]) -> Profile:
    """Profile ``run`` and split its time: commit, other statements, row building, the rest."""
    profiler = cProfile.Profile()
    with no_gc():
        profiler.enable()
        run()
        profiler.disable()
    entries = profiler.getstats()
    total = sum(e.inlinetime for e in entries)
    commit = sum(e.totaltime for e in entries if _is_commit(e.code))
    statements = sum(e.totaltime for e in entries if _is_statement(e.code))
    # Row building: rows.py functions called from outside rows.py (their callees included).
    building = sum(
        sub.totaltime
        for e in entries
        if not _in_rows(e.code)
        for sub in (e.calls or ())
        if _in_rows(sub.code)
    )
    parts = (
        ("commit (driver + durable flush)", commit),
        ("other statements (driver + database)", statements),
        ("rows built and chained (store.rows, store.audit)", building),
        (
            "Python: pool, transaction, store code",
            total - commit - statements - building,
        ),
    )
    top = sorted(entries, key=lambda e: e.inlinetime, reverse=True)[:8]
    return Profile(
        title, unit, units, parts, tuple((_name(e.code), e.inlinetime, e.callcount) for e in top)
    )


def profile_single(url: str, steps: Sequence[Step], backend: str) -> Profile:
    """Profile appends on a fresh store."""
    store = SqlStore(url)
    try:

        def run() -> None:
            for s in steps:
                store.append(s.case, s.events, s.texts, expected_version=s.expected_version)

        return profiled(f"{backend}: {len(steps):,} appends", "command", len(steps), run)
    finally:
        store.close()


def profile_bulk(url: str, cases: Sequence[NewCase], backend: str) -> Profile:
    """Profile a bulk load on a fresh store."""
    events = sum(len(c.events) for c in cases)
    store = SqlStore(url)
    try:
        return profiled(
            f"{backend}: bulk_append of {len(cases):,} cases ({events:,} events)",
            "event",
            events,
            lambda: store.bulk_append(cases, batch_size=BATCH),
        )
    finally:
        store.close()
