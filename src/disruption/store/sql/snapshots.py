"""A case's snapshot in the SQL store: the case as JSON text, stamped with what wrote it.

The ``cases`` row holds the case after its last append (schema version 6), written in the
same transaction as the events, so that loading a case reads one row instead of replaying
its history. The text is stamped with the snapshot format, the event schema version and
the procedure (name and version) the case was folded under; a snapshot whose stamp differs
from what this library writes, or which cannot be read, is not used: the case is rebuilt from
its events (:meth:`disruption.engine.engine.Engine.replay`), and the next append writes a new one.

>>> from datetime import UTC, date, datetime
>>> from disruption.domain.model import CaseFile, Placement, ProcedureRef
>>> placement = Placement(id="PL-1", type="U1", provider="PR1", start=date(2025, 1, 6),
...                       location="in_borough")
>>> case = Case("P-1", "placed", 1, datetime(2025, 1, 6, 9, tzinfo=UTC),
...             CaseFile(ProcedureRef("standard", 1), "C-1", placement))
>>> case_from_snapshot(snapshot_of(case), ProcedureRef("standard", 1)) == case
True
>>> case_from_snapshot(snapshot_of(case), ProcedureRef("standard", 2)) is None
True
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Final, TypeVar

import orjson

from disruption.domain.events import EVENT_SCHEMA_VERSION
from disruption.domain.model import (
    Actor,
    Case,
    CaseFile,
    ChairReport,
    Concern,
    ConcernCategory,
    Deadline,
    DeadlineStatus,
    Ending,
    LearningReview,
    Location,
    Meeting,
    MeetingDecision,
    Notice,
    Placement,
    ProcedureRef,
    Recommendation,
    Role,
    SiblingDecision,
    SiblingGroup,
    SupportOffer,
    SupportType,
)

__all__ = ["SNAPSHOT_FORMAT", "case_from_snapshot", "snapshot_of"]

SNAPSHOT_FORMAT: Final = 3
"""The layout of the snapshot text below; bump it whenever the layout changes (2: the
Regulation 14 records, line managers, the chair's report and its recommendations; 3: the
meeting's invited, attendees and carer's views, why an ending requires a meeting, sibling
groups and decisions)."""

T = TypeVar("T")


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _actor(actor: Actor | None) -> list[str] | None:
    return None if actor is None else [actor.id, actor.role]


def _file(file: CaseFile) -> dict[str, Any]:
    # Dates and the model's string enums go to orjson as they are: it writes a date as
    # ISO 8601 (YYYY-MM-DD, as date.isoformat) and an enum as its value, in C.
    p, support, ending, review = file.placement, file.support, file.ending, file.review
    return {
        "child": file.child,
        "placement": [p.id, p.start, p.type, p.provider, p.location, p.carer],
        "concerns": [[c.category, c.raised_by, c.on] for c in file.concerns],
        "support": None
        if support is None
        else [list(support.support), support.on, support.review_by],
        "meetings": [
            [
                m.date, _actor(m.chair), m.held_on, m.decision, list(m.factors),
                m.child_views_obtained, list(m.invited), list(m.attendees),
                m.carer_views_obtained,
            ]
            for m in file.meetings
        ],
        "ending": None
        if ending is None
        else [ending.end, ending.reason, ending.planned, ending.left_care],
        "notice_sent_on": file.notice_sent_on,
        "review": None
        if review is None
        else [review.held_on, _actor(review.chair), list(review.factors), review.waived],
        "deadlines": [
            [
                d.id, d.name, d.opened_on, d.due, d.earliest, d.status, d.closed_on,
                d.missed_recorded,
            ]
            for d in file.deadlines
        ],
        "social_workers": list(file.social_workers),
        "imported": file.imported,
        "reg14": [file.iro_informed_on, file.case_reviewed_on, file.immediate_risk_on],
        "notices": [[n.sent_on, list(n.recipients), n.advance] for n in file.notices],
        "line_managers": [list(pair) for pair in file.line_managers],
        "report": None
        if file.report is None
        else [file.report.issued_on, list(file.report.circulation)],
        "recommendations": [
            [r.id, r.owner, r.due, r.completed_on] for r in file.recommendations
        ],
        "meeting_required": list(file.meeting_required),
        "siblings": None
        if file.siblings is None
        else [file.siblings.group, list(file.siblings.cases)],
        "sibling_decisions": [[c, d] for c, d in file.sibling_decisions],
        "sibling_decided_on": file.sibling_decided_on,
    }  # fmt: skip


def snapshot_of(case: Case) -> str:
    """Return a case's snapshot text, stamped with the format and event schema version.

    Args:
        case: The case.

    Returns:
        JSON text.
    """
    body = {
        "format": SNAPSHOT_FORMAT,
        "schema": EVENT_SCHEMA_VERSION,
        "procedure": [case.procedure.name, case.procedure.version],
        "id": case.id,
        "state": case.state,
        "version": case.version,
        "updated_at": case.updated_at.isoformat(),
        "file": _file(case.file),
    }
    return orjson.dumps(body).decode()


_new = object.__new__
_set = object.__setattr__


def _trusted(kind: type[T], **fields: Any) -> T:
    """Build a frozen value of the store's own writing without checking it again.

    The values were checked when the case was decided; checking a placement's codes again
    on every load would cost more than reading it.
    """
    value = _new(kind)
    for name, field in fields.items():
        _set(value, name, field)
    return value


def _read_actor(value: list[str]) -> Actor:
    return _trusted(Actor, id=value[0], role=Role(value[1]))


def _read_optional_actor(value: list[str] | None) -> Actor | None:
    return None if value is None else _read_actor(value)


def _read_file(file: dict[str, Any], procedure: ProcedureRef) -> CaseFile:
    pid, start, ptype, provider, location, carer = file["placement"]
    placement = _trusted(
        Placement,
        id=pid,
        start=date.fromisoformat(start),
        type=ptype,
        provider=provider,
        location=Location(location),
        carer=carer,
    )
    support = file["support"]
    ending = file["ending"]
    review = file["review"]
    return CaseFile(
        procedure=procedure,
        child=file["child"],
        placement=placement,
        concerns=tuple(
            Concern(ConcernCategory(c), Role(by), date.fromisoformat(on))
            for c, by, on in file["concerns"]
        ),
        support=None
        if support is None
        else SupportOffer(
            tuple(SupportType(s) for s in support[0]),
            date.fromisoformat(support[1]),
            _date(support[2]),
        ),
        meetings=tuple(
            Meeting(
                date=date.fromisoformat(on),
                chair=_read_actor(chair),
                held_on=_date(held),
                decision=None if decision is None else MeetingDecision(decision),
                factors=tuple(factors),
                child_views_obtained=views,
                invited=tuple(Role(r) for r in invited),
                attendees=tuple(Role(r) for r in attendees),
                carer_views_obtained=carer_views,
            )
            for (
                on,
                chair,
                held,
                decision,
                factors,
                views,
                invited,
                attendees,
                carer_views,
            ) in file["meetings"]
        ),
        ending=None
        if ending is None
        else Ending(date.fromisoformat(ending[0]), ending[1], ending[2], ending[3]),
        notice_sent_on=_date(file["notice_sent_on"]),
        review=None
        if review is None
        else LearningReview(
            _date(review[0]), _read_optional_actor(review[1]), tuple(review[2]), review[3]
        ),
        deadlines=tuple(
            Deadline(
                id=did,
                name=name,
                opened_on=date.fromisoformat(opened),
                due=date.fromisoformat(due),
                earliest=_date(earliest),
                status=DeadlineStatus(status),
                closed_on=_date(closed),
                missed_recorded=missed,
            )
            for did, name, opened, due, earliest, status, closed, missed in file["deadlines"]
        ),
        social_workers=tuple(file["social_workers"]),
        imported=file["imported"],
        iro_informed_on=_date(file["reg14"][0]),
        case_reviewed_on=_date(file["reg14"][1]),
        immediate_risk_on=_date(file["reg14"][2]),
        notices=tuple(
            Notice(date.fromisoformat(on), tuple(to), advance)
            for on, to, advance in file["notices"]
        ),
        line_managers=tuple((worker, manager) for worker, manager in file["line_managers"]),
        report=None
        if file["report"] is None
        else ChairReport(date.fromisoformat(file["report"][0]), tuple(file["report"][1])),
        recommendations=tuple(
            Recommendation(rid, Role(owner), date.fromisoformat(due), _date(done))
            for rid, owner, due, done in file["recommendations"]
        ),
        meeting_required=tuple(file["meeting_required"]),
        siblings=None
        if file["siblings"] is None
        else SiblingGroup(file["siblings"][0], tuple(file["siblings"][1])),
        sibling_decisions=tuple(
            (case_ref, SiblingDecision(decision))
            for case_ref, decision in file["sibling_decisions"]
        ),
        sibling_decided_on=_date(file["sibling_decided_on"]),
    )


def case_from_snapshot(text: str | None, procedure: ProcedureRef) -> Case | None:
    """Read a snapshot, when it can be trusted.

    Args:
        text: The snapshot text (``None`` when none was written, as in an upgraded store).
        procedure: The definition the case's row says it follows.

    Returns:
        The case, or ``None`` when there is no snapshot, it cannot be read, or its format,
        event schema version or procedure is not what this library writes for the case.
    """
    if text is None:
        return None
    try:
        body = orjson.loads(text)
        stamp = (body["format"], body["schema"], body["procedure"])
        if stamp != (SNAPSHOT_FORMAT, EVENT_SCHEMA_VERSION, [procedure.name, procedure.version]):
            return None
        return Case(
            body["id"],
            body["state"],
            body["version"],
            datetime.fromisoformat(body["updated_at"]),
            _read_file(body["file"], procedure),
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None
