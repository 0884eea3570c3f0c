"""The SSDA903 code lists, by collection year, and the groupings the analysis uses.

This module is the only source of SSDA903 codes in the project. A *collection year* is named by the
31 March it ends on: 1 April 2024 to 31 March 2025 is collection year 2025 (the "2024-25" return).
Each `Code` records the first and last collection year it is valid in (inclusive, ``None`` for
open-ended); the lists cover collection years 2017 onwards.

Sources: the DfE "Children looked after return" guides and technical specifications, as
machine-read by ``SocialFinanceDigitalLabs/liia-tools`` (``liiatools/spec/s903/*.yml``) and
``data-to-insight/csc-validator-be-903`` (``lac_validator/rules/lac20XX_YY``, rules 143-149, 178,
213, 229, 241). Descriptions follow the DfE guide's wording, a few of the longest shortened; the
wording of Z11-Z14 was not found and is a placeholder.

Example:
    >>> from datetime import date
    >>> from disruption.domain.codes import PLACE, collection_year, placement_type_group
    >>> PLACE.check(" u1", field="placement.type")
    'U1'
    >>> PLACE.valid("K3", 2023), PLACE.valid("K3", 2024)
    (False, True)
    >>> collection_year(date(2025, 3, 31)), collection_year(date(2025, 4, 1))
    (2025, 2026)
    >>> placement_type_group("K2")
    "Children's Homes"
    >>> PLACE.check("H5", field="type", year=2026)
    Traceback (most recent call last):
    ...
    disruption.exceptions.UnknownCode: type: 'H5' is not a PLACE code in collection year 2025-26
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from types import MappingProxyType

import attrs

from disruption.exceptions import UnknownCode

__all__ = [
    "CARER_CHANGE_RNE",
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
    "Code",
    "CodeList",
    "collection_year",
    "placement_type_group",
    "provider_group",
    "reason_group",
]


def collection_year(d: date) -> int:
    """The SSDA903 collection year a date falls in, named by the 31 March it ends on.

    Args:
        d: Any date.

    Returns:
        ``d.year`` for dates up to 31 March, ``d.year + 1`` from 1 April.
    """
    return d.year + 1 if d.month >= 4 else d.year


@attrs.frozen
class Code:
    """One code of an SSDA903 list and the collection years it is valid in (both inclusive)."""

    code: str
    description: str
    first_year: int | None = None
    last_year: int | None = None

    def valid_in(self, year: int | None) -> bool:
        """Whether the code may be used in a collection year.

        Args:
            year: A collection year, or ``None`` for "in any year".

        Returns:
            ``True`` if ``year`` is ``None`` or lies within the code's years.
        """
        if year is None:
            return True
        after_start = self.first_year is None or year >= self.first_year
        before_end = self.last_year is None or year <= self.last_year
        return after_start and before_end


def _index(codes: CodeList) -> Mapping[str, Code]:
    by_code = {c.code: c for c in codes.codes}
    if len(by_code) != len(codes.codes):
        raise ValueError(f"{codes.name}: a code is listed twice")
    return MappingProxyType(by_code)


@attrs.frozen
class CodeList:
    """A named SSDA903 code list. Lookups are exact and O(1); only `check` normalises input."""

    name: str
    codes: tuple[Code, ...]
    _by_code: Mapping[str, Code] = attrs.field(
        init=False, repr=False, eq=False, default=attrs.Factory(_index, takes_self=True)
    )

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._by_code

    def __iter__(self) -> Iterator[str]:
        return (c.code for c in self.codes)

    def __len__(self) -> int:
        return len(self.codes)

    def valid(self, code: str, year: int | None = None) -> bool:
        """Whether ``code`` is a code of this list in a collection year.

        Args:
            code: The code, exactly as listed (see `check` for user input).
            year: A collection year, or ``None`` for "valid in any year".

        Returns:
            ``True`` if the code exists and is valid in ``year``.
        """
        found = self._by_code.get(code)
        return found is not None and found.valid_in(year)

    def describe(self, code: str) -> str:
        """The DfE description of a code.

        Args:
            code: The code, exactly as listed.

        Returns:
            The description.

        Raises:
            UnknownCode: The list has no such code in any year.
        """
        found = self._by_code.get(code)
        if found is None:
            raise UnknownCode(code, self.name, field=self.name)
        return found.description

    def check(self, code: str, *, field: str, year: int | None = None) -> str:
        """Normalise a code from input (strip, upper case) and check it is valid.

        Args:
            code: The value given.
            field: The field it was given in, for the error.
            year: The collection year it must be valid in, or ``None`` for any year.

        Returns:
            The code as listed (one shared string per code, whatever the input).

        Raises:
            UnknownCode: The value is not a code of this list (in that year).
        """
        normalised = code.strip().upper() if isinstance(code, str) else None
        if normalised is None or not self.valid(normalised, year):
            raise UnknownCode(str(code), self.name, field=field, year=year)
        return self._by_code[normalised].code

    def codes_in(self, year: int | None) -> tuple[str, ...]:
        """The codes valid in a collection year, in list order.

        Args:
            year: A collection year, or ``None`` for every code ever valid.

        Returns:
            The codes.
        """
        return tuple(c.code for c in self.codes if c.valid_in(year))


_Years = tuple[int | None, int | None]


def _list(
    name: str, described: Mapping[str, str], years: Mapping[str, _Years] | None = None
) -> CodeList:
    years = years or {}
    unknown = set(years) - set(described)
    if unknown:
        raise ValueError(f"{name}: years given for codes not listed: {sorted(unknown)}")
    return CodeList(
        name, tuple(Code(c, d, *years.get(c, (None, None))) for c, d in described.items())
    )


_ADOPTION_2002 = "of the Adoption and Children Act 2002) or with a freeing order where"
_FOSTER_FFA = "who is/are also an approved adopter(s) - fostering for adoption/concurrent planning"
_FOSTER_SHORT = "- not long term or fostering for adoption/concurrent planning"

# Placement type. Source: DfE CLA guide, code set "Placement type"; liia-tools
# spec/s903/SSDA903_schema_{2017,2021,2024}.yml; csc-validator-be-903 rule 146 (lac2024_25 adds K3,
# lac2025_26 drops H5, P2 and Z1 and adds Z11-Z14). The years follow the project's domain brief;
# that validator starts K3 a year later (2024-25) and the Z1 split a year earlier (2025-26).
PLACE = _list(
    "PLACE",
    {
        "A3": "Placed for adoption with parental/guardian consent with current foster carer(s) "
        f"(under Section 19 {_ADOPTION_2002} parental/guardian consent has been given "
        "(under Section 18(1)(a) of the Adoption Act 1976)",
        "A4": "Placed for adoption with parental/guardian consent not with current foster "
        f"carer(s) (under Section 19 {_ADOPTION_2002} parental/guardian consent has been given "
        "(under Section 18(1)(a) of the Adoption Act 1976)",
        "A5": "Placed for adoption with placement order with current foster carer(s) "
        f"(under Section 21 {_ADOPTION_2002} parental/guardian consent was dispensed with "
        "(under Section 18(1)(b) of the Adoption Act 1976)",
        "A6": "Placed for adoption with placement order not with current foster carer(s) "
        f"(under Section 21 {_ADOPTION_2002} parental/guardian consent was dispensed with "
        "(under Section 18(1)(b) of the Adoption Act 1976)",
        "H5": "Semi-independent living accommodation not subject to children's homes regulations",
        "K1": "Secure children's homes",
        "K2": "Children's homes subject to Children's Homes Regulations",
        "K3": "Registered supported accommodation",
        "P1": "Placed with own parent(s) or other person(s) with parental responsibility",
        "P2": "Independent living, for example in a flat, lodgings, bedsit, bed and breakfast "
        "(B&B) or with friends, with or without formal support",
        "P3": "Residential employment",
        "R1": "Residential care home",
        "R2": "National Health Service (NHS)/health trust or other establishment providing "
        "medical or nursing care",
        "R3": "Family centre or mother and baby unit",
        "R5": "Young offender institution (YOI)",
        "S1": "All residential schools, except where dual-registered as a school and children's "
        "home",
        "T0": "All types of temporary move",
        "T1": "Temporary periods in hospital",
        "T2": "Temporary absences of the child on holiday",
        "T3": "Temporary accommodation whilst normal foster carer(s) is/are on holiday",
        "T4": "Temporary accommodation of seven days or less, for any reason, not covered by "
        "codes T1 to T3",
        "U1": "Foster placement with relative(s) or friend(s) - long term fostering",
        "U2": f"Foster placement with relative(s) or friend(s) {_FOSTER_FFA}",
        "U3": f"Foster placement with relative(s) or friend(s) {_FOSTER_SHORT}",
        "U4": "Foster placement with other foster carer(s) - long term fostering",
        "U5": f"Foster placement with other foster carer(s) {_FOSTER_FFA}",
        "U6": f"Foster placement with other foster carer(s) {_FOSTER_SHORT}",
        "Z1": "Other placements (must be listed on a schedule sent to DfE with annual submission)",
        # The sources searched name the four codes that replace Z1 but not their wording.
        "Z11": "Other placements (first of the four codes replacing Z1)",
        "Z12": "Other placements (second of the four codes replacing Z1)",
        "Z13": "Other placements (third of the four codes replacing Z1)",
        "Z14": "Other placements (fourth of the four codes replacing Z1)",
    },
    {
        "K3": (2024, None),
        "H5": (None, 2025),
        "P2": (None, 2025),
        "Z1": (None, 2026),
        **dict.fromkeys(("Z11", "Z12", "Z13", "Z14"), (2027, None)),
    },
)

# Placement provider. Source: DfE CLA guide, code set "Placement provider"; liia-tools schemas;
# csc-validator-be-903 rule 178.
PLACE_PROVIDER = _list(
    "PLACE_PROVIDER",
    {
        "PR0": "Parent(s) or other person(s) with parental responsibility",
        "PR1": "Own provision (by the local authority) including a regional adoption agency where "
        "the child's responsible local authority is the host authority",
        "PR2": "Other local authority provision, including a regional adoption agency where "
        "another local authority is the host authority",
        "PR3": "Other public provision (for example, a primary care trust)",
        "PR4": "Private provision",
        "PR5": "Voluntary/third sector provision",
    },
)

# Reason for placement change. Source: DfE CLA guide, code set "Reason placement changed";
# liia-tools SSDA903_schema_2017.yml (no CUSTOD) and _2021.yml (with CUSTOD).
REASON_PLACE_CHANGE = _list(
    "REASON_PLACE_CHANGE",
    {
        "CARPL": "Change to/implementation of care plan",
        "CLOSE": "Resignation/closure of provision",
        "ALLEG": "Allegation (s47)",
        "STAND": "Standards of care concern",
        "APPRR": "Approval removed",
        "CREQB": "Carer(s) requests placement end due to child's behaviour",
        "CREQO": "Carer(s) requests placement end other than due to child's behaviour",
        "CHILD": "Child requests placement end",
        "LAREQ": "Responsible/area authority requests placement end",
        "PLACE": "Change in the status of placement only",
        "CUSTOD": "Custody arrangement",
        "OTHER": "Other",
    },
    {"CUSTOD": (2019, None)},
)

# Reason for new episode. Source: DfE CLA guide; liia-tools schemas; csc-validator-be-903 rule 143.
RNE = _list(
    "RNE",
    {
        "S": "Started to be looked after",
        "L": "Change of legal status only",
        "P": "Change of placement and carer(s) only",
        "T": "Change of placement (but same carer(s)) only",
        "B": "Change of legal status and placement and carer(s) at the same time",
        "U": "Change of legal status and change of placement (but same carer(s)) at the same time",
    },
)

# Legal status. Source: DfE CLA guide, code set "Legal status"; liia-tools schemas; rule 144.
LS = _list(
    "LS",
    {
        "C1": "Interim care order",
        "C2": "Full care order",
        "D1": "Freeing order granted",
        "E1": "Placement order granted",
        "V2": "Single period of accommodation under section 20 (Children Act 1989)",
        "V3": "Accommodated under an agreed series of short-term breaks, when individual "
        "episodes of care are recorded",
        "V4": "Accommodated under an agreed series of short-term breaks, when agreements are "
        "recorded (NOT individual episodes of care)",
        "L1": "Under police protection and in local authority accommodation",
        "L2": "Emergency protection order (EPO)",
        "L3": "Under child assessment order and in local authority accommodation",
        "J1": "Remanded to local authority accommodation or to youth detention accommodation",
        "J2": "Placed in local authority accommodation under the Police and Criminal Evidence "
        "Act 1984, including secure accommodation",
        "J3": "Sentenced to Youth Rehabilitation Order (Criminal Justice and Immigration Act 2008 "
        "as amended by LASPOA 2012 with residence or intensive fostering requirement)",
    },
)

_SGO = "Special guardianship order made to"
_HOME = "Returned home to live with parent(s), relative(s), or other person(s) with parental"
_NOT_SGO = "(not under a special guardianship order or residence order or child arrangement order)"
_ALONE = "Moved into independent living arrangement and no longer looked after: accommodation"

# Reason episode ceased. Source: DfE CLA guide, code set "Reason episode ceased"; liia-tools
# SSDA903_schema_2017.yml (E43, E44) and _2021.yml, _2022.yml (E45-E48 instead); rule 149.
REC = _list(
    "REC",
    {
        "X1": "Episode ceases, and new episode begins on same day, for any reason",
        "E11": "Adopted - application for an adoption order unopposed",
        "E12": "Adopted - consent dispensed with by the court",
        "E13": "Left care to live with parent(s), relative(s), or other person(s) with no "
        "parental responsibility",
        "E14": "Accommodation on remand ended",
        "E15": "Age assessment determined child is aged 18 or over and E5, E6 and E7 do not apply",
        "E16": "Child moved abroad",
        "E17": "Aged 18 (or over) and remained with current carers (inc under staying put "
        "arrangements)",
        "E2": "Died",
        "E3": "Care taken over by another local authority in the UK",
        "E41": "Residence order (or, from 22 April 2014, a child arrangement order which sets "
        "out with whom the child is to live) granted",
        "E43": "Special guardianship made to former foster carers",
        "E44": "Special guardianship made to carers other than former foster carers",
        "E45": f"{_SGO} former foster carer(s), who was/are a relative(s) or friend(s)",
        "E46": f"{_SGO} former foster carer(s), other than relative(s) or friend(s)",
        "E47": f"{_SGO} carer(s), other than former foster carer(s), who was/are a relative(s) "
        "or friend(s)",
        "E48": f"{_SGO} carer(s), other than former foster carer(s), other than relative(s) or "
        "friend(s)",
        "E4A": f"{_HOME} responsibility as part of the care planning process {_NOT_SGO}",
        "E4B": f"{_HOME} responsibility which was not part of the current care planning process "
        f"{_NOT_SGO}",
        "E5": f"{_ALONE} providing formalised advice/support arrangements",
        "E6": f"{_ALONE} providing no formalised advice/support arrangements",
        "E7": "Transferred to residential care funded by adult social care services",
        "E8": "Period of being looked after ceased for any other reason (where none of the other "
        "reasons apply)",
        "E9": "Sentenced to custody",
    },
    {
        **dict.fromkeys(("E43", "E44"), (None, 2017)),
        **dict.fromkeys(("E45", "E46", "E47", "E48"), (2018, None)),
    },
)

# The rows of the source deck's "Placement type (open CLA)" table, in its order.
PLACEMENT_TYPE_GROUPS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "Foster placement": ("U1", "U2", "U3", "U4", "U5", "U6"),
        "Placed for adoption": ("A3", "A4", "A5", "A6"),
        "Placed with parents": ("P1",),
        "Independent living": ("P2",),
        "Residential employment": ("P3",),
        # H5 was named "residential accommodation not subject to Children's Homes Regulations"
        # before "semi-independent living"; K3 (registered supported accommodation) succeeds it
        # and is not a children's home (it may not provide care), so it is counted with H5.
        "Residential accommodation": ("H5", "K3"),
        "Secure Children's Homes": ("K1",),
        "Children's Homes": ("K2",),
        "Residential Care Home": ("R1",),
        "NHS/Health Trust": ("R2",),
        "Family Centre": ("R3",),  # family centre or mother and baby unit
        "Young Offender Institution": ("R5",),
        "Residential school": ("S1",),
        "Other placements": ("Z1", "Z11", "Z12", "Z13", "Z14"),
        "Temporary placement": ("T0", "T1", "T2", "T3", "T4"),
    }
)

# The deck's provider columns: "Own LA", "Private", "Other".
PROVIDER_GROUPS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "Own authority": ("PR1",),
        "Private": ("PR4",),
        "Other": ("PR0", "PR2", "PR3", "PR5"),
    }
)

REASON_GROUPS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "planned or care plan": ("CARPL",),
        "carer-initiated": ("CREQB", "CREQO"),
        "child-initiated": ("CHILD",),
        "safeguarding or quality": ("ALLEG", "STAND", "APPRR"),
        "provider closure": ("CLOSE",),
        "authority": ("LAREQ",),
        "administrative": ("PLACE", "CUSTOD"),
        "other": ("OTHER",),
    }
)


def _inverse(groups: Mapping[str, tuple[str, ...]]) -> Mapping[str, str]:
    return MappingProxyType({code: group for group, codes in groups.items() for code in codes})


_PLACE_GROUP = _inverse(PLACEMENT_TYPE_GROUPS)
_PROVIDER_GROUP = _inverse(PROVIDER_GROUPS)
_REASON_GROUP = _inverse(REASON_GROUPS)


def _group(of: Mapping[str, str], codes: CodeList, code: str) -> str:
    try:
        return of[code]
    except KeyError:
        raise UnknownCode(code, codes.name, field=codes.name) from None


def placement_type_group(code: str) -> str:
    """The row of the deck's placement-type table a PLACE code is counted in.

    Args:
        code: A PLACE code, exactly as listed.

    Returns:
        A key of `PLACEMENT_TYPE_GROUPS`.

    Raises:
        UnknownCode: Not a PLACE code.
    """
    return _group(_PLACE_GROUP, PLACE, code)


def provider_group(code: str) -> str:
    """The provider column (own authority, private, other) of a PLACE_PROVIDER code.

    Args:
        code: A PLACE_PROVIDER code, exactly as listed.

    Returns:
        A key of `PROVIDER_GROUPS`.

    Raises:
        UnknownCode: Not a PLACE_PROVIDER code.
    """
    return _group(_PROVIDER_GROUP, PLACE_PROVIDER, code)


def reason_group(code: str) -> str:
    """The analysis group of a REASON_PLACE_CHANGE code.

    Args:
        code: A REASON_PLACE_CHANGE code, exactly as listed.

    Returns:
        A key of `REASON_GROUPS`.

    Raises:
        UnknownCode: Not a REASON_PLACE_CHANGE code.
    """
    return _group(_REASON_GROUP, REASON_PLACE_CHANGE, code)


# Residential placement types: the stability meeting is due in 3 working days instead of 7.
RESIDENTIAL_PLACEMENTS = frozenset({"K1", "K2", "R1"})
# Temporary placements: the child must return to the same placement afterwards (rule 383).
TEMPORARY_PLACEMENTS = frozenset({"T0", "T1", "T2", "T3", "T4"})
# Legal statuses of a series of short breaks (respite); DfE stability measures exclude them.
SHORT_BREAK_LEGAL_STATUSES = frozenset({"V3", "V4"})
# Reasons for a new episode that start a new placement.
NEW_PLACEMENT_RNE = frozenset({"S", "P", "B", "T", "U"})
# Reasons for a new episode that change the carer.
CARER_CHANGE_RNE = frozenset({"S", "P", "B"})
