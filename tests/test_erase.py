"""Erasing a child: the free text is gone for good; history, deadlines and figures stay.

The erasure contract of every store (text and key gone, idempotent, the chain still holding)
is in ``tests/contracts/test_personal_data_vault.py``, run on every backend.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from disruption.analysis import case_table, endings, load_cases
from disruption.analysis.stability import episodes_of_cases, stability
from disruption.cli import app
from disruption.core.system import ERASED
from disruption.domain.payloads import is_text_ref
from disruption.engine.engine import Engine
from disruption.store import CaseStore, MemoryStore, SqlStore
from tests.builders import T0, journey_to, make_engine, run

runner = CliRunner()


def _refs(store: CaseStore, case: str) -> list[str]:
    return [v["ref"] for e in store.events(case) for v in e.data.values() if is_text_ref(v)]


def test_figures_are_unchanged_by_an_erasure(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'c.sqlite'}")
    engine = Engine(store, clock=make_engine(T0 + timedelta(days=2)).clock)
    run(engine, "P-1", journey_to("ended"))
    y = date(2026, 3, 31)

    def figures() -> tuple[object, ...]:
        table = case_table(load_cases(store))
        measures = stability(episodes_of_cases(table), None, y)
        return measures, endings(table, "reason", date(2025, 1, 1), y).rows()

    before = figures()
    engine.erase("C-1")
    assert figures() == before


def test_the_cli_erases_and_the_chain_still_verifies(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite"
    with SqlStore(f"sqlite:///{db}") as store:
        run(
            Engine(store, clock=make_engine(T0 + timedelta(days=2)).clock),
            "P-1",
            journey_to("move_planned"),
        )
    result = runner.invoke(app, ["erase", "C-1", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "erased" in result.output
    assert runner.invoke(app, ["verify", "--db", str(db)]).exit_code == 0
    held = json.loads(runner.invoke(app, ["export-subject", "C-1", "--db", str(db)]).output)
    texts = [t["text"] for c in held["cases"] for t in c["personal_texts"]]
    assert texts
    assert set(texts) == {None}
    assert pl.Series(texts).null_count() == len(texts)


def test_text_is_encrypted_at_rest(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite"
    with SqlStore(f"sqlite:///{db}") as store:
        assert store.text("nothing") is None
        run(
            Engine(store, clock=make_engine(T0 + timedelta(days=2)).clock),
            "P-1",
            journey_to("move_planned"),
        )
    raw = db.read_bytes()
    assert b"miss my brother" not in raw  # the child's views are not in the file in clear


def test_a_case_without_free_text_records_its_first_erasure_only() -> None:
    from disruption.core.system import erasure_due

    assert erasure_due([])
    store = MemoryStore()
    engine = Engine(store, clock=make_engine(T0 + timedelta(days=2)).clock)
    run(engine, "P-1", journey_to("placed"))
    assert _refs(store, "P-1") == []
    engine.erase("C-1")
    engine.erase("C-1")
    assert [e.type for e in store.events("P-1")].count(ERASED) == 1


def test_the_cli_says_when_a_child_was_erased_already(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite"
    with SqlStore(f"sqlite:///{db}") as store:
        run(
            Engine(store, clock=make_engine(T0 + timedelta(days=2)).clock),
            "P-1",
            journey_to("move_planned"),
        )
    first = runner.invoke(app, ["erase", "C-1", "--db", str(db)])
    again = runner.invoke(app, ["erase", "C-1", "--db", str(db)])
    nobody = runner.invoke(app, ["erase", "C-9", "--db", str(db)])
    assert (first.exit_code, again.exit_code, nobody.exit_code) == (0, 0, 0)
    assert first.stdout.endswith("erased; the erasure recorded in 1 of 1 cases\n")
    assert again.stdout == (
        "0 pieces of free text of C-1 erased; erased already: nothing new recorded\n"
    )
    assert nobody.stdout == (
        "0 pieces of free text of C-9 erased; no case of theirs in the store: nothing recorded\n"
    )
