"""The DfE validation rules that concern episodes and placements, vectorised with polars.

Rule numbers are those of the public 903 validator (``data-to-insight/csc-validator-be-903``);
episodes are compared with the previous and next episode of the same child in DECOM order.
Code validity is checked against `disruption.codes` in the collection year of DECOM (143 RNE,
144 LS, 146 PLACE, 149 REC, 178 PLACE_PROVIDER, ``code-REASON_PLACE_CHANGE``); blank codes are
left to the rules that require them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import attrs
import polars as pl

from disruption import codes
from disruption.ssda903._order import ORDER, in_order
from disruption.ssda903.findings import Finding

__all__ = ["CODE_RULES", "validate"]

CODE_RULES: tuple[tuple[str, codes.CodeList, str], ...] = (
    ("rne", codes.RNE, "143"),
    ("ls", codes.LS, "144"),
    ("place", codes.PLACE, "146"),
    ("rec", codes.REC, "149"),
    ("place_provider", codes.PLACE_PROVIDER, "178"),
    ("reason_place_change", codes.REASON_PLACE_CHANGE, "code-REASON_PLACE_CHANGE"),
)

_TEMPORARY = sorted(codes.TEMPORARY_PLACEMENTS)
_PLACEMENT_CHANGE_RNE = sorted(codes.NEW_PLACEMENT_RNE - {"S"})
_CONTINUATION_RNE = sorted(set(codes.RNE) - {"S"})

_Row = dict[str, Any]
_MAX_COMPARISONS = 8
"""Above this many values, `_one_of` hashes instead of comparing."""


@attrs.frozen
class _Rule:
    """One episode rule: the rows it flags, and the finding written for each."""

    mask: pl.Expr
    rule: str
    column: str | Callable[[_Row], str]
    message: Callable[[_Row], str]
    on_previous: bool = False


def _d(value: date | None) -> str:
    return "blank" if value is None else f"{value:%d/%m/%Y}"


def _emit(
    df: pl.DataFrame,
    mask: pl.Expr,
    rule: str,
    column: str | Callable[[_Row], str],
    message: Callable[[_Row], str],
    *,
    on_previous: bool = False,
) -> list[Finding]:
    file, row = ("_prev__file", "_prev__row") if on_previous else ("_file", "_row")
    out: list[Finding] = []
    for r in df.filter(mask.fill_null(False)).iter_rows(named=True):
        col = column if isinstance(column, str) else column(r)
        out.append(Finding(r[file], r[row], col, rule, message(r), r["child"]))
    return out


def _one_of(value: pl.Expr, wanted: Iterable[str], present: Collection[str]) -> pl.Expr:
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


def _distinct(df: pl.DataFrame, columns: Sequence[str]) -> dict[str, frozenset[str]]:
    """The distinct non-null values of some text columns, computed in one parallel pass."""
    found = df.select(pl.col(c).unique().drop_nulls().implode() for c in columns).row(0)
    return {c: frozenset(v) for c, v in zip(columns, found, strict=True)}


def _invalid(column: str, code_list: codes.CodeList, present: Collection[str]) -> pl.Expr:
    """Rows whose code is not valid in the collection year of their DECOM.

    Args:
        column: The code column.
        code_list: Its code list.
        present: The column's distinct values.

    Returns:
        True where the code is given and not valid (a blank DECOM: valid if listed at all).
    """
    listed = {c.code: c for c in code_list.codes}
    unknown = [v for v in present if v not in listed]
    decom = pl.col("decom")
    invalid = _one_of(pl.col(column), unknown, present).fill_null(False)
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


def _code_findings(df: pl.DataFrame) -> list[Finding]:
    days = df.select(pl.col("decom").unique().drop_nulls())["decom"].to_list()
    year_of = {d: codes.collection_year(d) for d in days}
    with_year = df.with_columns(
        pl.col("decom").replace_strict(year_of, default=None, return_dtype=pl.Int64).alias("_year")
    )
    out: list[Finding] = []
    for column, code_list, rule in CODE_RULES:
        pairs = with_year.select(column, "_year").drop_nulls(column).unique()
        bad = [(code, year) for code, year in pairs.iter_rows() if not code_list.valid(code, year)]
        if not bad:
            continue
        bad_df = pl.DataFrame(
            {column: [b[0] for b in bad], "_year": [b[1] for b in bad]},
            schema={column: pl.String, "_year": pl.Int64},
        )
        hits = with_year.join(bad_df, on=[column, "_year"], how="semi", nulls_equal=True)
        label = column.upper()
        for r in hits.select("_file", "_row", "child", column, "_year").iter_rows():
            when = f" in collection year {r[4] - 1}-{r[4] % 100:02d}" if r[4] else ""
            out.append(
                Finding(
                    r[0],
                    r[1],
                    label,
                    rule,
                    f"{label} {r[3]!r} is not a valid {code_list.name} code{when}; row kept",
                    r[2],
                )
            )
    return out


def _rules(present: Mapping[str, Collection[str]]) -> list[_Rule]:
    """The episode rules, in the order their findings are listed for one row.

    Args:
        present: The distinct values of the RNE and PLACE columns.

    Returns:
        The rules.
    """
    dec, rec, rpc = pl.col("dec"), pl.col("rec"), pl.col("reason_place_change")
    place, decom = pl.col("place"), pl.col("decom")
    temporary = _one_of(place, _TEMPORARY, present["place"])
    next_temporary = _one_of(pl.col("_next_place"), _TEMPORARY, present["place"])
    return [
        _Rule(
            pl.col("_has_next") & (dec.is_null() | rec.is_null()),
            "142",
            lambda r: "DEC" if r["dec"] is None else "REC",
            lambda r: (
                f"a later episode starts on {_d(r['_next_decom'])} but this episode has no "
                + ("DEC" if r["dec"] is None else "REC")
            ),
        ),
        _Rule(
            dec.is_null() != rec.is_null(),
            "148",
            lambda r: "REC" if r["rec"] is None else "DEC",
            lambda r: (
                (
                    f"DEC is {_d(r['dec'])} but REC is blank"
                    if r["rec"] is None
                    else f"REC is {r['rec']!r} but DEC is blank"
                )
                + "; DEC and REC must both be given or both be blank"
            ),
        ),
        _Rule(
            (rec == "X1")
            & rpc.is_null()
            & ~temporary.fill_null(False)
            & _one_of(pl.col("_next_rne"), _PLACEMENT_CHANGE_RNE, present["rne"])
            & ~next_temporary.fill_null(False),
            "225",
            "REASON_PLACE_CHANGE",
            lambda r: (
                f"the placement changes (next RNE {r['_next_rne']!r}, next PLACE "
                f"{r['_next_place']!r}) but REASON_PLACE_CHANGE is blank"
            ),
        ),
        _Rule(
            temporary & rpc.is_not_null(),
            "226",
            "REASON_PLACE_CHANGE",
            lambda r: (
                f"REASON_PLACE_CHANGE {r['reason_place_change']!r} is given on a temporary "
                f"placement ({r['place']})"
            ),
        ),
        _Rule(
            temporary & pl.col("_prev_reason_place_change").is_not_null(),
            "226",
            "REASON_PLACE_CHANGE",
            lambda r: (
                f"REASON_PLACE_CHANGE {r['_prev_reason_place_change']!r} is given on the "
                f"episode before a temporary placement ({r['place']}) starting {_d(r['decom'])}"
            ),
            on_previous=True,
        ),
        _Rule(
            dec.is_null() & rpc.is_not_null(),
            "233",
            "REASON_PLACE_CHANGE",
            lambda r: (
                f"REASON_PLACE_CHANGE {r['reason_place_change']!r} is given on an open "
                "episode (blank DEC)"
            ),
        ),
        _Rule(
            dec == decom,
            "355",
            "DEC",
            lambda r: f"the episode starts and ends on {_d(r['dec'])} (less than 24 hours)",
        ),
        _Rule(
            dec < decom,
            "356",
            "DEC",
            lambda r: f"DEC {_d(r['dec'])} is before DECOM {_d(r['decom'])}",
        ),
        _Rule(
            _one_of(pl.col("rne"), _CONTINUATION_RNE, present["rne"])
            & pl.col("_has_prev")
            & (pl.col("_prev_dec").is_null() | (pl.col("_prev_dec") != decom)),
            "433",
            "DECOM",
            lambda r: (
                f"RNE {r['rne']!r} continues the previous episode, which ended on "
                f"{_d(r['_prev_dec'])}, but this one starts on {_d(r['decom'])}"
            ),
        ),
        _Rule(
            decom < pl.col("_prev_dec"),
            "501",
            "DECOM",
            lambda r: (
                f"the episode starts on {_d(r['decom'])}, before the previous episode ended "
                f"({_d(r['_prev_dec'])})"
            ),
        ),
    ]


def _with_neighbours(episodes: pl.DataFrame) -> pl.DataFrame:
    """``episodes`` with what the rules need of the previous and next episode of the child.

    ``_increasing`` tells whether each row comes strictly after the one before it by CHILD
    and DECOM (in which case the frame is in `ORDER`).
    """

    def prev(c: str) -> pl.Expr:
        return pl.when("_has_prev").then(pl.col(c).shift(1)).alias(f"_prev_{c}")

    def nxt(c: str) -> pl.Expr:
        return pl.when("_has_next").then(pl.col(c).shift(-1)).alias(f"_next_{c}")

    child, decom = pl.col("child"), pl.col("decom")
    return episodes.with_columns(
        (child == child.shift(1)).fill_null(False).alias("_has_prev"),
        (child == child.shift(-1)).fill_null(False).alias("_has_next"),
    ).with_columns(
        prev("dec"),
        prev("reason_place_change"),
        prev("_file"),
        prev("_row"),
        nxt("decom"),
        nxt("rne"),
        nxt("place"),
        ((child.shift(1) < child) | (pl.col("_has_prev") & (decom.shift(1) < decom)))
        .fill_null(False)
        .alias("_increasing"),
    )


def validate(episodes: pl.DataFrame, header: pl.DataFrame | None = None) -> list[Finding]:
    """Check episodes against the DfE episode and placement rules.

    All rules are evaluated in one parallel pass over the episodes; the findings are then
    written from the few rows that break one.

    Args:
        episodes: Episodes as returned by `read_episodes` or `reconcile`.
        header: Header rows as returned by `read_header`; when given, an episode child absent
            from every header is reported once (``child-not-in-header``).

    Returns:
        The findings, ordered by file and row.
    """
    df = _with_neighbours(episodes)
    # Episodes are compared in `ORDER`: reconciled episodes already are, others are sorted.
    if not df["_increasing"].slice(1).all() and not in_order(episodes):
        df = _with_neighbours(episodes.sort(ORDER, maintain_order=True))
    present = _distinct(df, sorted({"rne", "place"} | {c for c, _, _ in CODE_RULES}))
    rules = _rules(present)
    flags = [r.mask.fill_null(False).alias(f"_rule{i}") for i, r in enumerate(rules)]
    flags += [
        _invalid(c, code_list, present[c]).alias(f"_{c}_invalid") for c, code_list, _ in CODE_RULES
    ]
    # Lazily, so that what several rules share (temporary placements) is computed once.
    df = df.lazy().with_columns(flags).collect(engine="in-memory")
    broken = df.filter(pl.any_horizontal([pl.col(f.meta.output_name()) for f in flags]))
    found: list[Finding] = []
    for i, r in enumerate(rules):
        found += _emit(
            broken, pl.col(f"_rule{i}"), r.rule, r.column, r.message, on_previous=r.on_previous
        )
    found += _code_findings(broken)
    if header is not None:
        first = df.filter(~pl.col("_has_prev")).join(header.select("child"), on="child", how="anti")
        found += _emit(
            first,
            pl.lit(True),
            "child-not-in-header",
            "CHILD",
            lambda r: f"CHILD {r['child']} has episodes but is in no Header file",
        )
    found.sort(key=lambda f: (f.file, f.row or 0))
    return found
