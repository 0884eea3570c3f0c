"""Time to breakdown: Kaplan-Meier survival of placements to an unplanned ending.

Internal: import its public names from :mod:`disruption.analysis` (``docs/api.md``); the module
itself may move or change without notice.

A placement's time runs from its start to its end, or to the day of the analysis while it
is open. The event is an unplanned ending; a planned ending, and a placement still open, are
censored at their last day (a planned move is not a breakdown, but after it the placement
can no longer break down). The estimate comes from ``lifelines``' ``KaplanMeierFitter``,
imported only when a curve is asked for: it brings pandas and SciPy.

Example:
    >>> from datetime import date
    >>> import polars as pl
    >>> from disruption.analysis.survival import survival_curves
    >>> table = pl.DataFrame({
    ...     "type_group": ["Foster placement"] * 4,
    ...     "start": [date(2025, 1, 1)] * 4,
    ...     "end": [date(2025, 1, 11), date(2025, 1, 21), None, date(2025, 1, 31)],
    ...     "planned": [False, True, None, False],
    ... })
    >>> curves = survival_curves(table, date(2025, 3, 1))
    >>> curves.select("days", "survival").rows()[:3]
    [(0.0, 1.0), (10.0, 0.75), (20.0, 0.75)]
"""

from __future__ import annotations

from datetime import date
from typing import Final

import polars as pl

__all__ = ["CURVE_SCHEMA", "survival_curves", "survival_inputs"]

CURVE_SCHEMA: Final = {
    "group": pl.String(),
    "days": pl.Float64(),
    "survival": pl.Float64(),
    "lower": pl.Float64(),
    "upper": pl.Float64(),
    "at_risk": pl.Int64(),
    "placements": pl.Int64(),
}
"""The columns of :func:`survival_curves`: one row per event time per group."""


def survival_inputs(table: pl.DataFrame, on: date) -> pl.DataFrame:
    """Each placement's days at risk and whether it ended unplanned.

    Args:
        table: The case table (``start``, ``end``, ``planned``, ``type_group``).
        on: The day of the analysis: open placements are censored on it, and placements
            that start after it or end after it are cut to it.

    Returns:
        ``group``, ``days`` (from start to end or ``on``, at least 0) and ``unplanned``.
    """
    started = table.filter(pl.col("start") <= on)
    last = pl.when(pl.col("end").is_null() | (pl.col("end") > on)).then(pl.lit(on))
    stop = last.otherwise(pl.col("end"))
    return started.select(
        pl.col("type_group").fill_null("Unknown").alias("group"),
        (stop - pl.col("start")).dt.total_days().clip(lower_bound=0).alias("days"),
        ((pl.col("planned") == False) & pl.col("end").is_not_null() & (pl.col("end") <= on))  # noqa: E712
        .fill_null(False)
        .alias("unplanned"),
    )


def survival_curves(table: pl.DataFrame, on: date, min_placements: int = 1) -> pl.DataFrame:
    """Kaplan-Meier survival to an unplanned ending, by placement type group.

    Args:
        table: The case table.
        on: The day of the analysis.
        min_placements: Groups with fewer placements are left out.

    Returns:
        A table with the columns of :data:`CURVE_SCHEMA` (``lower`` and ``upper`` are the 95%
        confidence interval, exponential Greenwood), groups in alphabetical order.
    """
    from lifelines import KaplanMeierFitter  # pandas and SciPy: imported on use

    inputs = survival_inputs(table, on)
    frames: list[pl.DataFrame] = []
    for (group,), part in sorted(inputs.group_by("group"), key=lambda g: str(g[0][0])):
        if part.height < min_placements:
            continue
        fitter = KaplanMeierFitter().fit(
            part["days"].to_numpy(), part["unplanned"].to_numpy(), label="survival"
        )
        ci = fitter.confidence_interval_survival_function_
        frames.append(
            pl.DataFrame(
                {
                    "group": str(group),
                    "days": fitter.survival_function_.index.to_numpy(dtype=float),
                    "survival": fitter.survival_function_["survival"].to_numpy(dtype=float),
                    "lower": ci.iloc[:, 0].to_numpy(dtype=float),
                    "upper": ci.iloc[:, 1].to_numpy(dtype=float),
                    "at_risk": fitter.event_table["at_risk"].to_numpy(dtype="int64"),
                    "placements": part.height,
                },
                schema=CURVE_SCHEMA,
            )
        )
    if not frames:
        return pl.DataFrame(schema=CURVE_SCHEMA)
    return pl.concat(frames).with_columns(pl.col("survival", "lower", "upper").round(4))
