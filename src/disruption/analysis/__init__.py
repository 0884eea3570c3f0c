"""Breakdown analysis: why placements end, from the store's cases and from SSDA903 returns."""

from __future__ import annotations

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

__all__ = [
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
    "suppress",
]
