"""Breakdown analysis: why placements end, from the store's cases and from SSDA903 returns."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from disruption.analysis.breakdown import (
    deadline_performance,
    endings,
    endings_by,
    open_placements,
    procedure_outcomes,
    recording_delay,
    review_factors,
    suppress,
)
from disruption.analysis.cases import case_table, deadline_table, entry_table, load_cases
from disruption.analysis.stability import stability  # the function: it shadows its module

if TYPE_CHECKING:
    from disruption.analysis.report import ReportFiles, write_report

__all__ = [
    "ReportFiles",
    "case_table",
    "deadline_performance",
    "deadline_table",
    "endings",
    "endings_by",
    "entry_table",
    "load_cases",
    "open_placements",
    "procedure_outcomes",
    "recording_delay",
    "review_factors",
    "stability",
    "suppress",
    "write_report",
]

_WHERE = {
    "ReportFiles": "disruption.analysis.report",
    "write_report": "disruption.analysis.report",
}
"""Names imported on first use: the report draws with matplotlib, which is slow to import."""


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'disruption.analysis' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
