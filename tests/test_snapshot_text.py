"""The snapshot text is what snapshot format 3 has always written, byte for byte.

:mod:`disruption.store.sql.snapshots` writes and reads the text by fast paths (orjson writing
tuples, dates, enums and UTC instants itself; members looked up, slots filled directly); the
reference below is the format as first written (lists, ``isoformat``), kept here so that a
change to the fast paths that changed the stored text fails.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import attrs
import orjson
import pendulum
from hypothesis import given, settings
from hypothesis import strategies as st

from disruption.core.fold import replay
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
from disruption.procedure.standard import STANDARD
from disruption.store.sql import snapshots
from disruption.store.sql.snapshots import case_from_snapshot, snapshot_of
from tests.builders import (
    MANAGER,
    SW,
    T0,
    command,
    hours,
    make_engine,
    no_further_action_data,
    open_case_data,
    raise_concern_data,
)
from tests.strategies import valid_journey


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _actor(actor: Actor | None) -> list[str] | None:
    return None if actor is None else [actor.id, actor.role.value]


def reference(case: Case) -> str:
    """Snapshot format 3 as first written: every value turned into JSON's own types."""
    f = case.file
    p = f.placement
    file: dict[str, Any] = {
        "child": f.child,
        "placement": [p.id, _iso(p.start), p.type, p.provider, p.location.value, p.carer],
        "concerns": [[c.category.value, c.raised_by.value, _iso(c.on)] for c in f.concerns],
        "support": None
        if f.support is None
        else [[s.value for s in f.support.support], _iso(f.support.on), _iso(f.support.review_by)],
        "meetings": [
            [
                _iso(m.date), _actor(m.chair), _iso(m.held_on),
                None if m.decision is None else m.decision.value, list(m.factors),
                m.child_views_obtained, [r.value for r in m.invited],
                [r.value for r in m.attendees], m.carer_views_obtained,
            ]
            for m in f.meetings
        ],
        "ending": None
        if f.ending is None
        else [_iso(f.ending.end), f.ending.reason, f.ending.planned, f.ending.left_care],
        "notice_sent_on": _iso(f.notice_sent_on),
        "review": None
        if f.review is None
        else [_iso(f.review.held_on), _actor(f.review.chair), list(f.review.factors),
              f.review.waived],
        "deadlines": [
            [d.id, d.name, _iso(d.opened_on), _iso(d.due), _iso(d.earliest), d.status.value,
             _iso(d.closed_on), d.missed_recorded]
            for d in f.deadlines
        ],
        "social_workers": list(f.social_workers),
        "imported": f.imported,
        "reg14": [_iso(f.iro_informed_on), _iso(f.case_reviewed_on), _iso(f.immediate_risk_on)],
        "notices": [[_iso(n.sent_on), list(n.recipients), n.advance] for n in f.notices],
        "line_managers": [list(pair) for pair in f.line_managers],
        "report": None
        if f.report is None
        else [_iso(f.report.issued_on), list(f.report.circulation)],
        "recommendations": [
            [r.id, r.owner.value, _iso(r.due), _iso(r.completed_on)] for r in f.recommendations
        ],
        "meeting_required": list(f.meeting_required),
        "siblings": None if f.siblings is None else [f.siblings.group, list(f.siblings.cases)],
        "sibling_decisions": [[c, d.value] for c, d in f.sibling_decisions],
        "sibling_decided_on": _iso(f.sibling_decided_on),
    }  # fmt: skip
    body = {
        "format": 3,
        "schema": EVENT_SCHEMA_VERSION,
        "procedure": [case.procedure.name, case.procedure.version],
        "id": case.id,
        "state": case.state,
        "version": case.version,
        "updated_at": case.updated_at.isoformat(),
        "file": file,
    }
    return orjson.dumps(body).decode()


D = date(2025, 3, 3)
IRO = Actor("iro-1", Role.IRO)


def every_record(updated_at: datetime) -> Case:
    """A case with every record of its file filled (no journey of one case fills them all)."""
    file = CaseFile(
        procedure=ProcedureRef("standard", 2),
        child="C-1",
        placement=Placement("PL-1", D, "U1", "PR1", Location.OUT_OF_BOROUGH, carer="CR-1"),
        concerns=(Concern(ConcernCategory.CARER_DIFFICULTY, Role.CARER, D),),
        support=SupportOffer((SupportType.RESPITE, SupportType.EXTRA_VISITS), D, D),
        meetings=(
            Meeting(D, IRO),
            Meeting(D, IRO, D, MeetingDecision.STABILISE, ("matching",), True, (Role.IRO,)),
            Meeting(D, IRO, D, attendees=(Role.IRO, Role.CARER), carer_views_obtained=False),
        ),
        ending=Ending(D, "CARPL", False, "E11"),
        notice_sent_on=D,
        review=LearningReview(D, IRO, ("matching", "support"), False),
        deadlines=(
            Deadline("screening-2", "screening", D, D + timedelta(days=4)),
            Deadline("review-3", "review", D, D, D, DeadlineStatus.MET, D, True),
        ),
        social_workers=("sw-1", "sw-2"),
        imported=True,
        iro_informed_on=D,
        case_reviewed_on=D + timedelta(days=1),
        immediate_risk_on=D + timedelta(days=2),
        notices=(Notice(D, ("iro-1", "cr-1"), True),),
        line_managers=(("sw-1", "tm-1"),),
        report=ChairReport(D, ("iro-1",)),
        recommendations=(Recommendation("R-1", Role.TEAM_MANAGER, D, D),),
        meeting_required=("permanent_placement_ended",),
        siblings=SiblingGroup("G-1", ("P-2", "P-3")),
        sibling_decisions=(("P-2", SiblingDecision.MOVE_TOGETHER),),
        sibling_decided_on=D,
    )
    return Case("P-1", "ended", 9, updated_at, file)


@given(
    st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30, seconds=7))]),
    )
)  # fmt: skip
def test_a_full_case_is_written_as_format_3_was_and_read_back(updated_at: datetime) -> None:
    case = every_record(updated_at)
    text = snapshot_of(case)
    assert text == reference(case)
    assert case_from_snapshot(text, case.procedure) == case


@settings(max_examples=60, deadline=None)
@given(draw=st.data())
def test_a_journeys_case_is_written_as_format_3_was_and_read_back(draw: st.DataObject) -> None:
    case = replay(valid_journey(draw), STANDARD.records)
    assert case is not None
    text = snapshot_of(case)
    assert text == reference(case)
    assert case_from_snapshot(text, case.procedure) == case


def test_a_value_no_member_has_makes_the_snapshot_untrusted() -> None:
    case = every_record(datetime(2025, 3, 3, 9, tzinfo=UTC))
    text = snapshot_of(case)
    assert case_from_snapshot(text, case.procedure) == case
    for member in ('"carer_difficulty"', '"respite"', '"stabilise"', '"met"', '"iro"',
                   '"out_of_borough"', '"move_together"'):  # fmt: skip
        assert member in text
        assert case_from_snapshot(text.replace(member, '"nothing"'), case.procedure) is None


def test_the_file_is_read_by_position_in_its_fields_order() -> None:
    names = tuple(a.name for a in attrs.fields(CaseFile))
    assert names[: len(snapshots._FILE_ORDER)] == snapshots._FILE_ORDER
    assert names[len(snapshots._FILE_ORDER) :] == ("open_deadlines",)  # never written
    assert tuple(a.name for a in attrs.fields(Placement)) == snapshots._PLACEMENT_FIELDS


def test_a_long_cases_snapshots_are_written_as_format_3_was_from_any_of_its_versions() -> None:
    """A long case's records are chains whose shared list keeps the JSON of its items: every
    version of the case, written in any order, is still written as the reference writes it."""
    engine = make_engine(T0 + timedelta(days=3))
    engine.handle(command("P-L", "open_case", T0, *SW, open_case_data()))
    cases = []
    for k in range(25):
        at = T0 + timedelta(hours=2 * k + 1)
        cases.append(
            engine.handle(command("P-L", "raise_concern", at, *SW, raise_concern_data())).case
        )
        no_action = no_further_action_data()
        cases.append(
            engine.handle(command("P-L", "no_further_action", hours(at, 1), *MANAGER, no_action))
        .case)  # fmt: skip
        assert snapshot_of(cases[-1]) == reference(cases[-1])  # in the order written
    assert type(cases[-1].deadlines) is Chain
    assert type(cases[-1].concerns) is Chain
    for case in [*reversed(cases), *cases[::3]]:  # older versions after newer ones
        text = snapshot_of(case)
        assert text == reference(case)
        assert case_from_snapshot(text, case.procedure) == case
    grown = cases[30]  # replayed: the same case with lists of its own, the same text
    later = replay(engine.history("P-L")[: grown.version], STANDARD.records)
    assert later == grown
    assert snapshot_of(later) == reference(later)


def test_values_orjson_does_not_write_itself_are_written_as_what_they_stand_for() -> None:
    """A date subclass (pendulum's, from the system clock) and a record that is some other
    sequence are written as the date and the tuple they stand for."""
    case = every_record(datetime(2025, 3, 3, 9, tzinfo=UTC))
    file = attrs.evolve(
        case.file,
        notice_sent_on=pendulum.date(2025, 3, 4),
        social_workers=Chain(("sw-1", "sw-2")),  # type: ignore[arg-type]  # not a tuple
        meeting_required=Chain(("permanent_placement_ended",)),  # type: ignore[arg-type]
    )
    odd = attrs.evolve(case, file=file)
    plain = attrs.evolve(case, file=attrs.evolve(case.file, notice_sent_on=date(2025, 3, 4)))
    assert snapshot_of(odd) == reference(plain) == snapshot_of(plain)
