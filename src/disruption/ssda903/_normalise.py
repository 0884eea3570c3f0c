"""Normalise the raw text columns of an SSDA903 file, working on distinct values where it pays.

A code column holds a few distinct values in a million rows, and a date column a few thousand:
normalising (stripping, upper-casing, parsing) each distinct value once and mapping the result
back is much cheaper than doing it on every row, and a column whose distinct values are all
clean is left as it is. Free-text columns (CHILD, URN, postcodes) have too many distinct values
for that and are stripped row by row. The result is the same as normalising every row.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import polars as pl

__all__ = ["PADDING", "dates", "text", "texts"]

PADDING = ' \t\r\n"'
"""Characters stripped from both ends of every value: white space and stray quotes."""


def text(value: pl.Expr, code: bool) -> pl.Expr:
    """A raw value stripped of `PADDING` (upper case for a code); blank as null.

    Args:
        value: The raw text.
        code: Whether the column holds codes (compared upper case).

    Returns:
        The normalised text.
    """
    value = value.str.strip_chars(PADDING)
    if code:
        value = value.str.to_uppercase()
    return pl.when(value != "").then(value)


def _distinct(raw: pl.DataFrame, columns: Sequence[str]) -> dict[str, pl.Series]:
    """The distinct non-null values of some columns, computed in one parallel pass."""
    if not columns:
        return {}
    found = raw.select(pl.col(c).unique().drop_nulls().implode() for c in columns).row(0)
    return {c: pl.Series(c, v, dtype=pl.String) for c, v in zip(columns, found, strict=True)}


def texts(raw: pl.DataFrame, columns: Sequence[str], codes: Collection[str]) -> dict[str, pl.Expr]:
    """Expressions that normalise the text columns of ``raw`` as `text` does (not the dates).

    A code column is normalised through its distinct values: only those that change are
    replaced, and a clean column is left as it is. The others are normalised row by row.

    Args:
        raw: The file as read, all columns text, named as in ``columns``.
        columns: The text columns to normalise (present in ``raw``).
        codes: Which of them hold codes.

    Returns:
        One expression per column, named after it, by column name.
    """
    exprs: dict[str, pl.Expr] = {}
    for c, old in _distinct(raw, [c for c in columns if c in codes]).items():
        new = pl.select(text(pl.lit(old), code=True)).to_series()
        changed = (old != new).fill_null(True)
        exprs[c] = (
            pl.col(c).replace(old.filter(changed), new.filter(changed)).alias(c)
            if changed.any()
            else pl.col(c)
        )
    for c in columns:
        if c not in codes:
            exprs[c] = pl.col(c).str.strip_chars(PADDING).replace("", None).alias(c)
    return exprs


def dates(raw: pl.DataFrame, columns: Sequence[str]) -> dict[str, pl.Expr]:
    """Expressions that parse date columns: ``dd/mm/YYYY``, or ``dd/mm/yy``.

    Each distinct value is parsed once and the result mapped back to the rows.

    Args:
        raw: The file as read, all columns text.
        columns: The raw date columns (present in ``raw``).

    Returns:
        For each column ``c``, by name: ``_c_present`` (not blank once stripped), ``_c_date``
        (the date, null if blank or malformed) and ``_c_two`` (read with a two-digit year).
    """
    exprs: dict[str, pl.Expr] = {}
    for c, values in _distinct(raw, columns).items():
        stripped = text(pl.col(c), code=False)
        four = stripped.str.slice(-5, 1) == "/"
        two = (stripped.str.slice(-3, 1) == "/") & (stripped.str.len_chars() <= 8)
        date = (
            pl.when(four)
            .then(stripped.str.strptime(pl.Date, "%d/%m/%Y", strict=False))
            .when(two)
            .then(stripped.str.strptime(pl.Date, "%d/%m/%y", strict=False))
        )
        parts = values.to_frame().select(
            c,
            stripped.is_null().alias("blank"),
            date.alias("date"),
            (two & date.is_not_null()).fill_null(False).alias("two"),
        )
        blank = parts.filter("blank")[c]
        read = parts.filter(pl.col("date").is_not_null())
        two_digit = parts.filter("two")[c]
        exprs[f"_{c}_present"] = (
            pl.col(c).is_not_null() & ~pl.col(c).is_in(blank.implode())
        ).alias(f"_{c}_present")
        exprs[f"_{c}_date"] = (
            pl.col(c)
            .replace_strict(read[c], read["date"], default=None, return_dtype=pl.Date)
            .alias(f"_{c}_date")
        )
        exprs[f"_{c}_two"] = (
            pl.col(c).is_in(two_digit.implode()).fill_null(False).alias(f"_{c}_two")
        )
    return exprs
