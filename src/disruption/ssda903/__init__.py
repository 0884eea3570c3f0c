"""Import SSDA903 Episodes and Header files: read, reconcile several years, validate.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> from disruption.demo.returns import synthetic_returns
    >>> from disruption.ssda903 import check_files
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     folders = synthetic_returns(seed=1).write(Path(tmp))  # returns 2017 to 2025
    ...     report = check_files(folders[-2:])  # the 2024 and 2025 returns
    >>> report.findings[0].rule  # the 2025 return gives a 2024 episode again, changed
    'reconcile-duplicate'
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import polars as pl

from disruption.exceptions import ReturnYearClash, ReturnYearError, ReturnYearUnknown
from disruption.ssda903._normalise import as_text
from disruption.ssda903.files import EPISODES, HEADER, PathsArg, as_paths, locate
from disruption.ssda903.findings import (
    Finding,
    findings_to_csv,
    findings_to_json,
    write_findings_csv,
)
from disruption.ssda903.placements import PLACEMENT_COLUMNS, derive_placements
from disruption.ssda903.read import (
    EPISODE_COLUMNS,
    HEADER_COLUMNS,
    FileUnreadable,
    ReadRows,
    episode_rows,
    header_rows,
    read_episodes,
    read_header,
)
from disruption.ssda903.reconcile import reconcile
from disruption.ssda903.reconcile import reconciled as reconcile_rows
from disruption.ssda903.validate import RULE_ORDER, in_rule_order, validate, validate_rows

if TYPE_CHECKING:
    from disruption.ssda903.load import ImportPlan, ImportSummary, import_returns, plan_import

__all__ = [
    "EPISODE_COLUMNS",
    "HEADER_COLUMNS",
    "PLACEMENT_COLUMNS",
    "FileUnreadable",
    "Finding",
    "ImportPlan",
    "ImportSummary",
    "Report",
    "ReturnYearClash",
    "ReturnYearError",
    "ReturnYearUnknown",
    "check_files",
    "derive_placements",
    "findings_to_csv",
    "findings_to_json",
    "import_returns",
    "plan_import",
    "read_episodes",
    "read_header",
    "reconcile",
    "validate",
    "write_findings_csv",
]

_LOAD = frozenset({"ImportPlan", "ImportSummary", "import_returns", "plan_import"})
"""Names of :mod:`disruption.ssda903.load`, imported on first use: it imports this package."""


def __getattr__(name: str) -> Any:
    if name not in _LOAD:
        raise AttributeError(f"module 'disruption.ssda903' has no attribute {name!r}")
    value = getattr(importlib.import_module("disruption.ssda903.load"), name)
    globals()[name] = value
    return value


@attrs.frozen(eq=False)
class Report:
    """What `check_files` found.

    Attributes:
        episodes: The reconciled episodes, one history per child.
        header: The header rows of every return, or ``None`` when none could be read.
        findings: Every finding: reading, then reconciling, then validating (the rules
            check the rows as read, before reconciling).
    """

    episodes: pl.DataFrame
    header: pl.DataFrame | None
    findings: tuple[Finding, ...]


def check_files(paths: PathsArg, *, on_step: Callable[[str], object] | None = None) -> Report:
    """Read, reconcile and validate the SSDA903 returns in some files or folders.

    The result is that of `read_episodes`, then `validate` of the rows as read and
    `reconcile` of them, with less work: the values of the code columns, found while reading,
    are not looked for again; the rows are sorted as they are read; the code columns are
    compared as `polars.Enum` columns of those values, and are strings again in the report.

    Args:
        paths: Files, folders or a mix, of any number of returns, in any order: a folder's
            Episodes and Header CSV files are found by name ("episode", "header"), a folder
            may hold several years; a file given whose name contains "header" is read as a
            Header, any other as Episodes. Each file is read as the return its dates or its
            name say (`disruption.ssda903.files`); the same files in any shape or order give
            the same report.
        on_step: Called with ``"read"``, ``"validate"`` and ``"reconcile"`` as each step
            starts (to show progress, or time the steps).

    Returns:
        The report. A Header that cannot be read is a finding (``file-unreadable``), not an
        error; so is a return given with no Header beside others that have one
        (``header-missing``).

    Raises:
        FileUnreadable: A path does not exist, a folder holds no Episodes or Header file, no
            Episodes file is given, or one cannot be read at all.
        ReturnYearError: A file's return year cannot be told (`ReturnYearUnknown`), or two
            files of one table claim the same year (`ReturnYearClash`).
    """
    step = on_step or _quiet
    step("read")
    files = locate(paths)
    episode_paths = [f.path for f in files if f.table == EPISODES]
    if not episode_paths:
        given = ", ".join(str(p) for p in as_paths(paths)) or "(no paths)"
        headers = [f.path.name for f in files if f.table == HEADER]
        why = (
            f" ({', '.join(headers[:3])}{', ...' if len(headers) > 3 else ''}: a file whose "
            'name contains "header" is read as a Header file)'
            if headers
            else ""
        )
        raise FileUnreadable(given, f"no Episodes CSV file among the paths given{why}")
    # Each file's rows by CHILD, DECOM and line, the files by return: in `RULE_ORDER` when
    # no two files are of one return (sorted as the rows are read: one copy, not two).
    read = episode_rows(episode_paths, ordered=True)
    findings = list(read.findings)
    header, header_findings = _headers([f.path for f in files if f.table == HEADER], read)
    findings += header_findings
    # The rules check the rows as submitted; the import works on the repaired rows. Sorted
    # once for both (for one return, the rules' order is also reconciling's).
    step("validate")
    # Each frame is let go as soon as the next is made, so that its memory is used again
    # (fresh memory costs a page fault a page).
    rows, values, read_findings = read.frame, read.values, read.findings
    returns = set(read.years.values())
    one_return, one_file_each = len(returns) == 1, len(returns) == len(read.years)
    del read
    if not one_file_each and not in_rule_order(rows):
        rows = rows.sort(list(RULE_ORDER), maintain_order=True)
    checked = validate_rows(rows, header, values, in_order=True, read_findings=read_findings)
    step("reconcile")
    # One return's rows in `RULE_ORDER` are in reconciling's order too: not checked again.
    episodes, reconciled = reconcile_rows(rows, sorted_already=one_return)
    del rows
    findings += reconciled + checked
    return Report(as_text(episodes), header, tuple(findings))


def _headers(paths: Sequence[Path], read: ReadRows) -> tuple[pl.DataFrame | None, list[Finding]]:
    """The Header rows of the files that can be read, and the findings on them.

    A Header that cannot be read is a finding and is left out. When Headers were given, an
    Episodes return with none of its year gets a ``header-missing`` finding (unless the only
    Header's year cannot be told: it is then taken for every return; nor for a lone Episodes
    file whose year cannot be told).
    """
    findings: list[Finding] = []
    left = list(paths)
    while left:
        try:
            header = header_rows(left, dict(read.dated))
        except FileUnreadable as err:
            rest = [p for p in left if str(p) != err.file]
            if len(rest) == len(left):
                raise
            findings.append(Finding(err.file, None, None, "file-unreadable", err.message))
            left = rest
            continue
        findings += header.findings
        covered = set(header.years.values())
        if 0 not in covered:
            findings += [
                Finding(
                    str(path),
                    None,
                    None,
                    "header-missing",
                    f"no Header file was given for this return ({_label(year)}): its "
                    "children's dates of birth are not read from it",
                )
                for path, year in read.years.items()
                if year not in covered and year != 0
            ]
        findings.sort(key=lambda f: (f.file, f.row or 0))
        return header.frame, findings
    return None, findings


def _label(year: int) -> str:
    return f"{year - 1}-{year % 100:02d}"


def _quiet(step: str) -> None:
    """No progress shown."""
