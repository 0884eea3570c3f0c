"""How the standard procedure's events update a case's records during the fold.

Each recorder reads an event's JSON data and names the case-file fields it replaces (a
:class:`~disruption.procedure.definition.FileRecorder`, so the fold makes one new file per
event); state, version and deadlines are handled by the fold itself from the event's envelope.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from disruption.domain.chain import appended
from disruption.domain.clock import london_date, shared_date
from disruption.domain.events import Event
from disruption.domain.model import (
    Actor,
    Case,
    Concern,
    ConcernCategory,
    Ending,
    LearningReview,
    Meeting,
    MeetingDecision,
    SupportOffer,
    SupportType,
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
)

__all__ = ["RECORDS"]

_category = member_reader(ConcernCategory)
_support = member_reader(SupportType)
_decision = member_reader(MeetingDecision)


def _day(value: Any) -> date:
    return shared_date(date.fromisoformat(value))


def _date(value: Any) -> date | None:
    return None if value is None else _day(value)


def _actor(value: Any) -> Actor | None:
    return None if value is None else Actor(value["id"], to_role(value["role"]))


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
        tuple([_support(s) for s in event.data["support"]]),
        london_date(event.at),
        _date(event.data.get("review_by")),
    )
    return {"support": offer}


def meeting_convened(case: Case, event: Event) -> dict[str, Any]:
    """Add the convened meeting."""
    chair = _actor(event.data["chair"])
    assert chair is not None
    meeting = Meeting(_day(event.data["date"]), chair)
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
        tuple(data["factors"]),
        data.get("child_views") is not None,
    )
    return {"meetings": (*case.meetings[:-1], held)}


def placement_ended(case: Case, event: Event) -> dict[str, Any]:
    """Set the ending."""
    data = event.data
    ending = Ending(_day(data["end"]), data["reason"], data["planned"], data.get("left_care"))
    return {"ending": ending}


def notice_recorded(case: Case, event: Event) -> dict[str, Any]:
    """Set the date written notice was sent."""
    return {"notice_sent_on": _day(event.data["sent_on"])}


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


def _concern_raised(case: Case, p: RaiseConcern, event: Event) -> dict[str, Any]:
    concern = Concern(p.category, p.raised_by, london_date(event.at))
    return {"concerns": appended(case.concerns, (concern,))}


def _support_offered(case: Case, p: OfferSupport, event: Event) -> dict[str, Any]:
    return {"support": SupportOffer(p.support, london_date(event.at), p.review_by)}


def _meeting_convened(case: Case, p: ConveneMeeting, event: Event) -> dict[str, Any]:
    return {"meetings": (*case.meetings, Meeting(p.date, p.chair))}


def _meeting_recorded(case: Case, p: RecordMeeting, event: Event) -> dict[str, Any]:
    convened = case.meetings[-1]
    held = Meeting(
        convened.date,
        convened.chair,
        p.held_on,
        p.decision,
        tuple(p.factors),
        p.child_views is not None,
    )
    return {"meetings": (*case.meetings[:-1], held)}


def _placement_ended(case: Case, p: EndPlacement, event: Event) -> dict[str, Any]:
    return {"ending": Ending(p.end, p.reason, p.planned, p.left_care)}


def _notice_recorded(case: Case, p: RecordNotice, event: Event) -> dict[str, Any]:
    return {"notice_sent_on": p.sent_on}


def _learning_review_recorded(case: Case, p: RecordLearningReview, event: Event) -> dict[str, Any]:
    review = LearningReview(
        held_on=p.held_on, chair=p.chair, factors=tuple(p.factors), waived=p.waived is not None
    )
    return {"review": review}


RECORDS: Mapping[str, Recorder] = {
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
"""The standard procedure's recorders, by event type."""
