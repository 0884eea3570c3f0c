"""How the standard procedure's events update a case's records during the fold.

Each recorder reads an event's JSON data and names the case-file fields it replaces (a
:class:`~disruption.procedure.definition.FileRecorder`, so the fold makes one new file per
event); state, version and deadlines are handled by the fold itself from the event's envelope.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, TypeVar

from disruption.domain.chain import appended
from disruption.domain.clock import london_date, shared_date
from disruption.domain.events import Event
from disruption.domain.model import (
    Actor,
    Case,
    ChairReport,
    Concern,
    ConcernCategory,
    Ending,
    LearningReview,
    Meeting,
    MeetingDecision,
    Notice,
    Recommendation,
    SiblingDecision,
    SiblingGroup,
    SupportOffer,
    SupportType,
    filled,
    member_reader,
    to_role,
)
from disruption.procedure.definition import FileRecorder, Recorder
from disruption.procedure.standard.data import (
    ConveneMeeting,
    EndPlacement,
    OfferSupport,
    RaiseConcern,
    RecordLearningReview,
    RecordMeeting,
    RecordNotice,
    RecordNoticeTo,
)

__all__ = ["RECORDS", "RECORDS_V1"]

_category = member_reader(ConcernCategory)
_support = member_reader(SupportType)
_decision = member_reader(MeetingDecision)
_sibling = member_reader(SiblingDecision)


_CHAIRS: dict[Any, Any] = {}
_SUPPORT: dict[Any, Any] = {}
_ROLES: dict[Any, Any] = {}
_FACTORS: dict[Any, Any] = {}
_TRIGGERS: dict[Any, Any] = {}
"""Small immutable values many cases hold alike (a chair, the kinds of support offered, a
meeting's attendees or factors, why an ending requires a meeting), one object for all:
bounded memos (one per kind of value, so that a ``str`` and an equal enumeration member are
never mixed up), not per case."""
_SHARED_LIMIT = 4096

T = TypeVar("T")


def _shared(memo: dict[Any, Any], value: T) -> T:
    """One object for equal values (``value`` is immutable and hashable)."""
    try:
        found = memo.get(value)
    except TypeError:  # not hashable after all: as it is
        return value
    if found is None:
        if len(memo) < _SHARED_LIMIT:
            memo[value] = value
        return value
    return found  # type: ignore[no-any-return]


def _day(value: Any) -> date:
    return shared_date(date.fromisoformat(value))


def _date(value: Any) -> date | None:
    return None if value is None else _day(value)


def _actor(value: Any) -> Actor | None:
    return None if value is None else _shared(_CHAIRS, Actor(value["id"], to_role(value["role"])))


def concern_raised(case: Case, event: Event) -> dict[str, Any]:
    """Add the concern."""
    concern = Concern(
        _category(event.data["category"]),
        to_role(event.data["raised_by"]),
        london_date(event.at),
    )
    return {"concerns": appended(case.concerns, (concern,))}


def support_offered(case: Case, event: Event) -> dict[str, Any]:
    """Set the support offer."""
    offer = SupportOffer(
        _shared(_SUPPORT, tuple([_support(s) for s in event.data["support"]])),
        london_date(event.at),
        _date(event.data.get("review_by")),
    )
    return {"support": offer}


def meeting_convened(case: Case, event: Event) -> dict[str, Any]:
    """Add the convened meeting."""
    chair = _actor(event.data["chair"])
    assert chair is not None
    invited = _shared(_ROLES, tuple(to_role(r) for r in event.data.get("invited") or ()))
    meeting = Meeting(_day(event.data["date"]), chair, invited=invited)
    return {"meetings": (*case.meetings, meeting)}


def meeting_recorded(case: Case, event: Event) -> dict[str, Any]:
    """Complete the last convened meeting with its record."""
    data = event.data
    convened = case.meetings[-1]
    held = Meeting(  # built whole (Meeting has no validators), not through attrs.evolve
        convened.date,
        convened.chair,
        _day(data["held_on"]),
        _decision(data["decision"]),
        _shared(_FACTORS, tuple(data["factors"])),
        data.get("child_views") is not None,
        convened.invited,
        _shared(_ROLES, tuple(to_role(r) for r in data["attendees"])),
        _views(data),
    )
    return {"meetings": (*case.meetings[:-1], held)}


def _views(data: Any) -> bool | None:
    """Whether the carer's views were recorded (``None``: neither they nor why not)."""
    if data.get("carer_views") is not None:
        return True
    return False if data.get("carer_views_not_obtained") is not None else None


def placement_ended(case: Case, event: Event) -> dict[str, Any]:
    """Set the ending (and why it requires a meeting, when the history rule fired)."""
    data = event.data
    ending = Ending(_day(data["end"]), data["reason"], data["planned"], data.get("left_care"))
    required = data.get("meeting_required")
    if required:
        return {"ending": ending, "meeting_required": _shared(_TRIGGERS, tuple(required))}
    return {"ending": ending}


def siblings_linked(case: Case, event: Event) -> dict[str, Any]:
    """Link the case to its sibling group (replacing an earlier link)."""
    group = SiblingGroup(event.data["group"], tuple(event.data["cases"]))
    return {"siblings": group}


def sibling_decision_recorded(case: Case, event: Event) -> dict[str, Any]:
    """Set the decision about each linked sibling."""
    data = event.data
    decisions = tuple((d["case"], _sibling(d["decision"])) for d in data["decisions"])
    return {
        "sibling_decisions": decisions,
        "sibling_decided_on": date.fromisoformat(data["decided_on"]),
    }


def notice_recorded(case: Case, event: Event) -> dict[str, Any]:
    """Set the date written notice was sent (and, from version 2, add it with its recipients)."""
    sent_on = date.fromisoformat(event.data["sent_on"])
    recipients = event.data.get("recipients")
    if recipients is None:  # version 1: no recipients recorded
        return {"notice_sent_on": sent_on}
    notice = Notice(sent_on, tuple(recipients), advance=False)
    return {"notice_sent_on": sent_on, "notices": (*case.notices, notice)}


def notice_given(case: Case, event: Event) -> dict[str, Any]:
    """Add advance notice of the intention to end, with its recipients."""
    data = event.data
    notice = Notice(date.fromisoformat(data["sent_on"]), tuple(data["recipients"]), advance=True)
    return {"notices": (*case.notices, notice)}


def iro_informed(case: Case, event: Event) -> dict[str, Any]:
    """Set when the IRO was informed."""
    return {"iro_informed_on": date.fromisoformat(event.data["informed_on"])}


def case_reviewed(case: Case, event: Event) -> dict[str, Any]:
    """Set when the child's case was reviewed."""
    return {"case_reviewed_on": date.fromisoformat(event.data["held_on"])}


def immediate_risk_recorded(case: Case, event: Event) -> dict[str, Any]:
    """Set when a manager recorded an immediate risk."""
    return {"immediate_risk_on": date.fromisoformat(event.data["on"])}


def line_manager_recorded(case: Case, event: Event) -> dict[str, Any]:
    """Add a (social worker, line manager) pair."""
    pair = (event.data["social_worker"], event.data["line_manager"])
    if pair in case.file.line_managers:
        return {}
    return {"line_managers": (*case.file.line_managers, pair)}


def report_issued(case: Case, event: Event) -> dict[str, Any]:
    """Set the chair's report and its recommendations (their words stay apart)."""
    data = event.data
    report = ChairReport(date.fromisoformat(data["issued_on"]), tuple(data["circulation"]))
    items = tuple(
        Recommendation(item["id"], to_role(item["owner"]), date.fromisoformat(item["due"]))
        for item in data["recommendations"]
    )
    return {"report": report, "recommendations": (*case.recommendations, *items)}


def recommendation_completed(case: Case, event: Event) -> dict[str, Any]:
    """Mark a recommendation completed."""
    wanted = event.data["recommendation"]
    done = date.fromisoformat(event.data["completed_on"])
    return {
        "recommendations": tuple(
            Recommendation(r.id, r.owner, r.due, done) if r.id == wanted else r
            for r in case.recommendations
        )
    }


def learning_review_recorded(case: Case, event: Event) -> dict[str, Any]:
    """Set the learning review, or its waiver."""
    data = event.data
    review = LearningReview(
        held_on=_date(data.get("held_on")),
        chair=_actor(data.get("chair")),
        factors=tuple(data.get("factors") or ()),
        waived=data.get("waived") is not None,
    )
    return {"review": review}


# The same records from the payload an event was just decided from (what deciding uses; a
# replay reads the event's data above, and the property tests check both give one case).
# Built by position, every field given (none of these classes converts or validates).

_NEW_CONCERN = filled(Concern)
_NEW_SUPPORT = filled(SupportOffer)
_NEW_MEETING = filled(Meeting)
_NEW_ENDING = filled(Ending)


def _concern_raised(case: Case, p: RaiseConcern, event: Event) -> dict[str, Any]:
    concern = _NEW_CONCERN(p.category, p.raised_by, london_date(event.at))
    return {"concerns": appended(case.concerns, (concern,))}


def _support_offered(case: Case, p: OfferSupport, event: Event) -> dict[str, Any]:
    return {
        "support": _NEW_SUPPORT(_shared(_SUPPORT, p.support), london_date(event.at), p.review_by)
    }


def _meeting_convened(case: Case, p: ConveneMeeting, event: Event) -> dict[str, Any]:
    meeting = _NEW_MEETING(
        p.date, _shared(_CHAIRS, p.chair), None, None, (), None, _shared(_ROLES, tuple(p.invited)),
        (), None,
    )  # fmt: skip
    return {"meetings": (*case.meetings, meeting)}


def _meeting_recorded(case: Case, p: RecordMeeting, event: Event) -> dict[str, Any]:
    convened = case.meetings[-1]
    held = _NEW_MEETING(
        convened.date,
        convened.chair,
        p.held_on,
        p.decision,
        _shared(_FACTORS, tuple(p.factors)),
        p.child_views is not None,
        convened.invited,
        _shared(_ROLES, tuple(p.attendees)),
        True
        if p.carer_views is not None
        else (False if p.carer_views_not_obtained is not None else None),
    )
    return {"meetings": (*case.meetings[:-1], held)}


def _placement_ended(case: Case, p: EndPlacement, event: Event) -> dict[str, Any]:
    ending = _NEW_ENDING(p.end, p.reason, p.planned, p.left_care)
    required = event.data.get("meeting_required")  # the history rule's, not the payload's
    if required:
        return {"ending": ending, "meeting_required": _shared(_TRIGGERS, tuple(required))}
    return {"ending": ending}


def _notice_recorded(case: Case, p: RecordNotice, event: Event) -> dict[str, Any]:
    return {"notice_sent_on": p.sent_on}


def _notice_recorded_to(case: Case, p: RecordNoticeTo, event: Event) -> dict[str, Any]:
    notice = Notice(p.sent_on, p.recipients, advance=False)
    return {"notice_sent_on": p.sent_on, "notices": (*case.notices, notice)}


def _learning_review_recorded(case: Case, p: RecordLearningReview, event: Event) -> dict[str, Any]:
    review = LearningReview(
        held_on=p.held_on, chair=p.chair, factors=tuple(p.factors), waived=p.waived is not None
    )
    return {"review": review}


RECORDS_V1: Mapping[str, Recorder] = {
    "ConcernRaised": FileRecorder(concern_raised, RaiseConcern, _concern_raised),
    "SupportOffered": FileRecorder(support_offered, OfferSupport, _support_offered),
    "MeetingConvened": FileRecorder(meeting_convened, ConveneMeeting, _meeting_convened),
    "MeetingRecorded": FileRecorder(meeting_recorded, RecordMeeting, _meeting_recorded),
    "PlacementEnded": FileRecorder(placement_ended, EndPlacement, _placement_ended),
    "NoticeRecorded": FileRecorder(notice_recorded, RecordNotice, _notice_recorded),
    "LearningReviewRecorded": FileRecorder(
        learning_review_recorded, RecordLearningReview, _learning_review_recorded
    ),
}
"""The standard procedure's recorders in version 1, by event type."""

RECORDS: Mapping[str, Recorder] = {
    **RECORDS_V1,
    "NoticeRecorded": FileRecorder(notice_recorded, RecordNoticeTo, _notice_recorded_to),
    "IroInformed": FileRecorder(iro_informed),
    "CaseReviewed": FileRecorder(case_reviewed),
    "ImmediateRiskRecorded": FileRecorder(immediate_risk_recorded),
    "NoticeGiven": FileRecorder(notice_given),
    "LineManagerRecorded": FileRecorder(line_manager_recorded),
    "ChairReportIssued": FileRecorder(report_issued),
    "RecommendationCompleted": FileRecorder(recommendation_completed),
    "SiblingsLinked": FileRecorder(siblings_linked),
    "SiblingDecisionRecorded": FileRecorder(sibling_decision_recorded),
}
"""The standard procedure's recorders (version 2: a superset of version 1's), by event type."""
