"""Import SSDA903 Episodes and Header files: read, reconcile several years, validate.

Example:
    >>> from disruption.ssda903 import check_files
    >>> report = check_files(["returns/2024", "returns/2025"])  # doctest: +SKIP
    >>> report.findings[0].rule  # doctest: +SKIP
    'date-two-digit-year'
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
import polars as pl

from disruption.ssda903.files import PathsArg, as_paths
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
    read_episode_rows,
    read_episodes,
    read_header,
)
from disruption.ssda903.reconcile import reconcile
from disruption.ssda903.validate import RULE_ORDER, in_rule_order, validate, validate_rows

__all__ = [
    "EPISODE_COLUMNS",
    "HEADER_COLUMNS",
    "PLACEMENT_COLUMNS",
    "FileUnreadable",
    "Finding",
    "Report",
    "check_files",
    "derive_placements",
    "findings_to_csv",
    "findings_to_json",
    "read_episodes",
    "read_header",
    "reconcile",
    "validate",
    "write_findings_csv",
]


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
    are not looked for again.

    Args:
        paths: Folders (one per return, holding an episodes and a header CSV) or files; a
            file whose name contains "header" is read as a Header, any other as Episodes.
        on_step: Called with ``"read"``, ``"validate"`` and ``"reconcile"`` as each step
            starts (to show progress, or time the steps).

    Returns:
        The report. A Header that cannot be read is a finding (``file-unreadable``), not an
        error.

    Raises:
        FileUnreadable: An Episodes file cannot be read at all.
    """
    step = on_step or _quiet
    given = as_paths(paths)
    episode_paths = [p for p in given if p.is_dir() or "header" not in p.name.lower()]
    header_paths = [p for p in given if p.is_dir() or "header" in p.name.lower()]
    step("read")
    read = read_episode_rows(episode_paths)
    findings = list(read.findings)
    header: pl.DataFrame | None = None
    if header_paths:
        try:
            header, header_findings = read_header(header_paths)
            findings += header_findings
        except FileUnreadable as err:
            findings.append(Finding(err.file, None, None, "file-unreadable", err.message))
    # The rules check the rows as submitted; the import works on the repaired rows. Sorted
    # once for both (for one return, the rules' order is also reconciling's).
    step("validate")
    rows = read.frame
    if not in_rule_order(rows):
        rows = rows.sort(list(RULE_ORDER), maintain_order=True)
    checked = validate_rows(rows, header, read.values, in_order=True, read_findings=read.findings)
    step("reconcile")
    episodes, reconciled = reconcile(rows)
    del rows
    del read  # the rows as read: freed once reconciled
    findings += reconciled + checked
    return Report(episodes, header, tuple(findings))


def _quiet(step: str) -> None:
    """No progress shown."""
