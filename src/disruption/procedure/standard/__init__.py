"""The standard placement disruption procedure, as a declarative definition.

Internal: this package and its modules are not part of the public API (``docs/api.md``); they
may change without notice.

concern raised -> support offered -> stability meeting -> stabilised or ended, and after an
unplanned ending written notice and a learning review. See ``docs/procedure.md``.
Its guards and conditions are in :mod:`disruption.procedure.standard.guards`, its payloads in
:mod:`disruption.procedure.standard.data` and its records in
:mod:`disruption.procedure.standard.records`.

>>> STANDARD.initial_state, sorted(STANDARD.final_states)
('placed', ['ended'])
>>> STANDARD.machine.commands_in("concern_raised")
('convene_meeting', 'end_placement', 'no_further_action', 'offer_support')
"""

from __future__ import annotations

from disruption.domain.codes import RESIDENTIAL_PLACEMENTS
from disruption.domain.model import MANAGER_ROLES, MeetingDecision
from disruption.procedure.definition import (
    CommandSpec,
    DeadlineSpec,
    Opens,
    Procedure,
    State,
    Transition,
)
from disruption.procedure.standard.data import (
    FACTORS,
    ConveneMeeting,
    EndPlacement,
    NoFurtherAction,
    OfferSupport,
    OpenCase,
    RaiseConcern,
    RecordLearningReview,
    RecordMeeting,
    RecordNotice,
    Stabilise,
)
from disruption.procedure.standard.guards import (
    CHAIR_ROLES,
    case_of,
    decision_is,
    ended_on,
    enters_concern_raised,
    independent_chair,
    is_unplanned,
    last_convened,
    not_after_today,
    on_or_after,
    only_once,
    start_not_after_today,
    waiver_by_manager,
    with_factors,
)
from disruption.procedure.standard.records import RECORDS

__all__ = ["CHAIR_ROLES", "STANDARD", "decision_is", "not_after_today", "on_or_after"]

ACTIVE = (
    "placed",
    "concern_raised",
    "support_offered",
    "disruption_meeting",
    "move_planned",
    "stabilised",
)


_STATES = (
    State("placed", "Living in the placement; no open concern."),
    State("concern_raised", "A concern was raised; awaiting management screening."),
    State("support_offered", "Support is offered to the fragile placement."),
    State("disruption_meeting", "A stability (disruption) meeting is convened."),
    State("move_planned", "The meeting planned a managed move."),
    State("stabilised", "The placement has been stabilised."),
    State("ended", "The placement has ended.", final=True),
)

_DEADLINES = (
    DeadlineSpec(
        "screening",
        2,
        {"no_further_action", "offer_support", "convene_meeting", "end_placement"},
        description="Screening of a concern by a manager.",
    ),
    DeadlineSpec(
        "meeting",
        7,
        {"record_meeting"},
        by_placement_type=dict.fromkeys(sorted(RESIDENTIAL_PLACEMENTS), 3),
        description="The stability meeting is held.",
    ),
    DeadlineSpec(
        "support_review",
        20,
        {"stabilise", "convene_meeting", "end_placement"},
        description="The support offer is reviewed.",
    ),
    DeadlineSpec(
        "termination_notice",
        10,
        {"record_notice"},
        description="Written notice after an unplanned ending (Regulation 14(4)).",
    ),
    DeadlineSpec(
        "learning_review",
        30,
        {"record_learning_review"},
        description="Learning review after an unplanned ending.",
    ),
)

_COMMANDS = (
    CommandSpec(
        "open_case",
        "CaseOpened",
        OpenCase.read,
        [Transition((), "placed")],
        creates=True,
        guards=[start_not_after_today],
        description="Open a case for a placement.",
    ),
    CommandSpec(
        "raise_concern",
        "ConcernRaised",
        RaiseConcern.read,
        [
            Transition(("placed", "stabilised"), "concern_raised"),
            Transition(("support_offered", "disruption_meeting")),
        ],
        opens=[Opens("screening", when=enters_concern_raised)],
        description="Record a concern about the placement.",
    ),
    CommandSpec(
        "no_further_action",
        "NoFurtherActionDecided",
        NoFurtherAction.read,
        [Transition("concern_raised", "placed")],
        roles=MANAGER_ROLES,
        description="Screening found no further action needed.",
    ),
    CommandSpec(
        "offer_support",
        "SupportOffered",
        OfferSupport.read,
        [Transition("concern_raised", "support_offered")],
        roles=MANAGER_ROLES,
        guards=[on_or_after("review_by", lambda ctx: ctx.on, "the command's date")],
        opens=[Opens("support_review", due_field="review_by")],
        description="Offer support to the fragile placement.",
    ),
    CommandSpec(
        "convene_meeting",
        "MeetingConvened",
        ConveneMeeting.read,
        [Transition(("concern_raised", "support_offered"), "disruption_meeting")],
        guards=[independent_chair, on_or_after("date", lambda ctx: ctx.on, "the command's date")],
        opens=[Opens("meeting")],
        description="Convene a placement stability meeting.",
    ),
    CommandSpec(
        "record_meeting",
        "MeetingRecorded",
        with_factors(RecordMeeting.read),
        [
            Transition(
                "disruption_meeting",
                "support_offered",
                decision_is(MeetingDecision.CONTINUE_SUPPORT),
            ),
            Transition("disruption_meeting", "stabilised", decision_is(MeetingDecision.STABILISE)),
            Transition(
                "disruption_meeting", "move_planned", decision_is(MeetingDecision.PLAN_MOVE)
            ),
        ],
        guards=[
            not_after_today("held_on"),
            on_or_after("held_on", last_convened, "the convened date"),
        ],
        opens=[
            Opens(
                "support_review",
                anchor="held_on",
                when=decision_is(MeetingDecision.CONTINUE_SUPPORT),
            )
        ],
        description="Record the meeting's attendance, views, factors and decision.",
    ),
    CommandSpec(
        "stabilise",
        "PlacementStabilised",
        Stabilise.read,
        [Transition("support_offered", "stabilised")],
        roles=MANAGER_ROLES,
        description="Record that the supported placement is stable.",
    ),
    CommandSpec(
        "end_placement",
        "PlacementEnded",
        EndPlacement.read,
        [Transition(ACTIVE, "ended")],
        guards=[
            not_after_today("end"),
            on_or_after("end", lambda ctx: case_of(ctx).placement.start, "the placement's start"),
        ],
        opens=[
            Opens("termination_notice", anchor="end", when=is_unplanned),
            Opens("learning_review", anchor="end", when=is_unplanned),
        ],
        description="End the placement, with its SSDA903 reason.",
    ),
    CommandSpec(
        "record_notice",
        "NoticeRecorded",
        RecordNotice.read,
        [Transition("ended")],
        follow_up=True,
        guards=[
            only_once("notice_sent_on", "written notice"),
            not_after_today("sent_on"),
            on_or_after("sent_on", ended_on, "the ending"),
        ],
        description="Record that written notice of the ending was sent.",
    ),
    CommandSpec(
        "record_learning_review",
        "LearningReviewRecorded",
        with_factors(RecordLearningReview.read),
        [Transition("ended")],
        follow_up=True,
        guards=[
            only_once("review", "a learning review"),
            waiver_by_manager,
            independent_chair,
            not_after_today("held_on"),
            on_or_after("held_on", ended_on, "the ending"),
        ],
        description="Record the learning review, or a manager's waiver.",
    ),
)


STANDARD = Procedure(
    name="standard",
    version=1,
    states=_STATES,
    commands=_COMMANDS,
    deadlines=_DEADLINES,
    records=RECORDS,
    factors=FACTORS,
    description="The standard placement disruption procedure.",
)
"""The standard procedure, version 1."""
