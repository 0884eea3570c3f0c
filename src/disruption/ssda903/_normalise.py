"""Normalise the raw text columns of an SSDA903 file, working on distinct values where it pays.

A code column holds a few distinct values in a million rows, a date column a few thousand: the
reader gives them as `polars.Categorical` columns, each of categories of its own (the reader
finds the distinct values while it parses), so that normalising (stripping, upper-casing,
parsing) each distinct value once and mapping the result back through each row's index among
them (a gather, no hashing) is much cheaper than doing it on every row. A free-text column
(CHILD, URN) has too many distinct values for that: it is stripped row by row, and only when a
cheap scan finds a character to strip. The result is the same as normalising every row.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date

import polars as pl

__all__ = ["EARLIEST", "LATEST", "PADDING", "as_text", "normalise", "text", "unified"]

PADDING = ' \t\r\n"'
"""Characters stripped from both ends of every value: white space and stray quotes."""

EARLIEST, LATEST = date(1900, 1, 1), date(2199, 12, 31)
"""The dates read: one outside them is read as malformed (blank, or its row skipped), with a
finding saying it is out of range."""


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
    parsed = (
        pl.when(four)
        .then(stripped.str.strptime(pl.Date, "%d/%m/%Y", strict=False))
        .when(two)
        .then(stripped.str.strptime(pl.Date, "%d/%m/%y", strict=False))
    )
    date = pl.when(parsed.is_between(EARLIEST, LATEST)).then(parsed)
    return (
        values.rename("value")
        .to_frame()
        .select(
            stripped.is_not_null().alias("present"),
            date.alias("date"),
            (two & date.is_not_null()).fill_null(False).alias("two"),
        )
    )


def _categories(raw: pl.DataFrame, column: str) -> pl.Series:
    """A categorical column's categories, by index (its own: the values the reader found)."""
    dtype = raw.schema[column]
    if not isinstance(dtype, pl.Categorical):
        raise TypeError(f"{column} is {dtype}, not a categorical of its own categories")
    return dtype.categories.to_series()


def _mapped(column: str, new: pl.Series) -> pl.Expr:
    """A categorical or Enum ``column``'s values, each category ``i`` read as ``new[i]``."""
    return pl.lit(new).gather(pl.col(column).to_physical())


def normalise(
    raw: pl.DataFrame,
    columns: Sequence[str],
    codes: Collection[str],
    by_value: Collection[str],
    dates: Sequence[str],
) -> tuple[pl.DataFrame, dict[str, frozenset[str]]]:
    """Normalise the text columns of ``raw`` as `text` does, and parse its date columns.

    Args:
        raw: The file as read, all columns text: those of ``by_value`` and ``dates`` as
            `polars.Categorical` columns, each of categories of its own (which hold only
            values the reader found in it), the others as strings.
        columns: The text columns to normalise, in place.
        codes: Which of them hold codes (upper-cased).
        by_value: Which of them to normalise through their distinct values (few of them).
        dates: The date columns to parse: ``dd/mm/YYYY``, or ``dd/mm/yy``.

    Returns:
        ``raw`` with ``columns`` normalised (those of ``by_value`` as a `polars.Enum` of
        their normalised values in sorted order, the others as strings; `as_text` makes
        them strings), and, for each date column ``c``
        (left as read): ``_c_present`` (not blank once stripped), ``_c_date`` (null if blank
        or malformed) and ``_c_two`` (read with a two-digit year); and the distinct non-null
        values, once normalised, of each column of ``by_value`` (those its categories hold: a
        superset of its values).
    """
    free = [c for c in columns if c not in by_value]
    scans = [
        *(pl.col(c).str.contains_any(list(PADDING)).any().alias(f"{c}+pad") for c in free),
        *((pl.col(c) == "").any().alias(f"{c}+blank") for c in free),
    ]
    scanned = raw.select(scans).row(0, named=True) if scans else {}
    done: list[pl.Expr] = []
    normalised: dict[str, frozenset[str]] = {}
    for c in columns:
        if c in free and scanned[f"{c}+pad"]:
            done.append(pl.col(c).str.strip_chars(PADDING).replace("", None))
        elif c in free and scanned[f"{c}+blank"]:
            done.append(pl.when(pl.col(c) != "").then(pl.col(c)).alias(c))
        elif c not in free:
            new = pl.select(text(pl.lit(_categories(raw, c)), code=c in codes)).to_series()
            kinds = sorted(set(new.drop_nulls().to_list()))
            normalised[c] = frozenset(kinds)
            done.append(_mapped(c, new.cast(pl.Enum(kinds))).alias(c))
    for c in dates:
        parts = _parsed(_categories(raw, c))
        at = pl.col(c).to_physical()
        # Looked up per row only when some value differs: usually all present, none two-digit.
        present, two = parts["present"], parts["two"]
        done += [
            pl.lit(parts["date"]).gather(at).alias(f"_{c}_date"),
            (
                pl.col(c).is_not_null()
                if present.all()
                else pl.lit(present).gather(at).fill_null(False)
            ).alias(f"_{c}_present"),
            (pl.lit(two).gather(at).fill_null(False) if two.any() else pl.lit(False)).alias(
                f"_{c}_two"
            ),
        ]
    return raw.with_columns(done), normalised


def unified(
    frames: Sequence[pl.DataFrame], values: Mapping[str, Collection[str]]
) -> list[pl.DataFrame]:
    """The frames of several files, each column of ``values`` an Enum of the same values.

    Args:
        frames: Frames as `normalise` returns them (a column missing from a file: blank
            strings).
        values: For each `polars.Enum` column, every value it holds in any of the frames.

    Returns:
        The frames, each column of ``values`` a `polars.Enum` of its values in sorted order
        (remapped through its own categories, a gather, not hashed again), so that they can
        be concatenated and compared.
    """
    out: list[pl.DataFrame] = []
    for frame in frames:
        changed: list[pl.Expr] = []
        for c, held in values.items():
            target, dtype = pl.Enum(sorted(held)), frame.schema[c]
            if dtype == target:
                continue
            if isinstance(dtype, pl.Enum):
                changed.append(_mapped(c, dtype.categories.cast(target)).alias(c))
            else:
                changed.append(pl.col(c).cast(target))
        out.append(frame.with_columns(changed) if changed else frame)
    return out


def as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with its `polars.Enum` columns as strings (a gather of their categories).

    Args:
        frame: A frame whose code columns may be Enums (`normalise`).

    Returns:
        The frame, every Enum column a string column of the same values.
    """
    enums = {c: t for c, t in frame.schema.items() if isinstance(t, pl.Enum)}
    if not enums:
        return frame
    return frame.with_columns(_mapped(c, t.categories).alias(c) for c, t in enums.items())
