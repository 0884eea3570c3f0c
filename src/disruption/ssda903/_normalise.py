"""Normalise the raw text columns of an SSDA903 file, working on distinct values where it pays.

A code column holds a few distinct values in a million rows, a date column a few thousand:
normalising (stripping, upper-casing, parsing) each distinct value once and mapping the result
back (through an `polars.Enum` of the distinct values) is much cheaper than doing it on every
row, and a column whose distinct values are all clean is left as it is. A date column is cast
to a `polars.Categorical` of its own categories, which gives its distinct values and each row's
index among them in one hashing pass (a code column's few values are found more cheaply by
comparing rows with the values of its first rows, see `distinct_values`). A free-text column
(CHILD, URN) has too many distinct values for that: it is stripped row by row, and only when a
cheap scan finds a character to strip. The result is the same as normalising every row.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import polars as pl

from disruption.ssda903._distinct import distinct_values

__all__ = ["PADDING", "normalise", "text"]

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


def _parsed(values: pl.Series) -> pl.DataFrame:
    """Each raw date value read as ``dd/mm/YYYY``, or ``dd/mm/yy``: present, date, two."""
    stripped = text(pl.col("value"), code=False)
    four = stripped.str.slice(-5, 1) == "/"
    two = (stripped.str.slice(-3, 1) == "/") & (stripped.str.len_chars() <= 8)
    date = (
        pl.when(four)
        .then(stripped.str.strptime(pl.Date, "%d/%m/%Y", strict=False))
        .when(two)
        .then(stripped.str.strptime(pl.Date, "%d/%m/%y", strict=False))
    )
    return (
        values.rename("value")
        .to_frame()
        .select(
            stripped.is_not_null().alias("present"),
            date.alias("date"),
            (two & date.is_not_null()).fill_null(False).alias("two"),
        )
    )


def _mapped(column: str, old: pl.Series, new: pl.Series) -> pl.Expr:
    """``column``'s values, each ``old[i]`` read as ``new[i]`` (``old`` holds every value)."""
    return pl.lit(new).gather(pl.col(column).cast(pl.Enum(old)).to_physical())


def normalise(
    raw: pl.DataFrame,
    columns: Sequence[str],
    codes: Collection[str],
    by_value: Collection[str],
    dates: Sequence[str],
) -> tuple[pl.DataFrame, dict[str, frozenset[str]]]:
    """Normalise the text columns of ``raw`` as `text` does, and parse its date columns.

    Args:
        raw: The file as read, all columns text.
        columns: The text columns to normalise, in place.
        codes: Which of them hold codes (upper-cased).
        by_value: Which of them to normalise through their distinct values (few of them).
        dates: The date columns to parse: ``dd/mm/YYYY``, or ``dd/mm/yy``.

    Returns:
        ``raw`` with ``columns`` normalised and, for each date column ``c``: ``_c_present``
        (not blank once stripped), ``_c_date`` (null if blank or malformed) and ``_c_two``
        (read with a two-digit year); and the distinct non-null values, once normalised,
        of each column of ``by_value``.
    """
    # A date column's distinct values and each row's index among them, in one hashing pass;
    # the categories live only while a column of them does.
    categories = {c: pl.Categories.random() for c in dates}
    raw = raw.with_columns(
        pl.col(c).cast(pl.Categorical(categories[c])).alias(f"_{c}_at") for c in dates
    )
    free = [c for c in columns if c not in by_value]
    values, scanned = distinct_values(
        raw,
        [c for c in columns if c in by_value],
        *(pl.col(c).str.contains_any(list(PADDING)).any().alias(f"{c}+pad") for c in free),
        *((pl.col(c) == "").any().alias(f"{c}+blank") for c in free),
    )
    first: list[pl.Expr] = []
    normalised: dict[str, frozenset[str]] = {}
    for c in columns:
        if c in free and scanned[f"{c}+pad"]:
            first.append(pl.col(c).str.strip_chars(PADDING).replace("", None))
        elif c in free and scanned[f"{c}+blank"]:
            first.append(pl.when(pl.col(c) != "").then(pl.col(c)).alias(c))
        elif c not in free:
            old = pl.Series(values[c], dtype=pl.String)
            new = pl.select(text(pl.lit(old), code=c in codes)).to_series()
            normalised[c] = frozenset(new.drop_nulls().to_list())
            if not old.equals(new):
                first.append(_mapped(c, old, new).alias(c))
    second: list[pl.Expr] = []
    for c in dates:
        parts = _parsed(categories[c].to_series())
        first.append(pl.col(f"_{c}_at").to_physical())
        # Looked up per row only when some value differs: usually all present, none two-digit.
        present, two = parts["present"], parts["two"]
        second += [
            pl.lit(parts["date"]).gather(f"_{c}_at").alias(f"_{c}_date"),
            (
                pl.col(f"_{c}_at").is_not_null()
                if present.all()
                else pl.lit(present).gather(f"_{c}_at").fill_null(False)
            ).alias(f"_{c}_present"),
            (pl.lit(two).gather(f"_{c}_at").fill_null(False) if two.any() else pl.lit(False)).alias(
                f"_{c}_two"
            ),
        ]
    frame = raw.with_columns(first).with_columns(second).drop([f"_{c}_at" for c in dates])
    return frame, normalised
