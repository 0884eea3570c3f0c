"""The findings about single rows of an SSDA903 file: blank CHILD, malformed or two-digit dates.

They are written from the few rows noted while reading, never from the whole file.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import polars as pl

from disruption.ssda903._normalise import EARLIEST, LATEST, text
from disruption.ssda903.findings import Finding

__all__ = ["row_findings"]


def _out_of_range(column: str) -> pl.Expr:
    """Whether a malformed value is a ``dd/mm/YYYY`` date, but outside `EARLIEST` to `LATEST`.

    (A two-digit year is always read within them.)
    """
    value = pl.col(column)
    four = (
        value.str.contains(r"/\d{4}$")
        & value.str.strptime(pl.Date, "%d/%m/%Y", strict=False).is_not_null()
    )
    return four.fill_null(False).alias("_out")


def row_findings(
    file: str,
    noted: pl.DataFrame,
    given: Collection[str],
    dates: Sequence[str],
    required_dates: Collection[str],
) -> list[Finding]:
    """The findings on the noted rows of one file, in the order the reader lists them.

    Args:
        file: The file, as given to the reader.
        noted: The rows to report on: ``_row``, ``child`` (normalised), each raw date column
            and its ``_c_present``, ``_c_date`` and ``_c_two`` columns.
        given: The date columns the file has.
        dates: The date columns read.
        required_dates: Those without which a row is skipped.

    Returns:
        The findings (not yet sorted by row).
    """
    findings: list[Finding] = []
    skip = pl.col("child").is_null()
    bad_date = {c: pl.col(f"_{c}_present") & pl.col(f"_{c}_date").is_null() for c in dates}
    two_digit = {c: pl.col(f"_{c}_two") for c in dates}
    small = noted.with_columns(text(pl.col(c), code=False).alias(c) for c in given)
    findings.extend(
        Finding(file, row, "CHILD", "missing-value", "CHILD is blank; row skipped")
        for row in small.filter(skip)["_row"].to_list()
    )
    flagged = small.filter(pl.any_horizontal([*two_digit.values(), *bad_date.values()]) & ~skip)
    for c in dates:
        label = c.upper()
        action = "row skipped" if c in required_dates else "read as blank"
        findings.extend(
            Finding(
                file,
                row,
                label,
                "date-range" if out else "date-format",
                f"{label} {value!r} is "
                + (f"out of range ({EARLIEST:%d/%m/%Y} to {LATEST:%d/%m/%Y})" if out else
                   "not a dd/mm/YYYY date")
                + f"; {action}",
                child,
            )
            for row, child, value, out in flagged.filter(bad_date[c])
            .select("_row", "child", c, _out_of_range(c))
            .rows()
        )  # fmt: skip
        findings.extend(
            Finding(
                file,
                row,
                label,
                "date-two-digit-year",
                f"{label} {value!r} has a two-digit year; read as {read:%d/%m/%Y}",
                child,
            )
            for row, child, value, read in flagged.filter(two_digit[c])
            .select("_row", "child", c, f"_{c}_date")
            .rows()
        )
    for c in required_dates:
        findings.extend(
            Finding(
                file, row, c.upper(), "missing-value", f"{c.upper()} is blank; row skipped", child
            )
            for row, child in small.filter(~pl.col(f"_{c}_present") & ~skip)
            .select("_row", "child")
            .rows()
        )
        skip = skip | pl.col(f"_{c}_date").is_null()
    return findings
