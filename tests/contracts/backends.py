"""The store's backends, and what only each can show, for the contract tests."""

from __future__ import annotations

from collections.abc import Callable

import attrs
import pytest
import sqlalchemy as sa

from disruption.engine.ports import CaseStore
from disruption.exceptions import StoreError
from disruption.store import MemoryStore, SqlStore
from disruption.store.sql import rows, schema
from tests.conftest import postgres


class _FailingTexts(dict[str, str]):
    def update(self, *args: object, **kwargs: object) -> None:
        raise RuntimeError("writing free text failed")


@attrs.frozen
class Backend:
    """One backend: how to open a fresh store on it, and what only it can show.

    Attributes:
        name: ``memory``, ``sqlite-file``, ``sqlite-memory`` or ``postgres``.
        open: Opens a fresh, empty store.
    """

    name: str
    open: Callable[[], CaseStore]

    @property
    def sql(self) -> bool:
        """Whether it is a SQL store (which seals text with a key per child, and chains)."""
        return self.name != "memory"

    def break_text_writes(
        self, store: CaseStore, monkeypatch: pytest.MonkeyPatch
    ) -> type[Exception]:
        """Make writing free text fail inside ``append``; return the error it raises."""
        if isinstance(store, MemoryStore):
            monkeypatch.setattr(store, "_texts", _FailingTexts())
            return RuntimeError
        broken = (*rows.TEXT_COLUMNS[:-1], "no_such_column")
        monkeypatch.setattr(rows, "TEXT_COLUMNS", broken)
        return StoreError

    def held(self, store: CaseStore, child: str) -> tuple[int, bool]:
        """What the store holds of a child's text, read below its interface.

        Returns:
            How many pieces of text (sealed, in a SQL store) it keeps for the child, and
            whether it keeps the child's key (a memory store keeps none).
        """
        if isinstance(store, MemoryStore):
            return sum(of == child for of in store._children_of_texts.values()), False
        assert isinstance(store, SqlStore)
        texts, keys = schema.personal_texts, schema.child_keys
        with store._db.engine.connect() as conn:
            count = conn.execute(
                sa.select(sa.func.count()).select_from(texts).where(texts.c.child == child)
            ).scalar_one()
            key = conn.execute(sa.select(keys.c.key).where(keys.c.child == child)).first()
        return int(count), key is not None

    def chain_holds(self, store: CaseStore) -> bool:
        """Whether the store's audit chain verifies (a memory store keeps none: ``True``)."""
        if isinstance(store, SqlStore):
            return store.verify().ok
        return True


BACKENDS = [
    "memory",
    "sqlite-file",
    "sqlite-memory",
    pytest.param("postgres", marks=postgres),
]
