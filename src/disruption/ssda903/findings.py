"""Data-quality findings: one problem found in an SSDA903 file, with where it is and why.

Internal: import its public names from :mod:`disruption.ssda903` (``docs/api.md``); the module
itself may move or change without notice.

Example:
    >>> f = Finding("episodes.csv", 3, "DEC", "356", "DEC is before DECOM", child="42")
    >>> findings_to_csv([f]).splitlines()[1]
    'episodes.csv,3,DEC,356,DEC is before DECOM,42'
"""

from __future__ import annotations

import csv
import gc
import io
import json
from collections import deque
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TextIO

import attrs

__all__ = ["FIELDS", "Finding", "findings_to_csv", "findings_to_json", "write_findings_csv"]

FIELDS = ("file", "row", "column", "rule", "message", "child")


@attrs.frozen
class Finding:
    """One data-quality finding.

    Attributes:
        file: The file the value came from, as given to the reader.
        row: The line number in that file (the header is line 1), or ``None`` for the whole file.
        column: The DfE column name (upper case), or ``None`` for the whole row or file.
        rule: The DfE validator rule number (``"356"``) or the importer's own rule name.
        message: A plain-language sentence saying what is wrong and what was done.
        child: The CHILD identifier, when known.
    """

    file: str
    row: int | None
    column: str | None
    rule: str
    message: str
    child: str | None = None

    def as_dict(self) -> dict[str, str | int | None]:
        """The finding as a plain dict, keys in `FIELDS` order.

        Returns:
            The dict.
        """
        return {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "rule": self.rule,
            "message": self.message,
            "child": self.child,
        }


_SETTERS = tuple(getattr(Finding, name).__set__ for name in FIELDS)
"""The slot setter of each field of `Finding`, in `FIELDS` order."""


def from_columns(columns: Sequence[Sequence[object]]) -> list[Finding]:
    """Findings from their fields given column by column (in `FIELDS` order).

    The same as ``[Finding(*row) for row in zip(*columns)]``, several times cheaper for
    tens of thousands of findings: each field is set through its slot directly (not through
    the frozen class's guarded ``__setattr__``), a column at a time, with the cyclic garbage
    collector paused (findings hold only texts and numbers: no cycle to collect).

    Args:
        columns: One sequence per field of `FIELDS`, all of the same length; the values must
            be of the fields' types (they are not converted or checked).

    Returns:
        The findings, one per position.

    Raises:
        ValueError: The columns are not one per field, or not all of the same length.
    """
    if len(columns) != len(FIELDS) or len({len(c) for c in columns}) > 1:
        raise ValueError("from_columns needs one column per field, of one length")
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        new = object.__new__
        found = [new(Finding) for _ in columns[0]]
        for setter, values in zip(_SETTERS, columns, strict=True):
            deque(map(setter, found, values), maxlen=0)
    finally:
        if was_enabled:
            gc.enable()
    return found


def findings_to_json(findings: Iterable[Finding]) -> str:
    """Serialise findings as a JSON array of objects.

    Args:
        findings: The findings.

    Returns:
        The JSON text.
    """
    return json.dumps([f.as_dict() for f in findings])


def write_findings_csv(findings: Iterable[Finding], out: TextIO | Path) -> None:
    """Write findings as CSV with a header line (`FIELDS`); blanks for ``None``.

    Args:
        findings: The findings.
        out: An open text stream, or a path to create (UTF-8).
    """
    if isinstance(out, Path):
        with out.open("w", encoding="utf-8", newline="") as stream:
            write_findings_csv(findings, stream)
        return
    writer = csv.writer(out)
    writer.writerow(FIELDS)
    for f in findings:
        writer.writerow(["" if v is None else v for v in f.as_dict().values()])


def findings_to_csv(findings: Iterable[Finding]) -> str:
    """Findings as CSV text (see `write_findings_csv`).

    Args:
        findings: The findings.

    Returns:
        The CSV text.
    """
    buffer = io.StringIO(newline="")
    write_findings_csv(findings, buffer)
    return buffer.getvalue()
