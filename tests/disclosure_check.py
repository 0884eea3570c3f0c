"""An independent check of a published report: can any hidden cell (``c``) be worked out?

It knows nothing of how the report hides cells: it reads the published tables as text, writes
down what any reader knows of how their cells add up (each ``Total`` row and column, the
deadline and outcome rows, the same total in every table of endings, each group of reasons
as the sum of its reasons, the placements in and out of borough adding up to the open
placements), and for each hidden cell asks SciPy's integer solver for the smallest and the
largest value it can take over every set of whole numbers that agrees with what is shown.
A hidden cell is at least 1 (the report shows zeros). It also finds shares shown beside a
hidden count, and counts under the threshold left visible.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import polars as pl
from scipy.optimize import Bounds, LinearConstraint, milp

from disruption.domain.codes import REASON_GROUPS

Cell = tuple[str, int, str]
HIDDEN = "c"
_NUMBER = re.compile(r"^(\d+|c)$")


def read_report(folder: Path) -> dict[str, pl.DataFrame]:
    """Every published table of a report folder, as text (``survival.csv`` has no counts)."""
    return {
        path.stem: pl.read_csv(path, infer_schema_length=0)
        for path in sorted(folder.glob("*.csv"))
        if path.stem != "survival"
    }


def _is_share(column: str) -> bool:
    return column.startswith(("percent", "median", "england")) or column in (
        "published_year",
        "year_end",
    )


def _count_columns(frame: pl.DataFrame) -> list[str]:
    return [
        c
        for c in frame.columns[1:]
        if not _is_share(c)
        and frame.height
        and all(v is not None and _NUMBER.match(v) for v in frame[c].to_list())
    ]


def cells_of(tables: Mapping[str, pl.DataFrame]) -> dict[Cell, int | None]:
    """Every count cell: its value, or ``None`` where hidden."""
    cells: dict[Cell, int | None] = {}
    for name, frame in tables.items():
        for column in _count_columns(frame):
            for row, value in enumerate(frame[column].to_list()):
                cells[(name, row, column)] = None if value == HIDDEN else int(value)
    return cells


def equations(tables: Mapping[str, pl.DataFrame]) -> list[tuple[list[Cell], Cell]]:
    """What a reader knows: each list of parts adds up to its whole."""
    found: list[tuple[list[Cell], Cell]] = []
    for name, frame in tables.items():
        counts = _count_columns(frame)
        labels = frame[frame.columns[0]].to_list()
        if labels and labels[-1] == "Total":
            last = len(labels) - 1
            for column in counts:
                found.append(([(name, r, column) for r in range(last)], (name, last, column)))
        if "Total" in counts:
            parts = [c for c in counts if c != "Total"]
            for r in range(frame.height):
                found.append(([(name, r, c) for c in parts], (name, r, "Total")))
        whole_of = {
            "deadlines": ["met", "late", "open_past_due", "open_not_yet_due", "cancelled"],
            "procedure_outcomes": ["stabilised", "ended", "open"],
        }
        if name in whole_of:
            for r in range(frame.height):
                found.append(([(name, r, c) for c in whole_of[name]], (name, r, "count")))
    endings = [n for n in tables if n.startswith("endings_by_")]
    if "endings_by_reason" in tables:
        reason = tables["endings_by_reason"]
        total: Cell = ("endings_by_reason", reason.height - 1, "count")
        for name in endings:
            if name != "endings_by_reason":
                found.append(([(name, tables[name].height - 1, "count")], total))
        if "endings_by_reason_group" in tables:
            codes = reason["reason"].to_list()[:-1]
            groups = {g: set(c) for g, c in REASON_GROUPS.items()}
            groups["left care"] = {"left care"}
            groups["not recorded"] = {"not recorded"}
            frame = tables["endings_by_reason_group"]
            for row, group in enumerate(frame["reason_group"].to_list()[:-1]):
                members = groups.get(group, set())
                summed: list[Cell] = [
                    ("endings_by_reason", i, "count") for i, c in enumerate(codes) if c in members
                ]
                found.append((summed, ("endings_by_reason_group", row, "count")))
    if "stability" in tables and "stability_trend" in tables:
        # the trend's last year end repeats the stability table when the period ends on it
        trend, measures = tables["stability_trend"], tables["stability"]
        latest = trend["year_end"].max()
        names = [m.split(":")[0] for m in measures["measure"].to_list()]
        links: list[tuple[list[Cell], Cell]] = [
            ([("stability_trend", row, column)], ("stability", names.index(measure), column))
            for row, (year_end, measure) in enumerate(trend.select("year_end", "measure").rows())
            if year_end == latest and measure in names
            for column in ("children", "of")
        ]
        shown = [(trend[p[0][2]][p[0][1]], measures[w[2]][w[1]]) for (p, w) in links]
        if all(a == b or HIDDEN in (a, b) for a, b in shown):
            found.extend(links)
    if "placements_location" in tables and "placements_open" in tables:
        location, placements = tables["placements_location"], tables["placements_open"]
        found.append(
            (
                [("placements_location", location.height - 1, "placements")],
                ("placements_open", placements.height - 1, "Total"),
            )
        )
    return found


def worked_out(tables: Mapping[str, pl.DataFrame]) -> list[tuple[Cell, float, float]]:
    """The hidden cells whose smallest and largest possible values are equal."""
    cells = cells_of(tables)
    hidden = sorted(c for c, v in cells.items() if v is None)
    index = {c: i for i, c in enumerate(hidden)}
    rows, rhs = [], []
    for parts, whole in equations(tables):
        row = np.zeros(len(hidden))
        constant = 0.0
        for cell, sign in [*((p, 1.0) for p in parts), (whole, -1.0)]:
            value = cells[cell]
            if value is None:
                row[index[cell]] += sign
            else:
                constant += sign * value
        if row.any():
            rows.append(row)
            rhs.append(-constant)
        else:
            assert constant == 0, f"the published tables disagree: {parts} != {whole}"
    found = []
    for i, cell in enumerate(hidden):
        ends = []
        for sign in (1.0, -1.0):
            objective = np.zeros(len(hidden))
            objective[i] = sign
            result = milp(
                objective,
                constraints=[LinearConstraint(np.vstack(rows), rhs, rhs)] if rows else [],
                integrality=np.ones(len(hidden)),
                bounds=Bounds(np.ones(len(hidden)), np.full(len(hidden), 1e7)),
            )
            assert result.x is not None, f"no solution: {result.message}"
            ends.append(float(result.x[i]))
        if abs(ends[1] - ends[0]) < 0.5:
            found.append((cell, ends[0], ends[1]))
    return found


_SHARE_INPUTS = {
    "deadlines": ("met", "late", "open_past_due"),
    "procedure_outcomes": ("stabilised", "ended"),
}


def shares_beside_hidden(tables: Mapping[str, pl.DataFrame]) -> list[tuple[str, int, str]]:
    """Shares shown where a count they are computed from is hidden."""
    leaks = []
    for name, frame in tables.items():
        inputs = _SHARE_INPUTS.get(name, tuple(_count_columns(frame)))
        for column in frame.columns:
            if not column.startswith(("percent", "median")):
                continue
            for r, row in enumerate(frame.iter_rows(named=True)):
                if row[column] not in (None, HIDDEN) and any(row[c] == HIDDEN for c in inputs):
                    leaks.append((name, r, column))
    return leaks


def small_counts_shown(tables: Mapping[str, pl.DataFrame], smallest: int) -> list[Cell]:
    """Counts from 1 to ``smallest - 1`` left visible."""
    return [c for c, v in cells_of(tables).items() if v is not None and 0 < v < smallest]
