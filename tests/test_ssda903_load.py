"""SSDA903 history into the store: one case per placement, idempotent, replayable."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from disruption.core.fold import replay
from disruption.core.system import IMPORTED
from disruption.engine.engine import Engine
from disruption.procedure.standard import STANDARD
from disruption.ssda903.historic import case_reference
from disruption.ssda903.load import import_returns, plan_import
from disruption.store import CaseStore, open_store
from disruption.store.memory import MemoryStore
from tests.returns903 import Returns903

NOW = datetime(2026, 11, 28, 9, tzinfo=UTC)
HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n1,1,01/01/2010,WBRI,A1,,\n"
EPISODES = (
    "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
    "1,01/04/2020,S,C2,N1,U4,PR1,01/06/2020,X1,CREQB,TS1 1AA,TS3 2BB,1000001\n"
    "1,01/06/2020,P,C2,N1,K2,PR4,01/09/2020,X1,CARPL,TS1 1AA,DL1 3CC,SC123456\n"
    "1,01/09/2020,P,C2,N1,U4,PR1,01/12/2020,E4A,,TS1 1AA,TS5 1DD,1000002\n"
    "1,01/02/2021,S,C2,N1,P1,PR0,,,,TS1 1AA,TS1 1AA,XXXXXXX\n"
)


def _returns(tmp_path: Path) -> Path:
    folder = tmp_path / "2021"
    folder.mkdir()
    (folder / "header.csv").write_text(HEADER)
    (folder / "episodes.csv").write_text(EPISODES)
    return folder


def test_each_placement_becomes_a_case_with_its_ending(tmp_path: Path) -> None:
    store = MemoryStore()
    summary = import_returns([_returns(tmp_path)], store, recorded_at=NOW)
    assert (summary.placements, summary.added, summary.present) == (4, 4, 0)
    engine = Engine(store)
    first = engine.case(case_reference("1", date(2020, 4, 1)))
    assert first.state == "ended"
    assert first.ending is not None
    assert (first.ending.end, first.ending.reason, first.ending.planned) == (
        date(2020, 6, 1),
        "CREQB",
        False,
    )
    assert first.placement.carer == "1000001"
    assert first.file.imported
    planned = engine.case(case_reference("1", date(2020, 6, 1)))
    assert planned.ending is not None
    assert planned.ending.planned  # CARPL
    assert planned.placement.location.value == "out_of_borough"  # DL against TS at home
    left = engine.case(case_reference("1", date(2020, 9, 1)))
    assert left.ending is not None
    assert (left.ending.reason, left.ending.left_care, left.ending.planned) == ("", "E4A", True)
    current = engine.case(case_reference("1", date(2021, 2, 1)))
    assert (current.state, current.placement.carer, current.ending) == ("placed", None, None)


def test_imported_history_opens_no_deadline_and_is_marked(tmp_path: Path) -> None:
    store = MemoryStore()
    import_returns([_returns(tmp_path)], store, recorded_at=NOW)
    ref = case_reference("1", date(2020, 4, 1))
    assert Engine(store).case(ref).deadlines == ()
    sources = [e.data[IMPORTED] for e in store.events(ref)]
    assert [(s["from"], Path(str(s["file"])).name, s["row"]) for s in sources] == [
        ("ssda903", "episodes.csv", 2),
        ("ssda903", "episodes.csv", 2),
    ]


def test_the_opening_keeps_the_episodes_and_the_month_of_birth_only(tmp_path: Path) -> None:
    folder = _returns(tmp_path)
    episodes = folder / "episodes.csv"
    rows = EPISODES.splitlines()
    # An L episode (legal status V3) within the K2 placement: one case, two episodes.
    rows[2] = rows[2].replace("01/09/2020,X1,CARPL", "01/07/2020,X1,")
    rows.insert(3, "1,01/07/2020,L,V3,N1,K2,PR4,01/09/2020,X1,CARPL,TS1 1AA,DL1 3CC,SC123456")
    episodes.write_text("\n".join(rows) + "\n")
    store = MemoryStore()
    import_returns([folder], store, recorded_at=NOW)
    opening = store.events(case_reference("1", date(2020, 6, 1)))[0].data[IMPORTED]
    assert opening["episodes"] == [
        {"decom": "2020-06-01", "dec": "2020-07-01", "rne": "P", "ls": "C2", "place": "K2",
         "urn": "SC123456"},
        {"decom": "2020-07-01", "dec": "2020-09-01", "rne": "L", "ls": "V3", "place": "K2",
         "urn": "SC123456"},
    ]  # fmt: skip
    assert opening["born"] == "2010-01"
    current = store.events(case_reference("1", date(2021, 2, 1)))[0].data[IMPORTED]
    assert current["episodes"][0]["dec"] is None
    # The date of birth itself is in no event: only its month.
    for ref in store.case_ids():
        for event in store.events(ref):
            assert "01/01/2010" not in repr(event.data)
            assert "2010-01-01" not in repr(event.data)


def test_borough_districts_decide_the_location(tmp_path: Path) -> None:
    plan = plan_import(
        [_returns(tmp_path)], recorded_at=NOW, borough_districts=frozenset({"TS1", "DL1"})
    )
    locations = {c.case.placement.start: c.case.placement.location.value for c in plan.cases}
    assert locations[date(2020, 4, 1)] == "out_of_borough"  # TS3
    assert locations[date(2020, 6, 1)] == "in_borough"  # DL1


def test_a_placement_with_a_code_invalid_in_its_year_is_reported_and_skipped(
    tmp_path: Path,
) -> None:
    folder = _returns(tmp_path)
    rows = EPISODES.replace("01/02/2021,S,C2,N1,P1,PR0", "01/02/2021,S,C2,N1,K3,PR4")
    (folder / "episodes.csv").write_text(rows)  # K3 exists from 2023-24 only
    store = MemoryStore()
    summary = import_returns([folder], store, recorded_at=NOW)
    skipped = [f for f in summary.findings if f.rule == "import-skipped"]
    assert len(skipped) == 1
    assert skipped[0].child == "1"
    assert "K3" in skipped[0].message
    assert (summary.placements, summary.added) == (4, 3)


def _import_twice(store: CaseStore, returns: Returns903) -> None:
    years = list(returns.folders)
    first = import_returns(years, store, recorded_at=NOW)
    assert first.added == first.placements > 1000
    before = store.last_position()
    again = import_returns(years, store, recorded_at=NOW)
    assert (again.added, again.present) == (0, first.added)
    assert store.last_position() == before
    engine = Engine(store)
    for ref in list(store.case_ids())[:200]:
        events = store.events(ref)
        assert engine.case(ref) == replay(events, STANDARD.records)


def test_another_tools_returns_import_once_on_sqlite(
    returns903: Returns903, tmp_path: Path
) -> None:
    store = open_store(str(tmp_path / "cases.sqlite"))
    try:
        _import_twice(store, returns903)
    finally:
        store.close()


@pytest.mark.postgres
def test_another_tools_returns_import_once_on_postgresql(
    returns903: Returns903, postgres_url: str
) -> None:
    store = open_store(postgres_url)
    try:
        _import_twice(store, returns903)
    finally:
        store.close()


def test_the_store_keeps_imported_episodes_and_adds_live_placements(tmp_path: Path) -> None:
    from disruption.analysis.stability import store_inputs
    from tests.builders import command, end_placement_data, make_engine, open_case_data

    folder = _returns(tmp_path)
    episodes = folder / "episodes.csv"
    episodes.write_text(EPISODES.replace("01/02/2021,S,C2", "01/02/2021,S,V3"))
    store = MemoryStore()
    import_returns([folder], store, recorded_at=NOW)
    engine = make_engine(datetime(2021, 6, 2, 9, tzinfo=UTC), store=store)
    current = case_reference("1", date(2021, 2, 1))
    at = datetime(2021, 6, 1, 9, tzinfo=UTC)
    engine.handle(command(current, "end_placement", at, data=end_placement_data("2021-06-01")))
    live = open_case_data(child="1", start="2021-06-01", placement_type="U4")
    engine.handle(command("LIVE-1", "open_case", at, data=live))
    found, months = store_inputs(store)
    rows = found.select("decom", "dec", "rne", "ls", "place").rows()
    assert rows[-2:] == [
        (date(2021, 2, 1), date(2021, 6, 1), "S", "V3", "P1"),  # ended live
        (date(2021, 6, 1), None, "P", "V3", "U4"),  # live: the legal status before it
    ]
    assert rows[0] == (date(2020, 4, 1), date(2020, 6, 1), "S", "C2", "U4")
    assert months.rows() == [("1", date(2010, 1, 31))]
