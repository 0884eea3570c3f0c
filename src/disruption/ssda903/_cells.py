"""What the reader does with bytes that are not UTF-8, and with cells too long to be SSDA903.

Encoding: a file is read as UTF-8 (a byte-order mark is ignored). A file that is not UTF-8
is read line by line: a line that is UTF-8 is kept as it is, and a line that is not is read
as Windows-1252 (the "ANSI" of the spreadsheets and case-management exports local
authorities use, of which Latin-1 is nearly all), with an ``encoding`` finding naming its row
and the column of its first byte that is not UTF-8. Nothing is turned into U+FFFD silently:
a byte that Windows-1252 leaves undefined (five of them) is read as U+FFFD, and the finding
says so.

Cell lengths: no SSDA903 value is long (a CHILD is at most 10 characters at the DfE, a
postcode 8, a URN 8, a code 5). A row with a CHILD longer than `MAX_CHILD` characters, or any
other cell longer than `MAX_CELL`, is skipped with a ``cell-too-long`` finding naming its row,
column, length and the limit (the value is not repeated). The check on a well-formed file is
one pass over the lengths of the free-text columns (CHILD, URN), which polars keeps beside
the text, and the distinct values of the others.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import polars as pl

from disruption.ssda903.findings import Finding

__all__ = ["MAX_CELL", "MAX_CHILD", "too_long", "transcoded"]

MAX_CHILD: Final = 64
"""Longest CHILD accepted, in characters (the DfE's is at most 10)."""
MAX_CELL: Final = 256
"""Longest value of any other column accepted, in characters (the longest DfE value is a
13-character UPN)."""

_ENCODING: Final = "cp1252"


def _limit(column: str) -> int:
    return MAX_CHILD if column == "child" else MAX_CELL


def _clean(name: str) -> str:
    return name.replace("\ufeff", "").strip().upper()


def _column_of(line: bytes, at: int, names: Sequence[str]) -> str:
    """The column name (upper case) of the field of ``line`` holding byte ``at``."""
    before = line[:at].decode(_ENCODING, errors="replace")
    index = len(next(csv.reader([before]), [""])) - 1
    return names[index] if index < len(names) else f"column {index + 1}"


def transcoded(file: str, path: Path) -> tuple[bytes, list[Finding]]:
    """A file that is not UTF-8 as UTF-8, each line that is not read as Windows-1252.

    Args:
        file: The file, as given to the reader (for the findings).
        path: The file.

    Returns:
        The file's text as UTF-8 bytes, and an ``encoding`` finding for each line that was
        not UTF-8 (none when the whole file is).
    """
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return data, []
    lines = data.splitlines(keepends=True)
    head = lines[0].decode("utf-8", errors="replace") if lines else ""
    names = [_clean(n) for n in next(csv.reader([head]), [])]
    findings: list[Finding] = []
    for number, line in enumerate(lines, 1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as err:
            text = line.decode(_ENCODING, errors="replace")
            lost = "\ufffd" in text
            lines[number - 1] = text.encode("utf-8")
            column = _column_of(line, err.start, names)
            message = (
                f"{column} is not UTF-8 (byte 0x{line[err.start]:02X}); the line was read as "
                "Windows-1252"
                + ("; bytes that are not Windows-1252 either read as U+FFFD" if lost else "")
            )
            findings.append(Finding(file, number, column, "encoding", message))
    return b"".join(lines), findings


def too_long(
    file: str, raw: pl.DataFrame, columns: Sequence[str]
) -> tuple[pl.DataFrame, list[Finding]]:
    """``raw`` without its rows holding a cell over its limit, and a finding for each.

    Args:
        file: The file, as given to the reader.
        raw: The rows as read: ``columns`` as text (strings, or categoricals of their own
            categories) and ``_row``.
        columns: The columns read.

    Returns:
        The rows kept (every categorical column's categories those of its rows kept), and
        the ``cell-too-long`` findings, by row.
    """
    strings = [c for c in columns if raw.schema[c] == pl.String]
    longest = raw.select(pl.col(c).str.len_bytes().max() for c in strings).row(0, named=True)
    for c in columns:
        if c not in strings:
            longest[c] = raw.schema[c].categories.to_series().str.len_bytes().max()  # type: ignore[attr-defined]
    # Characters are never more than bytes: a column whose longest value is within its
    # limit in bytes is within it in characters (the usual case: nothing more is done).
    over = [c for c in columns if (longest[c] or 0) > _limit(c)]
    if not over:
        return raw, []
    lengths = {c: pl.col(c).cast(pl.String).str.len_chars() for c in over}
    bad = raw.select(
        "_row",
        pl.col("child").cast(pl.String).str.strip_chars().alias("_child"),
        *(lengths[c].alias(f"_{c}_len") for c in over),
    ).filter(pl.any_horizontal(pl.col(f"_{c}_len") > _limit(c) for c in over))
    findings: list[Finding] = []
    for row in bad.iter_rows(named=True):
        child = row["_child"] if (row["_child"] or "") and len(row["_child"]) <= MAX_CHILD else None
        for c in over:
            length = row[f"_{c}_len"]
            if length is not None and length > _limit(c):
                findings.append(
                    Finding(
                        file,
                        row["_row"],
                        c.upper(),
                        "cell-too-long",
                        f"{c.upper()} is {length:,} characters long, more than the "
                        f"{_limit(c)} the reader accepts; row skipped",
                        None if c == "child" else child,
                    )
                )
    if not findings:  # longer in bytes only
        return raw, []
    kept = raw.filter(~pl.col("_row").is_in(bad["_row"].implode()))
    recast = [
        pl.col(c).cast(pl.String).cast(pl.Categorical(pl.Categories.random())).alias(c)
        for c in columns
        if c not in strings
    ]
    return kept.with_columns(recast) if recast else kept, findings
