"""SSDA903 code lists: years of validity, normalisation, errors and the analysis groupings."""

from __future__ import annotations

from datetime import date

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from disruption.domain import codes
from disruption.domain.codes import (
    CARER_CHANGE_RNE,
    LS,
    NEW_PLACEMENT_RNE,
    PLACE,
    PLACE_PROVIDER,
    PLACEMENT_TYPE_GROUPS,
    PROVIDER_GROUPS,
    REASON_GROUPS,
    REASON_PLACE_CHANGE,
    REC,
    RESIDENTIAL_PLACEMENTS,
    RNE,
    SHORT_BREAK_LEGAL_STATUSES,
    TEMPORARY_PLACEMENTS,
    Code,
    CodeList,
    collection_year,
    placement_type_group,
    provider_group,
    reason_group,
)
from disruption.exceptions import InvalidData, UnknownCode

ALL_LISTS = (PLACE, PLACE_PROVIDER, REASON_PLACE_CHANGE, RNE, LS, REC)
DECK_ROWS = (
    "Foster placement",
    "Placed for adoption",
    "Placed with parents",
    "Independent living",
    "Residential employment",
    "Residential accommodation",
    "Secure Children's Homes",
    "Children's Homes",
    "Residential Care Home",
    "NHS/Health Trust",
    "Family Centre",
    "Young Offender Institution",
    "Residential school",
    "Other placements",
    "Temporary placement",
)

# --- Collection years --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (date(2025, 3, 31), 2025),
        (date(2025, 4, 1), 2026),
        (date(2024, 4, 1), 2025),
        (date(2025, 1, 1), 2025),
        (date(2024, 12, 31), 2025),
        (date(2024, 2, 29), 2024),
    ],
)
def test_collection_year_ends_on_31_march(day: date, year: int) -> None:
    assert collection_year(day) == year


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_collection_year_contains_the_date(day: date) -> None:
    year = collection_year(day)
    assert date(year - 1, 4, 1) <= day <= date(year, 3, 31)


# --- Validity by year -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "year", "valid"),
    [
        ("K3", 2023, False),
        ("K3", 2024, True),
        ("K3", 2030, True),
        ("H5", 2017, True),
        ("H5", 2025, True),
        ("H5", 2026, False),
        ("P2", 2025, True),
        ("P2", 2026, False),
        ("Z1", 2017, True),
        ("Z1", 2026, True),
        ("Z1", 2027, False),
        ("Z11", 2026, False),
        ("Z11", 2027, True),
        ("Z14", 2027, True),
        ("U1", 2017, True),
        ("U1", 2030, True),
    ],
)
def test_place_validity_by_collection_year(code: str, year: int, valid: bool) -> None:
    assert PLACE.valid(code, year) is valid


@pytest.mark.parametrize("code", ["K3", "H5", "P2", "Z1", "Z11"])
def test_a_code_valid_in_some_year_is_valid_when_no_year_is_given(code: str) -> None:
    assert PLACE.valid(code)
    assert PLACE.valid(code, None)
    assert code in PLACE


def test_custody_arrangement_is_a_reason_from_2018_19() -> None:
    assert not REASON_PLACE_CHANGE.valid("CUSTOD", 2018)
    assert REASON_PLACE_CHANGE.valid("CUSTOD", 2019)
    assert REASON_PLACE_CHANGE.valid("CUSTOD")
    assert REASON_PLACE_CHANGE.valid("CARPL", 2017)


def test_special_guardianship_codes_were_split_by_relatives_or_friends() -> None:
    assert [REC.valid("E43", y) for y in (2017, 2018)] == [True, False]
    assert [REC.valid("E45", y) for y in (2017, 2018)] == [False, True]


def test_codes_in_a_year() -> None:
    y2024 = PLACE.codes_in(2024)
    assert {"K3", "H5", "P2", "Z1"} <= set(y2024)
    assert not {"Z11", "Z12", "Z13", "Z14"} & set(y2024)
    y2027 = PLACE.codes_in(2027)
    assert {"K3", "Z11", "Z12", "Z13", "Z14"} <= set(y2027)
    assert not {"H5", "P2", "Z1"} & set(y2027)
    assert PLACE.codes_in(None) == tuple(PLACE)
    assert PLACE.codes_in(2023) == tuple(c for c in PLACE if c not in {"K3", *y2027[-4:]})


@pytest.mark.parametrize("codelist", ALL_LISTS, ids=lambda c: c.name)
def test_every_code_is_valid_in_some_year_from_2017(codelist: CodeList) -> None:
    for code in codelist:
        assert any(codelist.valid(code, year) for year in range(2017, 2031)), code


def test_code_years_are_inclusive() -> None:
    code = Code("X", "x", 2020, 2022)
    assert [code.valid_in(y) for y in (2019, 2020, 2022, 2023)] == [False, True, True, False]
    assert code.valid_in(None)
    assert Code("Y", "y").valid_in(1990)


# --- Normalisation and errors -----------------------------------------------------------------


@pytest.mark.parametrize("given_code", ["u1", " U1", "U1 ", " u1\t", "\nu1\n"])
def test_check_strips_and_upper_cases(given_code: str) -> None:
    assert PLACE.check(given_code, field="placement.type") == "U1"


def test_check_returns_a_valid_code_unchanged() -> None:
    assert REASON_PLACE_CHANGE.check("CREQB", field="reason", year=2025) == "CREQB"
    assert RNE.check("s", field="rne") == "S"


def test_lookups_other_than_check_are_exact() -> None:
    assert "u1" not in PLACE
    assert not PLACE.valid(" U1")
    assert 1 not in PLACE
    assert None not in PLACE


def test_unknown_code_carries_its_data() -> None:
    with pytest.raises(UnknownCode) as caught:
        PLACE.check(" k3", field="placement.type", year=2023)
    err = caught.value
    assert (err.code, err.code_list, err.year, err.field) == (
        " k3",
        "PLACE",
        2023,
        "placement.type",
    )
    assert isinstance(err, InvalidData)
    assert isinstance(err, ValueError)
    assert "2022-23" in str(err)


def test_a_code_that_never_existed_is_unknown_in_any_year() -> None:
    with pytest.raises(UnknownCode) as caught:
        PLACE_PROVIDER.check("PR9", field="placement.provider")
    assert (caught.value.code, caught.value.code_list, caught.value.year) == (
        "PR9",
        "PLACE_PROVIDER",
        None,
    )


@pytest.mark.parametrize("value", ["", "   ", "U 1", "UU1"])
def test_check_refuses_what_is_not_a_code(value: str) -> None:
    with pytest.raises(UnknownCode):
        PLACE.check(value, field="placement.type")


def test_check_refuses_a_value_that_is_not_text() -> None:
    with pytest.raises(UnknownCode) as caught:
        PLACE.check(None, field="placement.type")  # type: ignore[arg-type]
    assert caught.value.code == "None"


# --- Descriptions and the list type ------------------------------------------------------------


def test_describe() -> None:
    assert PLACE.describe("K1") == "Secure children's homes"
    assert PLACE.describe("K3") == "Registered supported accommodation"
    assert REASON_PLACE_CHANGE.describe("CREQB") == (
        "Carer(s) requests placement end due to child's behaviour"
    )
    assert PLACE_PROVIDER.describe("PR4") == "Private provision"
    assert RNE.describe("T") == "Change of placement (but same carer(s)) only"
    assert LS.describe("V3").startswith("Accommodated under an agreed series of short-term breaks")


def test_describe_raises_unknown_code_not_key_error() -> None:
    with pytest.raises(UnknownCode) as caught:
        PLACE.describe("XX")
    assert caught.value.code == "XX"
    assert caught.value.code_list == "PLACE"


@pytest.mark.parametrize("codelist", ALL_LISTS, ids=lambda c: c.name)
def test_every_code_has_a_description(codelist: CodeList) -> None:
    assert len(codelist) == len(set(codelist)) == len(codelist.codes)
    for code in codelist:
        assert codelist.describe(code).strip()


def test_code_lists_are_what_the_spec_lists() -> None:
    assert list(RNE) == ["S", "L", "P", "T", "B", "U"]
    assert set(LS) == {"C1", "C2", "D1", "E1", "V2", "V3", "V4", "L1", "L2", "L3", "J1", "J2", "J3"}
    assert list(PLACE_PROVIDER) == ["PR0", "PR1", "PR2", "PR3", "PR4", "PR5"]
    assert len(REASON_PLACE_CHANGE) == 12
    assert all(c == "X1" or c.startswith("E") for c in REC)
    assert " ".join(PLACE.codes_in(2025)) == (
        "A3 A4 A5 A6 H5 K1 K2 K3 P1 P2 P3 R1 R2 R3 R5 S1 T0 T1 T2 T3 T4 U1 U2 U3 U4 U5 U6 Z1"
    )


def test_a_code_list_refuses_a_code_listed_twice() -> None:
    with pytest.raises(ValueError, match="twice"):
        CodeList("DUP", (Code("A", "a"), Code("A", "again")))


def test_code_lists_are_frozen_and_hashable() -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        PLACE.name = "OTHER"  # type: ignore[misc]
    assert hash(PLACE) == hash(CodeList("PLACE", PLACE.codes))
    assert CodeList("PLACE", PLACE.codes) == PLACE


# --- Groupings ---------------------------------------------------------------------------------


def test_placement_type_groups_are_the_deck_rows_in_order() -> None:
    assert tuple(PLACEMENT_TYPE_GROUPS) == DECK_ROWS


def test_every_place_code_of_every_year_is_in_exactly_one_group() -> None:
    grouped = [code for group in PLACEMENT_TYPE_GROUPS.values() for code in group]
    assert sorted(grouped) == sorted(PLACE)
    for code in PLACE:
        assert placement_type_group(code) in PLACEMENT_TYPE_GROUPS


@pytest.mark.parametrize(
    ("code", "group"),
    [
        ("U3", "Foster placement"),
        ("A6", "Placed for adoption"),
        ("P1", "Placed with parents"),
        ("P2", "Independent living"),
        ("H5", "Residential accommodation"),
        ("K3", "Residential accommodation"),
        ("K1", "Secure Children's Homes"),
        ("K2", "Children's Homes"),
        ("R3", "Family Centre"),
        ("Z1", "Other placements"),
        ("Z13", "Other placements"),
        ("T4", "Temporary placement"),
    ],
)
def test_placement_type_group(code: str, group: str) -> None:
    assert placement_type_group(code) == group


def test_provider_groups_cover_every_provider_once() -> None:
    grouped = [code for group in PROVIDER_GROUPS.values() for code in group]
    assert sorted(grouped) == sorted(PLACE_PROVIDER)
    assert tuple(PROVIDER_GROUPS) == ("Own authority", "Private", "Other")
    assert provider_group("PR1") == "Own authority"
    assert provider_group("PR4") == "Private"
    assert {provider_group(c) for c in ("PR0", "PR2", "PR3", "PR5")} == {"Other"}


def test_reason_groups_cover_every_reason_once() -> None:
    grouped = [code for group in REASON_GROUPS.values() for code in group]
    assert sorted(grouped) == sorted(REASON_PLACE_CHANGE)
    assert reason_group("CARPL") == "planned or care plan"
    assert reason_group("CREQO") == "carer-initiated"
    assert reason_group("STAND") == "safeguarding or quality"
    assert reason_group("CUSTOD") == "administrative"
    assert reason_group("OTHER") == "other"


@pytest.mark.parametrize(
    ("function", "code_list"),
    [
        (placement_type_group, "PLACE"),
        (provider_group, "PLACE_PROVIDER"),
        (reason_group, "REASON_PLACE_CHANGE"),
    ],
)
def test_grouping_an_unknown_code_raises_unknown_code(function: object, code_list: str) -> None:
    assert callable(function)
    with pytest.raises(UnknownCode) as caught:
        function("NOPE")
    assert (caught.value.code, caught.value.code_list) == ("NOPE", code_list)


def test_the_groupings_cannot_be_changed() -> None:
    with pytest.raises(TypeError):
        PLACEMENT_TYPE_GROUPS["New"] = ("U1",)  # type: ignore[index]


def test_code_sets_are_subsets_of_their_lists() -> None:
    assert set(PLACE) >= RESIDENTIAL_PLACEMENTS == {"K1", "K2", "R1"}
    assert set(PLACEMENT_TYPE_GROUPS["Temporary placement"]) == TEMPORARY_PLACEMENTS
    assert set(LS) >= SHORT_BREAK_LEGAL_STATUSES == {"V3", "V4"}
    assert set(RNE) >= NEW_PLACEMENT_RNE == {"S", "P", "B", "T", "U"}
    assert NEW_PLACEMENT_RNE >= CARER_CHANGE_RNE == {"S", "P", "B"}


def test_exported_names() -> None:
    assert sorted(codes.__all__) == sorted(
        [
            "CARER_CHANGE_RNE",
            "Code",
            "CodeList",
            "LS",
            "NEW_PLACEMENT_RNE",
            "PLACE",
            "PLACEMENT_TYPE_GROUPS",
            "PLACE_PROVIDER",
            "PROVIDER_GROUPS",
            "REASON_GROUPS",
            "REASON_PLACE_CHANGE",
            "REC",
            "RESIDENTIAL_PLACEMENTS",
            "RNE",
            "SHORT_BREAK_LEGAL_STATUSES",
            "TEMPORARY_PLACEMENTS",
            "collection_year",
            "placement_type_group",
            "provider_group",
            "reason_group",
        ]
    )
    assert all(hasattr(codes, name) for name in codes.__all__)
