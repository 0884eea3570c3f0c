"""What a key store of its own costs the commands that carry free text (SQLite files).

Usage, from the repository's root: ``python benchmarks/bench_key_store_commands.py``. Each
round runs 20 journeys (100 commands through ``Engine.handle``, most with free text) on a
fresh SQLite case store, keys kept in it, then on another with a SQLite key store beside it;
rounds interleaved, the median of five printed with the ratio.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.builders

from tests.builders import T0, journey_to, make_engine, run

from disruption.engine.engine import Engine
from disruption.store import SqlStore
from disruption.store.sql.key_store import SqlKeyStore


def _once(with_keys: bool) -> float:
    with tempfile.TemporaryDirectory() as folder:
        keys = SqlKeyStore(str(Path(folder) / "k.sqlite")) if with_keys else None
        store = SqlStore(str(Path(folder) / "c.sqlite"), keys=keys)
        engine = Engine(store, clock=make_engine(T0 + timedelta(days=2)).clock)
        started = time.perf_counter()
        for n in range(20):
            run(engine, f"P-{n}", journey_to("move_planned", start=T0 + timedelta(minutes=n)))
        elapsed = time.perf_counter() - started
        store.close()
        return elapsed


def main() -> None:
    inside, apart = [], []
    for _ in range(5):
        inside.append(_once(False))
        apart.append(_once(True))
    a, b = statistics.median(inside), statistics.median(apart)
    print(
        f"100 commands: keys in the case store {1000 * a:.0f} ms, in a key store "
        f"{1000 * b:.0f} ms, ratio {b / a:.2f}"
    )


if __name__ == "__main__":
    main()
