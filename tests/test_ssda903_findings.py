"""The fast construction of findings column by column equals `Finding` row by row."""

from __future__ import annotations

import gc

import attrs
import pytest
from hypothesis import given

from disruption.ssda903.findings import FIELDS, Finding, from_columns
from tests.strategies import finding_rows


@given(finding_rows)
def test_from_columns_equals_finding_row_by_row(rows: list[tuple[object, ...]]) -> None:
    columns = [[row[i] for row in rows] for i in range(len(FIELDS))]
    expected = [Finding(*row) for row in rows]  # type: ignore[arg-type]
    found = from_columns(columns)
    assert found == expected
    assert [hash(f) for f in found] == [hash(f) for f in expected]
    assert [repr(f) for f in found] == [repr(f) for f in expected]
    assert [f.as_dict() for f in found] == [f.as_dict() for f in expected]


def test_from_columns_findings_stay_frozen() -> None:
    (found,) = from_columns([["e.csv"], [3], ["DEC"], ["356"], ["DEC is before DECOM"], ["42"]])
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        found.rule = "357"  # type: ignore[misc]
    assert found == Finding("e.csv", 3, "DEC", "356", "DEC is before DECOM", "42")


def test_from_columns_restores_the_garbage_collector() -> None:
    assert gc.isenabled()
    from_columns([[], [], [], [], [], []])
    assert gc.isenabled()
    gc.disable()
    try:
        from_columns([["e.csv"], [None], [None], ["r"], ["m"], [None]])
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize(
    "columns",
    [[["e.csv"]] * 5, [["e.csv"], [1, 2], ["DEC"], ["356"], ["m"], ["42"]]],
)
def test_from_columns_refuses_ragged_columns(columns: list[list[object]]) -> None:
    with pytest.raises(ValueError, match="one column per field"):
        from_columns(columns)
