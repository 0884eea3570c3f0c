"""The service under load: 8 clients x 2,000 commands over loopback lose and double nothing.

Each client sends its commands with an ``Idempotency-Key`` and retries, and delivers every
25th command twice; afterwards the store holds every command exactly once, the cases at the
versions their commands make, the positions without a gap (benchmarks/bench_service.py
drives the load and checks the store). The slow tier; the benchmark's smoke test is below.
"""

from __future__ import annotations

import math
from pathlib import Path
from types import ModuleType

import pytest

from disruption.store import open_store
from tests.scripts import load_script

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_service.py"


def _bench() -> ModuleType:
    return load_script(BENCH, "bench_service")


@pytest.fixture
def db(db_url: str) -> str:
    """A store location on each backend (``tests/conftest.py``'s ``db_url``)."""
    return db_url


def test_eight_clients_of_two_thousand_commands_lose_and_double_nothing(db: str) -> None:
    bench = _bench()
    jobs = bench.plan("P", clients=8, commands=2_000)
    with bench.server(db) as url:
        loaded = bench.load(url, jobs)
    assert loaded.commands == 16_000
    assert loaded.duplicates == 8 * (2_000 // 25)
    store = open_store(db, must_exist=True)
    try:
        assert bench.check(store, jobs) == 16_000
    finally:
        store.close()


def test_the_check_finds_a_lost_command(tmp_path: Path) -> None:
    bench = _bench()
    jobs = bench.plan("P", clients=1, commands=3)
    with bench.server(str(tmp_path / "c.sqlite")) as url:
        bench.load(url, [jobs[0][:2]])
    store = open_store(str(tmp_path / "c.sqlite"), must_exist=True)
    try:
        with pytest.raises(AssertionError, match="lost"):
            bench.check(store, jobs)
    finally:
        store.close()


def test_the_service_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    numbers = _bench().main(clients=2, commands=10, rounds=2)
    assert set(numbers) == {
        "service_commands_per_s",
        "library_commands_per_s",
        "ratio",
        "retried",
        "duplicates",
    }
    assert all(math.isfinite(v) and v >= 0 for v in numbers.values())
    assert numbers["duplicates"] == 0  # 10 commands a client: none is the 25th
    assert "ratio service/library" in capsys.readouterr().out
