"""The store contract on the in-memory store."""

from __future__ import annotations

import pytest

from disruption.engine.ports import CaseStore
from disruption.store import MemoryStore
from tests.store_contract import StoreContract, StoreFactory


class _FailingTexts(dict[str, str]):
    def update(self, *args: object, **kwargs: object) -> None:
        raise RuntimeError("writing free text failed")


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def make_store(self) -> StoreFactory:
        return MemoryStore

    def break_text_writes(
        self, store: CaseStore, monkeypatch: pytest.MonkeyPatch
    ) -> type[Exception]:
        assert isinstance(store, MemoryStore)
        monkeypatch.setattr(store, "_texts", _FailingTexts())
        return RuntimeError
