"""Issue 20, items 4-7 in the standard procedure (version 2), scenario by scenario.

4. Triggers from history: the child's second unplanned ending within 12 months, or the end
   of a permanent placement, requires a meeting (the learning review, not waivable); the
   rule is configurable in the procedure file; imported SSDA903 history counts.
5. Windows after an ending: the standard learning review from the ending to 30 working
   days; the adoption variant, chosen per case, 28-42 days before an order, 6-12 weeks after.
6. Sibling groups: a planned ending of a linked child waits for a decision about the others;
   an unplanned ending or a planned move opens a deadline for it.
7. Voices: the carer's views (free text kept apart), the IRO invited, attendance recorded.

Dates fall around Christmas 2025 and Easter 2026, so that bank holidays move the due dates.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from disruption import STANDARD, Engine, FixedClock, MemoryStore
from disruption.core.fold import replay
from disruption.core.system import imported_event
from disruption.domain.model import Case, Role, SiblingDecision
from disruption.engine.ports import CaseStore, NewCase
from disruption.exceptions import (
    CommandNotAllowed,
    DateOutOfOrder,
    EndingNotReady,
    InvalidData,
)
from disruption.procedure.definition import Procedure
from disruption.procedure.file import parse_procedure
from disruption.procedure.standard import ADOPTION, SHIPPED
from tests.builders import (
    MANAGER,
    SW,
    Step,
    command,
    convene_meeting_data,
    end_placement_data,
    offer_support_data,
    open_case_data,
    raise_concern_data,
    record_learning_review_data,
    record_meeting_data,
    refuse,
    reg14_steps,
    run,
    utc,
    waiver_data,
)


def make_engine(*, procedure: Procedure = STANDARD, store: CaseStore | None = None) -> Engine:
    """An engine whose clock stops at 1 December 2025, taking steps of any date: the
    scenarios span 2025 and 2026 (no backdating limit, no entry-time check)."""
    return Engine(
        MemoryStore() if store is None else store,
        procedure=procedure.replace(backdating_limit=None),
        procedures=[ADOPTION.replace(backdating_limit=None)],
        clock=FixedClock(utc(2025, 12, 1)),
        clock_tolerance=None,
    )


def opened(at: datetime, *, child: str = "C-1", kind: str = "U3", carer: str = "carer-9") -> Step:
    """``open_case`` for a placement that started on 6 January 2025."""
    return ("open_case", at, SW, open_case_data(child=child, placement_type=kind, carer=carer))


def ended(end: str, at: datetime, reason: str = "CREQB", planned: bool = False) -> Step:
    return ("end_placement", at, SW, end_placement_data(end, reason, planned))


def deadline(case: Case, name: str) -> Any:
    return next(d for d in case.deadlines if d.name == name)


# 4. Triggers from history ---------------------------------------------------------------------


def test_a_second_unplanned_ending_within_12_months_requires_a_meeting() -> None:
    engine = make_engine()
    first = run(engine, "P-1", [opened(utc(2025, 1, 6)), ended("2025-03-03", utc(2025, 3, 3))])
    assert first.meeting_required == ()  # the first: an ordinary learning review
    # The second, on Tuesday 23 December 2025: within 12 months of the first.
    second = run(
        engine, "P-2", [opened(utc(2025, 3, 3)), ended("2025-12-23", utc(2025, 12, 23, 15))]
    )
    assert second.meeting_required == ("child_unplanned_endings",)
    assert engine.history("P-2")[-1].data["meeting_required"] == ["child_unplanned_endings"]
    # Its learning review: 30 working days over Christmas, from the ending on.
    review = deadline(second, "learning_review")
    assert (review.earliest, review.due) == (date(2025, 12, 23), date(2026, 2, 6))
    # It cannot be waived.
    waive = command("P-2", "record_learning_review", utc(2025, 12, 24), *MANAGER, waiver_data())
    err = refuse(engine, waive, CommandNotAllowed)
    assert "child_unplanned_endings" in str(err)


def test_an_earlier_ending_more_than_12_months_before_does_not_count() -> None:
    engine = make_engine()
    run(engine, "P-1", [opened(utc(2025, 1, 6)), ended("2025-03-03", utc(2025, 3, 3))])
    later = run(engine, "P-2", [opened(utc(2025, 3, 3)), ended("2026-03-04", utc(2026, 3, 4))])
    assert later.meeting_required == ()
    # A planned earlier ending does not count either; nor does another child's.
    engine = make_engine()
    run(engine, "P-1", [opened(utc(2025, 1, 6)), *reg14_steps(utc(2025, 3, 3))])
    run(engine, "P-1", [ended("2025-03-03", utc(2025, 3, 3, 12), "CARPL", planned=True)])
    run(engine, "P-3", [opened(utc(2025, 1, 6), child="C-3"), ended("2025-04-01", utc(2025, 4, 1))])
    case = run(engine, "P-2", [opened(utc(2025, 3, 3)), ended("2025-12-23", utc(2025, 12, 23))])
    assert case.meeting_required == ()


def test_imported_ssda903_history_counts() -> None:
    # An imported placement of the child (SSDA903 return): unplanned (CREQB) in June 2025.
    at = datetime(2025, 6, 2, 12, tzinfo=UTC)
    source = {"from": "ssda903", "file": "episodes.csv", "row": 2}
    events = [
        imported_event(
            STANDARD, "903-C-1-20250106", 1, "open_case", at=utc(2025, 1, 6), recorded_at=at,
            data={**open_case_data(), "procedure": {"name": "standard", "version": 2}},
            source=source, from_state=None, to_state="placed",
        ),
        imported_event(
            STANDARD, "903-C-1-20250106", 2, "end_placement", at=utc(2025, 6, 2), recorded_at=at,
            data={"end": "2025-06-02", "reason": "CREQB", "planned": False},
            source=source, from_state="placed", to_state="ended",
        ),
    ]  # fmt: skip
    case = replay(events, STANDARD.records)
    assert case is not None
    engine = make_engine()
    engine.store.bulk_append([NewCase(case, tuple(events))])
    # Easter 2026: the live ending on Maundy Thursday is within 12 months of June 2025.
    live = run(engine, "P-2", [opened(utc(2025, 6, 2)), ended("2026-04-02", utc(2026, 4, 2))])
    assert live.meeting_required == ("child_unplanned_endings",)
    # 30 working days from Thursday 2 April: Good Friday, Easter Monday and 4 May skipped
    # (Apr 7-10: 4, to Apr 30: 18, May 1: 19, May 5-8: 23, 11-15: 28, 18-19: 30).
    assert deadline(live, "learning_review").due == date(2026, 5, 19)


@pytest.mark.parametrize("kind", ["U1", "U4", "A3", "A4", "A5", "A6"])
def test_the_end_of_a_permanent_placement_requires_a_meeting(kind: str) -> None:
    # A planned ending of a long-term foster or adoptive placement at the carer's request.
    engine = make_engine()
    steps = [opened(utc(2025, 1, 6), kind=kind), *reg14_steps(utc(2025, 12, 22))]
    case = run(engine, "P-1", [*steps, ended("2025-12-22", utc(2025, 12, 22, 12), planned=True)])
    assert case.meeting_required == ("permanent_placement_ended",)
    assert deadline(case, "learning_review").due == date(2026, 2, 5)


@pytest.mark.parametrize(
    ("kind", "reason"),
    [("U1", "CARPL"), ("U4", "PLACE"), ("U2", "CREQB"), ("U3", "CREQB"), ("U6", "ALLEG")],
)
def test_a_planned_move_or_a_temporary_placement_requires_none(kind: str, reason: str) -> None:
    engine = make_engine()
    steps = [opened(utc(2025, 1, 6), kind=kind), *reg14_steps(utc(2025, 12, 22))]
    case = run(engine, "P-1", [*steps, ended("2025-12-22", utc(2025, 12, 22, 12), reason, True)])
    assert case.meeting_required == ()
    assert all(d.name != "learning_review" for d in case.deadlines)


def test_leaving_care_from_a_permanent_placement_is_no_breakdown() -> None:
    engine = make_engine()
    steps = [opened(utc(2025, 1, 6), kind="A5"), *reg14_steps(utc(2025, 12, 22))]
    adopted = {"end": "2025-12-22", "left_care": "E11", "planned": True}
    case = run(engine, "P-1", [*steps, ("end_placement", utc(2025, 12, 22, 12), SW, adopted)])
    assert case.meeting_required == ()


def test_the_rule_is_configured_in_the_procedure_file() -> None:
    authority = parse_procedure(
        {
            "name": "north-borough",
            "version": 1,
            "extends": "standard",
            "rules": {
                "triggers": {
                    "child_unplanned": None,
                    "carer_unplanned": 2,
                    "months": 6,
                    "permanent_types": ["U4"],
                }
            },
        }
    )
    rule = authority.procedure.rules.triggers
    assert (rule.child_unplanned, rule.carer_unplanned, rule.months) == (None, 2, 6)
    engine = make_engine(procedure=authority.procedure)
    # Two children with the same carer: the second unplanned ending within 6 months fires.
    run(engine, "P-1", [opened(utc(2025, 1, 6), child="C-1"), ended("2025-09-01", utc(2025, 9, 1))])
    case = run(
        engine,
        "P-2",
        [opened(utc(2025, 1, 6), child="C-2"), ended("2025-12-23", utc(2025, 12, 23))],
    )
    assert case.meeting_required == ("carer_unplanned_endings",)
    # The child's own second unplanned ending is not counted here; U1 is not permanent.
    run(engine, "P-3", [opened(utc(2025, 1, 6), child="C-3", carer="carer-1")])
    case = run(
        engine, "P-4", [opened(utc(2025, 1, 6), child="C-1", carer="carer-2", kind="U1"),
                        ended("2025-12-23", utc(2025, 12, 23))],
    )  # fmt: skip
    assert case.meeting_required == ()


def test_a_bad_rule_in_the_file_is_named() -> None:
    from disruption.exceptions import DefinitionError

    with pytest.raises(DefinitionError) as raised:
        parse_procedure(
            {"name": "x", "version": 1, "rules": {"triggers": {"months": 0, "colour": 1}}}
        )
    text = str(raised.value)
    assert "rules.triggers.months" in text
    assert "colour" in text


def test_history_is_read_only_for_endings() -> None:
    engine = make_engine()
    calls: list[str] = []
    store = engine.store
    original = store.case_ids_of

    def counting(child: str) -> Any:
        calls.append(child)
        return original(child)

    store.case_ids_of = counting  # type: ignore[method-assign]
    run(engine, "P-1", [opened(utc(2025, 1, 6)), ("raise_concern", utc(2025, 12, 1), SW,
                                                 raise_concern_data())])  # fmt: skip
    assert calls == []
    run(engine, "P-1", [ended("2025-12-23", utc(2025, 12, 23))])
    assert calls == ["C-1"]


# 5. Windows after an ending, and the adoption variant ---------------------------------------


def adoption_case(engine: Engine, case: str = "A-1") -> Case:
    data = {**open_case_data(placement_type="A6"), "procedure": "adoption"}
    return run(engine, case, [("open_case", utc(2025, 1, 6), SW, data)])


def test_the_adoption_variant_is_chosen_per_case() -> None:
    engine = make_engine()
    assert adoption_case(engine).procedure.name == "adoption"
    assert run(engine, "P-1", [opened(utc(2025, 1, 6))]).procedure.name == "standard"
    assert ADOPTION in SHIPPED
    assert ADOPTION.rules.independence.exclude_adoption_service
    bad = {**open_case_data(), "procedure": "fostering"}
    err = refuse(engine, command("P-9", "open_case", utc(2025, 1, 6), data=bad), InvalidData)
    assert err.field == "procedure"


def test_before_an_order_the_meeting_falls_28_to_42_days_after() -> None:
    engine = make_engine()
    adoption_case(engine)
    end = {**end_placement_data("2025-12-23", "CREQB"), "adoption_order": False}
    case = run(engine, "A-1", [("end_placement", utc(2025, 12, 23, 15), SW, end)])
    review = deadline(case, "learning_review")
    assert (review.earliest, review.due) == (date(2026, 1, 20), date(2026, 2, 3))
    assert all(d.name != "learning_review_after_order" for d in case.deadlines)
    # Sooner than 28 days is refused; on day 28 it is met.
    early = record_learning_review_data("2026-01-19")
    err = refuse(
        engine, command("A-1", "record_learning_review", utc(2026, 1, 19), data=early),
        DateOutOfOrder,
    )  # fmt: skip
    assert err.field == "held_on"
    on_time = record_learning_review_data("2026-01-20")
    case = run(engine, "A-1", [("record_learning_review", utc(2026, 1, 20), SW, on_time)])
    assert deadline(case, "learning_review").met is True


def test_after_an_order_the_meeting_falls_6_to_12_weeks_after() -> None:
    engine = make_engine()
    adoption_case(engine)
    end = {**end_placement_data("2026-04-02", "CREQB"), "adoption_order": True}
    case = run(engine, "A-1", [("end_placement", utc(2026, 4, 2, 15), SW, end)])
    review = deadline(case, "learning_review_after_order")
    assert (review.earliest, review.due) == (date(2026, 5, 14), date(2026, 6, 25))
    assert all(d.name != "learning_review" for d in case.deadlines)
    # adoption_order is required in the variant, and unknown to the standard procedure.
    adoption_case(engine, "A-2")
    missing = end_placement_data("2026-04-02", "CREQB")
    err = refuse(
        engine, command("A-2", "end_placement", utc(2026, 4, 2), data=missing), InvalidData
    )
    assert err.field == "adoption_order"
    run(engine, "P-1", [opened(utc(2025, 1, 6))])
    bad = command("P-1", "end_placement", utc(2026, 4, 2), data=end)
    assert refuse(engine, bad, InvalidData).field == "adoption_order"


def test_the_adoption_example_file_extends_the_variant() -> None:
    from disruption.procedure.file import load_procedure
    from tests.scripts import ROOT

    authority = load_procedure(ROOT / "examples" / "procedures" / "adoption.yaml")
    assert authority.procedure.deadline("learning_review_after_order").earliest_working_days == 42


# 6. Sibling groups -----------------------------------------------------------------------------


def linked(engine: Engine, case: str = "P-1", others: tuple[str, ...] = ("P-2",)) -> Case:
    link = {"group": "SG-1", "cases": list(others)}
    return run(
        engine, case, [opened(utc(2025, 1, 6)), ("link_siblings", utc(2025, 12, 1), SW, link)]
    )


def test_a_planned_ending_of_a_linked_child_waits_for_a_decision_about_the_others() -> None:
    engine = make_engine()
    case = linked(engine)
    assert case.siblings is not None
    assert case.siblings.cases == ("P-2",)
    run(engine, "P-1", reg14_steps(utc(2025, 12, 22)))
    end = command("P-1", "end_placement", utc(2025, 12, 22, 12), data=end_placement_data(
        "2025-12-22", "CARPL", planned=True))  # fmt: skip
    assert tuple(refuse(engine, end, EndingNotReady).missing) == ("sibling_decision",)
    # The decision names each linked case, no other.
    partial = {"decided_on": "2025-12-22", "decisions": [{"case": "P-3", "decision": "stay"}]}
    bad = command("P-1", "record_sibling_decision", utc(2025, 12, 22, 11), data=partial)
    assert refuse(engine, bad, InvalidData).field == "decisions[0].case"
    decision = {"decided_on": "2025-12-22", "decisions": [{"case": "P-2", "decision": "stay"}]}
    case = run(engine, "P-1", [("record_sibling_decision", utc(2025, 12, 22, 11), SW, decision)])
    assert case.sibling_decisions == (("P-2", SiblingDecision.STAY),)
    assert engine.handle(end).case.state == "ended"


def test_an_unplanned_ending_of_a_linked_child_opens_a_decision_deadline() -> None:
    engine = make_engine()
    linked(engine)
    # Tuesday 23 December: 5 working days over Christmas and New Year's Day.
    case = run(engine, "P-1", [ended("2025-12-23", utc(2025, 12, 23, 15))])
    assert deadline(case, "sibling_decision").due == date(2026, 1, 2)
    decision = {
        "decided_on": "2025-12-24",
        "decisions": [{"case": "P-2", "decision": "move_separately"}],
    }
    case = run(engine, "P-1", [("record_sibling_decision", utc(2025, 12, 24), SW, decision)])
    assert deadline(case, "sibling_decision").met is True


def test_a_planned_move_of_a_linked_child_opens_a_decision_deadline() -> None:
    engine = make_engine()
    linked(engine, others=("P-2", "P-3"))
    steps: list[Step] = [
        ("raise_concern", utc(2026, 3, 30), SW, raise_concern_data()),
        ("offer_support", utc(2026, 3, 30, 10), MANAGER, offer_support_data()),
        ("convene_meeting", utc(2026, 3, 30, 11), SW, convene_meeting_data("2026-04-01")),
        ("record_meeting", utc(2026, 4, 1), SW, record_meeting_data("2026-04-01", "plan_move")),
    ]
    case = run(engine, "P-1", steps)
    # Wednesday 1 April 2026: Good Friday and Easter Monday skipped.
    assert deadline(case, "sibling_decision").due == date(2026, 4, 10)


def test_a_case_is_not_linked_to_itself() -> None:
    engine = make_engine()
    run(engine, "P-1", [opened(utc(2025, 1, 6))])
    group = {"group": "SG-1", "cases": ["P-2", "P-1"]}
    link = command("P-1", "link_siblings", utc(2025, 12, 1), data=group)
    assert refuse(engine, link, InvalidData).field == "cases[1]"
    decision = {"decided_on": "2025-12-01", "decisions": [{"case": "P-2", "decision": "stay"}]}
    decide = command("P-1", "record_sibling_decision", utc(2025, 12, 1), data=decision)
    refuse(engine, decide, CommandNotAllowed)


# 7. Voices -----------------------------------------------------------------------------------


def test_the_carers_views_and_the_iro_invited_and_attending() -> None:
    engine = make_engine()
    convene = {**convene_meeting_data("2025-12-24"), "invited": ["social_worker", "carer", "iro"]}
    meeting = {
        **record_meeting_data("2025-12-24", attendees=("social_worker", "carer")),
        "carer_views": "We want to keep going with more respite.",
    }
    steps: list[Step] = [
        opened(utc(2025, 1, 6)),
        ("raise_concern", utc(2025, 12, 22), SW, raise_concern_data()),
        ("convene_meeting", utc(2025, 12, 22, 10), SW, convene),
        ("record_meeting", utc(2025, 12, 24), SW, meeting),
    ]
    case = run(engine, "P-1", steps)
    held = case.meetings[-1]
    assert Role.IRO in held.invited
    assert Role.IRO not in held.attendees
    assert held.carer_views_obtained is True
    assert held.child_views_obtained is True
    data = engine.history("P-1")[-1].data
    assert data["carer_views"] == {"ref": "P-1/4/carer_views"}  # the words are kept apart
    assert engine.store.text("P-1/4/carer_views") == meeting["carer_views"]


def test_at_most_one_of_the_carers_views_or_why_not() -> None:
    engine = make_engine()
    steps: list[Step] = [
        opened(utc(2025, 1, 6)),
        ("raise_concern", utc(2025, 12, 22), SW, raise_concern_data()),
        ("convene_meeting", utc(2025, 12, 22, 10), SW, convene_meeting_data("2025-12-24")),
    ]
    run(engine, "P-1", steps)
    both = {
        **record_meeting_data("2025-12-24"),
        "carer_views": "a",
        "carer_views_not_obtained": "b",
    }
    cmd = command("P-1", "record_meeting", utc(2025, 12, 24), data=both)
    assert refuse(engine, cmd, InvalidData).field == "carer_views"
    not_obtained = {**record_meeting_data("2025-12-24"), "carer_views_not_obtained": "Carer ill."}
    case = run(engine, "P-1", [("record_meeting", utc(2025, 12, 24), SW, not_obtained)])
    assert case.meetings[-1].carer_views_obtained is False


def test_a_stored_snapshot_keeps_every_new_record(tmp_path: Path) -> None:
    # Siblings and their decision, a meeting's invited, attendees and carer's views, and why
    # an ending required a meeting: the SQL store's snapshot (format 3) reads back the case a
    # replay of its events makes, and an engine reopening the store decides on it.
    from disruption.store import SqlStore

    store = SqlStore(str(tmp_path / "cases.db"))
    engine = Engine(store, procedure=STANDARD.replace(backdating_limit=None),
                    clock=FixedClock(utc(2025, 12, 1)), clock_tolerance=None)  # fmt: skip
    run(engine, "P-0", [opened(utc(2025, 1, 6)), ended("2025-03-03", utc(2025, 3, 3))])
    convene = {**convene_meeting_data("2025-12-24"), "invited": ["social_worker", "iro"]}
    meeting = {**record_meeting_data("2025-12-24", "plan_move"), "carer_views": "Too much."}
    decision = {"decided_on": "2025-12-29", "decisions": [{"case": "P-2", "decision": "stay"}]}
    steps: list[Step] = [
        opened(utc(2025, 3, 3)),
        ("link_siblings", utc(2025, 12, 1), SW, {"group": "SG-1", "cases": ["P-2"]}),
        ("raise_concern", utc(2025, 12, 22), SW, raise_concern_data()),
        ("convene_meeting", utc(2025, 12, 22, 10), SW, convene),
        ("record_meeting", utc(2025, 12, 24), SW, meeting),
        ended("2025-12-29", utc(2025, 12, 29)),
        ("record_sibling_decision", utc(2025, 12, 29, 12), SW, decision),
    ]
    case = run(engine, "P-1", steps)
    assert case.meeting_required == ("child_unplanned_endings",)
    assert case.meetings[-1].invited == (Role.SOCIAL_WORKER, Role.IRO)
    snapshot = store.snapshot("P-1")
    assert snapshot is not None
    assert snapshot.case == case == engine.replay("P-1")
    store.close()
    again = SqlStore(str(tmp_path / "cases.db"))
    loaded = Engine(again, procedure=STANDARD.replace(backdating_limit=None)).load("P-1")
    assert loaded == case
    assert loaded is not None
    assert loaded.sibling_decisions == (("P-2", SiblingDecision.STAY),)
    again.close()


def test_the_report_counts_sibling_groups_placed_apart() -> None:
    from disruption.analysis import breakdown as bd
    from disruption.analysis.cases import case_table, sibling_table

    engine = make_engine()
    link = {"group": "SG-1", "cases": ["P-2", "P-3"]}
    # Three siblings: two with carer-9, one with carer-7: group SG-1 placed apart. Two more
    # (SG-2) with one carer: together. A third group whose only placement ended: none placed.
    run(engine, "P-1", [opened(utc(2025, 1, 6)), ("link_siblings", utc(2025, 12, 1), SW, link)])
    run(engine, "P-2", [opened(utc(2025, 1, 6), child="C-2")])
    run(engine, "P-3", [opened(utc(2025, 1, 6), child="C-3", carer="carer-7")])
    together = {"group": "SG-2", "cases": ["P-5"]}
    run(engine, "P-4", [opened(utc(2025, 1, 6), child="C-4", carer="carer-4"),
                        ("link_siblings", utc(2025, 12, 1), SW, together)])  # fmt: skip
    run(engine, "P-5", [opened(utc(2025, 1, 6), child="C-5", carer="carer-4")])
    gone = {"group": "SG-3", "cases": ["P-404"]}
    run(engine, "P-6", [opened(utc(2025, 1, 6), child="C-6"),
                        ("link_siblings", utc(2025, 12, 1), SW, gone),
                        ended("2025-12-02", utc(2025, 12, 2))])  # fmt: skip
    cases = [engine.case(c) for c in engine.store.case_ids()]
    siblings = sibling_table(cases)
    assert siblings.filter(siblings["group"] == "SG-1")["child"].to_list() == ["C-1", "C-2", "C-3"]
    groups = bd.sibling_groups(siblings, case_table(cases), date(2025, 12, 31))
    assert groups.select("group", "children", "placed", "placements", "placed_apart").rows() == [
        ("SG-1", 3, 3, 2, True),
        ("SG-2", 2, 2, 1, False),
        ("SG-3", 1, 0, 0, False),
    ]
    summary = bd.sibling_summary(groups).row(0, named=True)
    assert summary == {"groups": 3, "placed_together": 1, "placed_apart": 1, "none_placed": 1}


def test_the_report_counts_meetings_required_and_voices() -> None:
    from disruption.analysis import breakdown as bd
    from disruption.analysis.cases import meeting_table, required_table

    engine = make_engine()
    run(engine, "P-1", [opened(utc(2025, 1, 6)), ended("2025-03-03", utc(2025, 3, 3))])
    convene = {**convene_meeting_data("2025-12-24"), "invited": ["social_worker", "iro"]}
    meeting = {**record_meeting_data("2025-12-24", "plan_move"), "carer_views": "Tired."}
    steps: list[Step] = [
        opened(utc(2025, 3, 3), kind="U4"),
        ("raise_concern", utc(2025, 12, 22), SW, raise_concern_data()),
        ("convene_meeting", utc(2025, 12, 22, 10), SW, convene),
        ("record_meeting", utc(2025, 12, 24), SW, meeting),
        ended("2025-12-29", utc(2025, 12, 29)),
    ]
    run(engine, "P-2", steps)
    cases = [engine.case(c) for c in engine.store.case_ids()]
    required = bd.required_meetings(required_table(cases), date(2025, 4, 1), date(2026, 3, 31))
    assert required.rows() == [("child_unplanned_endings", 1), ("permanent_placement_ended", 1)]
    voices = bd.meeting_voices(meeting_table(cases), date(2025, 4, 1), date(2026, 3, 31))
    assert voices.row(0, named=True) == {
        "meetings": 1,
        "iro_invited": 1,
        "iro_attended": 1,  # the builder's attendees: social worker, carer, IRO
        "child_views": 1,
        "carer_views": 1,
    }


def test_a_rule_that_cannot_hold_is_a_definition_error() -> None:
    import attrs

    from disruption.exceptions import DefinitionError
    from disruption.procedure.definition import Triggers

    rules = attrs.evolve(STANDARD.rules, triggers=Triggers(child_unplanned=0, months=0))
    with pytest.raises(DefinitionError) as raised:
        STANDARD.replace(rules=rules)
    assert "rules.triggers.child_unplanned" in str(raised.value)
    assert "rules.triggers.months" in str(raised.value)


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_the_carers_cases_are_found_by_the_stores_index(backend: str, tmp_path: Path) -> None:
    from disruption.engine.history import load_history
    from disruption.store import SqlStore

    store = MemoryStore() if backend == "memory" else SqlStore(str(tmp_path / "cases.db"))
    engine = make_engine(store=store)
    run(engine, "P-1", [opened(utc(2025, 1, 6), child="C-1"), ended("2025-09-01", utc(2025, 9, 1))])
    run(engine, "P-2", [opened(utc(2025, 1, 6), child="C-2", carer="carer-2"),
                        ended("2025-09-01", utc(2025, 9, 1))])  # fmt: skip
    case = run(engine, "P-3", [opened(utc(2025, 1, 6), child="C-3")])
    assert list(store.case_ids_of_carer("carer-9")) == ["P-1", "P-3"]
    found = load_history(store, case, engine.load, carer=True)
    assert [e.case for e in found.carer] == ["P-1"]
    assert found.child == ()
    assert load_history(store, case, engine.load, carer=False).carer == ()


def test_the_carer_rule_answers_the_same_on_sqlite_as_in_memory(tmp_path: Path) -> None:
    from disruption.store import SqlStore

    rules = {"triggers": {"child_unplanned": None, "carer_unplanned": 2, "months": 12}}
    file = {"name": "north-borough", "version": 1, "extends": "standard", "rules": rules}
    procedure = parse_procedure(file).procedure
    answers = []
    for store in (MemoryStore(), SqlStore(str(tmp_path / "cases.db"))):
        engine = make_engine(procedure=procedure, store=store)
        ends = [("P-1", "C-1", "carer-9"), ("P-2", "C-2", "carer-2"), ("P-3", "C-3", "carer-9"),
                ("P-4", "C-4", "carer-2"), ("P-5", "C-5", "carer-7")]  # fmt: skip
        required = []
        for n, (case, child, carer) in enumerate(ends, start=1):
            steps = [opened(utc(2025, 1, 6), child=child, carer=carer),
                     ended(f"2025-09-0{n}", utc(2025, 9, n))]  # fmt: skip
            required.append(run(engine, case, steps).meeting_required)
        answers.append(required)
        store.close()
    assert answers[0] == answers[1]
    assert answers[0] == [(), (), ("carer_unplanned_endings",), ("carer_unplanned_endings",), ()]


def test_a_case_under_a_definition_not_given_is_left_out_of_the_history() -> None:
    from structlog.testing import capture_logs

    ours = STANDARD.draft(name="ours", version=1).build()
    store = MemoryStore()
    first = Engine(store, procedure=ours, clock=FixedClock(utc(2025, 12, 1)), clock_tolerance=None)
    run(first, "P-1", [opened(utc(2025, 11, 24)), ended("2025-11-25", utc(2025, 11, 25))])
    engine = Engine(store, clock=FixedClock(utc(2025, 12, 1)), clock_tolerance=None)
    with capture_logs() as logs:
        case = run(
            engine, "P-2", [opened(utc(2025, 11, 25)), ended("2025-12-01", utc(2025, 12, 1))]
        )
    assert case.meeting_required == ()  # the earlier ending could not be read
    skipped = [line for line in logs if line["event"] == "history.case_skipped"]
    assert skipped == [
        {"event": "history.case_skipped", "case": "P-1", "error": "UnknownProcedure",
         "log_level": "warning"}
    ]  # fmt: skip


def test_case_show_json_says_why_a_meeting_was_required_and_the_siblings() -> None:
    from disruption.engine.views import case_json

    engine = make_engine()
    case = linked(engine)
    assert case_json(case, engine.history("P-1"))["siblings"] == {
        "group": "SG-1",
        "cases": ["P-2"],
    }
    steps = [*reg14_steps(utc(2025, 12, 22))]
    run(engine, "P-1", steps)
    decision = {"decided_on": "2025-12-22", "decisions": [{"case": "P-2", "decision": "stay"}]}
    run(engine, "P-1", [("record_sibling_decision", utc(2025, 12, 22, 11), SW, decision)])
    case = run(engine, "P-1", [ended("2025-12-22", utc(2025, 12, 22, 12), "CREQO", True)])
    ending = case_json(case, engine.history("P-1"))["ending"]
    assert ending["meeting_required"] == []  # a U3 placement, the child's first ending
