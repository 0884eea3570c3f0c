"""The cases a SQL store keeps in memory, and ``trust_cache``: a command without its read.

Two store objects on one database (a SQLite file, a PostgreSQL schema) stand for two
processes: what one writes behind the other's kept cases must never be lost, doubled or
numbered with a gap.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from disruption.core.system import missed_events
from disruption.domain.clock import FixedClock
from disruption.engine.engine import Engine
from disruption.engine.ports import Applied, Snapshot
from disruption.exceptions import CommandNotAllowed, ConcurrencyError, StoreError
from disruption.store import SqlStore
from tests.store_contract import (
    SWEPT,
    T0,
    case_of,
    no_further_action,
    open_case,
    raise_concern,
    run,
    stale_decision,
)


def _consistent(store: SqlStore, case: str) -> None:
    """Events numbered 1.. without gaps, and the stored snapshot equal to the replay."""
    events = store.events(case)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    snapshot = store.snapshot(case)
    assert snapshot is not None
    assert snapshot.case == case_of(store, case)


def test_untrusted_every_command_reads_its_case_and_its_id(db_url: str) -> None:
    with SqlStore(db_url, trust_cache=False) as store:
        run(store, [open_case("P-1"), raise_concern("P-1", T0, command_id="c-1")])
        assert "P-1" in store._recent  # kept, to skip parsing its snapshot again
        assert store.snapshot_unless_applied("P-1", "c-1") == Applied("c-1")


def test_by_default_a_store_answers_a_case_it_wrote_without_a_read(db_url: str) -> None:
    with SqlStore(db_url) as store:
        run(store, [open_case("P-1"), raise_concern("P-1", T0, command_id="c-1")])
        kept = store._recent["P-1"][1]
        found = store.snapshot_unless_applied("P-1", "c-2")
        assert type(found) is Snapshot
        assert found.case is kept
        assert found.cached
        fresh = store.snapshot("P-1")
        assert fresh is not None
        assert not fresh.cached


def test_no_cache_keeps_nothing_and_reads_every_time(db_url: str) -> None:
    with SqlStore(db_url, snapshot_cache=0, trust_cache=True) as store:
        run(store, [open_case("P-1"), raise_concern("P-1", T0, command_id="c-1")])
        assert store._recent == {}
        assert store.snapshot_unless_applied("P-1", "c-1") == Applied("c-1")


def test_a_negative_cache_size_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="snapshot_cache"):
        SqlStore(str(tmp_path / "cases.db"), snapshot_cache=-1)


def test_a_command_delivered_again_to_a_trusted_store_is_answered_once(db_url: str) -> None:
    with SqlStore(db_url, trust_cache=True) as store:
        run(store, [open_case("P-1")])
        concern = raise_concern("P-1", T0, command_id="c-1")
        first = run(store, [concern])
        engine = Engine(store, clock=_clock(concern.at))
        again = engine.handle(concern)  # decided on the kept case, which refuses it
        assert again.duplicate
        assert again.events == first
        assert len(store.events("P-1")) == 2
        _consistent(store, "P-1")


def test_a_command_another_store_applied_is_answered_once(db_url: str) -> None:
    with SqlStore(db_url, trust_cache=True) as mine, SqlStore(db_url) as other:
        run(mine, [open_case("P-1")])  # kept by mine at version 1
        concern = raise_concern("P-1", T0, command_id="c-1")
        first = run(other, [concern])
        outcome = Engine(mine, clock=_clock(concern.at)).handle(concern)
        assert outcome.duplicate
        assert outcome.events == first
        assert len(mine.events("P-1")) == 2
        _consistent(mine, "P-1")


def test_a_command_valid_only_after_another_stores_change_is_applied(db_url: str) -> None:
    with SqlStore(db_url, trust_cache=True) as mine, SqlStore(db_url) as other:
        run(mine, [open_case("P-1"), raise_concern("P-1", T0)])
        run(other, [no_further_action("P-1", T0 + timedelta(hours=1))])
        if not mine._db.postgres:
            mine._seen = mine._db.data_version()  # as if the commit went unseen
        # Refused in the state kept (concern raised), valid in the state stored: decided
        # again on a fresh read, and applied.
        assert isinstance(mine.snapshot_unless_applied("P-1", "c-3"), Snapshot)
        run(mine, [raise_concern("P-1", T0 + timedelta(hours=2), command_id="c-3")])
        assert len(mine.events("P-1")) == 4
        _consistent(mine, "P-1")


def test_a_command_refused_on_the_kept_case_and_as_stored_is_refused_once(
    db_url: str,
) -> None:
    with SqlStore(db_url, trust_cache=True) as store:
        run(store, [open_case("P-1"), raise_concern("P-1", T0)])
        again = raise_concern("P-1", T0 + timedelta(hours=1), command_id="c-2")
        engine = Engine(store, clock=_clock(again.at))
        reads: list[str] = []
        snapshot = store.snapshot

        def counted(case: str) -> Snapshot | None:
            reads.append(case)
            return snapshot(case)

        store.snapshot = counted  # type: ignore[method-assign]
        with pytest.raises(CommandNotAllowed):
            engine.handle(again)
        assert reads == ["P-1"]  # the refusal on the kept case was checked once
        assert len(store.events("P-1")) == 2


def test_on_sqlite_a_commit_elsewhere_drops_every_case_kept(tmp_path: Path) -> None:
    url = str(tmp_path / "cases.db")
    with SqlStore(url, trust_cache=True) as mine, SqlStore(url) as other:
        run(mine, [open_case("P-1"), raise_concern("P-1", T0, command_id="c-1")])
        assert isinstance(mine.snapshot_unless_applied("P-1", "c-9"), Snapshot)  # kept
        run(other, [open_case("P-2", child="C-2")])  # another case: still a commit
        assert mine.snapshot_unless_applied("P-1", "c-1") == Applied("c-1")  # read again
        assert "P-1" not in mine._recent or mine._recent["P-1"][1].version == 2


def test_a_failed_append_drops_the_case(db_url: str) -> None:
    with SqlStore(db_url, trust_cache=True) as store:
        run(store, [open_case("P-1"), raise_concern("P-1", T0)])
        late = stale_decision(store, "P-1", 1, raise_concern("P-1", T0 + timedelta(hours=1)))
        with pytest.raises(ConcurrencyError):
            store.append(late.case, late.events, late.texts, expected_version=1)
        assert "P-1" not in store._recent


@pytest.mark.parametrize("by", ["mine", "other"])
def test_a_sweep_behind_the_kept_case_is_not_lost(db_url: str, by: str) -> None:
    with SqlStore(db_url, trust_cache=True) as mine, SqlStore(db_url) as other:
        run(mine, [open_case("P-1"), raise_concern("P-1", T0)])  # screening due 3 Dec
        sweeper = mine if by == "mine" else other
        swept = sweeper.record_missed(date(2025, 12, 6), recorded_at=SWEPT, build=missed_events)
        assert swept
        if by == "mine":
            assert mine._recent == {}
        run(mine, [no_further_action("P-1", SWEPT + timedelta(hours=1))])
        assert len(mine.events("P-1")) == 2 + len(swept) + 1
        _consistent(mine, "P-1")


def test_an_erasure_drops_the_cases_kept_and_stays_irreversible(db_url: str) -> None:
    with SqlStore(db_url, trust_cache=True) as store:
        run(store, [open_case("P-1"), raise_concern("P-1", T0)])
        run(store, [no_further_action("P-1", T0 + timedelta(hours=1), "First note.")])
        ref = store.events("P-1")[-1].data["reason"]["ref"]
        assert store.erase("C-1") == 1
        assert store._recent == {}
        assert store.text(ref) is None
        run(store, [raise_concern("P-1", T0 + timedelta(hours=2))])
        run(store, [no_further_action("P-1", T0 + timedelta(hours=3), "Second note.")])
        assert store.text(ref) is None  # the old key is not back
        _consistent(store, "P-1")


def test_an_upgrade_drops_the_cases_kept(db_url: str) -> None:
    with SqlStore(db_url, trust_cache=True) as store:
        run(store, [open_case("P-1")])
        assert store.upgrade()[0] == store.upgrade()[1]
        assert store._recent == {}


def _clock(at: datetime) -> FixedClock:
    return FixedClock(at + timedelta(minutes=3, microseconds=7))


def _with(url: str, options: str) -> str:
    if "://" not in url:
        url = f"sqlite:///{url}"
    return f"{url}{'&' if '?' in url else '?'}{options}"


def test_the_url_sets_the_cache(db_url: str) -> None:
    with SqlStore(_with(db_url, "snapshot_cache=1&trust_cache=true")) as store:
        run(store, [open_case("P-1"), open_case("P-2", child="C-2")])
        assert list(store._recent) == ["P-2"]
        assert isinstance(store.snapshot_unless_applied("P-2", "c-9"), Snapshot)
        assert store._kept("P-2") is not None
    with SqlStore(_with(db_url, "trust_cache=FALSE"), snapshot_cache=5) as store:
        assert store._cache_size == 5
        assert store._kept("P-2") is None  # not trusted: read


@pytest.mark.parametrize("options", ["snapshot_cache=-1", "snapshot_cache=many", "trust_cache=1"])
def test_a_cache_option_not_understood_is_refused(tmp_path: Path, options: str) -> None:
    with pytest.raises(StoreError, match=options.split("=")[0]):
        SqlStore(_with(str(tmp_path / "cases.db"), options))
