"""SSDA903 returns into the store: read, check, turn placements into cases, bulk-load them.

Internal: import its public names from :mod:`disruption.ssda903` (``docs/api.md``); the module
itself may move or change without notice.

How a historic placement becomes a case (its events, the planned rule, its reference) is in
:mod:`disruption.ssda903.historic`. Loading goes through the store's bulk load, one
transaction per batch; a case the store holds already is left alone, so importing the same
files twice adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import attrs

from disruption.engine.ports import EventLog, NewCase
from disruption.ssda903 import Report, check_files
from disruption.ssda903.findings import Finding
from disruption.ssda903.historic import historic_cases
from disruption.ssda903.read import PathsArg

__all__ = ["ImportPlan", "ImportSummary", "import_returns", "plan_import"]


@attrs.frozen
class ImportSummary:
    """What :func:`import_returns` did.

    Attributes:
        episodes: Episodes after reconciliation.
        children: Distinct children.
        placements: Placements derived.
        added: Cases added to the store.
        present: Cases the store held already (left unchanged).
        findings: Every finding: reading, reconciling, validating, then importing.
    """

    episodes: int
    children: int
    placements: int
    added: int
    present: int
    findings: tuple[Finding, ...]


@attrs.frozen(eq=False)
class ImportPlan:
    """Returns read, checked and turned into cases, ready to load into a store.

    Attributes:
        report: What reading, reconciling and checking found.
        cases: The new cases, one per placement.
        skipped: Findings for placements that could not become cases.
    """

    report: Report
    cases: tuple[NewCase, ...]
    skipped: tuple[Finding, ...]

    def load(
        self,
        store: EventLog,
        *,
        batch_size: int = 1000,
        progress: Callable[[int, int], None] | None = None,
    ) -> ImportSummary:
        """Load the cases through the store's bulk load (cases it holds are left alone).

        Args:
            store: The store.
            batch_size: Cases per transaction.
            progress: Called with (cases handled, cases in all) after each batch.

        Returns:
            The summary.
        """
        total = len(self.cases)
        added = store.bulk_append(
            self.cases,
            batch_size=batch_size,
            progress=None if progress is None else (lambda done: progress(done, total)),
        )
        episodes = self.report.episodes
        return ImportSummary(
            episodes=episodes.height,
            children=episodes["child"].n_unique() if episodes.height else 0,
            placements=total + len(self.skipped),
            added=added,
            present=total - added,
            findings=(*self.report.findings, *self.skipped),
        )


def plan_import(
    paths: PathsArg,
    *,
    recorded_at: datetime,
    borough_districts: frozenset[str] | None = None,
    on_step: Callable[[str], object] | None = None,
) -> ImportPlan:
    """Read, reconcile and check returns, and build their cases; nothing is written.

    Args:
        paths: Folders or files, as for :func:`~disruption.ssda903.check_files`.
        recorded_at: When the import runs.
        borough_districts: See :func:`historic_cases`.
        on_step: As for :func:`~disruption.ssda903.check_files`.

    Returns:
        The plan; :meth:`ImportPlan.load` writes it.

    Raises:
        FileUnreadable: An Episodes file cannot be read at all.
    """
    report = check_files(paths, on_step=on_step)
    found: list[Finding] = []
    cases = tuple(
        historic_cases(
            report, recorded_at=recorded_at, borough_districts=borough_districts, findings=found
        )
    )
    return ImportPlan(report, cases, tuple(found))


def import_returns(
    paths: PathsArg,
    store: EventLog,
    *,
    recorded_at: datetime,
    borough_districts: frozenset[str] | None = None,
    batch_size: int = 1000,
    progress: Callable[[int, int], None] | None = None,
) -> ImportSummary:
    """Read, reconcile and check returns, and load their placements into a store.

    Args:
        paths: Folders or files, as for :func:`~disruption.ssda903.check_files`.
        store: The store to load into (through its bulk load: one transaction per batch).
        recorded_at: When the import runs.
        borough_districts: See :func:`historic_cases`.
        batch_size: Cases per transaction.
        progress: Called with (cases handled, cases in all) after each batch.

    Returns:
        The summary.

    Raises:
        FileUnreadable: An Episodes file cannot be read at all (nothing is written).
    """
    plan = plan_import(paths, recorded_at=recorded_at, borough_districts=borough_districts)
    return plan.load(store, batch_size=batch_size, progress=progress)
