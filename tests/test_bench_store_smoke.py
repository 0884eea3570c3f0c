"""The store benchmark runs, on tiny numbers, and measures both sides."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_store.py"


def test_the_store_benchmark_runs_on_sqlite() -> None:
    spec = importlib.util.spec_from_file_location("bench_store", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    numbers = module.main(commands=12, bulk_cases=30, postgres_url="")
    assert set(numbers) == {
        "sqlite_commands_per_s", "sqlite_raw_commands_per_s", "sqlite_single_ratio",
        "sqlite_bulk_events_per_s", "sqlite_raw_bulk_events_per_s", "sqlite_bulk_ratio",
    }  # fmt: skip
    assert all(value > 0 for value in numbers.values())
