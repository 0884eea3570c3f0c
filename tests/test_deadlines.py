"""Timescales in working days: due dates worked out by hand, met or late, cancelled, overdue.

A deadline of N working days is due on the Nth working day after the event's date (the date of
``at`` in Europe/London; the event's own day is not counted). Working days are Monday to
Friday less the bank holidays of England and Wales. Each expected date below is counted by
hand in a comment; the bank holidays used are checked against ``holidays`` in the first test.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import holidays
import pytest

from disruption.domain.model import Case, Deadline, DeadlineStatus
from disruption.engine.engine import Engine
from disruption.engine.ports import OverdueDeadline
from tests.builders import (
    MANAGER,
    SW,
    T0,
    Step,
    convene_meeting_data,
    end_placement_data,
    hours,
    make_engine,
    no_further_action_data,
    offer_support_data,
    open_case_data,
    raise_concern_data,
    record_learning_review_data,
    record_meeting_data,
    record_notice_data,
    reg14_steps,
    run,
    stabilise_data,
    utc,
    waiver_data,
)


def deadline(case: Case, name: str) -> Deadline:
    """The most recently opened deadline of that name."""
    found: list[Deadline] = [d for d in case.deadlines if d.name == name]
    assert found, f"no {name} deadline in {[d.name for d in case.deadlines]}"
    return found[-1]


def opened(at: datetime, placement_type: str = "U3") -> Step:
    """``open_case`` at ``at`` for a placement that started on 6 January 2025."""
    return ("open_case", at, SW, open_case_data(placement_type=placement_type))


def concern(at: datetime) -> Step:
    return ("raise_concern", at, SW, raise_concern_data())


def test_the_bank_holidays_the_hand_counts_rely_on() -> None:
    england = holidays.country_holidays("GB", subdiv="ENG", years=[2025, 2026])
    for day in (
        date(2025, 8, 25),
        date(2025, 12, 25),
        date(2025, 12, 26),
        date(2026, 1, 1),
        date(2026, 4, 3),  # Good Friday
        date(2026, 4, 6),  # Easter Monday
        date(2026, 5, 4),  # Early May bank holiday
    ):
        assert day in england, day
    for day in (date(2025, 12, 24), date(2025, 12, 29), date(2026, 4, 2), date(2026, 4, 7)):
        assert day not in england, day


# Screening -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "opened_on", "due"),
    [
        # Mon 1 Dec 2025: Tue 2 (1), Wed 3 (2).
        (utc(2025, 12, 1, 10), date(2025, 12, 1), date(2025, 12, 3)),
        # Tue 23 Dec 2025: Wed 24 (1); Thu 25 and Fri 26 bank holidays; 27-28 weekend;
        # Mon 29 (2).
        (utc(2025, 12, 23, 10), date(2025, 12, 23), date(2025, 12, 29)),
        # Thu 2 Apr 2026 (10:00 BST): Fri 3 Good Friday; 4-5 weekend; Mon 6 Easter Monday;
        # Tue 7 (1), Wed 8 (2).
        (utc(2026, 4, 2, 9), date(2026, 4, 2), date(2026, 4, 8)),
        # Sat 10 Jan 2026: the Saturday is not a working day; Mon 12 (1), Tue 13 (2).
        (utc(2026, 1, 10, 11), date(2026, 1, 10), date(2026, 1, 13)),
        # Sun 11 Jan 2026: Mon 12 (1), Tue 13 (2).
        (utc(2026, 1, 11, 11), date(2026, 1, 11), date(2026, 1, 13)),
        # Mon 30 Jun 2025 23:30 UTC is 00:30 BST on Tue 1 Jul: Wed 2 (1), Thu 3 (2).
        # (Counting from the UTC date would give Wed 2 Jul.)
        (utc(2025, 6, 30, 23, 30), date(2025, 7, 1), date(2025, 7, 3)),
        # Mon 1 Dec 2025 23:30 UTC is 23:30 GMT, still Monday: Wed 3 Dec.
        (utc(2025, 12, 1, 23, 30), date(2025, 12, 1), date(2025, 12, 3)),
        # Fri 22 Aug 2025: Mon 25 Aug bank holiday; Tue 26 (1), Wed 27 (2).
        (utc(2025, 8, 22, 12), date(2025, 8, 22), date(2025, 8, 27)),
    ],
)
def test_screening_is_due_two_working_days_after_the_concern(
    at: datetime, opened_on: date, due: date
) -> None:
    engine = make_engine(at)  # entered when it happened
    case = run(engine, "P-1", [opened(at - timedelta(hours=1)), concern(at)])
    screening = deadline(case, "screening")
    assert (screening.id, screening.opened_on, screening.due) == ("screening-2", opened_on, due)
    assert screening.status is DeadlineStatus.OPEN
    assert case.concerns[-1].on == opened_on


def test_screening_opens_again_for_a_concern_after_stabilising() -> None:
    engine = make_engine()
    steps: list[Step] = [
        opened(T0),
        concern(hours(T0, 1)),
        ("offer_support", hours(T0, 2), MANAGER, offer_support_data()),
        ("stabilise", hours(T0, 3), MANAGER, stabilise_data()),
        # Tue 23 Dec 2025: due Mon 29 Dec (see above).
        concern(utc(2025, 12, 23, 10)),
    ]
    case = run(engine, "P-1", steps)
    assert [(d.id, d.status) for d in case.deadlines if d.name == "screening"] == [
        ("screening-2", DeadlineStatus.MET),
        ("screening-5", DeadlineStatus.OPEN),
    ]
    assert deadline(case, "screening").due == date(2025, 12, 29)


@pytest.mark.parametrize(
    "step",
    [
        ("no_further_action", MANAGER, no_further_action_data()),
        ("offer_support", MANAGER, offer_support_data()),
        ("convene_meeting", SW, convene_meeting_data("2025-12-04")),
        ("end_placement", SW, end_placement_data("2025-12-02")),
    ],
    ids=lambda s: s[0],
)
def test_screening_is_cleared_by(step: tuple[str, tuple[str, str], dict[str, object]]) -> None:
    name, actor, data = step
    engine = make_engine()
    # Concern on Mon 1 Dec: due Wed 3 Dec; cleared on Wed 3 Dec, the last day: met.
    at = utc(2025, 12, 3, 16)
    case = run(engine, "P-1", [opened(T0), concern(hours(T0, 1)), (name, at, actor, data)])
    screening = deadline(case, "screening")
    assert (screening.status, screening.met, screening.closed_on) == (
        DeadlineStatus.MET,
        True,
        date(2025, 12, 3),
    )


# Met and late on the boundary ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "status", "closed_on"),
    [
        # Due Wed 3 Dec 2025 (GMT): the whole of the due day is in time.
        (utc(2025, 12, 3, 23, 59), DeadlineStatus.MET, date(2025, 12, 3)),
        (utc(2025, 12, 4, 0, 0), DeadlineStatus.LATE, date(2025, 12, 4)),
        (utc(2025, 12, 2, 9), DeadlineStatus.MET, date(2025, 12, 2)),
    ],
)
def test_screening_met_on_the_due_day_and_late_the_day_after(
    at: datetime, status: DeadlineStatus, closed_on: date
) -> None:
    engine = make_engine()
    steps = [
        opened(T0),
        concern(hours(T0, 1)),
        ("no_further_action", at, MANAGER, no_further_action_data()),
    ]
    screening = deadline(run(engine, "P-1", steps), "screening")
    assert screening.due == date(2025, 12, 3)
    assert (screening.status, screening.closed_on) == (status, closed_on)
    assert screening.met is (status is DeadlineStatus.MET)


@pytest.mark.parametrize(
    ("at", "status"),
    [
        # Concern Tue 1 Jul 2025 (BST): due Thu 3 Jul. 22:59 UTC is 23:59 BST on the 3rd;
        # 23:00 UTC is already midnight on Fri 4 Jul in London.
        (utc(2025, 7, 3, 22, 59), DeadlineStatus.MET),
        (utc(2025, 7, 3, 23, 0), DeadlineStatus.LATE),
    ],
)
def test_the_clearing_date_is_read_in_london(at: datetime, status: DeadlineStatus) -> None:
    engine = make_engine(at)
    steps = [
        opened(utc(2025, 7, 1, 8)),
        concern(utc(2025, 7, 1, 9)),
        ("no_further_action", at, MANAGER, no_further_action_data()),
    ]
    screening = deadline(run(engine, "P-1", steps), "screening")
    assert screening.due == date(2025, 7, 3)
    assert screening.status is status


def test_end_placement_clears_screening_by_the_date_of_at_not_the_end_date() -> None:
    engine = make_engine()
    # Concern Mon 1 Dec: due Wed 3 Dec. The ending is dated Tue 2 Dec but entered Fri 5 Dec.
    steps = [
        opened(T0),
        concern(hours(T0, 1)),
        ("end_placement", utc(2025, 12, 5, 10), SW, end_placement_data("2025-12-02")),
    ]
    screening = deadline(run(engine, "P-1", steps), "screening")
    assert (screening.status, screening.closed_on) == (DeadlineStatus.LATE, date(2025, 12, 5))


# The stability meeting -----------------------------------------------------------------------


def meeting_steps(placement_type: str, convened: datetime) -> list[Step]:
    return [
        opened(convened - timedelta(hours=2), placement_type),
        concern(convened - timedelta(hours=1)),
        ("convene_meeting", convened, SW, convene_meeting_data(convened.date().isoformat())),
    ]


@pytest.mark.parametrize(
    ("placement_type", "due"),
    [
        # Residential: 3 working days after Mon 1 Dec 2025: Tue 2, Wed 3, Thu 4.
        ("K1", date(2025, 12, 4)),
        ("K2", date(2025, 12, 4)),
        ("R1", date(2025, 12, 4)),
        # Otherwise 7: Tue 2, Wed 3, Thu 4, Fri 5, Mon 8, Tue 9, Wed 10.
        ("U1", date(2025, 12, 10)),
        ("U4", date(2025, 12, 10)),
        ("U6", date(2025, 12, 10)),
        ("P1", date(2025, 12, 10)),
        ("S1", date(2025, 12, 10)),
        ("R2", date(2025, 12, 10)),
    ],
)
def test_the_meeting_timescale_depends_on_the_placement_type(
    placement_type: str, due: date
) -> None:
    engine = make_engine()
    case = run(engine, "P-1", meeting_steps(placement_type, utc(2025, 12, 1, 11)))
    meeting = deadline(case, "meeting")
    assert (meeting.id, meeting.opened_on, meeting.due) == ("meeting-3", date(2025, 12, 1), due)


@pytest.mark.parametrize(
    ("placement_type", "due"),
    [
        # Wed 1 Apr 2026, residential: Thu 2 (1); Good Friday; weekend; Easter Monday;
        # Tue 7 (2), Wed 8 (3).
        ("K2", date(2026, 4, 8)),
        # Foster: Thu 2 (1), Tue 7 (2), Wed 8 (3), Thu 9 (4), Fri 10 (5), Mon 13 (6), Tue 14 (7).
        ("U1", date(2026, 4, 14)),
    ],
)
def test_the_meeting_over_easter(placement_type: str, due: date) -> None:
    engine = make_engine()
    case = run(engine, "P-1", meeting_steps(placement_type, utc(2026, 4, 1, 11)))
    assert deadline(case, "meeting").due == due


@pytest.mark.parametrize(
    ("held_on", "recorded", "status"),
    [
        # U1 meeting convened Mon 1 Dec: due Wed 10 Dec. Held on the 10th, written up on the
        # 12th: held_on decides, so it is met.
        ("2025-12-10", utc(2025, 12, 12, 10), DeadlineStatus.MET),
        ("2025-12-11", utc(2025, 12, 11, 17), DeadlineStatus.LATE),
        ("2025-12-01", utc(2025, 12, 1, 17), DeadlineStatus.MET),
    ],
)
def test_the_meeting_is_met_by_its_held_on_date(
    held_on: str, recorded: datetime, status: DeadlineStatus
) -> None:
    engine = make_engine()
    steps = meeting_steps("U1", utc(2025, 12, 1, 11))
    steps.append(("record_meeting", recorded, SW, record_meeting_data(held_on, "plan_move")))
    meeting = deadline(run(engine, "P-1", steps), "meeting")
    assert meeting.due == date(2025, 12, 10)
    assert (meeting.status, meeting.closed_on) == (status, date.fromisoformat(held_on))


# Support review ------------------------------------------------------------------------------


def support_steps(review_by: str | None = None) -> list[Step]:
    return [
        opened(T0),
        concern(hours(T0, 1)),
        ("offer_support", hours(T0, 2), MANAGER, offer_support_data(review_by=review_by)),
    ]


def test_support_review_is_due_twenty_working_days_after_the_offer() -> None:
    engine = make_engine()
    review = deadline(run(engine, "P-1", support_steps()), "support_review")
    # Mon 1 Dec 2025: Dec 2-5 (4), 8-12 (9), 15-19 (14), 22-24 (17); 25-26 bank holidays;
    # 29 (18), 30 (19), 31 (20).
    assert (review.id, review.opened_on, review.due) == (
        "support_review-3",
        date(2025, 12, 1),
        date(2025, 12, 31),
    )


def test_support_review_by_an_explicit_date() -> None:
    engine = make_engine()
    review = deadline(run(engine, "P-1", support_steps("2026-01-15")), "support_review")
    assert (review.opened_on, review.due) == (date(2025, 12, 1), date(2026, 1, 15))


def test_support_review_may_be_due_on_the_day_of_the_offer() -> None:
    engine = make_engine()
    review = deadline(run(engine, "P-1", support_steps("2025-12-01")), "support_review")
    assert review.due == date(2025, 12, 1)


@pytest.mark.parametrize(
    ("name", "actor", "data"),
    [
        ("stabilise", MANAGER, stabilise_data()),
        ("convene_meeting", SW, convene_meeting_data("2026-01-05")),
        ("end_placement", SW, end_placement_data("2025-12-30")),
    ],
)
def test_support_review_is_cleared_by(
    name: str, actor: tuple[str, str], data: dict[str, object]
) -> None:
    engine = make_engine()
    steps = support_steps()
    steps.append((name, utc(2025, 12, 31, 16), actor, data))
    review = deadline(run(engine, "P-1", steps), "support_review")
    assert (review.status, review.closed_on) == (DeadlineStatus.MET, date(2025, 12, 31))
    late = make_engine()
    steps[-1] = (name, utc(2026, 1, 2, 9), actor, data)
    assert deadline(run(late, "P-1", steps), "support_review").status is DeadlineStatus.LATE


def test_a_concern_during_support_leaves_the_review_open() -> None:
    engine = make_engine()
    steps = support_steps()
    steps.append(concern(utc(2025, 12, 5, 10)))
    case = run(engine, "P-1", steps)
    assert [(d.name, d.status) for d in case.deadlines] == [
        ("screening", DeadlineStatus.MET),
        ("support_review", DeadlineStatus.OPEN),
    ]


def test_continue_support_opens_a_review_counted_from_held_on() -> None:
    engine = make_engine()
    steps = support_steps()
    steps += [
        ("convene_meeting", hours(T0, 3), SW, convene_meeting_data("2025-12-04")),
        # Held Thu 4 Dec, written up Mon 8 Dec.
        ("record_meeting", utc(2025, 12, 8, 10), SW, record_meeting_data("2025-12-04")),
    ]
    case = run(engine, "P-1", steps)
    assert case.state == "support_offered"
    first, second = (d for d in case.deadlines if d.name == "support_review")
    assert (first.status, first.closed_on) == (DeadlineStatus.MET, date(2025, 12, 1))
    # 20 working days after Thu 4 Dec 2025: Dec 5 (1), 8-12 (6), 15-19 (11), 22-24 (14);
    # 25-26 bank holidays; 29-31 (17); 1 Jan bank holiday; Fri 2 Jan (18), Mon 5 (19), Tue 6 (20).
    # (From the 8 Dec write-up it would be 12 Jan.)
    assert (second.id, second.opened_on, second.due, second.status) == (
        "support_review-5",
        date(2025, 12, 4),
        date(2026, 1, 6),
        DeadlineStatus.OPEN,
    )
    assert deadline(case, "meeting").status is DeadlineStatus.MET


@pytest.mark.parametrize("decision", ["stabilise", "plan_move"])
def test_other_decisions_open_no_review(decision: str) -> None:
    engine = make_engine()
    steps = support_steps()
    steps += [
        ("convene_meeting", hours(T0, 3), SW, convene_meeting_data("2025-12-04")),
        ("record_meeting", utc(2025, 12, 8, 10), SW, record_meeting_data("2025-12-04", decision)),
    ]
    case = run(engine, "P-1", steps)
    assert case.open_deadlines() == ()


# After an ending -----------------------------------------------------------------------------


def ending_steps(end: str, at: datetime, planned: bool = False) -> list[Step]:
    # A planned ending follows Regulation 14: the IRO informed, the case reviewed and advance
    # notice given, on the day of the ending.
    before = reg14_steps(utc(*date.fromisoformat(end).timetuple()[:3])) if planned else []
    return [
        opened(T0),
        *before,
        ("end_placement", at, SW, end_placement_data(end, "CREQB", planned)),
    ]


@pytest.mark.parametrize(
    ("end", "at", "notice_due", "review_due"),
    [
        # Ended Mon 30 Mar 2026, entered Wed 1 Apr. Notice, 10 working days from the end:
        # Mar 31 (1), Apr 1 (2), Apr 2 (3); Good Friday, weekend, Easter Monday; Apr 7-10 (7),
        # Apr 13-15 (10). Review, 30: Apr 16-17 (12), 20-24 (17), 27-30 (21), May 1 (22);
        # Mon 4 May bank holiday; May 5-8 (26), May 11-14 (30).
        ("2026-03-30", utc(2026, 4, 1, 10), date(2026, 4, 15), date(2026, 5, 14)),
        # Ended Fri 19 Dec 2025. Notice: Dec 22-24 (3); Christmas; Dec 29-31 (6); New Year's
        # Day; Jan 2 (7), Jan 5-7 (10). Review: Jan 8-9 (12), 12-16 (17), 19-23 (22),
        # 26-30 (27), Feb 2-4 (30).
        ("2025-12-19", utc(2025, 12, 19, 15), date(2026, 1, 7), date(2026, 2, 4)),
    ],
)
def test_an_unplanned_ending_opens_notice_and_learning_review(
    end: str, at: datetime, notice_due: date, review_due: date
) -> None:
    engine = make_engine()
    case = run(engine, "P-1", ending_steps(end, at))
    notice, review = deadline(case, "termination_notice"), deadline(case, "learning_review")
    assert (notice.id, notice.opened_on, notice.due) == (
        "termination_notice-2",
        date.fromisoformat(end),
        notice_due,
    )
    assert (review.id, review.opened_on, review.due) == (
        "learning_review-2",
        date.fromisoformat(end),
        review_due,
    )


def test_a_planned_ending_opens_nothing() -> None:
    # With the IRO informed and advance notice given before it (Regulation 14), a planned
    # ending opens no notice, no IRO deadline and no learning review.
    engine = make_engine()
    case = run(engine, "P-1", ending_steps("2026-03-30", utc(2026, 4, 1, 10), planned=True))
    assert case.deadlines == ()


@pytest.mark.parametrize(
    ("sent_on", "recorded", "status"),
    [
        # Due Wed 15 Apr 2026: sent that day (entered later) is met; the day after is late.
        ("2026-04-15", utc(2026, 4, 20, 10), DeadlineStatus.MET),
        ("2026-04-16", utc(2026, 4, 16, 10), DeadlineStatus.LATE),
    ],
)
def test_notice_is_met_by_its_sent_on_date(
    sent_on: str, recorded: datetime, status: DeadlineStatus
) -> None:
    engine = make_engine()
    steps = ending_steps("2026-03-30", utc(2026, 4, 1, 10))
    steps.append(("record_notice", recorded, SW, record_notice_data(sent_on)))
    case = run(engine, "P-1", steps)
    notice = deadline(case, "termination_notice")
    assert (notice.status, notice.closed_on) == (status, date.fromisoformat(sent_on))
    assert deadline(case, "learning_review").status is DeadlineStatus.OPEN


@pytest.mark.parametrize(
    ("data", "actor", "recorded", "status", "closed_on"),
    [
        # Due Thu 14 May 2026.
        (
            record_learning_review_data("2026-05-14"),
            SW,
            utc(2026, 5, 20),
            DeadlineStatus.MET,
            date(2026, 5, 14),
        ),
        (
            record_learning_review_data("2026-05-15"),
            SW,
            utc(2026, 5, 15),
            DeadlineStatus.LATE,
            date(2026, 5, 15),
        ),
        # A waiver has no held_on: the date of its at decides.
        (waiver_data(), MANAGER, utc(2026, 5, 14, 22, 59), DeadlineStatus.MET, date(2026, 5, 14)),
        (waiver_data(), MANAGER, utc(2026, 5, 14, 23), DeadlineStatus.LATE, date(2026, 5, 15)),
    ],
)
def test_learning_review_met_or_late(
    data: dict[str, object],
    actor: tuple[str, str],
    recorded: datetime,
    status: DeadlineStatus,
    closed_on: date,
) -> None:
    engine = make_engine()
    steps = ending_steps("2026-03-30", utc(2026, 4, 1, 10))
    steps.append(("record_learning_review", recorded, actor, data))
    case = run(engine, "P-1", steps)
    review = deadline(case, "learning_review")
    assert (review.status, review.closed_on) == (status, closed_on)
    assert deadline(case, "termination_notice").status is DeadlineStatus.OPEN


# Cancellation and overdue --------------------------------------------------------------------


def test_ending_cancels_the_meeting_deadline() -> None:
    engine = make_engine()
    steps = meeting_steps("U1", utc(2025, 12, 1, 11))  # meeting due Wed 10 Dec
    steps.append(("end_placement", utc(2025, 12, 15, 10), SW, end_placement_data("2025-12-15")))
    case = run(engine, "P-1", steps)
    meeting = deadline(case, "meeting")
    assert (meeting.status, meeting.met, meeting.closed_on) == (
        DeadlineStatus.CANCELLED,
        None,
        date(2025, 12, 15),
    )
    far = date(2030, 1, 1)
    assert not meeting.is_overdue(far)
    assert meeting not in case.overdue(far)
    assert all(o.deadline.name != "meeting" for o in engine.overdue(far))
    # Only the deadlines of the unplanned ending are left open (and overdue by 2030): the
    # notice, the IRO told of it (Regulation 14(3)(b)) and the learning review.
    assert sorted(o.deadline.name for o in engine.overdue(far)) == [
        "iro_informed",
        "learning_review",
        "termination_notice",
    ]


def test_a_planned_ending_leaves_nothing_open_or_overdue() -> None:
    engine = make_engine()
    steps = meeting_steps("K2", utc(2025, 12, 1, 11))
    steps.extend(reg14_steps(utc(2025, 12, 2, 9)))
    steps.append(
        ("end_placement", utc(2025, 12, 2, 10), SW, end_placement_data("2025-12-02", planned=True))
    )
    case = run(engine, "P-1", steps)
    assert [(d.name, d.status) for d in case.deadlines] == [
        ("screening", DeadlineStatus.MET),
        ("meeting", DeadlineStatus.CANCELLED),
    ]
    assert case.open_deadlines() == ()
    assert list(engine.overdue(date(2099, 1, 1))) == []


def overdue_engine() -> Engine:
    """Two cases: P-1 with screening due Wed 3 Dec 2025, P-2 due Thu 4 Dec."""
    engine = make_engine()
    run(engine, "P-1", [opened(T0), concern(hours(T0, 1))])
    run(engine, "P-2", [opened(T0), concern(utc(2025, 12, 2, 10))])
    return engine


def test_overdue_is_strictly_after_the_due_date() -> None:
    engine = overdue_engine()
    assert list(engine.overdue(date(2025, 12, 3))) == []
    p1 = engine.case("P-1")
    assert list(engine.overdue(date(2025, 12, 4))) == [
        OverdueDeadline("P-1", "concern_raised", deadline(p1, "screening"))
    ]
    assert [o.case for o in engine.overdue(date(2025, 12, 5))] == ["P-1", "P-2"]
    assert p1.overdue(date(2025, 12, 3)) == ()
    assert p1.overdue(date(2025, 12, 4)) == (deadline(p1, "screening"),)


def test_engine_and_store_agree_on_overdue() -> None:
    engine = overdue_engine()
    for on in (date(2025, 12, 3), date(2025, 12, 4), date(2025, 12, 5)):
        assert list(engine.overdue(on)) == list(engine.store.overdue(on))


def test_a_cleared_deadline_is_no_longer_overdue() -> None:
    engine = overdue_engine()
    # Late: screened on Fri 5 Dec, after the due date.
    run(
        engine,
        "P-1",
        [("no_further_action", utc(2025, 12, 5, 10), MANAGER, no_further_action_data())],
    )
    assert [o.case for o in engine.overdue(date(2025, 12, 10))] == ["P-2"]
    assert deadline(engine.case("P-1"), "screening").status is DeadlineStatus.LATE
