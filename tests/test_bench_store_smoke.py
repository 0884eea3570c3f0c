"""Smoke test of benchmarks/bench_store.py: it runs on tiny numbers and measures every side."""

from __future__ import annotations

import math
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import NO_POSTGRES, POSTGRES_URL
from tests.scripts import load_script

pytestmark = pytest.mark.slow  # benchmark smoke: the slow tier (pytest -m slow)

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_store.py"


def _load() -> ModuleType:
    return load_script(BENCH, "bench_store")


def test_the_store_benchmark_runs_on_sqlite(capsys: pytest.CaptureFixture[str]) -> None:
    bench = _load()
    numbers: dict[str, float] = bench.main(
        commands=20, bulk_cases=50, postgres_url="", rounds=2, profile=True
    )

    expected = {
        f"sqlite_{name}"
        for name in (
            "handle_commands_per_s",
            "handle_ratio",
            "handle_same_ratio",
            "commands_per_s",
            "raw_commands_per_s",
            "single_ratio",
            "bulk_events_per_s",
            "raw_bulk_events_per_s",
            "bulk_ratio",
            "same_commands_per_s",
            "same_single_ratio",
            "same_bulk_events_per_s",
            "same_bulk_ratio",
            "least_commands_per_s",
            "least_ratio",
            "least_bound_ratio",
        )
    }
    assert expected <= set(numbers)
    assert not any(name.startswith("postgres_") for name in numbers)
    for name, value in numbers.items():
        assert isinstance(value, float), name
        assert math.isfinite(value), name
        assert value > 0, (name, value)
    assert numbers["commands"] == 20
    assert numbers["command_events"] == 20
    assert numbers["bulk_events"] == 200
    assert numbers["sqlite_rows_identical"] == 1.0
    assert 4 <= numbers["statements_per_command"] <= 12  # BEGIN and COMMIT included

    out = capsys.readouterr().out
    assert out.count("PASS") + out.count("FAIL") == 2  # Engine.handle and the bulk load
    assert "SQLite: Engine.handle durable commands/s" in out
    assert "internal: SqlStore.append" in out
    assert "bound for the headline: raw / (engine alone + least)" in out
    # The bound never exceeds the ceiling, which lets the store write nothing at all.
    assert numbers["sqlite_least_bound_ratio"] < numbers["sqlite_ceiling_ratio"] * 1.5
    assert "profile (cProfile" in out
    assert "PostgreSQL" not in out.split("\n", 1)[0]
    assert "PostgreSQL skipped: no URL" in out


def test_the_commands_handled_are_the_ones_decided() -> None:
    bench = _load()
    workload = load_script(BENCH.with_name("store_workload.py"), "store_workload")
    steps = workload.command_stream(60)
    commands = workload.command_list(60)
    assert [(c.case, c.name) for c in commands] == [(s.case.id, s.events[0].command) for s in steps]
    assert (
        bench.raw_settings({"journal_mode": "delete", "synchronous": "2", "foreign_keys": "1"})[
            "journal_mode"
        ]
        == "wal"
    )


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason=NO_POSTGRES)
def test_the_store_benchmark_runs_on_postgres(capsys: pytest.CaptureFixture[str]) -> None:
    bench = _load()
    numbers: dict[str, float] = bench.main(
        commands=20, bulk_cases=20, postgres_url=POSTGRES_URL, rounds=2, profile=False
    )
    assert numbers["postgres_handle_ratio"] > 0
    assert numbers["postgres_least_bound_ratio"] > 0
    assert numbers["postgres_rows_identical"] == 1.0
    assert "PostgreSQL: Engine.handle durable commands/s" in capsys.readouterr().out


def test_the_decided_commands_are_accepted_and_bulk_cases_are_whole() -> None:
    bench = _load()
    steps = bench.command_stream(10)
    assert len(steps) == 10
    assert all(s.expected_version == 0 for s in steps)  # the first commands open cases
    cases = bench.bulk_cases_of(8)
    assert [len(c.events) for c in cases] == [4] * 8
    assert [c.case.version for c in cases] == [4] * 8
    assert sum(len(c.texts) for c in cases) > 0  # some paths split free text off


def test_the_floor_script_measures_both_sides(capsys: pytest.CaptureFixture[str]) -> None:
    floor = load_script(BENCH.with_name("store_floor.py"), "store_floor")
    ratios: dict[str, float] = floor.main(commands=20, postgres_url="", bulk_cases=20)
    assert set(ratios) == {"sqlite_floor_ratio", "sqlite_bulk_floor_ratio"}
    assert all(0 < r < 10 for r in ratios.values())
    assert "sqlite: the least a command writes" in capsys.readouterr().out


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason=NO_POSTGRES)
def test_the_server_side_append_prototype_chains_as_the_library_does(
    capsys: pytest.CaptureFixture[str],
) -> None:
    prototype = load_script(BENCH.with_name("store_server_append.py"), "store_server_append")
    assert prototype.main(commands=40, postgres_url=POSTGRES_URL) > 0
    assert "chain verified: True" in capsys.readouterr().out


def test_the_ablation_script_leaves_out_one_table_at_a_time(
    capsys: pytest.CaptureFixture[str],
) -> None:
    ablation = load_script(BENCH.with_name("store_ablation.py"), "store_ablation")
    ratios: dict[str, float] = ablation.main(commands=20, rounds=2)
    assert len(ratios) == len(ablation.VARIANTS)
    assert all(0 < r < 10 for r in ratios.values())
    assert "without the position counter" in capsys.readouterr().out
    guarded = (
        False,
        'WITH written AS (UPDATE cases SET "state" = ? WHERE id = ? RETURNING 1) UPDATE '
        'positions SET "last" = "last" + ? WHERE id = 1',
        ("placed", "P-1", 1),
    )
    events = (
        False,
        "WITH inserted AS (INSERT INTO events (a) VALUES (?)) INSERT INTO commands (a, b, c, d) "
        "VALUES (?, ?, ?, ?)",
        (1, "c", "P-1", 1, 1),
    )
    deadline = (False, "DELETE FROM deadlines WHERE case_id = ?", ("P-1",))
    assert ablation.without([[guarded, events, deadline]], "positions") == [
        [(False, 'UPDATE cases SET "state" = ? WHERE id = ?', ("placed", "P-1")), events, deadline]
    ]
    assert ablation.without([[guarded, events, deadline]], "commands", "deadlines") == [
        [guarded, (False, "INSERT INTO events (a) VALUES (?)", (1,))]
    ]
