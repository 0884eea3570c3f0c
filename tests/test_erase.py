"""Erasing a child: the free text is gone for good; history, deadlines and figures stay."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from disruption.analysis import case_table, endings, load_cases
from disruption.analysis.stability import episodes_of_cases, stability
from disruption.cli import app
from disruption.core.system import ERASED
from disruption.domain.payloads import is_text_ref
from disruption.engine.engine import Engine
from disruption.privacy.subject import subject_access
from disruption.store import CaseStore, MemoryStore, SqlStore
from tests.builders import T0, journey_to, make_engine, run

runner = CliRunner()


def _refs(store: CaseStore, case: str) -> list[str]:
    return [v["ref"] for e in store.events(case) for v in e.data.values() if is_text_ref(v)]


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> CaseStore:
    if request.param == "memory":
        return MemoryStore()
    return SqlStore(f"sqlite:///{tmp_path / 'c.sqlite'}")


def test_erasure_destroys_the_text_and_keeps_the_history(store: CaseStore) -> None:
    engine = Engine(store, clock=make_engine(T0 + timedelta(days=2)).clock)
    run(engine, "P-1", journey_to("move_planned"))
    run(engine, "P-2", journey_to("support_offered", start=T0 + timedelta(hours=5)))
    refs = _refs(store, "P-1")
    assert refs
    assert all(store.text(ref) for ref in refs)
    before = engine.case("P-1")
    table_before = case_table(load_cases(store))
    erased = engine.erase("C-1")
    assert erased == len(refs)
    assert [store.text(ref) for ref in refs] == [None] * len(refs)
    after = engine.case("P-1")
    assert (after.state, after.deadlines, after.updated_at) == (
        before.state,
        before.deadlines,
        before.updated_at,
    )
    assert store.events("P-1")[-1].type == ERASED
    table_after = case_table(load_cases(store))
    assert table_after.drop("case").equals(table_before.drop("case"))
    assert all(
        t["text"] is None
        for c in subject_access(engine, "C-1")["cases"]
        for t in c["personal_texts"]
    )


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


def test_erasing_twice_records_nothing_new(store: CaseStore) -> None:
    engine = Engine(store, clock=make_engine(T0 + timedelta(days=2)).clock)
    run(engine, "P-1", journey_to("move_planned"))
    assert engine.erase("C-1") > 0
    events = list(store.events("P-1"))
    position = store.last_position()
    assert engine.erase("C-1") == 0
    assert list(store.events("P-1")) == events
    assert store.last_position() == position
    assert [e.type for e in events].count(ERASED) == 1


def test_free_text_written_after_an_erasure_is_erased_and_recorded_again(
    store: CaseStore,
) -> None:
    engine = Engine(store, clock=make_engine(T0 + timedelta(days=2)).clock)
    run(engine, "P-1", journey_to("disruption_meeting"))
    assert engine.erase("C-1") == 0  # no free text yet: the erasure is recorded all the same
    run(engine, "P-1", journey_to("move_planned")[-1:])  # the child's views: free text
    assert len(_refs(store, "P-1")) == 1
    assert engine.erase("C-1") == 1
    assert [e.type for e in store.events("P-1")].count(ERASED) == 2
    assert engine.erase("C-1") == 0
    assert [e.type for e in store.events("P-1")].count(ERASED) == 2


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
