"""Opening a case: the reader checks each field once (with the errors ``Placement(...)`` gives),
and the values built on every step are filled by position as their ``__init__`` builds them."""

from __future__ import annotations

import pickle
import weakref
from datetime import UTC, date, datetime
from typing import Any

import attrs
import pytest

from disruption.domain.commands import Fields
from disruption.domain.events import Event
from disruption.domain.model import (
    Actor,
    Case,
    CaseFile,
    Deadline,
    Location,
    Placement,
    ProcedureRef,
    filled,
    placement_read,
)
from disruption.exceptions import InvalidData
from disruption.procedure.standard.data import (
    ConveneMeeting,
    EndPlacement,
    OfferSupport,
    OpenCase,
    RaiseConcern,
)


def _checked_twice(data: dict[str, Any]) -> OpenCase:
    """The reader as it was: each reference read, then ``Placement(...)`` checking all."""
    fields = Fields(data)
    p = fields.nested("placement")
    placement = Placement(
        id=p.reference("id"),
        start=p.date("start"),
        type=p.string("type"),
        provider=p.string("provider"),
        location=p.choice("location", Location),
        carer=p.reference("carer", required=False),
    )
    p.close()
    return OpenCase(
        child=fields.reference("child"),
        placement=placement,
        procedure=fields.reference("procedure", required=False),
    )


_AT = datetime(2025, 1, 6, 9, tzinfo=UTC)

GOOD = {"id": "PL-1", "type": " u1", "provider": "pr1", "start": "2024-05-01",
        "location": "in_borough", "carer": "C-1"}  # fmt: skip


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"carer": None},
        {"type": "K3", "start": "2023-05-01"},
        {"id": "Jane Smith"},
        {"id": 7},
        {"id": None},
        {"carer": "a b"},
        {"type": "ZZ"},
        {"type": "K3", "start": "2024-05-01"},
        {"provider": "PR9"},
        {"provider": 3},
        {"type": "ZZ", "provider": "PR9"},
        {"id": "x y", "type": "ZZ"},
        {"type": "ZZ", "carer": "a b"},
        {"location": "abroad"},
        {"start": "2024-13-01"},
        {"extra": 1},
    ],
)
def test_open_case_reads_as_checking_twice_did(changes: dict[str, Any]) -> None:
    placement = {k: v for k, v in {**GOOD, **changes}.items() if v is not None}
    data = {"child": "CH-1", "placement": placement}
    try:
        expected: object = _checked_twice(data)
    except InvalidData as error:
        expected = (type(error), str(error), error.field)
    try:
        got: object = OpenCase.read(Fields(data))
    except InvalidData as error:
        got = (type(error), str(error), error.field)
    assert got == expected
    if isinstance(got, OpenCase):
        assert type(got.placement) is Placement
        assert got.placement == Placement(
            **{**placement, "start": date.fromisoformat(placement["start"])}
        )


def test_placement_read_checks_codes_not_references() -> None:
    built = placement_read("PL-1", date(2024, 5, 1), " u1", "pr1", Location.IN_BOROUGH, None)
    assert built == Placement("PL-1", date(2024, 5, 1), "U1", "PR1", Location.IN_BOROUGH)
    with pytest.raises(InvalidData) as refused:
        placement_read("PL-1", date(2024, 5, 1), "ZZ", "PR1", Location.IN_BOROUGH, None)
    assert refused.value.field == "placement.type"
    with pytest.raises(InvalidData) as refused:
        placement_read("PL-1", date(2024, 5, 1), "U1", "PR9", Location.IN_BOROUGH, None)
    assert refused.value.field == "placement.provider"


def test_filled_builds_what_init_builds() -> None:
    placement = Placement("PL-1", date(2024, 5, 1), "U1", "PR1", Location.IN_BOROUGH)
    file = CaseFile(ProcedureRef("standard", 2), "CH-1", placement, social_workers=("sw-1",))
    values = attrs.astuple(file, recurse=False)
    built = filled(CaseFile)(*values)
    assert type(built) is CaseFile
    assert built == file
    assert attrs.astuple(built, recurse=False) == values
    event = Event("P-1", 1, "CaseOpened", "open_case", _AT, _AT, Actor("sw-1", "social_worker"),
                  {"child": "CH-1"}, None, "placed")  # fmt: skip
    assert filled(Event)(*attrs.astuple(event, recurse=False)) == event
    assert filled(Case)("P-1", "placed", 1, _AT, file) == Case("P-1", "placed", 1, _AT, file)


def test_filled_given_some_fields_fills_the_others_with_their_defaults() -> None:
    placement = Placement("PL-1", date(2024, 5, 1), "U1", "PR1", Location.IN_BOROUGH)
    build = filled(CaseFile, "procedure", "child", "placement", "social_workers")
    built = build(ProcedureRef("standard", 2), "CH-1", placement, ("sw-1",))
    file = CaseFile(ProcedureRef("standard", 2), "CH-1", placement, social_workers=("sw-1",))
    assert type(built) is CaseFile
    assert attrs.astuple(built, recurse=False) == attrs.astuple(file, recurse=False)
    with pytest.raises(TypeError, match="no default value"):
        filled(CaseFile, "child", "placement")  # procedure has none
    with pytest.raises(TypeError, match="not distinct fields"):
        filled(CaseFile, "procedure", "child", "placement", "nope")


def test_filled_refuses_a_class_that_checks_its_fields() -> None:
    with pytest.raises(TypeError, match="Placement checks or converts"):
        filled(Placement)


def test_filled_through_a_twin_builds_a_frozen_instance_of_the_class() -> None:
    placement = Placement("PL-1", date(2024, 5, 1), "U1", "PR1", Location.IN_BOROUGH)
    file = CaseFile(ProcedureRef("standard", 2), "CH-1", placement)
    built = filled(CaseFile)(*attrs.astuple(file, recurse=False))
    assert type(built) is CaseFile
    assert hash(built) == hash(file)
    assert pickle.loads(pickle.dumps(built)) == file
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        built.child = "CH-2"  # type: ignore[misc]


def test_filled_builds_a_class_with_a_weakref_slot() -> None:
    @attrs.frozen
    class Pair:
        a: int
        b: str

    built = filled(Pair)(1, "b")
    assert type(built) is Pair
    assert built == Pair(1, "b")
    assert weakref.ref(built)() is built


def test_filled_builds_a_class_it_cannot_subclass_through_its_descriptors() -> None:
    @attrs.frozen
    class Sealed:
        a: int
        b: str

        def __init_subclass__(cls) -> None:
            raise TypeError("sealed")

    built = filled(Sealed)(1, "b")
    assert type(built) is Sealed
    assert built == Sealed(1, "b")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        built.a = 2  # type: ignore[misc]


_DEADLINE_OPEN = Deadline("screening-2", "screening", date(2025, 1, 6), date(2025, 1, 9), None)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"concerns": ("c",)},
        {"deadlines": (_DEADLINE_OPEN,)},  # open_deadlines no longer known: None
        {"deadlines": (_DEADLINE_OPEN,), "open_deadlines": (_DEADLINE_OPEN,)},
        {"open_deadlines": (), "deadlines": (_DEADLINE_OPEN,), "social_workers": ("sw-2",)},
    ],
)
def test_a_case_rebuilt_is_its_file_evolved(changes: dict[str, Any]) -> None:
    placement = Placement("PL-1", date(2024, 5, 1), "U1", "PR1", Location.IN_BOROUGH)
    file = CaseFile(ProcedureRef("standard", 2), "CH-1", placement, social_workers=("sw-1",),
                    open_deadlines=(_DEADLINE_OPEN,))  # fmt: skip
    case = Case("P-1", "placed", 1, _AT, file)
    expected = dict(changes)
    if "deadlines" in changes and "open_deadlines" not in changes:
        expected["open_deadlines"] = None
    want = attrs.evolve(file, **expected)
    for _ in range(2):  # compiled the first time, then reused
        rebuilt = case.rebuilt("concern_raised", 2, _AT, dict(changes))
        assert type(rebuilt.file) is CaseFile
        assert attrs.astuple(rebuilt.file, recurse=False) == attrs.astuple(want, recurse=False)
        assert (rebuilt.state, rebuilt.version, rebuilt.file.open_deadlines) == (
            "concern_raised", 2, want.open_deadlines)  # fmt: skip
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            rebuilt.file.child = "CH-2"  # type: ignore[misc]


def test_a_case_rebuilt_with_no_such_field_is_refused() -> None:
    placement = Placement("PL-1", date(2024, 5, 1), "U1", "PR1", Location.IN_BOROUGH)
    case = Case("P-1", "placed", 1, _AT, CaseFile(ProcedureRef("standard", 2), "CH-1", placement))
    with pytest.raises(KeyError):
        case.with_file(no_such_field=1)


@pytest.mark.parametrize(
    ("cls", "read"),
    [
        (RaiseConcern, {"category": "carer_difficulty", "raised_by": "carer"}),
        (OfferSupport, {"support": ["respite"], "review_by": "2025-02-03"}),
        (
            ConveneMeeting,
            {
                "date": "2025-01-10",
                "chair": {"id": "tm-1", "role": "team_manager"},
                "invited": ["iro"],
            },
        ),
        (EndPlacement, {"end": "2025-01-10", "reason": "CHILD", "planned": False}),
    ],
)
def test_a_payload_read_by_position_is_what_its_init_builds(cls: Any, read: dict[str, Any]) -> None:
    built = cls.read(Fields(read))
    assert type(built) is cls
    assert built == cls(*attrs.astuple(built, recurse=False))
