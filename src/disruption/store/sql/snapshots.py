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

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any, Final, cast

import orjson

from disruption.domain.chain import Chain
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


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _actor(actor: Actor | None) -> tuple[str, Role] | None:
    return None if actor is None else (actor.id, actor.role)


def _concern_rows(concerns: Iterable[Concern]) -> list[Any]:
    return [(c.category, c.raised_by, c.on) for c in concerns]


def _deadline_rows(deadlines: Iterable[Deadline]) -> list[Any]:
    return [
        (d.id, d.name, d.opened_on, d.due, d.earliest, d.status, d.closed_on, d.missed_recorded)
        for d in deadlines
    ]


_Rows = Callable[[Iterable[Any]], list[Any]]


def _records(records: Sequence[Any], rows: _Rows) -> list[Any] | orjson.Fragment:
    """A record's JSON array: its rows, or for a :class:`Chain` the JSON text of the array.

    A chain's shared list keeps (in its memo, under ``rows``) the JSON of the rows of its
    first items, each item's text ending at a known offset: items never change once in
    the list, so a long case's snapshot encodes only the items added since the last one
    written from that list (concerns and deadlines of a case of 1,000 events: about 1,000
    rows a command otherwise).
    """
    if type(records) is not Chain:
        return rows(records)
    shared, n, tail = records.parts()
    memo = shared.memo
    kept = memo.get(rows)
    text, ends = (b"", ()) if kept is None else cast("tuple[bytes, tuple[int, ...]]", kept)
    done = len(ends)
    if done < n:  # the items appended to the list since: encoded one by one, then kept
        dumps = orjson.dumps
        texts = [dumps(row) for row in rows(shared[done:n])]
        joined = b",".join(texts)
        grown = [*ends]
        end = len(text)
        for piece in texts:
            end += len(piece) + (1 if end else 0)
            grown.append(end)
        text = text + b"," + joined if text else joined
        ends = tuple(grown)
        memo[rows] = (text, ends)  # a later writer may keep more: both are true
    prefix = text[: ends[n - 1]] if n else b""
    if not tail:
        return orjson.Fragment(b"[" + prefix + b"]")
    rest = orjson.dumps(rows(tail))
    return orjson.Fragment(b"[" + prefix + (b"," + rest[1:] if prefix else rest[1:]))


def _file(file: CaseFile) -> dict[str, Any]:
    # Dates, the model's string enums and tuples go to orjson as they are: it writes a date
    # as ISO 8601 (YYYY-MM-DD, as date.isoformat), an enum as its value and a tuple as an
    # array, in C. A record may be a Chain (a sequence orjson does not know): listed. An
    # empty record is given as it is (orjson writes ``[]``), without building a list: most
    # records of most cases are empty, and each comprehension is a call.
    p, support, ending, review, report, siblings = (
        file.placement,
        file.support,
        file.ending,
        file.review,
        file.report,
        file.siblings,
    )
    concerns, deadlines, meetings, notices, recommendations = (
        file.concerns,
        file.deadlines,
        file.meetings,
        file.notices,
        file.recommendations,
    )
    return {
        "child": file.child,
        "placement": (p.id, p.start, p.type, p.provider, p.location, p.carer),
        "concerns": (
            _records(concerns, _concern_rows)
            if type(concerns) is Chain
            else [(c.category, c.raised_by, c.on) for c in concerns]
        )
        if concerns
        else (),
        "support": None if support is None else (support.support, support.on, support.review_by),
        "meetings": [
            (
                m.date, _actor(m.chair), m.held_on, m.decision, m.factors,
                m.child_views_obtained, m.invited, m.attendees, m.carer_views_obtained,
            )
            for m in meetings
        ]
        if meetings
        else (),
        "ending": None
        if ending is None
        else (ending.end, ending.reason, ending.planned, ending.left_care),
        "notice_sent_on": file.notice_sent_on,
        "review": None
        if review is None
        else (review.held_on, _actor(review.chair), review.factors, review.waived),
        "deadlines": (
            _records(deadlines, _deadline_rows)
            if type(deadlines) is Chain
            else [
                (d.id, d.name, d.opened_on, d.due, d.earliest, d.status, d.closed_on,
                 d.missed_recorded)
                for d in deadlines
            ]
        )
        if deadlines
        else (),
        "social_workers": file.social_workers,
        "imported": file.imported,
        "reg14": (file.iro_informed_on, file.case_reviewed_on, file.immediate_risk_on),
        "notices": [(n.sent_on, n.recipients, n.advance) for n in notices] if notices else (),
        "line_managers": file.line_managers,
        "report": None if report is None else (report.issued_on, report.circulation),
        "recommendations": [
            (r.id, r.owner, r.due, r.completed_on) for r in recommendations
        ]
        if recommendations
        else (),
        "meeting_required": file.meeting_required,
        "siblings": None if siblings is None else (siblings.group, siblings.cases),
        "sibling_decisions": file.sibling_decisions,
        "sibling_decided_on": file.sibling_decided_on,
    }  # fmt: skip


def snapshot_of(case: Case) -> str:
    """Return a case's snapshot text, stamped with the format and event schema version.

    Args:
        case: The case.

    Returns:
        JSON text.
    """
    updated_at = case.updated_at
    body = {
        "format": SNAPSHOT_FORMAT,
        "schema": EVENT_SCHEMA_VERSION,
        "procedure": (case.procedure.name, case.procedure.version),
        "id": case.id,
        "state": case.state,
        "version": case.version,
        # orjson writes a UTC instant as isoformat does (+00:00, microseconds when any);
        # another offset (one with seconds it would round) as isoformat's own text.
        "updated_at": updated_at
        if updated_at.tzinfo is UTC and type(updated_at) is datetime
        else updated_at.isoformat(),
        "file": _file(case.file),
    }
    try:
        return orjson.dumps(body).decode()
    except TypeError:  # a value orjson does not write itself (a date subclass, a sequence)
        return orjson.dumps(body, default=_plain).decode()


def _plain(value: object) -> object:
    """A value orjson refuses, as JSON's own types: as the text of the value it stands for."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return date(value.year, value.month, value.day)  # a subclass (pendulum's Date)
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_new = object.__new__


_PLACEMENT_FIELDS: Final = ("id", "start", "type", "provider", "location", "carer")
"""Placement's fields (a field added to it and not here fails the snapshot round trip)."""
_SET_PLACEMENT: Final = tuple(Placement.__dict__[n].__set__ for n in _PLACEMENT_FIELDS)
_SET_ACTOR_ID: Final = Actor.__dict__["id"].__set__
_SET_ACTOR_ROLE: Final = Actor.__dict__["role"].__set__


def _read_placement(row: list[Any]) -> Placement:
    """A placement of the store's own writing, without checking it again.

    Its values were checked when the case was decided; checking a placement's codes again
    on every load would cost more than reading it. Its slots are filled through their
    descriptors, as attrs' own ``__init__`` does, without the converters and checks.
    """
    pid, start, ptype, provider, location, carer = row
    set_id, set_start, set_type, set_provider, set_location, set_carer = _SET_PLACEMENT
    placement: Placement = _new(Placement)
    set_id(placement, pid)
    set_start(placement, date.fromisoformat(start))
    set_type(placement, ptype)
    set_provider(placement, provider)
    set_location(placement, _LOCATION[location])
    set_carer(placement, carer)
    return placement


_ROLE: Final = {m.value: m for m in Role}
_CONCERN: Final = {m.value: m for m in ConcernCategory}
_SUPPORT: Final = {m.value: m for m in SupportType}
_DECISION: Final = {m.value: m for m in MeetingDecision}
_STATUS: Final = {m.value: m for m in DeadlineStatus}
_LOCATION: Final = {m.value: m for m in Location}
_SIBLING: Final = {m.value: m for m in SiblingDecision}
# A value that is no member's raises KeyError: the snapshot is not used (case_from_snapshot).


def _read_actor(value: list[str]) -> Actor:
    actor: Actor = _new(Actor)
    _SET_ACTOR_ID(actor, value[0])
    _SET_ACTOR_ROLE(actor, _ROLE[value[1]])
    return actor


_FILE_ORDER: Final = (
    "procedure", "child", "placement", "concerns", "support", "meetings", "ending",
    "notice_sent_on", "review", "deadlines", "social_workers", "imported", "iro_informed_on",
    "case_reviewed_on", "immediate_risk_on", "notices", "line_managers", "report",
    "recommendations", "meeting_required", "siblings", "sibling_decisions",
    "sibling_decided_on",
)  # fmt: skip
"""The fields of :class:`CaseFile` that :func:`_read_file` gives it, by position, in this
order: its first fields (a test holds them to it)."""


def _read_meeting(row: list[Any]) -> Meeting:
    on, chair, held, decision, factors, views, invited, attendees, carer_views = row
    roles = _ROLE
    return Meeting(
        date=date.fromisoformat(on),
        chair=_read_actor(chair),
        held_on=_date(held),
        decision=None if decision is None else _DECISION[decision],
        factors=tuple(factors),
        child_views_obtained=views,
        invited=tuple([roles[r] for r in invited]),
        attendees=tuple([roles[r] for r in attendees]),
        carer_views_obtained=carer_views,
    )


def _read_file(file: dict[str, Any], procedure: ProcedureRef) -> CaseFile:
    # Most records of most cases are empty or null: each is read only when it is not.
    iso, roles = date.fromisoformat, _ROLE
    concerns, support, meetings, ending, notice_sent_on, review, deadlines = (
        file["concerns"], file["support"], file["meetings"], file["ending"],
        file["notice_sent_on"], file["review"], file["deadlines"],
    )  # fmt: skip
    iro_informed_on, case_reviewed_on, immediate_risk_on = file["reg14"]
    notices, line_managers, report, recommendations = (
        file["notices"],
        file["line_managers"],
        file["report"],
        file["recommendations"],
    )
    siblings, sibling_decisions, sibling_decided_on = (
        file["siblings"],
        file["sibling_decisions"],
        file["sibling_decided_on"],
    )
    if deadlines:
        status = _STATUS
        deadlines = tuple(
            [
                Deadline(
                    did, name, iso(opened), iso(due),
                    None if earliest is None else iso(earliest), status[state],
                    None if closed is None else iso(closed), missed,
                )
                for did, name, opened, due, earliest, state, closed, missed in deadlines
            ]
        )  # fmt: skip
    return CaseFile(  # by position, in _FILE_ORDER
        procedure,
        file["child"],
        _read_placement(file["placement"]),
        tuple([Concern(_CONCERN[c], roles[by], iso(on)) for c, by, on in concerns])
        if concerns
        else (),
        None
        if support is None
        else SupportOffer(
            tuple([_SUPPORT[s] for s in support[0]]), iso(support[1]), _date(support[2])
        ),
        tuple([_read_meeting(m) for m in meetings]) if meetings else (),
        None if ending is None else Ending(iso(ending[0]), *ending[1:]),
        None if notice_sent_on is None else iso(notice_sent_on),
        None
        if review is None
        else LearningReview(
            _date(review[0]),
            None if review[1] is None else _read_actor(review[1]),
            tuple(review[2]),
            review[3],
        ),
        deadlines or (),
        tuple(file["social_workers"]),
        file["imported"],
        None if iro_informed_on is None else iso(iro_informed_on),
        None if case_reviewed_on is None else iso(case_reviewed_on),
        None if immediate_risk_on is None else iso(immediate_risk_on),
        tuple([Notice(iso(on), tuple(to), advance) for on, to, advance in notices])
        if notices
        else (),
        tuple([(worker, manager) for worker, manager in line_managers]) if line_managers else (),
        None if report is None else ChairReport(iso(report[0]), tuple(report[1])),
        tuple(
            [
                Recommendation(rid, roles[owner], iso(due), _date(done))
                for rid, owner, due, done in recommendations
            ]
        )
        if recommendations
        else (),
        tuple(file["meeting_required"]),
        None if siblings is None else SiblingGroup(siblings[0], tuple(siblings[1])),
        tuple([(ref, _SIBLING[decision]) for ref, decision in sibling_decisions])
        if sibling_decisions
        else (),
        None if sibling_decided_on is None else iso(sibling_decided_on),
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
