"""The episode rules of `disruption.ssda903.validate`, as polars masks and messages.

Each rule is a mask over the episodes (with their neighbours' columns, ``_prev_*`` and
``_next_*``) and a message for each row it flags. Code lists are tested by comparing with the
few values a column actually holds (`one_of`), several times cheaper than hashing every row.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import attrs
import polars as pl

from disruption import codes
from disruption.ssda903._distinct import distinct_values

__all__ = ["Row", "Rule", "d", "distinct", "invalid", "one_of", "recorded_on", "rules"]

_TEMPORARY = sorted(codes.TEMPORARY_PLACEMENTS)
_PLACEMENT_CHANGE_RNE = sorted(codes.NEW_PLACEMENT_RNE - {"S"})
_CONTINUATION_RNE = sorted(set(codes.RNE) - {"S"})

_RECORDED_AT_END = frozenset({"rec", "reason_place_change"})
"""Code columns recorded when the episode ends."""

Row = dict[str, Any]
_MAX_COMPARISONS = 8
"""Above this many values, `one_of` hashes instead of comparing."""


@attrs.frozen
class Rule:
    """One episode rule: the rows it flags, and the finding written for each."""

    mask: pl.Expr
    rule: str
    column: str | Callable[[Row], str]
    message: Callable[[Row], str]


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


def rules(present: Mapping[str, Collection[str]]) -> list[Rule]:
    """The episode rules, in the order their findings are listed for one row.

    Args:
        present: The distinct values of the RNE and PLACE columns.

    Returns:
        The rules.
    """
    dec, rec, rpc = pl.col("dec"), pl.col("rec"), pl.col("reason_place_change")
    place, decom = pl.col("place"), pl.col("decom")
    temporary = one_of(place, _TEMPORARY, present["place"])
    next_temporary = one_of(pl.col("_next_place"), _TEMPORARY, present["place"])
    return [
        Rule(
            pl.col("_has_next") & (dec.is_null() | rec.is_null()),
            "142",
            lambda r: "DEC" if r["dec"] is None else "REC",
            lambda r: (
                f"a later episode starts on {d(r['_next_decom'])} but this episode has no "
                + ("DEC" if r["dec"] is None else "REC")
            ),
        ),
        Rule(
            dec.is_null() != rec.is_null(),
            "148",
            lambda r: "REC" if r["rec"] is None else "DEC",
            lambda r: (
                (
                    f"DEC is {d(r['dec'])} but REC is blank"
                    if r["rec"] is None
                    else f"REC is {r['rec']!r} but DEC is blank"
                )
                + "; DEC and REC must both be given or both be blank"
            ),
        ),
        Rule(
            (rec == "X1")
            & rpc.is_null()
            & ~temporary.fill_null(False)
            & one_of(pl.col("_next_rne"), _PLACEMENT_CHANGE_RNE, present["rne"])
            & ~next_temporary.fill_null(False),
            "225",
            "REASON_PLACE_CHANGE",
            lambda r: (
                f"the placement changes (next RNE {r['_next_rne']!r}, next PLACE "
                f"{r['_next_place']!r}) but REASON_PLACE_CHANGE is blank"
            ),
        ),
        Rule(
            temporary & (rpc.is_not_null() | pl.col("_prev_reason_place_change").is_not_null()),
            "226",
            "REASON_PLACE_CHANGE",
            lambda r: (
                f"REASON_PLACE_CHANGE {r['reason_place_change']!r} is given on a temporary "
                f"placement ({r['place']})"
                if r["reason_place_change"] is not None
                else f"REASON_PLACE_CHANGE {r['_prev_reason_place_change']!r} is given on the "
                f"episode before this temporary placement ({r['place']})"
            ),
        ),
        Rule(
            dec.is_null() & rpc.is_not_null(),
            "233",
            "REASON_PLACE_CHANGE",
            lambda r: (
                f"REASON_PLACE_CHANGE {r['reason_place_change']!r} is given on an open "
                "episode (blank DEC)"
            ),
        ),
        Rule(
            dec == decom,
            "355",
            "DEC",
            lambda r: f"the episode starts and ends on {d(r['dec'])} (less than 24 hours)",
        ),
        Rule(
            dec < decom,
            "356",
            "DEC",
            lambda r: f"DEC {d(r['dec'])} is before DECOM {d(r['decom'])}",
        ),
        Rule(
            one_of(pl.col("rne"), _CONTINUATION_RNE, present["rne"])
            & pl.col("_has_prev")
            & (pl.col("_prev_dec").is_null() | (pl.col("_prev_dec") != decom)),
            "433",
            "DECOM",
            lambda r: (
                f"RNE {r['rne']!r} continues the previous episode, which ended on "
                f"{d(r['_prev_dec'])}, but this one starts on {d(r['decom'])}"
            ),
        ),
        Rule(
            decom < pl.col("_prev_dec"),
            "501",
            "DECOM",
            lambda r: (
                f"the episode starts on {d(r['decom'])}, before the previous episode ended "
                f"({d(r['_prev_dec'])})"
            ),
        ),
    ]
