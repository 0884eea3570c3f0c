"""Issue 20, items 1-3 in the standard procedure (version 2), scenario by scenario.

1. Regulation 14 before a planned ending: the IRO informed, the case reviewed (or an
   immediate risk recorded by a manager), advance notice with its recipients; the
   10-working-day notice only where no advance notice was given.
2. The chair's independence: not a social worker of the case, nor their line manager (recorded
   on the case or configured by the authority), nor in the adoption procedure the adoption
   service.
3. The chair's report: its own deadline and circulation; recommendations each an open
   deadline with an owner and a due date, completed one by one, listed by ``overdue`` and
   counted by the report.

Dates fall around Christmas 2025 and Easter 2026, so that bank holidays move the due dates.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from disruption import DEFAULT_CALENDAR, STANDARD, Engine, FixedClock, MemoryStore
from disruption.analysis.breakdown import recommendations
from disruption.analysis.cases import recommendation_table
from disruption.analysis.report import write_report
from disruption.core.migrate import plan_migration
from disruption.domain.model import Case, DeadlineStatus, Notice, Role
from disruption.exceptions import (
    ChairNotIndependent,
    CommandNotAllowed,
    DateOutOfOrder,
    EndingNotReady,
    InvalidData,
    PermissionRefused,
    UnknownCommand,
)
from disruption.procedure.file import parse_procedure
from disruption.procedure.standard import STANDARD_V1, STANDARD_VERSIONS
from tests.builders import (
    MANAGER,
    SW,
    Step,
    command,
    complete_recommendation_data,
    convene_meeting_data,
    end_placement_data,
    give_notice_data,
    immediate_risk_data,
    inform_iro_data,
    issue_report_data,
    make_engine,
    offer_support_data,
    open_case_data,
    raise_concern_data,
    record_learning_review_data,
    record_line_manager_data,
    record_notice_data,
    refuse,
    review_case_data,
    run,
    utc,
    waiver_data,
)

XMAS = utc(2025, 12, 15, 10)
"""Monday 15 December 2025, when the cases here are opened."""


def opened(case: str = "P-1", at: datetime = XMAS) -> Step:
    return ("open_case", at, SW, open_case_data())


def engine_with(*steps: Step, case: str = "P-1", **kwargs: Any) -> Engine:
    engine = make_engine(XMAS, **kwargs)
    run(engine, case, [opened(case), *steps])
    return engine


def due(case: Case, name: str) -> date:
    return next(d.due for d in case.open_deadlines() if d.name == name)


# 1. Regulation 14 ------------------------------------------------------------------------------


def test_the_standard_procedure_is_version_2_and_version_1_is_still_shipped() -> None:
    assert (STANDARD.name, STANDARD.version) == ("standard", 2)
    assert [(p.name, p.version) for p in STANDARD_VERSIONS] == [("standard", 1), ("standard", 2)]
    assert STANDARD_V1.machine.commands_in("ended") == ("record_learning_review", "record_notice")


def test_a_planned_ending_straight_from_a_concern_is_refused_naming_what_is_missing() -> None:
    engine = engine_with(("raise_concern", utc(2025, 12, 16), SW, raise_concern_data()))
    cmd = command(
        "P-1",
        "end_placement",
        utc(2025, 12, 23),
        data=end_placement_data("2025-12-23", planned=True),
    )
    err = refuse(engine, cmd, EndingNotReady)
    assert err.missing == ("iro_informed", "case_reviewed")
    assert err.state == "concern_raised"
    assert "inform_iro" in str(err)
    assert "review_case" in str(err)


@pytest.mark.parametrize(
    ("before", "missing"),
    [
        ([("inform_iro", inform_iro_data("2025-12-22"), SW)], ("case_reviewed",)),
        ([("review_case", review_case_data("2025-12-22"), SW)], ("iro_informed",)),
        # Informed after the (backdated) ending's date: not before it.
        (
            [
                ("inform_iro", inform_iro_data("2025-12-23"), SW),
                ("review_case", review_case_data("2025-12-19"), SW),
            ],
            ("iro_informed",),
        ),
        # A review held after the ending's date does not count either.
        (
            [
                ("inform_iro", inform_iro_data("2025-12-19"), SW),
                ("review_case", review_case_data("2025-12-23"), SW),
            ],
            ("case_reviewed",),
        ),
    ],
)
def test_each_missing_step_is_named(
    before: list[tuple[str, dict[str, Any], tuple[str, str]]], missing: tuple[str, ...]
) -> None:
    engine = engine_with(*((name, utc(2025, 12, 23, 9), who, data) for name, data, who in before))
    ending = end_placement_data("2025-12-22", planned=True)
    cmd = command("P-1", "end_placement", utc(2025, 12, 23, 11), data=ending)
    assert refuse(engine, cmd, EndingNotReady).missing == missing


def test_a_planned_ending_with_advance_notice_over_christmas_opens_nothing() -> None:
    engine = engine_with(
        ("inform_iro", utc(2025, 12, 19), SW, inform_iro_data("2025-12-19")),
        ("review_case", utc(2025, 12, 19, 11), SW, review_case_data("2025-12-19")),
        ("give_notice", utc(2025, 12, 19, 12), SW, give_notice_data("2025-12-19", ["FC-881"])),
    )
    ended = run(
        engine,
        "P-1",
        [("end_placement", utc(2025, 12, 24), SW, end_placement_data("2025-12-24", planned=True))],
    )
    assert ended.state == "ended"
    assert ended.open_deadlines() == ()
    assert ended.notices == (Notice(date(2025, 12, 19), ("FC-881",), advance=True),)
    assert (ended.iro_informed_on, ended.case_reviewed_on) == (date(2025, 12, 19),) * 2
    event = engine.history("P-1")[-2]
    assert (event.type, event.data["recipients"]) == ("NoticeGiven", ["FC-881"])


def test_without_advance_notice_a_planned_ending_opens_the_10_day_notice() -> None:
    # Ended Tue 23 Dec 2025. 10 working days: Dec 24 (1); Christmas, Boxing Day, weekend;
    # Dec 29-31 (4); New Year's Day; Jan 2 (5); Jan 5-9 (10): due Friday 9 January 2026.
    engine = engine_with(
        ("inform_iro", utc(2025, 12, 22), SW, inform_iro_data("2025-12-22")),
        ("review_case", utc(2025, 12, 22, 11), SW, review_case_data("2025-12-22")),
    )
    ended = run(
        engine,
        "P-1",
        [("end_placement", utc(2025, 12, 23), SW, end_placement_data("2025-12-23", planned=True))],
    )
    assert [d.name for d in ended.open_deadlines()] == ["termination_notice"]
    assert due(ended, "termination_notice") == date(2026, 1, 9)
    assert DEFAULT_CALENDAR.add_working_days(date(2025, 12, 23), 10) == date(2026, 1, 9)
    noticed = run(
        engine,
        "P-1",
        [("record_notice", utc(2026, 1, 9), SW, record_notice_data("2026-01-09", ["FC-881"]))],
    )
    assert noticed.notices[-1] == Notice(date(2026, 1, 9), ("FC-881",), advance=False)
    assert noticed.deadlines[-1].status is DeadlineStatus.MET


def test_an_immediate_risk_recorded_by_a_manager_stands_in_for_the_review() -> None:
    engine = engine_with(
        ("inform_iro", utc(2026, 4, 2), SW, inform_iro_data("2026-04-02")),
        ("record_immediate_risk", utc(2026, 4, 2, 11), MANAGER, immediate_risk_data("2026-04-02")),
    )
    ended = run(
        engine,
        "P-1",
        [
            (
                "end_placement",
                utc(2026, 4, 2, 12),
                SW,
                end_placement_data("2026-04-02", planned=True),
            )
        ],
    )
    assert ended.immediate_risk_on == date(2026, 4, 2)
    # No advance notice: due 10 working days after Maundy Thursday, past Good Friday and
    # Easter Monday: Monday 20 April.
    assert due(ended, "termination_notice") == date(2026, 4, 20)
    # The reason is free text: kept apart, the event holds a reference.
    risk = next(e for e in engine.history("P-1") if e.type == "ImmediateRiskRecorded")
    assert risk.data["reason"] == {"ref": f"P-1/{risk.seq}/reason"}


@pytest.mark.parametrize("role", ["social_worker", "iro", "carer", "supervising_social_worker"])
def test_only_a_manager_may_record_an_immediate_risk(role: str) -> None:
    engine = engine_with()
    cmd = command(
        "P-1",
        "record_immediate_risk",
        utc(2025, 12, 16),
        role,
        "x-1",
        immediate_risk_data("2025-12-16"),
    )
    assert refuse(engine, cmd, PermissionRefused).role == role


def test_an_unplanned_ending_is_not_refused_and_the_iro_must_be_told_after_easter() -> None:
    # Ended on Maundy Thursday, 2 April 2026, the IRO not told before: informed is due the
    # next working day, Tuesday 7 April (Good Friday, the weekend and Easter Monday between).
    engine = engine_with()
    ended = run(
        engine, "P-1", [("end_placement", utc(2026, 4, 2), SW, end_placement_data("2026-04-02"))]
    )
    assert sorted(d.name for d in ended.open_deadlines()) == [
        "iro_informed",
        "learning_review",
        "termination_notice",
    ]
    assert due(ended, "iro_informed") == date(2026, 4, 7)
    assert [o.deadline.name for o in engine.overdue(date(2026, 4, 8))] == ["iro_informed"]
    late = run(engine, "P-1", [("inform_iro", utc(2026, 4, 8), SW, inform_iro_data("2026-04-08"))])
    informed = next(d for d in late.deadlines if d.name == "iro_informed")
    assert (informed.status, informed.closed_on) == (DeadlineStatus.LATE, date(2026, 4, 8))


def test_the_iro_told_after_a_backdated_ending_but_before_it_is_entered_opens_nothing() -> None:
    engine = engine_with(("inform_iro", utc(2025, 12, 22), SW, inform_iro_data("2025-12-22")))
    ended = run(
        engine,
        "P-1",
        [("end_placement", utc(2025, 12, 22, 11), SW, end_placement_data("2025-12-19"))],
    )
    assert "iro_informed" not in {d.name for d in ended.open_deadlines()}


def test_advance_notice_before_an_unplanned_ending_spares_the_10_day_notice() -> None:
    engine = engine_with(
        ("inform_iro", utc(2025, 12, 18), SW, inform_iro_data("2025-12-18")),
        ("give_notice", utc(2025, 12, 18, 11), SW, give_notice_data("2025-12-18")),
    )
    ended = run(
        engine, "P-1", [("end_placement", utc(2025, 12, 22), SW, end_placement_data("2025-12-22"))]
    )
    assert [d.name for d in ended.open_deadlines()] == ["learning_review"]


@pytest.mark.parametrize(
    ("name", "data", "error", "field"),
    [
        (
            "give_notice",
            {"sent_on": "2025-12-16", "recipients": ["Mrs Jones"]},
            InvalidData,
            "recipients[0]",
        ),
        ("give_notice", {"sent_on": "2025-12-16", "recipients": []}, InvalidData, "recipients"),
        ("give_notice", {"sent_on": "2025-12-16"}, InvalidData, "recipients"),
        ("inform_iro", {"informed_on": "2025-12-16", "iro": "the IRO"}, InvalidData, "iro"),
        # After the command's date; before the placement started.
        ("review_case", {"held_on": "2025-12-17"}, DateOutOfOrder, "held_on"),
        ("review_case", {"held_on": "2024-12-17"}, DateOutOfOrder, "held_on"),
        ("record_line_manager", {"social_worker": "sw-1"}, InvalidData, "line_manager"),
    ],
)
def test_reg14_records_refuse_bad_data(
    name: str, data: dict[str, Any], error: type[InvalidData], field: str
) -> None:
    engine = engine_with()
    err = refuse(engine, command("P-1", name, utc(2025, 12, 16), data=data), error)
    assert err.field == field


def test_a_version_1_case_still_ends_as_it_did_and_loads_from_its_events() -> None:
    store = MemoryStore()
    old = Engine(store, procedure=STANDARD_V1, clock=FixedClock(XMAS), clock_tolerance=None)
    run(old, "OLD-1", [opened("OLD-1")])
    engine = Engine(store, clock=FixedClock(XMAS), clock_tolerance=None)  # knows version 1
    ended = run(
        engine,
        "OLD-1",
        [
            (
                "end_placement",
                utc(2025, 12, 16),
                SW,
                end_placement_data("2025-12-16", planned=True),
            ),
            ("record_notice", utc(2025, 12, 17), SW, {"sent_on": "2025-12-17"}),
        ],
    )
    assert (ended.procedure.version, ended.notice_sent_on, ended.notices) == (
        1,
        date(2025, 12, 17),
        (),
    )
    assert engine.replay("OLD-1") == ended == engine.load("OLD-1")
    with pytest.raises(UnknownCommand):  # version 1 has no chair's report
        engine.handle(command("OLD-1", "issue_report", utc(2025, 12, 18), data={}))


def test_a_migrated_version_1_case_needs_regulation_14_before_a_planned_ending() -> None:
    store = MemoryStore()
    old = Engine(store, procedure=STANDARD_V1, clock=FixedClock(XMAS), clock_tolerance=None)
    run(
        old,
        "OLD-1",
        [opened("OLD-1"), ("raise_concern", utc(2025, 12, 15, 11), SW, raise_concern_data())],
    )
    engine = Engine(store, clock=FixedClock(XMAS), clock_tolerance=None)
    assert plan_migration([engine.case("OLD-1")], STANDARD, {}).problems == ()
    engine.migrate(STANDARD, {})
    moved = engine.case("OLD-1")
    assert (moved.state, moved.procedure.version) == ("concern_raised", 2)
    assert [d.name for d in moved.open_deadlines()] == ["screening"]  # kept as it was
    cmd = command(
        "OLD-1",
        "end_placement",
        utc(2025, 12, 17),
        data=end_placement_data("2025-12-17", planned=True),
    )
    refuse(engine, cmd, EndingNotReady)
    run(
        engine,
        "OLD-1",
        [
            ("inform_iro", utc(2025, 12, 17), SW, inform_iro_data("2025-12-17")),
            ("review_case", utc(2025, 12, 17), SW, review_case_data("2025-12-17")),
        ],
    )
    assert engine.handle(cmd).case.state == "ended"


# 2. Independence -------------------------------------------------------------------------------


def _convene(engine: Engine, chair_id: str, chair_role: str = "team_manager") -> Case:
    return engine.handle(
        command(
            "P-1",
            "convene_meeting",
            utc(2025, 12, 16, 12),
            data=convene_meeting_data("2025-12-18", chair_role, chair_id),
        )
    ).case


@pytest.mark.parametrize("chair", ["tm-1", "TM-1", "Tm-1"])
def test_the_line_manager_recorded_on_the_case_may_not_chair(chair: str) -> None:
    # Recorded as SW-1's line manager; the case's social worker acts as sw-1: ids are
    # compared normalised (case folded), so it is the same person.
    engine = engine_with(
        ("raise_concern", utc(2025, 12, 16), SW, raise_concern_data()),
        (
            "record_line_manager",
            utc(2025, 12, 16, 11),
            SW,
            record_line_manager_data("SW-1", "tm-1"),
        ),
    )
    cmd = command(
        "P-1",
        "convene_meeting",
        utc(2025, 12, 16, 12),
        data=convene_meeting_data("2025-12-18", "team_manager", chair),
    )
    err = refuse(engine, cmd, ChairNotIndependent)
    assert (err.reason, err.chair) == ("line_manager", chair)
    assert _convene(engine, "tm-2").state == "disruption_meeting"  # another manager may


def test_the_line_manager_of_a_worker_who_never_acted_on_the_case_may_chair() -> None:
    engine = engine_with(
        ("raise_concern", utc(2025, 12, 16), SW, raise_concern_data()),
        (
            "record_line_manager",
            utc(2025, 12, 16, 11),
            SW,
            record_line_manager_data("sw-99", "tm-1"),
        ),
    )
    assert _convene(engine, "tm-1").state == "disruption_meeting"


def test_a_line_manager_configured_by_the_authority_may_not_chair() -> None:
    authority = parse_procedure(
        {
            "name": "east-borough",
            "version": 1,
            "rules": {"independence": {"line_managers": {"SW-1": ["tm-3"]}}},
        }
    )
    engine = engine_with(
        ("raise_concern", utc(2025, 12, 16), SW, raise_concern_data()),
        procedure=authority.procedure,
    )
    cmd = command(
        "P-1",
        "convene_meeting",
        utc(2025, 12, 16, 12),
        data=convene_meeting_data("2025-12-18", "team_manager", "TM-3"),
    )
    assert refuse(engine, cmd, ChairNotIndependent).reason == "line_manager"
    # The standard procedure configures no such relationship: tm-3 may chair there.
    standard = engine_with(("raise_concern", utc(2025, 12, 16), SW, raise_concern_data()))
    assert _convene(standard, "tm-3").state == "disruption_meeting"


def test_the_case_social_worker_is_still_refused_with_its_reason() -> None:
    engine = engine_with(("raise_concern", utc(2025, 12, 16), SW, raise_concern_data()))
    cmd = command(
        "P-1",
        "convene_meeting",
        utc(2025, 12, 16, 12),
        data=convene_meeting_data("2025-12-18", "team_manager", "Sw-1"),
    )
    assert refuse(engine, cmd, ChairNotIndependent).reason == "social_worker"


ADOPTION = Path(__file__).resolve().parents[1] / "examples" / "procedures" / "adoption.yaml"


def _ending(procedure: Any) -> dict[str, Any]:
    """An unplanned ending on 19 December 2025 (in the adoption variant: before an order)."""
    data = end_placement_data("2025-12-19")
    if procedure.name != "standard":
        data["adoption_order"] = False
    return data


def _ended_under(procedure: Any) -> Engine:
    engine = engine_with(procedure=procedure)
    run(
        engine,
        "P-1",
        [
            ("end_placement", utc(2025, 12, 19), SW, _ending(procedure)),
            ("record_line_manager", utc(2025, 12, 19, 11), SW, record_line_manager_data()),
        ],
    )
    return engine


def test_in_the_adoption_procedure_the_adoption_service_may_not_chair() -> None:
    from disruption.procedure.file import load_procedure

    adoption = load_procedure(ADOPTION).procedure
    engine = _ended_under(adoption)
    review = record_learning_review_data(
        "2026-01-26", chair_role="team_manager", chair_id="ADOPT-1"
    )
    cmd = command("P-1", "record_learning_review", utc(2026, 1, 26), data=review)
    assert refuse(engine, cmd, ChairNotIndependent).reason == "adoption_service"
    # Nor the social worker's line manager, recorded after the ending.
    review = record_learning_review_data("2026-01-26", chair_role="team_manager", chair_id="tm-1")
    cmd = command("P-1", "record_learning_review", utc(2026, 1, 26), data=review)
    assert refuse(engine, cmd, ChairNotIndependent).reason == "line_manager"
    # In the standard procedure the adoption service is not excluded.
    standard = _ended_under(STANDARD)
    review = record_learning_review_data(
        "2026-01-26", chair_role="team_manager", chair_id="adopt-1"
    )
    ok = standard.handle(command("P-1", "record_learning_review", utc(2026, 1, 26), data=review))
    assert ok.case.review is not None


# 3. The chair's report and its recommendations ----------------------------------------------


def reviewed(held_on: str = "2025-12-23") -> Engine:
    """A case ended (unplanned) on Fri 19 Dec 2025, the IRO told and notice sent, its learning
    review held on ``held_on``."""
    engine = engine_with(
        ("raise_concern", utc(2025, 12, 16), SW, raise_concern_data()),
        ("offer_support", utc(2025, 12, 16, 11), MANAGER, offer_support_data()),
    )
    at = datetime.fromisoformat(f"{held_on}T15:00:00+00:00")
    run(
        engine,
        "P-1",
        [
            ("end_placement", utc(2025, 12, 19), SW, end_placement_data("2025-12-19")),
            ("inform_iro", utc(2025, 12, 19, 11), SW, inform_iro_data("2025-12-19")),
            ("record_notice", utc(2025, 12, 22), SW, record_notice_data("2025-12-22")),
            ("record_learning_review", at, SW, record_learning_review_data(held_on)),
        ],
    )
    return engine


RECS = (("R1", "team_manager", "2026-02-27"), ("R2", "fostering_team_manager", "2026-03-31"))


def test_the_learning_review_opens_the_report_due_in_20_working_days_over_christmas() -> None:
    # Held Tue 23 Dec 2025: Dec 24 (1); Dec 29-31 (4); Jan 2 (5); Jan 5-9 (10), 12-16 (15),
    # 19-23 (20): due Friday 23 January 2026.
    case = reviewed().case("P-1")
    assert due(case, "chair_report") == date(2026, 1, 23)
    assert STANDARD.deadline("chair_report").source == "authority default"


def test_a_waived_review_opens_no_report() -> None:
    engine = engine_with()
    run(
        engine,
        "P-1",
        [
            ("end_placement", utc(2025, 12, 19), SW, end_placement_data("2025-12-19")),
            ("record_learning_review", utc(2025, 12, 22), MANAGER, waiver_data()),
        ],
    )
    assert "chair_report" not in {d.name for d in engine.case("P-1").open_deadlines()}
    cmd = command("P-1", "issue_report", utc(2025, 12, 23), data=issue_report_data("2025-12-23"))
    refuse(engine, cmd, CommandNotAllowed)


def test_the_report_circulates_and_each_recommendation_is_a_deadline_of_its_own() -> None:
    engine = reviewed()
    case = run(
        engine,
        "P-1",
        [("issue_report", utc(2026, 1, 23), MANAGER, issue_report_data("2026-01-23", RECS))],
    )
    assert case.report is not None
    assert case.report.circulation == ("panel-1", "tm-2", "iro-1")
    assert [(r.id, r.owner, r.due, r.completed_on) for r in case.recommendations] == [
        ("R1", Role.TEAM_MANAGER, date(2026, 2, 27), None),
        ("R2", Role.FOSTERING_TEAM_MANAGER, date(2026, 3, 31), None),
    ]
    report = next(d for d in case.deadlines if d.name == "chair_report")
    assert report.status is DeadlineStatus.MET  # on the due date
    opened_ = sorted((d.id, d.due) for d in case.open_deadlines() if d.name == "recommendation")
    seq = case.version
    assert opened_ == [
        (f"recommendation-{seq}:R1", date(2026, 2, 27)),
        (f"recommendation-{seq}:R2", date(2026, 3, 31)),
    ]
    # The words are free text, kept apart; the event holds references.
    event = engine.history("P-1")[-1]
    assert event.data["recommendations"][0]["text"] == {"ref": f"P-1/{seq}/recommendations[0].text"}
    assert event.data["recommendations"][0]["owner"] == "team_manager"
    assert engine.store.text(f"P-1/{seq}/recommendations[0].text") == "Recommendation R1."


def test_overdue_lists_recommendations_and_completion_clears_one_at_a_time() -> None:
    engine = reviewed()
    run(
        engine,
        "P-1",
        [("issue_report", utc(2026, 1, 23), MANAGER, issue_report_data("2026-01-23", RECS))],
    )
    overdue = engine.overdue(date(2026, 3, 2))
    assert [(o.case, o.deadline.name, o.deadline.id.rpartition(":")[2]) for o in overdue] == [
        ("P-1", "recommendation", "R1")
    ]
    done = run(
        engine,
        "P-1",
        [
            (
                "complete_recommendation",
                utc(2026, 3, 3),
                MANAGER,
                complete_recommendation_data("R1", "2026-03-03"),
            )
        ],
    )
    r1, r2 = done.recommendations
    assert (r1.completed_on, r2.completed_on) == (date(2026, 3, 3), None)
    closed = next(d for d in done.deadlines if d.id.endswith(":R1"))
    assert closed.status is DeadlineStatus.LATE  # due 27 February
    assert [o.deadline.id.rpartition(":")[2] for o in engine.overdue(date(2026, 4, 7))] == ["R2"]
    again = command(
        "P-1",
        "complete_recommendation",
        utc(2026, 3, 4),
        data=complete_recommendation_data("R1", "2026-03-04"),
    )
    refuse(engine, again, CommandNotAllowed)
    unknown = command(
        "P-1",
        "complete_recommendation",
        utc(2026, 3, 4),
        data=complete_recommendation_data("R9", "2026-03-04"),
    )
    assert refuse(engine, unknown, InvalidData).field == "recommendation"


@pytest.mark.parametrize(
    ("data", "error", "field"),
    [
        (
            issue_report_data("2026-01-23", [("R1", "team_manager", "2026-01-22")]),
            DateOutOfOrder,
            "recommendations[0].due",
        ),
        (
            issue_report_data("2026-01-23", [("R1", "team_manager", "2026-02-01")] * 2),
            InvalidData,
            "recommendations[1].id",
        ),
        (
            issue_report_data("2026-01-23", [("R1", "mayor", "2026-02-01")]),
            InvalidData,
            "recommendations[0].owner",
        ),
        (issue_report_data("2026-01-23", circulation=()), InvalidData, "circulation"),
        (issue_report_data("2025-12-22"), DateOutOfOrder, "issued_on"),  # before the review
    ],
)
def test_a_report_with_bad_data_is_refused(
    data: dict[str, Any], error: type[InvalidData], field: str
) -> None:
    engine = reviewed()
    err = refuse(engine, command("P-1", "issue_report", utc(2026, 1, 23), data=data), error)
    assert err.field == field


def test_the_report_is_recorded_once() -> None:
    engine = reviewed()
    run(engine, "P-1", [("issue_report", utc(2026, 1, 5), SW, issue_report_data("2026-01-05"))])
    cmd = command("P-1", "issue_report", utc(2026, 1, 6), data=issue_report_data("2026-01-06"))
    refuse(engine, cmd, CommandNotAllowed)


def test_the_report_timescale_is_configurable_in_a_procedure_file() -> None:
    authority = parse_procedure({"name": "west", "version": 1, "timescales": {"chair_report": 5}})
    assert authority.procedure.deadline("chair_report").working_days == 5


def test_the_analysis_counts_recommendations_agreed_completed_and_overdue(tmp_path: Path) -> None:
    engine = reviewed()
    run(
        engine,
        "P-1",
        [
            ("issue_report", utc(2026, 1, 23), MANAGER, issue_report_data("2026-01-23", RECS)),
            (
                "complete_recommendation",
                utc(2026, 3, 3),
                MANAGER,
                complete_recommendation_data("R1", "2026-03-03"),
            ),
        ],
    )
    table = recommendation_table([engine.case("P-1")])
    assert table.height == 2
    assert set(table.columns) == {
        "case",
        "recommendation",
        "owner",
        "agreed_on",
        "due",
        "completed_on",
    }
    on_2_april = recommendations(table, date(2026, 1, 1), date(2026, 4, 2))
    assert on_2_april.to_dicts() == [
        {
            "owner": "fostering_team_manager",
            "agreed": 1,
            "completed": 0,
            "completed_late": 0,
            "overdue": 1,
            "open_not_yet_due": 0,
        },
        {
            "owner": "team_manager",
            "agreed": 1,
            "completed": 1,
            "completed_late": 1,
            "overdue": 0,
            "open_not_yet_due": 0,
        },
    ]
    # As they stood on 1 March: R1 overdue (not yet completed), R2 not yet due.
    on_1_march = recommendations(table, date(2026, 1, 1), date(2026, 3, 1))
    assert on_1_march.select("overdue", "open_not_yet_due").sum().row(0) == (1, 1)
    files = write_report(
        engine.store,
        tmp_path / "report",
        start=date(2026, 1, 1),
        end=date(2026, 4, 2),
        suppress=None,
    )
    counted = (tmp_path / "report" / "recommendations.csv").read_text(encoding="utf-8")
    assert (
        counted.splitlines()[0] == "owner,agreed,completed,completed_late,overdue,open_not_yet_due"
    )
    assert counted.splitlines()[-1] == "Total,2,1,1,1,0"
    assert files.index.exists()


def test_nothing_a_refused_command_would_have_opened_is_left() -> None:
    # The guard runs before anything is written: a refused planned ending leaves the case and
    # its deadlines as they were (checked by refuse), and the case can still end unplanned.
    engine = engine_with(("raise_concern", utc(2025, 12, 16), SW, raise_concern_data()))
    planned = command(
        "P-1",
        "end_placement",
        utc(2025, 12, 17),
        data=end_placement_data("2025-12-17", planned=True),
    )
    refuse(engine, planned, EndingNotReady)
    unplanned = command(
        "P-1", "end_placement", utc(2025, 12, 17), data=end_placement_data("2025-12-17")
    )
    assert engine.handle(unplanned).case.state == "ended"
