"""The DfE validation rules that concern episodes and placements, vectorised with polars.

Internal: import its public names from :mod:`disruption.ssda903` (``docs/api.md``); the module
itself may move or change without notice.

Rule numbers are those of the public 903 validator (``data-to-insight/csc-validator-be-903``)
and flag the rows it flags: the rules check the rows as the authority submitted them, before
any repair (`disruption.ssda903.reconcile` reports its repairs under its own names). Each
return is checked on its own, as the DfE checks it: an episode is compared with the previous
and next episode of the same child in the same return, in `RULE_ORDER`. Code validity is
checked against `disruption.domain.codes` in the collection year the code was recorded in (143 RNE,
144 LS, 146 PLACE, 178 PLACE_PROVIDER by DECOM; 149 REC and ``code-REASON_PLACE_CHANGE`` by
DEC, or DECOM when DEC is blank); blank codes are left to the rules that require them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

import polars as pl

from disruption.domain import codes
from disruption.ssda903._order import in_order as sorted_by
from disruption.ssda903._rules import Rule, day, distinct, invalid, joined, q, recorded_on
from disruption.ssda903._rules import rules as episode_rules
from disruption.ssda903.findings import Finding, from_columns

_TEMPORARY = codes.TEMPORARY_PLACEMENTS

__all__ = [
    "CODE_COLUMNS",
    "CODE_RULES",
    "RULE_ORDER",
    "in_rule_order",
    "validate",
    "validate_rows",
]

RULE_ORDER = ("_return", "child", "decom", "_row")
"""The order episodes are compared in: by return, CHILD, DECOM, then line.

The DfE's rules order a child's episodes by DECOM, and most of them those starting the same
day by line (rule 433 by DEC first; 142 by an unstable sort): see docs/ssda903.md.
"""

CODE_RULES: tuple[tuple[str, codes.CodeList, str], ...] = (
    ("rne", codes.RNE, "143"),
    ("ls", codes.LS, "144"),
    ("place", codes.PLACE, "146"),
    ("rec", codes.REC, "149"),
    ("place_provider", codes.PLACE_PROVIDER, "178"),
    ("reason_place_change", codes.REASON_PLACE_CHANGE, "code-REASON_PLACE_CHANGE"),
)


CODE_COLUMNS: tuple[str, ...] = tuple(sorted({"rne", "place"} | {c for c, _, _ in CODE_RULES}))
"""The code columns the rules look at."""


_FINDING = pl.Schema(
    {
        "_file": pl.String,
        "_row": pl.Int64,
        "_column": pl.String,
        "_rule": pl.String,
        "_message": pl.String,
        "child": pl.String,
    }
)
"""The columns of a frame of findings, in `Finding` field order."""


def _emitted(broken: pl.DataFrame, rules: list[Rule]) -> list[pl.DataFrame]:
    """The findings of each rule that flags a row of ``broken`` (`_FINDING`), in rule order.

    A rule that flags no row is left out (its message may need columns not computed); the
    others' findings are written by polars in one parallel pass.
    """
    flags = [f"_rule{i}" for i in range(len(rules))]
    hit = broken.select(pl.col(f).any() for f in flags).row(0) if flags else ()
    lazy = broken.lazy()
    return pl.collect_all(
        [_emit(lazy, pl.col(f), r) for f, r, h in zip(flags, rules, hit, strict=True) if h],
        engine="in-memory",
    )


def _emit(df: pl.LazyFrame, mask: pl.Expr, rule: Rule) -> pl.LazyFrame:
    """The findings of one rule on the rows of ``df`` where ``mask`` holds (`_FINDING`)."""
    return df.filter(mask.fill_null(False)).select(
        "_file",
        pl.col("_row").cast(pl.Int64),
        rule.column.alias("_column"),
        pl.lit(rule.rule).alias("_rule"),
        rule.message.alias("_message"),
        "child",
    )


def _code_findings(df: pl.DataFrame) -> list[pl.DataFrame]:
    """The findings of the code rules on ``df``, from its ``_<column>_invalid`` flags.

    Column by column, in `CODE_RULES` order; the messages are written by polars (each code's
    quoted form, and each day's collection year, once by Python).
    """
    out: list[pl.DataFrame] = []
    for column, code_list, rule in CODE_RULES:
        label = column.upper()
        bad = df.filter(f"_{column}_invalid")
        if bad.is_empty():
            continue
        day = recorded_on(column)
        days = bad.select(day.unique().drop_nulls()).to_series()
        years = [codes.collection_year(d) for d in days.to_list()]
        year = day.replace_strict(days, years, default=None, return_dtype=pl.Int64)
        when = pl.format(
            " in collection year {}-{}", year - 1, (year % 100).cast(pl.String).str.zfill(2)
        ).fill_null("")
        given = bad[column].unique()
        quoted = pl.col(column).replace_strict(given, [repr(c) for c in given])
        message = pl.format(
            "{} {} is not a valid {} code{}; row kept",
            pl.lit(label),
            quoted,
            pl.lit(code_list.name),
            when,
        )
        out.append(
            bad.select(
                "_file",
                pl.col("_row").cast(pl.Int64),
                pl.lit(label).alias("_column"),
                pl.lit(rule).alias("_rule"),
                message.alias("_message"),
                "child",
            )
        )
    return out


_PREVIOUS = (
    "_dec_dfe",
    "rec",
    "ls",
    "cin",
    "place",
    "pl_post",
    "urn",
    "place_provider",
    "reason_place_change",
)
"""The columns of the previous episode that the rules look at."""


def _with_neighbours(episodes: pl.LazyFrame, *, two_back: bool = True) -> pl.LazyFrame:
    """``episodes`` with what the rules need of the previous and next episode of the child.

    The previous and next episode are those of the same child in the same return (the
    ``_prev_*`` and ``_next_*`` columns hold the neighbouring row's values, to be read only
    where ``_has_prev`` or ``_has_next`` holds); the one before the previous (``_prev2_*``,
    rule 383) only when ``two_back``.
    """

    # Not masked where there is no such episode (a plain shift is much cheaper): every rule
    # that reads a neighbour's column also requires ``_has_prev`` (``_has_next``...).
    def prev(c: str) -> pl.Expr:
        return pl.col(c).shift(1).alias(f"_prev_{c.removeprefix('_').removesuffix('_dfe')}")

    def prev2(c: str) -> pl.Expr:
        return pl.col(c).shift(2).alias(f"_prev2_{c}")

    def nxt(c: str) -> pl.Expr:
        return pl.col(c).shift(-1).alias(f"_next_{c}")

    # A child's episodes in a return are consecutive rows (`RULE_ORDER`): the CHILD texts are
    # compared once, with the row before.
    child, ret, same = pl.col("child"), pl.col("_return"), pl.col("_has_prev")
    return (
        episodes.with_columns(
            ((child == child.shift(1)) & (ret == ret.shift(1))).fill_null(False).alias("_has_prev")
        )
        .with_columns(
            (same & same.shift(1)).fill_null(False).alias("_has_prev2"),
            same.shift(-1).fill_null(False).alias("_has_next"),
        )
        .with_columns(
            *(prev(c) for c in _PREVIOUS),
            *((prev2("place"), prev2("pl_post")) if two_back else ()),
            nxt("decom"),
            nxt("rne"),
            nxt("place"),
        )
    )


def _years_of_returns(episodes: pl.DataFrame) -> dict[int, int]:
    """Each return's collection year: that of the latest date it holds.

    The episodes are in `RULE_ORDER`: when the first row's return is the last's, there is
    one return, and no grouping is needed.
    """
    ret, latest = pl.col("_return"), pl.max_horizontal("decom", "dec").max()
    ends = (ret.first().alias("_first"), ret.last().alias("_last"), latest.alias("_latest"))
    first, last, day = episodes.select(ends).row(0)
    if first is not None and first == last:
        return {} if day is None else {first: codes.collection_year(day)}
    by_return = episodes.group_by("_return").agg(latest.alias("_latest"))
    return {
        r: codes.collection_year(d)
        for r, d in zip(by_return["_return"].to_list(), by_return["_latest"].to_list(), strict=True)
        if d is not None
    }


def _return_years(years: Mapping[int, int]) -> pl.Expr:
    """Each row's return's collection year (`_years_of_returns`), as an expression."""
    if len(set(years.values())) == 1:
        return pl.lit(next(iter(years.values())), pl.Int32)
    return pl.col("_return").replace_strict(
        list(years), list(years.values()), default=None, return_dtype=pl.Int32
    )


_LAST_YEAR_FIELDS = (
    ("503A", "rne"),
    ("503B", "ls"),
    ("503C", "cin"),
    ("503D", "place"),
    ("503E", "place_provider"),
    ("503F", "urn"),
)
"""The fields of a child's first episode that must match last year's open episode."""
_RECODED_PLACE = {
    2024: ("H5", ["K3"]),
    2025: ("H5", ["K3"]),
    2026: ("Z1", ["Z11", "Z12", "Z13", "Z14"]),
}
"""Placement types recoded in a collection year (503D allows the old code last year)."""


def _last_year_findings(episodes: pl.DataFrame, years: Mapping[int, int]) -> list[pl.DataFrame]:
    """Rules 502 and 503A-503F: a child's first episode against last year's return.

    Each return is compared with the return of the collection year before, when that is given
    too (as the DfE compares this year's return with last year's).
    The episodes are in `RULE_ORDER`. Last year's episode is the child's latest by DECOM
    (the first line of those starting that day); 502 compares every open one.
    """
    previous = {r: p for r, y in years.items() for p, py in years.items() if py == y - 1 and p != r}
    if not previous:
        return []
    keys = ["_return", "child"]
    firsts = (
        episodes.filter(pl.col("_return").is_in(list(previous)))
        .unique(keys, keep="first", maintain_order=True)
        .with_columns(
            pl.col("_return").replace_strict(previous, return_dtype=pl.Int64).alias("_last"),
            _return_years(years).alias("_year"),
        )
    )
    before = episodes.filter(pl.col("_return").is_in(list(previous.values())))
    latest = before.filter(pl.col("decom") == pl.col("decom").max().over(keys)).unique(
        keys, keep="first", maintain_order=True
    )
    opens = (
        before.filter(~pl.col("_dec_given"))
        .group_by(keys)
        .agg(pl.col("decom").min().alias("_open_min"), pl.col("decom").max().alias("_open_max"))
    )
    out: list[pl.DataFrame] = []
    with_open = firsts.join(
        opens.rename({"_return": "_last"}), on=["_last", "child"], how="inner"
    ).filter((pl.col("_open_min") != pl.col("decom")) | (pl.col("_open_max") != pl.col("decom")))
    out.append(
        with_open.select(
            "_file",
            pl.col("_row").cast(pl.Int64),
            pl.lit("DECOM").alias("_column"),
            pl.lit("502").alias("_rule"),
            joined(
                "last year's return ends with an open episode starting ",
                day("_open_min"),
                " but this return's first episode starts on ",
                day("decom"),
            ).alias("_message"),
            "child",
        )
    )
    matched = firsts.join(
        latest.select(
            *keys,
            pl.col("_dec_dfe").alias("_last_dec"),
            *(pl.col(c).alias(f"_last_{c}") for c in _FIELDS_503),
        ).rename({"_return": "_last"}),
        on=["_last", "child"],
        how="inner",
    ).filter(pl.col("_last_dec").is_null())
    for rule, c in _LAST_YEAR_FIELDS:
        differs = ~pl.col(c).eq_missing(pl.col(f"_last_{c}"))
        if c == "place":
            for year, (old, new) in _RECODED_PLACE.items():
                recoded = (
                    (pl.col("_year") == year) & pl.col(c).is_in(new) & (pl.col(f"_last_{c}") == old)
                )
                differs = differs & ~recoded.fill_null(False)
        out.append(
            matched.filter(differs).select(
                "_file",
                pl.col("_row").cast(pl.Int64),
                pl.lit(c.upper()).alias("_column"),
                pl.lit(rule).alias("_rule"),
                joined(
                    f"{c.upper()} is ",
                    q(c),
                    f" but last year's return ends with an open episode whose {c.upper()} is ",
                    q(f"_last_{c}"),
                ).alias("_message"),
                "child",
            )
        )
    return out


_FIELDS_503 = tuple(c for _, c in _LAST_YEAR_FIELDS)


def _with_dec_as_the_dfe_reads_it(
    episodes: pl.DataFrame, read_findings: Iterable[Finding]
) -> pl.DataFrame:
    """``episodes`` with ``_dec_dfe`` (DEC, if written ``dd/mm/YYYY``) and ``_dec_given``.

    The DfE's validator reads a DEC written with a two-digit year, or not a date, as no date
    (rules that compare dates) though given (rules that look at the text): the reading's
    findings say which rows hold one.
    """
    unread = {
        (f.file, f.row)
        for f in read_findings
        if f.column == "DEC"
        and f.row is not None
        and f.rule in ("date-format", "date-two-digit-year")
    }
    dec = pl.col("dec")
    if not unread:
        return episodes.with_columns(dec.alias("_dec_dfe"), dec.is_not_null().alias("_dec_given"))
    files, rows = zip(*sorted(unread), strict=True)
    marked = pl.DataFrame(
        {"_file": files, "_row": rows, "_unread": [True] * len(rows)},
        schema={"_file": pl.String, "_row": episodes.schema["_row"], "_unread": pl.Boolean},
    )
    unread_dec = pl.col("_unread").fill_null(False)
    return (
        episodes.join(marked, on=["_file", "_row"], how="left", maintain_order="left")
        .with_columns(
            pl.when(~unread_dec).then(dec).alias("_dec_dfe"),
            (dec.is_not_null() | unread_dec).alias("_dec_given"),
        )
        .drop("_unread")
    )


def in_rule_order(episodes: pl.DataFrame) -> bool:
    """Whether ``episodes`` is already in `RULE_ORDER` (ties allowed), with no null key.

    Args:
        episodes: Episodes as read.

    Returns:
        ``True`` if a stable sort by `RULE_ORDER` would leave ``episodes`` as it is.
    """
    return sorted_by(episodes, RULE_ORDER)


def validate(
    episodes: pl.DataFrame,
    header: pl.DataFrame | None = None,
    read_findings: Iterable[Finding] = (),
) -> list[Finding]:
    """Check episodes against the DfE episode and placement rules.

    All rules are evaluated in one parallel pass over the episodes; the findings are then
    written from the few rows that break one.

    Args:
        episodes: Episodes as returned by `read_episodes`: the rows as submitted. (Those
            returned by `reconcile` can be checked too; the sequence rules then find only
            what the repairs left.)
        header: Header rows as returned by `read_header`; when given, an episode child absent
            from every header is reported once (``child-not-in-header``).
        read_findings: The findings of reading ``episodes``: a DEC written with a two-digit
            year, or not a date, is given but not a date to the DfE's rules (as its validator
            reads it), though the import reads it (20YY) or leaves it blank.

    Returns:
        The findings, ordered by file and row.
    """
    return validate_rows(episodes, header, None, read_findings=read_findings)


def validate_rows(
    episodes: pl.DataFrame,
    header: pl.DataFrame | None,
    values: Mapping[str, Collection[str]] | None,
    *,
    in_order: bool = False,
    read_findings: Iterable[Finding] = (),
) -> list[Finding]:
    """`validate`, told the values of the code columns when they are known already.

    Args:
        episodes: As for `validate`; its code and postcode columns may also be
            `polars.Enum` columns of ``values`` (as `check_files` reads them), compared
            far more cheaply than texts.
        header: As for `validate`.
        values: For each column of `CODE_COLUMNS`, every value it holds (a superset will
            do, such as `ReadRows.values` of the rows read); ``None``: computed here.
        in_order: Whether ``episodes`` is known to be in `RULE_ORDER` already (else it is
            checked, and sorted if need be).
        read_findings: As for `validate`.

    Returns:
        As `validate`.
    """
    if not in_order and not in_rule_order(episodes):
        episodes = episodes.sort(list(RULE_ORDER), maintain_order=True)
    episodes = _with_dec_as_the_dfe_reads_it(episodes, read_findings)
    present = (
        distinct(episodes, CODE_COLUMNS)
        if values is None
        else {c: frozenset(values[c]) for c in CODE_COLUMNS}
    )
    years = _years_of_returns(episodes)
    rules = episode_rules(present, _return_years(years))
    flags = [r.mask.fill_null(False).alias(f"_rule{i}") for i, r in enumerate(rules)]
    flags += [
        invalid(c, code_list, present[c]).alias(f"_{c}_invalid") for c, code_list, _ in CODE_RULES
    ]
    # Lazily, so that what several rules share (temporary placements) is computed once, and
    # only the rows that break a rule are kept.
    broken = (
        _with_neighbours(episodes.lazy(), two_back=bool(_TEMPORARY & present["place"]))
        .with_columns(flags)
        .filter(pl.any_horizontal([pl.col(f.meta.output_name()) for f in flags]))
        .collect(engine="in-memory")
    )
    by_rule = broken.filter(pl.any_horizontal(pl.col(f"_rule{i}") for i in range(len(rules))))
    found = _emitted(by_rule, rules)
    invalid_code = pl.any_horizontal(pl.col(f"_{c}_invalid") for c, _, _ in CODE_RULES)
    found += _code_findings(broken.filter(invalid_code))
    found += _last_year_findings(episodes, years)
    if header is not None:
        first = episodes.join(header.select("child"), on="child", how="anti").unique(
            "child", keep="first", maintain_order=True
        )
        found.append(
            first.select(
                "_file",
                pl.col("_row").cast(pl.Int64),
                pl.lit("CHILD").alias("_column"),
                pl.lit("child-not-in-header").alias("_rule"),
                pl.concat_str(
                    [
                        pl.lit("CHILD "),
                        pl.col("child"),
                        pl.lit(" has episodes but is in no Header file"),
                    ]
                ).alias("_message"),
                "child",
            )
        )
    if header is not None and "dob" in header.columns:
        found.append(_before_birth(episodes, header))
    # Ordered by file and row (stable: for one row, in rule order), by polars.
    frames = [f.cast(_FINDING) for f in found] or [pl.DataFrame(schema=_FINDING)]
    ordered = pl.concat(frames).sort("_file", "_row", maintain_order=True)
    return from_columns([ordered[c].to_list() for c in _FINDING])


def _before_birth(episodes: pl.DataFrame, header: pl.DataFrame) -> pl.DataFrame:
    """A ``decom-before-dob`` finding for each episode starting before its child was born.

    The child's date of birth is the last one the Headers give (the newest return's); the
    episode is kept (the Header's date may be the wrong one), and the date of birth is not
    repeated in the message.
    """
    dobs = (
        header.filter(pl.col("dob").is_not_null())
        .unique("child", keep="last", maintain_order=True)
        .select(pl.col("child").cast(pl.String), pl.col("dob").alias("_dob"))
    )
    early = (
        episodes.select("_file", "_row", pl.col("child").cast(pl.String), "decom")
        .join(dobs, on="child", how="inner")
        .filter(pl.col("decom") < pl.col("_dob"))
    )
    return early.select(
        "_file",
        pl.col("_row").cast(pl.Int64),
        pl.lit("DECOM").alias("_column"),
        pl.lit("decom-before-dob").alias("_rule"),
        pl.concat_str(
            [
                pl.lit("DECOM "),
                pl.col("decom").dt.to_string("%d/%m/%Y"),
                pl.lit(" is before the child's date of birth (DOB in the Header)"),
            ]
        ).alias("_message"),
        "child",
    )
