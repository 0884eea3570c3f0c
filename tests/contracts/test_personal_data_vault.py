"""The :class:`~disruption.engine.ports.PersonalDataVault` contract, on every backend.

Free text read back by reference; erasure destroys a child's text (and key) for good, is
idempotent, and leaves the events and their chain as they were.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from disruption.analysis import case_table, load_cases
from disruption.core.system import ERASED
from disruption.domain.payloads import is_text_ref
from disruption.engine.engine import Engine
from disruption.engine.ports import CaseStore
from disruption.exceptions import ConcurrencyError
from disruption.privacy.subject import subject_access
from tests import builders
from tests.contracts.backends import Backend
from tests.store_contract import (
    T0,
    TEXT,
    no_further_action,
    open_case,
    raise_concern,
    run,
    stale_decision,
)


def test_free_text_round_trip(store: CaseStore) -> None:
    run(store, [open_case("P-1"), raise_concern("P-1", T0 + timedelta(hours=1))])
    (event,) = run(store, [no_further_action("P-1", T0 + timedelta(hours=2))])
    ref = event.data["reason"]["ref"]
    assert store.text(ref) == TEXT
    assert TEXT not in repr(store.events("P-1"))
    assert store.text(f"{ref}-other") is None


def test_a_stale_write_of_free_text_writes_no_text(store: CaseStore) -> None:
    run(store, [open_case("P-1"), raise_concern("P-1", T0 + timedelta(hours=1))])
    stale = stale_decision(store, "P-1", 2, no_further_action("P-1", T0 + timedelta(hours=2)))
    run(store, [no_further_action("P-1", T0 + timedelta(hours=3), "the winner")])
    with pytest.raises(ConcurrencyError):
        store.append(stale.case, stale.events, stale.texts, expected_version=2)
    assert store.text(stale.texts[0].ref) == "the winner"
    assert len(store.events("P-1")) == 3


def test_a_new_store_holds_no_text(store: CaseStore) -> None:
    assert store.text("P-1/1/reason") is None
    assert store.erase("C-1") == 0


def _engine(store: CaseStore) -> Engine:
    return Engine(store, clock=builders.make_engine(T0 + timedelta(days=2)).clock)


def _refs(store: CaseStore, case: str) -> list[str]:
    return [v["ref"] for e in store.events(case) for v in e.data.values() if is_text_ref(v)]


def test_erasure_destroys_the_text_and_its_key_and_keeps_the_history(
    store: CaseStore, backend: Backend
) -> None:
    engine = _engine(store)
    builders.run(engine, "P-1", builders.journey_to("move_planned"))
    builders.run(
        engine, "P-2", builders.journey_to("support_offered", start=T0 + timedelta(hours=5))
    )
    other = run(
        store,
        [
            open_case("Q-1", child="C-2"),
            raise_concern("Q-1", T0 + timedelta(hours=1)),
            no_further_action("Q-1", T0 + timedelta(hours=2)),
        ],
    )
    refs = _refs(store, "P-1") + _refs(store, "P-2")
    assert refs
    assert all(store.text(ref) for ref in refs)
    assert backend.held(store, "C-1") == (len(refs), backend.sql)
    before = engine.case("P-1")
    events_before = tuple(store.events("P-1"))
    table_before = case_table(load_cases(store))

    assert engine.erase("C-1") == len(refs)

    assert [store.text(ref) for ref in refs] == [None] * len(refs)
    assert backend.held(store, "C-1") == (0, False)  # no text, no key: nothing to open
    assert store.text(other[-1].data["reason"]["ref"]) == TEXT  # another child's text stays
    assert backend.held(store, "C-2") == (1, backend.sql)
    after = engine.case("P-1")
    assert (after.state, after.deadlines, after.updated_at) == (
        before.state,
        before.deadlines,
        before.updated_at,
    )
    assert tuple(store.events("P-1"))[:-1] == events_before  # the history as it was
    assert store.events("P-1")[-1].type == ERASED
    assert _refs(store, "P-1") + _refs(store, "P-2") == refs  # the references stay
    assert case_table(load_cases(store)).drop("case").equals(table_before.drop("case"))
    assert backend.chain_holds(store)
    held = subject_access(engine, "C-1")["cases"]
    assert [t["text"] for c in held for t in c["personal_texts"]] == [None] * len(refs)


def test_erasing_twice_records_nothing_new(store: CaseStore, backend: Backend) -> None:
    engine = _engine(store)
    builders.run(engine, "P-1", builders.journey_to("move_planned"))
    assert engine.erase("C-1") > 0
    events = list(store.events("P-1"))
    position = store.last_position()
    assert engine.erase("C-1") == 0
    assert store.erase("C-1") == 0
    assert list(store.events("P-1")) == events
    assert store.last_position() == position
    assert [e.type for e in events].count(ERASED) == 1
    assert backend.held(store, "C-1") == (0, False)
    assert backend.chain_holds(store)


def test_free_text_written_after_an_erasure_is_kept_then_erased_and_recorded_again(
    store: CaseStore, backend: Backend
) -> None:
    engine = _engine(store)
    builders.run(engine, "P-1", builders.journey_to("disruption_meeting"))
    assert engine.erase("C-1") == 0  # no free text yet: the erasure is recorded all the same
    builders.run(engine, "P-1", builders.journey_to("move_planned")[-1:])  # the child's views
    (ref,) = _refs(store, "P-1")
    assert store.text(ref) == "I like it here but I miss my brother."
    assert backend.held(store, "C-1") == (1, backend.sql)  # under a new key
    assert engine.erase("C-1") == 1
    assert store.text(ref) is None
    assert [e.type for e in store.events("P-1")].count(ERASED) == 2
    assert engine.erase("C-1") == 0
    assert [e.type for e in store.events("P-1")].count(ERASED) == 2
    assert backend.chain_holds(store)
