"""The data of the standard procedure's commands: typed payloads and their strict readers.

Each reader takes a :class:`~disruption.domain.commands.Fields` over the command's ``data`` and
returns a frozen payload, or raises :class:`~disruption.exceptions.InvalidData` naming the
field. Free-text fields are declared with :func:`~disruption.domain.payloads.personal`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, ClassVar, TypeVar

import attrs

from disruption.domain import codes
from disruption.domain.commands import Fields
from disruption.domain.model import (
    Actor,
    ConcernCategory,
    Location,
    MeetingDecision,
    Placement,
    Role,
    SiblingDecision,
    SupportType,
    filled,
    placement_read,
)
from disruption.domain.payloads import personal
from disruption.exceptions import InvalidData
from disruption.procedure import schema as js
from disruption.procedure.schema import JSONSchema

__all__ = [
    "FACTORS",
    "CompleteRecommendation",
    "ConveneMeeting",
    "EndAdoptivePlacement",
    "EndPlacement",
    "GiveNotice",
    "InformIro",
    "IssueReport",
    "LinkSiblings",
    "NoFurtherAction",
    "OfferSupport",
    "OpenCase",
    "RaiseConcern",
    "RecommendationItem",
    "RecordImmediateRisk",
    "RecordLearningReview",
    "RecordLineManager",
    "RecordMeeting",
    "RecordNotice",
    "RecordNoticeTo",
    "RecordSiblingDecision",
    "ReviewCase",
    "SiblingChoice",
    "Stabilise",
    "Waiver",
]

FACTORS = frozenset(
    {
        "allegation",
        "carer_capacity",
        "carer_health",
        "carer_skills",
        "child_behaviour",
        "child_wishes",
        "education",
        "exploitation",
        "family_contact",
        "health_needs",
        "matching",
        "missing_episodes",
        "peer_relationships",
        "placement_history",
        "sibling_arrangements",
        "support_insufficient",
        "other",
    }
)
"""The standard catalogue of contributing factors (codes, never free text)."""


T = TypeVar("T")


def _made(cls: type[T], *values: Any) -> T:
    """``cls(*values)``, every field in order; by position for the standard payloads.

    The payloads read on every command (:data:`_BY_POSITION`: none of their fields converts
    or validates) are filled by position (:func:`~disruption.domain.model.filled`); a
    subclass (a procedure's own) goes through its ``__init__``.
    """
    build = _BY_POSITION.get(cls)
    return cls(*values) if build is None else build(*values)


def _actor(fields: Fields, name: str) -> Actor:
    nested = fields.nested(name)
    actor = Actor(nested.reference("id"), nested.choice("role", Role))
    nested.close()
    return actor


@attrs.frozen
class OpenCase:
    """``open_case``: the child, the placement, and optionally the procedure it follows.

    ``procedure`` names the definition the case opens under (``"adoption"``, the adoption
    disruption variant); the engine chooses it, and the event records its name and version.
    """

    child: str
    placement: Placement
    procedure: str | None = None

    DATA: ClassVar[JSONSchema] = js.obj(
        {
            "child": js.reference(),
            "placement": js.obj(
                {
                    "id": js.reference(),
                    "type": js.string("SSDA903 PLACE code valid in the collection year of start."),
                    "provider": js.choice(
                        codes.PLACE_PROVIDER,
                        "SSDA903 PLACE_PROVIDER code (the engine also reads it in lower case).",
                    ),
                    "start": js.date(),
                    "location": js.choice(Location),
                    "carer": js.reference(),
                },
                ["id", "type", "provider", "start", "location"],
            ),
            "procedure": js.reference(
                'The procedure the case opens under, by name ("adoption": the adoption '
                "disruption variant); absent, the engine's own. The engine checks it names one "
                "it knows."
            ),
        },
        ["child", "placement"],
    )

    @classmethod
    def read(cls, fields: Fields) -> OpenCase:
        """Read the data of ``open_case``."""
        p = fields.nested("placement")
        # Each field checked once, in this order, naming it (``placement.id`` first): the
        # references here, the codes by ``placement_read`` as ``Placement(...)`` checks them.
        placement = placement_read(
            p.reference("id"),
            p.date("start"),
            p.string("type"),
            p.string("provider"),
            p.choice("location", Location),
            p.reference("carer", required=False),
        )
        p.close()
        child = fields.reference("child")
        procedure = fields.reference("procedure", required=False)
        return _made(cls, child, placement, procedure)


@attrs.frozen
class RaiseConcern:
    """``raise_concern``: what the concern is about and who raised it."""

    category: ConcernCategory
    raised_by: Role

    DATA: ClassVar[JSONSchema] = js.obj(
        {"category": js.choice(ConcernCategory), "raised_by": js.choice(Role)},
        ["category", "raised_by"],
    )

    @classmethod
    def read(cls, fields: Fields) -> RaiseConcern:
        """Read the data of ``raise_concern``."""
        category = fields.choice("category", ConcernCategory)
        raised_by = fields.choice("raised_by", Role)
        return _made(cls, category, raised_by)


@attrs.frozen
class NoFurtherAction:
    """``no_further_action``: why the concern needs no further action."""

    reason: str = personal()

    DATA: ClassVar[JSONSchema] = js.obj({"reason": js.text()}, ["reason"])

    @classmethod
    def read(cls, fields: Fields) -> NoFurtherAction:
        """Read the data of ``no_further_action``."""
        return cls(fields.text("reason"))


@attrs.frozen
class OfferSupport:
    """``offer_support``: the support offered and when it is reviewed."""

    support: tuple[SupportType, ...]
    review_by: date | None = None

    DATA: ClassVar[JSONSchema] = js.obj(
        {"support": js.choices(SupportType, non_empty=True), "review_by": js.date()},
        ["support"],
    )

    @classmethod
    def read(cls, fields: Fields) -> OfferSupport:
        """Read the data of ``offer_support``."""
        support = fields.choices("support", SupportType, non_empty=True)
        review_by = fields.date("review_by", required=False)
        return _made(cls, support, review_by)


@attrs.frozen
class ConveneMeeting:
    """``convene_meeting``: when, who chairs, and who is invited (by role)."""

    date: date
    chair: Actor
    invited: tuple[Role, ...] = ()

    DATA: ClassVar[JSONSchema] = js.obj(
        {
            "date": js.date(),
            "chair": js.actor(),
            "invited": js.choices(Role, description="The roles invited (the IRO among them)."),
        },
        ["date", "chair"],
    )

    @classmethod
    def read(cls, fields: Fields) -> ConveneMeeting:
        """Read the data of ``convene_meeting``."""
        on = fields.date("date")
        chair = _actor(fields, "chair")
        invited = fields.choices("invited", Role)
        return _made(cls, on, chair, invited)


@attrs.frozen
class RecordMeeting:
    """``record_meeting``: who attended, the child's and carer's views, factors, decision."""

    held_on: date
    attendees: tuple[Role, ...]
    factors: tuple[str, ...]
    decision: MeetingDecision
    child_views: str | None = personal(default=None)
    child_views_not_obtained: str | None = personal(default=None)
    carer_views: str | None = personal(default=None)
    carer_views_not_obtained: str | None = personal(default=None)

    DATA: ClassVar[JSONSchema] = js.obj(
        {
            "held_on": js.date(),
            "attendees": {
                **js.choices(Role, non_empty=True),
                "contains": {"const": Role.SOCIAL_WORKER.value},
            },
            "child_views": js.text(),
            "child_views_not_obtained": js.text(),
            "carer_views": js.text(),
            "carer_views_not_obtained": js.text(),
            "factors": js.choices(sorted(FACTORS)),
            "decision": js.choice(MeetingDecision),
        },
        ["held_on", "attendees", "decision"],
        **js.one_of("child_views", "child_views_not_obtained"),
        # at most one of the carer's views or why they were not obtained
        allOf=[{"not": {"required": ["carer_views", "carer_views_not_obtained"]}}],
    )

    @classmethod
    def read(cls, fields: Fields, factors: frozenset[str]) -> RecordMeeting:
        """Read the data of ``record_meeting``, checking factors against a catalogue."""
        attendees = fields.choices("attendees", Role, non_empty=True)
        if Role.SOCIAL_WORKER not in attendees:
            raise InvalidData("must include social_worker", field=fields.path("attendees"))
        views = fields.text("child_views", required=False)
        not_obtained = fields.text("child_views_not_obtained", required=False)
        if (views is None) == (not_obtained is None):
            raise InvalidData(
                "give exactly one of child_views or child_views_not_obtained",
                field=fields.path("child_views"),
            )
        carer = fields.text("carer_views", required=False)
        carer_not = fields.text("carer_views_not_obtained", required=False)
        if carer is not None and carer_not is not None:
            raise InvalidData(
                "give at most one of carer_views or carer_views_not_obtained",
                field=fields.path("carer_views"),
            )
        held_on = fields.date("held_on")
        labels = fields.labels("factors", factors)
        decision = fields.choice("decision", MeetingDecision)
        return _made(
            cls, held_on, attendees, labels, decision, views, not_obtained, carer, carer_not
        )


@attrs.frozen
class Stabilise:
    """``stabilise``: no data."""

    DATA: ClassVar[JSONSchema] = js.obj({})

    @classmethod
    def read(cls, fields: Fields) -> Stabilise:
        """Read the (empty) data of ``stabilise``."""
        return cls()


@attrs.frozen
class EndPlacement:
    """``end_placement``: the end date, why, and whether it was planned.

    Exactly one of ``reason`` (a REASON_PLACE_CHANGE code: the child moves to another
    placement) or ``left_care`` (a REC code other than ``X1``: the child leaves care with this
    ending) is given.
    """

    end: date
    reason: str
    planned: bool
    left_care: str | None = None

    DATA: ClassVar[JSONSchema] = js.obj(
        {
            "end": js.date(),
            "reason": js.choice(
                codes.REASON_PLACE_CHANGE,
                "A REASON_PLACE_CHANGE code valid in the collection year of end: the child "
                "moves to another placement.",
            ),
            "planned": js.boolean(),
            "left_care": js.choice(
                [c for c in codes.REC if c != "X1"],
                "A REC code valid in the collection year of end: the child leaves care with "
                "this ending (instead of a reason).",
            ),
        },
        ["end", "planned"],
        **js.one_of("reason", "left_care"),
    )

    @classmethod
    def read(cls, fields: Fields) -> EndPlacement:
        """Read the data of ``end_placement``."""
        end = fields.date("end")
        year = codes.collection_year(end)
        if fields.has("left_care") == fields.has("reason"):
            raise InvalidData(
                "give exactly one of reason or left_care", field=fields.path("reason")
            )
        if fields.has("left_care"):
            left = codes.REC.check(
                fields.string("left_care"), field=fields.path("left_care"), year=year
            )
            if left == "X1":
                raise InvalidData(
                    "X1 is not leaving care: give a reason instead", field=fields.path("left_care")
                )
            return cls(end, "", fields.boolean("planned"), left)
        reason = codes.REASON_PLACE_CHANGE.check(
            fields.string("reason"), field=fields.path("reason"), year=year
        )
        planned = fields.boolean("planned")
        return _made(cls, end, reason, planned, None)


@attrs.frozen
class EndAdoptivePlacement(EndPlacement):
    """``end_placement`` in the adoption variant: also whether an adoption order was made.

    Before the order the disruption meeting falls 28 to 42 days after the ending; after it,
    6 to 12 weeks.
    """

    adoption_order: bool = False

    DATA: ClassVar[JSONSchema] = {
        **EndPlacement.DATA,
        "properties": {
            **EndPlacement.DATA["properties"],
            "adoption_order": js.boolean(
                "Whether an adoption order had been made when the placement ended; absent: no."
            ),
        },
    }

    @classmethod
    def read(cls, fields: Fields) -> EndAdoptivePlacement:
        """Read the data of ``end_placement`` with ``adoption_order``."""
        base = EndPlacement.read(fields)
        return cls(
            base.end, base.reason, base.planned, base.left_care, fields.boolean("adoption_order")
        )


@attrs.frozen
class RecordNotice:
    """``record_notice``: when written notice of the ending was sent."""

    sent_on: date

    DATA: ClassVar[JSONSchema] = js.obj({"sent_on": js.date()}, ["sent_on"])

    @classmethod
    def read(cls, fields: Fields) -> RecordNotice:
        """Read the data of ``record_notice``."""
        return cls(fields.date("sent_on"))


@attrs.frozen
class Waiver:
    """Why no learning review is held (recorded by a manager)."""

    reason: str = personal()


@attrs.frozen
class RecordLearningReview:
    """``record_learning_review``: the review held, or its waiver."""

    held_on: date | None = None
    chair: Actor | None = None
    factors: tuple[str, ...] = ()
    recommendations: str | None = personal(default=None)
    waived: Waiver | None = None

    @classmethod
    def schema(cls, *, summary_required: bool = True) -> JSONSchema:
        """The JSON Schema of the data, as :meth:`read` with these options reads it."""
        summary = (
            js.text()
            if summary_required
            else js.text(
                "An optional summary in words; the recommendations agreed are items of the "
                "chair's report (issue_report). Free text: kept in the personal-data store."
            )
        )
        review = js.obj(
            {
                "held_on": js.date(),
                "chair": js.actor(),
                "factors": js.choices(sorted(FACTORS), non_empty=True),
                "recommendations": summary,
            },
            ["held_on", "chair", "factors", *(["recommendations"] if summary_required else [])],
        )
        return {
            "oneOf": [
                review,
                js.obj({"waived": js.obj({"reason": js.text()}, ["reason"])}, ["waived"]),
            ]
        }

    @classmethod
    def read(
        cls, fields: Fields, factors: frozenset[str], *, summary_required: bool = True
    ) -> RecordLearningReview:
        """Read the data of ``record_learning_review``: a review, or ``waived``.

        Args:
            fields: The command's data.
            factors: The catalogue of factors.
            summary_required: Whether ``recommendations`` (words) is required: in version 1;
                from version 2 the recommendations are items of the chair's report
                (``issue_report``) and the words here an optional summary.
        """
        if fields.has("waived"):
            waived = fields.nested("waived")
            waiver = Waiver(waived.text("reason"))
            waived.close()
            return cls(waived=waiver)
        return cls(
            held_on=fields.date("held_on"),
            chair=_actor(fields, "chair"),
            factors=fields.labels("factors", factors, non_empty=True),
            recommendations=fields.text("recommendations", required=summary_required),
        )


@attrs.frozen
class InformIro:
    """``inform_iro``: when the IRO was informed of the intended (or made) ending, and who."""

    informed_on: date
    iro: str

    DATA: ClassVar[JSONSchema] = js.obj(
        {"informed_on": js.date(), "iro": js.reference()}, ["informed_on", "iro"]
    )

    @classmethod
    def read(cls, fields: Fields) -> InformIro:
        """Read the data of ``inform_iro``."""
        return cls(fields.date("informed_on"), fields.reference("iro"))


@attrs.frozen
class ReviewCase:
    """``review_case``: when the child's case was reviewed (a statutory review)."""

    held_on: date

    DATA: ClassVar[JSONSchema] = js.obj({"held_on": js.date()}, ["held_on"])

    @classmethod
    def read(cls, fields: Fields) -> ReviewCase:
        """Read the data of ``review_case``."""
        return cls(fields.date("held_on"))


@attrs.frozen
class RecordImmediateRisk:
    """``record_immediate_risk``: a manager records an immediate risk of significant harm."""

    on: date
    reason: str = personal()

    DATA: ClassVar[JSONSchema] = js.obj({"on": js.date(), "reason": js.text()}, ["on", "reason"])

    @classmethod
    def read(cls, fields: Fields) -> RecordImmediateRisk:
        """Read the data of ``record_immediate_risk``."""
        return cls(fields.date("on"), fields.text("reason"))


_NOTICE_TO: JSONSchema = js.obj(
    {
        "sent_on": js.date(),
        "recipients": js.references(
            non_empty=True,
            description="Pseudonymous references of who received it (never names).",
        ),
    },
    ["sent_on", "recipients"],
)
"""The data of a notice sent with its recipients (``give_notice``; ``record_notice`` from
version 2)."""


@attrs.frozen
class GiveNotice:
    """``give_notice``: advance written notice of the intention to end, and who received it."""

    sent_on: date
    recipients: tuple[str, ...]

    DATA: ClassVar[JSONSchema] = _NOTICE_TO

    @classmethod
    def read(cls, fields: Fields) -> GiveNotice:
        """Read the data of ``give_notice``."""
        return cls(fields.date("sent_on"), fields.references("recipients", non_empty=True))


@attrs.frozen
class RecordNoticeTo:
    """``record_notice`` (from version 2): written notice of the ending, and who received it."""

    sent_on: date
    recipients: tuple[str, ...]

    DATA: ClassVar[JSONSchema] = _NOTICE_TO

    @classmethod
    def read(cls, fields: Fields) -> RecordNoticeTo:
        """Read the data of ``record_notice``."""
        return cls(fields.date("sent_on"), fields.references("recipients", non_empty=True))


@attrs.frozen
class RecordLineManager:
    """``record_line_manager``: who line-manages one of the case's social workers."""

    social_worker: str
    line_manager: str

    DATA: ClassVar[JSONSchema] = js.obj(
        {"social_worker": js.reference(), "line_manager": js.reference()},
        ["social_worker", "line_manager"],
    )

    @classmethod
    def read(cls, fields: Fields) -> RecordLineManager:
        """Read the data of ``record_line_manager``."""
        return cls(fields.reference("social_worker"), fields.reference("line_manager"))


@attrs.frozen
class RecommendationItem:
    """One recommendation of the chair's report: its id, words, owner role and due date."""

    id: str
    owner: Role
    due: date
    text: str = personal()

    DATA: ClassVar[JSONSchema] = js.obj(
        {"id": js.reference(), "owner": js.choice(Role), "due": js.date(), "text": js.text()},
        ["id", "owner", "due", "text"],
    )

    @classmethod
    def read(cls, fields: Fields) -> RecommendationItem:
        """Read one item of ``recommendations``."""
        item = cls(
            id=fields.reference("id"),
            owner=fields.choice("owner", Role),
            due=fields.date("due"),
            text=fields.text("text"),
        )
        fields.close()
        return item


@attrs.frozen
class IssueReport:
    """``issue_report``: the chair's report issued, its circulation and recommendations."""

    issued_on: date
    circulation: tuple[str, ...]
    recommendations: tuple[RecommendationItem, ...]

    DATA: ClassVar[JSONSchema] = js.obj(
        {
            "issued_on": js.date(),
            "circulation": js.references(
                non_empty=True,
                description="Pseudonymous references of who the report is circulated to.",
            ),
            "recommendations": js.objects(
                RecommendationItem.DATA,
                description="Each recommendation's id is given once (the engine checks it).",
            ),
        },
        ["issued_on", "circulation"],
    )

    @classmethod
    def read(cls, fields: Fields) -> IssueReport:
        """Read the data of ``issue_report``."""
        items = tuple(RecommendationItem.read(f) for f in fields.objects("recommendations"))
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item.id in seen:
                raise InvalidData(
                    f"{item.id} is given twice", field=fields.path(f"recommendations[{i}].id")
                )
            seen.add(item.id)
        return cls(
            fields.date("issued_on"),
            fields.references("circulation", non_empty=True),
            items,
        )


@attrs.frozen
class CompleteRecommendation:
    """``complete_recommendation``: a recommendation of the report done, and when."""

    recommendation: str
    completed_on: date

    DATA: ClassVar[JSONSchema] = js.obj(
        {"recommendation": js.reference(), "completed_on": js.date()},
        ["recommendation", "completed_on"],
    )

    @classmethod
    def read(cls, fields: Fields) -> CompleteRecommendation:
        """Read the data of ``complete_recommendation``."""
        return cls(fields.reference("recommendation"), fields.date("completed_on"))


@attrs.frozen
class LinkSiblings:
    """``link_siblings``: the case's sibling group and the other cases in it."""

    group: str
    cases: tuple[str, ...]

    DATA: ClassVar[JSONSchema] = js.obj(
        {
            "group": js.reference("The sibling group's pseudonymous reference."),
            "cases": js.references(
                non_empty=True, description="The other cases of the group (references)."
            ),
        },
        ["group", "cases"],
    )

    @classmethod
    def read(cls, fields: Fields) -> LinkSiblings:
        """Read the data of ``link_siblings``."""
        return cls(fields.reference("group"), fields.references("cases", non_empty=True))


@attrs.frozen
class SiblingChoice:
    """What is decided about one linked sibling's case."""

    case: str
    decision: SiblingDecision

    DATA: ClassVar[JSONSchema] = js.obj(
        {"case": js.reference(), "decision": js.choice(SiblingDecision)}, ["case", "decision"]
    )

    @classmethod
    def read(cls, fields: Fields) -> SiblingChoice:
        """Read one item of ``decisions``."""
        item = cls(fields.reference("case"), fields.choice("decision", SiblingDecision))
        fields.close()
        return item


@attrs.frozen
class RecordSiblingDecision:
    """``record_sibling_decision``: the decision about each linked sibling, and when."""

    decided_on: date
    decisions: tuple[SiblingChoice, ...]

    DATA: ClassVar[JSONSchema] = js.obj(
        {
            "decided_on": js.date(),
            "decisions": js.objects(
                SiblingChoice.DATA,
                non_empty=True,
                description="Each case is named once (the engine checks it).",
            ),
        },
        ["decided_on", "decisions"],
    )

    @classmethod
    def read(cls, fields: Fields) -> RecordSiblingDecision:
        """Read the data of ``record_sibling_decision``."""
        items = tuple(SiblingChoice.read(f) for f in fields.objects("decisions", non_empty=True))
        cases = [item.case for item in items]
        if len(set(cases)) != len(cases):
            raise InvalidData("must not name a case twice", field=fields.path("decisions"))
        return cls(fields.date("decided_on"), items)


_BY_POSITION: dict[type, Callable[..., Any]] = {
    kind: filled(kind)
    for kind in (OpenCase, RaiseConcern, OfferSupport, ConveneMeeting, RecordMeeting, EndPlacement)
}
"""The payloads :func:`_made` fills by position."""
