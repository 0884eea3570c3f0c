"""Event data from typed payloads: scalars kept, free text split off, the rest converted."""

from __future__ import annotations

from datetime import date

import attrs
import pytest

from disruption.domain.commands import Fields
from disruption.domain.model import Role
from disruption.domain.payloads import personal, to_event_data
from disruption.exceptions import DateOutOfRange, InvalidData


@attrs.frozen
class _Item:
    id: str
    text: str = personal()


@attrs.frozen
class _Inner:
    note: str | None = personal(default=None)
    on: date | None = None


@attrs.frozen
class _Outer:
    count: int
    roles: tuple[Role, ...]
    labels: tuple[str, ...]
    on: date
    inner: _Inner
    items: tuple[_Item, ...] = ()
    empty: tuple[Role, ...] = ()
    views: str | None = personal(default=None)
    other: str | None = personal(default=None)


def test_every_kind_of_field_becomes_json_and_free_text_is_split_off() -> None:
    payload = _Outer(
        3,
        (Role.CARER, Role.SOCIAL_WORKER),
        ("a", "b"),
        date(2025, 12, 1),
        _Inner("kept apart", date(2025, 1, 2)),
        (_Item("R1", "first"), _Item("R2", "second")),
        views="the child's views",
    )
    for _ in range(2):  # the first call compiles the payload class's converter, the second uses it
        data, texts = to_event_data(payload, case="P-1", seq=4, child="C-1")
        assert data == {
            "count": 3,
            "roles": ["carer", "social_worker"],
            "labels": ["a", "b"],
            "on": "2025-12-01",
            "inner": {"note": {"ref": "P-1/4/inner.note"}, "on": "2025-01-02"},
            "items": [
                {"id": "R1", "text": {"ref": "P-1/4/items[0].text"}},
                {"id": "R2", "text": {"ref": "P-1/4/items[1].text"}},
            ],
            "empty": [],
            "views": {"ref": "P-1/4/views"},
            "other": None,
        }
        assert list(data) == [a.name for a in attrs.fields(_Outer)]
        assert [(t.ref, t.field, t.text, t.child, t.case) for t in texts] == [
            ("P-1/4/inner.note", "inner.note", "kept apart", "C-1", "P-1"),
            ("P-1/4/items[0].text", "items[0].text", "first", "C-1", "P-1"),
            ("P-1/4/items[1].text", "items[1].text", "second", "C-1", "P-1"),
            ("P-1/4/views", "views", "the child's views", "C-1", "P-1"),
        ]


def test_a_payload_without_free_text_splits_nothing() -> None:
    data, texts = to_event_data(_Inner(None, None), case="P-1", seq=1, child="C-1")
    assert (data, texts) == ({"note": None, "on": None}, ())
    assert to_event_data(None, case="P-1", seq=1, child="C-1") == ({}, ())


def test_a_date_read_again_is_the_same_object_and_a_refused_one_is_refused_again() -> None:
    first = Fields({"on": "2025-12-01"}).date("on")
    assert Fields({"on": "2025-12-01"}).date("on") is first == date(2025, 12, 1)
    for _ in range(2):
        with pytest.raises(DateOutOfRange):
            Fields({"on": "2300-01-01"}).date("on")


def test_choices_read_members_and_name_a_wrong_item() -> None:
    assert Fields({"r": ["carer", "iro"]}).choices("r", Role) == (Role.CARER, Role.IRO)
    with pytest.raises(InvalidData) as caught:
        Fields({"r": ["carer", "nobody"]}).choices("r", Role)
    assert caught.value.field == "r[1]"
    with pytest.raises(InvalidData) as caught:
        Fields({"r": "Carer"}).choice("r", Role)  # values are matched exactly
    assert caught.value.field == "r"
