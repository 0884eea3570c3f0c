"""Benchmark ``SqlStore.verify`` (what ``disruption verify`` runs) against the chain alone.

Since issue 19 ``verify`` also reads the position counter with every case's version (one
statement) and counts each case's events (one ``GROUP BY``), besides checking every link of
the chain. This times the whole check against the link-by-link check alone (what ``verify``
did before), on a store the caller names, in the same process: 9 rounds, each timing both
sides back to back; the medians and their ratio are printed.

Run it on a store with events, e.g. the synthetic SSDA903 import::

    disruption import-903 --db /tmp/s.sqlite /work/shared/data/ssda903-synth/2019 \\
        /work/shared/data/ssda903-synth/2020
    python benchmarks/bench_verify.py sqlite:////tmp/s.sqlite
"""

from __future__ import annotations

import statistics
import sys
import time

from disruption.store import SqlStore
from disruption.store.sql.audit import verify_rows


def main(url: str, rounds: int = 9) -> None:
    """Time both checks on the store at ``url`` and print the medians and the ratio."""
    with SqlStore(url, create=False) as store:
        alone, whole = [], []
        for _ in range(rounds):
            start = time.perf_counter()
            chain = verify_rows(store._event_rows(10_000))
            alone.append(time.perf_counter() - start)
            start = time.perf_counter()
            result = store.verify()
            whole.append(time.perf_counter() - start)
        assert chain.ok, chain
        assert result.ok, result.problems
    a, w = statistics.median(alone), statistics.median(whole)
    print(
        f"{result.checked:,} events, {rounds} rounds: chain alone {a * 1000:.1f} ms, "
        f"whole verify {w * 1000:.1f} ms (median), ratio {w / a:.2f}x"
    )


if __name__ == "__main__":
    main(sys.argv[1])
