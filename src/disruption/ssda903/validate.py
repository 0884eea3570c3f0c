"""The DfE validation rules that concern episodes and placements, vectorised with polars.

Rule numbers are those of the public 903 validator (``data-to-insight/csc-validator-be-903``);
episodes are compared with the previous and next episode of the same child in DECOM order.
Code validity is checked against `disruption.codes` in the collection year of DECOM (143 RNE,
144 LS, 146 PLACE, 149 REC, 178 PLACE_PROVIDER, ``code-REASON_PLACE_CHANGE``); blank codes are
left to the rules that require them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import polars as pl

from disruption import codes
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


def validate(episodes: pl.DataFrame, header: pl.DataFrame | None = None) -> list[Finding]:
    """Check episodes against the DfE episode and placement rules.

    Args:
        episodes: Episodes as returned by `read_episodes` or `reconcile`.
        header: Header rows as returned by `read_header`; when given, an episode child absent
            from every header is reported once (``child-not-in-header``).

    Returns:
        The findings, ordered by file and row.
    """
    same_prev = pl.col("child") == pl.col("child").shift(1)
    same_next = pl.col("child") == pl.col("child").shift(-1)

    def prev(c: str) -> pl.Expr:
        return pl.when(same_prev).then(pl.col(c).shift(1)).otherwise(None).alias(f"_prev_{c}")

    def nxt(c: str) -> pl.Expr:
        return pl.when(same_next).then(pl.col(c).shift(-1)).otherwise(None).alias(f"_next_{c}")

    df = episodes.sort(["child", "decom", "_return", "_row"], maintain_order=True).with_columns(
        same_prev.fill_null(False).alias("_has_prev"),
        same_next.fill_null(False).alias("_has_next"),
        prev("dec"),
        prev("reason_place_change"),
        prev("_file"),
        prev("_row"),
        nxt("decom"),
        nxt("rne"),
        nxt("place"),
    )
    dec, rec, rpc = pl.col("dec"), pl.col("rec"), pl.col("reason_place_change")
    place, decom = pl.col("place"), pl.col("decom")
    temporary = place.is_in(_TEMPORARY)
    found: list[Finding] = []
    found += _emit(
        df,
        pl.col("_has_next") & (dec.is_null() | rec.is_null()),
        "142",
        lambda r: "DEC" if r["dec"] is None else "REC",
        lambda r: (
            f"a later episode starts on {_d(r['_next_decom'])} but this episode has no "
            + ("DEC" if r["dec"] is None else "REC")
        ),
    )
    found += _emit(
        df,
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
    )
    found += _emit(
        df,
        (rec == "X1")
        & rpc.is_null()
        & ~temporary.fill_null(False)
        & pl.col("_next_rne").is_in(_PLACEMENT_CHANGE_RNE)
        & ~pl.col("_next_place").is_in(_TEMPORARY).fill_null(False),
        "225",
        "REASON_PLACE_CHANGE",
        lambda r: (
            f"the placement changes (next RNE {r['_next_rne']!r}, next PLACE "
            f"{r['_next_place']!r}) but REASON_PLACE_CHANGE is blank"
        ),
    )
    found += _emit(
        df,
        temporary & rpc.is_not_null(),
        "226",
        "REASON_PLACE_CHANGE",
        lambda r: (
            f"REASON_PLACE_CHANGE {r['reason_place_change']!r} is given on a temporary "
            f"placement ({r['place']})"
        ),
    )
    found += _emit(
        df,
        temporary & pl.col("_prev_reason_place_change").is_not_null(),
        "226",
        "REASON_PLACE_CHANGE",
        lambda r: (
            f"REASON_PLACE_CHANGE {r['_prev_reason_place_change']!r} is given on the "
            f"episode before a temporary placement ({r['place']}) starting {_d(r['decom'])}"
        ),
        on_previous=True,
    )
    found += _emit(
        df,
        dec.is_null() & rpc.is_not_null(),
        "233",
        "REASON_PLACE_CHANGE",
        lambda r: (
            f"REASON_PLACE_CHANGE {r['reason_place_change']!r} is given on an open "
            "episode (blank DEC)"
        ),
    )
    found += _emit(
        df,
        dec == decom,
        "355",
        "DEC",
        lambda r: f"the episode starts and ends on {_d(r['dec'])} (less than 24 hours)",
    )
    found += _emit(
        df,
        dec < decom,
        "356",
        "DEC",
        lambda r: f"DEC {_d(r['dec'])} is before DECOM {_d(r['decom'])}",
    )
    found += _emit(
        df,
        pl.col("rne").is_in(_CONTINUATION_RNE)
        & pl.col("_has_prev")
        & (pl.col("_prev_dec").is_null() | (pl.col("_prev_dec") != decom)),
        "433",
        "DECOM",
        lambda r: (
            f"RNE {r['rne']!r} continues the previous episode, which ended on "
            f"{_d(r['_prev_dec'])}, but this one starts on {_d(r['decom'])}"
        ),
    )
    found += _emit(
        df,
        decom < pl.col("_prev_dec"),
        "501",
        "DECOM",
        lambda r: (
            f"the episode starts on {_d(r['decom'])}, before the previous episode ended "
            f"({_d(r['_prev_dec'])})"
        ),
    )
    found += _code_findings(df)
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
