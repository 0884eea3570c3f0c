"""The episode rules of `disruption.ssda903.validate`, as polars masks and messages.

Each rule is a mask over the episodes (with their neighbours' columns, ``_prev_*`` and
``_next_*``) and a message for each row it flags. Code lists are tested by comparing with the
few values a column actually holds (`one_of`), several times cheaper than hashing every row.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, timedelta

import attrs
import polars as pl

from disruption.domain import codes
from disruption.ssda903._distinct import distinct_values

__all__ = ["Rule", "d", "day", "distinct", "invalid", "one_of", "q", "recorded_on", "rules"]

_TEMPORARY = sorted(codes.TEMPORARY_PLACEMENTS)
_PLACEMENT_CHANGE_RNE = sorted(codes.NEW_PLACEMENT_RNE - {"S"})
_CONTINUATION_RNE = sorted(set(codes.RNE) - {"S"})
_SHORT_BREAKS = sorted(codes.SHORT_BREAK_LEGAL_STATUSES)
_LEFT_CARE_REC = sorted(c.code for c in codes.REC.codes if c.code != "X1")
"""The REC codes of a child leaving care (rule 432 lists every REC code but X1)."""
_NO_PROVIDER = ["T0", "T1", "T2", "T3"]
"""Placements given no PLACE_PROVIDER (rule 178; with T4 and Z1 up to collection year 2025,
Z11-Z14 from 2026, by the return's year as the DfE's rule of each year lists them)."""
_PROVIDERS = sorted(c.code for c in codes.PLACE_PROVIDER.codes)
_PROVIDER_PLACES = (
    ("527", "PR1", ["P1", "R2", "R5"]),
    ("528", "PR2", ["P1", "R2", "R5"]),
    ("529", "PR3", ["A3", "A4", "A5", "A6", "K1", "K2", "P1", *(f"U{i}" for i in range(1, 7))]),
    ("530", "PR4", ["P1"]),
    ("531", "PR5", ["P1"]),
)
"""Placement providers that cannot provide some placements (rules 527-531)."""
_NEEDS: dict[str, tuple[tuple[str, Sequence[str]], ...]] = {
    "178": (("place", [*_NO_PROVIDER, "T4", "Z1", "Z11", "Z12", "Z13", "Z14"]),),
    "225": (("rec", ["X1"]),),
    "226": (("place", _TEMPORARY),),
    "365": (("ls", ["V3"]),),
    "366": (("ls", ["V3"]),),
    "380": (("place", _TEMPORARY),),
    "381": (("place", _TEMPORARY),),
    "382": (("place", _TEMPORARY), ("ls", _SHORT_BREAKS)),
    "383": (("place", _TEMPORARY),),
    "384": (("ls", _SHORT_BREAKS), ("place", ["U1", "U4"])),
    "426": (("ls", ["V3"]), ("ls", ["V4"])),
    "431": (("rne", ["S"]),),
    "432": (("rec", _LEFT_CARE_REC),),
    "434": (("rne", ["L"]),),
    "435": (("rne", ["P", "T"]),),
    "436": (("rne", ["U", "B"]),),
    "437": (("rec", ["E2", "E15"]),),
    "504": (("rec", ["X1"]),),
    "527": (("place_provider", ["PR1"]),),
    "528": (("place_provider", ["PR2"]),),
    "529": (("place_provider", ["PR3"]),),
    "530": (("place_provider", ["PR4"]),),
    "531": (("place_provider", ["PR5"]),),
    "550": (("place_provider", ["PR0"]),),
}
"""The codes a rule needs some row to hold (each pair: a column, one of some codes)."""
_PLACEMENT_FIELDS = ("place", "pl_post", "urn", "place_provider")
"""What describes a placement, for rules 434-436."""

_RECORDED_AT_END = frozenset({"rec", "reason_place_change"})
"""Code columns recorded when the episode ends."""

_MAX_COMPARISONS = 8
"""Above this many values, `one_of` hashes instead of comparing."""


@attrs.frozen
class Rule:
    """One episode rule: the rows it flags, and the finding written for each.

    The column and the message are polars expressions, evaluated on the flagged rows only.
    """

    mask: pl.Expr
    rule: str
    column: pl.Expr
    message: pl.Expr


def day(column: str) -> pl.Expr:
    """A date column as `d` writes it: ``dd/mm/YYYY``, or ``blank``."""
    return pl.col(column).dt.strftime("%d/%m/%Y").fill_null("blank")


def q(column: str) -> pl.Expr:
    """A code column quoted (``'X1'``), or ``blank``."""
    # Not pl.format, which panics on some filtered text columns (polars 2.1).
    return pl.concat_str([pl.lit("'"), pl.col(column), pl.lit("'")]).fill_null("blank")


def joined(*parts: str | pl.Expr) -> pl.Expr:
    """The parts written one after another (literal text and expressions)."""
    return pl.concat_str([pl.lit(p) if isinstance(p, str) else p for p in parts])


def _pick(condition: pl.Expr, then: str | pl.Expr, otherwise: str | pl.Expr) -> pl.Expr:
    lit = [pl.lit(v) if isinstance(v, str) else v for v in (then, otherwise)]
    return pl.when(condition).then(lit[0]).otherwise(lit[1])


def d(value: date | None) -> str:
    """A date as written in messages.

    Args:
        value: A date, or ``None``.

    Returns:
        ``dd/mm/YYYY``, or ``blank``.
    """
    if value is None:
        return "blank"
    return f"{value.day:02d}/{value.month:02d}/{value.year}"  # as %d/%m/%Y, 3x quicker


def one_of(value: pl.Expr, wanted: Iterable[str], present: Collection[str]) -> pl.Expr:
    """``value.is_in(wanted)``, as comparisons with those of ``wanted`` that occur at all.

    Comparing a short text with a few literals is several times cheaper than hashing it.

    Args:
        value: The text to test.
        wanted: The values looked for.
        present: Every value that ``value`` takes (a superset will do).

    Returns:
        True where ``value`` is one of ``wanted``, null where it is null, else False.
    """
    found = sorted(set(wanted) & set(present))
    if len(found) > _MAX_COMPARISONS:
        return value.is_in(pl.Series(found, dtype=pl.String).implode())
    if not found:
        return value != value
    return pl.any_horizontal([value == v for v in found])


def distinct(df: pl.DataFrame, columns: Sequence[str]) -> dict[str, frozenset[str]]:
    """The distinct non-null values of some text columns, computed in one parallel pass.

    Args:
        df: The episodes.
        columns: Text columns of ``df``.

    Returns:
        Each column's values, by column.
    """
    values, _ = distinct_values(df, columns)
    return {c: frozenset(v) for c, v in values.items()}


def recorded_on(column: str) -> pl.Expr:
    """The day a code column's value was recorded, whose collection year judges it.

    RNE, LS, PLACE and PLACE_PROVIDER are recorded when the episode starts (DECOM); REC and
    REASON_PLACE_CHANGE when it ends (DEC; DECOM when DEC is blank).

    Args:
        column: The code column.

    Returns:
        The day, as a date expression.
    """
    if column in _RECORDED_AT_END:
        return pl.coalesce("dec", "decom")
    return pl.col("decom")


def invalid(column: str, code_list: codes.CodeList, present: Collection[str]) -> pl.Expr:
    """Rows whose code is not valid in the collection year it was recorded in (`recorded_on`).

    Args:
        column: The code column.
        code_list: Its code list.
        present: The column's distinct values.

    Returns:
        True where the code is given and not valid (no day: valid if listed at all).
    """
    listed = {c.code: c for c in code_list.codes}
    unknown = [v for v in present if v not in listed]
    decom = recorded_on(column)
    invalid = one_of(pl.col(column), unknown, present).fill_null(False)
    for value in sorted(set(present) & set(listed)):
        code = listed[value]
        # Collection year Y runs from 1 April of Y - 1 to 31 March of Y.
        outside = []
        if code.first_year is not None:
            outside.append(decom < date(code.first_year - 1, 4, 1))
        if code.last_year is not None:
            outside.append(decom >= date(code.last_year, 4, 1))
        if outside:
            when = pl.any_horizontal(outside).fill_null(False)
            invalid = invalid | ((pl.col(column) == value).fill_null(False) & when)
    return invalid


def _same(a: str, b: str) -> pl.Expr:
    """``a == b`` as pandas compares texts: false when either is blank."""
    return (pl.col(a) == pl.col(b)).fill_null(False)


def rules(present: Mapping[str, Collection[str]], return_year: pl.Expr) -> list[Rule]:
    """The episode rules, in the order their findings are listed for one row.

    The masks follow the DfE validator's own code (``lac_validator/rules``), blanks
    included: where it compares texts with pandas, a comparison with a blank is false and
    ``!=`` with a blank is true, and the rules below say so.

    Args:
        present: The distinct values of the code columns (`CODE_COLUMNS`).
        return_year: Each row's return's collection year (a literal for a single return).

    Returns:
        The rules.
    """
    # DEC as the DfE's rules read it: as a date only when written dd/mm/YYYY (``dec``), and
    # given when its text is (``given``; 148, 233, 365 and 502 look at the text).
    dec, rec, rpc = pl.col("_dec_dfe"), pl.col("rec"), pl.col("reason_place_change")
    given = pl.col("_dec_given")
    place, decom, rne, ls = pl.col("place"), pl.col("decom"), pl.col("rne"), pl.col("ls")
    has_prev, has_next = pl.col("_has_prev"), pl.col("_has_next")
    prev_dec, next_decom = pl.col("_prev_dec"), pl.col("_next_decom")

    def among(value: pl.Expr, wanted: Iterable[str], column: str) -> pl.Expr:
        return one_of(value, wanted, present[column]).fill_null(False)

    def col(name: str) -> pl.Expr:
        return pl.lit(name)

    temporary = one_of(place, _TEMPORARY, present["place"])
    next_temporary = one_of(pl.col("_next_place"), _TEMPORARY, present["place"])
    is_temporary = temporary.fill_null(False)
    short_break = among(ls, _SHORT_BREAKS, "ls")
    not_s = (rne != "S").fill_null(True)
    x1 = (rec == "X1").fill_null(False)
    up_to_2025 = (return_year <= 2025).fill_null(True)
    return_start = pl.date(return_year - 1, 4, 1)
    return_end = pl.date(return_year, 3, 31)
    no_provider = among(place, _NO_PROVIDER, "place") | pl.when(up_to_2025).then(
        among(place, ["T4", "Z1"], "place")
    ).otherwise(among(place, ["Z11", "Z12", "Z13", "Z14"], "place"))
    valid_provider = among(pl.col("place_provider"), _PROVIDERS, "place_provider")
    # The placement's four fields compared with the previous row's (blanks equal blanks),
    # read only where ``_has_prev`` holds: four comparisons with the ``_prev_*`` columns
    # already shifted are cheaper than hashing the four texts (and exact).
    same_placement_or_blank = pl.all_horizontal(
        pl.col(c).eq_missing(pl.col(f"_prev_{c}")) for c in _PLACEMENT_FIELDS
    )
    same_placement = same_placement_or_blank & pl.all_horizontal(
        pl.col(c).is_not_null() for c in _PLACEMENT_FIELDS
    )
    same_ls = _same("ls", "_prev_ls")
    if {"V3", "V4"} <= set(present["ls"]):
        by_child = ["_return", "child"]
        both_short_breaks = short_break & (
            (ls == "V3").any().over(by_child) & (ls == "V4").any().over(by_child)
        ).fill_null(False)
    else:
        both_short_breaks = pl.lit(False)
    found = [
        Rule(
            has_next & (dec.is_null() | rec.is_null()),
            "142",
            _pick(dec.is_null(), "DEC", "REC"),
            joined(
                "a later episode starts on ",
                day("_next_decom"),
                pl.when(dec.is_null() & given)
                .then(pl.lit(" but this episode's DEC is not a dd/mm/YYYY date"))
                .otherwise(joined(" but this episode has no ", _pick(dec.is_null(), "DEC", "REC"))),
            ),
        ),
        Rule(
            given != rec.is_not_null(),
            "148",
            _pick(rec.is_null(), "REC", "DEC"),
            joined(
                _pick(
                    rec.is_null(),
                    joined("DEC is ", day("dec").replace("blank", "given"), " but REC is blank"),
                    joined("REC is ", q("rec"), " but DEC is blank"),
                ),
                "; DEC and REC must both be given or both be blank",
            ),
        ),
        Rule(
            valid_provider & no_provider,
            "178",
            col("PLACE_PROVIDER"),
            joined(
                "PLACE_PROVIDER ",
                q("place_provider"),
                " is given on a placement that has no provider (",
                pl.col("place"),
                ")",
            ),
        ),
        Rule(
            x1
            & rpc.is_null()
            & ~is_temporary
            & has_next
            & one_of(pl.col("_next_rne"), _PLACEMENT_CHANGE_RNE, present["rne"])
            & ~next_temporary.fill_null(False),
            "225",
            col("REASON_PLACE_CHANGE"),
            joined(
                "the placement changes (next RNE ",
                q("_next_rne"),
                ", next PLACE ",
                q("_next_place"),
                ") but REASON_PLACE_CHANGE is blank",
            ),
        ),
        Rule(
            temporary
            & (rpc.is_not_null() | (has_prev & pl.col("_prev_reason_place_change").is_not_null())),
            "226",
            col("REASON_PLACE_CHANGE"),
            _pick(
                rpc.is_not_null(),
                joined(
                    "REASON_PLACE_CHANGE ",
                    q("reason_place_change"),
                    " is given on a temporary placement (",
                    pl.col("place"),
                    ")",
                ),
                joined(
                    "REASON_PLACE_CHANGE ",
                    q("_prev_reason_place_change"),
                    " is given on the episode before this temporary placement (",
                    pl.col("place"),
                    ")",
                ),
            ),
        ),
        Rule(
            ~given & rpc.is_not_null(),
            "233",
            col("REASON_PLACE_CHANGE"),
            joined(
                "REASON_PLACE_CHANGE ",
                q("reason_place_change"),
                " is given on an open episode (blank DEC)",
            ),
        ),
        Rule(
            decom < date(1991, 10, 14),
            "353",
            col("DECOM"),
            joined("DECOM ", day("decom"), " is before 14/10/1991, when the Children Act began"),
        ),
        Rule(
            dec == decom,
            "355",
            col("DEC"),
            joined("the episode starts and ends on ", day("dec"), " (less than 24 hours)"),
        ),
        Rule(
            dec < decom,
            "356",
            col("DEC"),
            joined("DEC ", day("dec"), " is before DECOM ", day("decom")),
        ),
        Rule(
            ~has_prev & (decom >= return_start).fill_null(False) & not_s,
            "357",
            col("RNE"),
            joined(
                "the child's first episode in this return starts on ",
                day("decom"),
                ", in the return's year, but RNE is ",
                q("rne"),
                ", not 'S'",
            ),
        ),
        Rule(
            (ls == "V3").fill_null(False)
            & (
                pl.when(given).then(dec).otherwise(return_end) > decom + timedelta(days=17)
            ).fill_null(False),
            "365",
            col("DEC"),
            joined(
                "a short break (LS 'V3') from ",
                day("decom"),
                " lasts more than 17 days (DEC ",
                day("dec"),
                ")",
            ),
        ),
        Rule(
            (ls == "V3").fill_null(False) & not_s,
            "366",
            col("RNE"),
            joined(
                "LS is 'V3' (a short break) but RNE is ",
                q("rne"),
                ": a short break starts a period of care (RNE 'S') and cannot change placement",
            ),
        ),
        Rule(
            is_temporary & ~among(rne, ["P", "B"], "rne"),
            "380",
            col("RNE"),
            joined(
                "a temporary placement (",
                pl.col("place"),
                ") starts with RNE ",
                q("rne"),
                ", not 'P' or 'B'",
            ),
        ),
        Rule(
            is_temporary & rec.is_not_null() & ~x1,
            "381",
            col("REC"),
            joined(
                "a temporary placement (",
                pl.col("place"),
                ") ends the period of care (REC ",
                q("rec"),
                ")",
            ),
        ),
        Rule(
            short_break & is_temporary,
            "382",
            col("PLACE"),
            joined("a short break (LS ", q("ls"), ") is in a temporary placement (", place, ")"),
        ),
        Rule(
            has_prev
            & pl.col("_has_prev2")
            & among(pl.col("_prev_place"), _TEMPORARY, "place")
            & (
                (rne != "P").fill_null(True)
                | (place != pl.col("_prev2_place")).fill_null(True)
                | (
                    (return_year >= 2026).fill_null(False)
                    & (pl.col("pl_post") != pl.col("_prev2_pl_post")).fill_null(True)
                )
            ),
            "383",
            col("PLACE"),
            joined(
                "after a temporary placement (",
                pl.col("_prev_place"),
                ") the child does not return to the placement before it (RNE ",
                q("rne"),
                ", PLACE ",
                q("place"),
                "; that placement's PLACE ",
                q("_prev2_place"),
                ")",
            ),
        ),
        Rule(
            short_break & among(place, ["U1", "U4"], "place"),
            "384",
            col("PLACE"),
            joined(
                "a short break (LS ", q("ls"), ") is in a long-term foster placement (", place, ")"
            ),
        ),
        Rule(
            (has_next & x1 & dec.is_not_null() & (dec != next_decom).fill_null(False))
            | (
                has_next
                & rec.is_not_null()
                & ~x1
                & dec.is_not_null()
                & (dec == next_decom).fill_null(False)
            )
            | (~has_next & dec.is_not_null() & x1),
            "388",
            col("REC"),
            pl.when(x1 & has_next)
            .then(
                joined(
                    "REC is 'X1' (a new episode begins the same day) but the next episode "
                    "starts on ",
                    day("_next_decom"),
                    ", not on DEC ",
                    day("dec"),
                )
            )
            .when(x1)
            .then(pl.lit("REC is 'X1' (a new episode begins the same day) but none follows"))
            .otherwise(
                joined(
                    "the next episode starts on DEC ",
                    day("dec"),
                    ", so the child is still looked after, but REC is ",
                    q("rec"),
                    ", not 'X1'",
                )
            ),
        ),
        Rule(
            both_short_breaks,
            "426",
            col("LS"),
            joined(
                "LS is ",
                q("ls"),
                " but the child has short breaks under both V3 and V4 in this return",
            ),
        ),
        Rule(
            (rne == "S").fill_null(False) & has_prev & (decom <= prev_dec).fill_null(False),
            "431",
            col("RNE"),
            joined(
                "RNE is 'S' (started to be looked after) but the previous episode ended on ",
                day("_prev_dec"),
                ", on or after this one's start ",
                day("decom"),
            ),
        ),
        Rule(
            has_prev & among(pl.col("_prev_rec"), _LEFT_CARE_REC, "rec") & not_s,
            "432",
            col("RNE"),
            joined(
                "the previous episode ended with the child leaving care (REC ",
                q("_prev_rec"),
                ") but RNE is ",
                q("rne"),
                ", not 'S'",
            ),
        ),
        Rule(
            among(rne, _CONTINUATION_RNE, "rne")
            & has_prev
            & (prev_dec.is_null() | (prev_dec != decom)),
            "433",
            col("DECOM"),
            joined(
                "RNE ",
                q("rne"),
                " continues the previous episode, which ended on ",
                day("_prev_dec"),
                ", but this one starts on ",
                day("decom"),
            ),
        ),
        Rule(
            has_prev & (rne == "L").fill_null(False) & (same_ls | ~same_placement_or_blank),
            "434",
            col("RNE"),
            joined(
                "RNE is 'L' (legal status changes, the placement does not) but ",
                _pick(
                    same_ls,
                    joined("LS stays ", q("ls")),
                    "the placement (PLACE, PL_POST, URN or PLACE_PROVIDER) changes",
                ),
            ),
        ),
        Rule(
            has_prev
            & among(rne, ["P", "T"], "rne")
            & ((ls != pl.col("_prev_ls")).fill_null(True) | same_placement),
            "435",
            col("RNE"),
            joined(
                "RNE is ",
                q("rne"),
                " (the placement changes, the legal status does not) but ",
                _pick(
                    same_ls,
                    "PLACE, PL_POST, URN and PLACE_PROVIDER stay the same",
                    joined("LS changes from ", q("_prev_ls"), " to ", q("ls")),
                ),
            ),
        ),
        Rule(
            has_prev
            & among(rne, ["U", "B"], "rne")
            & (ls.eq_missing(pl.col("_prev_ls")) | same_placement_or_blank),
            "436",
            col("RNE"),
            joined(
                "RNE is ",
                q("rne"),
                " (legal status and placement change) but ",
                _pick(
                    ls.eq_missing(pl.col("_prev_ls")),
                    joined("LS stays ", q("ls")),
                    "PLACE, PL_POST, URN and PLACE_PROVIDER stay the same",
                ),
            ),
        ),
        Rule(
            among(rec, ["E2", "E15"], "rec") & has_next,
            "437",
            col("REC"),
            joined(
                "REC is ",
                q("rec"),
                " (the child died or is 18 or over) but a later episode starts on ",
                day("_next_decom"),
            ),
        ),
        Rule(
            has_prev & (decom < prev_dec).fill_null(False),
            "501",
            col("DECOM"),
            joined(
                "the episode starts on ",
                day("decom"),
                ", before the previous episode ended (",
                day("_prev_dec"),
                ")",
            ),
        ),
        Rule(
            has_prev
            & (pl.col("_prev_rec") == "X1").fill_null(False)
            & (prev_dec == decom).fill_null(False)
            & (pl.col("cin") != pl.col("_prev_cin")).fill_null(True),
            "504",
            col("CIN"),
            joined(
                "CIN changes from ",
                q("_prev_cin"),
                " to ",
                q("cin"),
                " within a period of care",
            ),
        ),
        Rule(
            pl.col("place_provider").is_null()
            & ~among(place, _NO_PROVIDER, "place")
            & pl.when(up_to_2025)
            .then(~among(place, ["T4", "Z1"], "place"))
            .otherwise(~among(place, ["T4", "Z11", "Z12", "Z13", "Z14"], "place")),
            "526",
            col("PLACE_PROVIDER"),
            joined("PLACE_PROVIDER is blank on a placement of type ", q("place")),
        ),
        *(
            Rule(
                among(place, places, "place")
                & (pl.col("place_provider") == provider).fill_null(False),
                rule,
                col("PLACE_PROVIDER"),
                joined(
                    f"PLACE_PROVIDER '{provider}' cannot be the provider of a placement of type ",
                    pl.col("place"),
                ),
            )
            for rule, provider, places in _PROVIDER_PLACES
        ),
        Rule(
            (pl.col("place_provider") == "PR0").fill_null(False) & (place != "P1").fill_null(True),
            "550",
            col("PLACE_PROVIDER"),
            joined(
                "PLACE_PROVIDER 'PR0' (parents) is given on a placement of type ",
                q("place"),
                ", not 'P1'",
            ),
        ),
    ]
    # A rule that needs a code no row holds flags nothing: not computed at all.
    return [
        r if all(set(w) & set(present[c]) for c, w in _NEEDS.get(r.rule, ())) else _never(r)
        for r in found
    ]


def _never(rule: Rule) -> Rule:
    return attrs.evolve(rule, mask=pl.lit(False))
