"""The six store interfaces make the whole store, and each contract module exercises its own."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from disruption.engine.ports import (
    AccessLog,
    CaseStore,
    DeadlineIndex,
    EventFeed,
    EventLog,
    PersonalDataVault,
    SnapshotStore,
)

MODULES: dict[type, str] = {
    EventLog: "test_event_log.py",
    SnapshotStore: "test_snapshot_store.py",
    EventFeed: "test_event_feed.py",
    DeadlineIndex: "test_deadline_index.py",
    PersonalDataVault: "test_personal_data_vault.py",
    AccessLog: "test_access_log.py",
}


def _methods(interface: type) -> set[str]:
    """The public methods an interface declares itself."""
    return {n for n, v in vars(interface).items() if not n.startswith("_") and callable(v)}


def test_the_store_is_the_six_interfaces_and_close() -> None:
    declared = [_methods(i) for i in MODULES]
    every = {n for n, v in inspect.getmembers(CaseStore) if not n.startswith("_") and callable(v)}
    assert every == set().union(*declared) | {"close"}
    assert sum(map(len, declared)) == len(every) - 1  # no method in two interfaces
    assert set(CaseStore.__mro__[1:7]) == set(MODULES)


@pytest.mark.parametrize("interface", list(MODULES), ids=lambda i: i.__name__)
def test_each_method_is_exercised_by_its_contract_module(interface: type) -> None:
    assert _methods(interface)
    text = (Path(__file__).parent / MODULES[interface]).read_text(encoding="utf-8")
    assert sorted(m for m in _methods(interface) if f".{m}(" not in text) == []
