"""Import SSDA903 Episodes and Header files: read, reconcile several years, validate.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> from disruption.demo_returns import synthetic_returns
    >>> from disruption.ssda903 import check_files
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     folders = synthetic_returns(seed=1).write(Path(tmp))  # returns 2017 to 2025
    ...     report = check_files(folders[-2:])  # the 2024 and 2025 returns
    >>> report.findings[0].rule  # the 2025 return gives a 2024 episode again, changed
    'reconcile-duplicate'
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
from disruption.ssda903.validate import validate, validate_rows

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
        findings: Every finding: reading, then reconciling, then validating.
    """

    episodes: pl.DataFrame
    header: pl.DataFrame | None
    findings: tuple[Finding, ...]


def check_files(paths: PathsArg, *, on_step: Callable[[str], object] | None = None) -> Report:
    """Read, reconcile and validate the SSDA903 returns in some files or folders.

    The result is that of `read_episodes`, `reconcile` and `validate` in turn, with less
    work: the values of the code columns, found while reading, are not looked for again.

    Args:
        paths: Folders (one per return, holding an episodes and a header CSV) or files; a
            file whose name contains "header" is read as a Header, any other as Episodes.
        on_step: Called with ``"read"``, ``"reconcile"`` and ``"validate"`` as each step
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
    step("reconcile")
    episodes, reconciled = reconcile(read.frame)
    values = read.values
    del read  # the rows as read: freed before validating
    findings += reconciled
    kept_open = {(f.file, f.row) for f in reconciled if f.rule == "rec-without-dec"}
    step("validate")
    findings += [
        f
        for f in validate_rows(episodes, header, values)
        if not (f.rule == "148" and (f.file, f.row) in kept_open)
    ]
    return Report(episodes, header, tuple(findings))


def _quiet(step: str) -> None:
    """No progress shown."""
