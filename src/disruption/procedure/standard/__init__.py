"""The standard placement disruption procedure, as a declarative definition.

Internal: this package and its modules are not part of the public API (``docs/api.md``); they
may change without notice.

concern raised -> support offered -> stability meeting -> stabilised or ended; before a
planned ending what Regulation 14 requires (the IRO informed, the case reviewed, advance
notice), after an ending written notice when none was given in advance, and after an
unplanned one a learning review, the chair's report and its recommendations. See
``docs/procedure.md``. :data:`STANDARD` is version 2; :data:`STANDARD_V1`, version 1, still
decides the cases opened under it (:data:`STANDARD_VERSIONS`).
Its guards and conditions are in :mod:`disruption.procedure.standard.guards`, its payloads in
:mod:`disruption.procedure.standard.data` and its records in
:mod:`disruption.procedure.standard.records`.

>>> STANDARD.initial_state, sorted(STANDARD.final_states)
('placed', ['ended'])
>>> STANDARD.version, STANDARD_V1.version
(2, 1)
>>> STANDARD_V1.machine.commands_in("concern_raised")
('convene_meeting', 'end_placement', 'no_further_action', 'offer_support')
"""

from __future__ import annotations

from typing import Any

import attrs

from disruption.domain.codes import RESIDENTIAL_PLACEMENTS
from disruption.domain.model import MANAGER_ROLES, MeetingDecision
from disruption.procedure.definition import (
    CommandSpec,
    DeadlineSpec,
    Independence,
    Opens,
    Procedure,
    State,
    Transition,
)
from disruption.procedure.standard.data import (
    FACTORS,
    CompleteRecommendation,
    ConveneMeeting,
    EndAdoptivePlacement,
    EndPlacement,
    GiveNotice,
    InformIro,
    IssueReport,
    LinkSiblings,
    NoFurtherAction,
    OfferSupport,
    OpenCase,
    RaiseConcern,
    RecordImmediateRisk,
    RecordLearningReview,
    RecordLineManager,
    RecordMeeting,
    RecordNotice,
    RecordNoticeTo,
    RecordSiblingDecision,
    ReviewCase,
    Stabilise,
)
from disruption.procedure.standard.guards import (
    CHAIR_ROLES,
    after_order,
    before_order,
    case_of,
    decision_is,
    due_not_before_report,
    ended_on,
    enters_concern_raised,
    every_sibling_decided,
    independent_chair,
    iro_not_informed,
    is_unplanned,
    known_procedure,
    last_convened,
    meeting_needed,
    move_planned_with_siblings,
    no_advance_notice,
    not_after_today,
    not_linked_to_itself,
    on_or_after,
    only_once,
    open_recommendation,
    placement_start,
    record_triggers,
    regulation_14,
    report_issued_on,
    review_held,
    review_held_on,
    review_not_waived,
    siblings_decided,
    siblings_undecided,
    start_not_after_today,
    waiver_allowed,
    waiver_by_manager,
    with_factors,
)
from disruption.procedure.standard.records import RECORDS, RECORDS_V1

__all__ = [
    "ADOPTION",
    "CHAIR_ROLES",
    "SHIPPED",
    "STANDARD",
    "STANDARD_V1",
    "STANDARD_VERSIONS",
    "decision_is",
    "not_after_today",
    "on_or_after",
]

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
        source="authority default",
    ),
    DeadlineSpec(
        "meeting",
        7,
        {"record_meeting"},
        by_placement_type=dict.fromkeys(sorted(RESIDENTIAL_PLACEMENTS), 3),
        description="The stability meeting is held.",
        source="published procedure (Calderdale: 3 working days for residential, 7 for "
        "foster placements)",
    ),
    DeadlineSpec(
        "support_review",
        20,
        {"stabilise", "convene_meeting", "end_placement"},
        description="The support offer is reviewed.",
        source="authority default",
    ),
    DeadlineSpec(
        "termination_notice",
        10,
        {"record_notice"},
        description="Written notice after an unplanned ending (Regulation 14(4)).",
        source="Regulation 14(4)",
    ),
    DeadlineSpec(
        "learning_review",
        30,
        {"record_learning_review"},
        description="Learning review after an unplanned ending.",
        source="authority default (published procedures: about 4 weeks, Bracknell Forest; "
        "within 2 months, Merton)",
    ),
)

_COMMANDS = (
    CommandSpec(
        "open_case",
        "CaseOpened",
        OpenCase.read,
        [Transition((), "placed")],
        creates=True,
        guards=[start_not_after_today, known_procedure],
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


STANDARD_V1 = Procedure(
    name="standard",
    version=1,
    states=_STATES,
    commands=_COMMANDS,
    deadlines=_DEADLINES,
    records=RECORDS_V1,
    factors=FACTORS,
    description="The standard placement disruption procedure.",
)
"""The standard procedure, version 1: no Regulation 14 steps before a planned ending, no
chair's report. Cases opened under it are still decided by it (or migrated)."""


def _dated(field: str) -> list[Any]:
    """A step's date: not after the command's date, not before the placement's start."""
    return [not_after_today(field), on_or_after(field, placement_start, "the placement's start")]


_DEADLINES_V2 = (
    *(d for d in _DEADLINES if d.name not in ("termination_notice", "learning_review")),
    DeadlineSpec(
        "learning_review",
        30,
        {"record_learning_review"},
        earliest_working_days=0,
        description="Learning review after an unplanned ending, or an ending the placement "
        "history requires a meeting after: from the ending to 30 working days after it.",
        source="authority default (published procedures: about 4 weeks, Bracknell Forest; "
        "within 2 months, Merton; no sooner than the ending)",
    ),
    DeadlineSpec(
        "sibling_decision",
        5,
        {"record_sibling_decision"},
        description="A decision about each linked sibling after a move is planned for, or an "
        "unplanned ending of, one of them.",
        source="authority default (published procedures: sibling arrangements considered "
        "when a placement moves or ends)",
    ),
    DeadlineSpec(
        "termination_notice",
        10,
        {"record_notice"},
        description="Written notice of an ending of which no advance notice was given.",
        source="Regulation 14(4)",
    ),
    DeadlineSpec(
        "iro_informed",
        1,
        {"inform_iro"},
        description="The IRO informed of an ending they were not told of before it.",
        source="Regulation 14(3)(b): as soon as reasonably practicable; 1 working day is "
        "the authority default",
    ),
    DeadlineSpec(
        "chair_report",
        20,
        {"issue_report"},
        description="The chair's report of the learning review issued and circulated.",
        source="authority default",
    ),
    DeadlineSpec(
        "recommendation",
        0,
        {"complete_recommendation"},
        description="A recommendation of the chair's report completed by its due date.",
        key="recommendation",
        source="the chair's report (each recommendation's own due date)",
    ),
)

_ENDED = ("ended",)

_REPLACED_V2 = ("end_placement", "record_notice", "record_learning_review", "record_meeting")

_COMMANDS_V2 = (
    *(c for c in _COMMANDS if c.name not in _REPLACED_V2),
    attrs.evolve(  # version 1's, and a move planned for a child with siblings asks about them
        next(c for c in _COMMANDS if c.name == "record_meeting"),
        opens=[
            *next(c for c in _COMMANDS if c.name == "record_meeting").opens,
            Opens("sibling_decision", anchor="held_on", when=move_planned_with_siblings),
        ],
        description="Record the meeting's attendance, the child's and carer's views, factors "
        "and decision (a move planned for a child linked to siblings asks for a decision "
        "about them).",
    ),
    CommandSpec(
        "end_placement",
        "PlacementEnded",
        EndPlacement.read,
        [Transition(ACTIVE, "ended")],
        guards=[
            not_after_today("end"),
            on_or_after("end", lambda ctx: case_of(ctx).placement.start, "the placement's start"),
            regulation_14,
            siblings_decided,
        ],
        opens=[
            Opens("termination_notice", anchor="end", when=no_advance_notice),
            Opens("iro_informed", anchor="end", when=iro_not_informed),
            Opens("learning_review", anchor="end", when=meeting_needed),
            Opens("sibling_decision", anchor="end", when=siblings_undecided),
        ],
        history=True,
        annotate=record_triggers,
        description="End the placement, with its SSDA903 reason (a planned ending after the "
        "IRO is informed and the case reviewed: Regulation 14). A learning review follows an "
        "unplanned ending, and any ending the placement history requires a meeting after.",
    ),
    CommandSpec(
        "link_siblings",
        "SiblingsLinked",
        LinkSiblings.read,
        [Transition((*ACTIVE, "ended"))],
        follow_up=True,
        guards=[not_linked_to_itself],
        description="Link the case to its sibling group: the other cases, by reference.",
    ),
    CommandSpec(
        "record_sibling_decision",
        "SiblingDecisionRecorded",
        RecordSiblingDecision.read,
        [Transition((*ACTIVE, "ended"))],
        follow_up=True,
        guards=[every_sibling_decided, *_dated("decided_on")],
        description="Record what is decided about each linked sibling when this child's "
        "placement moves or ends.",
    ),
    CommandSpec(
        "inform_iro",
        "IroInformed",
        InformIro.read,
        [Transition((*ACTIVE, *_ENDED))],
        follow_up=True,
        guards=_dated("informed_on"),
        description="Record that the IRO was informed of the intended (or made) ending.",
    ),
    CommandSpec(
        "review_case",
        "CaseReviewed",
        ReviewCase.read,
        [Transition(ACTIVE)],
        guards=_dated("held_on"),
        description="Record a review of the child's case (before a planned ending).",
    ),
    CommandSpec(
        "record_immediate_risk",
        "ImmediateRiskRecorded",
        RecordImmediateRisk.read,
        [Transition(ACTIVE)],
        roles=MANAGER_ROLES,
        guards=_dated("on"),
        description="A manager records an immediate risk of significant harm: the ending "
        "need not wait for a review.",
    ),
    CommandSpec(
        "give_notice",
        "NoticeGiven",
        GiveNotice.read,
        [Transition(ACTIVE)],
        guards=_dated("sent_on"),
        description="Record advance written notice of the intention to end, and who received it.",
    ),
    CommandSpec(
        "record_notice",
        "NoticeRecorded",
        RecordNoticeTo.read,
        [Transition("ended")],
        follow_up=True,
        guards=[
            only_once("notice_sent_on", "written notice"),
            not_after_today("sent_on"),
            on_or_after("sent_on", ended_on, "the ending"),
        ],
        description="Record written notice of the ending, and who received it.",
    ),
    CommandSpec(
        "record_line_manager",
        "LineManagerRecorded",
        RecordLineManager.read,
        [Transition((*ACTIVE, *_ENDED))],
        follow_up=True,
        description="Record who line-manages a social worker of the case (they may not chair).",
    ),
    CommandSpec(
        "record_learning_review",
        "LearningReviewRecorded",
        with_factors(RecordLearningReview.read, summary_required=False),
        [Transition("ended")],
        follow_up=True,
        guards=[
            only_once("review", "a learning review"),
            waiver_by_manager,
            waiver_allowed,
            independent_chair,
            not_after_today("held_on"),
            on_or_after("held_on", ended_on, "the ending"),
        ],
        opens=[Opens("chair_report", anchor="held_on", when=review_not_waived)],
        description="Record the learning review, or a manager's waiver.",
    ),
    CommandSpec(
        "issue_report",
        "ChairReportIssued",
        IssueReport.read,
        [Transition("ended")],
        follow_up=True,
        guards=[
            only_once("report", "the chair's report"),
            review_held,
            not_after_today("issued_on"),
            on_or_after("issued_on", review_held_on, "the learning review"),
            due_not_before_report,
        ],
        opens=[Opens("recommendation", each="recommendations", due_field="due")],
        description="Record the chair's report: its circulation and recommendations.",
    ),
    CommandSpec(
        "complete_recommendation",
        "RecommendationCompleted",
        CompleteRecommendation.read,
        [Transition("ended")],
        follow_up=True,
        guards=[
            open_recommendation,
            not_after_today("completed_on"),
            on_or_after("completed_on", report_issued_on, "the report"),
        ],
        description="Record a recommendation of the chair's report completed.",
    ),
)


STANDARD = Procedure(
    name="standard",
    version=2,
    states=_STATES,
    commands=_COMMANDS_V2,
    deadlines=_DEADLINES_V2,
    records=RECORDS,
    factors=FACTORS,
    description="The standard placement disruption procedure.",
)
"""The standard procedure, version 2 (Regulation 14, chair's independence, chair's report)."""

STANDARD_VERSIONS: tuple[Procedure, ...] = (STANDARD_V1, STANDARD)
"""Every shipped version of the standard procedure, oldest first: an engine knows them all,
so that a case keeps being decided by the version it was opened under."""


def _adoption() -> Procedure:
    """The adoption disruption variant: the standard procedure with the adoption windows."""
    draft = STANDARD.draft(name="adoption", version=1)
    draft.description = (
        "The standard procedure for placements for adoption: the disruption meeting 28-42 "
        "days after a disruption before an adoption order, 6-12 weeks after one after it; "
        "its chair independent of the adoption service."
    )
    draft.rules = attrs.evolve(
        draft.rules, independence=Independence(exclude_adoption_service=True)
    )
    source = "CoramBAAF practice guidance on disruption, as the tri.x adoption disruption "
    draft.add_deadline(
        DeadlineSpec(
            "learning_review",
            42,
            {"record_learning_review"},
            earliest_working_days=28,
            calendar_days=True,
            description="The adoption disruption meeting before an adoption order: 28 to 42 "
            "days after the disruption.",
            source=source + "procedure follows it (before an order)",
        )
    )
    draft.add_deadline(
        DeadlineSpec(
            "learning_review_after_order",
            84,
            {"record_learning_review"},
            earliest_working_days=42,
            calendar_days=True,
            description="The adoption disruption meeting after an adoption order: 6 to 12 "
            "weeks after the disruption.",
            source=source + "procedure follows it (after an order)",
        )
    )
    end = draft.commands["end_placement"]
    opens = [o for o in end.opens if o.deadline != "learning_review"]
    draft.add_command(
        attrs.evolve(
            end,
            read=EndAdoptivePlacement.read,
            opens=[
                *opens,
                Opens("learning_review", anchor="end", when=before_order),
                Opens("learning_review_after_order", anchor="end", when=after_order),
            ],
            description=end.description + " The adoption variant also records whether an "
            "adoption order had been made (adoption_order).",
        )
    )
    return draft.build()


ADOPTION = _adoption()
"""The adoption disruption variant (name ``adoption``, version 1), chosen per case:
``open_case`` with ``"procedure": "adoption"``. ``end_placement`` takes ``adoption_order``."""

SHIPPED: tuple[Procedure, ...] = (*STANDARD_VERSIONS, ADOPTION)
"""Every shipped definition and version: an engine knows them all."""
