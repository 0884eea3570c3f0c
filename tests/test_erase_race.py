"""An erasure running while a command seals free text with the same child's key (PostgreSQL).

On PostgreSQL a command with free text reads its child's key in its transaction, then
writes the text sealed with it. An erasure deletes the key, then every text of the child.
Were the key read without a lock, an erasure could commit between the read and the command's
commit: the command would then store a text sealed with a key that is gone, which the
erasure's own delete (run before that text was committed) never saw: a ciphertext left
behind, and a text the caller was told was recorded that nobody can read. The command's
read locks the key row (``FOR KEY SHARE``), so the erasure waits for the command's commit and
then erases its text too. (On SQLite every writer holds the database's one write lock from
its first statement, so the two cannot interleave.)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from disruption.domain.clock import FixedClock
from disruption.domain.events import PersonalText
from disruption.engine.engine import Engine
from disruption.store import SqlStore
from disruption.store.sql import keys
from tests.builders import (
    T0,
    command,
    hours,
    no_further_action_data,
    raise_concern_data,
    reach,
)
from tests.conftest import libpq, postgres

pytestmark = postgres

CHILD = "C-1"


def _texts_of(url: str, child: str) -> int:
    with psycopg.connect(libpq(url)) as conn:
        row = conn.execute("SELECT count(*) FROM personal_texts WHERE child = %s", (child,))
        found = row.fetchone()
    assert found is not None
    return int(found[0])


def test_an_erasure_waits_for_a_command_sealing_text_with_the_childs_key(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer_store = SqlStore(postgres_url, trust_cache=False)
    eraser_store = SqlStore(postgres_url)
    engine = Engine(writer_store, clock=FixedClock(T0 + timedelta(days=1)))
    reach(engine, "P-1", "concern_raised")
    engine.handle(
        command(
            "P-1", "no_further_action", hours(T0, 3), "team_manager", "tm-1",
            no_further_action_data(),
        )
    )  # fmt: skip
    # That stored the child's key and a first text.
    concern = raise_concern_data()
    engine.handle(command("P-1", "raise_concern", hours(T0, 4), "social_worker", "sw-1", concern))
    assert _texts_of(postgres_url, CHILD) == 1

    key_read = threading.Event()
    sealing: Callable[..., list[tuple[Any, ...]]] = keys.sealed_rows

    def slow_sealing(texts: Sequence[PersonalText], held: dict[str, str]) -> list[tuple[Any, ...]]:
        key_read.set()  # the key was read in the command's open transaction
        time.sleep(0.5)  # time for an unlocked erasure to commit meanwhile
        return sealing(texts, held)

    monkeypatch.setattr(keys, "sealed_rows", slow_sealing)
    erased: list[int] = []

    def erase() -> None:
        key_read.wait(10)
        erased.append(eraser_store.erase(CHILD))

    eraser = threading.Thread(target=erase)
    eraser.start()
    try:
        engine.handle(
            command(
                "P-1", "no_further_action", hours(T0, 5), "team_manager", "tm-1",
                no_further_action_data("Screened again: coping."),
            )
        )  # fmt: skip
    finally:
        eraser.join(20)
    assert not eraser.is_alive()

    # The erasure waited for the command, then erased both texts: none is left behind.
    assert erased == [2]
    assert _texts_of(postgres_url, CHILD) == 0
    writer_store.close()
    eraser_store.close()
